"""TLS listeners in mode Terminate, and HTTPS, TLS Terminate and TLS Passthrough listeners sharing
one port, through the real binary. Terminate: the client's handshake is with the gateway's
certificate (checked with `openssl s_client -verify_return_error`), the backend gets plaintext,
no ALPN protocol is agreed. Shared port: the ClientHello's SNI picks the listener; curl gets
HTTP from the HTTPS listener, s_client gets the plaintext backend through the Terminate
listener and the backend's own certificate through the Passthrough one; an unknown name is cut.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_tls_terminate.py
"""

import json
import os
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, backend_ref, backend_service, condition, endpoint_slice, gateway,
    gateway_address, gateway_class, http_route, make_certificate, rule, run_tool, service, tls_secret)
from test_tcp_proxy import LineBackend  # noqa: E402
from test_tls_passthrough import TlsBackend  # noqa: E402

TERMINATE_PORT = 8443
SHARED_PORT = 9443


def tls_listener(name: str, port: int, hostname: str, mode: str, secret: str = None) -> dict:
    tls = {"mode": mode}
    if secret:
        tls["certificateRefs"] = [{"name": secret}]
    return {"name": name, "port": port, "protocol": "TLS", "hostname": hostname, "tls": tls}


def tls_route(name: str, section: str, hostname: str, backend: str) -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "TLSRoute", "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw", "sectionName": section}], "hostnames": [hostname],
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


class TlsTerminateTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.plain = LineBackend(gh.backend_ip(), "plain")
        cls.passthrough = TlsBackend(gh.backend_ip(), "pass", gh.tmp, "pass.example.com")
        gh.backends += [cls.plain, cls.passthrough]
        cls.echo = gh.start_echo("echo-web")
        cls.gateway_cert = make_certificate(gh.tmp, "gw", "*.example.com")
        cls.ca = os.path.join(gh.tmp, "gw.crt")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [
                tls_listener("db", TERMINATE_PORT, "db.example.com", "Terminate", "gw-cert"),
                {"name": "web", "port": SHARED_PORT, "protocol": "HTTPS", "hostname": "web.example.com",
                 "tls": {"mode": "Terminate", "certificateRefs": [{"name": "gw-cert"}]}},
                tls_listener("shared-db", SHARED_PORT, "db.example.com", "Terminate", "gw-cert"),
                tls_listener("shared-pass", SHARED_PORT, "pass.example.com", "Passthrough"),
            ]),
            tls_secret("gw-cert", *cls.gateway_cert),
            service("plain"), endpoint_slice("plain", [cls.plain.ip]),
            service("pass"), endpoint_slice("pass", [cls.passthrough.ip]),
            *backend_service("echo", [cls.echo.ip]),
        ])
        gh.write("10-routes.yaml", [
            tls_route("db", "db", "db.example.com", "plain"),
            tls_route("shared-db", "shared-db", "db.example.com", "plain"),
            tls_route("shared-pass", "shared-pass", "pass.example.com", "pass"),
            http_route("web", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw", "sectionName": "web"}]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def s_client(self, port: int, servername: str, ca: str) -> str:
        """The handshake as `openssl s_client` reports it (stdin empty: it closes right after)."""
        result = run_tool(["openssl", "s_client", "-connect", f"{self.ip}:{port}", "-servername", servername,
                           "-CAfile", ca, "-verify_return_error", "-alpn", "h2,http/1.1"], input=b"")
        return result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")

    def connect(self, port: int, servername: str) -> ssl.SSLSocket:
        context = ssl.create_default_context(cafile=self.ca)  # checks the chain and the name
        context.set_alpn_protocols(["h2", "http/1.1"])
        return context.wrap_socket(socket.create_connection((self.ip, port), timeout=10), server_hostname=servername)

    def test_terminate_listener_sends_plaintext_to_the_backend(self):
        with self.connect(TERMINATE_PORT, "db.example.com") as s:
            self.assertIsNone(s.selected_alpn_protocol())
            reader = s.makefile("rb")
            self.assertEqual(reader.readline(), b"plain\n")
            s.sendall(b"select 1\n")
            self.assertEqual(reader.readline(), b"plain:select 1\n")

    def test_terminate_listener_is_verified_by_openssl_with_the_gateway_certificate(self):
        output = self.s_client(TERMINATE_PORT, "db.example.com", self.ca)
        self.assertIn("Verify return code: 0 (ok)", output)
        self.assertIn("No ALPN negotiated", output)

    def test_terminate_listener_half_close_reaches_the_backend_and_its_close_the_client(self):
        with self.connect(TERMINATE_PORT, "db.example.com") as s:
            reader = s.makefile("rb")
            self.assertEqual(reader.readline(), b"plain\n")
            s.sendall(b"last\n")
            socket.socket.shutdown(s, socket.SHUT_WR)  # a bare FIN, no close_notify (SSLSocket's own drops TLS)
            self.assertEqual(reader.readline(), b"plain:last\n")
            self.assertEqual(reader.readline(), b"plain:bye\n")
            self.assertEqual(reader.read(), b"")  # the backend's FIN, as close_notify

    def test_terminate_listener_refuses_a_name_no_route_serves(self):
        with self.connect(TERMINATE_PORT, "other.example.com") as s:
            self.assertEqual(s.recv(100), b"")

    def test_shared_port_sends_the_https_listeners_name_to_http_routing(self):
        res = run_tool(["curl", "-sS", "--max-time", "20", "--cacert", self.ca, "--resolve",
                        f"web.example.com:{SHARED_PORT}:{self.ip}", f"https://web.example.com:{SHARED_PORT}/x"])
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        echoed = json.loads(res.stdout)
        self.assertEqual((echoed["path"], echoed["pod"]), ("/x", "echo-web"))

    def test_shared_port_https_listener_speaks_h2(self):
        res = run_tool(["curl", "-sS", "--http2", "--max-time", "20", "--cacert", self.ca, "-o", "/dev/null",
                        "-w", "%{http_version} %{http_code}", "--resolve", f"web.example.com:{SHARED_PORT}:{self.ip}",
                        f"https://web.example.com:{SHARED_PORT}/"])
        self.assertEqual(res.stdout.decode(), "2 200", res.stderr.decode())

    def test_shared_port_terminates_the_tls_listeners_name(self):
        self.assertIn("Verify return code: 0 (ok)", self.s_client(SHARED_PORT, "db.example.com", self.ca))
        with self.connect(SHARED_PORT, "db.example.com") as s:
            reader = s.makefile("rb")
            self.assertEqual(reader.readline(), b"plain\n")
            s.sendall(b"shared\n")
            self.assertEqual(reader.readline(), b"plain:shared\n")

    def test_shared_port_passes_the_passthrough_listeners_name_through(self):
        result = run_tool(["openssl", "s_client", "-connect", f"{self.ip}:{SHARED_PORT}", "-servername",
                           "pass.example.com", "-CAfile", self.passthrough.cert_path, "-verify_return_error", "-quiet"],
                          input=b"through\nbye\n")
        self.assertIn(b"pass:pass.example.com:through", result.stdout, result.stderr.decode(errors="replace"))

    def test_shared_port_cuts_a_name_no_listener_takes(self):
        context = ssl.create_default_context(cafile=self.ca)
        with socket.create_connection((self.ip, SHARED_PORT), timeout=10) as raw:
            with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                context.wrap_socket(raw, server_hostname="nobody.example.org")

    def test_every_listener_is_accepted_and_programmed(self):
        gw = self.gh.find("Gateway", "gw")
        for status in gw["status"]["listeners"]:
            for type_ in ("Accepted", "Programmed", "ResolvedRefs"):
                self.assertEqual(condition(status["conditions"], type_)["status"], "True", (status["name"], type_))


if __name__ == "__main__":
    unittest.main()
