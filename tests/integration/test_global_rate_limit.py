"""RateLimitPolicy global limits through the real binary and a real redis-server: two Gatehouse
processes sharing one Redis share one limit (exact counts, the 429's headers), per-header buckets
(a long value hashed in the key), a local and a global limit on one route both enforced, a busy
Redis timing out into the failure mode, the failure modes while Redis is down (Open lets through,
Closed answers 503, gRPC UNAVAILABLE) and the limit back once Redis is, the decision and Redis
call counters, keys that expire, and a flushed script sent again.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_global_rate_limit.py
"""

import hashlib
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_grpc  # noqa: E402  (its raw h2c gRPC client; importing the module adds no test case here)
from gatehouse_harness import (  # noqa: E402
    BIN, Gatehouse, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    path_match, request, rule, wait_until)
from policy_helpers import limit, rate_limit_policy, target  # noqa: E402
from redis_server import REDIS_CLI, REDIS_SERVER, RedisServer  # noqa: E402

PORT = test_grpc.PORT
HOST = "global.example.com"
# A Lua script that holds Redis for one second (Redis runs one script at a time, and nothing else).
BUSY_SECOND = ("local s = redis.call('TIME') repeat local n = redis.call('TIME') "
               "until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 1000000")


def named_rule(name: str) -> dict:
    return dict(rule([backend_ref("echo")], matches=[path_match("/" + name)]), name=name)


def world(echo_ip: str, rules: list, policies: list) -> list:
    return [gateway_class(), gateway("gw", [listener("http", PORT)]), *backend_service("echo", [echo_ip]),
            http_route("global", [named_rule(r) for r in rules], hostnames=[HOST]), *policies]


def on(name: str) -> list:
    return [target("HTTPRoute", "global", name)]


class GlobalLimitCase(unittest.TestCase):
    """A redis-server and `replicas` Gatehouse processes serving `world()` with it."""

    replicas = 1
    workers = 2  # per replica
    rules: list = []
    policies: list = []
    extra: list = []  # more objects of the world

    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")
        if not os.access(REDIS_SERVER, os.X_OK):
            raise unittest.SkipTest("no redis-server (scripts/setup.sh installs it)")
        cls.redis = cls.make_redis()
        cls.addClassCleanup(cls.redis.close)
        cls.redis.start()
        cls.replica = []
        for i in range(cls.replicas):
            gh = Gatehouse(f"{cls.__module__}.{cls.__name__}.{i}", workers=cls.workers,
                           serve_args=("--rate-limit-redis", cls.redis.address, "--rate-limit-redis-timeout", "200ms",
                                       *cls.redis_args(i)))
            cls.addClassCleanup(cls._stop, gh)
            gh.start()
            echo = gh.start_echo("echo-1")
            gh.write("00-world.yaml", world(echo.ip, cls.rules, cls.policies) + cls.extra)
            gh.sync()
            if gh.errors():
                raise AssertionError(f"configuration errors: {gh.errors()}")
            cls.replica.append((gh, gateway_address(gh, "gw")))

    @classmethod
    def make_redis(cls) -> RedisServer:
        return RedisServer()

    @classmethod
    def redis_args(cls, replica: int) -> tuple:
        """More --rate-limit-redis-* flags for replica `replica`."""
        return ()

    @staticmethod
    def _stop(gh):
        problem = gh.stop()
        if problem:
            raise AssertionError(problem)

    def get(self, path, replica=0, headers=None):
        _, ip = self.replica[replica]
        return request(ip, PORT, path, host=HOST, headers=headers)

    def metrics(self, replica=0) -> str:
        code, body = self.replica[replica][0].admin_get("/metrics")
        self.assertEqual(code, 200)
        return body.decode()


