"""Downstream HTTP/2 against an attacker, with raw frames on h2c (prior knowledge): an HPACK bomb
resets its stream and memory stays bounded, rapidly reset streams never reach the backend,
HEADERS on a lower unused stream id and a SETTINGS_INITIAL_WINDOW_SIZE that overflows a window
are connection errors (GOAWAY with the RFC 9113 code), CONTINUATION floods and reset floods end
the connection. After each attack a new connection is served as usual.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_h2_limits.py
"""

import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    WAIT, GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route,
    listener, path_match, rule, run_tool)
from h2_frames import (  # noqa: E402
    CANCEL, CONTINUATION, END_HEADERS, END_STREAM, ENHANCE_YOUR_CALM, FLOW_CONTROL_ERROR, HEADERS, INTERNAL_ERROR,
    PROTOCOL_ERROR, RST_STREAM, SETTINGS, SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATE, RawH2, frame, request_block,
    rss_kib)

PORT = 8080


class HoldingBackend:
    """An HTTP/1.1 upstream that reads one request head per connection, never answers, and
    notes when the gateway closes the connection."""

    def __init__(self, ip: str, port: int = 3000):
        self.sock = socket.create_server((ip, port))
        self.got_request = threading.Event()
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        self.got_request.set()
        while conn.recv(65536):
            pass
        self.closed.set()
        conn.close()

    def stop(self):
        self.sock.close()


class H2LimitsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.capture = gh.start_capture()
        cls.echo = gh.start_echo("echo")
        cls.holding = HoldingBackend(gh.backend_ip())
        cls.addClassCleanup(cls.holding.stop)
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT, "HTTP")]),
            *backend_service("capture", [cls.capture.ip]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("holding", [cls.holding.sock.getsockname()[0]]),
            http_route("route", rules=[rule([backend_ref("capture")], matches=[path_match("/counted")]),
                                       rule([backend_ref("holding")], matches=[path_match("/hold")]),
                                       rule([backend_ref("echo")])]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def connect(self) -> RawH2:
        conn = RawH2(self.ip, PORT)
        self.addCleanup(conn.close)
        return conn

    def assertServedOnANewConnection(self):
        self.assertEqual(self.connect().get(1, "/after"), "200")

    def test_h2load_multiplexed_streams_all_succeed(self):
        # The limits leave a well-behaved client alone: 2 connections x 20 concurrent streams.
        res = run_tool(["h2load", "-n", "200", "-c", "2", "-m", "20", "-H", "host: h2.example.com",
                        f"http://{self.ip}:{PORT}/load"], timeout=60)
        out = res.stdout.decode()
        self.assertEqual(res.returncode, 0, out)
        self.assertIn("requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored", out)
        self.assertIn("status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx", out)

    def test_hpack_bomb_resets_the_stream_and_keeps_memory_bounded(self):
        conn = self.connect()
        self.assertEqual(conn.get(1, "/warm"), "200")
        before = rss_kib(self.gh.proc.pid)
        # One 4,000-byte entry in the dynamic table, then referenced 65,536 times (64 KiB on the
        # wire, 262 MB decoded): a HEADERS frame and CONTINUATIONs of 16 KiB.
        block = conn.encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", "h2.example.com"),
                                     (":path", "/bomb"), ("x-bomb", "a" * 4000)])
        block += bytes([0x80 | 62]) * 65536  # indexed field 62: the newest dynamic table entry, x-bomb
        chunks = [block[i:i + 16384] for i in range(0, len(block), 16384)]
        frames = frame(HEADERS, END_STREAM, 3, chunks[0])
        for i, chunk in enumerate(chunks[1:], 1):
            frames += frame(CONTINUATION, END_HEADERS if i == len(chunks) - 1 else 0, 3, chunk)
        conn.send(frames)
        reset = conn.until(lambda f: f[0] == RST_STREAM and f[2] == 3)[-1]
        self.assertEqual(struct.unpack(">I", reset[3])[0], INTERNAL_ERROR)
        # The connection and its HPACK state stay usable.
        self.assertEqual(conn.get(5, "/next"), "200")
        self.assertLess(rss_kib(self.gh.proc.pid) - before, 16 * 1024)

    def test_rapidly_reset_streams_never_reach_the_backend(self):
        conn = self.connect()
        before = len(self.capture.received)
        burst = b""
        for stream_id in range(1, 401, 2):
            burst += frame(HEADERS, END_STREAM | END_HEADERS, stream_id, request_block("/counted", conn.encoder))
            burst += frame(RST_STREAM, 0, stream_id, struct.pack(">I", CANCEL))
        conn.send(burst)
        self.assertEqual(conn.get(401, "/counted"), "200")
        time.sleep(0.2)
        self.assertEqual(len(self.capture.received) - before, 1)

    def test_reset_during_the_exchange_cancels_the_upstream_request(self):
        conn = self.connect()
        conn.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, request_block("/hold", conn.encoder)))
        self.assertTrue(self.holding.got_request.wait(WAIT))
        conn.send(frame(RST_STREAM, 0, 1, struct.pack(">I", CANCEL)))
        # Without the cancel the gateway would wait for the upstream until its body timeout (60 s).
        self.assertTrue(self.holding.closed.wait(5))
        self.assertEqual(conn.get(3, "/still-open"), "200")

    def test_reset_flood_ends_the_connection(self):
        conn = self.connect()
        burst = b""
        for stream_id in range(1, 2 * 1200, 2):
            burst += frame(HEADERS, END_STREAM | END_HEADERS, stream_id, request_block("/flood", conn.encoder))
            burst += frame(RST_STREAM, 0, stream_id, struct.pack(">I", CANCEL))
        try:
            conn.send(burst)
        except (BrokenPipeError, ConnectionResetError):
            pass
        _, code = conn.goaway()
        self.assertEqual(code, INTERNAL_ERROR)
        self.assertServedOnANewConnection()

    def test_headers_on_a_lower_unused_stream_id_is_a_protocol_error(self):
        conn = self.connect()
        self.assertEqual(conn.get(5, "/five"), "200")
        conn.send(frame(HEADERS, END_STREAM | END_HEADERS, 3, request_block("/three", conn.encoder)))
        self.assertEqual(conn.goaway(), (5, PROTOCOL_ERROR))
        self.assertServedOnANewConnection()

    def test_initial_window_size_overflow_is_a_flow_control_error(self):
        conn = self.connect()
        # An open stream (request body still to come) whose send window the client raises to 2^31-1.
        conn.send(frame(HEADERS, END_HEADERS, 1, request_block("/open", conn.encoder)))
        conn.send(frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 2**31 - 1 - 65535)))
        conn.send(frame(SETTINGS, 0, 0, struct.pack(">HI", SETTINGS_INITIAL_WINDOW_SIZE, 65536)))
        self.assertEqual(conn.goaway()[1], FLOW_CONTROL_ERROR)
        self.assertServedOnANewConnection()

    def test_continuation_flood_ends_the_connection(self):
        conn = self.connect()
        frames = frame(HEADERS, 0, 1, request_block("/cont", conn.encoder))
        frames += b"".join(frame(CONTINUATION, 0, 1, b"") for _ in range(100))
        try:
            conn.send(frames)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertEqual(conn.goaway(), (1, ENHANCE_YOUR_CALM))
        self.assertServedOnANewConnection()


if __name__ == "__main__":
    unittest.main()
