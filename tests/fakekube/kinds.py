"""The resource types the fake serves: the built-in kinds Gatehouse and kubectl use, plus every
installed CustomResourceDefinition, and the discovery documents that describe them."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Optional

CRUD_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    group: str
    versions: tuple[str, ...]       # served versions, the storage (preferred) one first
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()   # "status"; "token" on serviceaccounts
    verbs: tuple[str, ...] = tuple(CRUD_VERBS)
    categories: tuple[str, ...] = ()
    has_generation: bool = False    # real built-ins set metadata.generation only on some kinds
    custom: bool = False            # backed by a CRD (merge patch only, Table from printer columns)
    printer_columns: tuple = ()     # CRD additionalPrinterColumns of the storage version
    schema: Optional[dict] = field(default=None, hash=False, compare=False)  # CRD openAPIV3Schema

    @property
    def storage_version(self) -> str:
        return self.versions[0]

    def api_version(self, version: Optional[str] = None) -> str:
        v = version or self.storage_version
        return f"{self.group}/{v}" if self.group else v

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)


def _builtin(group, version, plural, kind, namespaced, short=(), status=False, generation=False,
             verbs=tuple(CRUD_VERBS), sub=(), categories=()):
    subs = set(sub) | ({"status"} if status else set())
    return ResourceType(group, (version,), plural, kind.lower(), kind, namespaced, tuple(short),
                        frozenset(subs), tuple(verbs), tuple(categories), generation)


BUILTINS = [
    _builtin("", "v1", "namespaces", "Namespace", False, ("ns",), status=True),
    _builtin("", "v1", "services", "Service", True, ("svc",), status=True, categories=("all",)),
    _builtin("", "v1", "secrets", "Secret", True),
    _builtin("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    _builtin("", "v1", "events", "Event", True, ("ev",)),
    _builtin("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), sub=("token",)),
    _builtin("", "v1", "pods", "Pod", True, ("po",), status=True, categories=("all",)),
    _builtin("apps", "v1", "deployments", "Deployment", True, ("deploy",), status=True, generation=True,
             categories=("all",)),
    _builtin("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease", True),
    _builtin("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _builtin("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
             ("crd", "crds"), status=True, generation=True),
    _builtin("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", False, verbs=("create",)),
    _builtin("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", False, verbs=("create",)),
    _builtin("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
             verbs=("create",)),
    # Served so the upstream CRD directory (which ships a ValidatingAdmissionPolicy) applies whole;
    # stored only, never enforced.
    _builtin("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies",
             "ValidatingAdmissionPolicy", False, status=True, generation=True),
    _builtin("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings",
             "ValidatingAdmissionPolicyBinding", False, generation=True),
]

# Kinds whose objects are answers computed per request, never stored.
VIRTUAL = {("authentication.k8s.io", "tokenreviews"), ("authentication.k8s.io", "selfsubjectreviews"),
           ("authorization.k8s.io", "selfsubjectaccessreviews")}


def from_crd(crd: dict) -> ResourceType:
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec["versions"] if v.get("served")]
    storage = [v for v in served if v.get("storage")] or served[:1]
    ordered = storage + [v for v in served if v not in storage]
    top = ordered[0]
    return ResourceType(
        group=spec["group"], versions=tuple(v["name"] for v in ordered), plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(), kind=names["kind"],
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        subresources=frozenset(k for k in (top.get("subresources") or {}) if k == "status"),
        categories=tuple(names.get("categories") or ()), has_generation=True, custom=True,
        printer_columns=tuple(json.dumps(c, sort_keys=True) for c in top.get("additionalPrinterColumns") or ()),
        schema=(top.get("schema") or {}).get("openAPIV3Schema"))


def crd_status(crd: dict) -> dict:
    """What the real apiextensions controller writes shortly after a CRD is created."""
    names = copy.deepcopy(crd["spec"]["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    ts = crd["metadata"]["creationTimestamp"]
    cond = lambda t, r, m: {"type": t, "status": "True", "lastTransitionTime": ts, "reason": r, "message": m}
    return {"acceptedNames": names,
            "conditions": [cond("NamesAccepted", "NoConflicts", "no conflicts found"),
                           cond("Established", "InitialNamesAccepted", "the initial names have been accepted")],
            "storedVersions": [v["name"] for v in crd["spec"]["versions"] if v.get("storage")]}


class Registry:
    """Resource types by (group, plural); CRDs add and remove theirs at runtime."""

    def __init__(self):
        self._lock = threading.Lock()
        self._types: dict[tuple[str, str], ResourceType] = {t.key: t for t in BUILTINS}

    def register(self, rt: ResourceType) -> None:
        with self._lock:
            self._types = {**self._types, rt.key: rt}

    def unregister(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._types = {k: v for k, v in self._types.items() if k != key}

    def get(self, group: str, plural: str) -> Optional[ResourceType]:
        return self._types.get((group, plural))

    def lookup(self, group: str, version: str, plural: str) -> Optional[ResourceType]:
        rt = self._types.get((group, plural))
        return rt if rt and version in rt.versions else None

    def all(self) -> list[ResourceType]:
        return sorted(self._types.values(), key=lambda t: (t.group, t.plural))

    # --- discovery -------------------------------------------------------------------------

    def group_versions(self) -> dict[str, list[str]]:
        """Named groups (not core) to their served versions, preferred first."""
        groups: dict[str, list[str]] = {}
        for rt in self.all():
            if not rt.group:
                continue
            versions = groups.setdefault(rt.group, [])
            for v in rt.versions:
                if v not in versions:
                    versions.append(v)
        return {g: sorted(vs, key=_version_priority) for g, vs in groups.items()}

    def api_group(self, group: str) -> Optional[dict]:
        versions = self.group_versions().get(group)
        if not versions:
            return None
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}

    def api_group_list(self) -> dict:
        groups = [self.api_group(g) for g in self.group_versions()]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> Optional[dict]:
        resources = []
        for rt in self.all():
            if rt.group != group or version not in rt.versions:
                continue
            entry = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                     "kind": rt.kind, "verbs": list(rt.verbs)}
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            entry["storageVersionHash"] = hashlib.sha256(
                f"{rt.group}/{rt.storage_version}/{rt.kind}".encode()).hexdigest()[:11]
            resources.append(entry)
            for sub in sorted(rt.subresources):
                if sub == "token":
                    resources.append({"name": f"{rt.plural}/token", "singularName": "", "namespaced": True,
                                      "group": "authentication.k8s.io", "version": "v1",
                                      "kind": "TokenRequest", "verbs": ["create"]})
                else:
                    resources.append({"name": f"{rt.plural}/{sub}", "singularName": "",
                                      "namespaced": rt.namespaced, "kind": rt.kind,
                                      "verbs": ["get", "patch", "update"]})
        if not resources:
            return None
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}

    # --- OpenAPI v3 ------------------------------------------------------------------------
    # kubectl only needs to learn, per kind, that PATCH accepts `fieldValidation`: it then leaves
    # validation to the server and never asks for the (absent) OpenAPI v2 schemas.

    def openapi_root(self) -> dict:
        paths = {}
        for gv in self._all_group_versions():
            doc = json.dumps(self.openapi_group_version(*gv), sort_keys=True).encode()
            paths[_gv_path(*gv)] = {
                "serverRelativeURL": f"/openapi/v3/{_gv_path(*gv)}?hash={hashlib.sha512(doc).hexdigest()[:32].upper()}"}
        return {"paths": paths}

    def openapi_group_version(self, group: str, version: str) -> Optional[dict]:
        paths = {}
        for rt in self.all():
            if rt.group != group or version not in rt.versions:
                continue
            gvk = {"group": group, "version": version, "kind": rt.kind}
            ns = "namespaces/{namespace}/" if rt.namespaced else ""
            prefix = f"/{_gv_path(group, version)}/{ns}{rt.plural}/{{name}}"
            op = {"operationId": f"patch{rt.kind}", "x-kubernetes-action": "patch",
                  "x-kubernetes-group-version-kind": gvk,
                  "parameters": [{"name": p, "in": "query", "schema": {"type": "string"}}
                                 for p in ("dryRun", "fieldManager", "fieldValidation", "force")],
                  "responses": {"200": {"description": "OK"}}}
            paths[prefix] = {"patch": op}
        if not paths:
            return None
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
                "components": {"schemas": {}}}

    def _all_group_versions(self) -> list[tuple[str, str]]:
        seen = []
        for rt in self.all():
            for v in rt.versions:
                if (rt.group, v) not in seen:
                    seen.append((rt.group, v))
        return seen


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _version_priority(v: str):
    """Kubernetes version order: GA before beta before alpha, higher numbers first."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (3, v)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0))
