"""`serve --access-log PATH`: one JSON line per request that got a response, from the real binary
with a real backend; exact lines for a proxied request, an upstream failure, an unmatched route,
malformed input, and hostile bytes that try to forge a second line. Then --access-log-fields
(exactly the keys chosen; an unknown one refused at startup) and --access-log-sampling (0 keeps
only failures; 0.5 keeps about half).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_access_log.py
"""

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    BIN, GatehouseTestCase, KeepAliveClient, RawConnection, backend_ref, backend_service, gateway, gateway_address,
    gateway_class, http_route, listener, path_match, request, rule, wait_until)
from h2_frames import DATA, END_HEADERS, END_STREAM, HEADERS, RawH2, frame  # noqa: E402

PORT = 8080
LOG = os.path.join(tempfile.mkdtemp(prefix="gatehouse-access-log-"), "access.log")
KEYS = ["time", "gateway", "listener", "route", "rule", "backend", "endpoint", "method", "authority", "path",
        "status", "bytes_received", "bytes_sent", "duration_ms", "upstream_duration_ms", "upstream_failure",
        "upstream_attempts", "trace_id", "client_address"]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class AccessLogTest(GatehouseTestCase):
    serve_args = ("--access-log", LOG)

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        cls.dead_ip = gh.backend_ip()
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("down", [cls.dead_ip], port=9090),
        ])
        api = rule([backend_ref("echo")], matches=[path_match("/api")])
        api["name"] = "api"
        gh.write("10-route.yaml", [http_route("shop", hostnames=["shop.example.com"], rules=[
            api, rule([backend_ref("down", port=9090)], matches=[path_match("/down")])])])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ip = gateway_address(cls.gh, "gw")
        wait_until(lambda: request(cls.ip, PORT, "/api", host="shop.example.com").status == 200, what="route live")
        # The probes' lines reach the file within the 100 ms flush period: wait until it is still.
        previous = None
        while previous != os.path.getsize(LOG):
            previous = os.path.getsize(LOG)
            time.sleep(0.3)

    def send_and_read_line(self, send):
        """Runs send(), then returns the one line it added to the log, parsed."""
        before = self.lines()
        send()
        lines = wait_until(lambda: (lambda now: now if len(now) > len(before) else None)(self.lines()),
                           what="an access log line")
        self.assertEqual(len(lines), len(before) + 1, lines[len(before):])
        raw = lines[-1]
        entry = json.loads(raw)
        self.assertEqual(list(entry), KEYS)
        self.assertRegex(entry.pop("time"), TIME)
        self.assertIsInstance(entry.pop("duration_ms"), float)
        client = entry.pop("client_address")
        self.assertRegex(client, r"^127\.\d+\.\d+\.\d+:\d+$")
        return entry

    def lines(self):
        with open(LOG, "rb") as f:
            data = f.read()
        self.assertTrue(data == b"" or data.endswith(b"\n"))
        return [line.decode("utf-8") for line in data.split(b"\n")[:-1]]

    def test_proxied_request(self):
        entry = self.send_and_read_line(lambda: self.assertEqual(request(
            self.ip, PORT, "/api/items?x=1", host="shop.example.com", method="POST", body=b"hello",
            headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}).status, 200))
        self.assertIsInstance(entry.pop("upstream_duration_ms"), float)
        self.assertGreater(entry.pop("bytes_sent"), 100)
        self.assertEqual(entry, {
            "gateway": "default/gw", "listener": "http", "route": "default/shop", "rule": "api",
            "backend": "default/echo:8080", "endpoint": f"{self.echo.ip}:3000", "method": "POST",
            "authority": "shop.example.com", "path": "/api/items?x=1", "status": 200,
            "bytes_received": len(b"POST /api/items?x=1 HTTP/1.1\r\nHost: shop.example.com\r\n"
                                  b"traceparent: 00-" + TRACE.encode() + b"-00f067aa0ba902b7-01\r\n"
                                  b"Content-Length: 5\r\n\r\nhello"),
            "upstream_failure": None, "upstream_attempts": 1, "trace_id": TRACE})

    def test_upstream_failure(self):
        entry = self.send_and_read_line(
            lambda: self.assertEqual(request(self.ip, PORT, "/down", host="shop.example.com").status, 503))
        self.assertIsInstance(entry.pop("upstream_duration_ms"), float)
        self.assertEqual(entry.pop("bytes_sent") > 0, True)
        self.assertEqual(entry, {
            "gateway": "default/gw", "listener": "http", "route": "default/shop", "rule": "1",
            "backend": "default/down:9090", "endpoint": f"{self.dead_ip}:3000", "method": "GET",
            "authority": "shop.example.com", "path": "/down", "status": 503,
            "bytes_received": len(b"GET /down HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"),
            "upstream_failure": "connection_refused", "upstream_attempts": 1, "trace_id": None})

    def test_unmatched_route_has_null_route(self):
        entry = self.send_and_read_line(
            lambda: self.assertEqual(request(self.ip, PORT, "/x", host="other.example.com").status, 404))
        entry.pop("bytes_sent")
        self.assertEqual(entry, {
            "gateway": "default/gw", "listener": "http", "route": None, "rule": None, "backend": None,
            "endpoint": None, "method": "GET", "authority": "other.example.com", "path": "/x", "status": 404,
            "bytes_received": len(b"GET /x HTTP/1.1\r\nHost: other.example.com\r\n\r\n"), "upstream_duration_ms": None, "upstream_failure": None, "upstream_attempts": None, "trace_id": None})

    def raw(self, data: bytes) -> int:
        conn = RawConnection(self.ip, PORT)
        try:
            conn.send(data)
            return conn.read_response().status
        finally:
            conn.close()

    def test_malformed_request_gets_one_line(self):
        entry = self.send_and_read_line(lambda: self.assertEqual(self.raw(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"), 400))
        self.assertEqual(entry["status"], 400)
        self.assertEqual((entry["route"], entry["upstream_duration_ms"]), (None, None))

    def test_hostile_host_is_refused_and_logged_on_one_line(self):
        # A quote, U+2028, NEL and bytes that are not UTF-8, aimed at the log's readers: the parser
        # refuses such a Host (400) and the refusal is logged without any of them.
        hostile = b'shop.example.com"}\xe2\x80\xa8\xc2\x85{"status":200\xff\xc0'
        entry = self.send_and_read_line(
            lambda: self.assertEqual(self.raw(b"GET /api HTTP/1.1\r\nHost: " + hostile + b"\r\n\r\n"), 400))
        entry.pop("bytes_sent")
        self.assertEqual(entry, {
            "gateway": None, "listener": None, "route": None, "rule": None, "backend": None, "endpoint": None,
            "method": None, "authority": None, "path": None, "status": 400, "bytes_received": 0,
            "upstream_duration_ms": None, "upstream_failure": None, "upstream_attempts": None, "trace_id": None})

    def test_refused_request_does_not_inherit_the_previous_requests_headers(self):
        conn = RawConnection(self.ip, PORT)
        try:
            first = self.send_and_read_line(lambda: (
                conn.send(f"GET /api HTTP/1.1\r\nHost: shop.example.com\r\ntraceparent: 00-{TRACE}-00f067aa0ba902b7-01"
                          "\r\n\r\n".encode()),
                self.assertEqual(conn.read_response().status, 200)))
            self.assertEqual(first["trace_id"], TRACE)
            entry = self.send_and_read_line(lambda: (conn.send(b"GET /a\"b HTTP/1.1\r\n\r\n"),
                                                     self.assertEqual(conn.read_response().status, 400)))
        finally:
            conn.close()
        self.assertEqual((entry["status"], entry["path"], entry["trace_id"]), (400, None, None))

    def test_http2_request_logs_client_address_and_bytes(self):
        # HTTP/2 counts the header fields as decoded (name and value bytes) plus the DATA payload.
        fields = [(":method", "POST"), (":scheme", "http"), (":authority", "shop.example.com"),
                  (":path", "/api/h2"), ("content-length", "5")]
        response = {}

        def send():
            conn = RawH2(self.ip, PORT)
            try:
                conn.send(frame(HEADERS, END_HEADERS, 1, conn.encoder.encode(fields)) + frame(DATA, END_STREAM, 1, b"hello"))
                frames = conn.until(lambda f: f[2] == 1 and f[1] & END_STREAM and f[0] in (HEADERS, DATA))
                head = conn.decoder.decode(next(f[3] for f in frames if f[0] == HEADERS and f[2] == 1))
                response["status"] = dict(head)[":status"]
                response["bytes"] = sum(len(n) + len(v) for n, v in head) + sum(
                    len(f[3]) for f in frames if f[0] == DATA and f[2] == 1)
            finally:
                conn.close()

        entry = self.send_and_read_line(send)
        self.assertEqual(response["status"], "200")
        self.assertIsInstance(entry.pop("upstream_duration_ms"), float)
        self.assertEqual(entry, {
            "gateway": "default/gw", "listener": "http", "route": "default/shop", "rule": "api",
            "backend": "default/echo:8080", "endpoint": f"{self.echo.ip}:3000", "method": "POST",
            "authority": "shop.example.com", "path": "/api/h2", "status": 200,
            "bytes_received": sum(len(n) + len(v) for n, v in fields) + len(b"hello"),
            "bytes_sent": response["bytes"], "upstream_failure": None, "upstream_attempts": 1, "trace_id": None})


def settled_lines(path):
    """The log's lines once no worker has more to flush (each flushes 100 ms after a line)."""
    previous = None
    while True:
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size == previous:
            break
        previous = size
        time.sleep(0.4)
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().split(b"\n")[:-1]]


class ShopWithDeadBackend(GatehouseTestCase):
    """/api proxies to an echo backend; /down to an address where nothing listens (503)."""
    log = ""

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("down", [gh.backend_ip()], port=9090),
        ])
        gh.write("10-route.yaml", [http_route("shop", hostnames=["shop.example.com"], rules=[
            rule([backend_ref("echo")], matches=[path_match("/api")]),
            rule([backend_ref("down", port=9090)], matches=[path_match("/down")])])])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ip = gateway_address(cls.gh, "gw")
        wait_until(lambda: request(cls.ip, PORT, "/api", host="shop.example.com").status == 200, what="route live")

    def new_lines(self, send):
        """The lines send() added to the log."""
        before = len(settled_lines(self.log))
        send()
        return settled_lines(self.log)[before:]

    def get_api(self, n):
        client = KeepAliveClient(self.ip, PORT)
        try:
            for i in range(n):
                self.assertEqual(client.get(f"/api/{i}", host="shop.example.com").status, 200)
        finally:
            client.close()


