"""Resource semantics, independent of HTTP: create/get/list/update/patch/delete/watch with the
real server's resourceVersion, generation, status-subresource and namespace rules, and the
kind-specific behaviour of Namespaces, Services, Secrets and CRDs."""

from __future__ import annotations

import base64
import copy
import datetime
import ipaddress
import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import errors, kinds, patch, schema
from .errors import ApiError
from .kinds import Registry, ResourceType
from .store import Store, Watch
from .validation import validate as validate_object

NAMESPACES = ("", "namespaces")
CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
SERVICE_ACCOUNTS = ("", "serviceaccounts")
SERVICES = ("", "services")
SECRETS = ("", "secrets")
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# generateName suffix alphabet of k8s.io/apiserver (no vowels, no confusable characters).
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
NAMESPACE_CLEANUP_DELAY = 1.0  # seconds a deleted namespace stays Terminating
_SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


@dataclass
class FieldValidation:
    """The request's fieldValidation (Strict, Warn (the default) or Ignore) and the warnings
    the write produced for the response's Warning headers."""
    mode: str = "Warn"
    warnings: list[str] = field(default_factory=list)


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _without(obj: dict, *fields: str) -> dict:
    return {k: v for k, v in obj.items() if k not in fields}


def _comparable(obj: dict) -> dict:
    """An object minus what every write changes by itself."""
    out = copy.deepcopy(obj)
    out.get("metadata", {}).pop("resourceVersion", None)
    out.get("metadata", {}).pop("managedFields", None)
    return out


