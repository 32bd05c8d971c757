"""Kubernetes mode: the object store that writes to the API server and the status reader that reads from it."""
import copy
import json
import time

from .admin import ReadError
from .kube_api import ApiError
from .manifests import ObjectStore, StoreError
from .util import ADMIN_KINDS, GATEWAY_GROUP, GATEWAY_KINDS, key_str

#: The version status is read at: every gateway kind of v1.6.1 is served at v1.
READ_VERSION = 'v1'

#: Service fields the API server allocates; an update that leaves them out keeps them (as `kubectl apply` would).
SERVICE_ALLOCATED = ('clusterIP', 'clusterIPs')


def status_message(doc):
    return doc.get('message') or doc.get('text') or str(doc)[:200]


def update_body(desired, live):
    """The PUT body replacing live with desired: desired at live's resourceVersion, server-allocated fields kept."""
    body = copy.deepcopy(desired)
    body.setdefault('metadata', {})['resourceVersion'] = live['metadata']['resourceVersion']
    if desired.get('kind') == 'Service':
        spec, live_spec = body.setdefault('spec', {}), live.get('spec') or {}
        for field in SERVICE_ALLOCATED:
            if field not in spec and field in live_spec:
                spec[field] = copy.deepcopy(live_spec[field])
    return body


class KubeStore(ObjectStore):
    """Creates (POST) what the server lacks, replaces (GET, then PUT at the read resourceVersion, again on 409)
    what it has, deletes (DELETE, 404 included). An object still being deleted (a Terminating namespace) is waited
    out before it is created again."""

    CONFLICT_RETRIES = 10

    def __init__(self, api, log, gone_timeout=60.0):
        super().__init__()
        self.api = api
        self.log = log
        self.gone_timeout = gone_timeout

    def _put(self, key, obj, held):
        kind, ns, name = key
        collection, item = self.api.path(obj['apiVersion'], kind, ns), self.api.path(obj['apiVersion'], kind, ns, name)
        if not held and self._create(collection, obj, key):
            return
        for _ in range(self.CONFLICT_RETRIES):
            status, live = self.api.request('GET', item)
            if status == 404:
                if self._create(collection, obj, key):
                    return
                continue
            if status != 200:
                raise StoreError(f'GET {key_str(key)}: HTTP {status}: {status_message(live)}')
            if live['metadata'].get('deletionTimestamp'):
                self._wait_gone(item, key)
                if self._create(collection, obj, key):
                    return
                continue
            status, doc = self.api.request('PUT', item, update_body(obj, live))
            if status == 200:
                return
            if status != 409:
                raise StoreError(f'PUT {key_str(key)}: HTTP {status}: {status_message(doc)}')
            self.log(f'update of {key_str(key)} conflicted; reading it again')
        raise StoreError(f'{key_str(key)}: still conflicting after {self.CONFLICT_RETRIES} attempts')

    def _create(self, collection, obj, key):
        """True when created, False when it exists already; StoreError on any other answer."""
        status, doc = self.api.request('POST', collection, obj)
        if status == 201:
            return True
        if status == 409 and doc.get('reason') == 'AlreadyExists':
            return False
        raise StoreError(f'POST {key_str(key)}: HTTP {status}: {status_message(doc)}')

    def _wait_gone(self, item, key):
        self.log(f'{key_str(key)} is being deleted; waiting until it is gone')
        deadline = time.monotonic() + self.gone_timeout
        while time.monotonic() < deadline:
            status, doc = self.api.request('GET', item)
            if status == 404:
                return
            if status != 200:
                raise StoreError(f'GET {key_str(key)}: HTTP {status}: {status_message(doc)}')
            time.sleep(0.1)
        raise StoreError(f'{key_str(key)} still being deleted after {self.gone_timeout:g}s')

    def _remove(self, key, obj):
        status, doc = self.api.request('DELETE', self.api.path(obj['apiVersion'], *key))
        if status not in (200, 202, 404):
            raise StoreError(f'DELETE {key_str(key)}: HTTP {status}: {status_message(doc)}')


class KubeStatusReader:
    """The status reads of FORMAT §2.2 as GETs and LISTs on the API server. GatewayInfrastructure's data-plane
    objects stay the admin endpoint's synthetic ones: `serve --kubernetes` runs the data plane in its own process and
    provisions nothing the server could list."""

    def __init__(self, api, admin):
        self.api = api
        self.admin = admin

    def _path(self, kind, namespace, name=''):
        api_version = f'{GATEWAY_GROUP}/{READ_VERSION}' if kind in GATEWAY_KINDS else READ_VERSION
        try:
            return self.api.path(api_version, kind, namespace, name)
        except ApiError as e:
            raise ReadError(str(e)) from None

    def _get(self, path):
        try:
            return self.api.request('GET', path)
        except ApiError as e:
            raise ReadError(str(e)) from None

    def get(self, kind, namespace, name):
        """The object, or None when not found; ReadError on any other failure."""
        path = self._path(kind, namespace, name)
        status, doc = self._get(path)
        if status == 404:
            return None
        if status != 200:
            raise ReadError(f'GET {path}: HTTP {status}: {status_message(doc)}')
        return doc

    def list(self, kind, namespace):
        path = self._path(kind, namespace)
        status, doc = self._get(path)
        if status != 200:
            raise ReadError(f'GET {path}: HTTP {status}: {status_message(doc)}')
        return [dict(o, kind=kind) for o in doc.get('items') or []]

    def infrastructure(self, namespace):
        return self.admin.infrastructure(namespace)

    def differences_from_admin(self, keys):
        """For a failed case: the objects whose status on the API server differs from the one gatehouse computes
        (its admin endpoint), so a status-writer fault stands apart from a translation fault."""
        out = []
        for kind, ns, name in keys:
            if kind not in ADMIN_KINDS:
                continue
            try:
                served, computed = self.get(kind, ns, name), self.admin.get(kind, ns, name)
            except ReadError as e:
                out.append(f'{key_str((kind, ns, name))}: cannot compare statuses: {e}')
                continue
            served_status = (served or {}).get('status')
            computed_status = (computed or {}).get('status')
            if served_status != computed_status:
                out.append(f'{key_str((kind, ns, name))}: status on the API server {json.dumps(served_status)} '
                           f'differs from the admin endpoint\'s {json.dumps(computed_status)}')
        return out
