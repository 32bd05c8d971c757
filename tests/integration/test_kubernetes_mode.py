"""`gatehouse serve --kubernetes` against the fake API server (tests/fakekube): list and watch,
status writes, leader election, and what happens when the server misbehaves or goes away. Each
test has its own API server and gatehouse processes."""

import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (CONTROLLER, WAIT, EchoBackend, backend_ref, backend_service,  # noqa: E402
                               condition, gateway, gateway_class, http_route, listener, path_match, request,
                               rule, wait_until)
from kube_harness import Api, KubeGatehouse, crd_files, start_fake  # noqa: E402

MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class KubeModeTest(unittest.TestCase):
    crds: tuple = ()  # CRD files to install; all of the standard channel when empty

    def setUp(self):
        self.fake = start_fake(*self.crds)
        self.addCleanup(self.fake.stop)
        self.api = Api(self.fake)
        self.gh = self.gatehouse("a")
        self.echo = EchoBackend(self.gh.backend_ip(1), "echo-1", "default", self.gh.tmp)
        self.addCleanup(self.echo.stop)

    def gatehouse(self, suffix: str, kubeconfig: str = None, network: tuple = None) -> KubeGatehouse:
        gh = KubeGatehouse(f"{self.id()}.{suffix}", kubeconfig or self.fake.kubeconfig, network=network)
        self.addCleanup(lambda: shutil.rmtree(gh.tmp, ignore_errors=True))
        self.addCleanup(gh.finish)
        return gh

    def apply_world(self):
        for obj in [gateway_class(), gateway("gw", [listener("http", 8080)]),
                    *backend_service("echo", [self.echo.ip]),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)

    def wait_route(self, generation: int, ns: str = "default", name: str = "r") -> dict:
        def accepted():
            route = self.api.get("HTTPRoute", name, ns)
            for parent in (route or {}).get("status", {}).get("parents", []):
                c = condition(parent["conditions"], "Accepted")
                if parent["controllerName"] == CONTROLLER and c and c["status"] == "True" \
                        and c["observedGeneration"] == generation:
                    return route
            return None
        return wait_until(accepted, what=f"HTTPRoute {name} Accepted at generation {generation}")

    def wait_programmed(self, name: str = "gw") -> dict:
        def programmed():
            gw = self.api.get("Gateway", name)
            c = condition(gw.get("status", {}).get("conditions", []), "Programmed")
            return gw if c and c["status"] == "True" and c["observedGeneration"] == gw["metadata"]["generation"] \
                else None
        return wait_until(programmed, what=f"Gateway {name} Programmed")

    def status_writes(self, since: int, user: str = None) -> list:
        return [r for r in self.api.requests(since)
                if r["method"] in ("PATCH", "PUT") and r["path"].endswith("/status") and (user is None or r["user"] == user)]


