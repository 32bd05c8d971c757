"""Structural-schema defaulting of custom resources, as kube-apiserver applies a CRD's
`default:` values (e.g. a new Gateway's "Waiting for controller" status, HTTPRoute parentRef
group/kind). Validation and pruning are not done here (see README)."""

from __future__ import annotations

import copy
from typing import Any, Optional


def apply_defaults(value: Any, schema: Optional[dict]) -> None:
    """Fills absent properties that have a default, recursing into objects, maps and arrays."""
    if not schema:
        return
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name, prop in props.items():
            if name not in value and "default" in prop:
                value[name] = copy.deepcopy(prop["default"])
            if name in value:
                apply_defaults(value[name], prop)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in value:
                if name not in props:
                    apply_defaults(value[name], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


def object_defaults(obj: dict, schema: Optional[dict]) -> None:
    """Defaults everything but metadata, which the server owns."""
    if not schema:
        return
    props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in ("metadata", "apiVersion", "kind")}
    apply_defaults(obj, {**schema, "properties": props})
