"""Integration tests of the conformance echo backend (conformance/echo) over real sockets.

Each mode runs as a real echo_server.py subprocess on its own 127.77.x.y address with free
high ports; certificates come from `openssl` in a temporary directory.

    /usr/bin/python3 -m unittest tests/integration/test_echo_server.py
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import h2.config
import h2.connection
import h2.events
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ECHO_DIR = os.path.join(ROOT, "conformance", "echo")
sys.path.insert(0, ECHO_DIR)

import dns_server  # noqa: E402
import grpc_client  # noqa: E402

PYTHON = "/usr/bin/python3"
TIMEOUT = 5.0
NAMESPACE = "gateway-conformance-infra"

# --- process and port helpers -------------------------------------------------------------


def fresh_ip() -> str:
    return f"127.77.{random.randint(1, 250)}.{random.randint(1, 250)}"


def free_port(ip: str, kind=socket.SOCK_STREAM) -> int:
    for _ in range(100):
        port = random.randint(20000, 60000)
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((ip, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class Pod:
    """One echo_server.py (or dns_server.py) subprocess."""

    def __init__(self, tmp: str, env: dict, script: str = "echo_server.py", extra_args=()):
        self.ip = fresh_ip()
        self.tmp = tmp
        name = f"pod-{uuid.uuid4().hex[:8]}"
        self.log_path = os.path.join(tmp, f"{name}.log")
        ready = os.path.join(tmp, f"{name}.ready")
        self.env = dict(env)
        args = [PYTHON, os.path.join(ECHO_DIR, script), "--bind", self.ip, "--ready-file", ready, "--quiet"]
        if script == "echo_server.py":
            args += ["--log", self.log_path]
        args += list(extra_args)
        full_env = {k: v for k, v in os.environ.items() if not k.endswith("_ECHO_SERVER")}
        full_env.update({k: str(v) for k, v in env.items()})
        self.stderr = open(os.path.join(tmp, f"{name}.stderr"), "w+")
        self.proc = subprocess.Popen(args, env=full_env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + 15
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stderr.seek(0)
                raise RuntimeError(f"{script} did not become ready: {self.stderr.read()}")
            time.sleep(0.02)
        with open(ready) as f:
            self.ready = json.load(f)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def log_lines(self) -> list:
        with open(self.log_path) as f:
            return f.read().splitlines()


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d: str) -> dict:
    """CA, server cert (abc.example.com) and client cert signed by it, plus an unrelated CA/client."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2",
                "-subj", f"/CN={ca}", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    leaves = {
        "server": ("ca", "subjectAltName=DNS:abc.example.com\nextendedKeyUsage=serverAuth\n"),
        "client": ("ca", "extendedKeyUsage=clientAuth\n"),
        "other-client": ("other-ca", "extendedKeyUsage=clientAuth\n"),
    }
    for name, (ca, ext) in leaves.items():
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext)
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return {n: os.path.join(d, n) for n in ("ca", "other-ca", "server", "client", "other-client")}


def client_tls(pki: dict, alpn=None, cert: str = None, max_version=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=pki["ca"] + ".crt")
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if cert:
        ctx.load_cert_chain(pki[cert] + ".crt", pki[cert] + ".key")
    if max_version:
        ctx.maximum_version = max_version
    return ctx


# --- protocol clients -----------------------------------------------------------------------


class RawHttp:
    """Byte-exact HTTP/1.x client: sends what it is given and parses responses."""

    def __init__(self, ip: str, port: int, tls: ssl.SSLContext = None, sni: str = None):
        sock = socket.create_connection((ip, port), timeout=TIMEOUT)
        self.sock = tls.wrap_socket(sock, server_hostname=sni) if tls else sock
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("closed")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def response(self, head_request=False):
        """-> (status, {lower-name: [values]}, body)"""
        status_line = self._line().decode()
        status = int(status_line.split(" ")[1])
        headers = {}
        while True:
            line = self._line().decode()
            if not line:
                break
            name, _, value = line.partition(":")
            headers.setdefault(name.lower(), []).append(value.strip())
        if head_request or status in (204, 304) or 100 <= status < 200:
            return status, headers, b""
        if "content-length" in headers:
            n = int(headers["content-length"][0])
        else:  # read to close
            while self._fill():
                pass
            n = len(self.buf)
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("short body")
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def request(self, raw: bytes, head_request=False):
        self.send(raw)
        return self.response(head_request)

    def closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            return True


