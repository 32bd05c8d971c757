"""The fake Kubernetes API server's watch streams on the wire (tests/fakekube): resume from a list,
synthetic ADDED, bookmarks, selectors, 410 on a bounded or compacted history, concurrent writers,
abandoned streams, and the /_fake/ hooks that end, split, drop or fail requests."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import unittest

from tests.integration.fakekube_case import GW, FakeKubeCase


class WatchTest(FakeKubeCase):
    def test_watch_from_a_list_resource_version_sees_later_changes_in_order(self):
        ns = self.namespace()
        _, listed = self.fake.request("GET", f"{GW}/namespaces/{ns}/gateways")
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion=listed["metadata"]["resourceVersion"])
        gw = self.create_gateway(ns)
        gw["spec"]["gatewayClassName"] = "x"
        self.fake.request("PUT", f"{GW}/namespaces/{ns}/gateways/gw", gw)
        self.fake.request("DELETE", f"{GW}/namespaces/{ns}/gateways/gw")
        events = stream.events()
        seen = [(e["type"], e["object"]["spec"]["gatewayClassName"], e["object"]["metadata"]["resourceVersion"])
                for e in (next(events), next(events), next(events))]
        stream.close()
        self.assertEqual([s[:2] for s in seen], [("ADDED", "gatehouse"), ("MODIFIED", "x"), ("DELETED", "x")])
        rvs = [int(s[2]) for s in seen]
        self.assertEqual(rvs, sorted(rvs))

    def test_watch_without_resource_version_starts_with_synthetic_added(self):
        ns = self.namespace()
        self.create_gateway(ns, "one")
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion="0")
        first = stream.next()
        stream.close()
        self.assertEqual((first["type"], first["object"]["metadata"]["name"]), ("ADDED", "one"))

    def test_bookmarks_carry_only_kind_api_version_and_the_latest_resource_version(self):
        ns = self.namespace()
        _, listed = self.fake.request("GET", f"{GW}/namespaces/{ns}/gateways")
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", allowWatchBookmarks="true",
                                 resourceVersion=listed["metadata"]["resourceVersion"])
        self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "unrelated"}})
        bookmark = stream.next()
        stream.close()
        _, now = self.fake.request("GET", f"{GW}/gateways")
        self.assertEqual(bookmark, {"type": "BOOKMARK", "object": {
            "kind": "Gateway", "apiVersion": "gateway.networking.k8s.io/v1",
            "metadata": {"resourceVersion": now["metadata"]["resourceVersion"]}}})

    def test_label_selector_watch_sees_objects_leave_and_enter_the_selection(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", labelSelector="app=web",
                                 resourceVersion=gw["metadata"]["resourceVersion"])
        path = f"{GW}/namespaces/{ns}/gateways/gw"
        self.fake.request("PATCH", path, {"metadata": {"labels": {"app": "other"}}},
                          content_type="application/merge-patch+json")
        self.fake.request("PATCH", path, {"metadata": {"labels": {"app": "web"}}},
                          content_type="application/merge-patch+json")
        events = stream.events()
        types = [next(events)["type"], next(events)["type"]]
        stream.close()
        self.assertEqual(types, ["DELETED", "ADDED"])

    def test_deleting_a_crd_ends_the_watches_of_its_kind(self):
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "things.example.com"},
               "spec": {"group": "example.com", "scope": "Cluster",
                        "names": {"kind": "Thing", "plural": "things"},
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": {"type": "object"}}}]}}
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        self.assertEqual(self.fake.request("POST", crds, crd)[0], 201)
        self.assertEqual(self.fake.request("POST", "/apis/example.com/v1/things",
                                           {"metadata": {"name": "t"}})[0], 201)
        stream = self.fake.watch("/apis/example.com/v1/things", resourceVersion="0")
        self.fake.request("DELETE", f"{crds}/things.example.com")
        events = [(e["type"], e["object"]["metadata"]["name"]) for e in stream.events()]
        stream.close()
        self.assertEqual(events, [("ADDED", "t"), ("DELETED", "t")])
        self.assertEqual(self.fake.request("GET", "/apis/example.com/v1/things")[0], 404)

    def test_watch_timeout_ends_the_stream_cleanly(self):
        ns = self.namespace()
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion="0", timeoutSeconds="1")
        self.assertEqual(list(stream.events()), [])
        stream.close()

    def test_resuming_beyond_the_bounded_history_is_an_expired_error_event(self):
        ns = self.namespace()
        _, listed = self.fake.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
        for i in range(21):  # --history 20
            self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"c{i}"}})
        rv = listed["metadata"]["resourceVersion"]
        stream = self.fake.watch(f"/api/v1/namespaces/{ns}/configmaps", resourceVersion=rv)
        self.assertEqual(stream.status, 200)
        events = list(stream.events())
        stream.close()
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["type"], "ERROR")
        status = events[0]["object"]
        self.assertEqual((status["kind"], status["code"], status["reason"], status["status"]),
                         ("Status", 410, "Expired", "Failure"))
        self.assertTrue(status["message"].startswith(f"too old resource version: {rv} ("), status["message"])


class ConcurrencyTest(FakeKubeCase):
    args = ("--history", "1000")  # no watcher may fall out of the history while the writers race

    def test_concurrent_writers_every_watcher_sees_every_event_once_in_order(self):
        ns = self.namespace()
        _, listed = self.fake.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
        streams = [self.fake.watch(f"/api/v1/namespaces/{ns}/configmaps",
                                   resourceVersion=listed["metadata"]["resourceVersion"]) for _ in range(4)]

        def write(worker: int):
            conn = self.fake.connect()
            for i in range(50):
                conn.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                             body=json.dumps({"metadata": {"name": f"w{worker}-{i}"}}),
                             headers={"Authorization": f"Bearer {self.fake.admin_token}",
                                      "Content-Type": "application/json"})
                conn.getresponse().read()
            conn.close()

        writers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for t in writers:
            t.start()
        for t in writers:
            t.join()
        for stream in streams:
            events = stream.events()
            seen = [next(events)["object"]["metadata"] for _ in range(200)]
            stream.close()
            self.assertEqual(len({m["name"] for m in seen}), 200)
            rvs = [int(m["resourceVersion"]) for m in seen]
            self.assertEqual(rvs, sorted(rvs))


class AbandonedWatchTest(FakeKubeCase):
    args = ()

    def threads(self) -> int:
        with open(f"/proc/{self.fake.process.pid}/status") as f:
            return int(next(line for line in f if line.startswith("Threads:")).split()[1])

    def test_watches_whose_clients_hung_up_end_within_five_seconds(self):
        idle = self.threads()  # the main thread and the accept loop
        streams = [self.fake.watch("/api/v1/namespaces", resourceVersion="0") for _ in range(3)]
        for stream in streams:
            self.assertEqual(stream.next()["type"], "ADDED")  # the stream is being served
        self.assertEqual(self.threads(), idle + 3)
        for stream in streams:
            stream.close()
        deadline = time.monotonic() + 7
        while self.threads() > idle and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.threads(), idle)


class HooksTest(FakeKubeCase):
    def hook(self, path: str, **query) -> dict:
        code, body = self.fake.request("POST" if path != "requests" else "GET", f"/_fake/{path}", query=query)
        self.assertEqual(code, 200, body)
        return body

    def test_compact_makes_older_resource_versions_expire_as_an_event_or_as_http_410(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        self.create_gateway(ns, "second")
        self.hook("compact")
        stale = gw["metadata"]["resourceVersion"]
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion=stale)
        events = list(stream.events())
        stream.close()
        self.assertEqual([(e["type"], e["object"]["code"]) for e in events], [("ERROR", 410)])
        self.hook("expire-mode", http="1")
        try:
            stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion=stale)
            body = json.loads(stream.response.read())
            stream.close()
        finally:
            self.hook("expire-mode", http="0")
        self.assertEqual((stream.status, body["reason"], body["code"]), (410, "Expired", 410))

    def test_watch_chunks_splits_events_across_chunk_boundaries(self):
        ns = self.namespace()
        self.hook("watch-chunks", size="7")
        try:
            sock = self.fake.tls.wrap_socket(socket.create_connection(("127.0.0.1", self.fake.port)),
                                             server_hostname="127.0.0.1")
            sock.sendall(f"GET {GW}/namespaces/{ns}/gateways?watch=1&resourceVersion=0&timeoutSeconds=1 HTTP/1.1\r\n"
                         f"Host: x\r\nAuthorization: Bearer {self.fake.admin_token}\r\n\r\n".encode())
            self.create_gateway(ns)
            raw = b""
            while not raw.endswith(b"\r\n0\r\n\r\n"):
                data = sock.recv(65536)
                self.assertTrue(data, "stream ended early")
                raw += data
            sock.close()
        finally:
            self.hook("watch-chunks", size="0")
        body, sizes = raw.split(b"\r\n\r\n", 1)[1], []
        payload = b""
        while True:
            size_line, body = body.split(b"\r\n", 1)
            size = int(size_line, 16)
            if size == 0:
                break
            sizes.append(size)
            payload, body = payload + body[:size], body[size + 2:]
        self.assertEqual(set(sizes[:-1]), {7})
        event = json.loads(payload)
        self.assertEqual((event["type"], event["object"]["metadata"]["name"]), ("ADDED", "gw"))

    def test_close_watches_ends_open_streams_with_the_terminating_chunk(self):
        ns = self.namespace()
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion="0")
        threading.Timer(0.2, lambda: self.hook("close-watches")).start()
        self.assertEqual(list(stream.events()), [])  # no IncompleteRead: the chunked body ended properly
        stream.close()

    def test_outage_drops_connections_and_open_watches_until_it_ends(self):
        ns = self.namespace()
        stream = self.fake.watch(f"{GW}/namespaces/{ns}/gateways", resourceVersion="0")
        self.hook("outage", seconds="30")
        try:
            with self.assertRaises(http.client.IncompleteRead):
                list(stream.events())
            stream.close()
            with self.assertRaises(http.client.RemoteDisconnected):
                self.fake.request("GET", "/version")
        finally:
            self.hook("outage", seconds="0")
        self.assertEqual(self.fake.request("GET", "/version")[0], 200)

    def test_fail_injects_errors_for_the_next_matching_requests(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        self.hook("fail", verb="update", resource="gateways", subresource="status", code="409", count="1")
        path = f"{GW}/namespaces/{ns}/gateways/gw/status"
        code, body = self.fake.request("PUT", path, gw)
        self.assertEqual((code, body["reason"]), (409, "Conflict"))
        self.assertEqual(self.fake.request("PUT", path, gw)[0], 200)

    def test_requests_lists_what_was_handled_with_the_watch_flag(self):
        since = self.hook("requests")["requests"][-1]["seq"]
        self.fake.request("GET", "/version")
        stream = self.fake.watch(f"{GW}/gateways", resourceVersion="0", timeoutSeconds="1")
        list(stream.events())
        stream.close()
        log = self.hook("requests", since=str(since))["requests"]
        self.assertEqual([(r["method"], r["path"], r["code"], r["watch"], r["user"]) for r in log],
                         [("GET", "/version", 200, False, "admin"), ("GET", f"{GW}/gateways", 200, True, "admin")])
        self.assertEqual(log[1]["query"], "resourceVersion=0&timeoutSeconds=1&watch=1")

    def test_hooks_need_the_admin(self):
        ns = self.namespace()
        self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": "bot"}})
        _, tr = self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/bot/token", {"spec": {}})
        code, body = self.fake.request("POST", "/_fake/compact", token=tr["status"]["token"])
        self.assertEqual((code, body["reason"]), (403, "Forbidden"))


if __name__ == "__main__":
    unittest.main()
