"""The README's cluster install, against the fake API server with kubectl: the config stream's
Secret made as the README makes it, `kubectl apply -k deploy/` creates everything, the controller
then runs with deploy/'s own arguments and nothing but the ServiceAccount and RBAC that deploy/
grants, provisions the example Gateway's data plane (run by the kubelet stand-in), and the example
applies, gets status and an address, and serves. Every request the controller makes must be
allowed: the RBAC is least privilege, and enough."""

import base64
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (BIN, CONTROLLER, ROOT, EchoBackend, condition, endpoint_slice, request,  # noqa: E402
                               wait_until)
from kube_harness import Api, KubeGatehouse, start_fake  # noqa: E402

sys.path.insert(0, ROOT)
from tests.fakekube.kubelet import Kubelet  # noqa: E402

KUBECTL = shutil.which("kubectl")
NAMESPACE = "gatehouse-system"
SERVICE_ACCOUNT_USER = f"system:serviceaccount:{NAMESPACE}:gatehouse-controller"
CONTROLLER_POD = "gatehouse-controller-7d4b9c8f6-x2x9q"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestInstall(unittest.TestCase):
    def kubectl(self, *args: str) -> str:
        res = subprocess.run([KUBECTL, *args], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, KUBECONFIG=self.fake.kubeconfig), cwd=self.tmp)
        self.assertEqual(res.returncode, 0, f"kubectl {' '.join(args)}: {res.stderr}")
        return res.stdout

    def setUp(self):
        self.assertIsNotNone(KUBECTL, "kubectl is not installed")
        self.fake = start_fake()
        self.addCleanup(self.fake.stop)
        self.api = Api(self.fake)
        self.tmp = tempfile.mkdtemp(prefix="gatehouse-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.stream = f"127.0.0.1:{free_port()}"

    def create_stream_secret(self):
        """The README's install line that makes the config stream's Secret, command by command;
        the certificate also names the address the data planes dial here."""
        with open(os.path.join(ROOT, "README.md")) as f:
            [line] = [l for l in f.read().splitlines() if l.startswith("openssl req ")]
        for command in line.split(" && "):
            argv = shlex.split(command)
            if argv[0] == "openssl":
                san = argv.index("-addext") + 1
                self.assertEqual(argv[san], f"subjectAltName=DNS:gatehouse-controller.{NAMESPACE}.svc")
                argv[san] += ",IP:127.0.0.1"
                subprocess.run(argv, cwd=self.tmp, check=True, capture_output=True)
            elif argv[1:3] == ["create", "namespace"]:
                self.assertEqual(argv[3], NAMESPACE)  # already there: the fake starts with it
            else:
                self.assertEqual(argv[0], "kubectl")
                self.kubectl(*argv[1:])

    def start_controller(self) -> KubeGatehouse:
        """One replica as kubelet would run deploy/'s Deployment: its args (the stream on a local
        port), its Secret's files, a token of its ServiceAccount and nothing else, and its Pod."""
        deployment = self.api.fake.get("apps/v1", "Deployment", NAMESPACE, "gatehouse-controller")
        template = deployment["spec"]["template"]
        container = template["spec"]["containers"][0]
        secret = self.api.get("Secret", "gatehouse-config-stream", NAMESPACE)
        mount = os.path.join(self.tmp, "config-stream")
        os.makedirs(mount)
        for key in ("tls.crt", "tls.key"):
            with open(os.path.join(mount, key), "wb") as f:
                f.write(base64.b64decode(secret["data"][key]))
        code, body = self.fake.request("POST", self.fake.resource_path("v1", "Pod", NAMESPACE), {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": CONTROLLER_POD, "namespace": NAMESPACE, "labels": template["metadata"]["labels"]},
            "spec": template["spec"]})
        self.assertEqual(code, 201, body)

        token = self.kubectl("create", "token", "gatehouse-controller", "-n", NAMESPACE).strip()
        kubeconfig = os.path.join(self.tmp, "kubeconfig")
        with open(self.fake.kubeconfig) as f, open(kubeconfig, "w") as out_file:
            out_file.write(f.read().replace(self.fake.admin_token, token))
        gh = KubeGatehouse(self.id(), kubeconfig)
        local = {"--admin-address": f"{gh.admin[0]}:{gh.admin[1]}", "--stream-address": self.stream,
                 "--stream-advertise": self.stream}
        args = []
        for arg in container["args"]:
            if args and args[-1] in local:
                arg = local[args[-1]]
            args.append(arg.replace("/etc/gatehouse/config-stream", mount))
        gh.args = [BIN, *args, "--kubeconfig", kubeconfig, "--address-pool", gh.pool, "--workers", "1",
                   "--leader-election-lease-duration", "3"]
        gh.env = dict(os.environ, POD_NAMESPACE=NAMESPACE, POD_NAME=CONTROLLER_POD)
        self.addCleanup(shutil.rmtree, gh.tmp, True)
        self.addCleanup(gh.finish)
        kubelet = Kubelet(self.fake, {container["image"]: BIN}, self.tmp, lambda n: gh.gateway_ip(100 + n))
        kubelet.start()
        self.addCleanup(kubelet.stop)
        gh.start()
        self.kubelet = kubelet
        return gh

    def wait_example_accepted(self) -> list:
        def accepted():
            route = self.api.get("HTTPRoute", "echo")
            parents = (route or {}).get("status", {}).get("parents", [])
            return parents and condition(parents[0]["conditions"], "Accepted")["status"] == "True" and parents
        return wait_until(accepted, what="example HTTPRoute Accepted")

    def test_a_kind_rbac_forbids_is_skipped_and_the_rest_is_served(self):
        self.create_stream_secret()
        self.kubectl("apply", "-k", os.path.join(ROOT, "deploy"))
        role = self.api.get("ClusterRole", "gatehouse-controller", "")
        rules = role["rules"]
        rules[0]["resources"] = [r for r in rules[0]["resources"] if r != "grpcroutes"]
        self.api.apply(role)
        gh = self.start_controller()
        self.kubectl("apply", "-f", os.path.join(ROOT, "examples", "kubernetes"))
        self.wait_example_accepted()
        self.assertEqual(gh.log().count("list GRPCRoute: HTTP 403"), 1, gh.log())

    def test_deploy_applies_and_the_controller_provisions_and_serves_on_its_rbac_alone(self):
        self.create_stream_secret()
        out = self.kubectl("apply", "-k", os.path.join(ROOT, "deploy"))
        for line in ("namespace/gatehouse-system", "serviceaccount/gatehouse-controller",
                     "customresourcedefinition.apiextensions.k8s.io/gatehouseparameters.gatehouse.dev",
                     "clusterrole.rbac.authorization.k8s.io/gatehouse-controller",
                     "clusterrole.rbac.authorization.k8s.io/gatehouse-provisioner",
                     "deployment.apps/gatehouse-controller", "service/gatehouse-controller",
                     "gatewayclass.gateway.networking.k8s.io/gatehouse"):
            self.assertIn(line, out)
        self.assertEqual(self.kubectl("apply", "-k", os.path.join(ROOT, "deploy")).count("unchanged"),
                         len(out.strip().splitlines()))

        seq = self.api.last_seq()
        gh = self.start_controller()
        self.kubectl("apply", "-f", os.path.join(ROOT, "examples", "kubernetes"))
        echo = EchoBackend(gh.backend_ip(1), "echo-1", "default", self.tmp)
        self.addCleanup(echo.stop)
        self.api.apply(endpoint_slice("echo", [echo.ip]))  # what the echo Deployment's pods would be
        parents = self.wait_example_accepted()
        self.assertEqual(parents[0]["controllerName"], CONTROLLER)
        self.assertEqual(condition(parents[0]["conditions"], "ResolvedRefs")["status"], "True")
        gc = self.api.get("GatewayClass", "gatehouse", "")
        self.assertEqual(condition(gc["status"]["conditions"], "Accepted")["status"], "True")

        # `kubectl get gateway example`: Programmed, and the address of its data plane's Service.
        wait_until(lambda: condition(self.api.get("Gateway", "example")["status"]["conditions"],
                                     "Programmed")["status"] == "True", what="example Gateway Programmed")
        table = self.kubectl("get", "gateway", "example")
        [pod] = self.kubelet.pods_of("default", "gatehouse-example")
        self.assertRegex(table, rf"example\s+gatehouse\s+{re.escape(pod.ip)}\s+True")
        deployment = self.fake.get("apps/v1", "Deployment", "default", "gatehouse-example")
        self.assertEqual(deployment["spec"]["template"]["spec"]["containers"][0]["image"], "gatehouse:latest",
                         "the data plane runs the controller's own image, read from its Pod")
        res = request(pod.ip, 80, "/", host="echo.example.test")
        self.assertEqual((res.status, res.json()["pod"]), (200, "echo-1"))

        mine = [r for r in self.api.requests(seq) if r["user"] == SERVICE_ACCOUNT_USER]
        self.assertTrue(any(r["method"] == "PATCH" and "/deployments/" in r["path"] for r in mine))
        self.assertTrue(any(r["method"] == "POST" and "tokenreviews" in r["path"] for r in mine))
        self.assertEqual([r for r in mine if r["code"] in (401, 403)], [])


if __name__ == "__main__":
    unittest.main()