def http_get(ip, port, path, host="example.com", headers=(), tls=None, sni=None):
    conn = RawHttp(ip, port, tls, sni)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *[f"{k}: {v}" for k, v in headers], "Connection: close"]
        return conn.request(("\r\n".join(lines) + "\r\n\r\n").encode())
    finally:
        conn.close()


def h2_request(ip, port, path, authority, headers=(), tls=None, sni=None, method="GET"):
    """One HTTP/2 request with prior knowledge (or ALPN h2 over TLS) -> (status, headers, body, sock)."""
    sock = socket.create_connection((ip, port), timeout=TIMEOUT)
    if tls:
        sock = tls.wrap_socket(sock, server_hostname=sni)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", method), (":path", path), (":scheme", "https" if tls else "http"),
                            (":authority", authority), *headers], end_stream=True)
    sock.sendall(conn.data_to_send())
    status, resp_headers, body = None, {}, b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("closed before the response ended")
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    resp_headers = dict(ev.headers)
                    status = int(resp_headers[":status"])
                elif isinstance(ev, h2.events.DataReceived):
                    body += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    return status, resp_headers, body
                elif isinstance(ev, h2.events.StreamReset):
                    raise ConnectionError(f"stream reset {ev.error_code}")
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()


ECHO_KEYS = ["path", "host", "method", "proto", "headers", "httpPort", "namespace", "ingress", "service", "pod"]
LOG_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z Echoing back request made to (\S+) to client \((\S+)\)$")


# --- tests -------------------------------------------------------------------------------------


