"""Shared by the fakekube wire-level tests: a TestCase class that starts one fake API server per
class (with the upstream standard CRDs, 0.5 s bookmarks and a 20-event history unless the class
says otherwise), and a Gateway manifest."""

from __future__ import annotations

import re
import unittest

from tests.fakekube.harness import FakeKube, gateway_api_crds

CRDS = gateway_api_crds()
GW = "/apis/gateway.networking.k8s.io/v1"


def gateway(name: str, namespace: str, class_name: str = "gatehouse") -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": "web"}},
            "spec": {"gatewayClassName": class_name,
                     "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}


class FakeKubeCase(unittest.TestCase):
    fake: FakeKube
    args: tuple = ("--crds", CRDS, "--bookmark-interval", "0.5", "--history", "20")

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeKube(*cls.args)
        cls.addClassCleanup(cls.fake.stop)

    def namespace(self) -> str:
        name = re.sub(r"[^a-z0-9-]", "-", self.id().rsplit(".", 1)[1].lower())[:60].strip("-")
        code, _ = self.fake.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
        self.assertEqual(code, 201)
        return name

    def create_gateway(self, ns: str, name: str = "gw") -> dict:
        code, obj = self.fake.request("POST", f"{GW}/namespaces/{ns}/gateways", gateway(name, ns))
        self.assertEqual(code, 201, obj)
        return obj