def log_file(name):
    return os.path.join(tempfile.mkdtemp(prefix=f"gatehouse-{name}-"), "access.log")


class AccessLogFieldsTest(ShopWithDeadBackend):
    log = log_file("fields")
    serve_args = ("--access-log", log, "--access-log-fields", "trace_id, status,path")

    def test_lines_have_exactly_the_chosen_keys_in_the_documented_order(self):
        lines = self.new_lines(lambda: (
            self.get_api(2),
            self.assertEqual(request(self.ip, PORT, "/down", host="shop.example.com",
                                     headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}).status, 503)))
        # Two connections, maybe two workers, each flushing its own lines: compare in path order.
        lines.sort(key=lambda line: line["path"])
        self.assertEqual([list(line) for line in lines], [["path", "status", "trace_id"]] * 3)
        self.assertEqual(lines, [{"path": "/api/0", "status": 200, "trace_id": None},
                                 {"path": "/api/1", "status": 200, "trace_id": None},
                                 {"path": "/down", "status": 503, "trace_id": TRACE}])


class AccessLogSamplingZeroTest(ShopWithDeadBackend):
    log = log_file("sampling-zero")
    serve_args = ("--access-log", log, "--access-log-sampling", "0")

    def test_only_failed_requests_are_logged(self):
        lines = self.new_lines(lambda: (
            self.get_api(50),
            self.assertEqual(request(self.ip, PORT, "/down", host="shop.example.com").status, 503),
            self.assertEqual(request(self.ip, PORT, "/nowhere", host="other.example.com").status, 404)))
        self.assertEqual([(line["path"], line["status"], line["upstream_failure"]) for line in lines],
                         [("/down", 503, "connection_refused")])


