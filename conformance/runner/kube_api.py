"""Kubernetes mode: the fake API server (tests/fakekube) the runner starts, and the paths of the kinds it serves."""
import http.client
import os
from dataclasses import dataclass

from tests.fakekube.harness import FakeKube

from .fleet import _pdeathsig

#: The namespace gatehouse's Lease lives in (it never leads, so writes no status, while it is missing).
LEADER_ELECTION_NAMESPACE = 'gatehouse-system'


class ApiError(OSError):
    """No usable answer from the API server: no response at all, or a kind it does not serve."""


@dataclass(frozen=True)
class Resource:
    group: str
    version: str          # the group's preferred version
    plural: str
    namespaced: bool

    def path(self, namespace, name=None, version=None):
        """/api/v1/... or /apis/G/V/...; cluster-scoped kinds ignore namespace."""
        version = version or self.version
        out = f'/apis/{self.group}/{version}' if self.group else f'/api/{version}'
        if self.namespaced and namespace:
            out += f'/namespaces/{namespace}'
        out += f'/{self.plural}'
        return out + (f'/{name}' if name else '')


def split_api_version(api_version):
    group, _, version = (api_version or '').rpartition('/')
    return group, version


class ApiServer:
    """One fake API server process; request() goes through the harness's client with the admin token."""

    def __init__(self, fake):
        self.fake = fake
        # gatehouse authenticates with a client certificate (user admin-cert), the runner with the admin token
        # (user admin): the request log tells their requests apart.
        self.gateway_kubeconfig = os.path.join(fake.state_dir, 'kubeconfig-client-cert')
        self._resources = None      # (group, kind) -> Resource

    @classmethod
    def start(cls, state_dir, crd_dir, log_path):
        """Starts the fake with the CRDs of crd_dir installed; its stderr goes to log_path."""
        os.makedirs(state_dir, exist_ok=True)
        with open(log_path, 'ab') as log:
            fake = FakeKube('--crds', crd_dir, state_dir=state_dir, stderr=log, preexec_fn=_pdeathsig)
        return cls(fake)

    def request(self, method, path, body=None, query=None):
        """(HTTP status, decoded body); ApiError when no response arrives."""
        try:
            return self.fake.request(method, path, body=body, query=query)
        except (OSError, http.client.HTTPException) as e:
            raise ApiError(f'{method} {path}: {type(e).__name__}: {e}') from None

    # ------------------------------------------------------------------ discovery

    def resource(self, group, kind):
        """The served resource of a kind, from the server's discovery documents (read once)."""
        if self._resources is None:
            self._resources = self._discover()
        res = self._resources.get((group, kind))
        if res is None:
            raise ApiError(f'the API server does not serve kind {kind!r} in group {group!r}')
        return res

    def _discover(self):
        groups = [('', 'v1')]
        status, doc = self.request('GET', '/apis')
        if status != 200:
            raise ApiError(f'GET /apis: HTTP {status}')
        groups += [(g['name'], g['preferredVersion']['version']) for g in doc.get('groups') or []]
        out = {}
        for group, version in groups:
            path = f'/apis/{group}/{version}' if group else '/api/v1'
            status, doc = self.request('GET', path)
            if status != 200:
                raise ApiError(f'GET {path}: HTTP {status}')
            for r in doc.get('resources') or []:
                if '/' not in r['name']:
                    out[(group, r['kind'])] = Resource(group, version, r['name'], r['namespaced'])
        return out

    # ------------------------------------------------------------------ lifecycle

    def write_request_log(self, path):
        """Every request the server handled, one line each: the fake's own log of the run."""
        status, doc = self.request('GET', '/_fake/requests')
        if status != 200:
            raise ApiError(f'GET /_fake/requests: HTTP {status}')
        with open(path, 'w') as f:
            for r in doc.get('requests') or []:
                query = f'?{r["query"]}' if r.get('query') else ''
                watch = ' (watch)' if r.get('watch') else ''
                f.write(f'{r["seq"]} {r["user"]} {r["method"]} {r["path"]}{query} -> {r["code"]}{watch}\n')

    def stop(self):
        self.fake.stop()
