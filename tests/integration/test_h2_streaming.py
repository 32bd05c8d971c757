"""Downstream HTTP/2 streams bodies both ways under flow control: a client that opens 100 streams
for 2 MiB responses and never reads leaves Gatehouse's memory bounded (CVE-2019-9517), a client
with small windows gets every byte, request bodies of any size reach HTTP/1.1 upstreams as they
come (chunked when the client gave no content-length), and gRPC streams in both directions,
including a bidirectional call that only works when each message is forwarded at once.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_h2_streaming.py
"""

import collections
import json
import os
import queue
import socket
import struct
import sys
import threading
import time
import unittest
from concurrent import futures

import grpc
import hpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    SANITIZED, WAIT, GatehouseTestCase, ThreadedBackend, backend_ref, backend_service, endpoint_slice, gateway,
    gateway_address, gateway_class, http_route, listener, path_match, rule, run_tool, wait_until)
from h2_frames import (  # noqa: E402
    ACK, DATA, PING, PREFACE, RST_STREAM, HEADERS, END_HEADERS, END_STREAM, SETTINGS, SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATE,
    RawH2, frame, request_block, rss_kib)

PORT = 8080
HOST = "h2.example.com"
MIB = 1024 * 1024
CHAT = "streaming.Chat"


def pattern(n: int) -> bytes:
    return (bytes(range(256)) * (n // 256 + 1))[:n]


class BigBackend(ThreadedBackend):
    """An HTTP/1.1 upstream answering GET /big/<n> with n pattern bytes (Content-Length), one thread
    per connection; counts requests and the connections still open."""

    def __init__(self, ip: str, port: int = 3000):
        super().__init__(ip, port, backlog=256)
        self.lock = threading.Lock()
        self.requests = 0
        self.open = 0
        self.start()

    def _serve(self, conn):
        with self.lock:
            self.open += 1
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                size = int(head.split(b" ")[1].rsplit(b"/", 1)[1])
                with self.lock:
                    self.requests += 1
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + pattern(size))
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= 1
            conn.close()


class ChatServer:
    """A gRPC server (grpcio, h2c) with raw-bytes methods of service streaming.Chat: Talk (bidi:
    one answer per message, sent before the next message is read), Download (server streaming:
    n messages of 64 KiB for a request of n as text), Upload (client streaming: the total size) and
    Hold (unary: records the caller's address, the gateway's upstream connection, and answers once
    released)."""

    def __init__(self, ip: str, port: int = 3000):
        self.held = []  # peer addresses of the Hold calls
        self.held_lock = threading.Lock()
        self.release = threading.Event()

        def talk(messages, context):
            for message in messages:
                yield b"re:" + message

        def download(request, context):
            for i in range(int(request)):
                yield bytes([i % 256]) * 65536

        def upload(messages, context):
            return str(sum(len(m) for m in messages)).encode()

        def hold(request, context):
            with self.held_lock:
                self.held.append(context.peer())
            self.release.wait(WAIT)
            return request

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=160))
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(CHAT, {
            "Talk": grpc.stream_stream_rpc_method_handler(talk),
            "Download": grpc.unary_stream_rpc_method_handler(download),
            "Upload": grpc.stream_unary_rpc_method_handler(upload),
            "Hold": grpc.unary_unary_rpc_method_handler(hold),
        }),))
        self.server.add_insecure_port(f"{ip}:{port}")
        self.server.start()

    def stop(self):
        self.server.stop(0)


