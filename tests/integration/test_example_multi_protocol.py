"""examples/multi-protocol through the real binary: the README's Gateway with HTTPS, TLS
passthrough, TCP and UDP listeners on one address, each reaching its backend. The example's
files are used as they are, but for the backends' addresses (this test's own) and a generated
certificate Secret.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_example_multi_protocol.py
"""

import json
import os
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import GatehouseTestCase, gateway_address, make_certificate, tls_secret  # noqa: E402
from test_tcp_proxy import LineBackend  # noqa: E402
from test_tls_passthrough import TlsBackend  # noqa: E402
from test_udp_proxy import UdpBackend  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "multi-protocol")


class MultiProtocolExampleTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.web = gh.start_echo("web")
        cls.secure = TlsBackend(gh.backend_ip(), "secure", gh.tmp, "secure.example.test")
        cls.database = LineBackend(gh.backend_ip(), "database")
        cls.dns = UdpBackend(gh.backend_ip(), "dns")
        gh.backends += [cls.secure, cls.database, cls.dns]
        addresses = {"127.0.3.1": cls.web.ip, "127.0.3.2": cls.secure.ip, "127.0.3.3": cls.database.ip,
                     "127.0.3.4": cls.dns.ip}
        for name in ("gateway.yaml", "routes.yaml", "backends.yaml"):
            with open(os.path.join(EXAMPLE, name)) as f:
                text = f.read()
            for example_ip, ip in addresses.items():
                text = text.replace(f"[{example_ip}]", f"[{ip}]")
            gh.write(name, text)
        cert, key = make_certificate(gh.tmp, "www", "www.example.test")
        cls.web_cert = os.path.join(gh.tmp, "www.crt")
        gh.write("secret.yaml", [tls_secret("www-example-test", cert, key)])
        gh.sync()
        cls.ip = gateway_address(gh, "edge")

    def test_every_object_is_accepted(self):
        for kind, name in [("Gateway", "edge"), ("HTTPRoute", "web"), ("TLSRoute", "secure"), ("TCPRoute", "database"),
                           ("UDPRoute", "dns")]:
            obj = self.gh.find(kind, name, "default")
            conditions = obj["status"]["conditions"] if kind == "Gateway" else obj["status"]["parents"][0]["conditions"]
            accepted = {c["type"]: c["status"] for c in conditions}
            self.assertEqual(accepted.get("Accepted"), "True", (kind, name, conditions))

    def test_https_reaches_the_web_backend(self):
        context = ssl.create_default_context(cafile=self.web_cert)
        with socket.create_connection((self.ip, 8443), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="www.example.test") as s:
                s.sendall(b"GET /hello HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n")
                reply = b""
                while chunk := s.recv(65536):
                    reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertEqual((json.loads(body)["path"], json.loads(body)["pod"]), ("/hello", "web"))

    def test_tls_passthrough_reaches_the_backend_that_terminates(self):
        context = ssl.create_default_context(cafile=self.secure.cert_path)  # only the backend's certificate
        with socket.create_connection((self.ip, 9443), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="secure.example.test") as s:
                s.sendall(b"ping\n")
                self.assertEqual(s.makefile("rb").readline(), b"secure:secure.example.test:ping\n")

    def test_tcp_reaches_the_database_backend(self):
        with socket.create_connection((self.ip, 5432), timeout=10) as s:
            lines = s.makefile("rb")
            self.assertEqual(lines.readline(), b"database\n")
            s.sendall(b"select 1\n")
            self.assertEqual(lines.readline(), b"database:select 1\n")

    def test_udp_reaches_the_dns_backend(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(b"query", (self.ip, 5353))
            reply = s.recvfrom(65536)[0].decode()
        name, _, payload = reply.split(":")
        self.assertEqual((name, payload), ("dns", "query"))


if __name__ == "__main__":
    unittest.main()
