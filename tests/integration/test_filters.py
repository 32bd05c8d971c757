"""HTTPRoute filters through the real binary: request and response header modifiers, redirects
(exact Location for scheme, hostname, port, path and every status code), URL rewrites as seen by
the echo, backendRef-level filters, and request mirrors (the copy's body over HTTP/1.1 and HTTP/2).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_filters.py
"""

import collections
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, KeepAliveClient, backend_ref, backend_service, gateway, gateway_address, gateway_class,
    http_route, listener, path_match, request, rule, wait_until)

PORT = 8080
HOST = "filters.example.com"


def redirect(match, **spec):
    return rule(matches=[path_match(match)], filters=[{"type": "RequestRedirect", "requestRedirect": spec}])


def rewrite(path, spec, match_type="PathPrefix"):
    return rule([backend_ref("echo")], matches=[path_match(path, match_type)],
                filters=[{"type": "URLRewrite", "urlRewrite": spec}])


class FiltersTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        cls.echo_a = gh.start_echo("echo-a")
        cls.echo_b = gh.start_echo("echo-b")
        cls.capture = gh.start_capture()
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("echo-a", [cls.echo_a.ip]),
            *backend_service("echo-b", [cls.echo_b.ip]),
            *backend_service("capture", [cls.capture.ip]),
        ])
        rules = [
            rule([backend_ref("echo")], matches=[path_match("/req-headers")], filters=[{
                "type": "RequestHeaderModifier",
                "requestHeaderModifier": {
                    "set": [{"name": "X-Set", "value": "set-value"}],
                    "add": [{"name": "X-Add", "value": "added"}],
                    "remove": ["X-Remove"],
                }}]),
            rule([backend_ref("echo")], matches=[path_match("/resp-headers")], filters=[{
                "type": "ResponseHeaderModifier",
                "responseHeaderModifier": {
                    "set": [{"name": "X-Resp-Set", "value": "set-by-gateway"}],
                    "add": [{"name": "X-Resp-Add", "value": "added-by-gateway"}],
                    "remove": ["X-Content-Type-Options"],
                }}]),
            redirect("/redir/scheme", scheme="https", statusCode=301),
            redirect("/redir/hostname", hostname="other.example.com"),
            redirect("/redir/port", port=9090, statusCode=302),
            redirect("/redir/full", path={"type": "ReplaceFullPath", "replaceFullPath": "/new/full"}),
            redirect("/redir/prefix", path={"type": "ReplacePrefixMatch", "replacePrefixMatch": "/replaced"}),
            redirect("/redir/all", scheme="https", hostname="x.example.com", port=8443, statusCode=301,
                     path={"type": "ReplaceFullPath", "replaceFullPath": "/all"}),
            redirect("/redir/https-443", scheme="https", port=443),
            redirect("/redir/http-80", port=80),
            *[redirect(f"/code/{code}", statusCode=code) for code in (301, 302, 303, 307, 308)],
            rewrite("/rewrite-host", {"hostname": "rewritten.example.com"}),
            rewrite("/rewrite-full", {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/full"}}),
            rewrite("/rewrite-prefix", {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"}}),
            rewrite("/strip-prefix", {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}),
            rewrite("/rewrite-both", {"hostname": "both.example.com",
                                      "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/b"}}),
            rule([
                backend_ref("echo-a", filters=[{"type": "RequestHeaderModifier", "requestHeaderModifier": {
                    "set": [{"name": "X-Backend", "value": "a"}]}}]),
                backend_ref("echo-b", filters=[{"type": "RequestHeaderModifier", "requestHeaderModifier": {
                    "set": [{"name": "X-Backend", "value": "b"}]}}]),
            ], matches=[path_match("/per-backend")]),
            rule([backend_ref("echo")], matches=[path_match("/mirrored")], filters=[{
                "type": "RequestMirror", "requestMirror": {"backendRef": {"name": "capture", "port": 8080}}}]),
        ]
        # At most 16 rules per route (CRD validation).
        gh.write("10-filters.yaml", [http_route(f"filters-{i}", hostnames=[HOST], rules=rules[i * 8:i * 8 + 8])
                                     for i in range((len(rules) + 7) // 8)])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def get(self, path, host=HOST, headers=None):
        return request(self.ip, PORT, path, host=host, headers=headers)

    def echoed(self, path, host=HOST, headers=None):
        res = self.get(path, host, headers)
        self.assertEqual(res.status, 200, res)
        return res.json()

    # ---- header modifiers ----
    def test_mirror_copies_the_request_and_its_body_over_http1_and_http2(self):
        for flag, version in (("--http1.1", "1.1"), ("--http2-prior-knowledge", "2")):
            with self.subTest(version=version):
                before = len(self.capture.received)
                body = f"mirrored over HTTP/{version};" * 500
                out = subprocess.run(["curl", "-sS", "--max-time", "20", flag, "-o", "/dev/null",
                                      "-w", "%{http_code} %{http_version}", "-H", f"Host: {HOST}",
                                      "--data-binary", body, f"http://{self.ip}:{PORT}/mirrored/x"],
                                     capture_output=True, text=True, timeout=30)
                self.assertEqual(out.stdout, f"200 {version}", out.stderr)
                wait_until(lambda: len(self.capture.received) > before, what="the mirror's copy")
                copy = self.capture.received[before]
                self.assertEqual((copy["method"], copy["target"], copy["body"]), ("POST", "/mirrored/x", body))

    def test_request_header_set_add_remove(self):
        body = self.echoed("/req-headers", headers=[("X-Set", "client"), ("X-Add", "client"),
                                                    ("X-Remove", "client"), ("X-Keep", "client")])
        h = body["headers"]
        self.assertEqual(h.get("X-Set"), ["set-value"])
        # The spec's own example: "my-header: foo" plus add "bar" gives "my-header: foo,bar".
        self.assertEqual(h.get("X-Add"), ["client,added"])
        self.assertNotIn("X-Remove", h)
        self.assertEqual(h.get("X-Keep"), ["client"])

    def test_request_header_add_without_client_value(self):
        h = self.echoed("/req-headers")["headers"]
        self.assertEqual(h.get("X-Set"), ["set-value"])
        self.assertEqual(h.get("X-Add"), ["added"])

    def test_response_header_set_add_remove(self):
        # The echo sets X-Resp-Set and X-Resp-Add itself when asked (X-Echo-Set-Header).
        res = self.get("/resp-headers", headers={"X-Echo-Set-Header": "X-Resp-Set:from-backend,X-Resp-Add:from-backend"})
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.header_all("X-Resp-Set"), ["set-by-gateway"])
        self.assertEqual(res.header_all("X-Resp-Add"), ["from-backend,added-by-gateway"])
        self.assertEqual(res.header_all("X-Content-Type-Options"), [])
        self.assertEqual(res.header("Content-Type"), "application/json")

    def test_response_header_filter_only_on_its_rule(self):
        res = self.get("/req-headers")
        self.assertEqual(res.header("X-Content-Type-Options"), "nosniff")
        self.assertIsNone(res.header("X-Resp-Set"))

    # ---- redirects ----
    def assertRedirect(self, path, status, location, host=HOST):
        res = self.get(path, host)
        self.assertEqual((res.status, res.header("Location")), (status, location), res)
        self.assertEqual(self.echo.requests_seen().count(path), 0, "a redirect must not reach the backend")

    def test_redirect_scheme_uses_well_known_port(self):
        self.assertRedirect("/redir/scheme", 301, f"https://{HOST}/redir/scheme")

    def test_redirect_hostname_keeps_listener_port(self):
        self.assertRedirect("/redir/hostname", 302, f"http://other.example.com:{PORT}/redir/hostname")

    def test_redirect_hostname_drops_request_port(self):
        self.assertRedirect("/redir/hostname", 302, f"http://other.example.com:{PORT}/redir/hostname",
                            host=f"{HOST}:{PORT}")

    def test_redirect_port(self):
        self.assertRedirect("/redir/port", 302, f"http://{HOST}:9090/redir/port")

    def test_redirect_well_known_ports_are_omitted(self):
        self.assertRedirect("/redir/https-443", 302, f"https://{HOST}/redir/https-443")
        self.assertRedirect("/redir/http-80", 302, f"http://{HOST}/redir/http-80")

    def test_redirect_full_path(self):
        self.assertRedirect("/redir/full/anything", 302, f"http://{HOST}:{PORT}/new/full")

    def test_redirect_prefix_path(self):
        self.assertRedirect("/redir/prefix/a/b", 302, f"http://{HOST}:{PORT}/replaced/a/b")
        self.assertRedirect("/redir/prefix", 302, f"http://{HOST}:{PORT}/replaced")

    def test_redirect_everything(self):
        self.assertRedirect("/redir/all", 301, "https://x.example.com:8443/all")

    def test_redirect_status_codes(self):
        for code in (301, 302, 303, 307, 308):
            with self.subTest(code=code):
                self.assertRedirect(f"/code/{code}", code, f"http://{HOST}:{PORT}/code/{code}")

    # ---- URL rewrites ----
    def test_rewrite_hostname(self):
        body = self.echoed("/rewrite-host/x")
        self.assertEqual((body["host"], body["path"]), ("rewritten.example.com", "/rewrite-host/x"))

    def test_rewrite_full_path(self):
        body = self.echoed("/rewrite-full/some/where")
        self.assertEqual((body["host"], body["path"]), (HOST, "/full"))

    def test_rewrite_prefix(self):
        self.assertEqual(self.echoed("/rewrite-prefix/a/b")["path"], "/new/a/b")
        self.assertEqual(self.echoed("/rewrite-prefix")["path"], "/new")
        self.assertEqual(self.echoed("/rewrite-prefix/")["path"], "/new/")

    def test_rewrite_prefix_to_root(self):
        self.assertEqual(self.echoed("/strip-prefix/three")["path"], "/three")
        self.assertEqual(self.echoed("/strip-prefix")["path"], "/")

    def test_rewrite_hostname_and_path(self):
        body = self.echoed("/rewrite-both/c")
        self.assertEqual((body["host"], body["path"]), ("both.example.com", "/b/c"))

    # ---- backendRef filters ----
    def test_backend_ref_filters_apply_to_their_backend_only(self):
        client = KeepAliveClient(self.ip, PORT)
        seen = collections.Counter()
        try:
            for _ in range(40):
                res = client.get("/per-backend", HOST)
                self.assertEqual(res.status, 200, res)
                body = res.json()
                expected = {"echo-a": ["a"], "echo-b": ["b"]}[body["pod"]]
                self.assertEqual(body["headers"].get("X-Backend"), expected, body)
                seen[body["pod"]] += 1
        finally:
            client.close()
        self.assertEqual(set(seen), {"echo-a", "echo-b"}, seen)


if __name__ == "__main__":
    unittest.main()