class FrameRecordingBackend(ThreadedBackend):
    """An h2c upstream speaking raw frames: records (type, flags, length) of each frame a request
    stream brings and the reads they came in, and answers every request with a unary gRPC OK
    (HEADERS, one DATA, trailers) once the request ended; a request for method Break gets the
    HEADERS and part of a message, then the connection closes."""

    def __init__(self, ip: str, port: int = 3000):
        super().__init__(ip, port)
        self.frames = []  # (type, flags, length) on request streams, in order
        self.reads = []   # per read: the request-stream frames it completed
        self.start()

    def _serve(self, conn):
        encoder, decoder = hpack.Encoder(), hpack.Decoder()
        paths = {}
        conn.sendall(frame(SETTINGS, 0, 0))
        buf = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                if buf.startswith(PREFACE):
                    buf = buf[len(PREFACE):]
                completed = []
                while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
                    length = int.from_bytes(buf[:3], "big")
                    type_, flags, stream_id = struct.unpack(">BBI", buf[3:9])
                    payload, buf = buf[9:9 + length], buf[9 + length:]
                    if type_ == HEADERS:
                        paths[stream_id] = dict(decoder.decode(payload)).get(":path", "")
                    if type_ == SETTINGS and not flags & ACK:
                        conn.sendall(frame(SETTINGS, ACK, 0))
                    if stream_id == 0 or type_ not in (HEADERS, DATA):
                        continue
                    completed.append((type_, flags, length))
                    if flags & END_STREAM and paths[stream_id].endswith("/Break"):
                        conn.sendall(frame(HEADERS, END_HEADERS, stream_id, encoder.encode(
                            [(":status", "200"), ("content-type", "application/grpc")])) +
                            frame(DATA, 0, stream_id, b"\0\0\0\0\x05ha"))
                        # FIN after the frames, then read to the gateway's close: a close() with
                        # unread input would send RST and could drop the frames still queued.
                        conn.shutdown(socket.SHUT_WR)
                        conn.settimeout(WAIT)
                        while conn.recv(65536):
                            pass
                        return
                    if flags & END_STREAM:
                        message = b"\0\0\0\0\x02ok"
                        conn.sendall(frame(HEADERS, END_HEADERS, stream_id, encoder.encode(
                            [(":status", "200"), ("content-type", "application/grpc")])) +
                            frame(DATA, 0, stream_id, message) +
                            frame(HEADERS, END_HEADERS | END_STREAM, stream_id, encoder.encode(
                                [("grpc-status", "0")])))
                if completed:
                    self.frames += completed
                    self.reads.append(completed)
        except OSError:
            pass
        finally:
            conn.close()


