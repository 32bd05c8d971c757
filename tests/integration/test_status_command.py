"""`gatehouse status`: a running instance's objects and config errors read from its admin API, a
line per object like `validate` (route parents and Gateway listeners with their conditions), the
full statuses and errors with -o json|yaml, and exit status 2 when nothing answers.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_status_command.py
"""

import json
import os
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    BIN, GatehouseTestCase, backend_ref, backend_service, gateway, gateway_class, http_route, listener, path_match,
    rule, run_tool)


class StatusCommandTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [gateway_class(), gateway("gw", [listener("http", 8080)]),
                                   *backend_service("echo", [cls.echo.ip])])
        gh.write("10-route.yaml", [http_route("shop", [rule([backend_ref("echo")], [path_match("/")])],
                                              hostnames=["shop.example.com"]),
                                   http_route("lost", [rule([backend_ref("missing")])], hostnames=["lost.example.com"])])
        gh.sync()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # After configure(): the harness refuses configuration errors there.
        with open(cls.gh.path("20-bad.yaml"), "w") as f:
            f.write("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad}\n"
                    "spec: {parentRefs: [{name: gw}], rules: [{matches: [{path: {type: Exact, value: nope}}]}]}\n")
        cls.gh.sync()

    def status(self, *args):
        return run_tool([BIN, "status", "--admin-address", "%s:%d" % self.gh.admin, *args], timeout=60)

    def test_a_line_per_object_then_the_errors(self):
        run = self.status()
        self.assertEqual((run.returncode, run.stderr), (0, b""))
        lines = run.stdout.decode().splitlines()
        self.assertEqual(lines[:5], [
            "Gateway/default/gw: Accepted, Programmed",
            "  listener http: Accepted, Programmed, ResolvedRefs; 2 routes",
            "GatewayClass/gatehouse: Accepted",
            "HTTPRoute/default/lost: Gateway default/gw: Accepted, ResolvedRefs False (BackendNotFound: "
            "Service default/missing does not exist)",
            "HTTPRoute/default/shop: Gateway default/gw: Accepted, ResolvedRefs",
        ])
        self.assertEqual(len(lines), 6, lines)
        self.assertTrue(lines[5].startswith("error: ") and "20-bad.yaml: HTTPRoute/default/bad: " in lines[5], lines)

    def test_json_and_yaml_give_the_full_statuses_and_errors(self):
        as_json = json.loads(self.status("-o", "json").stdout)
        self.assertEqual(as_json, yaml.safe_load(self.status("-o", "yaml").stdout))
        self.assertEqual(sorted(as_json["statuses"]), ["Gateway/default/gw", "GatewayClass/gatehouse",
                                                       "HTTPRoute/default/lost", "HTTPRoute/default/shop"])
        self.assertEqual(as_json["statuses"]["HTTPRoute/default/shop"], self.gh.find("HTTPRoute", "shop")["status"])
        self.assertEqual([e["object"] for e in as_json["errors"]], ["HTTPRoute/default/bad"])

    def test_nothing_listening_is_exit_status_2(self):
        run = run_tool([BIN, "status", "--admin-address", "127.0.0.1:1"], timeout=60)
        self.assertEqual(run.returncode, 2)
        self.assertIn(b"status: 127.0.0.1:1/status: ", run.stderr)


if __name__ == "__main__":
    unittest.main()