class TestServesAndWritesStatus(KubeModeTest):
    def test_objects_from_the_api_server_are_served_and_get_status(self):
        self.apply_world()
        self.api.apply({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                        "metadata": {"name": "other"}, "spec": {"controllerName": "other.example/controller"}})
        self.api.apply(gateway("foreign", [listener("http", 8081)], class_name="other"))
        self.gh.start()

        gw = self.wait_programmed()
        self.assertEqual(gw["status"]["addresses"], [{"type": "IPAddress", "value": self.gh.gateway_ip(1)}])
        self.assertEqual([(l["name"], l["attachedRoutes"]) for l in gw["status"]["listeners"]], [("http", 1)])
        route = self.wait_route(1)
        self.assertEqual(route["metadata"]["generation"], 1)
        self.assertEqual(condition(route["status"]["parents"][0]["conditions"], "ResolvedRefs")["status"], "True")
        res = request(self.gh.gateway_ip(1), 8080, "/hello", host="example.com")
        self.assertEqual((res.status, res.json()["pod"]), (200, "echo-1"))

        # A spec change bumps the server's generation; status follows it.
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v2")])]))
        self.wait_route(2)
        wait_until(lambda: request(self.gh.gateway_ip(1), 8080, "/hello", host="example.com").status == 404,
                   what="old path no longer routed")
        # Objects of another controller's class get no status write.
        writes = [r["path"] for r in self.status_writes(0)]
        self.assertNotIn(self.api.path("Gateway", "foreign") + "/status", writes)
        self.assertNotIn(self.api.path("GatewayClass", "other") + "/status", writes)
        self.assertIn(self.api.path("GatewayClass", "gatehouse") + "/status", writes)

    def test_other_controllers_parent_entries_are_kept(self):
        self.apply_world()
        theirs = {"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "elsewhere"},
                  "controllerName": "other.example/controller",
                  "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "theirs",
                                  "observedGeneration": 1, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
        self.api.write_status("HTTPRoute", "r", {"parents": [theirs]})
        self.gh.start()
        route = self.wait_route(1)
        parents = route["status"]["parents"]
        self.assertEqual(parents[0], theirs)
        self.assertEqual([p["controllerName"] for p in parents], ["other.example/controller", CONTROLLER])


class TestEvents(KubeModeTest):
    def test_an_invalid_object_gets_one_warning_event_and_the_rest_is_served(self):
        self.apply_world()
        bad = http_route("bad", [rule([{"name": "echo"}])])  # a Service reference needs a port
        self.api.apply(bad)
        self.gh.start()
        self.wait_route(1)
        uid = self.api.get("HTTPRoute", "bad")["metadata"]["uid"]

        def events():
            code, body = self.fake.request("GET", self.api.path("Event", ns="default"))
            return [e for e in body["items"] if e["involvedObject"]["name"] == "bad"] if code == 200 else []
        found = wait_until(events, what="Event on HTTPRoute bad")
        time.sleep(1)
        self.assertEqual(len(events()), 1)
        event = found[0]
        self.assertEqual((event["type"], event["reason"], event["source"]["component"]),
                         ("Warning", "InvalidConfiguration", "gatehouse"))
        self.assertEqual(event["involvedObject"], {"kind": "HTTPRoute", "name": "bad", "namespace": "default",
                                                   "apiVersion": "gateway.networking.k8s.io/v1", "uid": uid,
                                                   "resourceVersion": event["involvedObject"]["resourceVersion"]})
        self.assertEqual(event["message"], "spec.rules[0].backendRefs[0]: Must have port for Service reference")


class TestSteadyState(KubeModeTest):
    def test_no_requests_but_watches_and_the_lease_and_a_restart_rewrites_nothing(self):
        self.apply_world()
        self.gh.start()
        self.wait_programmed()
        before = self.wait_route(1)["status"]
        lease = self.api.path("Lease", "gatehouse-controller", "gatehouse-system")  # its discovery, before the window
        time.sleep(1)
        seq = self.api.last_seq()
        time.sleep(4)
        calls = {(r["method"], r["path"]) for r in self.api.requests(seq) if not r["watch"]}
        self.assertEqual(calls - {("GET", lease), ("PUT", lease)}, set())
        self.assertIn(("PUT", lease), calls)

        # A new instance (the old one handed the Lease over on SIGTERM) finds every status right.
        self.assertEqual(self.gh.stop(), 0)
        seq = self.api.last_seq()
        second = self.gatehouse("b", network=(self.gh.a, self.gh.b))  # the same addresses: the same statuses
        second.start()
        identity = second.identity()
        wait_until(lambda: self.api.lease_holder() == identity, what="second instance leads")
        time.sleep(2)
        self.assertEqual(self.status_writes(seq), [])
        self.assertEqual(self.api.get("HTTPRoute", "r")["status"], before)
        lease_obj = self.api.get("Lease", "gatehouse-controller", "gatehouse-system")["spec"]
        self.assertRegex(lease_obj["renewTime"], MICRO_TIME)
        self.assertRegex(lease_obj["acquireTime"], MICRO_TIME)
        self.assertEqual((lease_obj["leaseDurationSeconds"], lease_obj["leaseTransitions"]), (3, 1))


class TestWatchRecovery(KubeModeTest):
    def setUp(self):
        super().setUp()
        self.apply_world()
        self.gh.start()
        self.wait_route(1)

    def lists_since(self, seq: int, plural: str) -> list:
        return [r for r in self.api.requests(seq)
                if r["method"] == "GET" and not r["watch"] and r["path"].endswith("/" + plural)]

    def test_a_watch_that_ends_resumes_from_the_last_version_without_a_list(self):
        seq = self.api.last_seq()
        self.api.hook("close-watches")
        wait_until(lambda: any(r["watch"] and r["path"].endswith("/httproutes") for r in self.api.requests(seq)),
                   what="httproutes watch re-opened")
        resumed = [r for r in self.api.requests(seq) if r["watch"] and r["path"].endswith("/httproutes")][0]
        self.assertRegex(resumed["query"], r"resourceVersion=[1-9]")
        self.assertRegex(resumed["query"], r"allowWatchBookmarks=true")
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v2")])]))
        self.wait_route(2)
        self.assertEqual(self.lists_since(seq, "httproutes"), [])

    def test_events_split_across_chunks_are_put_back_together(self):
        self.api.hook("watch-chunks", size=7)  # every event spans several chunks, some chunks two events
        seq = self.api.last_seq()
        self.api.hook("close-watches")
        wait_until(lambda: any(r["watch"] and r["path"].endswith("/httproutes") for r in self.api.requests(seq)),
                   what="httproutes watch re-opened")
        for path, generation in (("/v2", 2), ("/v3", 3)):
            self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match(path)])]))
            self.wait_route(generation)
        self.assertEqual(request(self.gh.gateway_ip(1), 8080, "/v3", host="example.com").status, 200)
        self.assertEqual(self.lists_since(seq, "httproutes"), [])

    def expire_and_delete(self, http_410: bool):
        if http_410:
            self.api.hook("expire-mode", http=1)
        seq = self.api.last_seq()
        # Hold the route watch off for a moment, delete the route meanwhile and forget the history:
        # resuming must fail with 410, and only a new list can tell that the route is gone.
        self.api.hook("fail", verb="watch", resource="httproutes", code=500, count=4)
        self.api.hook("close-watches")
        self.api.delete("HTTPRoute", "r")
        self.api.hook("compact")
        wait_until(lambda: request(self.gh.gateway_ip(1), 8080, "/", host="example.com").status == 404,
                   what="deleted route no longer served")
        self.assertNotEqual(self.lists_since(seq, "httproutes"), [])
        codes = [r["code"] for r in self.api.requests(seq) if r["watch"] and r["path"].endswith("/httproutes")]
        self.assertEqual(codes[:4], [500] * 4)
        self.assertIn(410 if http_410 else 200, codes[4:])

    def test_410_as_an_error_event_relists_and_deletes_what_is_gone(self):
        self.expire_and_delete(http_410=False)

    def test_410_as_an_http_status_relists_and_deletes_what_is_gone(self):
        self.expire_and_delete(http_410=True)

    def test_outage_keeps_traffic_and_a_later_change_is_applied(self):
        self.api.hook("outage", seconds=30)
        for _ in range(5):
            res = request(self.gh.gateway_ip(1), 8080, "/", host="example.com")
            self.assertEqual(res.status, 200)
            time.sleep(0.5)
        self.api.hook("outage", seconds=0)
        changed = time.monotonic()
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v2")])]))
        wait_until(lambda: request(self.gh.gateway_ip(1), 8080, "/", host="example.com").status == 404,
                   timeout=20, what="change after the outage served")
        self.assertLess(time.monotonic() - changed, 20)
        self.wait_route(2)

    def test_a_conflict_rereads_the_status_and_writes_again(self):
        seq = self.api.last_seq()
        self.api.hook("fail", verb="patch", resource="gateways", subresource="status", code=409, count=1)
        self.api.apply(gateway("gw", [listener("http", 8080), listener("other", 8082)]))
        gw = wait_until(lambda: (g := self.api.get("Gateway", "gw")) and len(g["status"].get("listeners", [])) == 2
                        and g, what="Gateway status with two listeners")
        self.assertEqual(condition(gw["status"]["conditions"], "Programmed")["observedGeneration"], 2)
        status_path = self.api.path("Gateway", "gw") + "/status"
        # The fake logs a request once it has answered it: wait for the log to catch up.
        calls = wait_until(lambda: (c := [(r["method"], r["code"]) for r in self.api.requests(seq)
                                          if r["path"] == status_path]) and c[-1] == ("PATCH", 200) and c,
                           what="status write logged")
        self.assertEqual(calls, [("PATCH", 409), ("GET", 200), ("PATCH", 200)])


