"""Gatehouse's policy objects (gatehouse.dev/v1alpha1) for the integration tests."""

from typing import Optional

POLICY_VERSION = "gatehouse.dev/v1alpha1"
GATEWAY_GROUP = "gateway.networking.k8s.io"


def target(kind: str, name: str, section: Optional[str] = None) -> dict:
    out = {"group": GATEWAY_GROUP, "kind": kind, "name": name}
    if section:
        out["sectionName"] = section
    return out


def limit(requests: int, window: str, key: Optional[dict] = None, **fields) -> dict:
    """A RateLimitPolicy's local or global limit; `fields`: maxKeys, failureMode."""
    out = {"requests": requests, "window": window, **fields}
    if key:
        out["key"] = key
    return out


def rate_limit_policy(name: str, targets: list, requests: Optional[int] = None, window: Optional[str] = None,
                      key: Optional[dict] = None, ns: str = "default", created: Optional[str] = None,
                      global_limit: Optional[dict] = None) -> dict:
    """A local limit of `requests` per `window` (when given), a global one (`global_limit`, see limit()), or both."""
    spec = {"targetRefs": targets}
    if requests is not None:
        spec["local"] = limit(requests, window, key)
    if global_limit:
        spec["global"] = global_limit
    meta = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": POLICY_VERSION, "kind": "RateLimitPolicy", "metadata": meta, "spec": spec}


def fault_injection_policy(name: str, targets: list, abort: Optional[dict] = None, delay: Optional[dict] = None,
                           ns: str = "default") -> dict:
    spec = {"targetRefs": targets}
    if abort:
        spec["abort"] = abort
    if delay:
        spec["delay"] = delay
    return {"apiVersion": POLICY_VERSION, "kind": "FaultInjectionPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}