class AccessLogSamplingHalfTest(ShopWithDeadBackend):
    log = log_file("sampling-half")
    serve_args = ("--access-log", log, "--access-log-sampling", "0.5")

    def test_about_half_the_requests_are_logged(self):
        n = 400
        lines = self.new_lines(lambda: self.get_api(n))
        # Binomial(400, 0.5): mean 200, sigma 10; outside 6 sigma about once in 10^9 runs.
        sigma = math.sqrt(n * 0.25)
        self.assertLessEqual(abs(len(lines) - n / 2), 6 * sigma, len(lines))
        self.assertTrue(all(line["path"].startswith("/api/") and line["status"] == 200 for line in lines))


class AccessLogFlagsTest(unittest.TestCase):
    def refused(self, *args):
        run = subprocess.run([BIN, *args], capture_output=True, timeout=30, text=True)
        self.assertNotEqual(run.returncode, 0)
        return run.stderr

    def test_an_unknown_field_is_refused_by_name_at_startup(self):
        for command in (["serve", tempfile.mkdtemp()],
                        ["dataplane", "--controller", "127.0.0.1:1", "--gateway", "default/gw"]):
            with self.subTest(command=command[0]):
                stderr = self.refused(*command, "--access-log", "-", "--access-log-fields", "status,user_agent")
                self.assertIn('--access-log-fields: unknown access log field "user_agent" (known: time, gateway,',
                              stderr)

    def test_sampling_outside_zero_to_one_is_refused(self):
        stderr = self.refused("serve", tempfile.mkdtemp(), "--access-log", "-", "--access-log-sampling", "1.5")
        self.assertIn("--access-log-sampling", stderr)


if __name__ == "__main__":
    unittest.main()
