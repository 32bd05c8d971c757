"""Kubernetes mode under test: the fake API server (tests/fakekube) and `gatehouse serve
--kubernetes` processes pointed at it, with the API helpers the tests share."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (BIN, GATEWAY_GROUP, ROOT, SANITIZER_REPORT, WAIT, _network_for,  # noqa: E402
                               _port_free, wait_until)

sys.path.insert(0, ROOT)
from tests.fakekube.harness import FakeKube  # noqa: E402

CRDS = os.path.join(os.path.dirname(ROOT), "shared", "gateway-api", "v1.6.1", "crd", "standard")
LEASE_NS = "gatehouse-system"
# The API version the tests address each kind at; the path comes from the fake's discovery.
API_VERSIONS = {"Service": "v1", "Namespace": "v1", "Secret": "v1", "Event": "v1",
                "EndpointSlice": "discovery.k8s.io/v1", "Lease": "coordination.k8s.io/v1",
                "ClusterRole": "rbac.authorization.k8s.io/v1",
                "RateLimitPolicy": "gatehouse.dev/v1alpha1", "FaultInjectionPolicy": "gatehouse.dev/v1alpha1"}


def gatehouse_crd_files() -> list:
    """Gatehouse's own policy CRDs (deploy/crds/)."""
    crds = os.path.join(ROOT, "deploy", "crds")
    return [os.path.join(crds, n) for n in sorted(os.listdir(crds)) if n.endswith(".yaml")]


def crd_files(*plurals: str) -> list:
    """The standard-channel CRD files of these kinds (all of them when none is named)."""
    names = sorted(os.listdir(CRDS))
    if not plurals:
        return [os.path.join(CRDS, n) for n in names if n.endswith(".yaml")]
    return [os.path.join(CRDS, f"{GATEWAY_GROUP}_{p}.yaml") for p in plurals]


class Api:
    """The test's own client of the fake: create/update/delete objects and read them back."""

    def __init__(self, fake: FakeKube):
        self.fake = fake

    def path(self, kind: str, name: str = "", ns: str = "default") -> str:
        """The REST path of an object, or of a kind's collection (cluster-scoped kinds ignore ns)."""
        return self.fake.resource_path(API_VERSIONS.get(kind, f"{GATEWAY_GROUP}/v1"), kind, ns, name)

    def get(self, kind: str, name: str, ns: str = "default") -> Optional[dict]:
        code, body = self.fake.request("GET", self.path(kind, name, ns))
        return body if code == 200 else None

    def apply(self, obj: dict) -> dict:
        """Creates the object, or replaces its spec (with the resourceVersion read). A 409 (the
        controller wrote a status between the read and the write) reads again and retries."""
        kind, meta = obj["kind"], obj["metadata"]
        ns = meta.get("namespace", "default")
        for _ in range(20):
            current = self.get(kind, meta["name"], ns)
            if current is None:
                code, body = self.fake.request("POST", self.path(kind, ns=ns), obj)
                assert code == 201, (code, body)
                return body
            new = dict(obj, metadata=dict(meta, resourceVersion=current["metadata"]["resourceVersion"]))
            code, body = self.fake.request("PUT", self.path(kind, meta["name"], ns), new)
            if code != 409:
                break
        assert code == 200, (code, body)
        return body

    def delete(self, kind: str, name: str, ns: str = "default"):
        code, body = self.fake.request("DELETE", self.path(kind, name, ns))
        assert code in (200, 202), (code, body)

    def write_status(self, kind: str, name: str, status: dict, ns: str = "default") -> dict:
        current = self.get(kind, name, ns)
        current["status"] = status
        code, body = self.fake.request("PUT", self.path(kind, name, ns) + "/status", current)
        assert code == 200, (code, body)
        return body

    def hook(self, path: str, **query):
        code, body = self.fake.request("POST", "/_fake/" + path, query={k: str(v) for k, v in query.items()})
        assert code == 200, (path, code, body)

    def requests(self, since: int = 0) -> list:
        code, body = self.fake.request("GET", "/_fake/requests", query={"since": since})
        assert code == 200, body
        return body["requests"]

    def last_seq(self) -> int:
        reqs = self.requests()
        return reqs[-1]["seq"] if reqs else 0

    def lease_holder(self) -> str:
        lease = self.get("Lease", "gatehouse-controller", LEASE_NS)
        return lease["spec"].get("holderIdentity", "") if lease else ""


class KubeGatehouse:
    """One `gatehouse serve --kubernetes` process with its own admin address and address pool."""

    def __init__(self, name: str, kubeconfig: str, lease_seconds: int = 3, network: Optional[tuple] = None):
        """`network`: the (a, b) of an instance that has stopped, to get its addresses (and statuses)."""
        for attempt in range(20):
            if network:
                a, b = network
                break
            a, b = _network_for(name, attempt)
            if _port_free(f"127.{a}.{b + 1}.254", 15000) and _port_free(f"127.{a}.{b}.1", 8080):
                break
        self.a, self.b = a, b
        self.pool = f"127.{a}.{b}.0/24"
        self.admin = (f"127.{a}.{b + 1}.254", 15000)
        self.tmp = tempfile.mkdtemp(prefix=f"gatehouse-kube-{re.sub(r'[^A-Za-z0-9]', '-', name)}-")
        self.log_path = os.path.join(self.tmp, "gatehouse.log")
        self.args = [BIN, "serve", "--kubernetes", "--kubeconfig", kubeconfig, "--admin-address",
                     f"{self.admin[0]}:{self.admin[1]}", "--address-pool", self.pool, "--workers", "1",
                     "--leader-election-lease-duration", str(lease_seconds)]
        self.env: Optional[dict] = None  # the process's environment; None: this one's
        self.proc: Optional[subprocess.Popen] = None
        self.killed = False

    def gateway_ip(self, n: int = 1) -> str:
        return f"127.{self.a}.{self.b}.{n}"

    def backend_ip(self, n: int) -> str:
        return f"127.{self.a}.{self.b + 1}.{n}"

    def start(self, wait_ready: bool = True):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        if wait_ready:
            wait_until(self.ready, what="gatehouse /ready")

    def ready(self) -> bool:
        import http.client
        if self.proc.poll() is not None:
            raise AssertionError(f"gatehouse exited with {self.proc.returncode}:\n{self.log()}")
        try:
            conn = http.client.HTTPConnection(*self.admin, timeout=2)
            conn.request("GET", "/ready")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def identity(self) -> str:
        """The Lease holder identity this process announced in its log."""
        m = wait_until(lambda: re.search(r"Lease \S+ as (\S+)", self.log()), what="identity in the log")
        return m.group(1)

    def stop(self, sig: str = "TERM") -> int:
        """Stops the process (SIGTERM, or SIGKILL to test a crash) and returns its exit status."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.killed = sig == "KILL"
            self.proc.kill() if self.killed else self.proc.terminate()
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if SANITIZER_REPORT.search(self.log()):
            raise AssertionError("sanitizer report:\n" + self.log()[-4000:])
        return self.proc.returncode

    def finish(self):
        """Cleanup: stops the process; fails unless it exited 0 on SIGTERM (or was killed on purpose)."""
        rc = self.stop()
        if rc != 0 and not self.killed:
            raise AssertionError(f"gatehouse exited with {rc}:\n{self.log()[-4000:]}")


def start_fake(*crds: str) -> FakeKube:
    fake = FakeKube("--crds", *(crds or crd_files()))
    code, body = fake.request("POST", "/api/v1/namespaces",
                              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": LEASE_NS}})
    assert code == 201, body
    return fake

