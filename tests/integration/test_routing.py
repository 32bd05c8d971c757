"""Routing through the real binary: path, header, query and method matches, precedence across
routes, hostnames, listener hostname isolation and 404s. Each rule stamps `X-Matched` on the
request (RequestHeaderModifier), so the echo's reply says exactly which rule served it.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_routing.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    path_match, request, rule, set_header)

HTTP_PORT = 8080
ISOLATED_PORT = 8081


def tagged(tag, matches=None, backend="echo"):
    return rule([backend_ref(backend)], matches=matches, filters=[set_header("X-Matched", tag)])


class RoutingTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        cls.echo_a = gh.start_echo("echo-a")
        cls.echo_b = gh.start_echo("echo-b")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [
                listener("http", HTTP_PORT),
                listener("only-a", ISOLATED_PORT, hostname="a.example.com"),
                listener("only-b", ISOLATED_PORT, hostname="b.example.com"),
            ]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("echo-a", [cls.echo_a.ip]),
            *backend_service("echo-b", [cls.echo_b.ip]),
        ])
        http = [{"name": "gw", "sectionName": "http"}]
        gh.write("10-paths.yaml", [http_route("paths", parents=http, hostnames=["paths.example.com"], rules=[
            tagged("exact", [path_match("/exact", "Exact")]),
            tagged("prefix", [path_match("/prefix")]),
            tagged("regex", [path_match("/re/[0-9]+", "RegularExpression")]),
            tagged("slash", [path_match("/slash/")]),
        ])])
        gh.write("11-matches.yaml", [http_route("matches", parents=http, hostnames=["match.example.com"], rules=[
            tagged("header-exact", [{"headers": [{"name": "X-Env", "value": "canary"}]}]),
            tagged("header-regex", [{"headers": [{"type": "RegularExpression", "name": "X-Version",
                                                  "value": "v[0-9]+"}]}]),
            tagged("query", [{"queryParams": [{"name": "q", "value": "one"}]}]),
            tagged("method", [{"method": "POST"}]),
            tagged("two-headers", [{"headers": [{"name": "X-Env", "value": "canary"},
                                                {"name": "X-Team", "value": "red"}]}]),
        ])])
        # Precedence across routes; explicit creation timestamps make "older" exact.
        gh.write("12-precedence.yaml", [
            http_route("z-old", parents=http, hostnames=["prec.example.com"], created="2024-01-01T00:00:00Z", rules=[
                tagged("old-prefix-api", [path_match("/api")]),
                tagged("old-tie", [path_match("/tie")]),
            ]),
            http_route("a-new", parents=http, hostnames=["prec.example.com"], created="2025-01-01T00:00:00Z", rules=[
                tagged("new-exact-api", [path_match("/api", "Exact")]),
                tagged("new-prefix-api-v2", [path_match("/api/v2")]),
                tagged("new-tie", [path_match("/tie")]),
            ]),
            # Same timestamp: alphabetical namespace/name decides ("m-first" < "n-second").
            http_route("n-second", parents=http, hostnames=["prec.example.com"], created="2024-06-01T00:00:00Z",
                       rules=[tagged("n-second-same", [path_match("/same")])]),
            http_route("m-first", parents=http, hostnames=["prec.example.com"], created="2024-06-01T00:00:00Z",
                       rules=[tagged("m-first-same", [path_match("/same")])]),
        ])
        gh.write("13-hosts.yaml", [
            http_route("host-exact", parents=http, hostnames=["exact.example.com"], rules=[tagged("host-exact")]),
            http_route("host-wild", parents=http, hostnames=["*.wild.example.com"], rules=[tagged("host-wild")]),
            http_route("host-in-wild", parents=http, hostnames=["x.wild.example.com"],
                       rules=[tagged("host-in-wild")]),
            http_route("fall-wild", parents=http, hostnames=["*.fall.example.com"],
                       rules=[tagged("fall-wild-foo", [path_match("/foo")])]),
            http_route("fall-exact", parents=http, hostnames=["a.fall.example.com"],
                       rules=[tagged("fall-exact-bar", [path_match("/bar")])]),
        ])
        gh.write("14-isolation.yaml", [
            http_route("route-a", parents=[{"name": "gw", "sectionName": "only-a"}],
                       rules=[rule([backend_ref("echo-a")])]),
            http_route("route-b", parents=[{"name": "gw", "sectionName": "only-b"}],
                       rules=[rule([backend_ref("echo-b")])]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def get(self, path, host, method="GET", headers=None, port=HTTP_PORT):
        return request(self.ip, port, path, host=host, method=method, headers=headers)

    def assertServedBy(self, res, tag, pod="echo-1"):
        self.assertEqual(res.status, 200, res)
        body = res.json()
        self.assertEqual(body["pod"], pod)
        self.assertEqual(body["headers"].get("X-Matched"), [tag], body)
        return body

    def assertNotFound(self, res):
        self.assertEqual(res.status, 404, res)
        self.assertEqual(res.body, b"Not Found\n")

    # ---- paths ----
    def test_exact_path_matches_only_that_path(self):
        body = self.assertServedBy(self.get("/exact", "paths.example.com"), "exact")
        self.assertEqual(body["path"], "/exact")
        self.assertEqual(body["host"], "paths.example.com")
        self.assertEqual(body["method"], "GET")
        self.assertNotFound(self.get("/exact/more", "paths.example.com"))
        self.assertNotFound(self.get("/exactly", "paths.example.com"))

    def test_exact_path_ignores_query(self):
        body = self.assertServedBy(self.get("/exact?a=1", "paths.example.com"), "exact")
        self.assertEqual(body["path"], "/exact?a=1")

    def test_prefix_matches_whole_segments(self):
        self.assertServedBy(self.get("/prefix", "paths.example.com"), "prefix")
        self.assertServedBy(self.get("/prefix/", "paths.example.com"), "prefix")
        self.assertServedBy(self.get("/prefix/deeper/path", "paths.example.com"), "prefix")
        self.assertNotFound(self.get("/prefixed", "paths.example.com"))
        self.assertNotFound(self.get("/PREFIX", "paths.example.com"))

    def test_prefix_with_trailing_slash_matches_without_it(self):
        self.assertServedBy(self.get("/slash", "paths.example.com"), "slash")
        self.assertServedBy(self.get("/slash/x", "paths.example.com"), "slash")
        self.assertNotFound(self.get("/slashes", "paths.example.com"))

    def test_regex_path_matches_whole_path(self):
        self.assertServedBy(self.get("/re/123", "paths.example.com"), "regex")
        self.assertNotFound(self.get("/re/abc", "paths.example.com"))
        self.assertNotFound(self.get("/re/123/x", "paths.example.com"))

    # ---- headers, query, method ----
    def test_header_exact_match(self):
        self.assertServedBy(self.get("/", "match.example.com", headers={"X-Env": "canary"}), "header-exact")
        self.assertNotFound(self.get("/", "match.example.com", headers={"X-Env": "Canary"}))

    def test_header_name_is_case_insensitive(self):
        self.assertServedBy(self.get("/", "match.example.com", headers={"x-env": "canary"}), "header-exact")

    def test_header_regex_match(self):
        self.assertServedBy(self.get("/", "match.example.com", headers={"X-Version": "v42"}), "header-regex")
        self.assertNotFound(self.get("/", "match.example.com", headers={"X-Version": "version"}))

    def test_query_param_match(self):
        self.assertServedBy(self.get("/?q=one", "match.example.com"), "query")
        self.assertServedBy(self.get("/x?a=b&q=one", "match.example.com"), "query")
        self.assertNotFound(self.get("/?q=two", "match.example.com"))

    def test_method_match(self):
        body = self.assertServedBy(self.get("/", "match.example.com", method="POST"), "method")
        self.assertEqual(body["method"], "POST")
        self.assertNotFound(self.get("/", "match.example.com", method="PUT"))

    def test_method_beats_headers_and_more_headers_beat_fewer(self):
        # Gateway API precedence: method match, then the largest number of header matches, then
        # the largest number of query param matches.
        self.assertServedBy(self.get("/", "match.example.com", method="POST", headers={"X-Env": "canary"}), "method")
        self.assertServedBy(self.get("/", "match.example.com", headers={"X-Env": "canary", "X-Team": "red"}),
                            "two-headers")
        self.assertServedBy(self.get("/?q=one", "match.example.com", headers={"X-Env": "canary"}), "header-exact")

    def test_no_matching_rule_is_404(self):
        self.assertNotFound(self.get("/", "match.example.com"))

    # ---- precedence across routes ----
    def test_exact_beats_prefix_of_older_route(self):
        self.assertServedBy(self.get("/api", "prec.example.com"), "new-exact-api")

    def test_longer_prefix_wins(self):
        self.assertServedBy(self.get("/api/v2/items", "prec.example.com"), "new-prefix-api-v2")
        self.assertServedBy(self.get("/api/v1/items", "prec.example.com"), "old-prefix-api")
        self.assertServedBy(self.get("/api/v2x", "prec.example.com"), "old-prefix-api")

    def test_older_route_wins_a_tie(self):
        self.assertServedBy(self.get("/tie", "prec.example.com"), "old-tie")

    def test_alphabetical_order_breaks_a_timestamp_tie(self):
        self.assertServedBy(self.get("/same", "prec.example.com"), "m-first-same")

    # ---- hostnames ----
    def test_exact_hostname(self):
        self.assertServedBy(self.get("/", "exact.example.com"), "host-exact")
        self.assertServedBy(self.get("/", f"exact.example.com:{HTTP_PORT}"), "host-exact")

    def test_hostname_is_case_insensitive(self):
        self.assertServedBy(self.get("/", "EXACT.Example.COM"), "host-exact")

    def test_wildcard_hostname_matches_subdomains_only(self):
        self.assertServedBy(self.get("/", "foo.wild.example.com"), "host-wild")
        self.assertServedBy(self.get("/", "a.b.wild.example.com"), "host-wild")
        self.assertNotFound(self.get("/", "wild.example.com"))
        self.assertNotFound(self.get("/", "foowild.example.com"))

    def test_exact_hostname_beats_wildcard(self):
        self.assertServedBy(self.get("/", "x.wild.example.com"), "host-in-wild")

    def test_request_falls_through_to_covering_wildcard_route(self):
        # "precedence must be given to rules from the HTTPRoute with the largest number of
        # characters in a matching non-wildcard hostname": the exact host's rules come first,
        # and a request none of them match is still matched against the wildcard's rules.
        self.assertServedBy(self.get("/bar", "a.fall.example.com"), "fall-exact-bar")
        self.assertServedBy(self.get("/foo", "a.fall.example.com"), "fall-wild-foo")
        self.assertNotFound(self.get("/bar", "b.fall.example.com"))

    def test_unknown_host_is_404(self):
        self.assertNotFound(self.get("/", "nothing.example.com"))

    # ---- listener hostname isolation ----
    def test_listener_hostnames_isolate_routes(self):
        a = self.get("/", "a.example.com", port=ISOLATED_PORT)
        self.assertEqual(a.status, 200, a)
        self.assertEqual(a.json()["pod"], "echo-a")
        b = self.get("/", "b.example.com", port=ISOLATED_PORT)
        self.assertEqual(b.status, 200, b)
        self.assertEqual(b.json()["pod"], "echo-b")
        self.assertNotFound(self.get("/", "c.example.com", port=ISOLATED_PORT))
        # Routes of the hostname-less listener on 8080 are not reachable through 8081 listeners.
        self.assertNotFound(self.get("/exact", "paths.example.com", port=ISOLATED_PORT))

    def test_listener_attached_route_counts(self):
        gw = self.gh.find("Gateway", "gw")
        counts = {l["name"]: l["attachedRoutes"] for l in gw["status"]["listeners"]}
        self.assertEqual(counts, {"http": 11, "only-a": 1, "only-b": 1})


if __name__ == "__main__":
    unittest.main()
