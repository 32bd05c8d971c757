"""`gatehouse validate DIR`'s default output: a human summary, one line per object with its
Accepted, Programmed and ResolvedRefs (the reason and message when not True) and shadowed rules,
a line per listener and per route parent, then every configuration error and a count; `-o json`
and `-o yaml` give the full statuses (tests/integration/test_status.py checks the JSON).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_validate_summary.py
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import BIN, ROOT  # noqa: E402

SHOP = os.path.join(ROOT, "examples", "explain")


def validate(*args):
    # Generous: a sanitizer build on a loaded machine; the command itself takes milliseconds.
    return subprocess.run([BIN, "validate", *args], capture_output=True, text=True, timeout=120)


class ValidateSummaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")

    def test_summary_of_the_explain_example(self):
        run = validate(SHOP)
        self.assertEqual((run.returncode, run.stderr), (1, ""))
        self.assertEqual(run.stdout, EXPECTED_SHOP_SUMMARY)

    def test_errors_follow_the_objects(self):
        directory = tempfile.mkdtemp(prefix="gatehouse-itest-validate-")
        self.addCleanup(shutil.rmtree, directory, True)
        with open(os.path.join(directory, "bad.yaml"), "w") as f:
            f.write("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gatehouse}\n"
                    "spec: {controllerName: gatehouse.dev/gateway-controller}\n---\n"
                    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
                    "spec: {gatewayClassName: gatehouse, listeners: [{name: http, port: 0, protocol: HTTP}]}\n")
        run = validate(directory)
        self.assertEqual(run.returncode, 1, run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[0], "GatewayClass/gatehouse: Accepted")
        self.assertTrue(lines[1].startswith(f"error: {os.path.join(directory, 'bad.yaml')}: Gateway/default/gw: "
                                            "spec.listeners[0].port: "), lines)
        self.assertEqual(lines[2:], ["1 files, 1 errors, something is not accepted"])

    def test_yaml_output_is_the_json_statuses(self):
        as_yaml = validate(SHOP, "-o", "yaml")
        as_json = validate(SHOP, "-o", "json")
        self.assertEqual((as_yaml.returncode, as_json.returncode), (1, 1))
        self.assertEqual(yaml.safe_load(as_yaml.stdout), yaml.safe_load(as_json.stdout))
        self.assertIn("HTTPRoute/shop/storefront", yaml.safe_load(as_yaml.stdout)["statuses"])


EXPECTED_SHOP_SUMMARY = (
    "Gateway/infra/shop: Accepted, Programmed\n"
    "  listener web: Accepted, Programmed, ResolvedRefs; 2 routes\n"
    "  listener admin: Accepted, Programmed, ResolvedRefs; 0 routes\n"
    "GatewayClass/gatehouse: Accepted\n"
    "HTTPRoute/shop/admin: Gateway infra/shop sectionName admin: Accepted False (NotAllowedByListeners: no listener "
    "of the parent allows this route), ResolvedRefs\n"
    "HTTPRoute/shop/cart-beta: Gateway infra/shop: Accepted, ResolvedRefs, Shadowed (rule everyone is shadowed by "
    "shop/storefront rule cart)\n"
    "HTTPRoute/shop/old-domain: Gateway infra/shop: Accepted False (NoMatchingListenerHostname: no listener hostname "
    "intersects the route's), ResolvedRefs\n"
    "HTTPRoute/shop/storefront: Gateway infra/shop: Accepted, ResolvedRefs, Shadowed (rule products is shadowed by "
    "shop/storefront rule pages)\n"
    "3 files, 0 errors, something is not accepted\n")

if __name__ == "__main__":
    unittest.main()
