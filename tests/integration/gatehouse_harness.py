"""Shared harness for the integration tests: the real `gatehouse` binary, real clients, and the
conformance echo backend (conformance/echo) as the upstream.

Every test class gets its own gatehouse process, manifest directory, admin address and address
pool, all derived from the class name and the pid, so test files can run in parallel
(`ctest -j2`):

    gateway addresses   127.A.B.0/24      (--address-pool; the first Gateway gets 127.A.B.1)
    echo backends       127.A.B+1.1..253
    admin API           127.A.B+1.254:15000

Listeners use unprivileged ports (8080, 8443, ...) on the Gateway's own address, so no network
namespace is needed. Processes are always stopped (class cleanups), and a gatehouse that died
or exited non-zero (a sanitizer report) fails the class with the tail of its log.

Environment: GATEHOUSE_BIN (the binary; default build/gatehouse), GATEHOUSE_SOURCE_DIR (the
repository root; default: derived from this file), GATEHOUSE_TEST_WAIT (seconds for bounded
waits; default 20, doubled for a sanitizer build).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest
import zlib
from typing import Any, Callable, Iterable, Optional

import yaml

ROOT = os.environ.get("GATEHOUSE_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("GATEHOUSE_BIN") or os.path.join(ROOT, "build", "gatehouse"))
PYTHON = "/usr/bin/python3"
ECHO = os.path.join(ROOT, "conformance", "echo", "echo_server.py")
CONTROLLER = "gatehouse.dev/gateway-controller"
GATEWAY_GROUP = "gateway.networking.k8s.io"


def _sanitized(binary: str) -> bool:
    try:
        out = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out or "libubsan" in out


SANITIZED = _sanitized(BIN)
SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")
WAIT = float(os.environ.get("GATEHOUSE_TEST_WAIT", "20")) * (2 if SANITIZED else 1)


def wait_until(fn: Callable[[], Any], timeout: float = None, interval: float = 0.02, what: str = "condition"):
    """Polls fn() until it returns something truthy; returns it. Fails after `timeout` s."""
    deadline = time.monotonic() + (WAIT if timeout is None else timeout)
    last = None
    while True:
        try:
            last = fn()
        except (OSError, http.client.HTTPException, ValueError, KeyError, IndexError) as e:
            last = e
        if last and not isinstance(last, Exception):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")
        time.sleep(interval)


# --- HTTP clients --------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, reason: str, headers: list, body: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] as received
        self.body = body

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name: str) -> list:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:300]!r}>"


def request(ip: str, port: int, path: str = "/", host: Optional[str] = "example.com", method: str = "GET",
            headers: Optional[Iterable] = None, body: Optional[bytes] = None, timeout: float = 10) -> Response:
    """One request on a new connection (http.client; no redirect following)."""
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for k, v in (headers.items() if isinstance(headers, dict) else (headers or [])):
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        res = conn.getresponse()
        data = res.read()
        return Response(res.status, res.reason, list(res.getheaders()), data)
    finally:
        conn.close()


class KeepAliveClient:
    """Several requests on one http.client connection; `.sock_id` tells whether it reconnected."""

    def __init__(self, ip: str, port: int, timeout: float = 10):
        self.conn = http.client.HTTPConnection(ip, port, timeout=timeout)
        self.conn.connect()
        self.sock = self.conn.sock

    def get(self, path: str, host: str, headers: Optional[dict] = None) -> Response:
        self.conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        self.conn.putheader("Host", host)
        for k, v in (headers or {}).items():
            self.conn.putheader(k, v)
        self.conn.endheaders()
        res = self.conn.getresponse()
        data = res.read()
        if self.conn.sock is not self.sock:
            raise AssertionError("http.client reconnected: the keep-alive connection was lost")
        return Response(res.status, res.reason, list(res.getheaders()), data)

    def close(self):
        self.conn.close()


class RawConnection:
    """A raw TCP connection: send exact bytes, parse HTTP/1.1 responses one at a time."""

    def __init__(self, ip: str, port: int, timeout: float = 10):
        self.sock = socket.create_connection((ip, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"connection closed mid-response; have {self.buf!r}")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("connection closed mid-body")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head_request: bool = False) -> Response:
        status_line = self._line().decode("latin-1")
        m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)$", status_line)
        if not m:
            raise AssertionError(f"bad status line {status_line!r}")
        headers = []
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k, v.strip()))
        res = Response(int(m.group(1)), m.group(2), headers, b"")
        status = res.status
        if head_request or status in (204, 304) or 100 <= status < 200:
            return res
        if (res.header("transfer-encoding") or "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                self._exact(2)
            res.body = body
        elif res.header("content-length") is not None:
            res.body = self._exact(int(res.header("content-length")))
        else:
            while self._fill():
                pass
            res.body, self.buf = self.buf, b""
        return res

    def closed_by_peer(self, timeout: float = 5) -> bool:
        """True when the peer closes (EOF or reset) within `timeout` with no further bytes."""
        if self.buf:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class ThreadedBackend:
    """A test backend on its own listening socket: each connection served by `_serve(conn)`, which
    a subclass defines, on a thread of its own. Call start() at the end of __init__."""

    def __init__(self, ip: str, port: int = 3000, backlog: int = 128):
        self.sock = socket.create_server((ip, port), backlog=backlog)

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket):
        raise NotImplementedError

    def stop(self):
        self.sock.close()


def run_tool(args: list, timeout: float = 30, input: Optional[bytes] = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, timeout=timeout, input=input)


# --- manifests ---------------------------------------------------------------------------


def gateway_class(name: str = "gatehouse") -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "GatewayClass", "metadata": {"name": name},
            "spec": {"controllerName": CONTROLLER}}


def listener(name: str, port: int, protocol: str = "HTTP", hostname: Optional[str] = None,
             certificate_refs: Optional[list] = None, allowed_from: Optional[str] = None) -> dict:
    out = {"name": name, "port": port, "protocol": protocol}
    if hostname:
        out["hostname"] = hostname
    if certificate_refs is not None:
        out["tls"] = {"mode": "Terminate", "certificateRefs": certificate_refs}
    if allowed_from:
        out["allowedRoutes"] = {"namespaces": {"from": allowed_from}}
    return out


def gateway(name: str, listeners: list, ns: str = "default", addresses: Optional[list] = None,
            class_name: str = "gatehouse") -> dict:
    spec = {"gatewayClassName": class_name, "listeners": listeners}
    if addresses:
        spec["addresses"] = [{"type": "IPAddress", "value": a} for a in addresses]
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def service(name: str, ns: str = "default", port: int = 8080) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"name": "http", "port": port, "targetPort": 3000, "protocol": "TCP"}]}}


def endpoint_slice(service_name: str, ips: list, ns: str = "default", target_port: int = 3000,
                   ready: bool = True) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{service_name}-slice", "namespace": ns,
                         "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": target_port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip in ips]}


def backend_service(name: str, ips: list, ns: str = "default", port: int = 8080) -> list:
    """A Service plus the EndpointSlice that points it at `ips` (echo pods on port 3000)."""
    return [service(name, ns, port), endpoint_slice(name, ips, ns)]


def backend_ref(name: str, port: int = 8080, weight: Optional[int] = None, ns: Optional[str] = None,
                filters: Optional[list] = None) -> dict:
    out = {"name": name, "port": port}
    if weight is not None:
        out["weight"] = weight
    if ns:
        out["namespace"] = ns
    if filters:
        out["filters"] = filters
    return out


def http_route(name: str, rules: list, parents: Optional[list] = None, hostnames: Optional[list] = None,
               ns: str = "default", created: Optional[str] = None, labels: Optional[dict] = None) -> dict:
    meta = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    if labels:
        meta["labels"] = labels
    spec = {"parentRefs": parents if parents is not None else [{"name": "gw"}], "rules": rules}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "HTTPRoute", "metadata": meta, "spec": spec}


def rule(backends: Optional[list] = None, matches: Optional[list] = None, filters: Optional[list] = None) -> dict:
    out = {}
    if matches is not None:
        out["matches"] = matches
    if filters:
        out["filters"] = filters
    if backends is not None:
        out["backendRefs"] = backends
    return out


def path_match(value: str, type_: str = "PathPrefix") -> dict:
    return {"path": {"type": type_, "value": value}}


def set_header(name: str, value: str) -> dict:
    return {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": name, "value": value}]}}


def reference_grant(name: str, ns: str, from_kind: str, from_ns: str, to_kind: str,
                    to_name: Optional[str] = None) -> dict:
    to = {"group": "", "kind": to_kind}
    if to_name:
        to["name"] = to_name
    return {"apiVersion": f"{GATEWAY_GROUP}/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"from": [{"group": GATEWAY_GROUP, "kind": from_kind, "namespace": from_ns}], "to": [to]}}


def tls_secret(name: str, cert_pem: bytes, key_pem: bytes, ns: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": ns},
            "data": {"tls.crt": base64.b64encode(cert_pem).decode(), "tls.key": base64.b64encode(key_pem).decode()}}


def make_certificate(directory: str, name: str, common_name: str) -> tuple:
    """A self-signed certificate for `common_name` (also its SAN); returns (cert PEM, key PEM)."""
    key, crt = os.path.join(directory, f"{name}.key"), os.path.join(directory, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={common_name}",
                    "-addext", f"subjectAltName=DNS:{common_name}"],
                   check=True, capture_output=True, timeout=30)
    with open(crt, "rb") as c, open(key, "rb") as k:
        return c.read(), k.read()


def condition(conditions: list, type_: str) -> Optional[dict]:
    for c in conditions or []:
        if c.get("type") == type_:
            return c
    return None


# --- processes ---------------------------------------------------------------------------


def _network_for(name: str, attempt: int) -> tuple:
    h = zlib.crc32(f"{name}:{os.getpid()}:{attempt}".encode())
    return 100 + h % 100, (h >> 8) % 127 * 2  # 127.A.B.0/24 and 127.A.B+1.0/24


def _port_free(ip: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((ip, port))
            return True
        except OSError:
            return False


class EchoBackend:
    """One conformance echo pod (HTTP, or with grpc=True the GrpcEcho service over h2c, on IP:3000),
    logging each request to a file."""

    def __init__(self, ip: str, pod: str, ns: str, tmp: str, grpc: bool = False):
        self.ip, self.pod, self.ns = ip, pod, ns
        self.log_path = os.path.join(tmp, f"echo-{pod}.log")
        ready = os.path.join(tmp, f"echo-{pod}.ready")
        self.stderr = open(os.path.join(tmp, f"echo-{pod}.stderr"), "w+")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_ECHO_SERVER")}
        env.update({"POD_NAME": pod, "NAMESPACE": ns})
        if grpc:
            env["GRPC_ECHO_SERVER"] = "1"
        self.proc = subprocess.Popen([PYTHON, ECHO, "--bind", ip, "--quiet", "--log", self.log_path,
                                      "--ready-file", ready],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + WAIT
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"echo backend {pod} on {ip} did not start")
            time.sleep(0.02)

    def requests_seen(self) -> list:
        """The request targets this pod has echoed, in order."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as f:
            return re.findall(r"Echoing back request made to (\S+) to client", f.read())

    def clients_seen(self, target: str) -> list:
        """The client address:port of each echoed request for `target`, in order."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as f:
            return re.findall(r"Echoing back request made to " + re.escape(target) + r" to client \((\S+)\)", f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


class CaptureBackend:
    """A tiny HTTP/1.1 upstream that reports exactly what it received, body included (the echo
    pod drains bodies without reporting them). Answers JSON {method, target, headers, body}."""

    def __init__(self, ip: str, port: int = 3000):
        outer = self
        self.received: list = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    line = self.rfile.readline(65537)
                    if not line:
                        return
                    method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
                    headers = []
                    while True:
                        h = self.rfile.readline(65537).decode("latin-1").rstrip("\r\n")
                        if not h:
                            break
                        k, _, v = h.partition(":")
                        headers.append([k, v.strip()])
                    lower = {k.lower(): v for k, v in headers}
                    body = b""
                    if lower.get("transfer-encoding", "").lower() == "chunked":
                        while True:
                            size = int(self.rfile.readline().split(b";")[0], 16)
                            if size == 0:
                                while self.rfile.readline() not in (b"\r\n", b""):
                                    pass
                                break
                            body += self.rfile.read(size)
                            self.rfile.readline()
                    elif "content-length" in lower:
                        body = self.rfile.read(int(lower["content-length"]))
                    record = {"method": method, "target": target, "headers": headers,
                              "body": body.decode("latin-1")}
                    outer.received.append(record)
                    payload = json.dumps(record).encode()
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                     + str(len(payload)).encode() + b"\r\n\r\n" + payload)
                    self.wfile.flush()

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.ip = ip
        self.server = Server((ip, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Gatehouse:
    """One `gatehouse serve` process on a private manifest directory."""

    SYNC_FILE = "zz-itest-sync.yaml"
    SYNC_NAMESPACE = "itest-sync"

    def __init__(self, name: str, workers: int = 2, serve_args: tuple = ()):
        self.name = name
        self.workers = workers
        self.serve_args = list(serve_args)
        self.tmp = tempfile.mkdtemp(prefix=f"gatehouse-itest-{re.sub(r'[^A-Za-z0-9]', '-', name)}-")
        self.dir = os.path.join(self.tmp, "manifests")
        os.mkdir(self.dir)
        for attempt in range(20):
            a, b = _network_for(name, attempt)
            admin_ip = f"127.{a}.{b + 1}.254"
            if _port_free(admin_ip, 15000) and _port_free(f"127.{a}.{b}.1", 8080):
                break
        self.a, self.b = a, b
        self.pool = f"127.{a}.{b}.0/24"
        self.admin = (admin_ip, 15000)
        self.log_path = os.path.join(self.tmp, "gatehouse.log")
        self.proc: Optional[subprocess.Popen] = None
        self.backends: list = []
        self._next_backend = 1
        self._sync_rev = 0

    # addresses
    def gateway_ip(self, n: int = 1) -> str:
        """The n-th address of the pool (the n-th Gateway asking for one, in name order)."""
        return f"127.{self.a}.{self.b}.{n}"

    def backend_ip(self) -> str:
        ip = f"127.{self.a}.{self.b + 1}.{self._next_backend}"
        self._next_backend += 1
        return ip

    # lifecycle
    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", self.dir, "--admin-address", f"{self.admin[0]}:{self.admin[1]}",
             "--address-pool", self.pool, "--workers", str(self.workers), *self.serve_args],
            stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.alive_or_fail() and self.admin_get("/ready")[0] == 200, what="gatehouse /ready")

    def alive_or_fail(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gatehouse exited with {self.proc.returncode}:\n{self.log_tail()}")
        return True

    def log_tail(self, n: int = 60) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> Optional[str]:
        """Stops everything; returns a problem description if gatehouse did not exit cleanly."""
        problem = None
        if self.proc is not None:
            if self.proc.poll() is not None:
                problem = f"gatehouse died during the tests (exit {self.proc.returncode})"
            else:
                self.proc.terminate()
                try:
                    rc = self.proc.wait(WAIT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    rc = None
                if rc != 0:
                    problem = f"gatehouse did not exit cleanly on SIGTERM (exit {rc})"
            self._log.close()
            log = self.log_tail(200)
            if SANITIZER_REPORT.search(log):
                problem = (problem or "") + " sanitizer report in the log"
            if problem:
                problem += ":\n" + log
        for b in self.backends:
            try:
                b.stop()
            except Exception:  # noqa: BLE001 - cleanup must go on
                pass
        self.backends = []
        if problem is None and not os.environ.get("GATEHOUSE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        return problem

    def start_echo(self, pod: str, ns: str = "default", grpc: bool = False) -> EchoBackend:
        b = EchoBackend(self.backend_ip(), pod, ns, self.tmp, grpc)
        self.backends.append(b)
        return b

    def start_capture(self) -> CaptureBackend:
        b = CaptureBackend(self.backend_ip())
        self.backends.append(b)
        return b

    # admin API
    def admin_get(self, path: str) -> tuple:
        conn = http.client.HTTPConnection(*self.admin, timeout=10)
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            return res.status, res.read()
        finally:
            conn.close()

    def admin_json(self, path: str):
        status, body = self.admin_get(path)
        if status != 200:
            raise AssertionError(f"admin {path}: {status} {body!r}")
        return json.loads(body)

    def status_items(self) -> list:
        return self.admin_json("/status")["items"]

    def find(self, kind: str, name: str, ns: Optional[str] = "default") -> Optional[dict]:
        for item in self.status_items():
            meta = item.get("metadata", {})
            if item.get("kind") == kind and meta.get("name") == name and (ns is None or meta.get("namespace") == ns):
                return item
        return None

    def errors(self) -> list:
        return self.admin_json("/errors")

    # manifests
    def path(self, filename: str) -> str:
        return os.path.join(self.dir, filename)

    def write(self, filename: str, docs):
        """Replaces `filename` atomically (temporary dot-file, then rename)."""
        text = docs if isinstance(docs, (str, bytes)) else yaml.safe_dump_all(docs, sort_keys=False)
        if isinstance(text, str):
            text = text.encode()
        tmp = self.path(f".{filename}.tmp")
        with open(tmp, "wb") as f:
            f.write(text)
        os.rename(tmp, self.path(filename))

    def remove(self, filename: str):
        os.remove(self.path(filename))

    def sync(self):
        """Returns once gatehouse has applied every earlier file change: a marker object is
        written last, and the watcher and controller handle changes in order."""
        self._sync_rev += 1
        rev = str(self._sync_rev)
        marker = reference_grant("itest-sync", self.SYNC_NAMESPACE, "HTTPRoute", self.SYNC_NAMESPACE, "Service",
                                 "itest-sync")
        marker["metadata"]["annotations"] = {"itest/sync": rev}
        self.write(self.SYNC_FILE, [marker])

        def applied():
            self.alive_or_fail()
            item = self.find("ReferenceGrant", "itest-sync", self.SYNC_NAMESPACE)
            return item is not None and item["metadata"].get("annotations", {}).get("itest/sync") == rev

        wait_until(applied, what=f"sync marker {rev}")

    def apply(self, filename: str, docs):
        self.write(filename, docs)
        self.sync()

    def delete(self, filename: str):
        self.remove(filename)
        self.sync()

    def wait_status(self, predicate: Callable[[list], Any], what: str = "status"):
        return wait_until(lambda: self.alive_or_fail() and predicate(self.status_items()), what=what)


class GatehouseTestCase(unittest.TestCase):
    """Base class: one gatehouse per test class. Subclasses override `configure(cls, gh)`."""

    workers = 2
    serve_args: tuple = ()  # extra `gatehouse serve` flags
    gh: Gatehouse

    @classmethod
    def configure(cls, gh: Gatehouse):
        pass

    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")
        cls.gh = Gatehouse(f"{cls.__module__}.{cls.__name__}", workers=cls.workers, serve_args=cls.serve_args)
        cls.addClassCleanup(cls._stop_gatehouse)
        cls.gh.start()
        cls.configure(cls.gh)
        cls.gh.sync()
        errors = cls.gh.errors()
        if errors:
            raise AssertionError(f"configuration errors after configure(): {errors}")

    @classmethod
    def _stop_gatehouse(cls):
        problem = cls.gh.stop()
        if problem:
            raise AssertionError(problem)

    def assertCondition(self, conditions: list, type_: str, status: str, reason: str, generation: Optional[int] = None):
        c = condition(conditions, type_)
        self.assertIsNotNone(c, f"no {type_} condition in {conditions}")
        self.assertEqual((c["status"], c["reason"]), (status, reason), f"{type_}: {c}")
        if generation is not None:
            self.assertEqual(c["observedGeneration"], generation, f"{type_}: {c}")


def gateway_address(gh: Gatehouse, name: str, ns: str = "default") -> str:
    """The address in the Gateway's status once it is Programmed."""
    def programmed():
        gw = gh.find("Gateway", name, ns)
        if not gw or "status" not in gw:
            return None
        c = condition(gw["status"].get("conditions"), "Programmed")
        addresses = gw["status"].get("addresses") or []
        return addresses[0]["value"] if c and c["status"] == "True" and addresses else None

    return gh.wait_status(lambda _: programmed(), what=f"Gateway {ns}/{name} Programmed")
