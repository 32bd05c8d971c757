"""gatehouse.dev/NoReadyEndpoints in Kubernetes mode (fake API server): a route whose Service has
no ready endpoint gets the condition on its parent, written to the API server, beside Accepted
and ResolvedRefs True; requests get 503. When an EndpointSlice with a ready endpoint appears the
condition goes (the route did not change) and the backend serves; when the endpoint stops being
ready it comes back.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_no_ready_endpoints.py
"""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (CONTROLLER, EchoBackend, backend_ref, condition, endpoint_slice,  # noqa: E402
                               gateway, gateway_class, http_route, listener, path_match, request, rule, service,
                               wait_until)
from kube_harness import Api, KubeGatehouse, start_fake  # noqa: E402

NO_READY = "gatehouse.dev/NoReadyEndpoints"


class NoReadyEndpointsKubeTest(unittest.TestCase):
    def setUp(self):
        self.fake = start_fake()
        self.addCleanup(self.fake.stop)
        self.api = Api(self.fake)
        self.gh = KubeGatehouse(f"{self.id()}.a", self.fake.kubeconfig)
        self.addCleanup(lambda: shutil.rmtree(self.gh.tmp, ignore_errors=True))
        self.addCleanup(self.gh.finish)
        self.echo = EchoBackend(self.gh.backend_ip(1), "echo-1", "default", self.gh.tmp)
        self.addCleanup(self.echo.stop)

    def parent_conditions(self):
        route = self.api.get("HTTPRoute", "r") or {}
        for parent in route.get("status", {}).get("parents", []):
            if parent["controllerName"] == CONTROLLER:
                return parent["conditions"]
        return []

    def test_condition_follows_the_endpoints_and_keeps_the_spec_conditions(self):
        for obj in [gateway_class(), gateway("gw", [listener("http", 8080)]), service("echo"),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)
        self.gh.start()
        conditions = wait_until(lambda: (lambda c: c if condition(c, NO_READY) else None)(self.parent_conditions()),
                                what="NoReadyEndpoints written")
        unready = condition(conditions, NO_READY)
        self.assertEqual((unready["status"], unready["reason"], unready["message"], unready["observedGeneration"]),
                         ("True", "NoReadyEndpoints", "backendRefs without a ready endpoint: default/echo:8080", 1))
        for type_ in ("Accepted", "ResolvedRefs"):
            c = condition(conditions, type_)
            self.assertEqual((c["status"], c["reason"]), ("True", type_))
        ip = self.gh.gateway_ip(1)
        wait_until(lambda: request(ip, 8080, "/", host="example.com").status == 503, what="503 without endpoints")

        self.api.apply(endpoint_slice("echo", [self.echo.ip]))
        wait_until(lambda: condition(self.parent_conditions(), NO_READY) is None, what="NoReadyEndpoints removed")
        self.assertEqual(condition(self.parent_conditions(), "ResolvedRefs")["status"], "True")
        wait_until(lambda: request(ip, 8080, "/", host="example.com").status == 200, what="served once ready")
        self.assertEqual(self.api.get("HTTPRoute", "r")["metadata"]["generation"], 1)

        self.api.apply(endpoint_slice("echo", [self.echo.ip], ready=False))
        wait_until(lambda: condition(self.parent_conditions(), NO_READY), what="NoReadyEndpoints back")


if __name__ == "__main__":
    unittest.main()
