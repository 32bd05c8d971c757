"""The README's cluster install, against the fake API server with kubectl: `kubectl apply -k
deploy/` creates everything, the controller then runs with nothing but the ServiceAccount and
RBAC that deploy/ grants, and the examples apply and get status. Every request the controller
makes must be allowed: the RBAC is least privilege, and enough."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import CONTROLLER, ROOT, condition, wait_until  # noqa: E402
from kube_harness import Api, KubeGatehouse, start_fake  # noqa: E402

KUBECTL = shutil.which("kubectl")
SERVICE_ACCOUNT_USER = "system:serviceaccount:gatehouse-system:gatehouse-controller"


class TestInstall(unittest.TestCase):
    def kubectl(self, *args: str) -> str:
        res = subprocess.run([KUBECTL, *args], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, KUBECONFIG=self.fake.kubeconfig))
        self.assertEqual(res.returncode, 0, f"kubectl {' '.join(args)}: {res.stderr}")
        return res.stdout

    def setUp(self):
        self.assertIsNotNone(KUBECTL, "kubectl is not installed")
        self.fake = start_fake()
        self.addCleanup(self.fake.stop)
        self.api = Api(self.fake)
        self.tmp = tempfile.mkdtemp(prefix="gatehouse-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start_controller(self) -> KubeGatehouse:
        """gatehouse with a token of deploy/'s ServiceAccount, nothing else."""
        token = self.kubectl("create", "token", "gatehouse-controller", "-n", "gatehouse-system").strip()
        kubeconfig = os.path.join(self.tmp, "kubeconfig")
        with open(self.fake.kubeconfig) as f, open(kubeconfig, "w") as out_file:
            out_file.write(f.read().replace(self.fake.admin_token, token))
        gh = KubeGatehouse(self.id(), kubeconfig)
        self.addCleanup(shutil.rmtree, gh.tmp, True)
        self.addCleanup(gh.finish)
        gh.start()
        return gh

    def wait_example_accepted(self) -> list:
        def accepted():
            route = self.api.get("HTTPRoute", "echo")
            parents = (route or {}).get("status", {}).get("parents", [])
            return parents and condition(parents[0]["conditions"], "Accepted")["status"] == "True" and parents
        return wait_until(accepted, what="example HTTPRoute Accepted")

    def test_a_kind_rbac_forbids_is_skipped_and_the_rest_is_served(self):
        self.kubectl("apply", "-k", os.path.join(ROOT, "deploy"))
        role = self.api.get("ClusterRole", "gatehouse-controller", "")
        rules = role["rules"]
        rules[0]["resources"] = [r for r in rules[0]["resources"] if r != "grpcroutes"]
        self.api.apply(role)
        gh = self.start_controller()
        self.kubectl("apply", "-f", os.path.join(ROOT, "examples", "kubernetes"))
        self.wait_example_accepted()
        self.assertEqual(gh.log().count("list GRPCRoute: HTTP 403"), 1, gh.log())

    def test_deploy_applies_and_the_controller_runs_on_its_rbac_alone(self):
        out = self.kubectl("apply", "-k", os.path.join(ROOT, "deploy"))
        for line in ("namespace/gatehouse-system", "serviceaccount/gatehouse-controller",
                     "clusterrole.rbac.authorization.k8s.io/gatehouse-controller",
                     "deployment.apps/gatehouse-controller", "gatewayclass.gateway.networking.k8s.io/gatehouse"):
            self.assertIn(line, out)
        self.assertEqual(self.kubectl("apply", "-k", os.path.join(ROOT, "deploy")).count("unchanged"),
                         len(out.strip().splitlines()))

        seq = self.api.last_seq()
        self.start_controller()
        self.kubectl("apply", "-f", os.path.join(ROOT, "examples", "kubernetes"))
        parents = self.wait_example_accepted()
        self.assertEqual(parents[0]["controllerName"], CONTROLLER)
        self.assertEqual(condition(parents[0]["conditions"], "ResolvedRefs")["status"], "True")
        gw = self.api.get("Gateway", "example")
        self.assertEqual(condition(gw["status"]["conditions"], "Accepted")["status"], "True")
        gc = self.api.get("GatewayClass", "gatehouse", "")
        self.assertEqual(condition(gc["status"]["conditions"], "Accepted")["status"], "True")

        mine = [r for r in self.api.requests(seq) if r["user"] == SERVICE_ACCOUNT_USER]
        self.assertTrue(any(r["method"] == "PATCH" for r in mine))
        self.assertEqual([r for r in mine if r["code"] in (401, 403)], [])


if __name__ == "__main__":
    unittest.main()
