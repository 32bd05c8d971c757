"""Label and field selectors with the real server's syntax:
labels `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`; fields `path=value`, `path!=value`."""

from __future__ import annotations

import re
from typing import Callable

from .errors import bad_request

Predicate = Callable[[dict], bool]

_SET_RE = re.compile(r"\s*(!?)\s*([A-Za-z0-9._/-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9._-]*))?\s*")


def _split_terms(selector: str) -> list[str]:
    """Splits on commas outside parentheses (`a in (x,y),b`)."""
    terms, depth, cur = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        terms.append(cur)
    return terms


def parse_labels(selector: str) -> Predicate:
    checks = []
    for term in _split_terms(selector or ""):
        m = _SET_RE.fullmatch(term)
        if not m or (m.group(1) and (m.group(3) or m.group(5))):
            raise bad_request(f"unable to parse requirement: found '{term.strip()}', expected: identifier")
        neg, key, set_op, values, op, value = m.groups()
        if set_op:
            allowed = {v.strip() for v in values.split(",") if v.strip()}
            if set_op == "in":
                checks.append(lambda labels, k=key, a=allowed: labels.get(k) in a)
            else:
                checks.append(lambda labels, k=key, a=allowed: labels.get(k) not in a)
        elif op in ("=", "=="):
            checks.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif op == "!=":
            checks.append(lambda labels, k=key, v=value: labels.get(k) != v)
        elif neg:
            checks.append(lambda labels, k=key: k not in labels)
        else:
            checks.append(lambda labels, k=key: k in labels)
    return lambda obj: all(c((obj.get("metadata") or {}).get("labels") or {}) for c in checks)


# Fields the real server indexes per kind beyond metadata.name/namespace (the ones clients use).
_EXTRA_FIELDS = {
    ("", "secrets"): {"type"},
    ("", "events"): {"involvedObject.kind", "involvedObject.name", "involvedObject.namespace",
                     "involvedObject.uid", "reason", "type", "source"},
    ("", "pods"): {"spec.nodeName", "status.phase"},
    ("", "namespaces"): {"status.phase"},
}


def _field_value(obj: dict, path: str) -> str:
    cur = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def parse_fields(selector: str, resource_key: tuple[str, str]) -> Predicate:
    known = {"metadata.name", "metadata.namespace"} | _EXTRA_FIELDS.get(resource_key, set())
    checks = []
    for term in _split_terms(selector or ""):
        m = re.fullmatch(r"\s*([A-Za-z0-9._]+)\s*(==|=|!=)\s*(.*?)\s*", term)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{term}'")
        path, op, value = m.groups()
        if path not in known:
            raise bad_request(f'field label not supported: {path}')
        if op == "!=":
            checks.append(lambda o, p=path, v=value: _field_value(o, p) != v)
        else:
            checks.append(lambda o, p=path, v=value: _field_value(o, p) == v)
    return lambda obj: all(c(obj) for c in checks)
