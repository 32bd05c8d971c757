"""The dashboard (GET / on the admin address), rendered by a real browser: Debian's chromium,
headless, loads the page from the real binary, which then reads /status, /config, /errors and
/metrics itself. The rendered DOM is checked: Gateway, listeners, attached and unattached
routes with their conditions, backends with their endpoints, request counts equal to the
Prometheus exposition's, configuration errors shown as text (a file name that looks like markup
stays text), and the page refreshing itself without a reload.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_dashboard.py
"""

import html.parser
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class,
    http_route, listener, path_match, request, rule, wait_until)

CHROMIUM = shutil.which("chromium")
PORT = 8080
BROKEN_FILE = "90-<img src=x>.yaml"


class Dom(html.parser.HTMLParser):
    """Elements by attribute: {(attr, value): text of the element and everything inside it};
    `tags` records every tag seen (markup injected through data would show up here)."""

    def __init__(self, text):
        super().__init__()
        self.by_attr, self.tags, self.body_attrs = {}, [], {}
        self.open = []  # [(keys, tag, chunks)]
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "body":
            self.body_attrs = attrs
        keys = [(k, v) for k, v in attrs.items() if k.startswith("data-")]
        if tag not in ("br", "meta", "link", "img", "input"):
            self.open.append((keys, tag, []))

    def handle_endtag(self, tag):
        while self.open:
            keys, t, chunks = self.open.pop()
            text = " ".join(" ".join(chunks).split())
            for k in keys:
                self.by_attr.setdefault(k, text)
            if self.open:
                self.open[-1][2].append(text)
            if t == tag:
                break

    def handle_data(self, data):
        if self.open:
            self.open[-1][2].append(data)

    def text(self, attr, value):
        return self.by_attr.get((attr, value))


def render(url, budget_ms=6000):
    """The DOM chromium has after running the page's scripts for `budget_ms` of virtual time."""
    profile = tempfile.mkdtemp(prefix="gatehouse-chromium-")
    try:
        out = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if out.returncode != 0:
        raise AssertionError(f"chromium failed ({out.returncode}): {out.stderr[-2000:]}")
    return Dom(out.stdout)


@unittest.skipUnless(CHROMIUM, "chromium is not installed (Debian package chromium)")
class DashboardTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("down", [gh.backend_ip()], port=9090),  # refuses: 503s
        ])
        gh.write("10-routes.yaml", [
            http_route("shop", hostnames=["shop.example.com"], rules=[
                rule([backend_ref("echo")], matches=[path_match("/")]),
                rule([backend_ref("down", port=9090)], matches=[path_match("/down")])]),
            # Its Gateway does not exist: attached nowhere.
            http_route("orphan", parents=[{"name": "nowhere"}], rules=[rule([backend_ref("echo")])]),
        ])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gh.write(BROKEN_FILE, "kind: [unclosed\n")  # after configure(), which must load clean
        cls.gh.sync()
        cls.ip = gateway_address(cls.gh, "gw")
        routed = 0  # requests the route answered; unmatched ones (404 before it is live) count elsewhere

        def probe():
            nonlocal routed
            status = request(cls.ip, PORT, "/", host="shop.example.com").status
            routed += status != 404
            return status == 200
        wait_until(probe, what="route live")
        for _ in range(5):
            assert request(cls.ip, PORT, "/items", host="shop.example.com").status == 200
        for _ in range(2):
            assert request(cls.ip, PORT, "/down", host="shop.example.com").status == 503
        # A request is counted after its response went out: wait for all of them (an ASan run on a
        # busy machine once rendered the page after the last one was counted, but read before).
        cls.expected = wait_until(lambda: (c := cls.requests_by_route()).get("HTTPRoute/default/shop") == routed + 7 and c,
                                  what="every request counted")
        cls.dom = render(f"http://{cls.gh.admin[0]}:{cls.gh.admin[1]}/")

    @classmethod
    def requests_by_route(cls):
        status, body = cls.gh.admin_get("/metrics")
        assert status == 200, status
        counts = {}
        for family in text_string_to_metric_families(body.decode()):
            for s in family.samples:
                if s.name == "http_server_request_duration_seconds_count" and s.labels["route_name"]:
                    key = f"{s.labels['route_kind']}/{s.labels['route_namespace']}/{s.labels['route_name']}"
                    counts[key] = counts.get(key, 0) + int(s.value)
        return counts

    def test_page_is_served_as_html_from_the_binary(self):
        status, body = self.gh.admin_get("/")
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"<!doctype html>"), body[:40])
        self.assertNotIn(b"http://", body.replace(b"http://www.w3.org", b""))  # no fetch from elsewhere

    def test_page_refreshes_itself(self):
        self.assertGreaterEqual(int(self.dom.body_attrs.get("data-refreshes", "0")), 2)

    def test_gateway_and_listener_with_conditions(self):
        gw = self.dom.text("data-gateway", "default/gw")
        self.assertIsNotNone(gw)
        self.assertIn(f"Gateway default/gw class gatehouse · {self.ip}", gw)
        self.assertEqual(self.dom.text("data-listener", "default/gw/http"),
                         f"http HTTP {PORT} * 1 Accepted ResolvedRefs Conflicted=False Programmed")

    def test_attached_route_with_backends_endpoints_and_counts(self):
        row = self.dom.text("data-route", "HTTPRoute/default/shop")
        self.assertIsNotNone(row)
        self.assertIn("Accepted ResolvedRefs", row)
        self.assertEqual(self.dom.text("data-backend", "default/echo:8080"),
                         f"default/echo:8080 1 endpoint: {self.echo.ip}:3000")
        self.assertEqual(self.dom.text("data-cell", "HTTPRoute/default/shop requests"),
                         str(self.expected["HTTPRoute/default/shop"]))
        # Rates need two samples; the page has taken several by now, with no traffic in between.
        self.assertEqual(self.dom.text("data-cell", "HTTPRoute/default/shop rate"), "0.0")
        self.assertGreaterEqual(self.expected["HTTPRoute/default/shop"], 8)

    def test_unattached_route_listed_apart(self):
        unattached = self.dom.text("data-section", "unattached")
        self.assertIn("HTTPRoute/default/orphan", unattached)
        self.assertNotIn("HTTPRoute/default/shop", unattached)
        self.assertNotIn("orphan", self.dom.text("data-gateway", "default/gw"))

    def test_config_error_names_the_file_as_text(self):
        error = self.dom.text("data-error", "")
        self.assertIsNotNone(error)
        self.assertTrue(error.startswith(self.gh.path(BROKEN_FILE)), error)
        self.assertNotIn("img", self.dom.tags)  # the file name's markup stayed text


if __name__ == "__main__":
    unittest.main()