class GlobalRateLimitTest(GlobalLimitCase):
    replicas = 2
    rules = ["shared", "per-key", "both", "ttl", "flush"]
    policies = [
        rate_limit_policy("rl-shared", on("shared"), global_limit=limit(4, "1m")),
        rate_limit_policy("rl-key", on("per-key"),
                          global_limit=limit(2, "1h", key={"type": "Header", "header": "X-Api-Key"})),
        rate_limit_policy("rl-both", on("both"), 3, "1h", global_limit=limit(5, "1h")),
        rate_limit_policy("rl-ttl", on("ttl"), global_limit=limit(3, "1m")),
        rate_limit_policy("rl-flush", on("flush"), global_limit=limit(5, "1h")),
        rate_limit_policy("rl-rpc", [target("GRPCRoute", "rpc")], global_limit=limit(2, "1h")),
    ]
    extra = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
              "metadata": {"name": "rpc", "namespace": "default"},
              "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["grpc.example.com"],
                       "rules": [{"backendRefs": [backend_ref("echo")]}]}}]

    def test_two_replicas_share_one_limit(self):
        answers = [self.get("/shared", replica=i % 2) for i in range(6)]
        self.assertEqual([a.status for a in answers], [200] * 4 + [429] * 2)
        limited = answers[4]
        self.assertEqual(limited.header("RateLimit-Policy"), '"rl-shared";q=4;w=60')
        self.assertEqual(limited.header("RateLimit"), '"rl-shared";r=0;t=60')
        self.assertEqual(limited.header("Retry-After"), "15")  # one request per 60 s / 4
        self.assertEqual(limited.text, "Too Many Requests\n")
        # Admitted requests see the shared bucket drain, whichever replica answers.
        self.assertEqual([a.header("RateLimit") for a in answers[:4]],
                         [f'"rl-shared";r={3 - i};t={15 * (i + 1)}' for i in range(4)])
        series = ('gatehouse_global_rate_limit_decisions_total{policy="default/rl-shared",'
                  'target="HTTPRoute/default/global/shared"')
        # Each replica counts its own decisions: A made requests 1, 3, 5 (allowed, allowed, limited).
        for replica in (0, 1):
            text = self.metrics(replica)
            self.assertIn(series + ',decision="allowed"} 2\n', text)
            self.assertIn(series + ',decision="limited"} 1\n', text)
            self.assertIn(series + ',decision="failed_open"} 0\n', text)

    def test_header_values_have_their_own_global_buckets(self):
        alice = {"X-Api-Key": "alice"}
        self.assertEqual([self.get("/per-key", i % 2, alice).status for i in range(3)], [200, 200, 429])
        self.assertEqual([self.get("/per-key", i % 2, {"X-Api-Key": "bob"}).status for i in range(3)],
                         [200, 200, 429])
        self.assertEqual([self.get("/per-key", i % 2).status for i in range(3)], [200, 200, 429])
        long_key = {"X-Api-Key": "k" * 100}
        self.assertEqual([self.get("/per-key", i % 2, long_key).status for i in range(3)], [200, 200, 429])
        prefix = "gatehouse:rl:default/rl-key:HTTPRoute/default/global/per-key:2/3600000:"
        keys = set(self.redis.cli("--scan", "--pattern", prefix + "*").split("\n"))
        self.assertEqual(keys, {prefix + "v:alice", prefix + "v:bob", prefix + "v:",
                                prefix + "h:" + hashlib.sha256(b"k" * 100).hexdigest()})

    def test_local_and_global_limits_on_one_route_are_both_enforced(self):
        # The local limit (3 per replica) stops replica A's 4th request before it takes a global token.
        first = [self.get("/both", 0) for _ in range(4)]
        self.assertEqual([a.status for a in first], [200, 200, 200, 429])
        # An admitted request reports the limit with fewer requests left: here the local one.
        self.assertEqual([(a.header("RateLimit-Policy"), a.header("RateLimit")) for a in first[:3]],
                         [('"rl-both";q=3;w=3600', f'"rl-both";r={2 - i};t={1200 * (i + 1)}') for i in range(3)])
        self.assertEqual(first[3].header("RateLimit-Policy"), '"rl-both";q=3;w=3600')
        # Replica B's local bucket is full, but the global one (5) has 2 tokens left.
        second = [self.get("/both", 1) for _ in range(3)]
        self.assertEqual([a.status for a in second], [200, 200, 429])
        # B's first request leaves 2 local tokens but 1 global one: the global limit is reported.
        self.assertEqual((second[0].header("RateLimit-Policy"), second[0].header("RateLimit")),
                         ('"rl-both";q=5;w=3600', '"rl-both";r=1;t=2880'))
        self.assertEqual(second[2].header("RateLimit-Policy"), '"rl-both";q=5;w=3600')

    def test_grpc_calls_carry_the_headers_then_get_resource_exhausted(self):
        # Over HTTP/2 to both replicas: the headers of the upstream's answer, then the gateway's.
        calls = [test_grpc.raw_grpc_call(self.replica[i % 2][1], "/any.Service/Method")[0] for i in range(3)]
        self.assertEqual([h[":status"] for h in calls], ["200"] * 3)
        self.assertEqual([(h.get("ratelimit-policy"), h.get("ratelimit")) for h in calls[:2]],
                         [('"rl-rpc";q=2;w=3600', '"rl-rpc";r=1;t=1800'),
                          ('"rl-rpc";q=2;w=3600', '"rl-rpc";r=0;t=3600')])
        self.assertEqual((calls[2]["grpc-status"], calls[2]["ratelimit"], calls[2]["retry-after"]),
                         ("8", '"rl-rpc";r=0;t=3600', "1800"))

    def test_keys_expire_when_their_bucket_is_full_again(self):
        key = "gatehouse:rl:default/rl-ttl:HTTPRoute/default/global/ttl:3/60000"
        self.assertEqual(self.get("/ttl").status, 200)
        ttl = int(self.redis.cli("PTTL", key))
        self.assertTrue(18000 < ttl <= 20000, ttl)  # one token taken: full again in 60 s / 3
        self.assertEqual([self.get("/ttl", 1).status for _ in range(3)], [200, 200, 429])
        ttl = int(self.redis.cli("PTTL", key))
        self.assertTrue(58000 < ttl <= 60000, ttl)  # empty: full again in one window

    def test_a_flushed_script_is_sent_again(self):
        key = "gatehouse:rl:default/rl-flush:HTTPRoute/default/global/flush:5/3600000"
        self.assertEqual(self.get("/flush").status, 200)
        self.assertEqual(self.redis.cli("SCRIPT", "FLUSH"), "OK")
        self.assertEqual(self.redis.cli("DEL", key), "1")
        # EVALSHA finds no script (NOSCRIPT); the same call with the script's text decides.
        self.assertEqual(self.get("/flush", 1).status, 200)
        self.assertEqual(self.redis.cli("EXISTS", key), "1")


