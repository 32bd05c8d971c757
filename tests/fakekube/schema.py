"""Structural-schema pruning and defaulting of custom resources, as kube-apiserver applies a CRD's
schema: unknown fields dropped (or refused with fieldValidation=Strict), `default:` values filled
in (e.g. a new Gateway's "Waiting for controller" status, HTTPRoute parentRef group/kind).
Value validation (types, enums, patterns, CEL rules) is not done (see README)."""

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


def _prune(value: Any, schema: Optional[dict], path: str, unknown: list[str], embedded: bool = False) -> None:
    if not isinstance(schema, dict):
        return
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for name in list(value):
            child = f"{path}.{name}" if path else name
            if name in props:
                _prune(value[name], props[name], child, unknown, props[name].get("x-kubernetes-embedded-resource"))
            elif isinstance(extra, dict):
                _prune(value[name], extra, child, unknown)
            elif extra is True or preserve or (embedded and name in ("apiVersion", "kind", "metadata")):
                continue
            else:
                unknown.append(child)
                del value[name]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{i}]", unknown)


def prune(obj: dict, schema: Optional[dict]) -> list[str]:
    """Drops the fields a CRD's structural schema does not declare, as kube-apiserver prunes
    custom resources; returns their paths (`spec.listeners[0].foo`) for warnings or Strict errors."""
    unknown: list[str] = []
    if schema:
        props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in ("metadata", "apiVersion", "kind")}
        _prune(obj, {**schema, "properties": {**props, "apiVersion": {}, "kind": {}, "metadata": {
            "x-kubernetes-preserve-unknown-fields": True}}}, "", unknown)
    return unknown
