"""HTTPRoute retries (GEP-1731) through the real binary against the conformance echo backend,
whose /retry/ path fails the first `succeedAfter` attempts of each uuid (with `responseCode`, else
a TCP reset, each after `delayRetry`): listed codes, connection resets and backend timeouts are
retried up to `attempts` times, other codes are not; a retry goes to another endpoint; a body is
sent again while it fits 64 KiB; every attempt is counted in the client-leg metrics and the
access log. Over HTTP/1.1 (http.client) and HTTP/2 (curl, prior knowledge).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_retries.py
"""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import unittest
import uuid

from prometheus_client.parser import text_string_to_metric_families as parse_text

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    path_match, request, rule, wait_until)

PORT = 8080
HOST = "retry.example.com"
LOG = os.path.join(tempfile.mkdtemp(prefix="gatehouse-retries-"), "access.log")


def retry_rule(name, path, backend, retry, timeouts=None):
    r = rule([backend_ref(backend)], matches=[path_match(path)])
    r["name"] = name
    r["retry"] = retry
    if timeouts:
        r["timeouts"] = timeouts
    return r


class RetriesTest(GatehouseTestCase):
    serve_args = ("--access-log", LOG)

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-retry")
        cls.dead_ip = gh.backend_ip()  # nothing listens: every connect is refused
        gh.write("00-infra.yaml", [gateway_class(), gateway("gw", [listener("http", PORT)]),
                                   *backend_service("echo", [cls.echo.ip]),
                                   *backend_service("halfdead", [cls.dead_ip, cls.echo.ip], port=8081)])
        halfdead = rule([{"name": "halfdead", "port": 8081}], matches=[path_match("/other-endpoint")])
        halfdead["name"] = "other-endpoint"
        halfdead["retry"] = {"attempts": 1, "backoff": "1ms"}
        gh.write("10-route.yaml", [http_route("retries", hostnames=[HOST], rules=[
            retry_rule("codes", "/retry/codes", "echo", {"codes": [500, 502], "attempts": 3, "backoff": "10ms"}),
            retry_rule("reset", "/retry/reset", "echo", {"attempts": 2, "backoff": "10ms"}),
            retry_rule("timeout", "/retry/timeout", "echo", {"attempts": 1, "backoff": "10ms"},
                       timeouts={"request": "30s", "backendRequest": "2s"}),
            retry_rule("budget", "/retry/budget", "echo", {"codes": [500], "attempts": 5, "backoff": "3s"},
                       timeouts={"request": "5s"}),
            halfdead,
        ])])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ip = gateway_address(cls.gh, "gw")
        wait_until(lambda: cls.get("/retry/codes/x?succeedAfter=0&uuid=probe").status == 200, what="route live")

    @classmethod
    def get(cls, path, method="GET", body=None, timeout=15):
        return request(cls.ip, PORT, path, host=HOST, method=method, body=body, timeout=timeout)

    def curl_h2(self, path):
        out = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "--max-time", "15", "-o", "/dev/null",
                              "-w", "%{http_code} %{http_version}", "-H", f"Host: {HOST}",
                              f"http://{self.ip}:{PORT}{path}"], capture_output=True, text=True, timeout=30, check=True)
        status, version = out.stdout.split()
        self.assertEqual(version, "2")
        return int(status)

    def log_entry(self, path):
        """The access log line of the one request for `path` (the uuid makes it unique)."""
        def find():
            with open(LOG) as f:
                found = [json.loads(line) for line in f if f'"path":"{path}"' in line]
            return found[0] if found else None
        return wait_until(find, what=f"access log line for {path}")

    @staticmethod
    def path(prefix, **query):
        query["uuid"] = uuid.uuid4().hex
        return prefix + "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))

    def assertAttempts(self, path, status, attempts):
        entry = self.log_entry(path)
        self.assertEqual((entry["status"], entry["upstream_attempts"]), (status, attempts), entry)

    # ---- status codes ----

    def test_listed_code_is_retried_until_success(self):
        p = self.path("/retry/codes/a", responseCode=500, succeedAfter=2)
        self.assertEqual(self.get(p).status, 200)
        self.assertAttempts(p, 200, 3)

    def test_last_attempts_response_is_returned_when_all_fail(self):
        p = self.path("/retry/codes/a", responseCode=502, succeedAfter=4)
        self.assertEqual(self.get(p).status, 502)
        self.assertAttempts(p, 502, 4)

    def test_unlisted_code_is_not_retried(self):
        p = self.path("/retry/codes/a", responseCode=503, succeedAfter=1)
        self.assertEqual(self.get(p).status, 503)
        self.assertAttempts(p, 503, 1)

    def test_http2_client_is_retried_too(self):
        p = self.path("/retry/codes/h2", responseCode=500, succeedAfter=2)
        self.assertEqual(self.curl_h2(p), 200)
        self.assertAttempts(p, 200, 3)

    # ---- connection errors and backend timeouts ----

    def test_connection_reset_is_retried(self):
        p = self.path("/retry/reset/a", succeedAfter=2)
        self.assertEqual(self.get(p).status, 200)
        self.assertAttempts(p, 200, 3)

    def test_connection_reset_beyond_attempts_is_a_502(self):
        p = self.path("/retry/reset/a", succeedAfter=3)
        self.assertEqual(self.get(p).status, 502)
        entry = self.log_entry(p)
        self.assertEqual((entry["upstream_failure"], entry["upstream_attempts"]), ("bad_response", 3))

    def test_connection_reset_is_retried_for_http2_clients(self):
        p = self.path("/retry/reset/h2", succeedAfter=1)
        self.assertEqual(self.curl_h2(p), 200)
        self.assertAttempts(p, 200, 2)

    def test_backend_timeout_is_retried(self):
        # The first attempt is held for 20 s by the backend: its 2 s backendRequest timeout ends
        # it and the retry succeeds.
        p = self.path("/retry/timeout/a", responseCode=500, succeedAfter=1, delayRetry="20s")
        self.assertEqual(self.get(p).status, 200)
        self.assertAttempts(p, 200, 2)

    def test_request_timeout_bounds_all_attempts(self):
        # Retry 1 waits the 3 s backoff, retry 2 at least 3 s more: past the 5 s request timeout,
        # so it is not made and the second attempt's answer is final.
        p = self.path("/retry/budget/a", responseCode=500, succeedAfter=10)
        self.assertEqual(self.get(p).status, 500)
        entry = self.log_entry(p)
        self.assertEqual(entry["upstream_attempts"], 2)
        self.assertGreaterEqual(entry["duration_ms"], 3000)
        self.assertLess(entry["duration_ms"], 5000)

    # ---- endpoints and bodies ----

    def test_retry_goes_to_another_endpoint(self):
        # One of the two endpoints refuses connections and round robin sends first attempts
        # there too; with one retry, every request succeeds only if the retry goes to the other.
        paths = [self.path("/other-endpoint/x") for _ in range(6)]
        for p in paths:
            self.assertEqual(self.get(p).status, 200)
        self.assertEqual(max(self.log_entry(p)["upstream_attempts"] for p in paths), 2)

    def test_small_body_is_sent_again(self):
        p = self.path("/retry/codes/body", responseCode=500, succeedAfter=1)
        self.assertEqual(self.get(p, method="POST", body=b"x" * 1000).status, 200)
        self.assertAttempts(p, 200, 2)

    def test_body_over_64_kib_is_not_retried(self):
        p = self.path("/retry/codes/body", responseCode=500, succeedAfter=1)
        self.assertEqual(self.get(p, method="POST", body=b"x" * (64 * 1024 + 1)).status, 500)
        self.assertAttempts(p, 500, 1)

    def test_chunked_body_is_sent_again(self):
        p = self.path("/retry/codes/chunked", responseCode=500, succeedAfter=1)
        conn = http.client.HTTPConnection(self.ip, PORT, timeout=15)
        try:
            conn.request("POST", p, body=iter([b"abc", b"defg"]), headers={"Host": HOST},
                         encode_chunked=True)
            self.assertEqual(conn.getresponse().status, 200)
        finally:
            conn.close()
        self.assertAttempts(p, 200, 2)

    # ---- metrics ----

    def test_every_attempt_is_counted_in_the_client_metrics(self):
        labels = {"http_request_method": "GET", "gateway_namespace": "default", "gateway_name": "gw",
                  "listener": "http", "route_kind": "HTTPRoute", "route_namespace": "default",
                  "route_name": "retries", "route_rule": "codes", "backend": "default/echo:8080"}

        def counts():
            status, body = self.gh.admin_get("/metrics")
            self.assertEqual(status, 200)
            out = {}
            for family in parse_text(body.decode()):
                for s in family.samples:
                    if s.name == "http_client_request_duration_seconds_count" and all(
                            s.labels.get(k) == v for k, v in labels.items()):
                        out[s.labels["http_response_status_code"]] = s.value
            return out

        before = counts()
        p = self.path("/retry/codes/metrics", responseCode=500, succeedAfter=2)
        self.assertEqual(self.get(p).status, 200)
        # The last attempt is counted once its response was written: wait for it.
        after = wait_until(lambda: (lambda now: now if now.get("200", 0) > before.get("200", 0) else None)(counts()),
                           what="the last attempt counted")
        self.assertEqual(after.get("500", 0) - before.get("500", 0), 2)
        self.assertEqual(after.get("200", 0) - before.get("200", 0), 1)


if __name__ == "__main__":
    unittest.main()
