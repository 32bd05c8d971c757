"""The HTTPRoute CORS filter through the real binary, with curl over HTTP/1.1 and h2c: preflights
are answered by the gateway (the backend never sees them), allowed origins (exact and label
wildcard) get the CORS headers on preflights and actual responses, other origins get none.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_cors.py
"""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    path_match, rule)

PORT = 8080
HOST = "cors.example.com"
PREFLIGHT = ["-X", "OPTIONS", "-H", "Access-Control-Request-Method: PUT",
             "-H", "Access-Control-Request-Headers: x-a, x-b"]


def cors_rule(path, **cors):
    return rule([backend_ref("echo")], matches=[path_match(path)], filters=[{"type": "CORS", "cors": cors}])


class CorsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-cors")
        gh.write("00-infra.yaml", [gateway_class(), gateway("gw", [listener("http", PORT)]),
                                   *backend_service("echo", [cls.echo.ip])])
        gh.write("10-routes.yaml", [http_route("cors", hostnames=[HOST], rules=[
            cors_rule("/listed", allowOrigins=["https://app.example.com", "https://*.example.org"],
                      allowMethods=["GET", "PUT"], allowHeaders=["x-a", "x-b"], exposeHeaders=["x-total"],
                      allowCredentials=True, maxAge=600),
            cors_rule("/open", allowOrigins=["*"], allowMethods=["*"], allowHeaders=["*"]),
        ])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def curl(self, path, origin, *flags, http2=False):
        """(status, {lower-cased header: value}) of one curl request."""
        args = ["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-D", "-", "-H", f"Host: {HOST}",
                "-H", f"Origin: {origin}", *flags]
        if http2:
            args.append("--http2-prior-knowledge")
        out = subprocess.run(args + [f"http://{self.ip}:{PORT}{path}"], capture_output=True, text=True, timeout=20,
                             check=True).stdout
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def test_preflight_is_answered_by_the_gateway(self):
        for http2 in (False, True):
            with self.subTest(http2=http2):
                before = len(self.echo.requests_seen())
                status, h = self.curl("/listed", "https://app.example.com", *PREFLIGHT, http2=http2)
                self.assertEqual(status, 204)
                self.assertEqual(h["access-control-allow-origin"], "https://app.example.com")
                self.assertEqual(h["access-control-allow-methods"], "GET, PUT")
                self.assertEqual(h["access-control-allow-headers"], "x-a, x-b")
                self.assertEqual(h["access-control-expose-headers"], "x-total")
                self.assertEqual(h["access-control-allow-credentials"], "true")
                self.assertEqual(h["access-control-max-age"], "600")
                self.assertEqual(len(self.echo.requests_seen()), before)

    def test_wildcard_origin_preflight(self):
        status, h = self.curl("/listed", "https://a.b.example.org", *PREFLIGHT)
        self.assertEqual(status, 204)
        self.assertEqual(h["access-control-allow-origin"], "https://a.b.example.org")

    def test_preflight_from_other_origin_has_no_cors_headers(self):
        status, h = self.curl("/listed", "https://example.org", *PREFLIGHT)
        self.assertEqual(status, 204)
        self.assertNotIn("access-control-allow-origin", h)
        self.assertNotIn("access-control-allow-methods", h)

    def test_actual_request_gets_cors_headers(self):
        for http2 in (False, True):
            with self.subTest(http2=http2):
                status, h = self.curl("/listed", "https://app.example.com", http2=http2)
                self.assertEqual(status, 200)
                self.assertEqual(h["access-control-allow-origin"], "https://app.example.com")
                self.assertEqual(h["access-control-allow-credentials"], "true")
                self.assertEqual(h["access-control-expose-headers"], "x-total")
                self.assertEqual(h["vary"], "Origin")
                self.assertNotIn("access-control-max-age", h)

    def test_actual_request_from_other_origin_is_served_without_cors_headers(self):
        status, h = self.curl("/listed", "https://evil.example.com")
        self.assertEqual(status, 200)
        self.assertNotIn("access-control-allow-origin", h)

    def test_star_lists_echo_the_preflight(self):
        status, h = self.curl("/open", "https://anyone.net", *PREFLIGHT)
        self.assertEqual(status, 204)
        self.assertEqual(h["access-control-allow-origin"], "https://anyone.net")
        self.assertEqual(h["access-control-allow-methods"], "PUT")
        self.assertEqual(h["access-control-allow-headers"], "x-a, x-b")
        self.assertNotIn("access-control-allow-credentials", h)


if __name__ == "__main__":
    unittest.main()
