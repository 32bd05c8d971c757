"""meta.k8s.io/v1 Table responses for custom resources (`kubectl get` asks for them): a Name
column plus the CRD's additionalPrinterColumns, evaluated the way apiextensions-apiserver does."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from .kinds import ResourceType

_FILTER = re.compile(r'\[\?\(@\.([\w.]+)\s*==\s*["\']([^"\']*)["\']\)\]')
_TOKEN = re.compile(r'\.([\w-]+)|\[\*\]|\[(\d+)\]|\[\?\(@\.[\w.]+\s*==\s*["\'][^"\']*["\']\)\]')


def jsonpath(obj: Any, path: str) -> list:
    """The subset printer columns use: `.a.b`, `[*]`, `[N]`, `[?(@.field=="value")]`."""
    values = [obj]
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            return []
        pos = m.end()
        token = m.group(0)
        nxt = []
        for v in values:
            if m.group(1) is not None:
                if isinstance(v, dict) and m.group(1) in v:
                    nxt.append(v[m.group(1)])
            elif token == "[*]":
                nxt.extend(v if isinstance(v, list) else [])
            elif m.group(2) is not None:
                i = int(m.group(2))
                if isinstance(v, list) and i < len(v):
                    nxt.append(v[i])
            else:
                field, want = _FILTER.match(token).groups()
                for item in v if isinstance(v, list) else []:
                    got = jsonpath(item, "." + field)
                    if got and str(got[0]) == want:
                        nxt.append(item)
        values = nxt
    return values


def human_age(timestamp: str) -> str:
    """k8s.io/apimachinery duration.HumanDuration of the time since timestamp."""
    then = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    s = max(0, int((datetime.datetime.now(datetime.timezone.utc) - then).total_seconds()))
    if s < 120:
        return f"{s}s"
    m, h, d = s // 60, s // 3600, s // 86400
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 192:
        return f"{d}d{h % 24}h" if h % 24 else f"{d}d"
    return f"{d}d" if d < 365 * 2 else f"{d // 365}y"


def _columns(rt: ResourceType) -> list[dict]:
    cols = [json.loads(c) for c in rt.printer_columns]
    if not cols:
        cols = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    return cols


def _cell(column: dict, obj: dict) -> Any:
    found = jsonpath(obj, column["jsonPath"])
    if not found:
        return None
    value = found[0]
    kind = column.get("type", "string")
    if kind == "date":
        return human_age(value) if isinstance(value, str) else "<invalid>"
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return value


def table(rt: ResourceType, objects: list[dict], list_meta: dict) -> dict:
    cols = _columns(rt)
    definitions = [{"name": "Name", "type": "string", "format": "name", "description": "Name must be unique "
                    "within a namespace.", "priority": 0}]
    definitions += [{"name": c["name"], "type": c.get("type", "string"), "format": c.get("format", ""),
                     "description": c.get("description", ""), "priority": c.get("priority", 0)} for c in cols]
    rows = [{"cells": [o["metadata"]["name"]] + [_cell(c, o) for c in cols],
             "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                        "metadata": o["metadata"]}} for o in objects]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": definitions, "rows": rows}
