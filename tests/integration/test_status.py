"""Status through the real binary's admin API (/status) and the `gatehouse validate` command:
GatewayClass, Gateway and HTTPRoute conditions with reasons and observedGeneration, addresses,
attachedRoutes, and generation bumps.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_status.py
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    BIN, CONTROLLER, GATEWAY_GROUP, GatehouseTestCase, backend_ref, backend_service, condition, gateway,
    gateway_address, gateway_class, http_route, listener, rule, wait_until)

PORT = 8080
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class StatusTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-status")
        cls.fixed_ip = f"127.{gh.a}.{gh.b}.77"
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway_class("not-ours") | {"spec": {"controllerName": "example.com/other"}},
            gateway("gw", [listener("http", PORT), listener("other", PORT + 1, hostname="other.example.com")]),
            gateway("gw-fixed", [listener("http", PORT)], addresses=[cls.fixed_ip]),
            gateway("gw-foreign", [listener("http", PORT)], class_name="not-ours"),
            *backend_service("echo", [cls.echo.ip]),
        ])
        gh.write("10-routes.yaml", [
            http_route("good", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw", "sectionName": "http"}]),
            http_route("good-too", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw", "sectionName": "http"}]),
            http_route("missing-backend", rules=[rule([backend_ref("missing")])],
                       parents=[{"name": "gw", "sectionName": "http"}]),
            http_route("no-such-section", rules=[rule([backend_ref("echo")])],
                       parents=[{"name": "gw", "sectionName": "nope"}]),
            http_route("hostname-mismatch", rules=[rule([backend_ref("echo")])], hostnames=["x.example.net"],
                       parents=[{"name": "gw", "sectionName": "other"}]),
        ])
        gh.sync()
        gateway_address(gh, "gw")

    def item(self, kind, name, ns="default"):
        found = self.gh.find(kind, name, ns)
        self.assertIsNotNone(found, f"{kind} {ns}/{name} not in /status")
        return found

    def test_status_is_a_kubernetes_list(self):
        doc = self.gh.admin_json("/status")
        self.assertEqual((doc["apiVersion"], doc["kind"]), ("v1", "List"))
        kinds = sorted({i["kind"] for i in doc["items"]})
        self.assertEqual(kinds, ["Gateway", "GatewayClass", "HTTPRoute", "ReferenceGrant"])
        for i in doc["items"]:
            self.assertIn("metadata", i)
            self.assertIn("spec", i)

    def test_admin_api_paths_and_methods(self):
        self.assertEqual(self.gh.admin_get("/ready"), (200, b"ready\n"))
        self.assertEqual(self.gh.admin_get("/nope")[0], 404)
        self.assertEqual(self.gh.admin_get("/errors"), (200, b"[]\n"))
        conn = http.client.HTTPConnection(*self.gh.admin, timeout=10)
        try:
            conn.request("POST", "/status", body=b"{}")
            self.assertEqual(conn.getresponse().status, 405)
        finally:
            conn.close()

    def test_gateway_class_accepted_with_supported_features(self):
        gc = self.item("GatewayClass", "gatehouse", None)
        self.assertEqual(gc["metadata"]["generation"], 1)
        self.assertCondition(gc["status"]["conditions"], "Accepted", "True", "Accepted", 1)
        features = gc["status"]["supportedFeatures"]
        names = [f["name"] for f in features]
        self.assertTrue(all(set(f) == {"name"} for f in features), features)
        self.assertEqual(names, sorted(names))
        self.assertLessEqual({"Gateway", "HTTPRoute", "ReferenceGrant"}, set(names))
        for c in gc["status"]["conditions"]:
            self.assertRegex(c["lastTransitionTime"], RFC3339)

    def test_other_controllers_objects_get_no_status(self):
        self.assertNotIn("status", self.item("GatewayClass", "not-ours", None))
        self.assertNotIn("status", self.item("Gateway", "gw-foreign"))

    def test_gateway_accepted_programmed_with_pool_address(self):
        gw = self.item("Gateway", "gw")
        st = gw["status"]
        self.assertCondition(st["conditions"], "Accepted", "True", "Accepted", 1)
        self.assertCondition(st["conditions"], "Programmed", "True", "Programmed", 1)
        self.assertEqual(st["addresses"], [{"type": "IPAddress", "value": self.gh.gateway_ip(1)}])

    def test_gateway_with_spec_address_gets_it(self):
        st = self.item("Gateway", "gw-fixed")["status"]
        self.assertCondition(st["conditions"], "Programmed", "True", "Programmed", 1)
        self.assertEqual(st["addresses"], [{"type": "IPAddress", "value": self.fixed_ip}])

    def test_listener_status_and_attached_routes(self):
        listeners = {l["name"]: l for l in self.item("Gateway", "gw")["status"]["listeners"]}
        self.assertEqual(sorted(listeners), ["http", "other"])
        http = listeners["http"]
        # good, good-too and missing-backend attach; a route with unresolved refs still counts.
        self.assertEqual(http["attachedRoutes"], 3)
        self.assertEqual(http["supportedKinds"],
                         [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}, {"group": GATEWAY_GROUP, "kind": "GRPCRoute"}])
        for type_, status, reason in (("Accepted", "True", "Accepted"), ("ResolvedRefs", "True", "ResolvedRefs"),
                                      ("Programmed", "True", "Programmed"), ("Conflicted", "False", "NoConflicts")):
            self.assertCondition(http["conditions"], type_, status, reason, 1)
        self.assertEqual(listeners["other"]["attachedRoutes"], 0)

    def test_route_parents_accepted_and_resolved(self):
        route = self.item("HTTPRoute", "good")
        generation = route["metadata"]["generation"]
        self.assertEqual(generation, 1)
        (parent,) = route["status"]["parents"]
        self.assertEqual(parent["parentRef"], {"group": GATEWAY_GROUP, "kind": "Gateway", "namespace": "default",
                                               "name": "gw", "sectionName": "http"})
        self.assertEqual(parent["controllerName"], CONTROLLER)
        self.assertCondition(parent["conditions"], "Accepted", "True", "Accepted", generation)
        self.assertCondition(parent["conditions"], "ResolvedRefs", "True", "ResolvedRefs", generation)

    def test_route_with_missing_backend(self):
        (parent,) = self.item("HTTPRoute", "missing-backend")["status"]["parents"]
        self.assertCondition(parent["conditions"], "Accepted", "True", "Accepted", 1)
        self.assertCondition(parent["conditions"], "ResolvedRefs", "False", "BackendNotFound", 1)
        self.assertEqual(condition(parent["conditions"], "ResolvedRefs")["message"],
                         "Service default/missing does not exist")

    def test_route_with_unknown_section(self):
        (parent,) = self.item("HTTPRoute", "no-such-section")["status"]["parents"]
        self.assertCondition(parent["conditions"], "Accepted", "False", "NoMatchingParent", 1)

    def test_route_with_disjoint_hostname(self):
        (parent,) = self.item("HTTPRoute", "hostname-mismatch")["status"]["parents"]
        self.assertCondition(parent["conditions"], "Accepted", "False", "NoMatchingListenerHostname", 1)

    def test_generation_bumps_only_on_spec_change(self):
        gh = self.gh
        r = http_route("generations", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw"}])
        gh.apply("20-generations.yaml", [r])
        first = self.item("HTTPRoute", "generations")
        self.assertEqual(first["metadata"]["generation"], 1)
        created = first["metadata"]["creationTimestamp"]
        self.assertRegex(created, RFC3339)

        r["metadata"]["labels"] = {"team": "blue"}
        r["metadata"]["annotations"] = {"note": "metadata only"}
        gh.apply("20-generations.yaml", [r])
        labelled = self.item("HTTPRoute", "generations")
        self.assertEqual(labelled["metadata"]["labels"], {"team": "blue"})
        self.assertEqual(labelled["metadata"]["generation"], 1)
        self.assertCondition(labelled["status"]["parents"][0]["conditions"], "Accepted", "True", "Accepted", 1)

        r["spec"]["hostnames"] = ["gen.example.com"]
        gh.apply("20-generations.yaml", [r])
        changed = self.item("HTTPRoute", "generations")
        self.assertEqual(changed["metadata"]["generation"], 2)
        self.assertEqual(changed["metadata"]["creationTimestamp"], created)
        for type_, reason in (("Accepted", "Accepted"), ("ResolvedRefs", "ResolvedRefs")):
            self.assertCondition(changed["status"]["parents"][0]["conditions"], type_, "True", reason, 2)
        gh.delete("20-generations.yaml")

    def test_gateway_generation_and_observed_generation(self):
        gh = self.gh
        gw = gateway("gw-gen", [listener("http", 8095)], addresses=[f"127.{gh.a}.{gh.b}.78"])
        gh.apply("30-gw-gen.yaml", [gw])
        gw["spec"]["listeners"].append(listener("extra", 8096))
        gh.apply("30-gw-gen.yaml", [gw])
        st = self.item("Gateway", "gw-gen")
        self.assertEqual(st["metadata"]["generation"], 2)
        self.assertCondition(st["status"]["conditions"], "Programmed", "True", "Programmed", 2)
        self.assertEqual([l["name"] for l in st["status"]["listeners"]], ["http", "extra"])
        for l in st["status"]["listeners"]:
            self.assertCondition(l["conditions"], "Programmed", "True", "Programmed", 2)
        gh.delete("30-gw-gen.yaml")

    def test_gateway_whose_port_is_taken_is_not_programmed(self):
        gh = self.gh
        ip = f"127.{gh.a}.{gh.b}.79"
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind((ip, PORT))
        blocker.listen(1)
        gh.apply("40-blocked.yaml", [gateway("gw-blocked", [listener("http", PORT)], addresses=[ip])])
        st = self.item("Gateway", "gw-blocked")["status"]
        self.assertCondition(st["conditions"], "Accepted", "True", "Accepted", 1)
        self.assertCondition(st["conditions"], "Programmed", "False", "AddressNotUsable", 1)
        self.assertIn(f"cannot listen on {ip}:{PORT}", condition(st["conditions"], "Programmed")["message"])
        self.assertEqual(st["addresses"], [])
        gh.delete("40-blocked.yaml")

    def test_gateway_is_programmed_once_its_port_is_freed(self):
        gh = self.gh
        ip = f"127.{gh.a}.{gh.b}.81"
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind((ip, PORT))
        blocker.listen(1)
        gh.apply("41-freed.yaml", [gateway("gw-freed", [listener("http", PORT)], addresses=[ip])])
        st = self.item("Gateway", "gw-freed")["status"]
        self.assertCondition(st["conditions"], "Programmed", "False", "AddressNotUsable", 1)
        blocker.close()

        # The bind is retried every 2 s and the status follows, with no change to the objects.
        def programmed(items):
            for i in items:
                if i["kind"] == "Gateway" and i["metadata"]["name"] == "gw-freed":
                    return condition(i["status"]["conditions"], "Programmed")["status"] == "True"
            return False

        gh.wait_status(programmed, what="gw-freed Programmed")
        st = self.item("Gateway", "gw-freed")["status"]
        self.assertCondition(st["conditions"], "Programmed", "True", "Programmed", 1)
        self.assertEqual(st["addresses"], [{"type": "IPAddress", "value": ip}])
        gh.delete("41-freed.yaml")

    def test_status_read_sees_a_write_that_finished_before_it(self):
        gh = self.gh
        gh.write("42-ryw.yaml", [http_route("route-ryw", [rule()], parents=[{"name": "gw"}])])
        self.addCleanup(gh.delete, "42-ryw.yaml")
        # No sync marker, no polling: the admin API delivers pending file events before it reads.
        item = self.item("HTTPRoute", "route-ryw")
        self.assertIsNotNone(item)
        self.assertEqual(item["metadata"]["generation"], 1)
        self.assertIn("status", item)

    def test_infrastructure_objects_per_gateway(self):
        infra = self.gh.admin_json("/infrastructure")
        names = sorted((i["kind"], i["metadata"]["name"]) for i in infra["items"]
                       if i["metadata"]["labels"].get("gateway.networking.k8s.io/gateway-name") == "gw")
        self.assertEqual(names, [("Pod", "gw-gatehouse"), ("Service", "gw-gatehouse"),
                                 ("ServiceAccount", "gw-gatehouse")])

    def test_config_snapshot_lists_sockets(self):
        config = self.gh.admin_json("/config")
        self.assertIsInstance(config, dict)
        dumped = json.dumps(config)
        self.assertIn(self.gh.gateway_ip(1), dumped)
        self.assertIn(self.fixed_ip, dumped)


class ValidateCommandTest(unittest.TestCase):
    """`gatehouse validate -o json DIR`: statuses JSON on stdout, problems on stderr, exit 1 if
    anything is invalid or not accepted (the default summary: test_validate_summary.py)."""

    def setUp(self):
        if not os.access(BIN, os.X_OK):
            self.skipTest(f"no gatehouse binary at {BIN}")
        self.dir = tempfile.mkdtemp(prefix="gatehouse-itest-validate-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.write("infra.yaml", [gateway_class(), gateway("gw", [listener("http", PORT)]),
                                  *backend_service("echo", ["127.0.0.1"])])

    def write(self, name, docs):
        with open(os.path.join(self.dir, name), "w") as f:
            yaml.safe_dump_all(docs, f, sort_keys=False)

    def validate(self):
        return subprocess.run([BIN, "validate", "-o", "json", self.dir], capture_output=True, text=True, timeout=60)

    def test_valid_directory_exits_0(self):
        self.write("routes.yaml", [http_route("ok", rules=[rule([backend_ref("echo")])])])
        res = self.validate()
        self.assertEqual(res.returncode, 0, res.stderr)
        statuses = json.loads(res.stdout)["statuses"]
        self.assertEqual(sorted(statuses), ["Gateway/default/gw", "GatewayClass/gatehouse", "HTTPRoute/default/ok"])
        parent = statuses["HTTPRoute/default/ok"]["parents"][0]
        self.assertEqual(condition(parent["conditions"], "Accepted")["status"], "True")
        self.assertEqual(res.stderr, "2 files, 0 errors, everything accepted\n")

    def test_missing_backend_exits_1_naming_the_file(self):
        path = os.path.join(self.dir, "routes.yaml")
        self.write("routes.yaml", [http_route("broken", rules=[rule([backend_ref("missing")])])])
        res = self.validate()
        self.assertEqual(res.returncode, 1, res.stderr)
        parent = json.loads(res.stdout)["statuses"]["HTTPRoute/default/broken"]["parents"][0]
        c = condition(parent["conditions"], "ResolvedRefs")
        self.assertEqual((c["status"], c["reason"]), ("False", "BackendNotFound"))
        lines = [l for l in res.stderr.splitlines() if path in l]
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("HTTPRoute/default/broken", lines[0])
        self.assertIn("BackendNotFound", lines[0])

    def test_invalid_object_exits_1_naming_file_object_and_field(self):
        path = os.path.join(self.dir, "routes.yaml")
        self.write("routes.yaml", [http_route("bad-port", rules=[rule([backend_ref("echo", port=70000)])])])
        res = self.validate()
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"error: {path}: HTTPRoute/default/bad-port: spec.rules[0].backendRefs[0].port: ", res.stderr)

    def test_unparsable_file_exits_1_naming_the_file(self):
        path = os.path.join(self.dir, "broken.yaml")
        with open(path, "w") as f:
            f.write("kind: [\n")
        res = self.validate()
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"error: {path}: ", res.stderr)

    def test_not_a_directory_exits_2(self):
        res = subprocess.run([BIN, "validate", "-o", "json", os.path.join(self.dir, "nope")], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(res.returncode, 2, res.stderr)


if __name__ == "__main__":
    unittest.main()
