"""HTTP/1.1 strictness of the real binary over raw sockets: request smuggling vectors, framing
errors, header limits, chunked bodies relayed to the upstream byte for byte, and pipelining.
(The 30 s header read timeout is too long to test here.)

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_http1.py
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, RawConnection, backend_ref, backend_service, gateway, gateway_address, gateway_class,
    http_route, listener, path_match, rule)

PORT = 8080
HOST = "h1.example.com"


class Http1Test(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-h1")
        cls.capture = gh.start_capture()
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("capture", [cls.capture.ip]),
        ])
        gh.write("10-routes.yaml", [http_route("h1", rules=[
            rule([backend_ref("capture")], matches=[path_match("/capture")]),
            rule([backend_ref("echo")]),
        ])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def connect(self):
        conn = RawConnection(self.ip, PORT)
        self.addCleanup(conn.close)
        return conn

    def exchange(self, raw: bytes):
        conn = self.connect()
        conn.send(raw)
        return conn, conn.read_response()

    def assertRejected(self, raw: bytes, status: int, path: str):
        """`raw` gets `status`, the connection closes, and the backend never sees `path`."""
        conn, res = self.exchange(raw)
        self.assertEqual(res.status, status, res)
        self.assertEqual(res.header("Connection"), "close", res)
        self.assertTrue(conn.closed_by_peer(), "the connection must close after a framing error")
        self.assertNotIn(path, self.echo.requests_seen())

    # ---- smuggling vectors and malformed heads ----
    def test_content_length_and_transfer_encoding_is_400(self):
        self.assertRejected(b"POST /smuggle-cl-te HTTP/1.1\r\nHost: h1.example.com\r\nContent-Length: 5\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "/smuggle-cl-te")

    def test_transfer_encoding_then_content_length_is_400(self):
        self.assertRejected(b"POST /smuggle-te-cl HTTP/1.1\r\nHost: h1.example.com\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400, "/smuggle-te-cl")

    def test_conflicting_content_lengths_are_400(self):
        self.assertRejected(b"POST /two-cl HTTP/1.1\r\nHost: h1.example.com\r\nContent-Length: 1\r\n"
                            b"Content-Length: 2\r\n\r\nab", 400, "/two-cl")

    def test_non_numeric_content_length_is_400(self):
        self.assertRejected(b"POST /bad-cl HTTP/1.1\r\nHost: h1.example.com\r\nContent-Length: +5\r\n\r\nhello",
                            400, "/bad-cl")

    def test_obs_fold_is_400(self):
        self.assertRejected(b"GET /obs-fold HTTP/1.1\r\nHost: h1.example.com\r\nX-Folded: a\r\n b\r\n\r\n",
                            400, "/obs-fold")

    def test_bare_lf_line_endings_are_400(self):
        self.assertRejected(b"GET /bare-lf HTTP/1.1\nHost: h1.example.com\n\n", 400, "/bare-lf")

    def test_bare_lf_inside_head_is_400(self):
        self.assertRejected(b"GET /bare-lf-2 HTTP/1.1\r\nHost: h1.example.com\nX-A: b\r\n\r\n", 400, "/bare-lf-2")

    def test_whitespace_before_colon_is_400(self):
        self.assertRejected(b"GET /ws-colon HTTP/1.1\r\nHost: h1.example.com\r\nX-A : b\r\n\r\n", 400, "/ws-colon")

    def test_missing_host_on_http11_is_400(self):
        self.assertRejected(b"GET /no-host HTTP/1.1\r\nX-A: b\r\n\r\n", 400, "/no-host")

    def test_two_hosts_are_400(self):
        self.assertRejected(b"GET /two-hosts HTTP/1.1\r\nHost: h1.example.com\r\nHost: other.example.com\r\n\r\n",
                            400, "/two-hosts")

    def test_missing_host_on_http10_is_served(self):
        conn, res = self.exchange(b"GET /http10 HTTP/1.0\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.json()["path"], "/http10")
        self.assertTrue(conn.closed_by_peer(), "HTTP/1.0 without keep-alive closes")

    def test_oversized_head_is_431(self):
        conn = self.connect()
        conn.send(b"GET /huge HTTP/1.1\r\nHost: h1.example.com\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
        res = conn.read_response()
        self.assertEqual(res.status, 431, res)
        self.assertTrue(conn.closed_by_peer())
        self.assertNotIn("/huge", self.echo.requests_seen())

    def test_large_head_below_limit_is_served(self):
        conn, res = self.exchange(b"GET /big-ok HTTP/1.1\r\nHost: h1.example.com\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.json()["headers"]["X-Big"], ["a" * 8000])

    def test_transfer_coding_not_ending_in_chunked_is_400(self):
        # RFC 9112 6.3: chunked not final -> the length cannot be determined: 400, then close.
        self.assertRejected(b"POST /gzip-te HTTP/1.1\r\nHost: h1.example.com\r\nTransfer-Encoding: gzip\r\n\r\n",
                            400, "/gzip-te")

    def test_unknown_transfer_coding_is_501(self):
        self.assertRejected(b"POST /gzip-chunked HTTP/1.1\r\nHost: h1.example.com\r\n"
                            b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "/gzip-chunked")

    def test_chunked_twice_is_400(self):
        self.assertRejected(b"POST /chunked-twice HTTP/1.1\r\nHost: h1.example.com\r\n"
                            b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400, "/chunked-twice")

    def test_http2_version_on_http1_connection_is_505(self):
        self.assertRejected(b"GET /h2-version HTTP/2.0\r\nHost: h1.example.com\r\n\r\n", 505, "/h2-version")

    def test_bad_percent_escape_is_400(self):
        self.assertRejected(b"GET /bad%zzescape HTTP/1.1\r\nHost: h1.example.com\r\n\r\n", 400, "/bad%zzescape")

    def test_absolute_form_target_overrides_host(self):
        conn, res = self.exchange(b"GET http://absolute.example.com/abs?q=1 HTTP/1.1\r\nHost: h1.example.com\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        body = res.json()
        self.assertEqual((body["host"], body["path"]), ("absolute.example.com", "/abs?q=1"))

    def test_dot_segments_are_removed_before_routing(self):
        conn, res = self.exchange(b"GET /capture/../dots/./x HTTP/1.1\r\nHost: h1.example.com\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        self.assertEqual((res.json()["path"], res.json()["pod"]), ("/dots/x", "echo-h1"))

    # ---- bodies ----
    def test_chunked_body_reaches_echo(self):
        conn, res = self.exchange(b"POST /chunked HTTP/1.1\r\nHost: h1.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        body = res.json()
        self.assertEqual((body["method"], body["path"], body["pod"]), ("POST", "/chunked", "echo-h1"))
        self.assertNotIn("Content-Length", body["headers"])

    def test_chunked_body_relayed_byte_for_byte(self):
        payload = os.urandom(3000).hex()  # 6000 bytes in uneven chunks, with a chunk extension and a trailer
        chunks = [payload[:1], payload[1:4097], payload[4097:]]
        raw = b"".join(f"{len(c):x}{';ext=1' if i == 1 else ''}\r\n".encode() + c.encode() + b"\r\n"
                       for i, c in enumerate(chunks))
        conn, res = self.exchange(b"POST /capture/chunked HTTP/1.1\r\nHost: h1.example.com\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n" + raw + b"0\r\nX-Trailer: t\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        seen = json.loads(res.body)
        self.assertEqual(seen["method"], "POST")
        self.assertEqual(seen["target"], "/capture/chunked")
        self.assertEqual(seen["body"], payload)
        # Keep-alive still works: the body was framed exactly.
        conn.send(b"GET /after-chunked HTTP/1.1\r\nHost: h1.example.com\r\n\r\n")
        after = conn.read_response()
        self.assertEqual((after.status, after.json()["path"]), (200, "/after-chunked"))

    def test_content_length_body_relayed_byte_for_byte(self):
        payload = b"x" * 100000
        conn, res = self.exchange(b"PUT /capture/cl HTTP/1.1\r\nHost: h1.example.com\r\nContent-Length: 100000\r\n\r\n"
                                  + payload)
        self.assertEqual(res.status, 200, res)
        seen = json.loads(res.body)
        self.assertEqual(seen["body"], payload.decode())
        self.assertIn(["Content-Length", "100000"], seen["headers"])

    def test_hop_by_hop_headers_are_not_forwarded(self):
        conn, res = self.exchange(b"GET /capture/hop HTTP/1.1\r\nHost: h1.example.com\r\nConnection: keep-alive, X-Drop\r\n"
                                  b"X-Drop: 1\r\nKeep-Alive: timeout=5\r\nX-Keep: 2\r\n\r\n")
        self.assertEqual(res.status, 200, res)
        names = [k.lower() for k, _ in json.loads(res.body)["headers"]]
        self.assertNotIn("x-drop", names)
        self.assertNotIn("keep-alive", names)
        self.assertIn("x-keep", names)
        self.assertEqual(names.count("host"), 1)

    # ---- pipelining ----
    def test_pipelined_requests_answered_in_order(self):
        conn = self.connect()
        conn.send(b"GET /one HTTP/1.1\r\nHost: h1.example.com\r\n\r\n"
                  b"GET /two HTTP/1.1\r\nHost: h1.example.com\r\n\r\n"
                  b"GET /three HTTP/1.1\r\nHost: h1.example.com\r\nConnection: close\r\n\r\n")
        paths = []
        for _ in range(3):
            res = conn.read_response()
            self.assertEqual(res.status, 200, res)
            paths.append(res.json()["path"])
        self.assertEqual(paths, ["/one", "/two", "/three"])
        self.assertTrue(conn.closed_by_peer())

    def test_pipelined_request_after_a_body(self):
        conn = self.connect()
        conn.send(b"POST /with-body HTTP/1.1\r\nHost: h1.example.com\r\nContent-Length: 4\r\n\r\nbody"
                  b"GET /next HTTP/1.1\r\nHost: h1.example.com\r\n\r\n")
        first, second = conn.read_response(), conn.read_response()
        self.assertEqual((first.status, first.json()["path"]), (200, "/with-body"))
        self.assertEqual((second.status, second.json()["path"]), (200, "/next"))

    def test_head_request_gets_no_body(self):
        conn = self.connect()
        conn.send(b"HEAD /head HTTP/1.1\r\nHost: h1.example.com\r\n\r\nGET /after-head HTTP/1.1\r\nHost: h1.example.com\r\n\r\n")
        head = conn.read_response(head_request=True)
        self.assertEqual(head.status, 200, head)
        after = conn.read_response()
        self.assertEqual((after.status, after.json()["path"]), (200, "/after-head"))


if __name__ == "__main__":
    unittest.main()
