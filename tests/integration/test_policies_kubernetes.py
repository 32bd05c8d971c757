"""Gatehouse's policies in Kubernetes mode, against the fake API server with the CRDs of
deploy/crds/ installed: the API server validates them with their OpenAPI schema, gatehouse serves
them (a rate limit's exact burst, a fault's abort), writes their status.ancestors through the
status subresource, and reports TargetNotFound until the target exists."""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (CONTROLLER, EchoBackend, backend_ref, backend_service, condition,  # noqa: E402
                               gateway, gateway_class, http_route, listener, path_match, request, rule, wait_until)
from kube_harness import Api, KubeGatehouse, crd_files, gatehouse_crd_files, start_fake  # noqa: E402
from policy_helpers import fault_injection_policy, limit, rate_limit_policy, target  # noqa: E402

HOST = "limited.example.com"


class PoliciesKubernetesTest(unittest.TestCase):
    def setUp(self):
        self.fake = start_fake(*crd_files(), *gatehouse_crd_files())
        self.addCleanup(self.fake.stop)
        self.api = Api(self.fake)
        self.gh = KubeGatehouse(f"{self.id()}.a", self.fake.kubeconfig)
        self.addCleanup(lambda: shutil.rmtree(self.gh.tmp, ignore_errors=True))
        self.addCleanup(self.gh.finish)
        self.echo = EchoBackend(self.gh.backend_ip(1), "echo-1", "default", self.gh.tmp)
        self.addCleanup(self.echo.stop)

    def accepted_ancestor(self, kind: str, name: str, reason: str = "Accepted") -> dict:
        def reported():
            policy = self.api.get(kind, name) or {}
            for ancestor in policy.get("status", {}).get("ancestors", []):
                c = condition(ancestor["conditions"], "Accepted")
                if ancestor["controllerName"] == CONTROLLER and c and c["reason"] == reason:
                    return ancestor
            return None
        return wait_until(reported, what=f"{kind} {name} {reason}")

    def test_policies_from_the_api_server_are_served_and_get_status(self):
        for obj in [gateway_class(), gateway("gw", [listener("http", 8080)]),
                    *backend_service("echo", [self.echo.ip]),
                    rate_limit_policy("burst", [target("HTTPRoute", "limited", "burst")], 3, "1h"),
                    fault_injection_policy("teapot", [target("HTTPRoute", "limited", "teapot")],
                                           abort={"httpStatus": 418})]:
            self.api.apply(obj)
        self.gh.start()
        missing = self.accepted_ancestor("RateLimitPolicy", "burst", "TargetNotFound")
        self.assertEqual(condition(missing["conditions"], "Accepted")["message"], "HTTPRoute default/limited not found")

        self.api.apply(http_route("limited", [dict(rule([backend_ref("echo")], [path_match("/burst")]), name="burst"),
                                              dict(rule([backend_ref("echo")], [path_match("/teapot")]), name="teapot")],
                                  hostnames=[HOST]))
        ancestor = self.accepted_ancestor("RateLimitPolicy", "burst")
        self.assertEqual(ancestor["ancestorRef"], {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                                   "namespace": "default", "name": "limited", "sectionName": "burst"})
        self.assertEqual(condition(ancestor["conditions"], "Accepted")["observedGeneration"], 1)
        self.accepted_ancestor("FaultInjectionPolicy", "teapot")

        ip = self.gh.gateway_ip(1)
        wait_until(lambda: request(ip, 8080, "/teapot", host=HOST).status == 418, what="the route live")
        codes = [request(ip, 8080, "/burst", host=HOST).status for _ in range(5)]
        self.assertEqual(codes, [200, 200, 200, 429, 429])

    def test_the_api_server_refuses_what_the_schema_refuses(self):
        bad = rate_limit_policy("bad", [target("HTTPRoute", "limited")], 0, "1m")
        code, body = self.fake.request("POST", self.api.path("RateLimitPolicy"), bad)
        self.assertEqual(code, 422, body)
        self.assertIn("spec.local.requests", str(body))
        bad_mode = rate_limit_policy("bad-mode", [target("HTTPRoute", "limited")],
                                     global_limit=limit(5, "1m", failureMode="Sometimes"))
        code, body = self.fake.request("POST", self.api.path("RateLimitPolicy"), bad_mode)
        self.assertEqual(code, 422, body)
        self.assertIn("spec.global.failureMode", str(body))
        good = rate_limit_policy("global", [target("HTTPRoute", "limited")], 10, "1m",
                                 global_limit=limit(100, "1h", key={"type": "ClientAddress"}, failureMode="Closed"))
        code, body = self.fake.request("POST", self.api.path("RateLimitPolicy"), good)
        self.assertEqual(code, 201, body)
        self.assertEqual(body["spec"]["global"]["failureMode"], "Closed")


if __name__ == "__main__":
    unittest.main()
