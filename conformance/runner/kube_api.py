"""Kubernetes mode: the fake API server (tests/fakekube) the runner starts and talks to through its harness."""
import http.client
import os

from tests.fakekube.harness import FakeKube

from .fleet import _pdeathsig

#: The namespace gatehouse's Lease lives in (it never leads, so writes no status, while it is missing).
LEADER_ELECTION_NAMESPACE = 'gatehouse-system'


class ApiError(OSError):
    """No usable answer from the API server: no response at all, or a kind it does not serve."""


class ApiServer:
    """One fake API server process; request() goes through the harness's client with the admin token."""

    def __init__(self, fake):
        self.fake = fake
        # gatehouse authenticates with a client certificate (user admin-cert), the runner with the admin token
        # (user admin): the request log tells their requests apart.
        self.gateway_kubeconfig = os.path.join(fake.state_dir, 'kubeconfig-client-cert')

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

    def path(self, api_version, kind, namespace='', name=''):
        """The REST path of an object or (without name) its collection, from the server's discovery documents;
        cluster-scoped kinds ignore namespace."""
        try:
            return self.fake.resource_path(api_version, kind, namespace, name)
        except KeyError as e:
            raise ApiError(f'the API server does not serve {kind} in {api_version}: {e}') from None
        except (OSError, http.client.HTTPException) as e:
            raise ApiError(f'discovery of {kind} in {api_version}: {type(e).__name__}: {e}') from None

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
