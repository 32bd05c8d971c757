"""`gatehouse explain` through the real binary on examples/explain and examples/quickstart: why a
route is or is not attached (listener by listener, the spec's reason names, shadowed rules), and
where a request goes and why every other candidate lost. The command reads files (or, with
--kubernetes, lists the fake API server: the same answers, and not one write) and prints; it
serves nothing, so nothing here waits on time.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_explain.py
"""

import json
import os
import subprocess
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import BIN, ROOT  # noqa: E402
from kube_harness import Api, start_fake  # noqa: E402

SHOP = os.path.join(ROOT, "examples", "explain")
QUICKSTART = os.path.join(ROOT, "examples", "quickstart")

WEB = ("  listener web of Gateway infra/shop: HTTP port 8080, hostname *.shop.test; routes from All, "
       "kinds HTTPRoute, GRPCRoute\n")
ADMIN = ("  listener admin of Gateway infra/shop: HTTP port 9090, hostname admin.shop.test; routes from Same (infra), "
         "kinds HTTPRoute, GRPCRoute\n")
ADMIN_REFUSES = ADMIN + "    NotAllowedByListeners: namespace shop is not allowed by Same (infra)\n"


def explain(*args):
    # Generous: a sanitizer build on a loaded machine; the command itself takes milliseconds.
    return subprocess.run([BIN, "explain", *args], capture_output=True, text=True, timeout=120)


class ExplainRouteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")

    def test_attached_route_with_a_shadowed_rule(self):
        run = explain(SHOP, "shop/storefront")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, (
            "HTTPRoute shop/storefront, generation 1, hostnames: www.shop.test\n"
            "parentRef Gateway infra/shop:\n"
            + WEB + "    Attached: serves www.shop.test\n"
            + ADMIN_REFUSES +
            "  Accepted True Accepted: Accepted by infra/shop\n"
            "  ResolvedRefs True ResolvedRefs: All references resolved\n"
            "  gatehouse.dev/Shadowed True Shadowed: rule products is shadowed by shop/storefront rule pages\n"))

    def test_section_name_and_allowed_namespaces_refuse(self):
        run = explain(SHOP, "HTTPRoute/shop/admin")
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual(run.stdout, (
            "HTTPRoute shop/admin, generation 1, hostnames: any\n"
            "parentRef Gateway infra/shop sectionName admin:\n"
            + WEB + "    NoMatchingParent: the parentRef's sectionName is admin\n"
            + ADMIN_REFUSES +
            "  Accepted False NotAllowedByListeners: no listener of the parent allows this route\n"
            "  ResolvedRefs True ResolvedRefs: All references resolved\n"))

    def test_hostnames_that_no_listener_takes(self):
        run = explain(SHOP, "shop/old-domain")
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual(run.stdout, (
            "HTTPRoute shop/old-domain, generation 1, hostnames: shop.example.com\n"
            "parentRef Gateway infra/shop:\n"
            + WEB + "    NoMatchingListenerHostname: the route's hostnames (shop.example.com) do not intersect "
            "*.shop.test\n"
            + ADMIN_REFUSES +
            "  Accepted False NoMatchingListenerHostname: no listener hostname intersects the route's\n"
            "  ResolvedRefs True ResolvedRefs: All references resolved\n"))

    def test_json_carries_listeners_and_conditions(self):
        run = explain(SHOP, "shop/cart-beta", "-o", "json")
        self.assertEqual(run.returncode, 0, run.stderr)
        out = json.loads(run.stdout)
        self.assertEqual(out["route"], {"kind": "HTTPRoute", "namespace": "shop", "name": "cart-beta"})
        parent = out["parents"][0]
        self.assertEqual(parent["parentRef"], {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                               "namespace": "infra", "name": "shop"})
        self.assertEqual([(l["name"], l["outcome"], l["hostnames"]) for l in parent["listeners"]],
                         [("web", "Attached", ["www.shop.test"]), ("admin", "NotAllowedByListeners", [])])
        self.assertEqual(parent["listeners"][0]["namespaces"], "All")
        self.assertEqual(parent["listeners"][1]["namespaces"], "Same (infra)")
        self.assertEqual([(c["type"], c["status"], c["reason"], c["message"]) for c in parent["conditions"]], [
            ("Accepted", "True", "Accepted", "Accepted by infra/shop"),
            ("ResolvedRefs", "True", "ResolvedRefs", "All references resolved"),
            ("gatehouse.dev/Shadowed", "True", "Shadowed", "rule everyone is shadowed by shop/storefront rule cart"),
        ])

    def test_unknown_route_is_a_usage_error(self):
        run = explain(SHOP, "shop/nope")
        self.assertEqual((run.returncode, run.stdout), (2, ""))
        self.assertEqual(run.stderr, "explain: no route shop/nope (give [KIND/][NAMESPACE/]NAME)\n")


class ExplainRequestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")

    def test_older_route_wins_a_tie_and_a_header_match_is_missed(self):
        run = explain(SHOP, "--request", "GET http://www.shop.test:8080/cart/items")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, (
            "gateway: infra/shop\n"
            "listener: web\n"
            "route: HTTPRoute/shop/storefront\n"
            "rule: cart\n"
            "backend: shop/cart:80\n"
            "not matched: HTTPRoute/shop/cart-beta rule beta (PathPrefix /cart, header x-beta=1, www.shop.test): "
            "header x-beta does not match\n"
            "lost: HTTPRoute/shop/cart-beta rule everyone (PathPrefix /cart, www.shop.test): "
            "older route (created 2026-01-01T00:00:00Z before 2026-02-01T00:00:00Z)\n"
            "lost: HTTPRoute/shop/storefront rule pages (PathPrefix /, www.shop.test): "
            "longer PathPrefix path (5 over 1 characters)\n"))

    def test_a_header_given_with_h_wins_by_more_header_matches(self):
        run = explain(SHOP, "--request", "GET http://www.shop.test:8080/cart/items", "-H", "X-Beta: 1")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, (
            "gateway: infra/shop\n"
            "listener: web\n"
            "route: HTTPRoute/shop/cart-beta\n"
            "rule: beta\n"
            "backend: shop/cart-next:80\n"
            "lost: HTTPRoute/shop/storefront rule cart (PathPrefix /cart, www.shop.test): more header matches (1 over 0)\n"
            "lost: HTTPRoute/shop/cart-beta rule everyone (PathPrefix /cart, www.shop.test): "
            "more header matches (1 over 0)\n"
            "lost: HTTPRoute/shop/storefront rule pages (PathPrefix /, www.shop.test): "
            "longer PathPrefix path (5 over 1 characters)\n"))

    def test_json_of_a_pattern_that_loses_to_a_prefix(self):
        run = explain(SHOP, "--request", "GET http://www.shop.test:8080/product/12", "-o", "json")
        self.assertEqual(run.returncode, 0, run.stderr)
        out = json.loads(run.stdout)
        self.assertEqual((out["gateway"], out["listener"], out["route"], out["rule"], out["backends"]),
                         ("infra/shop", "web", "HTTPRoute/shop/storefront", "pages",
                          [{"backend": "shop/storefront:80", "weight": 1}]))
        self.assertEqual(out["lost"], [{"route": "HTTPRoute/shop/storefront", "rule": "products",
                                        "match": "RegularExpression /product/[0-9]+", "hostname": "www.shop.test",
                                        "reason": "PathPrefix path over RegularExpression path"}])
        self.assertEqual([(c["rule"], c["reason"]) for c in out["notMatched"]],
                         [("beta", "path does not match"), ("cart", "path does not match"),
                          ("everyone", "path does not match")])

    def test_listener_without_a_route_for_the_host(self):
        run = explain(SHOP, "--request", "GET http://admin.shop.test:9090/")
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual(run.stdout, "gateway: infra/shop\nlistener: admin\nroute: none\n"
                                     "the listener has no routes for host admin.shop.test\n")

    def test_no_listener_takes_the_host(self):
        run = explain(SHOP, "--request", "GET http://shop.example.com:8080/")
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual(run.stdout, "gateway: none\nlistener: none\nroute: none\n"
                                     "no listener on port 8080 takes host shop.example.com\n")

    def test_weighted_backends_of_the_quickstart(self):
        run = explain(QUICKSTART, "--request", "GET http://www.example.test:8080/")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, (
            "gateway: default/quickstart\n"
            "listener: http\n"
            "route: HTTPRoute/default/www\n"
            "rule: 0\n"
            "backend: default/echo-v1:80 (weight 80 of 100)\n"
            "backend: default/echo-v2:80 (weight 20 of 100)\n"
            "not matched: HTTPRoute/default/www rule 2 (PathPrefix /api, header x-version=2, www.example.test): "
            "path does not match\n"
            "not matched: HTTPRoute/default/www rule 1 (PathPrefix /old, www.example.test): path does not match\n"))

    def test_malformed_request_line_is_a_usage_error(self):
        run = explain(SHOP, "--request", "GET www.shop.test/")
        self.assertEqual((run.returncode, run.stdout), (2, ""))
        self.assertEqual(run.stderr,
                         "explain: give the request as 'METHOD http://host[:port]/path', not 'GET www.shop.test/'\n")


