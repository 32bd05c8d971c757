"""The kinds whose answers are computed per request, never stored: TokenRequest (service-account
tokens), TokenReview, SelfSubjectAccessReview and SelfSubjectReview."""

from __future__ import annotations

import datetime

from . import errors
from .api import SERVICE_ACCOUNTS, now_rfc3339
from .auth import API_AUDIENCE, Attributes, Authenticator, Authorizer, User
from .store import Store


def token_request(store: Store, authn: Authenticator, namespace: str, name: str, body: dict) -> dict:
    sa = store.get(SERVICE_ACCOUNTS, namespace, name)
    if sa is None:
        raise errors.not_found("", "serviceaccounts", name)
    spec = (body or {}).get("spec") or {}
    audiences = spec.get("audiences") or [API_AUDIENCE]
    seconds = int(spec.get("expirationSeconds") or 3600)
    token, expiry = authn.issue_token(sa, audiences, seconds)
    return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": now_rfc3339()},
            "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": None},
            "status": {"token": token, "expirationTimestamp": datetime.datetime.fromtimestamp(
                expiry, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}}


def token_review(authn: Authenticator, body: dict) -> dict:
    spec = (body or {}).get("spec") or {}
    review = authn.review(spec.get("token", ""), spec.get("audiences") or [API_AUDIENCE])
    if review is None:
        status = {"authenticated": False, "user": {}, "error": "invalid bearer token"}
    else:
        user, audiences = review
        status = {"authenticated": True, "audiences": audiences,
                  "user": {"username": user.name, "uid": user.uid, "groups": list(user.groups)}}
    return {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}


def self_subject_access_review(authz: Authorizer, user: User, body: dict) -> dict:
    spec = (body or {}).get("spec") or {}
    if "resourceAttributes" in spec:
        ra = spec["resourceAttributes"]
        attrs = Attributes(verb=ra.get("verb", ""), group=ra.get("group", ""), resource=ra.get("resource", ""),
                           subresource=ra.get("subresource", ""), namespace=ra.get("namespace", ""),
                           name=ra.get("name", ""))
    else:
        nra = spec.get("nonResourceAttributes") or {}
        attrs = Attributes(verb=nra.get("verb", ""), path=nra.get("path", ""))
    allowed = authz.allowed(user, attrs)
    status = {"allowed": allowed} if allowed else {"allowed": False}
    return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}


def self_subject_review(user: User) -> dict:
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}}}
