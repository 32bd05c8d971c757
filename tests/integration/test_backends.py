"""Backends through the real binary: weighted choice, weight 0, invalid backends (500) and
Services without ready endpoints (503).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_backends.py
"""

import collections
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, KeepAliveClient, RawConnection, backend_ref, backend_service, endpoint_slice, gateway, gateway_address,
    gateway_class, http_route, listener, path_match, rule, service)

PORT = 8080
HOST = "backends.example.com"


class QuickClosingBackend:
    """A keep-alive HTTP/1.1 backend that silently closes a connection idle for 100 ms (as
    backends with a short keep-alive timeout do), counting requests and connections."""

    def __init__(self, ip, port=3000):
        self.listener = socket.create_server((ip, port))
        self.connections = 0
        self.requests = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(0.1)
        data = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    return  # idle: close without a word
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:  # requests without bodies or with Content-Length: 0
                    _, data = data.split(b"\r\n\r\n", 1)
                    self.requests += 1
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def stop(self):
        self.listener.close()


class BackendsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        quick_ip = gh.backend_ip()
        cls.quick = QuickClosingBackend(quick_ip)
        cls.addClassCleanup(cls.quick.stop)
        cls.heavy = gh.start_echo("heavy")
        cls.light = gh.start_echo("light")
        cls.flaky = gh.start_echo("flaky")
        cls.fresh = gh.start_echo("fresh")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("heavy", [cls.heavy.ip]),
            *backend_service("light", [cls.light.ip]),
            service("no-endpoints"),
            *backend_service("dead", [gh.backend_ip()]),  # nothing listens there
            *backend_service("flaky", [cls.flaky.ip]),
            *backend_service("fresh", [cls.fresh.ip]),
            *backend_service("quick", [quick_ip]),
            service("not-ready"),
            endpoint_slice("not-ready", [gh.backend_ip()], ready=False),
        ])
        gh.write("10-routes.yaml", [http_route("backends", hostnames=[HOST], rules=[
            rule([backend_ref("heavy", weight=3), backend_ref("light", weight=1)], matches=[path_match("/weighted")]),
            rule([backend_ref("heavy", weight=1), backend_ref("light", weight=0)], matches=[path_match("/zero")]),
            rule([backend_ref("missing"), backend_ref("heavy", port=9999)], matches=[path_match("/all-invalid")]),
            rule([backend_ref("heavy"), backend_ref("missing")], matches=[path_match("/half-invalid")]),
            rule([backend_ref("no-endpoints")], matches=[path_match("/no-endpoints")]),
            rule([backend_ref("not-ready")], matches=[path_match("/not-ready")]),
            rule(matches=[path_match("/no-backend-refs")]),
            rule([backend_ref("dead")], matches=[path_match("/dead")]),
            rule([backend_ref("heavy")], matches=[path_match("/pooled")]),
            rule([backend_ref("flaky")], matches=[path_match("/retry"), path_match("/warm")]),
            rule([backend_ref("quick")], matches=[path_match("/quick")]),
        ])])
        gh.write("11-fresh.yaml", [http_route("fresh", hostnames=["fresh.example.com"],
                                              rules=[rule([backend_ref("fresh")])])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def count(self, path, n):
        client = KeepAliveClient(self.ip, PORT)
        statuses, pods = collections.Counter(), collections.Counter()
        try:
            for _ in range(n):
                res = client.get(path, HOST)
                statuses[res.status] += 1
                if res.status == 200:
                    pods[res.json()["pod"]] += 1
        finally:
            client.close()
        return statuses, pods

    def test_weights_3_to_1(self):
        statuses, pods = self.count("/weighted", 400)
        self.assertEqual(statuses, {200: 400})
        share = pods["heavy"] / 400
        print(f"\nweighted 3:1 over 400 requests: {dict(pods)} (heavy share {share:.3f})")
        self.assertAlmostEqual(share, 0.75, delta=0.08, msg=dict(pods))
        self.assertEqual(pods["heavy"] + pods["light"], 400)

    def test_weight_zero_gets_nothing(self):
        statuses, pods = self.count("/zero", 60)
        self.assertEqual(statuses, {200: 60})
        self.assertEqual(pods, {"heavy": 60})

    def test_rule_with_only_invalid_backends_answers_500(self):
        statuses, _ = self.count("/all-invalid", 10)
        self.assertEqual(statuses, {500: 10})

    def test_invalid_backend_share_answers_500(self):
        # Spec: requests that would have been sent to an invalid backend get a 500; the rest are
        # served by the valid one (weights 1:1).
        statuses, pods = self.count("/half-invalid", 200)
        print(f"\nhalf-invalid over 200 requests: {dict(statuses)}")
        self.assertEqual(set(statuses), {200, 500}, statuses)
        self.assertAlmostEqual(statuses[500] / 200, 0.5, delta=0.12, msg=dict(statuses))
        self.assertEqual(pods, {"heavy": statuses[200]})

    def test_route_with_invalid_backend_reports_resolved_refs_false(self):
        route = self.gh.find("HTTPRoute", "backends")
        conditions = route["status"]["parents"][0]["conditions"]
        self.assertCondition(conditions, "Accepted", "True", "Accepted", route["metadata"]["generation"])
        self.assertCondition(conditions, "ResolvedRefs", "False", "BackendNotFound", route["metadata"]["generation"])

    def test_service_without_endpoints_answers_503(self):
        statuses, _ = self.count("/no-endpoints", 5)
        self.assertEqual(statuses, {503: 5})

    def test_service_with_only_unready_endpoints_answers_503(self):
        statuses, _ = self.count("/not-ready", 5)
        self.assertEqual(statuses, {503: 5})

    def test_rule_without_backend_refs_answers_500(self):
        # Spec: a rule with no backendRefs and no filter that answers gets a 500.
        statuses, _ = self.count("/no-backend-refs", 3)
        self.assertEqual(statuses, {500: 3})

    def test_endpoint_refusing_connections_answers_503(self):
        statuses, _ = self.count("/dead", 3)
        self.assertEqual(statuses, {503: 3})

    def test_upstream_reset_on_new_connection_answers_502(self):
        # The echo resets the connection of the first request carrying this uuid. The first
        # request to a pod nobody used before goes on a new upstream connection: no retry.
        target = "/retry/x?uuid=itest-fresh&succeedAfter=1"
        client = KeepAliveClient(self.ip, PORT)
        try:
            first = client.get(target, "fresh.example.com")
            self.assertEqual(first.status, 502, first)
            res = client.get(target, "fresh.example.com")
            self.assertEqual(res.status, 200, res)
            self.assertEqual(res.json()["path"], target)
        finally:
            client.close()
        self.assertEqual(self.fresh.requests_seen().count(target), 1)  # the reset one is not logged as echoed

    def reset_on_pooled_connection(self, method, uuid):
        """Warms a pooled upstream connection, then sends `method` that the echo answers with a
        reset on it. Returns (status, how many times the backend received the request)."""
        target = f"/retry/x?uuid={uuid}&succeedAfter=1"
        conn = RawConnection(self.ip, PORT)
        try:
            conn.send(f"GET /warm HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            self.assertEqual(conn.read_response().status, 200)
            conn.send(f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n".encode())
            status = conn.read_response().status
        finally:
            conn.close()
        # The echo logs only echoed requests; a reset one shows up as a second, echoed, arrival.
        return status, self.flaky.requests_seen().count(target)

    def test_idempotent_request_retried_after_reset_on_pooled_connection(self):
        # A pooled connection may have been closed by the backend meanwhile: an idempotent
        # request that got no response byte is sent once more on a new connection.
        status, echoed = self.reset_on_pooled_connection("GET", "itest-pooled-get")
        self.assertEqual((status, echoed), (200, 1))

    def test_non_idempotent_request_not_retried_after_reset(self):
        # RFC 9110 9.2.2 / RFC 7230 6.3.1: a proxy MUST NOT automatically retry non-idempotent
        # requests; the backend may have acted on it (the echo did read it before resetting).
        status, echoed = self.reset_on_pooled_connection("POST", "itest-pooled-post")
        self.assertEqual((status, echoed), (502, 0))

    def test_upstream_connections_are_reused(self):
        # One downstream keep-alive connection lives on one worker; its upstream connection goes
        # back to that worker's pool after each response and is taken again for the next.
        statuses, _ = self.count("/pooled", 20)
        self.assertEqual(statuses, {200: 20})
        clients = self.heavy.clients_seen("/pooled")
        self.assertEqual(len(clients), 20)
        self.assertEqual(len(set(clients)), 1, clients)

    def test_pooled_connection_the_backend_closed_while_idle_is_not_used(self):
        # Within Pool::kFresh an idempotent request takes its pooled connection unprobed and is
        # replayed when the backend closed it; a POST probes first. Either way the client sees
        # only 200s, and each request reaches the backend exactly once, on a new connection.
        conn = RawConnection(self.ip, PORT)
        try:
            for method in ("GET", "GET", "POST", "GET"):
                conn.send(f"{method} /quick HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n\r\n".encode())
                self.assertEqual(conn.read_response().status, 200, method)
                time.sleep(0.3)  # the backend closes its end after 100 ms
        finally:
            conn.close()
        self.assertEqual((self.quick.requests, self.quick.connections), (4, 4))


if __name__ == "__main__":
    unittest.main()
