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

    def test_deploy_applies_and_the_controller_runs_on_its_rbac_alone(self):
        out = self.kubectl("apply", "-k", os.path.join(ROOT, "deploy"))
        for line in ("namespace/gatehouse-system", "serviceaccount/gatehouse-controller",
                     "clusterrole.rbac.authorization.k8s.io/gatehouse-controller",
                     "deployment.apps/gatehouse-controller", "gatewayclass.gateway.networking.k8s.io/gatehouse"):
            self.assertIn(line, out)
        self.assertEqual(self.kubectl("apply", "-k", os.path.join(ROOT, "deploy")).count("unchanged"),
                         len(out.strip().splitlines()))

        # The pod's credentials: a token of the controller's ServiceAccount, nothing else.
        token = self.kubectl("create", "token", "gatehouse-controller", "-n", "gatehouse-system").strip()
        kubeconfig = os.path.join(self.tmp, "kubeconfig")
        with open(self.fake.kubeconfig) as f, open(kubeconfig, "w") as out_file:
            text = f.read()
            out_file.write(text.replace(self.fake.admin_token, token))
        seq = self.api.last_seq()
        gh = KubeGatehouse(self.id(), kubeconfig)
        self.addCleanup(shutil.rmtree, gh.tmp, True)
        self.addCleanup(gh.finish)
        gh.start()
        self.kubectl("apply", "-f", os.path.join(ROOT, "examples", "kubernetes"))

        def accepted():
            route = self.api.get("HTTPRoute", "echo")
            parents = (route or {}).get("status", {}).get("parents", [])
            return parents and condition(parents[0]["conditions"], "Accepted")["status"] == "True" and parents
        parents = wait_until(accepted, what="example HTTPRoute Accepted")
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
