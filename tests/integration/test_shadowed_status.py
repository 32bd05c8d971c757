"""The gatehouse.dev/Shadowed route parent condition on a running instance: set on the rule that
can never receive traffic (naming the winner), with the route's generation, kept beside the
conditions the spec requires, and gone once the winner is deleted, although the shadowed route
itself did not change. Traffic confirms the winner serves.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_shadowed_status.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, condition, gateway, gateway_address, gateway_class, http_route,
    listener, path_match, request, rule, wait_until)

PORT = 8080
SHADOWED = "gatehouse.dev/Shadowed"


class ShadowedStatusTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.old = gh.start_echo("old")
        cls.new = gh.start_echo("new")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("old", [cls.old.ip]),
            *backend_service("new", [cls.new.ip]),
        ])
        cls.old_route = http_route("old", [rule([backend_ref("old")], [path_match("/shop")])],
                                   hostnames=["shop.example.com"], created="2026-01-01T00:00:00Z")
        gh.write("10-old.yaml", [cls.old_route])
        gh.write("20-new.yaml", [http_route("new", [
            rule([backend_ref("new")], [path_match("/shop/v2")]),
            rule([backend_ref("new")], [path_match("/shop")]),
        ], hostnames=["shop.example.com"], created="2026-01-02T00:00:00Z")])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def parent_conditions(self, name):
        route = self.gh.find("HTTPRoute", name)
        return route["status"]["parents"][0]["conditions"] if route and "status" in route else []

    def test_shadowed_condition_names_the_winner_and_leaves_the_others(self):
        self.gh.wait_status(lambda _: condition(self.parent_conditions("new"), SHADOWED), what="new shadowed")
        conditions = self.parent_conditions("new")
        shadowed = condition(conditions, SHADOWED)
        self.assertEqual((shadowed["status"], shadowed["reason"], shadowed["message"], shadowed["observedGeneration"]),
                         ("True", "Shadowed", "rule 1 is shadowed by default/old rule 0", 1))
        self.assertCondition(conditions, "Accepted", "True", "Accepted", 1)
        self.assertCondition(conditions, "ResolvedRefs", "True", "ResolvedRefs", 1)
        self.assertIsNone(condition(self.parent_conditions("old"), SHADOWED))
        # The winner serves /shop; the unshadowed rule of "new" serves /shop/v2.
        wait_until(lambda: request(self.ip, PORT, "/shop", "shop.example.com").json().get("pod") == "old",
                   what="/shop served by old")
        self.assertEqual(request(self.ip, PORT, "/shop/v2", "shop.example.com").json()["pod"], "new")

    def test_condition_goes_when_the_winner_is_deleted(self):
        self.gh.wait_status(lambda _: condition(self.parent_conditions("new"), SHADOWED), what="new shadowed")
        self.gh.delete("10-old.yaml")
        self.addCleanup(self.gh.apply, "10-old.yaml", [self.old_route])  # the other test needs it
        self.gh.wait_status(lambda _: self.gh.find("HTTPRoute", "old") is None
                            and condition(self.parent_conditions("new"), SHADOWED) is None,
                            what="new no longer shadowed")
        self.assertCondition(self.parent_conditions("new"), "Accepted", "True", "Accepted", 1)
        wait_until(lambda: request(self.ip, PORT, "/shop", "shop.example.com").json().get("pod") == "new",
                   what="/shop served by new")


if __name__ == "__main__":
    unittest.main()
