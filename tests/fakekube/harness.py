"""For tests: start the fake as a subprocess and talk to it with a raw HTTPS client (so tests see
exactly what went over the wire, chunk boundaries and status codes included)."""

from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import tempfile
import urllib.parse
from typing import Iterator, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = "/usr/bin/python3"


def gateway_api_crds(channel: str = "standard") -> str:
    """The upstream Gateway API v1.6.1 CRD directory, never copied into the repo: $GATEWAY_API_CRDS,
    else <repo>/../shared/... or, from a git worktree, <repo>/../../shared/... (as the conformance
    runner finds its files)."""
    if os.environ.get("GATEWAY_API_CRDS"):
        return os.environ["GATEWAY_API_CRDS"]
    rel = ("shared", "gateway-api", "v1.6.1", "crd", channel)
    candidates = [os.path.join(ROOT, "..", *rel), os.path.join(ROOT, "..", "..", *rel)]
    return os.path.normpath(next((c for c in candidates if os.path.isdir(c)), candidates[0]))


class FakeKube:
    """One fake API server process with its own state directory; stop() ends it with SIGTERM."""

    def __init__(self, *args: str, state_dir: Optional[str] = None, stderr=subprocess.PIPE, preexec_fn=None):
        """stderr: where the server's stderr goes (a file for long runs: a pipe nobody reads can fill up);
        preexec_fn: passed to Popen (e.g. to make the server die with its parent)."""
        self._tmp = None if state_dir else tempfile.TemporaryDirectory(prefix="fakekube-")
        self.state_dir = state_dir or self._tmp.name
        self.process = subprocess.Popen([PYTHON, "-m", "tests.fakekube", "--state-dir", self.state_dir, *args],
                                        cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                        preexec_fn=preexec_fn)
        line = self.process.stdout.readline().strip()
        if not line.startswith("ready https://"):
            self.process.kill()
            detail = self.process.stderr.read() if self.process.stderr else "(stderr went to the caller's file)"
            raise RuntimeError(f"fakekube did not start: {line!r} {detail}")
        self.url = line.split()[1]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.kubeconfig = os.path.join(self.state_dir, "kubeconfig")
        with open(os.path.join(self.state_dir, "admin-token")) as f:
            self.admin_token = f.read().strip()
        self.tls = ssl.create_default_context(cafile=os.path.join(self.state_dir, "ca.crt"))

    def stop(self) -> int:
        self.process.terminate()
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process.stdout.close()
        if self.process.stderr:
            self.process.stderr.close()
        if self._tmp:
            self._tmp.cleanup()
        return code

    def connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=30)

    def request(self, method: str, path: str, body=None, token: Optional[str] = None,
                content_type: str = "application/json", query: Optional[dict] = None) -> tuple[int, dict]:
        """One request on a fresh connection; returns (status, decoded JSON body or {"text": ...})."""
        if query:
            path += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"Bearer {token or self.admin_token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn = self.connect()
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                return resp.status, json.loads(raw)
            except ValueError:
                return resp.status, {"text": raw.decode()}
        finally:
            conn.close()

    def watch(self, path: str, token: Optional[str] = None, **query) -> "WatchStream":
        query.setdefault("watch", "1")
        return WatchStream(self, path + "?" + urllib.parse.urlencode(query), token or self.admin_token)


class WatchStream:
    """A watch response read event by event (newline-delimited JSON over chunked encoding)."""

    def __init__(self, fake: FakeKube, path: str, token: str):
        self.conn = fake.connect()
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self._buffer = b""

    def events(self) -> Iterator[dict]:
        """Yields events until the server ends the stream with the terminating chunk; raises
        http.client.IncompleteRead if the connection drops first. (read1, because
        HTTPResponse.readline reports a dropped chunked stream as a clean end.)"""
        while True:
            while b"\n" not in self._buffer:
                data = self.response.read1(65536)
                if not data:
                    if self._buffer:
                        raise http.client.IncompleteRead(self._buffer)
                    return
                self._buffer += data
            line, self._buffer = self._buffer.split(b"\n", 1)
            yield json.loads(line)

    def next(self) -> Optional[dict]:
        return next(self.events(), None)

    def close(self) -> None:
        self.conn.close()
