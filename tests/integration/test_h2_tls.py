"""HTTP/2 over TLS (ALPN "h2") on HTTPS listeners through the real binary, with curl, nghttp and
`openssl s_client`: ALPN choice, routing by :authority, HTTP/1.1 over TLS unchanged, and 421
Misdirected Request when the SNI selected another listener of the port than the authority does.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_h2_tls.py
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    rule, run_tool, tls_secret)

PORT = 8443


def make_certificate(directory: str, name: str, dns_names: list) -> tuple:
    """A self-signed P-256 certificate with `dns_names` as SANs; returns (cert PEM, key PEM)."""
    key, crt = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={dns_names[0]}",
                    "-addext", "subjectAltName=" + ",".join(f"DNS:{n}" for n in dns_names)],
                   check=True, capture_output=True, timeout=30)
    with open(crt, "rb") as c, open(key, "rb") as k:
        return c.read(), k.read()


class H2TlsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo_any = gh.start_echo("echo-any")
        cls.echo_b = gh.start_echo("echo-b")
        cls.echo_w = gh.start_echo("echo-w")
        cert = make_certificate(gh.tmp, "h2", ["*.example.com", "*.w.example.com"])
        cls.ca = os.path.join(gh.tmp, "h2.crt")
        refs = [{"kind": "Secret", "name": "cert"}]
        gh.write("00-infra.yaml", [
            gateway_class(),
            # Three HTTPS listeners on one port, as in the Gateway API's misdirected-request test.
            gateway("gw", [
                listener("https", PORT, "HTTPS", certificate_refs=refs),
                listener("https-b", PORT, "HTTPS", hostname="b.example.com", certificate_refs=refs),
                listener("https-w", PORT, "HTTPS", hostname="*.w.example.com", certificate_refs=refs),
            ]),
            tls_secret("cert", *cert),
            *backend_service("echo-any", [cls.echo_any.ip]),
            *backend_service("echo-b", [cls.echo_b.ip]),
            *backend_service("echo-w", [cls.echo_w.ip]),
            http_route("route-any", hostnames=["a.example.com"], rules=[rule([backend_ref("echo-any")])],
                       parents=[{"name": "gw", "sectionName": "https"}]),
            http_route("route-b", rules=[rule([backend_ref("echo-b")])],
                       parents=[{"name": "gw", "sectionName": "https-b"}]),
            http_route("route-w", rules=[rule([backend_ref("echo-w")])],
                       parents=[{"name": "gw", "sectionName": "https-w"}]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def curl(self, sni, host=None, version="--http2", path="/", extra=()):
        """(status, HTTP version, body) of one curl request; the TLS server name is `sni`."""
        args = ["curl", "-sS", "--max-time", "20", version, "--cacert", self.ca,
                "--resolve", f"{sni}:{PORT}:{self.ip}", "-w", "\n%{http_code} %{http_version}", *extra]
        if host:
            args += ["-H", f"Host: {host}"]
        res = run_tool(args + [f"https://{sni}:{PORT}{path}"])
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        body, _, tail = res.stdout.decode().rpartition("\n")
        code, http_version = tail.split(" ")
        return int(code), http_version, body

    def alpn(self, offer=None):
        args = ["openssl", "s_client", "-connect", f"{self.ip}:{PORT}", "-servername", "a.example.com"]
        if offer:
            args += ["-alpn", offer]
        out = run_tool(args, input=b"").stdout.decode()
        m = re.search(r"^(No ALPN negotiated|ALPN protocol: \S+)$", out, re.M)
        self.assertIsNotNone(m, out)
        return m.group(1)

    def test_alpn_prefers_h2_and_falls_back_to_http11(self):
        self.assertEqual(self.alpn("h2,http/1.1"), "ALPN protocol: h2")
        self.assertEqual(self.alpn("http/1.1,h2"), "ALPN protocol: h2")  # the server's preference wins
        self.assertEqual(self.alpn("http/1.1"), "ALPN protocol: http/1.1")
        self.assertEqual(self.alpn("spdy/3"), "No ALPN negotiated")
        self.assertEqual(self.alpn(None), "No ALPN negotiated")

    def test_curl_http2_is_routed_by_authority(self):
        code, version, body = self.curl("a.example.com", path="/h2?x=1")
        self.assertEqual((code, version), (200, "2"), body)
        echoed = json.loads(body)
        self.assertEqual((echoed["pod"], echoed["method"], echoed["path"], echoed["host"]),
                         ("echo-any", "GET", "/h2?x=1", "a.example.com:8443"))
        self.assertEqual(echoed["headers"].get("X-Forwarded-Proto"), ["https"])

        code, version, body = self.curl("b.example.com", path="/b")
        self.assertEqual((code, version), (200, "2"), body)
        self.assertEqual(json.loads(body)["pod"], "echo-b")

    def test_curl_http2_post_body_reaches_backend(self):
        code, version, body = self.curl("x.w.example.com", path="/post", extra=["--data-binary", "hello h2"])
        self.assertEqual((code, version), (200, "2"), body)
        echoed = json.loads(body)
        self.assertEqual((echoed["pod"], echoed["method"], echoed["headers"].get("Content-Length")),
                         ("echo-w", "POST", ["8"]))

    def test_curl_http2_no_route_is_404(self):
        code, version, body = self.curl("unknown.example.com")
        self.assertEqual((code, version, body), (404, "2", "Not Found\n"))

    def test_http11_over_tls_still_works(self):
        code, version, body = self.curl("a.example.com", version="--http1.1", path="/h1")
        self.assertEqual((code, version), (200, "1.1"), body)
        echoed = json.loads(body)
        self.assertEqual((echoed["pod"], echoed["path"]), ("echo-any", "/h1"))
        self.assertEqual(echoed["headers"].get("X-Forwarded-Proto"), ["https"])

    def test_nghttp_negotiates_h2(self):
        # nghttp sends no SNI for an address: the default certificate, routing by :authority only.
        url = f"https://{self.ip}:{PORT}/nghttp"
        res = run_tool(["nghttp", "-v", "-H", ":authority: b.example.com", url])
        out = res.stdout.decode()
        self.assertEqual(res.returncode, 0, out + res.stderr.decode())
        self.assertIn("The negotiated protocol: h2", out)
        self.assertRegex(out, r"recv \(stream_id=13\) :status: 200\n")
        res = run_tool(["nghttp", "-H", ":authority: b.example.com", url])
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        echoed = json.loads(res.stdout.decode())
        self.assertEqual((echoed["pod"], echoed["path"], echoed["host"]), ("echo-b", "/nghttp", "b.example.com"))

    def test_nghttp_concurrent_streams_on_one_connection(self):
        urls = [f"https://{self.ip}:{PORT}/s{i}" for i in range(5)]
        res = run_tool(["nghttp", "-v", "-H", ":authority: y.w.example.com", *urls])
        out = res.stdout.decode()
        self.assertEqual(res.returncode, 0, out + res.stderr.decode())
        self.assertEqual(len(re.findall(r":status: 200\n", out)), 5, out)
        self.assertEqual(sorted(re.findall(r'"path":\s*"(/s\d)"', out)), [f"/s{i}" for i in range(5)])

    def test_authority_of_another_listener_is_misdirected(self):
        # (SNI, authority) -> status; the SNI picks a listener, the authority must pick the same.
        cases = [
            ("a.example.com", "a.example.com", 200),
            ("a.example.com", "b.example.com", 421),        # hostname-less listener, b has its own
            ("a.example.com", "unknown.example.com", 404),  # same listener, no route
            ("b.example.com", "b.example.com", 200),
            ("b.example.com", "a.example.com", 421),
            ("b.example.com", "unknown.example.com", 421),
            ("x.w.example.com", "y.w.example.com", 200),   # same wildcard listener
            ("x.w.example.com", "b.example.com", 421),
            ("unknown.example.com", "a.example.com", 200),  # both on the hostname-less listener
        ]
        for version, http_version in (("--http2", "2"), ("--http1.1", "1.1")):
            for sni, host, status in cases:
                with self.subTest(version=version, sni=sni, host=host):
                    code, got_version, body = self.curl(sni, host=host, version=version, path="/m")
                    self.assertEqual((code, got_version), (status, http_version), body)
                    if status == 421:
                        self.assertEqual(body, "Misdirected Request\n")


if __name__ == "__main__":
    unittest.main()
