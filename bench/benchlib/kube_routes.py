"""The Gatehouse route set of sections 3-4 through the API server: the same Gateway and routes as
GatehouseRoutes, written to the fake API server (tests/fakekube) instead of a directory, and
`gatehouse serve --kubernetes` watching it (in one process, or with the data plane apart). Propagation is then timed from the API write's
answer until traffic follows, and memory is the controller's with every object watched."""

import http.client
import json
import os
import ssl
import sys
import time

from . import manifests
from . import refconf
from . import targets as T
from .common import Proc, http_get

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.fakekube.harness import FakeKube  # noqa: E402

CRDS = os.path.join(refconf.__file__.rsplit("/bench/", 1)[0], "..", "shared", "gateway-api", "v1.6.1", "crd",
                    "standard")


class GatehouseKubeRoutes(refconf.RouteSet):
    name = "gatehouse-kube"
    addr = T.GATEHOUSE_ADDRESS

    def __init__(self, ctx, port, backend_port, workdir):
        super().__init__(ctx, port, backend_port, workdir)
        self.fake = FakeKube("--crds", os.path.normpath(CRDS), state_dir=os.path.join(workdir, "api"))
        self.conn, self.conn_pid = None, os.getpid()
        self.created = set()  # (kind, ns, name)
        for doc in [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gatehouse-system"}},
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": manifests.NS}},
                    *manifests.gateway_docs(self.addr, port)]:
            self.apply(doc)
        self.gh = None

    def _request(self, method, path, body):
        # One kept-alive connection: a TLS handshake per object would time the client, not the gateway.
        if self.conn_pid != os.getpid():  # the churn runs in a forked process: a connection of its own
            self.conn, self.conn_pid = None, os.getpid()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.fake.port, timeout=30,
                                                        context=ssl.create_default_context(
                                                            cafile=os.path.join(self.fake.state_dir, "ca.crt")))
            try:
                self.conn.request(method, path, body=json.dumps(body).encode(),
                                  headers={"Authorization": f"Bearer {self.fake.admin_token}",
                                           "Content-Type": "application/json"})
                res = self.conn.getresponse()
                return res.status, json.loads(res.read())
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def apply(self, doc):
        kind, meta = doc["kind"], doc["metadata"]
        ns = meta.get("namespace", "")
        collection = self.fake.resource_path(doc["apiVersion"], kind, ns)
        key = (kind, ns, meta["name"])
        # An update without resourceVersion is unconditional: gatehouse's status writes bump the
        # version meanwhile, and this writer owns the spec.
        if key in self.created:
            code, body = self._request("PUT", f"{collection}/{meta['name']}", doc)
        else:
            code, body = self._request("POST", collection, doc)
        if code not in (200, 201):
            raise RuntimeError(f"{kind} {meta['name']}: HTTP {code}: {body.get('message', body)}")
        self.created.add(key)

    def write_route(self, i, gen=0, port=None):
        route, *backend = manifests.scale_route_docs(i, port or self.backend_port, gen)
        for doc in backend + [route]:  # the backend first, so a new route never points at nothing
            self.apply(doc)

    def start(self, cpu=T.PROXY_CPU):
        self.gh = T.Gatehouse(self.ctx.gatehouse, None, self.ctx.ports.admin, workers=1, cpu=cpu,
                              log_path=os.path.join(self.dir, "out.log"),
                              source=["--kubernetes", "--kubeconfig", self.fake.kubeconfig])
        self.proc = self.gh.proc

    def ready_time(self, timeout=600):
        return self.gh.wait_ready(timeout)

    def reload(self):
        pass  # gatehouse watches the API server

    def stop(self):
        super().stop()
        if self.conn:
            self.conn.close()
        self.fake.stop()


class GatehouseProvisionedRoutes(GatehouseKubeRoutes):
    """The same through the topology `deploy/` installs: the controller (`serve --kubernetes
    --provision`, no traffic) and the Gateway's `gatehouse dataplane` fed over the config stream,
    as its provisioned pod would run it (a TokenRequest token of its ServiceAccount). Propagation
    is then API server -> controller -> config stream -> data plane; memory is the controller's."""

    name = "gatehouse-kube-provisioned"

    def start(self, cpu=T.PROXY_CPU):
        from tests.fakekube.certs import CertificateAuthority
        ca = CertificateAuthority()
        cert, key = ca.issue_server()  # names 127.0.0.1
        files = {}
        for name, data in (("ca.crt", ca.cert_pem), ("stream.crt", cert), ("stream.key", key)):
            files[name] = os.path.join(self.dir, name)
            with open(files[name], "wb") as f:
                f.write(data)
        stream = f"127.0.0.1:{self.ctx.ports.admin + 1}"
        self.gh = T.Gatehouse(self.ctx.gatehouse, None, self.ctx.ports.admin, workers=1, cpu=cpu,
                              log_path=os.path.join(self.dir, "out.log"),
                              source=["--kubernetes", "--kubeconfig", self.fake.kubeconfig, "--provision",
                                      "--stream-address", stream, "--stream-cert", files["stream.crt"],
                                      "--stream-key", files["stream.key"], "--data-plane-image", "bench"])
        self.proc = self.gh.proc
        token = os.path.join(self.dir, "token")
        with open(token, "w") as f:
            f.write(self._data_plane_token())
        self.dp_admin = ("127.0.0.1", self.ctx.ports.admin + 2)
        self.dp = Proc("dataplane", [self.ctx.gatehouse, "dataplane", "--controller", stream, "--gateway",
                                     f"{manifests.NS}/{manifests.GATEWAY}", "--token-file", token,
                                     "--controller-ca", files["ca.crt"], "--workers", "1", "--admin-address",
                                     f"{self.dp_admin[0]}:{self.dp_admin[1]}"],
                       cpu=cpu, log_path=os.path.join(self.dir, "dataplane.log"))

    def _data_plane_token(self):
        """A token of the ServiceAccount the controller provisions for the Gateway, for the stream."""
        account = "gatehouse-" + manifests.GATEWAY
        path = self.fake.resource_path("v1", "ServiceAccount", manifests.NS)
        if self.fake.request("GET", f"{path}/{account}")[0] == 404:
            self.fake.request("POST", path, {"apiVersion": "v1", "kind": "ServiceAccount",
                                             "metadata": {"name": account, "namespace": manifests.NS}})
        code, body = self.fake.request("POST", f"{path}/{account}/token", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"audiences": ["gatehouse.dev/config-stream"], "expirationSeconds": 3600}})
        if code != 201:
            raise RuntimeError(f"TokenRequest: HTTP {code}: {body}")
        return body["status"]["token"]

    def ready_time(self, timeout=600):
        """Seconds from the controller's start until the data plane has a config live."""
        while time.monotonic() - self.proc.started < timeout:
            if not self.alive():
                return None
            if http_get(*self.dp_admin, "/ready", timeout=1.0)[0] == 200:
                return time.monotonic() - self.proc.started
            time.sleep(0.01)
        return None

    def alive(self):
        return super().alive() and self.dp.alive()

    def stop(self):
        if getattr(self, "dp", None):
            self.dp.stop()
        super().stop()
