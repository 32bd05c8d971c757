"""TLS passthrough listeners and TLSRoute through the real binary: the gateway reads the SNI of
the ClientHello without terminating, replays the hello to the backend the SNI selects (exact
name, else wildcard), and the client completes its handshake with the backend's own certificate;
unmatched names, plain bytes and a hello that never completes (10 s deadline) are cut.
Clients: Python ssl (also feeding its hello one byte per TCP segment) and `openssl s_client`.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_tls_passthrough.py
"""

import os
import socket
import socketserver
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, backend_ref, endpoint_slice, gateway, gateway_address, gateway_class,
    make_certificate, run_tool, service)

PORT = 8443


def tls_route(name: str, hostnames: list, backend: str) -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "TLSRoute", "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw"}], "hostnames": hostnames,
                     "rules": [{"backendRefs": [backend_ref(backend)]}]}}


class TlsBackend:
    """A TLS server on IP:3000 with its own certificate: answers each line with `name:sni:line`;
    closes after the line `bye`."""

    def __init__(self, ip: str, name: str, cert_dir: str, common_name: str):
        outer = self
        self.name = name
        self.cert_pem, key_pem = make_certificate(cert_dir, name, common_name)
        self.cert_path = os.path.join(cert_dir, f"{name}.crt")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, os.path.join(cert_dir, f"{name}.key"))
        seen = {}
        context.sni_callback = lambda sock, server_name, ctx: seen.__setitem__(id(sock), server_name)

        class Handler(socketserver.StreamRequestHandler):
            def setup(self):
                self.request = context.wrap_socket(self.request, server_side=True)
                super().setup()

            def finish(self):
                super().finish()
                self.request.close()

            def handle(self):
                sni = seen.pop(id(self.request), None)
                for line in self.rfile:
                    if line.strip() == b"bye":
                        break
                    self.wfile.write(f"{outer.name}:{sni}:{line.decode().strip()}\n".encode())

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # clients that give up mid-handshake

        self.ip = ip
        self.server = Server((ip, 3000), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class TlsPassthroughTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.exact = TlsBackend(gh.backend_ip(), "exact", gh.tmp, "abc.example.com")
        cls.wild = TlsBackend(gh.backend_ip(), "wild", gh.tmp, "other.example.com")
        gh.backends += [cls.exact, cls.wild]
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [{"name": "tls", "port": PORT, "protocol": "TLS", "tls": {"mode": "Passthrough"}}]),
            service("exact"), endpoint_slice("exact", [cls.exact.ip]),
            service("wild"), endpoint_slice("wild", [cls.wild.ip]),
        ])
        gh.write("10-routes.yaml", [tls_route("exact", ["abc.example.com"], "exact"),
                                    tls_route("wild", ["*.example.com"], "wild")])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def exchange(self, sni: str, trust: TlsBackend) -> str:
        context = ssl.create_default_context(cafile=trust.cert_path)
        context.check_hostname = False
        with socket.create_connection((self.ip, PORT), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=sni) as s:
                s.sendall(b"hello\n")
                return s.makefile("rb").readline().decode().strip()

    def test_exact_server_name_reaches_its_backend(self):
        self.assertEqual(self.exchange("abc.example.com", self.exact), "exact:abc.example.com:hello")

    def test_server_name_is_matched_case_insensitively_and_passed_on_as_sent(self):
        self.assertEqual(self.exchange("ABC.Example.COM", self.exact), "exact:ABC.Example.COM:hello")

    def test_wildcard_route_takes_other_names(self):
        self.assertEqual(self.exchange("other.example.com", self.wild), "wild:other.example.com:hello")

    def test_unmatched_server_name_is_refused(self):
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            self.exchange("nothing.example.org", self.exact)

    def test_plain_bytes_are_refused(self):
        with socket.create_connection((self.ip, PORT), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: abc.example.com\r\n\r\n")
            self.assertEqual(s.recv(100), b"")

    def test_incomplete_hello_is_cut_at_the_first_bytes_deadline(self):
        # Slowloris: a record header promising more than ever comes; the 10 s deadline from accept.
        with socket.create_connection((self.ip, PORT), timeout=30) as s:
            s.sendall(b"\x16\x03\x01\x02\x00\x01")
            start = time.monotonic()
            self.assertEqual(s.recv(100), b"")
            self.assertGreater(time.monotonic() - start, 8)
            self.assertLess(time.monotonic() - start, 20)

    def test_hello_sent_one_byte_per_segment_is_reassembled(self):
        context = ssl.create_default_context(cafile=self.exact.cert_path)
        context.check_hostname = False
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname="abc.example.com")
        with socket.create_connection((self.ip, PORT), timeout=10) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                pass
            hello = outgoing.read()
            for i in range(len(hello)):
                s.sendall(hello[i:i + 1])
                time.sleep(0.001)
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    if outgoing.pending:
                        s.sendall(outgoing.read())
                    data = s.recv(65536)
                    self.assertNotEqual(data, b"", "connection closed during the handshake")
                    incoming.write(data)
            if outgoing.pending:
                s.sendall(outgoing.read())
            tls.write(b"split\n")
            s.sendall(outgoing.read())
            reply = b""
            while not reply.endswith(b"\n"):
                try:
                    reply += tls.read(100)
                except ssl.SSLWantReadError:
                    incoming.write(s.recv(65536))
        self.assertEqual(reply, b"exact:abc.example.com:split\n")

    def test_openssl_s_client_verifies_the_backend_certificate(self):
        result = run_tool(["openssl", "s_client", "-connect", f"{self.ip}:{PORT}", "-servername", "abc.example.com",
                           "-CAfile", self.exact.cert_path, "-verify_return_error", "-quiet"], input=b"via-openssl\nbye\n")
        self.assertIn(b"exact:abc.example.com:via-openssl", result.stdout, result.stderr.decode(errors="replace"))


if __name__ == "__main__":
    unittest.main()
