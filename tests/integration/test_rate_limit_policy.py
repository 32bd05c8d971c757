"""RateLimitPolicy local limits through the real binary: the exact number of 200s before the
429s of a burst, the RateLimit-Policy / RateLimit / Retry-After headers, buckets per client
address and per header value, a listener's limit, one bucket shared by all workers, refill after
the window, the decision counter in /metrics and the policies' status.ancestors. Windows are long
(an hour) wherever only counting matters, so no test depends on timing; the refill test waits
for a 2 s window.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_rate_limit_policy.py
"""

import concurrent.futures
import http.client
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, Response, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route,
    listener, path_match, request, rule, wait_until)
from policy_helpers import rate_limit_policy, target  # noqa: E402

PORT = 8080
ADMIN_PORT = 8081
HOST = "limited.example.com"
RULES = ["burst", "per-client", "per-key", "refill", "shared", "metrics", "free", "quiet"]
# A response filter sees the RateLimit headers and can remove them.
QUIET = [{"type": "ResponseHeaderModifier", "responseHeaderModifier": {"remove": ["RateLimit", "RateLimit-Policy"]}}]


def named_rule(name: str) -> dict:
    filters = QUIET if name == "quiet" else None
    return dict(rule([backend_ref("echo")], matches=[path_match("/" + name)], filters=filters), name=name)


