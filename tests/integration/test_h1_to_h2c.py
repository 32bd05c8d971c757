"""HTTP/1.1 clients of h2c upstreams (Service appProtocol kubernetes.io/h2c), streamed both ways:
a 20 MiB download arrives whole while the gateway's memory stays flat, a 20 MiB chunked upload
arrives whole with its trailers, a slow response reaches the client piece by piece, response
trailers reach a client that sent TE: trailers, a client leaving resets the upstream stream, an
upstream reset truncates the client's response, keep-alive, HEAD, HTTP/1.0 and retries.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_h1_to_h2c.py
"""

import collections
import hashlib
import json
import os
import socket
import sys
import threading
import time
import unittest
import uuid

import h2.config
import h2.connection
import h2.events
import h2.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    SANITIZED, WAIT, GatehouseTestCase, KeepAliveClient, ThreadedBackend, backend_ref, endpoint_slice, gateway,
    gateway_address, gateway_class, http_route, listener, path_match, request, rule, wait_until)
from h2_frames import rss_kib  # noqa: E402

PORT = 8080
HOST = "h1h2c.example.com"
MIB = 1024 * 1024


def pattern(n: int) -> bytes:
    return (bytes(range(256)) * (n // 256 + 1))[:n]


class H2Backend(ThreadedBackend):
    """An h2c upstream (python-h2; a thread per connection and one per response, flow control
    respected). GET /download/<n>[?nolength]: n pattern bytes, with content-length unless nolength.
    POST /upload: JSON {length, sha256, trailers, te} once the body ended. GET /slow: "first
    piece", then "second piece" once `release` is set (any path ending in /hold: never). GET /trailers: "hello", then trailers
    x-checksum. GET /reset/<n>: content-length 2n, n bytes, then RST_STREAM. /flaky/<key>: 503
    the first time for a key, then 200 with JSON {attempt, length, sha256}. `resets`: the paths of
    the streams the gateway reset. POST /early: 413 at once, then RST_STREAM NO_ERROR."""

    def __init__(self, ip: str, port: int = 3000):
        super().__init__(ip, port, backlog=64)
        self.lock = threading.Lock()
        self.resets = []
        self.attempts = collections.Counter()
        self.release = threading.Event()
        self.hold = threading.Event()  # never set: /.../hold answers its first piece only
        self.start()

    def _serve(self, sock):
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        cond = threading.Condition()
        state = {"closed": False}
        streams = {}
        with cond:
            conn.initiate_connection()
            sock.sendall(conn.data_to_send())
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                with cond:
                    for event in conn.receive_data(data):
                        self._event(conn, sock, cond, state, streams, event)
                    sock.sendall(conn.data_to_send())
                    cond.notify_all()
        except (OSError, h2.exceptions.H2Error):
            pass
        finally:
            with cond:
                state["closed"] = True
                cond.notify_all()
            sock.close()

    def _event(self, conn, sock, cond, state, streams, event):
        if isinstance(event, h2.events.RequestReceived):
            streams[event.stream_id] = {"headers": dict(event.headers), "hash": hashlib.sha256(), "length": 0,
                                        "trailers": {}, "reset": False}
            if dict(event.headers)[":path"] == "/early":  # answered at once, the body refused
                conn.send_headers(event.stream_id, [(":status", "413"), ("content-length", "0")], end_stream=True)
                conn.reset_stream(event.stream_id, error_code=0)
        elif isinstance(event, h2.events.DataReceived):
            stream = streams[event.stream_id]
            stream["hash"].update(event.data)
            stream["length"] += len(event.data)
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.TrailersReceived):
            streams[event.stream_id]["trailers"] = dict(event.headers)
        elif isinstance(event, h2.events.StreamEnded):
            threading.Thread(target=self._respond, args=(conn, sock, cond, state, event.stream_id,
                                                         streams[event.stream_id]), daemon=True).start()
        elif isinstance(event, h2.events.StreamReset) and event.stream_id in streams:
            stream = streams[event.stream_id]
            stream["reset"] = True
            with self.lock:
                self.resets.append(stream["headers"][":path"])

    def _respond(self, conn, sock, cond, state, stream_id, stream):
        gone = lambda: state["closed"] or stream["reset"]  # noqa: E731

        def send(headers=None, data=b"", end=False, trailers=None):
            with cond:
                if gone():
                    return False
                if headers:
                    conn.send_headers(stream_id, headers, end_stream=end and not data and trailers is None)
                    sock.sendall(conn.data_to_send())
            offset = 0
            while offset < len(data):
                with cond:
                    while not gone() and conn.local_flow_control_window(stream_id) <= 0:
                        cond.wait(1)
                    if gone():
                        return False
                    n = min(conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size,
                            len(data) - offset)
                    last = end and trailers is None and offset + n == len(data)
                    conn.send_data(stream_id, data[offset:offset + n], end_stream=last)
                    offset += n
                    sock.sendall(conn.data_to_send())
            if trailers is not None:
                with cond:
                    conn.send_headers(stream_id, trailers, end_stream=True)
                    sock.sendall(conn.data_to_send())
            return True

        path = stream["headers"][":path"]
        try:
            if path.startswith("/download/"):
                spec = path[len("/download/"):]
                size = int(spec.split("?")[0])
                headers = [(":status", "200"), ("content-type", "application/octet-stream")]
                if "nolength" not in spec:
                    headers.append(("content-length", str(size)))
                send(headers, b"" if stream["headers"][":method"] == "HEAD" else pattern(size), end=True)
            elif path == "/upload":
                body = json.dumps({"length": stream["length"], "sha256": stream["hash"].hexdigest(),
                                   "trailers": stream["trailers"], "te": stream["headers"].get("te")}).encode()
                send([(":status", "200"), ("content-length", str(len(body)))], body, end=True)
            elif path == "/slow" or path.endswith("/hold"):
                send([(":status", "200"), ("content-type", "text/plain")], b"first piece")
                (self.release if path == "/slow" else self.hold).wait(WAIT)
                send(data=b"second piece", end=True)
            elif path == "/trailers":
                send([(":status", "200")], b"hello", end=True, trailers=[("x-checksum", "5d41")])
            elif path.startswith("/reset/"):
                size = int(path[len("/reset/"):])
                send([(":status", "200"), ("content-length", str(2 * size))], pattern(size))
                with cond:
                    conn.reset_stream(stream_id, error_code=2)
                    sock.sendall(conn.data_to_send())
            elif path.startswith("/flaky/"):
                with self.lock:
                    self.attempts[path] += 1
                    attempt = self.attempts[path]
                if attempt == 1:
                    send([(":status", "503"), ("content-length", "10")], b"try again\n", end=True)
                else:
                    body = json.dumps({"attempt": attempt, "length": stream["length"],
                                       "sha256": stream["hash"].hexdigest()}).encode()
                    send([(":status", "200"), ("content-length", str(len(body)))], body, end=True)
            else:
                send([(":status", "404"), ("content-length", "0")], end=True)
        except (OSError, h2.exceptions.H2Error):
            pass


class ChunkedReader:
    """A raw HTTP/1.1 client connection reading responses as they arrive (trailers kept)."""

    def __init__(self, ip: str, port: int, timeout: float = WAIT):
        self.sock = socket.create_connection((ip, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def fill(self) -> bool:
        chunk = self.sock.recv(1 << 20)
        self.buf += chunk
        return bool(chunk)

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self.fill():
                raise ConnectionError("closed mid-line")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self.fill():
                raise ConnectionError(f"closed mid-body ({len(self.buf)} of {n})")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def head(self) -> tuple:
        status = int(self.line().split(b" ")[1])
        headers = {}
        while True:
            line = self.line()
            if not line:
                return status, headers
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()

    def chunked_body(self) -> tuple:
        body, trailers = b"", {}
        while True:
            size = int(self.line().split(b";")[0], 16)
            if size == 0:
                while True:
                    line = self.line()
                    if not line:
                        return body, trailers
                    name, _, value = line.decode("latin-1").partition(":")
                    trailers[name.strip().lower()] = value.strip()
            body += self.exact(size)
            self.exact(2)

    def until_close(self) -> bytes:
        try:
            while self.fill():
                pass
        except ConnectionResetError:
            pass
        data, self.buf = self.buf, b""
        return data

    def close(self):
        self.sock.close()


def get(path: str, extra: str = "", version: str = "1.1") -> bytes:
    return f"GET {path} HTTP/{version}\r\nHost: {HOST}\r\n{extra}\r\n".encode()


class H1ToH2cTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        backend_ip = gh.backend_ip()
        cls.backend = H2Backend(backend_ip)
        cls.addClassCleanup(cls.backend.stop)
        h2c_port = {"name": "http", "port": 8080, "targetPort": 3000, "protocol": "TCP",
                    "appProtocol": "kubernetes.io/h2c"}
        flaky = rule([backend_ref("h2")], matches=[path_match("/flaky")])
        flaky["retry"] = {"codes": [503], "attempts": 2, "backoff": "1ms"}
        timeout = rule([backend_ref("h2")], matches=[path_match("/timeout")])
        timeout["timeouts"] = {"request": "1s"}
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT, "HTTP")]),
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "h2", "namespace": "default"},
             "spec": {"ports": [h2c_port]}},
            endpoint_slice("h2", [backend_ip]),
            http_route("h2", hostnames=[HOST], rules=[flaky, timeout, rule([backend_ref("h2")])]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def connect(self) -> ChunkedReader:
        conn = ChunkedReader(self.ip, PORT)
        self.addCleanup(conn.close)
        return conn

    @unittest.skipIf(SANITIZED, "ASan's quarantine keeps freed memory resident")
    def test_20_mib_download_arrives_whole_with_flat_memory(self):
        size = 20 * MIB
        self.assertEqual(request(self.ip, PORT, "/download/100000", host=HOST).status, 200)  # warm-up
        before = rss_kib(self.gh.proc.pid)
        peak = before
        conn = self.connect()
        conn.send(get(f"/download/{size}"))
        status, headers = conn.head()
        self.assertEqual((status, headers.get("content-length")), (200, str(size)))
        digest, received = hashlib.sha256(), 0
        digest.update(conn.buf)
        received, conn.buf = len(conn.buf), b""
        while received < size:
            chunk = conn.sock.recv(min(1 << 20, size - received))
            self.assertTrue(chunk, f"closed after {received} bytes")
            digest.update(chunk)
            received += len(chunk)
            peak = max(peak, rss_kib(self.gh.proc.pid))
        self.assertEqual(digest.hexdigest(), hashlib.sha256(pattern(size)).hexdigest())
        print(f"\nRSS during a 20 MiB h2c download: {before} KiB -> {peak} KiB", file=sys.stderr)
        self.assertLess(peak - before, 8 * 1024)

    def test_20_mib_chunked_upload_arrives_whole_with_its_trailers(self):
        body = pattern(20 * MIB + 3)
        digest = hashlib.sha256(body).hexdigest()
        conn = self.connect()
        conn.send(f"POST /upload HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\n\r\n".encode())
        before = peak = rss_kib(self.gh.proc.pid)
        piece = 64 * 1024 + 1
        for offset in range(0, len(body), piece):
            chunk = body[offset:offset + piece]
            conn.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            peak = max(peak, rss_kib(self.gh.proc.pid))
        conn.send(f"0\r\nX-Upload-Sum: {digest}\r\n\r\n".encode())
        status, headers = conn.head()
        self.assertEqual(status, 200)
        record = json.loads(conn.exact(int(headers["content-length"])))
        self.assertEqual(record, {"length": len(body), "sha256": digest, "trailers": {"x-upload-sum": digest},
                                  "te": "trailers"})
        print(f"\nRSS during a 20 MiB chunked h2c upload: {before} KiB -> {peak} KiB", file=sys.stderr)
        if not SANITIZED:  # ASan's quarantine keeps freed memory resident
            self.assertLess(peak - before, 8 * 1024)

    def test_upload_with_content_length_and_100_continue(self):
        body = pattern(3 * MIB)
        conn = self.connect()
        conn.send(f"POST /upload HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {len(body)}\r\n"
                  "Expect: 100-continue\r\n\r\n".encode())
        self.assertEqual(conn.head(), (100, {}))
        conn.send(body)
        status, headers = conn.head()
        self.assertEqual(status, 200)
        record = json.loads(conn.exact(int(headers["content-length"])))
        self.assertEqual((record["length"], record["sha256"]), (len(body), hashlib.sha256(body).hexdigest()))

    def test_slow_response_arrives_piece_by_piece(self):
        self.backend.release.clear()
        conn = self.connect()
        conn.send(get("/slow"))
        status, headers = conn.head()
        self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
        conn.sock.settimeout(5)
        while b"first piece" not in conn.buf:
            self.assertTrue(conn.fill())
        self.assertFalse(self.backend.release.is_set())  # the rest is still held by the backend
        self.backend.release.set()
        self.assertEqual(conn.chunked_body(), (b"first piecesecond piece", {}))

    def test_request_timeout_cuts_a_response_still_streaming(self):
        conn = self.connect()
        conn.send(get("/timeout/hold"))
        started = time.monotonic()
        status, headers = conn.head()
        self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
        self.assertEqual(conn.until_close(), b"b\r\nfirst piece\r\n")  # no last chunk: cut short
        self.assertLess(time.monotonic() - started, 5)
        wait_until(lambda: "/timeout/hold" in self.backend.resets, timeout=5, what="the upstream stream reset")

    def test_response_trailers_reach_a_client_that_sent_te_trailers(self):
        conn = self.connect()
        conn.send(get("/trailers", "TE: trailers\r\n"))
        status, headers = conn.head()
        self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
        self.assertEqual(conn.chunked_body(), (b"hello", {"x-checksum": "5d41"}))
        # Without TE: trailers the body comes alone.
        conn.send(get("/trailers"))
        status, headers = conn.head()
        self.assertEqual(conn.chunked_body(), (b"hello", {}))

    def test_client_leaving_mid_download_resets_the_upstream_stream(self):
        path = f"/download/{20 * MIB}?leave={uuid.uuid4().hex}"
        conn = ChunkedReader(self.ip, PORT)
        conn.send(get(path))
        status, _ = conn.head()
        self.assertEqual(status, 200)
        while len(conn.buf) < MIB:
            self.assertTrue(conn.fill())
        conn.close()
        wait_until(lambda: path in self.backend.resets, timeout=10, what="the upstream stream reset")

    def test_client_leaving_while_the_upstream_is_silent_resets_the_stream_at_once(self):
        path = f"/leave-{uuid.uuid4().hex}/hold"  # the backend holds the rest for WAIT seconds
        conn = ChunkedReader(self.ip, PORT)
        conn.send(get(path))
        self.assertEqual(conn.head()[0], 200)
        while b"first piece" not in conn.buf:
            self.assertTrue(conn.fill())
        conn.close()
        wait_until(lambda: path in self.backend.resets, timeout=3, what="the upstream stream reset")

    def test_upstream_reset_mid_body_truncates_the_response(self):
        conn = self.connect()
        conn.send(get("/reset/100000"))
        status, headers = conn.head()
        self.assertEqual((status, headers.get("content-length")), (200, "200000"))
        received = conn.until_close()
        self.assertLessEqual(len(received), 100000)
        self.assertEqual(received, pattern(100000)[:len(received)])

    def test_upstream_answering_before_the_body_ended_gets_its_answer_through(self):
        conn = self.connect()
        conn.send(f"POST /early HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {20 * MIB}\r\n\r\n".encode())

        def send_body():  # as a client does: the body keeps coming while the answer is read
            try:
                for _ in range(20 * 16):
                    conn.sock.sendall(pattern(64 * 1024))
            except OSError:
                pass

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        self.addCleanup(sender.join, WAIT)
        status, headers = conn.head()
        # The rest of the body is not read: the connection closes after the answer.
        self.assertEqual((status, headers.get("content-length"), headers.get("connection")), (413, "0", "close"))
        self.assertEqual(conn.until_close(), b"")

    def test_keep_alive_serves_requests_in_turn(self):
        client = KeepAliveClient(self.ip, PORT)
        self.addCleanup(client.close)
        first = client.get("/download/5000", HOST)
        second = client.get("/download/7000?nolength", HOST)
        self.assertEqual((first.status, first.body), (200, pattern(5000)))
        self.assertEqual((second.status, second.body), (200, pattern(7000)))
        self.assertEqual(second.header("transfer-encoding"), "chunked")

    def test_head_and_then_get_on_one_connection(self):
        conn = self.connect()
        conn.send(f"HEAD /download/1234 HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode() + get("/download/10"))
        status, headers = conn.head()
        self.assertEqual((status, headers.get("content-length")), (200, "1234"))
        status, headers = conn.head()
        self.assertEqual((status, conn.exact(int(headers["content-length"]))), (200, pattern(10)))

    def test_http10_client_gets_a_body_without_length_until_close(self):
        conn = self.connect()
        conn.send(get("/download/5000?nolength", version="1.0"))
        status, headers = conn.head()
        self.assertEqual(status, 200)
        self.assertNotIn("transfer-encoding", headers)
        self.assertEqual(conn.until_close(), pattern(5000))

    def test_retry_resends_a_kept_body_and_not_a_large_one(self):
        small = pattern(1000)
        res = request(self.ip, PORT, f"/flaky/{uuid.uuid4().hex}", host=HOST, method="POST", body=small)
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.json(), {"attempt": 2, "length": 1000, "sha256": hashlib.sha256(small).hexdigest()})
        large = pattern(100 * 1024)  # over the 64 KiB replay bound: answered as it came
        path = f"/flaky/{uuid.uuid4().hex}"
        res = request(self.ip, PORT, path, host=HOST, method="POST", body=large)
        self.assertEqual(res.status, 503, res)
        self.assertEqual(self.backend.attempts[path], 1)
        res = request(self.ip, PORT, f"/flaky/{uuid.uuid4().hex}", host=HOST)
        self.assertEqual((res.status, res.json()["attempt"]), (200, 2))


if __name__ == "__main__":
    unittest.main()
