"""Applying manifests (FORMAT §2.3): rewriting rules and the runner's object store (file mode: the manifest directory)."""
import copy
import os
import re
import tempfile

import yaml

from .util import CLUSTER_KINDS, obj_key

PLACEHOLDER_USABLE = 'PLACEHOLDER_USABLE_ADDRS'
PLACEHOLDER_UNUSABLE = 'PLACEHOLDER_UNUSABLE_ADDRS'
FAKE_INVALID_TYPE = 'test/fake-invalid-type'


class ApplySettings:
    def __init__(self, gateway_class, controller_name, usable_address, unusable_address,
                 namespace_labels=None, namespace_annotations=None):
        self.gateway_class = gateway_class
        self.controller_name = controller_name
        self.usable_address = usable_address
        self.unusable_address = unusable_address
        self.namespace_labels = namespace_labels or {}
        self.namespace_annotations = namespace_annotations or {}


def rewrite(obj, s):
    """Return a copy of obj with the §2.3 rules 1–3 applied."""
    obj = copy.deepcopy(obj)
    kind = obj.get('kind')
    if kind == 'Gateway':
        spec = obj.setdefault('spec', {})
        spec['gatewayClassName'] = s.gateway_class
        addrs = spec.get('addresses')
        if addrs:
            out = [a for a in addrs if isinstance(a, dict) and a.get('type') == FAKE_INVALID_TYPE]
            values = [a.get('value') for a in addrs if isinstance(a, dict)]
            if PLACEHOLDER_UNUSABLE in values and s.unusable_address:
                out.append({'type': 'IPAddress', 'value': s.unusable_address})
            if PLACEHOLDER_USABLE in values and s.usable_address:
                out.append({'type': 'IPAddress', 'value': s.usable_address})
            spec['addresses'] = out
    elif kind == 'GatewayClass':
        obj.setdefault('spec', {})['controllerName'] = s.controller_name
    elif kind == 'Namespace':
        md = obj.setdefault('metadata', {})
        if s.namespace_labels:
            md['labels'] = {**(md.get('labels') or {}), **s.namespace_labels}
        if s.namespace_annotations:
            md['annotations'] = {**(md.get('annotations') or {}), **s.namespace_annotations}
    return obj


def load_manifest(path):
    """All documents (maps with a kind) of a multi-document YAML file, in file order."""
    with open(path, encoding='utf-8') as f:
        return [d for d in yaml.safe_load_all(f) if isinstance(d, dict) and d.get('kind')]


def normalize(obj):
    """Give namespaced objects an explicit namespace (`default` as kubectl would)."""
    obj = copy.deepcopy(obj)
    md = obj.setdefault('metadata', {})
    if obj.get('kind') not in CLUSTER_KINDS and not md.get('namespace'):
        md['namespace'] = 'default'
    return obj


_SAFE = re.compile(r'[^a-z0-9.-]+')


def file_name(key):
    kind, ns, name = key
    parts = [kind.lower()] + ([ns] if ns else []) + [name]
    return _SAFE.sub('_', '.'.join(p.lower() for p in parts)) + '.yaml'


class StoreError(OSError):
    """The object store could not carry out a write or a delete."""


class ObjectStore:
    """The runner's copy of every object it wrote (what `edit` starts from and what §6.12 reads of non-gateway kinds
    see), mirrored into whatever the gateway reads: subclasses implement _put and _remove."""

    def __init__(self):
        self.objects = {}

    def get(self, key):
        return self.objects.get(key)

    def exists(self, key):
        return key in self.objects

    def write(self, obj):
        obj = normalize(obj)
        key = obj_key(obj)
        self._put(key, obj, key in self.objects)
        self.objects[key] = obj
        return key

    def delete(self, key):
        """Remove the object; returns False when the runner holds no such object."""
        if key not in self.objects:
            return False
        self._remove(key, self.objects.pop(key))
        return True

    def of_kind(self, kind, namespace=None):
        return [o for (k, ns, _), o in self.objects.items() if k == kind and (namespace is None or ns == namespace)]

    def _put(self, key, obj, held):
        """Create or replace the object; held says whether the runner wrote it before."""
        raise NotImplementedError

    def _remove(self, key, obj):
        raise NotImplementedError


class DirectoryStore(ObjectStore):
    """File mode: one file per object in the gateway's watched directory, written atomically (temp name + rename)."""

    def __init__(self, manifest_dir):
        super().__init__()
        self.dir = manifest_dir
        os.makedirs(manifest_dir, exist_ok=True)

    def _put(self, key, obj, held):
        data = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
        fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.partial', dir=self.dir)
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                f.write(data)
            os.rename(tmp, os.path.join(self.dir, file_name(key)))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _remove(self, key, obj):
        try:
            os.unlink(os.path.join(self.dir, file_name(key)))
        except FileNotFoundError:
            pass