def from_address(ip: str, port: int, path: str, source: str) -> Response:
    """One request on a new connection from the local address `source`."""
    conn = http.client.HTTPConnection(ip, port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": HOST})
        res = conn.getresponse()
        return Response(res.status, res.reason, list(res.getheaders()), res.read())
    finally:
        conn.close()


def world(echo_ip: str) -> list:
    return [
        gateway_class(),
        gateway("gw", [listener("http", PORT), listener("admin", ADMIN_PORT)]),
        *backend_service("echo", [echo_ip]),
        http_route("limited", [named_rule(r) for r in RULES], parents=[{"name": "gw", "sectionName": "http"}],
                   hostnames=[HOST]),
        http_route("console", [rule([backend_ref("echo")])], parents=[{"name": "gw", "sectionName": "admin"}]),
        rate_limit_policy("rl-burst", [target("HTTPRoute", "limited", "burst")], 5, "1h"),
        rate_limit_policy("rl-client", [target("HTTPRoute", "limited", "per-client")], 2, "1h",
                          key={"type": "ClientAddress"}),
        rate_limit_policy("rl-key", [target("HTTPRoute", "limited", "per-key")], 2, "1h",
                          key={"type": "Header", "header": "X-Api-Key"}),
        rate_limit_policy("rl-refill", [target("HTTPRoute", "limited", "refill")], 2, "2s"),
        rate_limit_policy("rl-shared", [target("HTTPRoute", "limited", "shared")], 10, "1h"),
        rate_limit_policy("rl-metrics", [target("HTTPRoute", "limited", "metrics")], 4, "1h"),
        rate_limit_policy("rl-admin", [target("Gateway", "gw", "admin")], 3, "1h"),
        rate_limit_policy("rl-quiet", [target("HTTPRoute", "limited", "quiet")], 2, "1h"),
    ]


class RateLimitPolicyTest(GatehouseTestCase):
    workers = 4  # the shared bucket must hold across workers

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-world.yaml", world(cls.echo.ip))
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def get(self, path, headers=None, port=PORT, host=HOST):
        return request(self.ip, port, path, host=host, headers=headers)

    def statuses(self, path, n, headers=None, port=PORT, host=HOST):
        return [self.get(path, headers, port, host).status for _ in range(n)]

    def test_a_burst_gets_exactly_the_limit_then_429_with_ratelimit_headers(self):
        answers = [self.get("/burst") for _ in range(8)]
        self.assertEqual([a.status for a in answers], [200] * 5 + [429] * 3)
        limited = answers[5]
        self.assertEqual(limited.header("RateLimit-Policy"), '"rl-burst";q=5;w=3600')
        self.assertEqual(limited.header("RateLimit"), '"rl-burst";r=0;t=3600')
        self.assertEqual(limited.header("Retry-After"), "720")  # one request per 3600 s / 5
        self.assertEqual(limited.text, "Too Many Requests\n")
        self.assertEqual(self.echo.requests_seen().count("/burst"), 5)
        # Each admitted request's response tells what is left: one token refills every 720 s.
        self.assertEqual([(a.header("RateLimit-Policy"), a.header("RateLimit"), a.header("Retry-After"))
                          for a in answers[:5]],
                         [('"rl-burst";q=5;w=3600', f'"rl-burst";r={4 - i};t={720 * (i + 1)}', None)
                          for i in range(5)])

    def test_a_response_filter_can_remove_the_ratelimit_headers(self):
        answers = [self.get("/quiet") for _ in range(3)]
        self.assertEqual([a.status for a in answers], [200, 200, 429])
        self.assertEqual([(a.header("RateLimit-Policy"), a.header("RateLimit")) for a in answers[:2]],
                         [(None, None)] * 2)
        # The gateway's own 429 is not filtered.
        self.assertEqual(answers[2].header("RateLimit"), '"rl-quiet";r=0;t=3600')

    def test_client_addresses_have_their_own_buckets(self):
        first = [from_address(self.ip, PORT, "/per-client", "127.0.0.1").status for _ in range(3)]
        second = [from_address(self.ip, PORT, "/per-client", "127.0.0.2").status for _ in range(3)]
        self.assertEqual(first, [200, 200, 429])
        self.assertEqual(second, [200, 200, 429])

    def test_header_values_have_their_own_buckets_and_no_header_is_one_more(self):
        self.assertEqual(self.statuses("/per-key", 3, {"X-Api-Key": "alice"}), [200, 200, 429])
        self.assertEqual(self.statuses("/per-key", 3, {"X-Api-Key": "bob"}), [200, 200, 429])
        self.assertEqual(self.statuses("/per-key", 3), [200, 200, 429])
        self.assertEqual(self.statuses("/per-key", 1, {"X-Api-Key": "alice"}), [429])

    def test_the_bucket_refills_after_the_window(self):
        self.assertEqual(self.statuses("/refill", 3), [200, 200, 429])
        time.sleep(2.2)
        self.assertEqual(self.statuses("/refill", 3), [200, 200, 429])

    def test_workers_share_one_bucket(self):
        # 30 connections at once are spread over the 4 workers (SO_REUSEPORT); the limit holds.
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            codes = list(pool.map(lambda _: self.get("/shared").status, range(30)))
        self.assertEqual(sorted(codes), [200] * 10 + [429] * 20)

    def test_unlimited_rules_and_other_listeners_are_not_counted(self):
        answers = [self.get("/free") for _ in range(20)]
        self.assertEqual([(a.status, a.header("RateLimit")) for a in answers], [(200, None)] * 20)

    def test_a_listener_limit_covers_the_routes_on_that_listener(self):
        self.assertEqual(self.statuses("/", 5, port=ADMIN_PORT, host="console.example.com"), [200] * 3 + [429] * 2)

    def test_decisions_are_counted_in_metrics(self):
        self.assertEqual(self.statuses("/metrics", 6), [200] * 4 + [429] * 2)
        code, body = self.gh.admin_get("/metrics")
        self.assertEqual(code, 200)
        text = body.decode() if isinstance(body, bytes) else body
        series = 'gatehouse_rate_limit_decisions_total{policy="default/rl-metrics",target="HTTPRoute/default/limited/metrics"'
        self.assertIn(series + ',decision="allowed"} 4\n', text)
        self.assertIn(series + ',decision="limited"} 2\n', text)

    def test_policies_report_accepted_for_their_targets(self):
        policy = self.gh.find("RateLimitPolicy", "rl-admin")
        self.assertEqual(len(policy["status"]["ancestors"]), 1, policy)
        ancestor = policy["status"]["ancestors"][0]
        self.assertEqual(ancestor["ancestorRef"], {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                   "namespace": "default", "name": "gw", "sectionName": "admin"})
        self.assertEqual(ancestor["controllerName"], "gatehouse.dev/gateway-controller")
        self.assertCondition(ancestor["conditions"], "Accepted", "True", "Accepted", generation=1)


class RateLimitPolicyChangesTest(GatehouseTestCase):
    """Live changes: an unrelated change keeps a bucket's count, a changed limit starts afresh,
    and a policy that loses its target to an older one is Conflicted."""

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-world.yaml", [
            gateway_class(), gateway("gw", [listener("http", PORT)]), *backend_service("echo", [cls.echo.ip]),
            http_route("limited", [named_rule("a"), named_rule("b")], hostnames=[HOST]),
        ])
        gh.write("10-policy.yaml", [rate_limit_policy("limit-a", [target("HTTPRoute", "limited", "a")], 3, "1h",
                                                      created="2026-01-01T00:00:00Z")])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def get_status(self, path):
        return request(self.ip, PORT, path, host=HOST).status

    def test_buckets_survive_unrelated_changes_and_restart_when_the_limit_changes(self):
        self.assertEqual([self.get_status("/a") for _ in range(2)], [200, 200])
        # An unrelated change (another route) publishes a new snapshot; the bucket keeps its count.
        self.gh.write("20-other.yaml", [http_route("other", [rule([backend_ref("echo")])], hostnames=["o.example"])])
        self.gh.sync()
        self.assertEqual([self.get_status("/a") for _ in range(2)], [200, 429])
        # A newer policy on the same rule is Conflicted and changes nothing.
        self.gh.write("30-newer.yaml", [rate_limit_policy("newer", [target("HTTPRoute", "limited", "a")], 100, "1h",
                                                          created="2026-02-01T00:00:00Z")])
        self.gh.sync()
        newer = self.gh.wait_status(lambda _: (p := self.gh.find("RateLimitPolicy", "newer")) and p.get("status") and p)
        self.assertCondition(newer["status"]["ancestors"][0]["conditions"], "Accepted", "False", "Conflicted")
        self.assertEqual(self.get_status("/a"), 429)
        # A changed limit is a new bucket.
        self.gh.write("10-policy.yaml", [rate_limit_policy("limit-a", [target("HTTPRoute", "limited", "a")], 4, "1h",
                                                           created="2026-01-01T00:00:00Z")])
        self.gh.sync()
        self.gh.wait_status(lambda _: self.gh.find("RateLimitPolicy", "limit-a")["metadata"]["generation"] == 2)
        # The first 200 is the new bucket's first request.
        wait_until(lambda: self.get_status("/a") == 200, what="the changed limit live")
        self.assertEqual([self.get_status("/a") for _ in range(4)], [200, 200, 200, 429])
        self.assertEqual(self.get_status("/b"), 200)


