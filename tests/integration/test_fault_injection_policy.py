"""FaultInjectionPolicy through the real binary: abort and delay at 100% (every request) and 0%
(none), exactly; a 50% abort within wide statistical bounds; a rule's policy overriding its
route's; a gRPC abort as a trailers-only grpc-status.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_fault_injection_policy.py
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_grpc  # noqa: E402  (its raw h2c gRPC client; importing the module adds no test case here)
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class, http_route, listener,
    path_match, request, rule)
from policy_helpers import fault_injection_policy, target  # noqa: E402

PORT = test_grpc.PORT
HOST = "fault.example.com"


def named_rule(name: str) -> dict:
    return dict(rule([backend_ref("echo")], matches=[path_match("/" + name)]), name=name)


class FaultInjectionPolicyTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        rules = ["abort-all", "abort-none", "abort-half", "delay-all", "delay-none"]
        gh.write("00-world.yaml", [
            gateway_class(), gateway("gw", [listener("http", PORT)]), *backend_service("echo", [cls.echo.ip]),
            http_route("faulty", [named_rule(r) for r in rules], hostnames=[HOST]),
            http_route("overridden", [named_rule("exempt"), named_rule("broken")], hostnames=["overridden.example"]),
            {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
             "metadata": {"name": "rpc", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["grpc.example.com"],
                      "rules": [{"backendRefs": [backend_ref("echo")]}]}},
            fault_injection_policy("abort-all", [target("HTTPRoute", "faulty", "abort-all")],
                                   abort={"percentage": 100, "httpStatus": 503}),
            fault_injection_policy("abort-none", [target("HTTPRoute", "faulty", "abort-none")],
                                   abort={"percentage": 0, "httpStatus": 503}),
            fault_injection_policy("abort-half", [target("HTTPRoute", "faulty", "abort-half")],
                                   abort={"percentage": 50, "httpStatus": 418}),
            fault_injection_policy("delay-all", [target("HTTPRoute", "faulty", "delay-all")],
                                   delay={"percentage": 100, "fixedDelay": "400ms"}),
            fault_injection_policy("delay-none", [target("HTTPRoute", "faulty", "delay-none")],
                                   delay={"percentage": 0, "fixedDelay": "20s"}),
            fault_injection_policy("route-wide", [target("HTTPRoute", "overridden")],
                                   abort={"httpStatus": 500}),
            fault_injection_policy("exempt-rule", [target("HTTPRoute", "overridden", "exempt")],
                                   abort={"percentage": 0, "httpStatus": 500}),
            fault_injection_policy("rpc-unavailable", [target("GRPCRoute", "rpc")],
                                   abort={"httpStatus": 503, "grpcStatus": 14}),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def statuses(self, path, n, host=HOST):
        return [request(self.ip, PORT, path, host=host).status for _ in range(n)]

    def test_a_full_abort_answers_every_request_without_the_backend(self):
        self.assertEqual(self.statuses("/abort-all", 20), [503] * 20)
        self.assertNotIn("/abort-all", self.echo.requests_seen())

    def test_a_zero_abort_answers_none(self):
        self.assertEqual(self.statuses("/abort-none", 20), [200] * 20)

    def test_a_half_abort_answers_about_half(self):
        codes = self.statuses("/abort-half", 200)
        self.assertEqual(set(codes), {200, 418})
        # Binomial(200, 0.5): outside 60..140 with probability below 1e-8.
        self.assertTrue(60 <= codes.count(418) <= 140, codes.count(418))

    def test_a_full_delay_holds_every_request(self):
        for _ in range(3):
            started = time.monotonic()
            self.assertEqual(request(self.ip, PORT, "/delay-all", host=HOST).status, 200)
            self.assertGreaterEqual(time.monotonic() - started, 0.4)

    def test_a_zero_delay_holds_none(self):
        started = time.monotonic()
        self.assertEqual(self.statuses("/delay-none", 5), [200] * 5)
        self.assertLess(time.monotonic() - started, 20)  # one delayed request would take 20 s

    def test_a_rules_policy_overrides_its_routes(self):
        self.assertEqual(self.statuses("/exempt", 5, host="overridden.example"), [200] * 5)
        self.assertEqual(self.statuses("/broken", 5, host="overridden.example"), [500] * 5)

    def test_a_grpc_request_gets_the_grpc_status(self):
        headers, trailers, _ = test_grpc.raw_grpc_call(self.ip, "/any.Service/Method")
        self.assertEqual(headers[":status"], "200")
        self.assertEqual(headers["grpc-status"], "14")
        self.assertEqual(trailers, {})

    def test_a_plain_request_on_the_grpc_route_gets_the_http_status(self):
        self.assertEqual(request(self.ip, PORT, "/any.Service/Method", host="grpc.example.com").status, 503)


if __name__ == "__main__":
    unittest.main()
