"""Object storage and watch: one global resourceVersion counter bumped on every write (like an
etcd revision), a bounded global event history for resuming watches, and a Condition that wakes
watchers. Objects are kept as JSON dicts at their kind's storage version."""

from __future__ import annotations

import bisect
import collections
import copy
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

Key = tuple[str, str]  # (group, plural)


@dataclass
class Event:
    rv: int
    type: str                 # ADDED, MODIFIED, DELETED
    key: Key
    namespace: str
    obj: dict
    old: Optional[dict]       # the previous state, so selector watches see objects leave and enter


class Store:
    def __init__(self, history: int):
        # Re-entrant so a request can hold it across read-check-write while put/delete take it too.
        self.cond = threading.Condition(threading.RLock())
        self.rv = 1
        self._objects: dict[Key, dict[tuple[str, str], dict]] = collections.defaultdict(dict)
        self._history: collections.deque[Event] = collections.deque(maxlen=history)
        self._uids: set[str] = set()
        self._dependents: dict[str, set[tuple[Key, str, str]]] = collections.defaultdict(set)  # owner uid ->
        self.compacted_rv = 0        # a watch from an RV below this cannot be resumed (410)
        self.close_epoch = 0         # bumped to end every open watch cleanly
        self.abort_epoch = 0         # bumped to drop every open watch connection mid-stream

    # --- reads (callers get copies) ------------------------------------------------------

    def get(self, key: Key, namespace: str, name: str) -> Optional[dict]:
        with self.cond:
            obj = self._objects[key].get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, key: Key, namespace: str = "") -> tuple[list[dict], int]:
        """Objects in etcd key order (namespace, name) and the RV they are current at."""
        with self.cond:
            items = [copy.deepcopy(o) for (ns, _), o in sorted(self._objects[key].items())
                     if not namespace or ns == namespace]
            return items, self.rv

    def names_in_namespace(self, namespace: str) -> list[tuple[Key, str]]:
        with self.cond:
            return [(key, name) for key, objs in self._objects.items() for (ns, name) in objs if ns == namespace]

    def names_of(self, key: Key) -> list[tuple[str, str]]:
        """(namespace, name) of every object of a kind."""
        with self.cond:
            return sorted(self._objects[key])

    # --- writes --------------------------------------------------------------------------

    def put(self, key: Key, obj: dict, event_type: str, old: Optional[dict]) -> dict:
        """Stores obj with the next resourceVersion; returns a copy of what was stored."""
        with self.cond:
            self.rv += 1
            meta = obj["metadata"]
            meta["resourceVersion"] = str(self.rv)
            stored = copy.deepcopy(obj)
            self._objects[key][(meta.get("namespace", ""), meta["name"])] = stored
            self._index(key, old, remove=True)
            self._index(key, stored, remove=False)
            self._record(Event(self.rv, event_type, key, meta.get("namespace", ""), stored, old))
            return copy.deepcopy(stored)

    def delete(self, key: Key, namespace: str, name: str) -> Optional[dict]:
        """Removes the object; its DELETED event carries the deletion's resourceVersion."""
        with self.cond:
            obj = self._objects[key].pop((namespace, name), None)
            if obj is None:
                return None
            self._index(key, obj, remove=True)
            self.rv += 1
            gone = copy.deepcopy(obj)
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self._record(Event(self.rv, "DELETED", key, namespace, gone, obj))
            return copy.deepcopy(gone)

    def _index(self, key: Key, obj: Optional[dict], remove: bool) -> None:
        if obj is None:
            return
        meta = obj["metadata"]
        ident = (key, meta.get("namespace", ""), meta["name"])
        (self._uids.discard if remove else self._uids.add)(meta["uid"])
        for ref in meta.get("ownerReferences") or []:
            owned = self._dependents[ref.get("uid", "")]
            owned.discard(ident) if remove else owned.add(ident)

    def exists(self, uid: str) -> bool:
        with self.cond:
            return uid in self._uids

    def dependents(self, uid: str) -> list[tuple[Key, str, str]]:
        """The objects listing `uid` among their ownerReferences."""
        with self.cond:
            return sorted(self._dependents.get(uid, ()))

    def _record(self, event: Event) -> None:
        if self._history.maxlen == 0:
            self.compacted_rv = event.rv
        elif len(self._history) == self._history.maxlen:
            self.compacted_rv = self._history[0].rv
        self._history.append(event)
        self.cond.notify_all()

    def compact(self) -> None:
        with self.cond:
            self._history.clear()
            self.compacted_rv = self.rv

    def close_watches(self, abort: bool) -> None:
        with self.cond:
            if abort:
                self.abort_epoch += 1
            else:
                self.close_epoch += 1
            self.cond.notify_all()

    def events_after(self, rv: int) -> list[Event]:
        with self.cond:
            i = bisect.bisect_right(self._history, rv, key=lambda e: e.rv)
            return list(itertools.islice(self._history, i, None))


