"""The fake Kubernetes API server (tests/fakekube) on the wire: resourceVersion, generation and
status-subresource rules, watch resume/bookmarks/410, 409s, auth, and the /_fake/ test hooks,
checked with a raw HTTPS client; plus the selector and patch logic on its own."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import ssl
import tempfile
import threading
import time
import unittest

import yaml

from tests.fakekube import patch, selectors
from tests.fakekube.errors import ApiError
from tests.fakekube.harness import FakeKube, gateway_api_crds

CRDS = gateway_api_crds()
GW = "/apis/gateway.networking.k8s.io/v1"


def gateway(name: str, namespace: str, class_name: str = "gatehouse") -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": "web"}},
            "spec": {"gatewayClassName": class_name,
                     "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}


class FakeKubeCase(unittest.TestCase):
    fake: FakeKube
    args: tuple = ("--crds", CRDS, "--bookmark-interval", "0.5", "--history", "20")

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeKube(*cls.args)
        cls.addClassCleanup(cls.fake.stop)

    def namespace(self) -> str:
        name = re.sub(r"[^a-z0-9-]", "-", self.id().rsplit(".", 1)[1].lower())[:60].strip("-")
        code, _ = self.fake.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
        self.assertEqual(code, 201)
        return name

    def create_gateway(self, ns: str, name: str = "gw") -> dict:
        code, obj = self.fake.request("POST", f"{GW}/namespaces/{ns}/gateways", gateway(name, ns))
        self.assertEqual(code, 201, obj)
        return obj


class ObjectSemanticsTest(FakeKubeCase):
    def test_create_sets_uid_timestamp_generation_and_a_fresh_global_resource_version(self):
        ns = self.namespace()
        _, before = self.fake.request("GET", f"{GW}/gateways")
        gw = self.create_gateway(ns)
        meta = gw["metadata"]
        self.assertEqual(int(meta["resourceVersion"]), int(before["metadata"]["resourceVersion"]) + 1)
        self.assertRegex(meta["uid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertRegex(meta["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(meta["generation"], 1)
        # The CRD schema's defaults are applied, as kube-apiserver does.
        self.assertEqual(gw["spec"]["listeners"][0]["allowedRoutes"], {"namespaces": {"from": "Same"}})
        self.assertEqual([c["reason"] for c in gw["status"]["conditions"]], ["Pending", "Pending"])

    def test_unknown_fields_are_pruned_with_a_warning_or_refused_when_strict(self):
        ns = self.namespace()
        body = gateway("gw", ns)
        body["spec"]["listeners"][0]["bogus"] = 1
        code, refused = self.fake.request("POST", f"{GW}/namespaces/{ns}/gateways", body,
                                          query={"fieldValidation": "Strict"})
        self.assertEqual((code, refused["message"]), (400, 'Gateway in version "v1" cannot be handled as a Gateway: '
                                                           'strict decoding error: unknown field "spec.listeners[0].bogus"'))
        conn = self.fake.connect()
        conn.request("POST", f"{GW}/namespaces/{ns}/gateways", body=json.dumps(body),
                     headers={"Authorization": f"Bearer {self.fake.admin_token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        created = json.loads(resp.read())
        conn.close()
        self.assertEqual((resp.status, resp.getheader("Warning")), (201, '299 - "unknown field \\"spec.listeners[0].bogus\\""'))
        self.assertNotIn("bogus", created["spec"]["listeners"][0])

    def test_create_in_a_missing_namespace_is_404_namespace_not_found(self):
        code, body = self.fake.request("POST", f"{GW}/namespaces/nope/gateways", gateway("gw", "nope"))
        self.assertEqual((code, body["reason"], body["message"]), (404, "NotFound", 'namespaces "nope" not found'))

    def test_create_twice_is_409_already_exists(self):
        ns = self.namespace()
        self.create_gateway(ns)
        code, body = self.fake.request("POST", f"{GW}/namespaces/{ns}/gateways", gateway("gw", ns))
        self.assertEqual((code, body["reason"], body["message"]),
                         (409, "AlreadyExists", 'gateways.gateway.networking.k8s.io "gw" already exists'))
        self.assertEqual(body["details"], {"name": "gw", "group": "gateway.networking.k8s.io", "kind": "gateways"})

    def test_generate_name_appends_five_characters(self):
        ns = self.namespace()
        code, cm = self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                                     {"metadata": {"generateName": "cfg-"}, "data": {"a": "b"}})
        self.assertEqual(code, 201)
        self.assertRegex(cm["metadata"]["name"], r"^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$")

    def test_stale_put_is_409_conflict_and_a_put_without_resource_version_is_unconditional(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        path = f"{GW}/namespaces/{ns}/gateways/gw"
        gw["spec"]["gatewayClassName"] = "first"
        code, first = self.fake.request("PUT", path, gw)
        self.assertEqual((code, first["metadata"]["generation"]), (200, 2))
        gw["spec"]["gatewayClassName"] = "stale"
        code, body = self.fake.request("PUT", path, gw)
        self.assertEqual((code, body["reason"]), (409, "Conflict"))
        self.assertEqual(body["message"], 'Operation cannot be fulfilled on gateways.gateway.networking.k8s.io "gw": '
                         "the object has been modified; please apply your changes to the latest version and try again")
        del gw["metadata"]["resourceVersion"]
        code, last = self.fake.request("PUT", path, gw)
        self.assertEqual((code, last["spec"]["gatewayClassName"], last["metadata"]["generation"]), (200, "stale", 3))

    def test_status_put_changes_only_status_and_never_generation(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        gw["status"] = {"conditions": [], "addresses": [{"type": "IPAddress", "value": "10.0.0.1"}]}
        gw["spec"]["gatewayClassName"] = "ignored-by-status"
        code, after = self.fake.request("PUT", f"{GW}/namespaces/{ns}/gateways/gw/status", gw)
        self.assertEqual(code, 200)
        self.assertEqual(after["status"]["addresses"], [{"type": "IPAddress", "value": "10.0.0.1"}])
        self.assertEqual(after["spec"]["gatewayClassName"], "gatehouse")
        self.assertEqual(after["metadata"]["generation"], 1)
        self.assertGreater(int(after["metadata"]["resourceVersion"]), int(gw["metadata"]["resourceVersion"]))

    def test_main_put_ignores_status_and_bumps_generation_only_for_spec(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        path = f"{GW}/namespaces/{ns}/gateways/gw"
        gw["metadata"]["labels"]["tier"] = "edge"
        gw["status"] = {"addresses": [{"value": "10.9.9.9"}]}
        code, labelled = self.fake.request("PUT", path, gw)
        self.assertEqual((code, labelled["metadata"]["generation"]), (200, 1))
        self.assertNotIn("addresses", labelled["status"])
        labelled["spec"]["gatewayClassName"] = "other"
        _, respec = self.fake.request("PUT", path, labelled)
        self.assertEqual(respec["metadata"]["generation"], 2)

    def test_a_write_that_changes_nothing_keeps_the_resource_version(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        code, same = self.fake.request("PUT", f"{GW}/namespaces/{ns}/gateways/gw", gw)
        self.assertEqual((code, same["metadata"]["resourceVersion"]), (200, gw["metadata"]["resourceVersion"]))

    def test_merge_patch_of_status_carrying_a_stale_resource_version_is_409(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        status_path = f"{GW}/namespaces/{ns}/gateways/gw/status"
        ok, patched = self.fake.request("PATCH", status_path, {
            "metadata": {"resourceVersion": gw["metadata"]["resourceVersion"]}, "status": {"listeners": []}},
            content_type="application/merge-patch+json")
        self.assertEqual((ok, patched["status"]["listeners"]), (200, []))
        code, body = self.fake.request("PATCH", status_path, {
            "metadata": {"resourceVersion": gw["metadata"]["resourceVersion"]}, "status": {"listeners": None}},
            content_type="application/merge-patch+json")
        self.assertEqual((code, body["reason"]), (409, "Conflict"))

    def test_strategic_merge_patch_is_refused_for_custom_resources(self):
        ns = self.namespace()
        self.create_gateway(ns)
        code, body = self.fake.request("PATCH", f"{GW}/namespaces/{ns}/gateways/gw", {"spec": {}},
                                       content_type="application/strategic-merge-patch+json")
        self.assertEqual((code, body["reason"]), (415, "UnsupportedMediaType"))

    def test_lease_round_trip_keeps_micro_time(self):
        ns = self.namespace()
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "leader"},
                 "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15,
                          "acquireTime": "2026-01-01T00:00:00.123456Z", "renewTime": "2026-01-01T00:00:00.123456Z"}}
        path = f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
        self.assertEqual(self.fake.request("GET", f"{path}/leader")[0], 404)
        code, created = self.fake.request("POST", path, lease)
        self.assertEqual((code, created["spec"]["acquireTime"]), (201, "2026-01-01T00:00:00.123456Z"))
        self.assertNotIn("generation", created["metadata"])  # like the real Lease
        created["spec"]["holderIdentity"] = "b"
        code, updated = self.fake.request("PUT", f"{path}/leader", created)
        self.assertEqual((code, updated["spec"]["holderIdentity"]), (200, "b"))

    def test_list_pages_with_limit_and_continue_at_the_first_pages_resource_version(self):
        ns = self.namespace()
        for i in range(5):
            self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"c{i}"}})
        path = f"/api/v1/namespaces/{ns}/configmaps"
        _, first = self.fake.request("GET", path, query={"limit": 2})
        self.assertEqual([o["metadata"]["name"] for o in first["items"]], ["c0", "c1"])
        self.assertEqual(first["metadata"]["remainingItemCount"], 3)
        self.fake.request("POST", path, {"metadata": {"name": "c9"}})
        _, second = self.fake.request("GET", path, query={"limit": 10, "continue": first["metadata"]["continue"]})
        self.assertEqual([o["metadata"]["name"] for o in second["items"]], ["c2", "c3", "c4", "c9"])
        self.assertEqual(second["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"])
        self.assertNotIn("continue", second["metadata"])

    def test_label_and_field_selectors_filter_lists(self):
        ns = self.namespace()
        for name, tier in (("a", "edge"), ("b", "core"), ("c", None)):
            labels = {"tier": tier} if tier else {}
            self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": name, "labels": labels}})
        names = lambda q: [o["metadata"]["name"] for o in self.fake.request(
            "GET", f"/api/v1/namespaces/{ns}/configmaps", query=q)[1]["items"]]
        self.assertEqual(names({"labelSelector": "tier in (edge,core)"}), ["a", "b"])
        self.assertEqual(names({"labelSelector": "!tier"}), ["c"])
        self.assertEqual(names({"fieldSelector": "metadata.name=b"}), ["b"])
        code, body = self.fake.request("GET", f"/api/v1/namespaces/{ns}/configmaps", query={"fieldSelector": "spec.x=1"})
        self.assertEqual((code, body["message"]), (400, "field label not supported: spec.x"))

    def test_deleting_an_owner_garbage_collects_its_dependents_unless_orphaned(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        owner = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "name": "gw",
                 "uid": gw["metadata"]["uid"], "controller": True}
        for name in ("dp", "kept"):
            self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts",
                              {"metadata": {"name": name, "ownerReferences": [owner]}})
        self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                          {"metadata": {"name": "cfg", "ownerReferences": [
                              {**owner, "uid": "still-there", "name": "other"}]}})
        self.fake.request("DELETE", f"{GW}/namespaces/{ns}/gateways/gw")
        self.assertEqual(self.fake.request("GET", f"/api/v1/namespaces/{ns}/serviceaccounts/dp")[0], 404)
        self.assertEqual(self.fake.request("GET", f"/api/v1/namespaces/{ns}/configmaps/cfg")[0], 200)
        gw = self.create_gateway(ns, "gw2")
        self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {
            "name": "orphan", "ownerReferences": [{**owner, "name": "gw2", "uid": gw["metadata"]["uid"]}]}})
        self.fake.request("DELETE", f"{GW}/namespaces/{ns}/gateways/gw2", {"propagationPolicy": "Orphan"})
        self.assertEqual(self.fake.request("GET", f"/api/v1/namespaces/{ns}/configmaps/orphan")[0], 200)

    def test_names_and_labels_are_validated_like_the_real_server(self):
        ns = self.namespace()
        long_name = "g" * 64
        code, body = self.fake.request("POST", f"/api/v1/namespaces/{ns}/services",
                                       {"metadata": {"name": long_name}, "spec": {"ports": [{"port": 80}]}})
        self.assertEqual((code, body["reason"], body["message"]),
                         (422, "Invalid", f'Service "{long_name}" is invalid: metadata.name: Invalid value: '
                                          f'"{long_name}": must be no more than 63 characters'))
        self.assertEqual(body["details"]["causes"], [{"reason": "FieldValueInvalid", "field": "metadata.name",
                                                      "message": f'Invalid value: "{long_name}": must be no more '
                                                                 "than 63 characters"}])
        code, body = self.fake.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                                       {"metadata": {"name": "c", "labels": {"gateway": "x" * 64}}})
        self.assertEqual((code, body["message"]), (422, f'ConfigMap "c" is invalid: metadata.labels: Invalid value: '
                                                        f'"{"x" * 64}": must be no more than 63 characters'))
        self.assertEqual(self.fake.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", {
            "metadata": {"name": "d" * 253}, "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
                "metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})[0], 201)

    def test_namespace_deletion_terminates_then_removes_its_contents(self):
        ns = self.namespace()
        self.create_gateway(ns)
        code, terminating = self.fake.request("DELETE", f"/api/v1/namespaces/{ns}")
        self.assertEqual((code, terminating["status"]["phase"]), (200, "Terminating"))
        code, body = self.fake.request("POST", f"{GW}/namespaces/{ns}/gateways", gateway("late", ns))
        self.assertEqual((code, body["message"]), (403, 'gateways.gateway.networking.k8s.io "late" is forbidden: '
                         f"unable to create new content in namespace {ns} because it is being terminated"))
        deadline = time.monotonic() + 5
        while self.fake.request("GET", f"/api/v1/namespaces/{ns}")[0] != 404 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.fake.request("GET", f"{GW}/namespaces/{ns}/gateways/gw")[0], 404)


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


class AuthTest(FakeKubeCase):
    def test_unknown_token_is_401_status(self):
        code, body = self.fake.request("GET", "/api/v1/namespaces", token="nope")
        self.assertEqual((code, body), (401, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                              "message": "Unauthorized", "reason": "Unauthorized", "code": 401}))

    def test_service_account_token_is_reviewed_for_its_audience_until_the_account_is_deleted(self):
        ns = self.namespace()
        self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": "dp"}})
        _, tr = self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/dp/token",
                                  {"spec": {"audiences": ["gatehouse"], "expirationSeconds": 600}})
        token = tr["status"]["token"]
        review = lambda: self.fake.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                           {"spec": {"token": token, "audiences": ["gatehouse"]}})[1]["status"]
        status = review()
        self.assertEqual((status["authenticated"], status["user"]["username"], status["user"]["groups"],
                          status["audiences"]),
                         (True, f"system:serviceaccount:{ns}:dp",
                          ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"],
                          ["gatehouse"]))
        # A token for another audience does not authenticate to the API server itself.
        self.assertEqual(self.fake.request("GET", "/api", token=token)[0], 401)
        self.fake.request("DELETE", f"/api/v1/namespaces/{ns}/serviceaccounts/dp")
        self.assertEqual(review()["authenticated"], False)

    def test_cluster_role_binding_to_a_group_grants_cluster_wide(self):
        ns = self.namespace()
        self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": "ro"}})
        _, tr = self.fake.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/ro/token", {})
        token = tr["status"]["token"]
        code, body = self.fake.request("GET", f"{GW}/gateways", token=token)
        self.assertEqual((code, body["message"]), (403, 'gateways.gateway.networking.k8s.io is forbidden: User '
                         f'"system:serviceaccount:{ns}:ro" cannot list resource "gateways" in API group '
                         '"gateway.networking.k8s.io" at the cluster scope'))
        rbac = "/apis/rbac.authorization.k8s.io/v1"
        self.fake.request("POST", f"{rbac}/clusterroles", {"metadata": {"name": "gw-status"}, "rules": [
            {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["gateways", "gateways/status"],
             "verbs": ["list", "update"]}]})
        self.fake.request("POST", f"{rbac}/clusterrolebindings", {
            "metadata": {"name": "gw-status"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "gw-status"},
            "subjects": [{"kind": "Group", "name": f"system:serviceaccounts:{ns}"}]})
        self.assertEqual(self.fake.request("GET", f"{GW}/gateways", token=token)[0], 200)
        code, body = self.fake.request("GET", f"{GW}/namespaces/{ns}/gateways/x", token=token)
        self.assertEqual((code, body["message"]), (403, 'gateways.gateway.networking.k8s.io "x" is forbidden: User '
                         f'"system:serviceaccount:{ns}:ro" cannot get resource "gateways" in API group '
                         f'"gateway.networking.k8s.io" in the namespace "{ns}"'))

    def test_client_certificate_user_and_groups(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.fake.state_dir, "ca.crt"))
        with open(os.path.join(self.fake.state_dir, "kubeconfig-client-cert")) as f:
            user = yaml.safe_load(f)["users"][0]["user"]
        with tempfile.TemporaryDirectory() as d:
            for name in ("client-certificate-data", "client-key-data"):
                with open(os.path.join(d, name), "wb") as out:
                    out.write(base64.b64decode(user[name]))
            ctx.load_cert_chain(os.path.join(d, "client-certificate-data"), os.path.join(d, "client-key-data"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.fake.port, context=ctx)
        conn.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", body=b"{}",
                     headers={"Content-Type": "application/json"})
        info = json.loads(conn.getresponse().read())["status"]["userInfo"]
        conn.close()
        self.assertEqual(info, {"username": "admin-cert", "groups": ["system:masters", "system:authenticated"]})


class CliTest(unittest.TestCase):
    def test_state_dir_kubeconfig_and_clean_sigterm_with_an_open_watch(self):
        with tempfile.TemporaryDirectory() as state:
            fake = FakeKube("--listen", "127.0.0.1:0", state_dir=state)
            stream = None
            try:
                self.assertEqual(sorted(os.listdir(state)), ["admin-token", "ca.crt", "ca.key", "kubeconfig",
                                                             "kubeconfig-client-cert", "server.crt", "server.key"])
                with open(os.path.join(state, "kubeconfig")) as f:
                    config = yaml.safe_load(f)
                with open(os.path.join(state, "ca.crt"), "rb") as f:
                    ca = f.read()
                self.assertEqual(config["current-context"], "fake")
                self.assertEqual(config["clusters"], [{"name": "fake", "cluster": {
                    "server": fake.url, "certificate-authority-data": base64.b64encode(ca).decode()}}])
                self.assertEqual(config["users"], [{"name": "admin", "user": {"token": fake.admin_token}}])
                self.assertEqual(config["contexts"], [{"name": "fake", "context": {"cluster": "fake", "user": "admin"}}])
                self.assertEqual(fake.request("GET", "/api/v1/namespaces/default")[1]["status"], {"phase": "Active"})
                stream = fake.watch("/api/v1/namespaces", resourceVersion="0")
                self.assertEqual(stream.next()["type"], "ADDED")
            finally:
                code = fake.stop()
                if stream:
                    stream.close()
            self.assertEqual(code, 0)


class SelectorLogicTest(unittest.TestCase):
    def match(self, selector: str, labels: dict) -> bool:
        return selectors.parse_labels(selector)({"metadata": {"labels": labels}})

    def test_label_operators(self):
        cases = [("a=b", {"a": "b"}, True), ("a==b", {"a": "c"}, False), ("a!=b", {}, True),
                 ("a in (x, y)", {"a": "y"}, True), ("a notin (x)", {"a": "x"}, False), ("a", {"a": ""}, True),
                 ("!a", {"a": "1"}, False), ("a=b,c", {"a": "b"}, False), ("", {}, True)]
        for selector, labels, want in cases:
            self.assertEqual(self.match(selector, labels), want, (selector, labels))

    def test_bad_label_selector_is_a_bad_request(self):
        with self.assertRaises(ApiError) as ctx:
            selectors.parse_labels("a b")
        self.assertEqual(ctx.exception.code, 400)


class PatchLogicTest(unittest.TestCase):
    def test_merge_patch_rfc7386(self):
        self.assertEqual(patch.merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": 3}, "l": [2]}),
                         {"a": {"c": 2, "d": 3}, "l": [2]})

    def test_json_patch_rfc6902(self):
        doc = {"spec": {"items": ["a", "b"]}}
        out = patch.json_patch(doc, [{"op": "add", "path": "/spec/items/-", "value": "c"},
                                     {"op": "remove", "path": "/spec/items/0"},
                                     {"op": "add", "path": "/spec/x", "value": 0},
                                     {"op": "replace", "path": "/spec/x", "value": 1},
                                     {"op": "move", "from": "/spec/x", "path": "/spec/y"},
                                     {"op": "test", "path": "/spec/y", "value": 1}])
        self.assertEqual(out, {"spec": {"items": ["b", "c"], "y": 1}})
        with self.assertRaises(ApiError):
            patch.json_patch(doc, [{"op": "test", "path": "/spec/items/0", "value": "z"}])

    def test_strategic_merge_merges_containers_by_name_and_ports_by_container_port(self):
        live = {"spec": {"containers": [{"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
                                        {"name": "b", "image": "b:1"}]}}
        out = patch.strategic_merge_patch(live, {"spec": {"containers": [
            {"name": "a", "image": "a:2", "ports": [{"containerPort": 443}]}, {"name": "b", "$patch": "delete"}]}})
        self.assertEqual(out, {"spec": {"containers": [
            {"name": "a", "image": "a:2", "ports": [{"containerPort": 80}, {"containerPort": 443}]}]}})

    def test_strategic_merge_directives(self):
        live = {"metadata": {"finalizers": ["x", "y"]}, "spec": {"args": ["1"], "m": {"k": "v"}}}
        out = patch.strategic_merge_patch(live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]},
                                                 "spec": {"args": ["2"], "m": {"$patch": "replace", "n": "w"}}})
        self.assertEqual(out, {"metadata": {"finalizers": ["y"]}, "spec": {"args": ["2"], "m": {"n": "w"}}})

    def test_apply_removes_fields_the_manager_stopped_applying_and_keeps_others(self):
        live = {"metadata": {"labels": {"mine": "1", "theirs": "2"}}, "spec": {"a": 1}}
        out = patch.apply_patch(live, previous_applied={"metadata": {"labels": {"mine": "1"}}, "spec": {"a": 1}},
                                applied={"spec": {"a": 2}}, strategic=False)
        self.assertEqual(out, {"metadata": {"labels": {"theirs": "2"}}, "spec": {"a": 2}})


if __name__ == "__main__":
    unittest.main()
