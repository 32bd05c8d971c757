"""The fake Kubernetes API server (tests/fakekube) on the wire: resourceVersion, generation and
status-subresource rules, schema pruning/defaulting/validation, 409s, garbage collection,
namespaces, auth, the CLI contract and the test harness, checked with a raw HTTPS client.
Watches and the /_fake/ hooks are in test_fakekube_watch.py."""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
import time
import unittest

import yaml

from tests.fakekube.harness import FakeKube, gateway_api_crds
from tests.integration.fakekube_case import GW, FakeKubeCase, gateway


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

    def test_duplicate_list_map_keys_are_refused(self):
        ns = self.namespace()
        body = gateway("gw", ns)
        body["spec"]["listeners"].append({"name": "http", "port": 81, "protocol": "HTTP"})
        code, refused = self.fake.request("POST", f"{GW}/namespaces/{ns}/gateways", body)
        self.assertEqual((code, refused["message"]), (422, 'Gateway.gateway.networking.k8s.io "gw" is invalid: '
                                                           'spec.listeners[1]: Duplicate value: '
                                                           'map[string]interface {}{"name":"http"}'))

    def test_status_writes_are_validated_against_the_crd_schema(self):
        ns = self.namespace()
        gw = self.create_gateway(ns)
        gw["status"] = {"conditions": [{"type": "Accepted", "status": "Yes", "reason": "Accepted", "message": "",
                                        "observedGeneration": -1}]}
        code, body = self.fake.request("PUT", f"{GW}/namespaces/{ns}/gateways/gw/status", gw)
        self.assertEqual((code, body["reason"]), (422, "Invalid"))
        self.assertEqual([(c["field"], c["message"]) for c in body["details"]["causes"]], [
            ("status.conditions[0].lastTransitionTime", "Required value"),
            ("status.conditions[0].observedGeneration",
             "Invalid value: -1: status.conditions[0].observedGeneration in body should be greater than or equal to 0"),
            ("status.conditions[0].status", 'Unsupported value: "Yes": supported values: "True", "False", "Unknown"')])
        self.assertEqual(body["message"].split(": ", 1)[0],
                         f'Gateway.gateway.networking.k8s.io "gw" is invalid')

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

    def test_an_incomplete_crd_is_invalid(self):
        code, body = self.fake.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                       {"metadata": {"name": "x"}, "spec": {"scope": "Namespaced"}})
        self.assertEqual((code, [c["field"] for c in body["details"]["causes"]]),
                         (422, ["spec.group", "spec.names.plural", "spec.names.kind", "spec.versions",
                                "metadata.name"]))

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


class HarnessTest(FakeKubeCase):
    def test_apply_and_get_find_paths_through_discovery(self):
        ns = self.namespace()
        created = self.fake.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                                   "metadata": {"name": "r", "namespace": ns}, "spec": {"hostnames": ["a.example"]}})
        self.fake.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                         "metadata": {"name": f"{ns}-class"}, "spec": {"controllerName": "example.com/c"}})
        updated = self.fake.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                                   "metadata": {"name": "r", "namespace": ns}, "spec": {"hostnames": ["b.example"]}})
        self.assertEqual((created["metadata"]["generation"], updated["metadata"]["generation"]), (1, 2))
        self.assertEqual(self.fake.get("gateway.networking.k8s.io/v1", "HTTPRoute", ns, "r")["spec"]["hostnames"],
                         ["b.example"])
        self.assertEqual(self.fake.get("gateway.networking.k8s.io/v1", "GatewayClass", "", f"{ns}-class")["spec"],
                         {"controllerName": "example.com/c"})
        self.assertEqual(self.fake.resource_path("v1", "Service", ns, "s"), f"/api/v1/namespaces/{ns}/services/s")


class ExperimentalCrdsTest(FakeKubeCase):
    args = ("--crds", gateway_api_crds("experimental"))

    def test_crds_too_big_for_the_last_applied_annotation_are_installed_without_it(self):
        crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        annotations = lambda name: self.fake.request("GET", f"{crds}/{name}")[1]["metadata"]["annotations"]
        last_applied = "kubectl.kubernetes.io/last-applied-configuration"
        self.assertNotIn(last_applied, annotations("httproutes.gateway.networking.k8s.io"))
        self.assertIn(last_applied, annotations("gateways.gateway.networking.k8s.io"))
        code, _ = self.fake.request("GET", "/apis/gateway.networking.x-k8s.io/v1alpha1/xbackendtrafficpolicies")
        self.assertEqual(code, 200)


if __name__ == "__main__":
    unittest.main()
