"""Authentication (admin bearer token, service-account tokens from TokenRequest, client
certificates from the fake's CA) and RBAC authorization from the stored rbac.authorization.k8s.io
objects, with the real server's user and group names and denial messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Optional

from .errors import ApiError, qualified
from .store import Store

API_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
ISSUER = "https://kubernetes.default.svc.cluster.local"
RBAC = "rbac.authorization.k8s.io"
# What the default system:public-info-viewer / system:discovery / system:basic-user roles grant.
PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
DISCOVERY_PREFIXES = ("/api", "/apis", "/openapi")
SELF_REVIEWS = {("authorization.k8s.io", "selfsubjectaccessreviews"), ("authentication.k8s.io", "selfsubjectreviews")}


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]
    uid: str = ""


ANONYMOUS = User("system:anonymous", ("system:unauthenticated",))


@dataclass(frozen=True)
class Attributes:
    """What a request asks to do, as the real authorizer sees it."""
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""              # set for non-resource requests

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    def __init__(self, store: Store, admin_token: str):
        self.store, self.admin_token = store, admin_token
        self._key = os.urandom(32)  # signs service-account tokens (HS256 JWTs)

    def from_token(self, token: str) -> Optional[User]:
        if hmac.compare_digest(token, self.admin_token):
            return User("admin", ("system:masters", "system:authenticated"))
        review = self.review(token, [API_AUDIENCE])
        return review[0] if review else None

    @staticmethod
    def from_certificate(peercert: dict) -> User:
        subject = [attr for rdn in peercert.get("subject", ()) for attr in rdn]
        name = next((v for k, v in subject if k == "commonName"), "")
        groups = tuple(v for k, v in subject if k == "organizationName")
        return User(name, groups + ("system:authenticated",))

    def issue_token(self, service_account: dict, audiences: list[str], seconds: int) -> tuple[str, int]:
        meta = service_account["metadata"]
        now = int(time.time())
        claims = {"aud": audiences, "exp": now + seconds, "iat": now, "nbf": now, "iss": ISSUER,
                  "jti": str(uuid.uuid4()), "sub": f"system:serviceaccount:{meta['namespace']}:{meta['name']}",
                  "kubernetes.io": {"namespace": meta["namespace"],
                                    "serviceaccount": {"name": meta["name"], "uid": meta["uid"]}}}
        head = _b64(json.dumps({"alg": "HS256", "kid": "fakekube"}).encode())
        body = _b64(json.dumps(claims).encode())
        sig = _b64(hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}", now + seconds

    def review(self, token: str, audiences: list[str]) -> Optional[tuple[User, list[str]]]:
        """The user a service-account token stands for and the audiences it matched, or None when
        it is forged, expired, for other audiences, or its ServiceAccount is gone (or recreated)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        sig = _b64(hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, parts[2]):
            return None
        claims = json.loads(_unb64(parts[1]))
        matched = [a for a in claims["aud"] if a in audiences]
        if claims["exp"] < time.time() or not matched:
            return None
        ns = claims["kubernetes.io"]["namespace"]
        sa = claims["kubernetes.io"]["serviceaccount"]
        live = self.store.get(("", "serviceaccounts"), ns, sa["name"])
        if live is None or live["metadata"]["uid"] != sa["uid"]:
            return None
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated")
        return User(claims["sub"], groups, sa["uid"]), matched


def _subject_matches(subject: dict, user: User, binding_ns: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace') or binding_ns}:{name}"
    return False


def _rule_allows(rule: dict, a: Attributes) -> bool:
    verbs = rule.get("verbs") or []
    if "*" not in verbs and a.verb not in verbs:
        return False
    if not a.is_resource:
        return any(u == a.path or u == "*" or (u.endswith("*") and a.path.startswith(u[:-1]))
                   for u in rule.get("nonResourceURLs") or [])
    groups = rule.get("apiGroups") or []
    if "*" not in groups and a.group not in groups:
        return False
    want = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    resources = rule.get("resources") or []
    if not any(r in ("*", want) or (a.subresource and r in (f"*/{a.subresource}", f"{a.resource}/*"))
               for r in resources):
        return False
    names = rule.get("resourceNames") or []
    return not names or a.name in names


class Authorizer:
    def __init__(self, store: Store):
        self.store = store

    def allowed(self, user: User, a: Attributes) -> bool:
        if "system:masters" in user.groups:
            return True
        if not a.is_resource and a.verb == "get" and a.path in PUBLIC_PATHS:
            return True
        authenticated = "system:authenticated" in user.groups
        if authenticated and not a.is_resource and a.verb == "get" and any(
                a.path == p or a.path.startswith(p + "/") for p in DISCOVERY_PREFIXES):
            return True
        if authenticated and a.verb == "create" and (a.group, a.resource) in SELF_REVIEWS:
            return True
        return any(_rule_allows(rule, a) for rule in self._rules(user, a.namespace))

    def _rules(self, user: User, namespace: str):
        bindings, _ = self.store.list((RBAC, "clusterrolebindings"))
        for b in bindings:
            if any(_subject_matches(s, user, "") for s in b.get("subjects") or []):
                yield from self._role_rules(b["roleRef"], "")
        if not namespace:
            return
        bindings, _ = self.store.list((RBAC, "rolebindings"), namespace)
        for b in bindings:
            if any(_subject_matches(s, user, namespace) for s in b.get("subjects") or []):
                yield from self._role_rules(b["roleRef"], namespace)

    def _role_rules(self, ref: dict, namespace: str):
        if ref.get("kind") == "ClusterRole":
            role = self.store.get((RBAC, "clusterroles"), "", ref.get("name", ""))
        else:
            role = self.store.get((RBAC, "roles"), namespace, ref.get("name", ""))
        yield from (role or {}).get("rules") or []


def forbidden(user: User, a: Attributes) -> ApiError:
    if not a.is_resource:
        return ApiError(403, "Forbidden", f'forbidden: User "{user.name}" cannot {a.verb} path "{a.path}"', {})
    what = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    scope = f'in the namespace "{a.namespace}"' if a.namespace else "at the cluster scope"
    target = qualified(a.group, a.resource) + (f' "{a.name}"' if a.name else "")
    message = (f'{target} is forbidden: User "{user.name}" cannot {a.verb} resource "{what}" '
               f'in API group "{a.group}" {scope}')
    details = {"name": a.name} if a.name else {}
    if a.group:
        details["group"] = a.group
    details["kind"] = a.resource
    return ApiError(403, "Forbidden", message, details)