class OverridesTest(GatehouseTestCase):
    """GEP-713 overrides: a Gateway's limit under spec.overrides wins over the route's default
    limit (a route policy could otherwise lift it); a default on the Gateway does not."""

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        ceiling = rate_limit_policy("ceiling", [target("Gateway", "gw", "strict")], 2, "1h")
        ceiling["spec"]["overrides"] = {"local": ceiling["spec"].pop("local")}
        gh.write("00-world.yaml", [
            gateway_class(), gateway("gw", [listener("strict", PORT), listener("lenient", ADMIN_PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            http_route("generous", [rule([backend_ref("echo")])], hostnames=[HOST]),
            rate_limit_policy("route-default", [target("HTTPRoute", "generous")], 100, "1h"),
            ceiling,
            rate_limit_policy("gateway-default", [target("Gateway", "gw", "lenient")], 2, "1h"),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def test_the_gateways_override_beats_the_routes_default(self):
        answers = [request(self.ip, PORT, "/", host=HOST) for _ in range(3)]
        self.assertEqual([a.status for a in answers], [200, 200, 429])
        self.assertEqual(answers[2].header("RateLimit-Policy"), '"ceiling";q=2;w=3600')

    def test_the_gateways_default_yields_to_the_routes(self):
        self.assertEqual([request(self.ip, ADMIN_PORT, "/", host=HOST).status for _ in range(5)], [200] * 5)


if __name__ == "__main__":
    unittest.main()
