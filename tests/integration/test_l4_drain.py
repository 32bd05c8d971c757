"""Established TCP and TLS connections across configuration changes, through the real binary
(`--l4-drain-timeout 2s`): a connection whose route, or whose backend within its route, is
removed keeps working until the drain deadline and is closed then; connections on routes the
change did not touch are never cut, however long after the change.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_l4_drain.py
"""

import os
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, backend_ref, endpoint_slice, gateway, gateway_address, gateway_class, listener,
    make_certificate, service, tls_secret, wait_until)
from test_tcp_proxy import LineBackend  # noqa: E402

DRAIN = 2.0
STABLE_PORT, CHANGING_PORT, TLS_PORT = 9000, 9001, 9443


def tcp_route(name: str, section: str, backends: list) -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "TCPRoute", "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw", "sectionName": section}], "rules": [{"backendRefs": backends}]}}


def tls_route(name: str, backends: list) -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "TLSRoute", "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw", "sectionName": "tls"}], "hostnames": ["db.example.com"],
                     "rules": [{"backendRefs": backends}]}}


class Line:
    """A line client over TCP or TLS; `greeting` is the backend's first line (its name)."""

    def __init__(self, sock):
        self.sock = sock
        self.file = sock.makefile("rb")
        self.greeting = self.line()

    def line(self) -> str:
        return self.file.readline().decode().rstrip("\n")

    def ask(self, text: str) -> str:
        self.sock.sendall(text.encode() + b"\n")
        return self.line()

    def seconds_until_closed(self) -> float:
        start = time.monotonic()
        try:
            rest = self.file.read()
        except (ssl.SSLError, OSError):
            rest = b""
        assert rest == b"", rest
        return time.monotonic() - start

    def close(self):
        self.file.close()
        self.sock.close()


class L4DrainTest(GatehouseTestCase):
    serve_args = ("--l4-drain-timeout", f"{int(DRAIN)}s")

    @classmethod
    def configure(cls, gh):
        cls.one = LineBackend(gh.backend_ip(), "one")
        cls.two = LineBackend(gh.backend_ip(), "two")
        gh.backends += [cls.one, cls.two]
        make_certificate(gh.tmp, "gw", "db.example.com")
        cls.ca = os.path.join(gh.tmp, "gw.crt")
        with open(cls.ca, "rb") as c, open(os.path.join(gh.tmp, "gw.key"), "rb") as k:
            secret = tls_secret("gw-cert", c.read(), k.read())
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("stable", STABLE_PORT, "TCP"), listener("changing", CHANGING_PORT, "TCP"),
                           {"name": "tls", "port": TLS_PORT, "protocol": "TLS", "hostname": "db.example.com",
                            "tls": {"mode": "Terminate", "certificateRefs": [{"name": "gw-cert"}]}}]),
            secret,
            service("one"), endpoint_slice("one", [cls.one.ip]),
            service("two"), endpoint_slice("two", [cls.two.ip]),
        ])
        gh.write("10-stable.yaml", [tcp_route("stable", "stable", [backend_ref("one")])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def tcp(self, port: int) -> Line:
        return Line(socket.create_connection((self.ip, port), timeout=DRAIN * 10))

    def tls(self) -> Line:
        context = ssl.create_default_context(cafile=self.ca)
        raw = socket.create_connection((self.ip, TLS_PORT), timeout=DRAIN * 10)
        return Line(context.wrap_socket(raw, server_hostname="db.example.com"))

    def greets(self, open_line) -> str:
        try:
            line = open_line()
        except (ssl.SSLError, OSError):
            return ""
        try:
            return line.greeting
        finally:
            line.close()

    def assertDrained(self, line: Line):
        # Still served right after the change; closed by the drain deadline, not before it.
        self.assertEqual(line.ask("after"), f"{line.greeting}:after")
        elapsed = line.seconds_until_closed()
        self.assertGreater(elapsed, DRAIN * 0.5)
        self.assertLess(elapsed, DRAIN + 3)

    def test_removed_route_drains_its_connection_and_spares_the_others(self):
        self.gh.apply("20-changing.yaml", [tcp_route("changing", "changing", [backend_ref("two")])])
        wait_until(lambda: self.greets(lambda: self.tcp(CHANGING_PORT)) == "two", what="changing route served")
        stable, changing = self.tcp(STABLE_PORT), self.tcp(CHANGING_PORT)
        try:
            self.assertEqual((stable.greeting, changing.greeting), ("one", "two"))
            self.gh.delete("20-changing.yaml")
            self.assertDrained(changing)
            time.sleep(DRAIN)
            self.assertEqual(stable.ask("untouched"), "one:untouched")
        finally:
            stable.close()
            changing.close()

    def test_backend_removed_from_a_route_drains_its_connection(self):
        self.gh.apply("20-changing.yaml", [tcp_route("changing", "changing", [backend_ref("one")])])
        wait_until(lambda: self.greets(lambda: self.tcp(CHANGING_PORT)) == "one", what="changing route to one")
        line = self.tcp(CHANGING_PORT)
        try:
            self.gh.apply("20-changing.yaml", [tcp_route("changing", "changing", [backend_ref("two")])])
            self.assertDrained(line)
            self.assertEqual(self.greets(lambda: self.tcp(CHANGING_PORT)), "two")
        finally:
            line.close()
            self.gh.delete("20-changing.yaml")

    def test_unrelated_changes_never_cut_an_established_connection(self):
        self.gh.apply("30-tls.yaml", [tls_route("db", [backend_ref("one")])])
        wait_until(lambda: self.greets(self.tls) == "one", what="TLS route served")
        stable, terminated = self.tcp(STABLE_PORT), self.tls()
        try:
            # Another route comes and goes; the served routes get a second backend (theirs stays).
            self.gh.apply("20-changing.yaml", [tcp_route("changing", "changing", [backend_ref("two")])])
            self.gh.apply("10-stable.yaml", [tcp_route("stable", "stable", [backend_ref("one"), backend_ref("two")])])
            self.gh.apply("30-tls.yaml", [tls_route("db", [backend_ref("one"), backend_ref("two")])])
            self.gh.delete("20-changing.yaml")
            time.sleep(DRAIN * 1.5)
            self.assertEqual(stable.ask("still"), "one:still")
            self.assertEqual(terminated.ask("still"), "one:still")
        finally:
            stable.close()
            terminated.close()
            self.gh.apply("10-stable.yaml", [tcp_route("stable", "stable", [backend_ref("one")])])

    def test_removed_tls_route_drains_its_terminated_connection(self):
        self.gh.apply("30-tls.yaml", [tls_route("db", [backend_ref("two")])])
        wait_until(lambda: self.greets(self.tls) == "two", what="TLS route to two")
        line = self.tls()
        try:
            self.gh.delete("30-tls.yaml")
            self.assertDrained(line)
        finally:
            line.close()


if __name__ == "__main__":
    unittest.main()