class HttpModeTest(unittest.TestCase):
    """HTTP mode with HTTPS enabled and client-certificate verification."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="echo-test-")
        cls.pki = make_pki(cls.tmp)
        ip = fresh_ip()
        cls.env = {
            "POD_NAME": "infra-backend-v1-7d9f8c6b5a-x2k4q", "NAMESPACE": NAMESPACE,
            "SERVICE_NAME": "infra-backend-v1", "INGRESS_NAME": "gatehouse",
            "HTTP_PORT": free_port(ip), "H2C_PORT": free_port(ip), "HTTPS_PORT": free_port(ip),
            "TLS_SERVER_CERT": cls.pki["server"] + ".crt", "TLS_SERVER_PRIVKEY": cls.pki["server"] + ".key",
            "TLS_CLIENT_CACERTS": cls.pki["ca"] + ".crt",
        }
        cls.pod = Pod(cls.tmp, cls.env)
        cls.ip = cls.pod.ip
        cls.http, cls.h2c, cls.https = (int(cls.env[k]) for k in ("HTTP_PORT", "H2C_PORT", "HTTPS_PORT"))

    @classmethod
    def tearDownClass(cls):
        cls.pod.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        self.assertTrue(self.pod.alive(), "echo process died")

    def get_json(self, path, **kw):
        status, headers, body = http_get(self.ip, kw.pop("port", self.http), path, **kw)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], ["application/json"])
        return json.loads(body), headers

    def test_ready_file_lists_ports(self):
        self.assertEqual(self.pod.ready["ports"], {"http": self.http, "h2c": self.h2c, "https": self.https})

    def test_echo_json_fields(self):
        conn = RawHttp(self.ip, self.http)
        status, headers, body = conn.request(
            b"GET /foo/bar?x=1&y=%2F HTTP/1.1\r\nHost: echo.example.com:8080\r\nx-custom-header: one\r\n"
            b"X-Multi: a\r\nx-multi: b\r\nUser-Agent: test\r\n\r\n")
        client = "%s:%d" % conn.sock.getsockname()
        conn.close()
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], ["application/json"])
        self.assertEqual(headers["x-content-type-options"], ["nosniff"])
        echo = json.loads(body)
        self.assertEqual(list(echo), ECHO_KEYS)
        self.assertEqual(echo, {
            "path": "/foo/bar?x=1&y=%2F", "host": "echo.example.com:8080", "method": "GET", "proto": "HTTP/1.1",
            "headers": {"User-Agent": ["test"], "X-Custom-Header": ["one"], "X-Multi": ["a", "b"]},
            "httpPort": str(self.http), "namespace": NAMESPACE, "ingress": "gatehouse",
            "service": "infra-backend-v1", "pod": "infra-backend-v1-7d9f8c6b5a-x2k4q",
        })
        # Go's MarshalIndent layout with one-space indent and HTML-safe escapes.
        self.assertTrue(body.startswith(b'{\n "path": "/foo/bar?x=1\\u0026y=%2F",\n "host"'), body[:60])
        matches = [LOG_RE.match(line) for line in self.pod.log_lines()]
        self.assertIn(("/foo/bar?x=1&y=%2F", client), [m.groups() for m in matches if m])

    def test_echo_set_header(self):
        status, headers, body = http_get(self.ip, self.http, "/set", headers=[
            ("X-Echo-Set-Header", "X-Foo:bar, X-Foo: baz,Other-Header:v1"), ("X-Echo-Set-Header", "Third:3")])
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-foo"], ["bar,baz"])
        self.assertEqual(headers["other-header"], ["v1"])
        self.assertEqual(headers["third"], ["3"])
        # The runner always sends an empty X-Echo-Set-Header: it must add nothing.
        status, headers, _ = http_get(self.ip, self.http, "/set", headers=[("X-Echo-Set-Header", "")])
        self.assertEqual(status, 200)
        self.assertEqual(sorted(headers), ["connection", "content-length", "content-type", "date",
                                           "x-content-type-options"])

    def test_status_health_and_redirects(self):
        status, headers, body = http_get(self.ip, self.http, "/status/418")
        self.assertEqual((status, body, headers["content-length"]), (418, b"", ["0"]))
        self.assertEqual(http_get(self.ip, self.http, "/status/503")[0], 503)
        self.assertEqual(http_get(self.ip, self.http, "/status/abc")[0], 400)
        self.assertEqual(http_get(self.ip, self.http, "/status/418?x=1")[0], 400)
        self.assertEqual(http_get(self.ip, self.http, "/status/4180")[0], 400)
        self.assertEqual(http_get(self.ip, self.http, "/health")[:3:2], (200, b"OK"))
        status, headers, _ = http_get(self.ip, self.http, "/status?a=b")
        self.assertEqual((status, headers["location"]), (301, ["/status/?a=b"]))
        # /health/x is not the health handler; duplicate slashes are folded first.
        self.assertEqual(self.get_json("/health/x")[0]["path"], "/health/x")
        self.assertEqual(http_get(self.ip, self.http, "//health")[:3:2], (200, b"OK"))

    def test_delay(self):
        start = time.monotonic()
        echo, _ = self.get_json("/slow?delay=400ms")
        self.assertGreaterEqual(time.monotonic() - start, 0.4)
        self.assertEqual(echo["path"], "/slow?delay=400ms")
        status, headers, body = http_get(self.ip, self.http, "/slow?delay=abc")
        self.assertEqual(status, 500)
        self.assertEqual(json.loads(body), {"message": 'time: invalid duration "abc"'})

    def test_retry_with_response_code(self):
        u = uuid.uuid4()
        path = f"/retry/code-500?responseCode=503&succeedAfter=2&uuid={u}"
        self.assertEqual([http_get(self.ip, self.http, path)[0] for _ in range(2)], [503, 503])
        echo, _ = self.get_json(path)
        self.assertEqual(echo["path"], path)
        self.assertEqual(self.get_json(path)[0]["pod"], self.env["POD_NAME"])
        # Counters are per uuid.
        self.assertEqual(http_get(self.ip, self.http, path.replace(str(u), "other"))[0], 503)

    def test_retry_resets_connection_without_response_code(self):
        path = f"/retry/x?succeedAfter=1&uuid={uuid.uuid4()}"
        conn = RawHttp(self.ip, self.http)
        conn.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        with self.assertRaises(ConnectionResetError):
            conn.sock.recv(100)
        conn.close()
        self.assertEqual(self.get_json(path)[0]["path"], path)
        status, _, body = http_get(self.ip, self.http, "/retry/x?succeedAfter=1")
        self.assertEqual((status, body), (400, b"uuid is required"))

    def test_retry_delay(self):
        path = f"/retry/x?responseCode=500&succeedAfter=1&delayRetry=300ms&uuid={uuid.uuid4()}"
        start = time.monotonic()
        self.assertEqual(http_get(self.ip, self.http, path)[0], 500)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.assertEqual(http_get(self.ip, self.http, path)[0], 200)

    def test_keep_alive_with_chunked_and_content_length_bodies(self):
        conn = RawHttp(self.ip, self.http)
        status, headers, body = conn.request(
            b"POST /one HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n")
        self.assertEqual(status, 200)
        echo = json.loads(body)
        self.assertEqual((echo["method"], echo["path"]), ("POST", "/one"))
        self.assertNotIn("Transfer-Encoding", echo["headers"])
        status, _, body = conn.request(b"PUT /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        self.assertEqual(json.loads(body)["headers"]["Content-Length"], ["3"])
        status, headers, body = conn.request(b"HEAD /three HTTP/1.1\r\nHost: a\r\n\r\n", head_request=True)
        self.assertEqual((status, body), (200, b""))
        self.assertGreater(int(headers["content-length"][0]), 0)
        status, headers, _ = conn.request(b"GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        self.assertEqual(headers["connection"], ["close"])
        self.assertTrue(conn.closed_by_peer())
        conn.close()
        # HTTP/1.0 without keep-alive closes; the proto is reported as sent.
        conn = RawHttp(self.ip, self.http)
        status, _, body = conn.request(b"GET /old HTTP/1.0\r\n\r\n")
        self.assertEqual((status, json.loads(body)["proto"], json.loads(body)["host"]), (200, "HTTP/1.0", ""))
        self.assertTrue(conn.closed_by_peer())
        conn.close()

    def test_malformed_requests(self):
        for raw, want in [
            (b"garbage\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400),
            (b"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * ((1 << 20) + 8192) + b"\r\n\r\n", 431),
        ]:
            conn = RawHttp(self.ip, self.http)
            try:
                self.assertEqual(conn.request(raw)[0], want, raw[:60])
            finally:
                conn.close()
        # Truncated input and abrupt closes leave the server serving.
        for raw in (b"GET / HTTP/1.1\r\nHost", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab", b"\x16\x03"):
            s = socket.create_connection((self.ip, self.http))
            s.sendall(raw)
            s.close()
        self.assertEqual(self.get_json("/still-alive")[0]["path"], "/still-alive")

    def test_h2c_prior_knowledge_on_both_ports(self):
        for port in (self.http, self.h2c):
            status, headers, body = h2_request(self.ip, port, "/h2?q=1", "h2.example.com",
                                               headers=[("x-test", "v"), ("cookie", "a=1"), ("cookie", "b=2")])
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "application/json")
            echo = json.loads(body)
            self.assertEqual((echo["proto"], echo["host"], echo["path"]), ("HTTP/2.0", "h2.example.com", "/h2?q=1"))
            self.assertEqual(echo["headers"]["X-Test"], ["v"])
            self.assertEqual(echo["headers"]["Cookie"], ["a=1; b=2"])
            self.assertEqual(echo["httpPort"], str(self.http))
        # The h2c port has no mux: /status/418 is echoed there.
        status, _, body = h2_request(self.ip, self.h2c, "/status/418", "a")
        self.assertEqual((status, json.loads(body)["path"]), (200, "/status/418"))
        self.assertEqual(h2_request(self.ip, self.http, "/status/418", "a")[0], 418)

    def test_h2c_port_rejects_plain_http1(self):
        status, headers, body = http_get(self.ip, self.h2c, "/x")
        self.assertEqual((status, body), (400, b"Expected h2c request"))

    def test_h2c_upgrade(self):
        for port in (self.http, self.h2c):
            out = subprocess.run(["curl", "-s", "--http2", "-H", "X-Up: 1", f"http://{self.ip}:{port}/up"],
                                 capture_output=True, timeout=10, check=True).stdout
            echo = json.loads(out)
            self.assertEqual((echo["proto"], echo["path"], echo["headers"]["X-Up"]), ("HTTP/2.0", "/up", ["1"]))
            self.assertNotIn("Http2-Settings", echo["headers"])

    def test_https_tls_fields(self):
        tls = client_tls(self.pki, alpn=["http/1.1"])
        echo, _ = self.get_json("/tls", port=self.https, tls=tls, sni="abc.example.com", host="abc.example.com")
        self.assertEqual(list(echo), ECHO_KEYS + ["tls"])
        self.assertEqual(echo["tls"], {"version": "TLSv1.3", "serverName": "abc.example.com",
                                       "negotiatedProtocol": "http/1.1", "cipherSuite": echo["tls"]["cipherSuite"]})
        self.assertIn(echo["tls"]["cipherSuite"], ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                                                   "TLS_CHACHA20_POLY1305_SHA256"))
        # No ALPN offered: negotiatedProtocol is omitted; TLS 1.2 suites use Go's (IANA) names.
        tls12 = client_tls(self.pki, max_version=ssl.TLSVersion.TLSv1_2)
        echo, _ = self.get_json("/tls12", port=self.https, tls=tls12, sni="abc.example.com")
        self.assertEqual(echo["tls"]["version"], "TLSv1.2")
        self.assertNotIn("negotiatedProtocol", echo["tls"])
        self.assertRegex(echo["tls"]["cipherSuite"], r"^TLS_ECDHE_ECDSA_WITH_[A-Z0-9_]+$")

    def test_https_client_certificate(self):
        tls = client_tls(self.pki, cert="client")
        echo, _ = self.get_json("/mtls", port=self.https, tls=tls, sni="abc.example.com")
        with open(self.pki["client"] + ".crt") as f:
            pem = f.read()
        self.assertEqual(echo["tls"]["peerCertificates"], [pem])
        # A certificate from another CA is rejected during the handshake.
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            http_get(self.ip, self.https, "/bad", tls=client_tls(self.pki, cert="other-client"),
                     sni="abc.example.com")

    def test_https_http2(self):
        tls = client_tls(self.pki, alpn=["h2", "http/1.1"])
        status, headers, body = h2_request(self.ip, self.https, "/tls-h2", "abc.example.com", tls=tls,
                                           sni="abc.example.com")
        echo = json.loads(body)
        self.assertEqual((status, echo["proto"], echo["tls"]["negotiatedProtocol"]), (200, "HTTP/2.0", "h2"))
        self.assertEqual(echo["tls"]["serverName"], "abc.example.com")

    def test_websocket_echo(self):
        async def run():
            uri = f"ws://{self.ip}:{self.http}/ws"
            async with websockets.connect(uri, origin="ws://gateway/test", open_timeout=TIMEOUT) as ws:
                await ws.send("hello websocket")
                self.assertEqual(await asyncio.wait_for(ws.recv(), TIMEOUT), "hello websocket")
                await ws.send(bytes(range(256)) * 300)
                self.assertEqual(await asyncio.wait_for(ws.recv(), TIMEOUT), bytes(range(256)) * 300)
                await ws.ping()

        asyncio.run(run())
        # Without Origin the handshake is refused, as golang.org/x/net/websocket does.
        status, _, _ = http_get(self.ip, self.http, "/ws", headers=[
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")])
        self.assertEqual(status, 403)


class GrpcModeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="echo-test-")
        cls.pki = make_pki(cls.tmp)
        ip = fresh_ip()
        cls.env = {
            "GRPC_ECHO_SERVER": "1", "POD_NAME": "grpc-infra-backend-v1-5c8d7f9b6a-abcde", "NAMESPACE": NAMESPACE,
            "SERVICE_NAME": "grpc-infra-backend-v1", "HTTP_PORT": free_port(ip), "HTTPS_PORT": free_port(ip),
            "TLS_SERVER_CERT": cls.pki["server"] + ".crt", "TLS_SERVER_PRIV_KEY": cls.pki["server"] + ".key",
        }
        cls.pod = Pod(cls.tmp, cls.env)
        cls.target = f"{cls.pod.ip}:{cls.env['HTTP_PORT']}"

    @classmethod
    def tearDownClass(cls):
        cls.pod.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_echo_and_echo_two(self):
        with grpc_client.EchoClient(self.target, authority="grpc.example.com") as client:
            for method in ("Echo", "EchoTwo"):
                res = client.call(method, metadata={"x-jitter": "42", "x-bin-bin": b"\x01\x02"}, timeout=TIMEOUT)
                self.assertEqual(res.code, "OK", res.details)
                a = res.assertions
                self.assertEqual(a["fully_qualified_method"], f"/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/{method}")
                self.assertEqual(a["authority"], "grpc.example.com")
                self.assertEqual(a["context"], {"namespace": NAMESPACE, "ingress": "",
                                                "service_name": "grpc-infra-backend-v1", "pod": self.env["POD_NAME"]})
                headers = {(h["key"], h["value"]) for h in a["headers"]}
                self.assertIn((":authority", "grpc.example.com"), headers)
                self.assertIn(("x-jitter", "42"), headers)
                self.assertIn(("x-bin-bin", "\x01\x02"), headers)  # -bin values arrive decoded
                self.assertIn(("content-type", "application/grpc"), headers)
                self.assertNotIn("te", {k for k, _ in headers})
                self.assertNotIn("tls_assertions", a)

    def test_result_unpacks_to_code_and_assertions(self):
        code, assertions = grpc_client.call(self.target, "EchoTwo", timeout=TIMEOUT)
        self.assertEqual(code, "OK")
        self.assertEqual(assertions["context"]["pod"], self.env["POD_NAME"])

    def test_echo_three_and_unknown_methods(self):
        res = grpc_client.call(self.target, "EchoThree", timeout=TIMEOUT)
        self.assertEqual((res.code, res.details), ("UNIMPLEMENTED", "method EchoThree not implemented"))
        res = grpc_client.call(self.target, "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/EchoFour",
                               timeout=TIMEOUT)
        self.assertEqual(res.code, "UNIMPLEMENTED")
        res = grpc_client.call(self.target, "other.Service/Echo", timeout=TIMEOUT)
        self.assertEqual((res.code, res.details), ("UNIMPLEMENTED", "unknown service other.Service"))

    def test_tls(self):
        with open(self.pki["ca"] + ".crt", "rb") as f:
            tls = grpc_client.TLSOptions(root_pem=f.read(), server_name="abc.example.com")
        res = grpc_client.call(f"{self.pod.ip}:{self.env['HTTPS_PORT']}", "Echo", tls=tls, timeout=TIMEOUT)
        self.assertEqual(res.code, "OK", res.details)
        t = res.assertions["tls_assertions"]
        self.assertEqual((t["server_name"], t["negotiated_protocol"], t["version"]), ("abc.example.com", "h2", "TLSv1.3"))
        self.assertEqual(res.pod, self.env["POD_NAME"])

    def test_http1_client_is_dropped(self):
        conn = RawHttp(self.pod.ip, int(self.env["HTTP_PORT"]))
        conn.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertTrue(conn.closed_by_peer())
        conn.close()
        self.assertEqual(grpc_client.call(self.target, "Echo", timeout=TIMEOUT).code, "OK")


class L4ModesTest(unittest.TestCase):
    """TCP (plain and TLS), UDP and the DNS responder."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="echo-test-")
        cls.pki = make_pki(cls.tmp)
        ip = fresh_ip()
        cls.tcp_env = {
            "TCP_ECHO_SERVER": "1", "POD_NAME": "tcp-backend-6b7c8d9e0f-qwert", "NAMESPACE": NAMESPACE,
            "TCP_PORT": free_port(ip), "TLS_PORT": free_port(ip),
            "TLS_SERVER_CERT": cls.pki["server"] + ".crt", "TLS_SERVER_PRIV_KEY": cls.pki["server"] + ".key",
        }
        cls.tcp = Pod(cls.tmp, cls.tcp_env)
        cls.udp_env = {"UDP_ECHO_SERVER": "1", "POD_NAME": "udp-backend-1a2b3c4d5e-zxcvb", "NAMESPACE": NAMESPACE,
                       "SERVICE_NAME": "udp-svc", "UDP_PORT": free_port(ip, socket.SOCK_DGRAM)}
        cls.udp = Pod(cls.tmp, cls.udp_env)
        cls.dns_port = free_port(ip, socket.SOCK_DGRAM)
        cls.dns = Pod(cls.tmp, {}, script="dns_server.py", extra_args=["--port", str(cls.dns_port)])

    @classmethod
    def tearDownClass(cls):
        for pod in (cls.tcp, cls.udp, cls.dns):
            pod.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _exchange(self, sock):
        f = sock.makefile("rwb")
        self.assertEqual(f.readline(), b"Gateway API Test TCP Server\n")
        replies = []
        for cmd in (b"PING", b"IS_TLS", b"UNKNOWN", b"TEST"):
            f.write(cmd + b"\n")
            f.flush()
            if cmd != b"UNKNOWN":
                replies.append(f.readline())
        return replies

    def test_tcp_plain(self):
        with socket.create_connection((self.tcp.ip, int(self.tcp_env["TCP_PORT"])), timeout=TIMEOUT) as s:
            pong, is_tls, test = self._exchange(s)
        self.assertEqual((pong, is_tls), (b"PONG\n", b"false\n"))
        self.assertEqual(test, b'{"namespace":"gateway-conformance-infra","ingress":"","service":"",'
                               b'"pod":"tcp-backend-6b7c8d9e0f-qwert","tcpport":"%d","tlsport":"%d","isTLS":false}\n'
                         % (int(self.tcp_env["TCP_PORT"]), int(self.tcp_env["TLS_PORT"])))

    def test_tcp_tls(self):
        raw = socket.create_connection((self.tcp.ip, int(self.tcp_env["TLS_PORT"])), timeout=TIMEOUT)
        with client_tls(self.pki).wrap_socket(raw, server_hostname="abc.example.com") as s:
            pong, is_tls, test = self._exchange(s)
        self.assertEqual((pong, is_tls), (b"PONG\n", b"true\n"))
        reply = json.loads(test)
        self.assertEqual(list(reply), ["namespace", "ingress", "service", "pod", "tcpport", "tlsport", "isTLS", "tls"])
        self.assertTrue(reply["isTLS"])
        self.assertEqual(reply["tls"]["serverName"], "abc.example.com")
        self.assertEqual(reply["tls"]["version"], "TLS 1.3")

    def test_tcp_reset_mode(self):
        ip = fresh_ip()
        pod = Pod(self.tmp, {"TCP_ECHO_SERVER": "1", "TCP_MODE": "RESET", "POD_NAME": "tcp-reset-0-0",
                             "TCP_PORT": free_port(ip)})
        try:
            with socket.create_connection((pod.ip, pod.ready["ports"]["tcp"]), timeout=TIMEOUT) as s:
                with self.assertRaises(ConnectionResetError):
                    s.recv(100)
        finally:
            pod.stop()

    def test_udp(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(TIMEOUT)
            s.sendto(b"gateway-api-conformance-udp-echo", (self.udp.ip, int(self.udp_env["UDP_PORT"])))
            data, _ = s.recvfrom(4096)
        self.assertEqual(data, b'{"request":"gateway-api-conformance-udp-echo","namespace":"gateway-conformance-infra",'
                               b'"ingress":"","service":"udp-svc","pod":"udp-backend-1a2b3c4d5e-zxcvb"}')

    def _dns(self, payload: bytes) -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(TIMEOUT)
            s.sendto(payload, (self.dns.ip, self.dns_port))
            return s.recvfrom(4096)[0]

    def test_dns(self):
        for name in ("foo.bar.com.", "Sub.Foo.Bar.Com"):
            qid = random.randint(0, 0xFFFF)
            reply = self._dns(dns_server.build_query(name, qid))
            rid, flags, qd, an = struct.unpack("!HHHH", reply[:8])
            self.assertEqual((rid, flags & 0x8000, flags & 0xF, qd, an), (qid, 0x8000, 0, 1, 1))
            self.assertEqual(reply[-4:], socket.inet_aton("127.0.0.1"))  # whoami: the client's address
        reply = self._dns(dns_server.build_query("example.org", 7))
        self.assertEqual((struct.unpack("!H", reply[:2])[0], reply[3] & 0xF), (7, 3))  # NXDOMAIN
        reply = self._dns(dns_server.build_query("foo.bar.com", 8, qtype=28))  # AAAA: NOERROR, no data
        self.assertEqual((reply[3] & 0xF, struct.unpack("!H", reply[6:8])[0]), (0, 0))
        reply = self._dns(struct.pack("!HHHHHH", 9, 0x0100, 1, 0, 0, 0) + b"\x05foo")  # truncated question
        self.assertEqual(reply[3] & 0xF, 1)  # FORMERR
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\x00", (self.dns.ip, self.dns_port))  # too short: ignored
        self.assertEqual(self._dns(dns_server.build_query("foo.bar.com", 10))[:2], b"\x00\x0a")


if __name__ == "__main__":
    unittest.main()
