"""The four PATCH content types.

- merge-patch+json: RFC 7386.
- json-patch+json: RFC 6902.
- strategic-merge-patch+json (built-in kinds only, as on the real server): lists named in
  MERGE_KEYS merge element-wise by their key, other lists are replaced; the `$patch`
  (replace/delete/merge), `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`
  directives are honoured, `$retainKeys` is ignored. The real server takes merge keys from the Go
  types per path; this table keys them by field name, which covers what kubectl apply sends for
  the kinds the fake serves (`ports` merges by containerPort in containers, by port elsewhere).
- apply-patch+yaml (server-side apply), approximated: see apply_patch.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from .errors import ApiError, bad_request

MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "imagePullSecrets": "name", "ownerReferences": "uid", "conditions": "type",
    "hostAliases": "ip", "topologySpreadConstraints": "topologyKey", "secrets": "name",
    "ports": None,  # chosen per element: containerPort or port
}
PRIMITIVE_SET_LISTS = {"finalizers"}  # lists of scalars merged as sets


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


# --- RFC 6902 ------------------------------------------------------------------------------

def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, list):
            cur = cur[int(p)]
        elif isinstance(cur, dict) and p in cur:
            cur = cur[p]
        else:
            raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                           f"doc is missing path: /{'/'.join(parts)}")
    return cur, parts[-1]


def _get(doc: Any, parts: list[str]) -> Any:
    if not parts:
        return doc
    parent, last = _parent(doc, parts)
    try:
        return parent[int(last)] if isinstance(parent, list) else parent[last]
    except (KeyError, IndexError, ValueError):
        raise ApiError(422, "Invalid", f"doc is missing path: /{'/'.join(parts)}") from None


def _remove(doc: Any, parts: list[str]) -> Any:
    parent, last = _parent(doc, parts)
    try:
        return parent.pop(int(last)) if isinstance(parent, list) else parent.pop(last)
    except (KeyError, IndexError, ValueError):
        raise ApiError(422, "Invalid", f"doc is missing path: /{'/'.join(parts)}") from None


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, last = _parent(doc, parts)
    if isinstance(parent, list):
        parent.insert(len(parent) if last == "-" else int(last), value)
    else:
        parent[last] = value
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        kind, parts = op.get("op"), _pointer(op.get("path", ""))
        if kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, parts)
        elif kind == "replace":
            _get(doc, parts)
            if parts:
                parent, last = _parent(doc, parts)
                parent[int(last) if isinstance(parent, list) else last] = copy.deepcopy(op["value"])
            else:
                doc = copy.deepcopy(op["value"])
        elif kind in ("move", "copy"):
            src = _pointer(op["from"])
            value = _remove(doc, src) if kind == "move" else copy.deepcopy(_get(doc, src))
            doc = _add(doc, parts, value)
        elif kind == "test":
            if _get(doc, parts) != op.get("value"):
                raise ApiError(422, "Invalid", f"testing value /{'/'.join(parts)} failed")
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc


# --- strategic merge -----------------------------------------------------------------------

def _merge_key(field: str, items: list) -> str | None:
    key = MERGE_KEYS.get(field, "")
    if key is None:  # ports
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return key or None


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    orders = {}
    for k, v in patch.items():
        if k == "$patch" or k.startswith("$retainKeys"):
            continue
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            result[field] = [x for x in result.get(field) or [] if x not in v]
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, list) and isinstance(result.get(k), list):
            result[k] = _merge_list(k, result[k], v)
        elif isinstance(v, dict):
            merged = strategic_merge_patch(result.get(k), v)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        else:
            result[k] = copy.deepcopy(v)
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(field, result[field], order)
    return result


def _merge_list(field: str, current: list, patch: list) -> list:
    if field in PRIMITIVE_SET_LISTS:
        return current + [x for x in patch if x not in current]
    key = _merge_key(field, current + patch)
    if not key:
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    result = copy.deepcopy(current)
    for item in patch:
        if not isinstance(item, dict):
            continue
        idx = next((i for i, cur in enumerate(result) if isinstance(cur, dict) and cur.get(key) == item.get(key)),
                   None)
        if item.get("$patch") == "delete":
            if idx is not None:
                result.pop(idx)
        elif idx is None:
            result.append(strategic_merge_patch({}, item))
        else:
            result[idx] = strategic_merge_patch(result[idx], item)
    return result


def _reorder(field: str, items: list, order: list) -> list:
    key = _merge_key(field, items)
    ident = (lambda x: x.get(key) if isinstance(x, dict) else x) if key else (lambda x: x)
    wanted = [ident(o) if isinstance(o, dict) else o for o in order]
    ranked = sorted(items, key=lambda x: wanted.index(ident(x)) if ident(x) in wanted else len(wanted))
    return ranked


# --- server-side apply ---------------------------------------------------------------------

def apply_patch(live: Any, previous_applied: Any, applied: Any, strategic: bool) -> Any:
    """Server-side apply, simplified: the manager's previous applied configuration stands in for
    its managed fields. Fields it applied before and omits now are removed; everything it applies
    is set (lists by merge key for built-in kinds, atomically for custom resources). Other
    managers' fields are kept; conflicts between managers are never reported (force is moot)."""
    removals = _removed_fields(previous_applied, applied)
    patch = merge_patch(removals, applied) if removals else applied
    return strategic_merge_patch(live, patch) if strategic else merge_patch(live, patch)


def _removed_fields(previous: Any, current: Any) -> dict:
    """A merge patch deleting the fields `previous` set and `current` no longer does."""
    if not isinstance(previous, dict) or not isinstance(current, dict):
        return {}
    out = {}
    for k, v in previous.items():
        if k not in current:
            # Only the leaves it set: a map it shared with other managers keeps their keys.
            out[k] = _removed_fields(v, {}) or None if isinstance(v, dict) else None
        elif isinstance(v, dict) and isinstance(current[k], dict):
            nested = _removed_fields(v, current[k])
            if nested:
                out[k] = nested
    return out


def parse_body(content_type: str, raw: bytes) -> Any:
    try:
        if content_type == "application/apply-patch+yaml":
            return yaml.safe_load(raw.decode())
        return json.loads(raw or b"null")
    except Exception as e:  # noqa: BLE001 - any decoding failure is the client's
        raise bad_request(f"error decoding patch: {e}") from None