# A quiet watch still notices a client that hung up within this many seconds, so abandoned
# streams do not pile up threads that every write wakes.
ALIVE_CHECK_INTERVAL = 5.0


class Expired(Exception):
    pass


class Aborted(Exception):
    pass


class Watch:
    """One watch stream's cursor: yields batches of (type, object) for one kind, optionally one
    namespace, filtered by a selector predicate, plus periodic bookmarks."""

    def __init__(self, store: Store, key: Key, namespace: str, predicate: Callable[[dict], bool],
                 start_rv: Optional[int], timeout: float, bookmark_interval: Optional[float],
                 alive: Callable[[], bool]):
        self.store, self.key, self.namespace, self.predicate = store, key, namespace, predicate
        self.alive = alive  # false once the kind's CRD is deleted or the client has hung up
        self.deadline = time.monotonic() + timeout
        self.bookmark_interval = bookmark_interval
        self.next_bookmark = time.monotonic() + bookmark_interval if bookmark_interval else None
        with store.cond:
            self.close_epoch, self.abort_epoch = store.close_epoch, store.abort_epoch
            self.initial: list[tuple[str, dict]] = []
            if start_rv is None:  # "" or "0": the current state as synthetic ADDED events first
                items, self.last_rv = store.list(key, namespace)
                self.initial = [("ADDED", o) for o in items if predicate(o)]
            else:
                self.last_rv = start_rv
                if start_rv < store.compacted_rv:
                    raise Expired()

    def next_batch(self) -> Optional[list[tuple[str, dict]]]:
        """Blocks until there is something to send; None when the watch ends (timeout, closed).
        Raises Expired when the history moved past this watch, Aborted on an outage."""
        if self.initial:
            batch, self.initial = self.initial, []
            return batch
        store = self.store
        with store.cond:
            while True:
                if store.abort_epoch != self.abort_epoch:
                    raise Aborted()
                if store.close_epoch != self.close_epoch:
                    return None
                if self.last_rv < store.compacted_rv:
                    raise Expired()
                batch = [view for ev in store.events_after(self.last_rv) if (view := self._view(ev))]
                self.last_rv = max(self.last_rv, store.rv)
                if batch:
                    return batch
                if not self.alive():
                    return None
                now = time.monotonic()
                if now >= self.deadline:
                    return None
                if self.next_bookmark is not None and now >= self.next_bookmark:
                    self.next_bookmark = now + self.bookmark_interval
                    return [("BOOKMARK", {"metadata": {"resourceVersion": str(store.rv)}})]
                wake = min(self.deadline, now + ALIVE_CHECK_INTERVAL)
                if self.next_bookmark is not None:
                    wake = min(wake, self.next_bookmark)
                store.cond.wait(wake - now)

    def _view(self, ev: Event) -> Optional[tuple[str, dict]]:
        if ev.key != self.key or (self.namespace and ev.namespace != self.namespace):
            return None
        matches = self.predicate(ev.obj)
        matched = ev.old is not None and self.predicate(ev.old)
        if ev.type == "MODIFIED":
            if matches and matched:
                return ("MODIFIED", ev.obj)
            if matches:
                return ("ADDED", ev.obj)
            return ("DELETED", ev.obj) if matched else None
        return (ev.type, ev.obj) if matches else None
