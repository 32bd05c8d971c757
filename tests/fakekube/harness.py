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


def gateway_api(*rel: str) -> str:
    """A path in the upstream Gateway API v1.6.1 release, never copied into the repo:
    $GATEWAY_API_DIR, else <repo>/../shared/gateway-api/v1.6.1 or, from a git worktree,
    <repo>/../../shared/gateway-api/v1.6.1 (where the conformance runner looks too)."""
    root = os.environ.get("GATEWAY_API_DIR")
    if not root:
        candidates = [os.path.join(ROOT, *up, "shared", "gateway-api", "v1.6.1") for up in (("..",), ("..", ".."))]
        root = os.path.normpath(next((c for c in candidates if os.path.isdir(c)), candidates[0]))
    return os.path.join(root, *rel)


def gateway_api_crds(channel: str = "standard") -> str:
    return gateway_api("crd", channel)


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
        self._discovered: dict[str, dict[str, tuple[str, bool]]] = {}  # apiVersion -> kind -> (plural, namespaced)

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

    def resource_path(self, api_version: str, kind: str, namespace: str = "", name: str = "") -> str:
        """The REST path of a kind, found through discovery as kubectl does (cached per group
        version; a CRD created later is found on the first miss)."""
        resources = self._discovered.get(api_version)
        if resources is None or kind not in resources:
            base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
            code, listing = self.request("GET", base)
            if code != 200:
                raise KeyError(f"{api_version} is not served")
            resources = {r["kind"]: (r["name"], r["namespaced"]) for r in listing["resources"] if "/" not in r["name"]}
            self._discovered[api_version] = resources
        plural, namespaced = resources[kind]
        base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        path = f"{base}/namespaces/{namespace}/{plural}" if namespaced else f"{base}/{plural}"
        return f"{path}/{name}" if name else path

    def apply(self, obj: dict, manager: str = "fakekube-harness") -> dict:
        """Server-side apply (create or update) of one object; raises on an error status."""
        meta = obj["metadata"]
        path = self.resource_path(obj["apiVersion"], obj["kind"], meta.get("namespace", "default"), meta["name"])
        code, body = self.request("PATCH", path, obj, content_type="application/apply-patch+yaml",
                                  query={"fieldManager": manager, "force": "true"})
        if code not in (200, 201):
            raise RuntimeError(f"apply {obj['kind']} {meta['name']}: {code} {body.get('message')}")
        return body

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> Optional[dict]:
        code, body = self.request("GET", self.resource_path(api_version, kind, namespace, name))
        return body if code == 200 else None

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
