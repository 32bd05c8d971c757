"""TCP listeners and TCPRoute through the real binary, with Python socket clients and backends:
bytes both ways, half-close in each direction, failover past a dead endpoint, refused
connections for an unresolved backend, the idle timeout, and an established connection keeping
its backend across a route change.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_tcp_proxy.py
"""

import os
import socket
import socketserver
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, WAIT, GatehouseTestCase, backend_ref, endpoint_slice, gateway, gateway_address, gateway_class,
    listener, service, wait_until)

PORT = 9000


def tcp_route(name: str, backends: list, section: str = "tcp") -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "TCPRoute", "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw", "sectionName": section}], "rules": [{"backendRefs": backends}]}}


class LineBackend:
    """A TCP backend on IP:3000: greets with its name, answers each line with `name:line`; on
    the client's FIN it sends `name:bye` and closes (so a half-close is visible both ways)."""

    def __init__(self, ip: str, name: str):
        outer = self
        self.name = name

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(f"{outer.name}\n".encode())
                for line in self.rfile:
                    self.wfile.write(f"{outer.name}:{line.decode().strip()}\n".encode())
                self.wfile.write(f"{outer.name}:bye\n".encode())

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.ip = ip
        self.server = Server((ip, 3000), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Client:
    def __init__(self, ip: str, timeout: float = 10):
        self.sock = socket.create_connection((ip, PORT), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def line(self) -> str:
        return self.file.readline().decode().rstrip("\n")

    def send(self, text: str):
        self.sock.sendall(text.encode() + b"\n")

    def close(self):
        self.file.close()
        self.sock.close()


class TcpProxyTest(GatehouseTestCase):
    serve_args = ("--tcp-idle-timeout", "2s")

    @classmethod
    def configure(cls, gh):
        cls.one = LineBackend(gh.backend_ip(), "one")
        cls.two = LineBackend(gh.backend_ip(), "two")
        gh.backends += [cls.one, cls.two]
        dead = gh.backend_ip()  # nothing listens there
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("tcp", PORT, "TCP")]),
            service("one"), endpoint_slice("one", [cls.one.ip]),
            service("two"), endpoint_slice("two", [cls.two.ip]),
            # The dead endpoint first: round robin starts on it for every other connection.
            service("flaky"), endpoint_slice("flaky", [dead, cls.one.ip]),
        ])
        gh.write("10-route.yaml", [tcp_route("r", [backend_ref("one")])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def route_to(self, backends: list):
        self.gh.apply("10-route.yaml", [tcp_route("r", backends)])

    def first_line(self) -> str:
        c = Client(self.ip)
        try:
            return c.line()
        finally:
            c.close()

    def test_1_bytes_flow_both_ways(self):
        c = Client(self.ip)
        try:
            self.assertEqual(c.line(), "one")
            c.send("ping")
            self.assertEqual(c.line(), "one:ping")
            c.send("x" * 100000)
            self.assertEqual(c.line(), "one:" + "x" * 100000)
        finally:
            c.close()

    def test_2_client_half_close_reaches_the_backend_and_its_reply_comes_back(self):
        c = Client(self.ip)
        try:
            self.assertEqual(c.line(), "one")
            c.send("last")
            c.sock.shutdown(socket.SHUT_WR)
            self.assertEqual(c.line(), "one:last")
            self.assertEqual(c.line(), "one:bye")
            self.assertEqual(c.file.read(), b"")  # the backend's FIN
        finally:
            c.close()

    def test_3_dead_endpoint_fails_over_to_the_next(self):
        self.route_to([backend_ref("flaky")])
        try:
            wait_until(lambda: self.first_line() == "one", what="route to flaky")
            self.assertEqual([self.first_line() for _ in range(8)], ["one"] * 8)
        finally:
            self.route_to([backend_ref("one")])

    def test_4_unresolved_backend_refuses_the_connection(self):
        self.route_to([backend_ref("missing")])
        try:
            wait_until(lambda: self.first_line() == "", what="route to a missing Service")
        finally:
            self.route_to([backend_ref("one")])
            wait_until(lambda: self.first_line() == "one", what="route back to one")

    def test_5_idle_connection_is_closed_after_the_idle_timeout(self):
        c = Client(self.ip, timeout=WAIT)
        try:
            self.assertEqual(c.line(), "one")
            start = time.monotonic()
            self.assertEqual(c.file.read(), b"")
            elapsed = time.monotonic() - start
            self.assertGreater(elapsed, 1.5)
            self.assertLess(elapsed, 6)
        finally:
            c.close()

    def test_6_established_connection_keeps_its_backend_across_a_route_change(self):
        c = Client(self.ip)
        try:
            self.assertEqual(c.line(), "one")
            self.route_to([backend_ref("two")])
            wait_until(lambda: self.first_line() == "two", what="route to two")
            c.send("still")
            self.assertEqual(c.line(), "one:still")
        finally:
            c.close()
            self.route_to([backend_ref("one")])


if __name__ == "__main__":
    unittest.main()