class ExplainKubernetesTest(unittest.TestCase):
    """examples/quickstart created in the fake API server: `explain --kubernetes` answers exactly
    as `explain DIR` does on the same manifests, and only reads."""

    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")
        cls.fake = start_fake()
        cls.addClassCleanup(cls.fake.stop)
        cls.api = Api(cls.fake)
        for name in sorted(os.listdir(QUICKSTART)):
            with open(os.path.join(QUICKSTART, name)) as f:
                for doc in yaml.safe_load_all(f):
                    if doc:
                        cls.api.apply(doc)

    def kube(self, *args):
        return explain("--kubernetes", "--kubeconfig", self.fake.kubeconfig, *args)

    def test_same_answers_as_from_the_files(self):
        for args in (["www"], ["HTTPRoute/default/secure-redirect"], ["default/secure"],
                     ["--request", "GET http://www.example.test:8080/api"],
                     ["--request", "GET http://secure.example.test:8080/", "-o", "json"]):
            with self.subTest(args=args):
                from_files, from_cluster = explain(QUICKSTART, *args), self.kube(*args)
                self.assertEqual(from_cluster.returncode, 0, from_cluster.stderr)
                self.assertEqual(from_cluster.stdout, from_files.stdout)
                self.assertEqual(from_cluster.stderr, "")

    def test_reads_only(self):
        since = self.api.last_seq()
        self.assertEqual(self.kube("www").returncode, 0)
        methods = {r["method"] for r in self.api.requests(since)}
        self.assertEqual(methods, {"GET"})
        self.assertFalse([r for r in self.api.requests(since) if "/leases" in r["path"]])

    def test_unknown_route_and_usage_errors(self):
        run = self.kube("default/nope")
        self.assertEqual((run.returncode, run.stdout), (2, ""))
        self.assertEqual(run.stderr, "explain: no route default/nope (give [KIND/][NAMESPACE/]NAME)\n")
        both = explain("--kubernetes", QUICKSTART, "www")
        self.assertEqual((both.returncode, both.stderr),
                         (2, "explain: give a manifest directory, or --kubernetes (not both)\n"))

    def test_unreachable_api_server_is_an_error(self):
        kubeconfig = os.path.join(self.fake.state_dir, "kubeconfig-unreachable")
        with open(self.fake.kubeconfig) as f:
            config = yaml.safe_load(f)
        config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
        with open(kubeconfig, "w") as f:
            yaml.safe_dump(config, f)
        run = explain("--kubernetes", "--kubeconfig", kubeconfig, "www")
        self.assertEqual((run.returncode, run.stdout), (2, ""))
        self.assertIn("explain: kubernetes: the API server did not complete a listing within 30 s\n", run.stderr)


if __name__ == "__main__":
    unittest.main()