class H2StreamingTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.big = BigBackend(gh.backend_ip())
        cls.addClassCleanup(cls.big.stop)
        cls.capture = gh.start_capture()
        chat_ip = gh.backend_ip()
        cls.chat = ChatServer(chat_ip)
        cls.addClassCleanup(cls.chat.stop)
        h2c_port = {"name": "http", "port": 8080, "targetPort": 3000, "protocol": "TCP",
                    "appProtocol": "kubernetes.io/h2c"}
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT, "HTTP")]),
            *backend_service("big", [cls.big.sock.getsockname()[0]]),
            *backend_service("capture", [cls.capture.ip]),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "chat", "namespace": "default"},
             "spec": {"ports": [h2c_port]}},
            endpoint_slice("chat", [chat_ip]),
            http_route("files", hostnames=[HOST], rules=[rule([backend_ref("big")], matches=[path_match("/big")]),
                                                         rule([backend_ref("capture")])]),
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
             "metadata": {"name": "chat", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["grpc.example.com"],
                      "rules": [{"matches": [{"method": {"service": CHAT}}], "backendRefs": [backend_ref("chat")]}]}},
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")
        cls.channel = grpc.insecure_channel(f"ipv4:{cls.ip}:{PORT}",
                                            options=[("grpc.default_authority", "grpc.example.com"),
                                                     ("grpc.enable_retries", 0)])
        cls.addClassCleanup(cls.channel.close)

    def connect(self, settings: bytes = b"") -> RawH2:
        conn = RawH2(self.ip, PORT, settings)
        self.addCleanup(conn.close)
        return conn

    def test_client_not_reading_100_streams_keeps_memory_bounded(self):
        # Windows as large as HTTP/2 allows, then 100 streams for 2 MiB each and no read: only
        # the client's TCP window and the per-stream buffers may hold response bytes.
        conn = self.connect(struct.pack(">HI", SETTINGS_INITIAL_WINDOW_SIZE, 2**31 - 1))
        conn.send(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 2**31 - 1 - 65535)))
        self.assertEqual(conn.get(1, "/big/1024"), "200")
        before = rss_kib(self.gh.proc.pid)
        requests_before = self.big.requests
        open_before = self.big.open  # the warm-up's connection, idle in the pool
        conn.send(b"".join(frame(HEADERS, END_STREAM | END_HEADERS, stream_id,
                                 request_block(f"/big/{2 * MIB}", conn.encoder)) for stream_id in range(3, 203, 2)))
        wait_until(lambda: self.big.requests - requests_before == 100, what="100 requests at the backend")
        peak = before
        for _ in range(30):  # 3 s: the backend writes as fast as Gatehouse reads
            peak = max(peak, rss_kib(self.gh.proc.pid))
            time.sleep(0.1)
        print(f"\nRSS with 100 unread 2 MiB streams: {before} KiB -> {peak} KiB (+{(peak - before) // 1024} MiB)",
              file=sys.stderr)
        self.assertLess(peak - before, 64 * 1024)
        # Closing the connection cancels the exchanges: their upstream connections are closed
        # mid-response, never pooled (one of them may have been the pooled one).
        conn.close()
        wait_until(lambda: self.big.open <= open_before, timeout=5, what="the upstream connections to close")
        res = run_tool(["curl", "-s", "--http2-prior-knowledge", "-H", f"host: {HOST}", "-o", "/dev/null",
                        "-w", "%{http_code} %{size_download}", f"http://{self.ip}:{PORT}/big/5000"])
        self.assertEqual(res.stdout.decode(), "200 5000")

    def upload_and_read(self, conn: RawH2, body: bytes):
        """POST `body` on stream 1 (HEADERS and DATA in one write) and read the answer to its end."""
        block = conn.encoder.encode([(":method", "POST"), (":scheme", "http"), (":authority", HOST),
                                     (":path", "/upload"), ("content-length", str(len(body)))])
        conn.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, body))
        conn.until(lambda f: f[2] == 1 and f[1] & END_STREAM and f[0] in (HEADERS, DATA))

    @unittest.skipIf(SANITIZED, "ASan's quarantine keeps freed memory resident")
    def test_idle_connections_hold_no_read_or_write_buffers(self):
        # Each connection fills a 16 KiB read, a write batch and nghttp2's frame buffer (a 16 KB
        # upload, its ~27 KB JSON record back), then stays idle: once the hot wait (1 s) is over,
        # none of that memory stays with it. Measured: 75 KB per connection before connections
        # parked, 21 KB after (of which ~10 KB are the 64 hot waits' buffers, still cached by
        # the worker and jemalloc, spread over the 400).
        body = pattern(16000)
        for _ in range(5):  # warm-up: the worker's buffers, the upstream connection
            self.upload_and_read(self.connect(), body)
        time.sleep(1.5)
        before = rss_kib(self.gh.proc.pid)
        conns = [self.connect() for _ in range(400)]
        for conn in conns:
            self.upload_and_read(conn, body)
        time.sleep(1.5)
        per_connection = (rss_kib(self.gh.proc.pid) - before) * 1024 // len(conns)
        print(f"\nRSS per idle HTTP/2 connection after a 16 KB upload: {per_connection} B", file=sys.stderr)
        self.assertLess(per_connection, 32 * 1024)
        for conn in conns:  # all still open: a PING is answered
            conn.send(frame(PING, 0, 0, b"12345678"))
            self.assertEqual(conn.until(lambda f: f[0] == PING)[-1][1], ACK)

    def test_client_with_small_windows_gets_every_byte(self):
        # 4 MiB through a 16 KiB stream window and a 16 KiB connection window.
        res = run_tool(["nghttp", "-w", "14", "-W", "14", "-H", f":authority: {HOST}",
                        f"http://{self.ip}:{PORT}/big/{4 * MIB}"], timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        self.assertEqual(len(res.stdout), 4 * MIB)
        self.assertTrue(res.stdout == pattern(4 * MIB))

    def capture_upload(self, extra_args: list, body: bytes) -> dict:
        res = run_tool(["curl", "-s", "--http2-prior-knowledge", "-H", f"host: {HOST}", *extra_args,
                        f"http://{self.ip}:{PORT}/upload"], input=body, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        return json.loads(res.stdout)

    def test_request_body_without_length_goes_chunked_as_it_arrives(self):
        body = pattern(3 * MIB)  # larger than a window and than the buffered limit of old (1 MiB)
        record = self.capture_upload(["-T", "-"], body)
        headers = {k.lower(): v for k, v in record["headers"]}
        self.assertEqual(headers.get("transfer-encoding"), "chunked")
        self.assertNotIn("content-length", headers)
        self.assertTrue(record["body"].encode("latin-1") == body)

    def test_request_body_with_length_keeps_it(self):
        body = pattern(2 * MIB + 7)
        record = self.capture_upload(["--data-binary", "@-", "-H", "content-type: application/octet-stream"], body)
        headers = {k.lower(): v for k, v in record["headers"]}
        self.assertEqual(headers.get("content-length"), str(2 * MIB + 7))
        self.assertNotIn("transfer-encoding", headers)
        self.assertTrue(record["body"].encode("latin-1") == body)

    def test_grpc_bidirectional_stream_answers_each_message_before_the_next(self):
        outgoing = queue.Queue()
        replies = self.channel.stream_stream(f"/{CHAT}/Talk")(iter(outgoing.get, None), timeout=WAIT)
        for i in range(20):
            outgoing.put(b"message %d" % i)
            # Nothing more is sent until this answer came back through the gateway.
            self.assertEqual(next(replies), b"re:message %d" % i)
        outgoing.put(None)
        self.assertEqual(list(replies), [])
        self.assertEqual(replies.code(), grpc.StatusCode.OK)

    def test_grpc_server_stream_larger_than_any_buffer(self):
        messages = list(self.channel.unary_stream(f"/{CHAT}/Download")(b"200", timeout=WAIT))  # 12.5 MiB
        self.assertEqual(len(messages), 200)
        self.assertEqual([(len(m), m[0]) for m in messages], [(65536, i % 256) for i in range(200)])

    def test_grpc_client_stream_larger_than_any_buffer(self):
        total = self.channel.stream_unary(f"/{CHAT}/Upload")(iter([b"x" * 65536] * 200), timeout=WAIT)
        self.assertEqual(total, str(200 * 65536).encode())


class H2cUpstreamSessionsTest(GatehouseTestCase):
    workers = 1  # the two client connections' streams meet in one worker's upstream sessions

    @classmethod
    def configure(cls, gh):
        backend_ip = gh.backend_ip()
        cls.backend = ChatServer(backend_ip)
        cls.addClassCleanup(cls.backend.stop)
        frames_ip = gh.backend_ip()
        cls.frames = FrameRecordingBackend(frames_ip)
        cls.addClassCleanup(cls.frames.stop)
        h2c_port = {"name": "http", "port": 8080, "targetPort": 3000, "protocol": "TCP",
                    "appProtocol": "kubernetes.io/h2c"}
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT, "HTTP")]),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "chat", "namespace": "default"},
             "spec": {"ports": [h2c_port]}},
            endpoint_slice("chat", [backend_ip]),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "frames", "namespace": "default"},
             "spec": {"ports": [h2c_port]}},
            endpoint_slice("frames", [frames_ip]),
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
             "metadata": {"name": "chat", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["grpc.example.com"],
                      "rules": [{"matches": [{"method": {"service": CHAT}}], "backendRefs": [backend_ref("chat")]},
                                {"matches": [{"method": {"service": "frames.Unary"}}],
                                 "backendRefs": [backend_ref("frames")]}]}},
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def test_unary_call_goes_upstream_as_headers_and_one_data_frame_in_one_read(self):
        # The client's HEADERS and DATA (END_STREAM) arrive together: upstream, the message and
        # the end of the stream go in one DATA frame, written with the HEADERS (before: a DATA
        # frame, then an empty one with END_STREAM, three writes).
        conn = RawH2(self.ip, PORT)
        self.addCleanup(conn.close)
        self.frames.frames.clear()
        self.frames.reads.clear()
        block = conn.encoder.encode([(":method", "POST"), (":scheme", "http"), (":authority", "grpc.example.com"),
                                     (":path", "/frames.Unary/Call"), ("content-type", "application/grpc"),
                                     ("te", "trailers")])
        conn.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, b"\0\0\0\0\x03abc"))
        trailers = conn.until(lambda f: f[2] == 1 and f[0] == HEADERS and f[1] & END_STREAM)[-1]
        self.assertEqual(dict(conn.decoder.decode(trailers[3])), {"grpc-status": "0"})
        self.assertEqual(self.frames.frames, [(HEADERS, END_HEADERS, self.frames.frames[0][2]), (DATA, END_STREAM, 8)])
        self.assertEqual(len(self.frames.reads), 1)

    def test_grpc_response_broken_mid_body_ends_with_unavailable_trailers(self):
        # The upstream connection is lost after the response head and part of a message: the
        # client gets what came, then grpc-status 14 in trailers (not a bare RST_STREAM).
        conn = RawH2(self.ip, PORT)
        self.addCleanup(conn.close)
        block = conn.encoder.encode([(":method", "POST"), (":scheme", "http"), (":authority", "grpc.example.com"),
                                     (":path", "/frames.Unary/Break"), ("content-type", "application/grpc"),
                                     ("te", "trailers")])
        conn.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, b"\0\0\0\0\0"))
        frames = conn.until(lambda f: f[2] == 1 and f[1] & END_STREAM or f[0] == RST_STREAM)
        self.assertEqual([(f[0], f[1] & END_STREAM) for f in frames if f[2] == 1][0], (HEADERS, 0))
        self.assertEqual(b"".join(f[3] for f in frames if f[0] == DATA), b"\0\0\0\0\x05ha")
        self.assertEqual((frames[-1][0], frames[-1][1] & END_STREAM), (HEADERS, END_STREAM))
        self.assertEqual(dict(conn.decoder.decode(frames[-1][3])),
                         {"grpc-status": "14", "grpc-message": "gateway: bad_response"})

    def test_upstream_sessions_carry_at_most_100_streams_each(self):
        # 150 calls in flight (two client connections: the gateway allows 100 streams on one) go
        # upstream on two h2c connections, 100 and 50 streams.
        channels = [grpc.insecure_channel(f"ipv4:{self.ip}:{PORT}", options=[
            ("grpc.default_authority", "grpc.example.com"), ("grpc.enable_retries", 0),
            ("grpc.use_local_subchannel_pool", 1)]) for _ in range(2)]  # a connection each
        for channel in channels:
            self.addCleanup(channel.close)
        self.backend.held.clear()
        self.backend.release.clear()
        self.addCleanup(self.backend.release.set)
        calls = [channels[i % 2].unary_unary(f"/{CHAT}/Hold").future(b"%d" % i, timeout=WAIT) for i in range(150)]
        wait_until(lambda: len(self.backend.held) == 150, what="150 calls at the backend")
        per_connection = sorted(collections.Counter(self.backend.held).values())
        self.backend.release.set()
        self.assertEqual([call.result() for call in calls], [b"%d" % i for i in range(150)])
        self.assertEqual(per_connection, [50, 100])


if __name__ == "__main__":
    unittest.main()
