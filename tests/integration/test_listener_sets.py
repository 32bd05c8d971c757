"""ListenerSets through the real binary: a team's namespace adds a listener (a new port) to a shared
Gateway that allows it by label, routes attach to the ListenerSet, a ListenerSet from a namespace
the Gateway does not select is NotAllowed and serves nothing, a listener that clashes with the
Gateway's is Conflicted while its siblings serve, a RateLimitPolicy on one listener of the set limits
that listener only, and removing the ListenerSet closes its port.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_listener_sets.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, backend_ref, backend_service, condition, gateway, gateway_address,
    gateway_class, http_route, listener, request, rule, wait_until)
from policy_helpers import rate_limit_policy, target  # noqa: E402

GATEWAY_PORT = 8080
SET_PORT = 8090
OTHER_SET_PORT = 8091


def namespace(name, labels=None):
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def listener_set(name, ns, listeners, parent="gw", parent_ns="default"):
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "ListenerSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRef": {"name": parent, "namespace": parent_ns}, "listeners": listeners}}


def set_parent(name, ns, section=None):
    out = {"group": GATEWAY_GROUP, "kind": "ListenerSet", "name": name, "namespace": ns}
    if section:
        out["sectionName"] = section
    return out


class ListenerSetTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo_gw = gh.start_echo("echo-gw")
        cls.echo_team = gh.start_echo("echo-team", ns="team-a")
        gw = gateway("gw", [listener("http", GATEWAY_PORT, hostname="gw.example.com", allowed_from="All")])
        gw["spec"]["allowedListeners"] = {"namespaces": {"from": "Selector",
                                                         "selector": {"matchLabels": {"listeners": "allowed"}}}}
        gh.write("00-infra.yaml", [
            gateway_class(), gw,
            namespace("team-a", {"listeners": "allowed"}), namespace("team-b"),
            *backend_service("echo-gw", [cls.echo_gw.ip]),
            *backend_service("echo-team", [cls.echo_team.ip], ns="team-a"),
        ])
        gh.write("10-sets.yaml", [
            listener_set("team-a", "team-a", [
                listener("app", SET_PORT, hostname="app.team-a.example.com"),
                listener("api", SET_PORT, hostname="api.team-a.example.com"),
                # Same port, protocol and hostname as the Gateway's listener: the Gateway's wins.
                listener("clash", GATEWAY_PORT, hostname="gw.example.com"),
            ]),
            listener_set("team-b", "team-b", [listener("web", OTHER_SET_PORT)]),
        ])
        gh.write("20-routes.yaml", [
            http_route("gw-route", parents=[{"name": "gw"}], rules=[rule([backend_ref("echo-gw")])]),
            http_route("team-route", ns="team-a", parents=[set_parent("team-a", "team-a")],
                       rules=[rule([backend_ref("echo-team")])]),
            http_route("api-only", ns="team-a", parents=[set_parent("team-a", "team-a", "api")],
                       hostnames=["api.team-a.example.com"],
                       rules=[rule([backend_ref("echo-team")], matches=[
                           {"path": {"type": "PathPrefix", "value": "/api"}}])]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def served_by(self, port, host, path="/"):
        res = request(self.ip, port, path, host=host)
        return res.status, (res.json()["pod"] if res.status == 200 else None)

    def test_allowed_listener_set_serves_its_routes_on_its_port(self):
        wait_until(lambda: self.served_by(SET_PORT, "app.team-a.example.com") == (200, "echo-team"),
                   what="team-a listener serving")
        self.assertEqual(self.served_by(SET_PORT, "api.team-a.example.com"), (200, "echo-team"))
        # The Gateway-only route is not on the ListenerSet's listeners, nor the reverse.
        self.assertEqual(self.served_by(GATEWAY_PORT, "gw.example.com"), (200, "echo-gw"))
        self.assertEqual(request(self.ip, SET_PORT, "/", host="gw.example.com").status, 404)

    def test_listener_set_status_and_gateway_count(self):
        ls = self.gh.find("ListenerSet", "team-a", "team-a")
        conditions = ls["status"]["conditions"]
        self.assertEqual(condition(conditions, "Accepted")["status"], "True")
        self.assertEqual(condition(conditions, "Accepted")["reason"], "ListenersNotValid")
        self.assertEqual(condition(conditions, "Programmed")["reason"], "Programmed")
        by_name = {l["name"]: l for l in ls["status"]["listeners"]}
        self.assertEqual(list(by_name), ["app", "api", "clash"])
        self.assertEqual(by_name["app"]["attachedRoutes"], 1)
        self.assertEqual(by_name["api"]["attachedRoutes"], 2)
        self.assertEqual(by_name["app"]["supportedKinds"],
                         [{"group": GATEWAY_GROUP, "kind": "HTTPRoute"}, {"group": GATEWAY_GROUP, "kind": "GRPCRoute"}])
        clash = {c["type"]: (c["status"], c["reason"]) for c in by_name["clash"]["conditions"]}
        self.assertEqual(clash["Conflicted"], ("True", "HostnameConflict"))
        self.assertEqual(clash["Accepted"], ("False", "HostnameConflict"))
        gw = self.gh.find("Gateway", "gw")
        self.assertEqual(gw["status"]["attachedListenerSets"], 1)
        self.assertEqual([l["name"] for l in gw["status"]["listeners"]], ["http"])
        self.assertEqual(condition(gw["status"]["conditions"], "Accepted")["reason"], "Accepted")

    def test_rate_limit_on_one_listener_of_the_set(self):
        wait_until(lambda: self.served_by(SET_PORT, "app.team-a.example.com") == (200, "echo-team"),
                   what="team-a listener serving")
        self.gh.write("30-policies.yaml", [rate_limit_policy(
            "api-listener", [target("ListenerSet", "team-a", "api")], requests=2, window="1m", ns="team-a")])
        self.gh.sync()
        (ancestor,) = self.gh.find("RateLimitPolicy", "api-listener", "team-a")["status"]["ancestors"]
        self.assertEqual(ancestor["ancestorRef"], set_parent("team-a", "team-a", "api"))
        self.assertEqual(condition(ancestor["conditions"], "Accepted")["status"], "True")
        # The bucket is the listener's: two pass, the third is limited; the set's other listener is not.
        statuses = [request(self.ip, SET_PORT, "/", host="api.team-a.example.com").status for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])
        limited = request(self.ip, SET_PORT, "/", host="api.team-a.example.com")
        self.assertEqual(limited.header("RateLimit-Policy"), '"api-listener";q=2;w=60')
        for _ in range(4):
            self.assertEqual(self.served_by(SET_PORT, "app.team-a.example.com"), (200, "echo-team"))

    def test_route_parent_status_names_the_listener_set(self):
        route = self.gh.find("HTTPRoute", "api-only", "team-a")
        (parent,) = route["status"]["parents"]
        self.assertEqual(parent["parentRef"], set_parent("team-a", "team-a", "api"))
        self.assertEqual(condition(parent["conditions"], "Accepted")["status"], "True")

    def test_listener_set_from_unselected_namespace_is_not_allowed(self):
        ls = self.gh.find("ListenerSet", "team-b", "team-b")
        for type_ in ("Accepted", "Programmed"):
            c = condition(ls["status"]["conditions"], type_)
            self.assertEqual((c["status"], c["reason"]), ("False", "NotAllowed"))
        self.assertEqual(ls["status"]["listeners"], [])
        with self.assertRaises(OSError):
            request(self.ip, OTHER_SET_PORT, "/", host="x.example.com")

    def test_z_removing_the_listener_set_closes_its_port(self):
        # Runs last (name order): it removes the ListenerSets for good.
        self.gh.delete("10-sets.yaml")
        self.assertIsNone(self.gh.find("ListenerSet", "team-a", "team-a"))

        def closed():
            try:
                request(self.ip, SET_PORT, "/", host="app.team-a.example.com")
                return False
            except OSError:
                return True

        wait_until(closed, what="ListenerSet port closed")
        self.assertEqual(self.served_by(GATEWAY_PORT, "gw.example.com"), (200, "echo-gw"))
        route = self.gh.find("HTTPRoute", "team-route", "team-a")
        self.assertNotIn("status", route)  # its only parent is gone: no longer ours


if __name__ == "__main__":
    unittest.main()