class TestLeaderElection(KubeModeTest):
    def test_only_the_leader_writes_and_a_follower_takes_over(self):
        self.apply_world()
        self.gh.start()
        first = self.gh.identity()
        wait_until(lambda: self.api.lease_holder() == first, what="first instance leads")
        self.wait_route(1)
        # The second instance authenticates with a client certificate: its writes are told apart by user.
        second = self.gatehouse("b", os.path.join(self.fake.state_dir, "kubeconfig-client-cert"))
        second.start()
        seq = self.api.last_seq()
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v2")])]))
        self.wait_route(2)
        self.assertEqual({r["user"] for r in self.status_writes(seq)}, {"admin"})
        res = request(second.gateway_ip(1), 8080, "/v2", host="example.com")
        self.assertEqual(res.status, 200)  # a follower serves traffic all the same

        self.gh.stop("KILL")  # no hand-over: the Lease must expire first
        wait_until(lambda: self.api.lease_holder() == second.identity(), timeout=WAIT, what="follower takes over")
        seq = self.api.last_seq()
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v3")])]))
        self.wait_route(3)
        self.assertEqual({r["user"] for r in self.status_writes(seq)}, {"admin-cert"})


class TestMissingKinds(KubeModeTest):
    crds = tuple(crd_files("gatewayclasses", "gateways", "httproutes"))

    def test_kinds_without_a_crd_are_skipped_with_one_line(self):
        self.apply_world()
        self.gh.start()
        self.wait_route(1)
        log = self.gh.log()
        for kind in ("GRPCRoute", "TLSRoute", "ReferenceGrant", "BackendTLSPolicy", "ListenerSet"):
            self.assertEqual(log.count(f"does not serve {kind} "), 1, log)
        self.assertNotIn("does not serve HTTPRoute", log)


class TestCredentials(KubeModeTest):
    def test_a_server_certificate_the_ca_does_not_sign_is_refused(self):
        other = start_fake()
        self.addCleanup(other.stop)
        # This server's address with the other server's CA.
        with open(self.fake.kubeconfig) as f:
            config = f.read()
        with open(other.kubeconfig) as f:
            other_ca = re.search(r"certificate-authority-data: (\S+)", f.read()).group(1)
        bad = os.path.join(self.gh.tmp, "kubeconfig")
        with open(bad, "w") as f:
            f.write(re.sub(r"certificate-authority-data: \S+", "certificate-authority-data: " + other_ca, config))
        gh = self.gatehouse("bad-ca", bad)
        seq = self.api.last_seq()
        gh.start(wait_ready=False)
        wait_until(lambda: "certificate not trusted" in gh.log(), what="TLS verification error logged")
        self.assertFalse(gh.ready())
        self.assertEqual(self.api.requests(seq), [])  # not one request sent over the untrusted connection


if __name__ == "__main__":
    unittest.main()
