"""The Gatehouse route set of sections 3-4 through the API server: the same Gateway and routes as
GatehouseRoutes, written to the fake API server (tests/fakekube) instead of a directory, and
`gatehouse serve --kubernetes` watching it. Propagation is then timed from the API write's
answer until traffic follows, and memory is the controller's with every object watched."""

import http.client
import json
import os
import ssl
import sys

from . import manifests
from . import refconf
from . import targets as T

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