class Api:
    def __init__(self, store: Store, registry: Registry):
        self.store, self.registry = store, registry
        self._applied: dict[tuple, dict] = {}  # server-side apply: last config per object and manager
        self._ips_lock = threading.Lock()
        self._next_ip = 10
        for name in INITIAL_NAMESPACES:
            self.create(self.registry.get(*NAMESPACES), "v1", "", {"metadata": {"name": name}})

    # --- helpers -------------------------------------------------------------------------

    def convert(self, rt: ResourceType, obj: dict, version: str) -> dict:
        """Custom resources are served at every served version by relabelling (no conversion
        webhooks here)."""
        if obj.get("apiVersion") != rt.api_version(version):
            obj = {**obj, "apiVersion": rt.api_version(version)}
        return obj

    def _require_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self.store.get(NAMESPACES, "", namespace)
        if ns is None:
            raise errors.not_found("", "namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", f'{errors.qualified(rt.group, rt.plural)} "{name}" is forbidden: '
                           f"unable to create new content in namespace {namespace} because it is being terminated",
                           {"name": name, "group": rt.group, "kind": rt.plural})

    def _check_body(self, rt: ResourceType, version: str, body: dict, validation: FieldValidation) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        if body.get("kind") and body["kind"] != rt.kind or (
                body.get("apiVersion") and body["apiVersion"] not in [rt.api_version(v) for v in rt.versions]):
            raise errors.bad_request(f"the API version in the data ({body.get('apiVersion')}) does not match "
                                     f"the expected API version ({rt.api_version(version)})"
                                     if body.get("kind") == rt.kind else
                                     f"Object '{body.get('kind')}' does not match the kind '{rt.kind}'")
        body = copy.deepcopy(body)
        body["apiVersion"], body["kind"] = rt.api_version(), rt.kind
        body.setdefault("metadata", {})
        unknown = schema.prune(body, rt.schema)
        if unknown and validation.mode == "Strict":
            raise errors.bad_request(f'{rt.kind} in version "{version}" cannot be handled as a {rt.kind}: strict '
                                     "decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown))
        if validation.mode != "Ignore":
            validation.warnings += [f'unknown field "{u}"' for u in unknown]
        return body

    def _generation_changed(self, rt: ResourceType, old: dict, new: dict) -> bool:
        ignored = ("metadata", "status") if "status" in rt.subresources else ("metadata",)
        return _without(old, *ignored) != _without(new, *ignored)

    # --- reads ---------------------------------------------------------------------------

    def get(self, rt: ResourceType, version: str, namespace: str, name: str) -> dict:
        obj = self.store.get(rt.key, namespace, name)
        if obj is None:
            raise errors.not_found(rt.group, rt.plural, name)
        return self.convert(rt, obj, version)

    def list(self, rt: ResourceType, version: str, namespace: str, predicate, limit: int,
             continue_token: str) -> dict:
        items, rv = self.store.list(rt.key, namespace)
        items = [o for o in items if predicate(o)]
        if continue_token:
            try:
                token = json.loads(base64.urlsafe_b64decode(continue_token))
                rv, start = token["rv"], tuple(token["start"])
            except (ValueError, KeyError, TypeError):
                raise errors.bad_request("continue key is not valid: illegal base64 data") from None
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
        meta: dict = {"resourceVersion": str(rv)}
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"rv": rv, "start": [last.get("namespace", ""), last["name"]]}).encode()).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return {"apiVersion": rt.api_version(version), "kind": rt.kind + "List", "metadata": meta,
                "items": [self.convert(rt, o, version) for o in items]}

    def watch(self, rt: ResourceType, namespace: str, predicate, resource_version: str, timeout: float,
              bookmark_interval: Optional[float], client_gone: Callable[[], bool]) -> Watch:
        start = None if resource_version in ("", "0") else self._parse_rv(resource_version)
        return Watch(self.store, rt.key, namespace, predicate, start, timeout, bookmark_interval,
                     alive=lambda: self.registry.get(*rt.key) is not None and not client_gone())

    @staticmethod
    def _parse_rv(rv: str) -> int:
        try:
            return int(rv)
        except ValueError:
            raise errors.bad_request(f'invalid resource version: "{rv}"') from None

    # --- writes --------------------------------------------------------------------------

    def create(self, rt: ResourceType, version: str, namespace: str, body: dict,
               validation: Optional[FieldValidation] = None) -> dict:
        body = self._check_body(rt, version, body, validation or FieldValidation())
        meta = body["metadata"]
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace "
                                         "sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created")
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(rt.group, rt.kind, "", "metadata.name",
                                     "Required value: name or generateName is required")
            meta["name"] = meta["generateName"] + "".join(random.choices(_GENERATE_ALPHABET, k=5))
        with self.store.cond:
            if rt.namespaced:
                self._require_namespace(rt, namespace, meta["name"])
            if self.store.get(rt.key, namespace if rt.namespaced else "", meta["name"]) is not None:
                raise errors.already_exists(rt.group, rt.plural, meta["name"])
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            meta.pop("deletionTimestamp", None)
            if rt.has_generation:
                meta["generation"] = 1
            if "status" in rt.subresources:
                body.pop("status", None)
            schema.object_defaults(body, rt.schema)
            validate_object(rt, body)
            self._defaults_on_create(rt, body)
            stored = self.store.put(rt.key, body, "ADDED", None)
            if rt.key == CRDS:
                self.registry.register(kinds.from_crd(stored))
            elif rt.key == NAMESPACES:  # what the service-account controller does right after
                self.create(self.registry.get(*SERVICE_ACCOUNTS), "v1", meta["name"],
                            {"metadata": {"name": "default"}})
        return self.convert(rt, stored, version)

    def _defaults_on_create(self, rt: ResourceType, body: dict) -> None:
        if rt.key == NAMESPACES:
            body.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            body["status"] = {"phase": "Active"}
        elif rt.key == SERVICES:
            spec = body.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
                spec["clusterIP"] = self._allocate_cluster_ip()
            if spec.get("clusterIP"):
                spec.setdefault("clusterIPs", [spec["clusterIP"]])
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            body["status"] = {"loadBalancer": {}}
        elif rt.key == SECRETS:
            body.setdefault("type", "Opaque")
        elif rt.key == CRDS:
            body["status"] = kinds.crd_status(body)

    def _allocate_cluster_ip(self) -> str:
        with self._ips_lock:
            self._next_ip += 1
            return str(_SERVICE_CIDR[self._next_ip])

    def update(self, rt: ResourceType, version: str, namespace: str, name: str, subresource: str,
               body: dict, validation: Optional[FieldValidation] = None) -> dict:
        body = self._check_body(rt, version, body, validation or FieldValidation())
        if body["metadata"].get("name") and body["metadata"]["name"] != name:
            raise errors.bad_request(f"the name of the object ({body['metadata']['name']}) does not match the "
                                     f"name on the URL ({name})")
        with self.store.cond:
            old = self.store.get(rt.key, namespace, name)
            if old is None:
                raise errors.not_found(rt.group, rt.plural, name)
            rv = body["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.group, rt.plural, name)
            return self.convert(rt, self._commit(rt, old, self._next_state(rt, old, body, subresource)), version)

    def _next_state(self, rt: ResourceType, old: dict, body: dict, subresource: str) -> dict:
        """What a write of `body` to the object or its /status turns `old` into."""
        if subresource == "status":
            new = copy.deepcopy(old)
            if "status" in body:
                new["status"] = copy.deepcopy(body["status"])
            else:
                new.pop("status", None)
            return new
        new = copy.deepcopy(body)
        meta = new.setdefault("metadata", {})
        for field in ("uid", "creationTimestamp", "name", "namespace", "generation", "resourceVersion"):
            if field in old["metadata"]:
                meta[field] = old["metadata"][field]
            else:
                meta.pop(field, None)
        if "status" in rt.subresources:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        return new

    def _commit(self, rt: ResourceType, old: dict, new: dict) -> dict:
        schema.object_defaults(new, rt.schema)
        if rt.has_generation and self._generation_changed(rt, old, new):
            new["metadata"]["generation"] = old["metadata"].get("generation", 0) + 1
        if _comparable(new) == _comparable(old):
            return old  # a no-op write is not stored: no new resourceVersion, no watch event
        validate_object(rt, new)
        stored = self.store.put(rt.key, new, "MODIFIED", old)
        if rt.key == CRDS:
            self.registry.register(kinds.from_crd(stored))
        return stored

    def patch(self, rt: ResourceType, version: str, namespace: str, name: str, subresource: str,
              content_type: str, raw: bytes, field_manager: str,
              validation: Optional[FieldValidation] = None) -> tuple[int, dict]:
        validation = validation or FieldValidation()
        body = patch.parse_body(content_type, raw)
        with self.store.cond:
            old = self.store.get(rt.key, namespace, name)
            applied_key = (rt.key, namespace, name, subresource, field_manager)
            if content_type == "application/apply-patch+yaml":
                if not isinstance(body, dict) or not body.get("apiVersion") or not body.get("kind"):
                    raise errors.bad_request("invalid object type: /, Kind=")
                if not field_manager:
                    raise errors.bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
                if old is None:
                    if subresource:
                        raise errors.not_found(rt.group, rt.plural, name)
                    body.setdefault("metadata", {})["name"] = name
                    created = self.create(rt, version, namespace, body, validation)
                    self._applied[applied_key] = body
                    return 201, created
                live = self.convert(rt, old, version)
                new_body = patch.apply_patch(live, self._applied.get(applied_key), body, strategic=not rt.custom)
                self._applied[applied_key] = body
            else:
                if old is None:
                    raise errors.not_found(rt.group, rt.plural, name)
                live = self.convert(rt, old, version)
                if content_type == "application/merge-patch+json":
                    new_body = patch.merge_patch(live, body)
                elif content_type == "application/json-patch+json":
                    new_body = patch.json_patch(live, body)
                elif content_type == "application/strategic-merge-patch+json" and not rt.custom:
                    new_body = patch.strategic_merge_patch(live, body)
                else:
                    raise errors.unsupported_media_type(content_type)
            new_body = self._check_body(rt, version, new_body, validation)
            rv = new_body["metadata"].get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.group, rt.plural, name)
            return 200, self.convert(rt, self._commit(rt, old, self._next_state(rt, old, new_body, subresource)),
                                     version)

    def delete(self, rt: ResourceType, version: str, namespace: str, name: str, options: dict) -> dict:
        with self.store.cond:
            old = self.store.get(rt.key, namespace, name)
            if old is None:
                raise errors.not_found(rt.group, rt.plural, name)
            pre = (options or {}).get("preconditions") or {}
            if pre.get("resourceVersion") and pre["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", f"Operation cannot be fulfilled on "
                               f'{errors.qualified(rt.group, rt.plural)} "{name}": the ResourceVersion in the '
                               f"precondition ({pre['resourceVersion']}) does not match the ResourceVersion in "
                               f"record ({old['metadata']['resourceVersion']}). The object might have been "
                               "modified", {"name": name, "group": rt.group, "kind": rt.plural})
            if pre.get("uid") and pre["uid"] != old["metadata"]["uid"]:
                raise errors.conflict(rt.group, rt.plural, name)
            if rt.key == NAMESPACES:
                return self.convert(rt, self._terminate_namespace(old), version)
            if rt.key == CRDS:
                served = kinds.from_crd(old)
                for ns, child in self.store.names_of(served.key):
                    self._forget_applied(served.key, ns, child)
                    self.store.delete(served.key, ns, child)
                self.registry.unregister(served.key)
            self._forget_applied(rt.key, namespace, name)
            gone = self.store.delete(rt.key, namespace, name)
            if (options or {}).get("propagationPolicy") != "Orphan":
                self._collect_garbage(old["metadata"]["uid"])
        if rt.custom or rt.key == CRDS:
            return self.convert(rt, gone, version)
        details = {"name": name, "kind": rt.plural, "uid": old["metadata"]["uid"]}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _terminate_namespace(self, ns: dict) -> dict:
        """Like the real namespace controller: the namespace turns Terminating at once (no new
        content), its contents and then itself are deleted a moment later, so a `kubectl delete -f`
        listing the namespace first still finds the objects after it."""
        if ns["metadata"].get("deletionTimestamp"):
            return ns
        terminating = copy.deepcopy(ns)
        terminating["metadata"]["deletionTimestamp"] = now_rfc3339()
        terminating["metadata"]["deletionGracePeriodSeconds"] = 0
        terminating["status"] = {"phase": "Terminating"}
        stored = self.store.put(NAMESPACES, terminating, "MODIFIED", ns)
        timer = threading.Timer(NAMESPACE_CLEANUP_DELAY, self._finish_namespace, (ns["metadata"]["name"],))
        timer.daemon = True
        timer.start()
        return stored

    def _finish_namespace(self, name: str) -> None:
        with self.store.cond:
            for key, child in self.store.names_in_namespace(name):
                self._forget_applied(key, name, child)
                self.store.delete(key, name, child)
            self._forget_applied(NAMESPACES, "", name)
            self.store.delete(NAMESPACES, "", name)

    def _collect_garbage(self, owner_uid: str) -> None:
        """What the garbage collector does (here at once, not a moment later): dependents whose
        owners are all gone are deleted, and theirs in turn."""
        for key, namespace, name in self.store.dependents(owner_uid):
            obj = self.store.get(key, namespace, name)
            if obj is None or any(self.store.exists(r.get("uid", "")) for r in obj["metadata"]["ownerReferences"]):
                continue
            self._forget_applied(key, namespace, name)
            self.store.delete(key, namespace, name)
            self._collect_garbage(obj["metadata"]["uid"])

    def _forget_applied(self, key, namespace: str, name: str) -> None:
        for k in [k for k in self._applied if k[:3] == (key, namespace, name)]:
            del self._applied[k]