class GlobalRateLimitFailureTest(GlobalLimitCase):
    # One worker, so one connection to Redis: once a request finds it back, every later one does.
    workers = 1
    rules = ["open", "closed", "slow"]
    policies = [
        rate_limit_policy("rl-slow", on("slow"), global_limit=limit(100, "1h", failureMode="Closed")),
        rate_limit_policy("rl-open", on("open"), global_limit=limit(1, "1h", failureMode="Open")),
        rate_limit_policy("rl-closed", on("closed"), global_limit=limit(1, "1h", failureMode="Closed")),
        rate_limit_policy("rl-rpc", [target("GRPCRoute", "rpc")], global_limit=limit(1, "1h", failureMode="Closed")),
    ]
    extra = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
              "metadata": {"name": "rpc", "namespace": "default"},
              "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["grpc.example.com"],
                       "rules": [{"backendRefs": [backend_ref("echo")]}]}}]

    def counter(self, text: str, policy: str, target_: str, decision: str) -> int:
        series = (f'gatehouse_global_rate_limit_decisions_total{{policy="default/{policy}",target="{target_}",'
                  f'decision="{decision}"}} ')
        match = re.search(re.escape(series) + r"(\d+)\n", text)
        self.assertIsNotNone(match, series)
        return int(match.group(1))

    def test_a_slow_redis_times_out_into_the_failure_mode(self):
        self.assertEqual(self.get("/slow").status, 200)
        # A script that keeps Redis busy for 1 s: every other client waits (the timeout is 200 ms).
        busy = subprocess.Popen([REDIS_CLI, "-p", str(self.redis.port), "EVAL", BUSY_SECOND, "0"],
                                stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.2)
            started = time.monotonic()
            answer = self.get("/slow")
            waited = time.monotonic() - started
        finally:
            busy.wait(10)
        self.assertEqual(answer.status, 503)
        self.assertTrue(0.2 <= waited < 0.8, waited)
        # The late reply was dropped; the connection serves the next decision.
        self.assertEqual(self.get("/slow").status, 200)
        text = self.metrics()
        self.assertEqual(self.counter(text, "rl-slow", "HTTPRoute/default/global/slow", "failed_closed"), 1)
        self.assertEqual(self.counter(text, "rl-slow", "HTTPRoute/default/global/slow", "allowed"), 2)
        self.assertIn('gatehouse_rate_limit_redis_calls_total{result="timeout"} 1\n', text)

    def test_failure_modes_while_redis_is_down_and_the_limit_back_after(self):
        self.assertEqual([self.get("/closed").status for _ in range(2)], [200, 429])
        self.assertEqual([self.get("/open").status for _ in range(2)], [200, 429])
        self.redis.stop()
        try:
            self.assertEqual([self.get("/open").status for _ in range(3)], [200] * 3)
            closed = [self.get("/closed") for _ in range(3)]
            self.assertEqual([a.status for a in closed], [503] * 3)
            self.assertEqual(closed[0].text, "Service Unavailable\n")
            self.assertIsNone(closed[0].header("RateLimit"))
            headers, trailers, _ = test_grpc.raw_grpc_call(self.replica[0][1], "/any.Service/Method")
            self.assertEqual((headers[":status"], headers["grpc-status"], trailers), ("200", "14", {}))
        finally:
            self.redis.start()
        # A new Redis has no buckets: once reconnected (after the backoff), each limit starts afresh.
        refused = []

        def answered():
            status = self.get("/closed").status
            if status == 503:
                refused.append(status)
            return status != 503 and status

        self.assertEqual(wait_until(answered, what="the closed limit back"), 200)
        self.assertEqual(self.get("/closed").status, 429)
        self.assertEqual([self.get("/open").status for _ in range(2)], [200, 429])
        text = self.metrics()
        self.assertEqual(self.counter(text, "rl-closed", "HTTPRoute/default/global/closed", "failed_closed"),
                         3 + len(refused))
        self.assertEqual(self.counter(text, "rl-open", "HTTPRoute/default/global/open", "failed_open"), 3)
        self.assertEqual(self.counter(text, "rl-open", "HTTPRoute/default/global/open", "limited"), 2)
        self.assertEqual(self.counter(text, "rl-rpc", "GRPCRoute/default/rpc", "failed_closed"), 1)
        calls = dict(re.findall(r'gatehouse_rate_limit_redis_calls_total\{result="(\w+)"\} (\d+)\n', text))
        self.assertEqual(set(calls), {"ok", "error", "timeout"})
        self.assertGreaterEqual(int(calls["error"]), 7)  # every failed decision had no connection
        self.assertGreaterEqual(int(calls["ok"]), 6)


if __name__ == "__main__":
    unittest.main()
