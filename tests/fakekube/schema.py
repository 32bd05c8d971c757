"""Structural-schema pruning and defaulting of custom resources, as kube-apiserver applies a CRD's
schema: unknown fields dropped (or refused with fieldValidation=Strict), `default:` values filled
in (e.g. a new Gateway's "Waiting for controller" status, HTTPRoute parentRef group/kind).
Values are validated against the OpenAPI keywords; CEL rules are not evaluated (see README)."""

from __future__ import annotations

import copy
import json
import re
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


_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
          "object": (dict,), "array": (list,)}
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _go(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "number", dict: "object", list: "array"}.get(type(value), "null")


def _has_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()  # JSON 1.0 decodes to an integer in Go's unstructured form
    return isinstance(value, _TYPES.get(kind, (object,)))


def _validate(value: Any, schema: dict, path: str, errs: list[tuple[str, str]]) -> None:
    if value is None or not isinstance(schema, dict):
        return  # nulls are dropped before validation on a structural schema
    kind = schema.get("type")
    if kind and not schema.get("x-kubernetes-int-or-string") and not _has_type(value, kind):
        errs.append((path, f"Invalid value: {_go(value)}: {path} in body must be of type {kind}: "
                           f'"{_type_name(value)}"'))
        return
    if "enum" in schema and value not in schema["enum"]:
        errs.append((path, f"Unsupported value: {_go(value)}: supported values: "
                           + ", ".join(_go(v) for v in schema["enum"])))
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append((path, f"Too long: may not be more than {schema['maxLength']} bytes"))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append((path, f"Invalid value: {_go(value)}: {path} in body should be at least "
                               f"{schema['minLength']} chars long"))
        if "pattern" in schema and not _matches(schema["pattern"], value):
            errs.append((path, f"Invalid value: {_go(value)}: {path} in body should match '{schema['pattern']}'"))
        if schema.get("format") == "date-time" and not _DATE_TIME.fullmatch(value):
            errs.append((path, f"Invalid value: {_go(value)}: {path} in body must be of type date-time: "
                               f"{_go(value)}"))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append((path, f"Invalid value: {_go(value)}: {path} in body should be greater than or equal to "
                               f"{schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append((path, f"Invalid value: {_go(value)}: {path} in body should be less than or equal to "
                               f"{schema['maximum']}"))
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append((path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items"))
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append((path, f"Invalid value: {len(value)}: {path} in body should have at least "
                               f"{schema['minItems']} items"))
        _unique(value, schema, path, errs)
        for i, item in enumerate(value):
            _validate(item, schema.get("items") or {}, f"{path}[{i}]", errs)
    elif isinstance(value, dict):
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errs.append((path, f"Too many: {len(value)}: must have at most {schema['maxProperties']} items"))
        for name in schema.get("required") or []:
            if value.get(name) is None:
                errs.append((f"{path}.{name}" if path else name, "Required value"))
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for name, child in sorted(value.items()):
            sub = props.get(name, extra if isinstance(extra, dict) else None)
            if sub is not None:
                _validate(child, sub, f"{path}.{name}" if path else name, errs)


def _unique(items: list, schema: dict, path: str, errs: list[tuple[str, str]]) -> None:
    """x-kubernetes-list-type map (unique by its keys) and set (unique values)."""
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        identity = lambda item: tuple(item.get(k) for k in keys) if isinstance(item, dict) else item
    elif list_type == "set":
        identity = lambda item: json.dumps(item, sort_keys=True)
    else:
        return
    seen = set()
    for i, item in enumerate(items):
        ident = identity(item)
        if ident in seen:
            shown = ("map[string]interface {}{" + ", ".join(
                f"{json.dumps(k)}:{_go(item.get(k))}" for k in sorted(keys) if k in item) + "}"
                     if list_type == "map" and isinstance(item, dict) else _go(item))
            errs.append((f"{path}[{i}]", f"Duplicate value: {shown}"))
        seen.add(ident)


def _matches(pattern: str, value: str) -> bool:
    """ECMA/RE2 patterns, unanchored as in OpenAPI; one Python cannot compile is not enforced."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def validate(obj: dict, schema: Optional[dict]) -> list[tuple[str, str]]:
    """(field, message) for every value the CRD's OpenAPI schema refuses: type, enum, required,
    lengths, pattern, bounds, item counts, list-map/set uniqueness and date-time format. CEL rules
    and anyOf/oneOf are not evaluated."""
    errs: list[tuple[str, str]] = []
    if schema:
        props = {k: v for k, v in (schema.get("properties") or {}).items() if k not in ("metadata", "apiVersion", "kind")}
        _validate(obj, {**schema, "properties": props, "required": [
            r for r in schema.get("required") or [] if r not in ("metadata", "apiVersion", "kind")]}, "", errs)
    return errs
