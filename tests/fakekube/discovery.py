"""The non-resource documents: /version, the root path list, classic discovery (/api, /apis,
group and group-version resource lists) and the OpenAPI v3 index and documents."""

from __future__ import annotations

from typing import Optional

from .kinds import Registry

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fakekube", "gitCommit": "fakekube",
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0",
           "compiler": "gc", "platform": "linux/amd64"}


def document(registry: Registry, path: str, host: str) -> Optional[dict]:
    """The body served at `path`, or None for a 404 (/openapi/v2 included: kubectl learns from v3
    that it needs no v2 schemas)."""
    parts = [p for p in path.split("/") if p] or [""]
    if path == "/":
        groups = [f"/apis/{g}/{v}" for g, vs in registry.group_versions().items() for v in vs]
        return {"paths": sorted(["/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v3", "/readyz",
                                 "/version"] + groups)}
    if path == "/version":
        return VERSION
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}
    if path == "/apis":
        return registry.api_group_list()
    if parts[0] == "api" and len(parts) == 2:
        return registry.resource_list("", parts[1])
    if parts[0] == "apis" and len(parts) == 2:
        group = registry.api_group(parts[1])
        return {"kind": "APIGroup", "apiVersion": "v1", **group} if group else None
    if parts[0] == "apis" and len(parts) == 3:
        return registry.resource_list(parts[1], parts[2])
    if path == "/openapi/v3":
        return registry.openapi_root()
    if parts[:3] == ["openapi", "v3", "api"] and len(parts) == 4:
        return registry.openapi_group_version("", parts[3])
    if parts[:3] == ["openapi", "v3", "apis"] and len(parts) == 5:
        return registry.openapi_group_version(parts[3], parts[4])
    return None
