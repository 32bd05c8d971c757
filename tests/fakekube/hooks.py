"""Test hooks under /_fake/ (admin only): the request log, forced watch endings, compaction,
outages and injected failures the integration tests drive the fake with."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Optional

from .errors import ApiError, bad_request, qualified
from .store import Store

_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
            410: "Expired", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
            503: "ServiceUnavailable", 504: "Timeout"}


@dataclass
class FailRule:
    verb: str
    resource: str
    subresource: str
    namespace: str
    name: str
    code: int
    remaining: int

    def matches(self, verb: str, resource: str, subresource: str, namespace: str, name: str) -> bool:
        return (self.verb in ("", verb) and self.resource in ("", resource) and self.subresource == subresource
                and self.namespace in ("", namespace) and self.name in ("", name))


class Controls:
    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._fail_rules: list[FailRule] = []
        self._outage_until = 0.0
        self.expire_with_http = False   # stale watches get HTTP 410 instead of an ERROR event
        self.watch_chunk_size = 0       # >0: watch bytes cut into chunks this size, splitting events

    # --- state the server consults -------------------------------------------------------

    def in_outage(self) -> bool:
        return time.monotonic() < self._outage_until

    def record(self, method: str, path: str, query: str, user: str, code: int, watch: bool) -> None:
        with self._lock:
            self._requests.append({"seq": len(self._requests) + 1, "method": method, "path": path,
                                   "query": query, "user": user, "code": code, "watch": watch})

    def injected_failure(self, verb: str, group: str, resource: str, subresource: str, namespace: str,
                         name: str) -> Optional[ApiError]:
        with self._lock:
            for rule in self._fail_rules:
                if rule.remaining > 0 and rule.matches(verb, resource, subresource, namespace, name):
                    rule.remaining -= 1
                    break
            else:
                return None
        reason = _REASONS.get(rule.code, "InternalError")
        target = f'{qualified(group, resource)} "{name}"' if name else qualified(group, resource)
        message = (f"Operation cannot be fulfilled on {target}: the object has been modified; please apply your "
                   "changes to the latest version and try again" if rule.code == 409
                   else f"fakekube: injected {rule.code} for {verb} {target}")
        details = {"name": name, "group": group, "kind": resource} if name else {"group": group, "kind": resource}
        return ApiError(rule.code, reason, message, details)

    # --- /_fake/ endpoints ---------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str]) -> dict:
        route = (method, path)
        if route == ("GET", "/_fake/requests"):
            since = int(query.get("since") or 0)
            with self._lock:
                return {"requests": [r for r in self._requests if r["seq"] > since]}
        if route == ("POST", "/_fake/close-watches"):
            self.store.close_watches(abort=False)
            return {"ok": True}
        if route == ("POST", "/_fake/compact"):
            self.store.compact()
            return {"ok": True, "compactedResourceVersion": str(self.store.compacted_rv)}
        if route == ("POST", "/_fake/expire-mode"):
            self.expire_with_http = query.get("http") in ("1", "true")
            return {"ok": True, "http": self.expire_with_http}
        if route == ("POST", "/_fake/watch-chunks"):
            try:
                self.watch_chunk_size = max(0, int(query.get("size") or 0))
            except ValueError:
                raise bad_request("watch-chunks needs size=N (0: one chunk per event batch)") from None
            return {"ok": True, "size": self.watch_chunk_size}
        if route == ("POST", "/_fake/outage"):
            seconds = float(query.get("seconds") or 0)
            self._outage_until = time.monotonic() + seconds if seconds > 0 else 0.0
            if seconds > 0:
                self.store.close_watches(abort=True)
            return {"ok": True, "seconds": seconds}
        if route == ("POST", "/_fake/fail"):
            try:
                rule = FailRule(query.get("verb", ""), query.get("resource", ""), query.get("subresource", ""),
                                query.get("namespace", ""), query.get("name", ""), int(query["code"]),
                                int(query.get("count") or 1))
            except (KeyError, ValueError):
                raise bad_request("fail needs code=N (and optionally verb, resource, subresource, namespace, "
                                  "name, count)") from None
            with self._lock:
                self._fail_rules.append(rule)
            return {"ok": True}
        raise ApiError(404, "NotFound", f"no test hook {method} {path}", {})
