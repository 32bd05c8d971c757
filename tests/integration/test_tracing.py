"""`serve --otlp-endpoint URL --trace-sampling RATIO`: W3C trace context in and out, and the spans
exported as OTLP/HTTP JSON, from the real binary with the conformance echo backend (which shows
the headers it received) and a local OTLP receiver that decodes each export request and checks
its envelope: a server span per request, a client span per upstream attempt, ids linked, the
attributes and status, over HTTP/1.1 and HTTP/2.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_tracing.py
"""

import http.server
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    ROOT, GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    path_match, request, rule, wait_until)

sys.path.insert(0, ROOT)
from tests.fakekube.certs import CertificateAuthority  # noqa: E402

PORT = 8080
HOST = "shop.example.com"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# The flush period of a worker's span buffer (SpanBuffer::kFlushAfter) and some slack.
FLUSH_WAIT = 2.0


class OtlpReceiver:
    """POST /v1/traces on 127.0.0.1: keeps every span of every export request, and every request
    that broke the OTLP/JSON envelope rules, in `errors`."""

    def __init__(self, tls=None, host="127.0.0.1"):
        """tls: (certificate file, key file) to serve https:// with; `host` is what the URL names."""
        self.spans, self.errors, self.lock = [], [], threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.accept(self.path, self.headers.get("Content-Type"), body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"{'https' if tls else 'http'}://{host}:{self.server.server_address[1]}"

    def accept(self, path, content_type, body):
        try:
            assert path == "/v1/traces", path
            assert content_type == "application/json", content_type
            export = json.loads(body)
            assert list(export) == ["resourceSpans"], list(export)
            [resource] = export["resourceSpans"]
            assert resource["resource"] == {
                "attributes": [{"key": "service.name", "value": {"stringValue": "gatehouse"}}]}, resource
            [scope] = resource["scopeSpans"]
            assert scope["scope"] == {"name": "gatehouse"}, scope
            spans = scope["spans"]
            assert spans, "an export request without spans"
            for span in spans:
                assert HEX32.match(span["traceId"]) and HEX16.match(span["spanId"]), span
                assert "parentSpanId" not in span or HEX16.match(span["parentSpanId"]), span
                # int64 as decimal strings (OTLP/JSON), ends after starts.
                assert isinstance(span["startTimeUnixNano"], str) and isinstance(span["endTimeUnixNano"], str)
                assert int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"]), span
                assert abs(int(span["startTimeUnixNano"]) / 1e9 - time.time()) < 60, span
                assert span["kind"] in (2, 3), span
            with self.lock:
                self.spans.extend(spans)
        except (AssertionError, KeyError, ValueError) as error:
            with self.lock:
                self.errors.append(repr(error))

    def of_trace(self, trace_id):
        with self.lock:
            return [s for s in self.spans if s["traceId"] == trace_id]

    def wait_spans(self, trace_id, count):
        spans = wait_until(lambda: (lambda found: found if len(found) >= count else None)(self.of_trace(trace_id)),
                           what=f"{count} spans of trace {trace_id}")
        time.sleep(0.2)  # none more should come
        spans = self.of_trace(trace_id)
        assert len(spans) == count, spans
        server = [s for s in spans if s["kind"] == 2]
        clients = [s for s in spans if s["kind"] == 3]
        assert len(server) == 1, spans
        return server[0], clients

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def attributes(span):
    out = {}
    for a in span["attributes"]:
        (kind, value), = a["value"].items()
        out[a["key"]] = int(value) if kind == "intValue" else value
        assert kind in ("stringValue", "intValue"), a
        assert kind != "intValue" or isinstance(value, str), a  # int64 as a string
    return out


IDENTITY = {"gatehouse.gateway.namespace": "default", "gatehouse.gateway.name": "gw", "gatehouse.listener": "http",
            "gatehouse.route.kind": "HTTPRoute", "gatehouse.route.namespace": "default",
            "gatehouse.route.name": "shop"}


class TracingTest(GatehouseTestCase):
    receiver = OtlpReceiver()
    serve_args = ("--otlp-endpoint", receiver.url)

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        cls.dead_ip = gh.backend_ip()
        gh.write("00-infra.yaml", [
            gateway_class(), gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("down", [cls.dead_ip], port=9090),
        ])
        api = rule([backend_ref("echo")], matches=[path_match("/api")])
        api["name"] = "api"
        retried = rule([backend_ref("echo")], matches=[path_match("/retry")])
        retried["retry"] = {"codes": [500], "attempts": 2, "backoff": "1ms"}
        gh.write("10-route.yaml", [http_route("shop", hostnames=[HOST], rules=[
            api, rule([backend_ref("down", port=9090)], matches=[path_match("/down")]), retried])])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ip = gateway_address(cls.gh, "gw")
        wait_until(lambda: request(cls.ip, PORT, "/api", host=HOST).status == 200, what="route live")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.receiver.stop()

    def tearDown(self):
        self.assertEqual(self.receiver.errors, [])

    def get(self, path, headers=None):
        return request(self.ip, PORT, path, host=HOST, headers=headers or {})

    def curl_h2(self, path, *headers):
        args = ["curl", "-sS", "--http2-prior-knowledge", "--max-time", "15", "-H", f"Host: {HOST}"]
        for h in headers:
            args += ["-H", h]
        out = subprocess.run([*args, f"http://{self.ip}:{PORT}{path}"], capture_output=True, text=True,
                             timeout=30, check=True)
        return json.loads(out.stdout)

    def assertLinked(self, server, client, propagated):
        """The upstream saw the client span as its parent; the client span is the server span's child."""
        trace_id, parent, _ = TRACEPARENT.match(propagated).groups()
        self.assertEqual((client["traceId"], client["spanId"], client["parentSpanId"]),
                         (server["traceId"], parent, server["spanId"]))
        self.assertEqual(trace_id, server["traceId"])

    # ---- HTTP/1.1 ----

    def test_incoming_sampled_trace_is_continued_and_linked(self):
        res = self.get("/api/items?x=1", {"traceparent": f"00-{TRACE[:-4]}0001-{CLIENT_SPAN}-01",
                                          "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
                                          "User-Agent": "tracing-test"})
        self.assertEqual(res.status, 200)
        seen = res.json()["headers"]
        [propagated] = seen["Traceparent"]
        self.assertEqual(seen["Tracestate"], ["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"])
        trace_id, parent, flags = TRACEPARENT.match(propagated).groups()
        self.assertEqual((trace_id, flags), (TRACE[:-4] + "0001", "01"))
        self.assertNotEqual(parent, CLIENT_SPAN)  # the proxy's own span
        server, [client] = self.receiver.wait_spans(trace_id, 2)
        self.assertLinked(server, client, propagated)
        self.assertEqual(server["parentSpanId"], CLIENT_SPAN)
        self.assertEqual((server["name"], client["name"]), ("GET", "GET"))
        self.assertEqual((server["status"], client["status"]), ({}, {}))
        self.assertEqual(server["traceState"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        server_attributes = attributes(server)
        self.assertRegex(server_attributes.pop("client.address"), r"^127\.")
        self.assertIsInstance(server_attributes.pop("client.port"), int)
        self.assertEqual(server_attributes, {
            "http.request.method": "GET", "url.scheme": "http", "url.path": "/api/items", "url.query": "x=1",
            "server.address": HOST, "server.port": PORT, "network.protocol.version": "1.1",
            "user_agent.original": "tracing-test", "http.response.status_code": 200, **IDENTITY,
            "gatehouse.route.rule": "api", "gatehouse.backend": "default/echo:8080"})
        self.assertEqual(attributes(client), {
            "http.request.method": "GET", "url.full": f"http://{HOST}/api/items?x=1",
            "server.address": self.echo.ip, "server.port": 3000, "network.protocol.version": "1.1",
            "http.response.status_code": 200, "gatehouse.backend": "default/echo:8080"})
        self.assertLessEqual(int(server["startTimeUnixNano"]), int(client["startTimeUnixNano"]))
        self.assertLessEqual(int(client["endTimeUnixNano"]), int(server["endTimeUnixNano"]))

    def test_request_without_traceparent_starts_a_trace(self):
        res = self.get("/api/new")
        [propagated] = res.json()["headers"]["Traceparent"]
        trace_id, _, flags = TRACEPARENT.match(propagated).groups()
        self.assertEqual(flags, "03")  # sampled, and the trace id is random (Level 2)
        self.assertNotIn("Tracestate", res.json()["headers"])
        server, [client] = self.receiver.wait_spans(trace_id, 2)
        self.assertNotIn("parentSpanId", server)
        self.assertLinked(server, client, propagated)

    def test_invalid_traceparent_starts_a_new_trace_and_drops_tracestate(self):
        res = self.get("/api/invalid", {"traceparent": f"00-{TRACE.upper()}-{CLIENT_SPAN}-01",
                                        "tracestate": "rojo=1"})
        seen = res.json()["headers"]
        [propagated] = seen["Traceparent"]
        trace_id, _, _ = TRACEPARENT.match(propagated).groups()
        self.assertNotEqual(trace_id, TRACE)
        self.assertNotIn("Tracestate", seen)
        server, _ = self.receiver.wait_spans(trace_id, 2)
        self.assertNotIn("parentSpanId", server)

    def test_unsampled_incoming_trace_is_propagated_but_not_recorded(self):
        unsampled = TRACE[:-4] + "0002"
        res = self.get("/api/unsampled", {"traceparent": f"00-{unsampled}-{CLIENT_SPAN}-00"})
        [propagated] = res.json()["headers"]["Traceparent"]
        trace_id, parent, flags = TRACEPARENT.match(propagated).groups()
        self.assertEqual((trace_id, flags), (unsampled, "00"))
        self.assertNotEqual(parent, CLIENT_SPAN)
        time.sleep(FLUSH_WAIT)
        self.assertEqual(self.receiver.of_trace(unsampled), [])

    def test_upstream_failure_sets_error_status_on_both_spans(self):
        failed = TRACE[:-4] + "0003"
        self.assertEqual(self.get("/down", {"traceparent": f"00-{failed}-{CLIENT_SPAN}-01"}).status, 503)
        server, [client] = self.receiver.wait_spans(failed, 2)
        self.assertEqual(server["status"], {"code": 2, "message": "503"})
        self.assertEqual(client["status"], {"code": 2, "message": "connection_refused"})
        self.assertEqual((attributes(server)["error.type"], attributes(server)["http.response.status_code"]),
                         ("503", 503))
        self.assertEqual(attributes(client)["error.type"], "connection_refused")
        self.assertNotIn("http.response.status_code", attributes(client))
        self.assertEqual(attributes(client)["server.address"], self.dead_ip)

    def test_unmatched_request_gets_a_server_span_only(self):
        unmatched = TRACE[:-4] + "0004"
        res = request(self.ip, PORT, "/x", host="other.example.com",
                      headers={"traceparent": f"00-{unmatched}-{CLIENT_SPAN}-01"})
        self.assertEqual(res.status, 404)
        server, clients = self.receiver.wait_spans(unmatched, 1)
        self.assertEqual(clients, [])
        self.assertEqual(server["status"], {})  # a 4xx is the client's error
        self.assertNotIn("gatehouse.route.name", attributes(server))
        self.assertEqual(attributes(server)["gatehouse.listener"], "http")

    def test_each_retried_attempt_is_a_client_span_with_its_own_id(self):
        retried = TRACE[:-4] + "0005"
        path = f"/retry/codes/x?responseCode=500&succeedAfter=1&uuid={uuid.uuid4().hex}"
        res = self.get(path, {"traceparent": f"00-{retried}-{CLIENT_SPAN}-01"})
        self.assertEqual(res.status, 200)
        [propagated] = res.json()["headers"]["Traceparent"]
        server, clients = self.receiver.wait_spans(retried, 3)
        first, last = sorted(clients, key=lambda s: int(s["startTimeUnixNano"]))
        self.assertEqual((first["parentSpanId"], last["parentSpanId"]), (server["spanId"], server["spanId"]))
        self.assertNotEqual(first["spanId"], last["spanId"])
        self.assertLinked(server, last, propagated)  # the answer came from the last attempt
        self.assertEqual(first["status"], {"code": 2, "message": "500"})
        self.assertEqual((attributes(first)["http.response.status_code"], attributes(last)["http.response.status_code"]),
                         (500, 200))
        self.assertNotIn("http.request.resend_count", attributes(first))
        self.assertEqual(attributes(last)["http.request.resend_count"], 1)

    # ---- HTTP/2 ----

    def test_http2_request_is_traced_and_propagated(self):
        h2 = TRACE[:-4] + "0006"
        echo = self.curl_h2("/api/h2", f"traceparent: 00-{h2}-{CLIENT_SPAN}-01", "tracestate: congo=1")
        [propagated] = echo["headers"]["Traceparent"]
        self.assertEqual(echo["headers"]["Tracestate"], ["congo=1"])
        server, [client] = self.receiver.wait_spans(h2, 2)
        self.assertLinked(server, client, propagated)
        self.assertEqual(server["parentSpanId"], CLIENT_SPAN)
        self.assertEqual(attributes(server)["network.protocol.version"], "2")
        self.assertEqual(attributes(server)["url.path"], "/api/h2")
        self.assertEqual(attributes(client)["network.protocol.version"], "1.1")

    def test_exported_spans_are_counted_in_metrics(self):
        counted = TRACE[:-4] + "0007"
        self.get("/api/count", {"traceparent": f"00-{counted}-{CLIENT_SPAN}-01"})
        self.receiver.wait_spans(counted, 2)
        status, body = self.gh.admin_get("/metrics")
        self.assertEqual(status, 200)
        exported = re.search(rb'^gatehouse_trace_spans_total\{outcome="exported"\} (\S+)$', body, re.M)
        self.assertGreaterEqual(float(exported.group(1)), 2)
        self.assertIn(b'gatehouse_trace_spans_total{outcome="dropped_queue_full"} 0', body)


class TraceSamplingTest(GatehouseTestCase):
    """--trace-sampling 0: new traces are propagated (not sampled) but not recorded; a client's
    sampled flag still wins (parent-based sampling)."""
    receiver = OtlpReceiver()
    LOG = os.path.join(tempfile.mkdtemp(prefix="gatehouse-tracing-"), "access.log")
    serve_args = ("--otlp-endpoint", receiver.url, "--trace-sampling", "0", "--access-log", LOG)

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [gateway_class(), gateway("gw", [listener("http", PORT)]),
                                   *backend_service("echo", [cls.echo.ip])])
        gh.write("10-route.yaml", [http_route("shop", hostnames=[HOST], rules=[rule([backend_ref("echo")])])])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ip = gateway_address(cls.gh, "gw")
        wait_until(lambda: request(cls.ip, PORT, "/", host=HOST).status == 200, what="route live")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.receiver.stop()

    def log_entry(self, path):
        def find():
            with open(self.LOG) as f:
                found = [json.loads(line) for line in f if f'"path":"{path}"' in line]
            return found[0] if found else None
        return wait_until(find, what=f"access log line for {path}")

    def test_new_trace_is_propagated_unsampled_and_logged(self):
        res = request(self.ip, PORT, "/new", host=HOST)
        [propagated] = res.json()["headers"]["Traceparent"]
        trace_id, _, flags = TRACEPARENT.match(propagated).groups()
        self.assertEqual(flags, "02")
        self.assertEqual(self.log_entry("/new")["trace_id"], trace_id)
        time.sleep(FLUSH_WAIT)
        self.assertEqual(self.receiver.of_trace(trace_id), [])

    def test_sampled_parent_wins_over_the_ratio(self):
        res = request(self.ip, PORT, "/sampled", host=HOST, headers={"traceparent": f"00-{TRACE}-{CLIENT_SPAN}-01"})
        self.assertEqual(TRACEPARENT.match(res.json()["headers"]["Traceparent"][0]).group(3), "01")
        self.receiver.wait_spans(TRACE, 2)
        self.assertEqual(self.log_entry("/sampled")["trace_id"], TRACE)
        self.assertEqual(self.receiver.errors, [])


class HttpsCollector(GatehouseTestCase):
    """--otlp-endpoint https://...: the collector's certificate checked against --otlp-ca-file and
    the URL's host. Subclasses set the receiver and the flags."""
    pki = tempfile.mkdtemp(prefix="gatehouse-otlp-pki-")
    ca = CertificateAuthority()
    served = ca.write(pki)  # a certificate for localhost and 127.0.0.1
    ca_file = os.path.join(pki, "ca.crt")

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [gateway_class(), gateway("gw", [listener("http", PORT)]),
                                   *backend_service("echo", [cls.echo.ip])])
        gh.write("10-route.yaml", [http_route("shop", hostnames=[HOST], rules=[rule([backend_ref("echo")])])])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.receiver.stop()

    def traced(self, trace):
        ip = gateway_address(self.gh, "gw")
        wait_until(lambda: request(ip, PORT, "/", host=HOST).status == 200, what="route live")
        res = request(ip, PORT, "/traced", host=HOST, headers={"traceparent": f"00-{trace}-{CLIENT_SPAN}-01"})
        self.assertEqual(res.status, 200)

    def spans_by_outcome(self):
        status, body = self.gh.admin_get("/metrics")
        self.assertEqual(status, 200)
        return {m.group(1): float(m.group(2)) for m in
                re.finditer(r'^gatehouse_trace_spans_total\{outcome="(\w+)"\} (\S+)$', body.decode(), re.M)}


class HttpsCollectorByNameTest(HttpsCollector):
    receiver = OtlpReceiver(tls=HttpsCollector.served, host="localhost")
    serve_args = ("--otlp-endpoint", receiver.url, "--otlp-ca-file", HttpsCollector.ca_file)

    def test_spans_reach_the_collector_over_tls(self):
        trace = "6e0c63257de34c926f9efcd03899b01a"
        self.traced(trace)
        server, [client] = self.receiver.wait_spans(trace, 2)
        self.assertEqual(attributes(server)["url.path"], "/traced")
        self.assertEqual(self.receiver.errors, [])


class HttpsCollectorByAddressTest(HttpsCollector):
    receiver = OtlpReceiver(tls=HttpsCollector.served, host="127.0.0.1")
    serve_args = ("--otlp-endpoint", receiver.url, "--otlp-ca-file", HttpsCollector.ca_file)

    def test_the_certificate_is_checked_against_the_address(self):
        trace = "6e0c63257de34c926f9efcd03899b01b"
        self.traced(trace)
        self.receiver.wait_spans(trace, 2)


class UntrustedHttpsCollectorTest(HttpsCollector):
    receiver = OtlpReceiver(tls=HttpsCollector.served)
    # The system's trust store does not know the test CA.
    serve_args = ("--otlp-endpoint", receiver.url)

    def test_spans_are_not_sent_and_counted_as_failed(self):
        self.traced("6e0c63257de34c926f9efcd03899b01c")
        wait_until(lambda: self.spans_by_outcome().get("failed", 0) >= 2, what="the spans counted as failed")
        self.assertEqual(self.spans_by_outcome().get("exported"), 0)
        self.assertEqual(self.receiver.spans, [])


if __name__ == "__main__":
    unittest.main()
