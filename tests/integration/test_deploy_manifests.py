"""The install manifests: `kubectl kustomize deploy/` renders exactly the objects, security settings
and RBAC grants the controller is meant to have (a widened rule fails here), the Dockerfile agrees
with them and installs every library the built binary links, and the examples/kubernetes flow is
accepted by the real binary.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_deploy_manifests.py

Needs kubectl (its built-in kustomize renders deploy/); no cluster.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import BIN, CONTROLLER, GATEWAY_GROUP, ROOT  # noqa: E402

NAMESPACE = "gatehouse-system"
SERVICE_ACCOUNT = "gatehouse-controller"
UID = 65532
EXAMPLES = os.path.join(ROOT, "examples", "kubernetes")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "GatewayClass", "CustomResourceDefinition"}
STREAM_DIR = "/etc/gatehouse/config-stream"

GATEWAY_API_KINDS = ["gatewayclasses", "gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes",
                     "udproutes", "referencegrants", "backendtlspolicies", "listenersets"]
GATEHOUSE_POLICY_KINDS = ["ratelimitpolicies", "faultinjectionpolicies"]
# ReferenceGrant has no status subresource.
STATUS_KINDS = [k for k in GATEWAY_API_KINDS if k != "referencegrants"]

# (apiGroup, resource, resourceName or None) -> verbs, per role: the whole grant, nothing more.
EXPECTED_GRANTS = {
    ("ClusterRole", "gatehouse-controller"): {
        **{(GATEWAY_GROUP, k, None): {"list", "watch"} for k in GATEWAY_API_KINDS},
        **{(GATEWAY_GROUP, f"{k}/status", None): {"get", "update", "patch"} for k in STATUS_KINDS},
        ("gatehouse.dev", "gatehouseparameters", None): {"list", "watch"},
        **{("gatehouse.dev", k, None): {"list", "watch"} for k in GATEHOUSE_POLICY_KINDS},
        **{("gatehouse.dev", f"{k}/status", None): {"get", "update", "patch"} for k in GATEHOUSE_POLICY_KINDS},
        ("", "services", None): {"list", "watch"},
        ("", "namespaces", None): {"list", "watch"},
        ("", "configmaps", None): {"list", "watch"},
        ("", "secrets", None): {"get", "list", "watch"},
        ("discovery.k8s.io", "endpointslices", None): {"list", "watch"},
        ("", "events", None): {"create", "patch"},
        ("events.k8s.io", "events", None): {"create", "patch"},
    },
    ("Role", "gatehouse-leader-election"): {
        ("coordination.k8s.io", "leases", "gatehouse-controller"): {"get", "update"},
        ("coordination.k8s.io", "leases", None): {"create"},
    },
    ("Role", "gatehouse-controller-pod"): {
        ("", "pods", None): {"get"},
    },
    # Server-side apply only; the garbage collector deletes what a Gateway owned.
    ("ClusterRole", "gatehouse-provisioner"): {
        ("apps", "deployments", None): {"create", "patch", "delete"},
        ("", "services", None): {"create", "patch", "delete"},
        ("", "serviceaccounts", None): {"create", "patch", "delete"},
        (GATEWAY_GROUP, "gateways/finalizers", None): {"update"},
        ("authentication.k8s.io", "tokenreviews", None): {"create"},
    },
}


def render(directory):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl not found: it renders deploy/ (kubectl kustomize)")
    res = subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed:\n{res.stderr}")
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def grants(role):
    """Every (apiGroup, resource, resourceName) the role's rules name, with the verbs granted."""
    out = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for name in rule.get("resourceNames") or [None]:
                    out.setdefault((group, resource, name), set()).update(rule["verbs"])
    return out


class DeployManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = render(os.path.join(ROOT, "deploy"))
        cls.by_kind_name = {(o["kind"], o["metadata"]["name"]): o for o in cls.objects}
        cls.deployment = cls.by_kind_name[("Deployment", "gatehouse-controller")]
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        cls.container = cls.pod["containers"][0]

    def test_renders_exactly_the_install_objects(self):
        self.assertEqual(sorted(self.by_kind_name), sorted([
            ("Namespace", NAMESPACE),
            ("CustomResourceDefinition", "gatehouseparameters.gatehouse.dev"),
            ("CustomResourceDefinition", "ratelimitpolicies.gatehouse.dev"),
            ("CustomResourceDefinition", "faultinjectionpolicies.gatehouse.dev"),
            ("ServiceAccount", SERVICE_ACCOUNT),
            ("ClusterRole", "gatehouse-controller"),
            ("ClusterRoleBinding", "gatehouse-controller"),
            ("Role", "gatehouse-controller-pod"),
            ("RoleBinding", "gatehouse-controller-pod"),
            ("Role", "gatehouse-leader-election"),
            ("RoleBinding", "gatehouse-leader-election"),
            ("ClusterRole", "gatehouse-provisioner"),
            ("ClusterRoleBinding", "gatehouse-provisioner"),
            ("Deployment", "gatehouse-controller"),
            ("Service", "gatehouse-controller"),
            ("GatewayClass", "gatehouse"),
        ]))
        self.assertEqual(len(self.objects), len(self.by_kind_name))

    def test_namespaced_objects_are_in_gatehouse_system_and_cluster_scoped_ones_have_no_namespace(self):
        for obj in self.objects:
            with self.subTest(kind=obj["kind"], name=obj["metadata"]["name"]):
                if obj["kind"] in CLUSTER_SCOPED:
                    self.assertNotIn("namespace", obj["metadata"])
                else:
                    self.assertEqual(obj["metadata"]["namespace"], NAMESPACE)

    def test_every_object_carries_the_common_labels(self):
        for obj in self.objects + [self.deployment["spec"]["template"]]:
            with self.subTest(kind=obj.get("kind", "pod template")):
                labels = obj["metadata"]["labels"]
                self.assertEqual(labels["app.kubernetes.io/name"], "gatehouse")
                self.assertEqual(labels["app.kubernetes.io/part-of"], "gatehouse")

    def test_gatewayclass_names_the_controller_the_deployment_serves_as(self):
        gatewayclass = self.by_kind_name[("GatewayClass", "gatehouse")]
        self.assertEqual(gatewayclass["apiVersion"], f"{GATEWAY_GROUP}/v1")
        self.assertEqual(gatewayclass["spec"], {"controllerName": CONTROLLER})
        args = self.container["args"]
        self.assertEqual(args[args.index("--controller-name") + 1], CONTROLLER)

    def test_controller_provisions_data_planes_and_serves_the_config_stream_behind_its_service(self):
        self.assertEqual(self.container["image"], "gatehouse:latest")
        self.assertEqual(self.container["args"], [
            "serve", "--kubernetes", "--provision", "--admin-address", "0.0.0.0:9901", "--controller-name", CONTROLLER,
            "--stream-address", "0.0.0.0:15010", "--stream-advertise", "gatehouse-controller.$(POD_NAMESPACE).svc:15010",
            "--stream-cert", f"{STREAM_DIR}/tls.crt", "--stream-key", f"{STREAM_DIR}/tls.key"])
        self.assertEqual(self.container["ports"], [{"name": "admin", "containerPort": 9901, "protocol": "TCP"},
                                                   {"name": "config-stream", "containerPort": 15010, "protocol": "TCP"}])
        self.assertEqual(self.container["volumeMounts"], [
            {"name": "config-stream-tls", "mountPath": STREAM_DIR, "readOnly": True}])
        self.assertEqual(self.pod["volumes"], [
            {"name": "config-stream-tls", "secret": {"secretName": "gatehouse-config-stream"}}])
        service = self.by_kind_name[("Service", "gatehouse-controller")]
        self.assertEqual(service["spec"]["ports"], [
            {"name": "config-stream", "port": 15010, "targetPort": "config-stream", "protocol": "TCP"}])
        self.assertEqual(service["spec"]["selector"], self.deployment["spec"]["selector"]["matchLabels"])
        self.assertEqual(self.container["env"], [
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ])
        self.assertEqual(self.pod["serviceAccountName"], SERVICE_ACCOUNT)

    def test_liveness_probes_healthz_and_readiness_probes_ready_on_the_admin_port(self):
        self.assertEqual(self.container["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "admin"})
        self.assertEqual(self.container["readinessProbe"]["httpGet"], {"path": "/ready", "port": "admin"})

    def test_container_runs_non_root_read_only_with_no_capabilities(self):
        self.assertEqual(self.container["securityContext"], {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        })
        # The controller opens no Gateway listener: no sysctl for low ports (its data planes have it).
        self.assertNotIn("securityContext", self.pod)

    def test_two_replicas_prefer_two_nodes_and_get_time_to_hand_the_lease_over(self):
        spec = self.deployment["spec"]
        self.assertEqual(spec["replicas"], 2)
        pod_labels = spec["template"]["metadata"]["labels"]
        self.assertLessEqual(spec["selector"]["matchLabels"].items(), pod_labels.items())
        terms = self.pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        self.assertEqual(len(terms), 1)
        self.assertEqual(terms[0]["podAffinityTerm"]["topologyKey"], "kubernetes.io/hostname")
        self.assertEqual(terms[0]["podAffinityTerm"]["labelSelector"], spec["selector"])
        self.assertEqual(self.pod["terminationGracePeriodSeconds"], 30)

    def test_gatehouse_parameters_crd_has_the_fields_the_provisioner_reads(self):
        crd = self.by_kind_name[("CustomResourceDefinition", "gatehouseparameters.gatehouse.dev")]
        self.assertEqual((crd["spec"]["group"], crd["spec"]["scope"], crd["spec"]["names"]["kind"]),
                         ("gatehouse.dev", "Namespaced", "GatehouseParameters"))
        [version] = crd["spec"]["versions"]
        self.assertEqual((version["name"], version["served"], version["storage"]), ("v1alpha1", True, True))
        spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        self.assertEqual(sorted(spec), ["accessLog", "annotations", "metrics", "rateLimit", "replicas", "resources",
                                        "serviceType", "tracing"])
        self.assertEqual(spec["serviceType"]["enum"], ["ClusterIP", "NodePort", "LoadBalancer"])
        self.assertEqual(sorted(spec["accessLog"]["properties"]), ["fields", "path", "sampling"])
        self.assertEqual(sorted(spec["tracing"]["properties"]), ["otlpEndpoint", "sampling"])
        self.assertEqual(spec["metrics"]["properties"]["perRouteLabels"]["type"], "boolean")
        redis = spec["rateLimit"]["properties"]["redis"]
        self.assertEqual((sorted(redis["properties"]), redis["required"]),
                         (["address", "passwordSecretRef", "timeout", "tls", "username"], ["address"]))
        self.assertEqual(redis["x-kubernetes-validations"], [
            {"message": "username needs passwordSecretRef", "rule": "!has(self.username) || has(self.passwordSecretRef)"}])
        password = redis["properties"]["passwordSecretRef"]
        self.assertEqual((sorted(password["properties"]), password["required"]), (["key", "name"], ["name", "key"]))
        tls = redis["properties"]["tls"]["properties"]
        self.assertEqual(sorted(tls), ["caCertificateRef", "clientCertificateRef", "serverName"])
        self.assertEqual((sorted(tls["caCertificateRef"]["properties"]), tls["caCertificateRef"]["required"]),
                         (["key", "name"], ["name", "key"]))
        self.assertEqual((sorted(tls["clientCertificateRef"]["properties"]), tls["clientCertificateRef"]["required"]),
                         (["name"], ["name"]))

    def test_requests_cpu_and_memory_and_limits_memory_only(self):
        self.assertEqual(self.container["resources"], {
            "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}})

    def test_each_role_grants_exactly_the_listed_verbs(self):
        roles = {k: o for k, o in self.by_kind_name.items() if k[0] in ("Role", "ClusterRole")}
        self.assertEqual(sorted(roles), sorted(EXPECTED_GRANTS))
        for key, role in roles.items():
            with self.subTest(role=key):
                self.assertEqual(grants(role), EXPECTED_GRANTS[key])

    def test_each_role_is_bound_to_the_controller_service_account_only(self):
        bindings = {k: o for k, o in self.by_kind_name.items() if k[0] in ("RoleBinding", "ClusterRoleBinding")}
        self.assertEqual(len(bindings), len(EXPECTED_GRANTS))
        bound = set()
        for (kind, name), binding in bindings.items():
            with self.subTest(binding=name):
                self.assertEqual(binding["subjects"], [
                    {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}])
                ref = binding["roleRef"]
                self.assertEqual(ref["apiGroup"], "rbac.authorization.k8s.io")
                self.assertEqual(ref["kind"], kind.replace("Binding", ""))
                bound.add((ref["kind"], ref["name"]))
        self.assertEqual(bound, set(EXPECTED_GRANTS))

    def test_image_is_overridable_through_kustomize_images(self):
        with tempfile.TemporaryDirectory(prefix="gatehouse-overlay-") as overlay:
            with open(os.path.join(overlay, "kustomization.yaml"), "w") as f:
                # kustomize takes a base by relative path only.
                yaml.safe_dump({"resources": [os.path.relpath(os.path.join(ROOT, "deploy"), overlay)],
                                "images": [{"name": "gatehouse", "newName": "registry.example.test/gatehouse",
                                            "newTag": "v1"}]}, f)
            objects = render(overlay)
        deployment = next(o for o in objects if o["kind"] == "Deployment")
        self.assertEqual(deployment["spec"]["template"]["spec"]["containers"][0]["image"],
                         "registry.example.test/gatehouse:v1")


class DockerfileTest(unittest.TestCase):
    """The image is not built here (no container engine); these are the facts that can be checked."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "Dockerfile")) as f:
            text = f.read()
        cls.runtime_stage = text[text.rindex("\nFROM "):]

    def test_runtime_runs_the_binary_as_the_uid_the_deployment_expects(self):
        self.assertIn("\nFROM debian:bookworm-slim\n", self.runtime_stage)
        self.assertIn(f"\nUSER {UID}:{UID}\n", self.runtime_stage)
        self.assertIn('\nENTRYPOINT ["/usr/local/bin/gatehouse"]\n', self.runtime_stage)

    def test_runtime_installs_the_package_of_every_library_the_binary_links(self):
        listed = re.search(r"--no-install-recommends(.*?)&&", self.runtime_stage, re.S).group(1)
        installed = set(listed.replace("\\", " ").split())
        in_base_image = {"libc6", "libstdc++6", "libgcc-s1"}
        needed = set()
        sanitized = False
        for line in subprocess.run(["ldd", BIN], capture_output=True, text=True, check=True).stdout.splitlines():
            match = re.match(r"\s*(\S+) => (/\S+)", line)
            # The sanitizer runtimes of CI's ASan build are not part of a release binary; that
            # build brings the sanitizer's allocator where a release binary links jemalloc.
            if match and match.group(1).startswith(("libasan", "libubsan")):
                sanitized = True
            elif match:
                needed.add(self.package_of(match.group(2)))
        if sanitized:
            needed.add("libjemalloc2")
        self.assertEqual(needed - in_base_image, installed)

    @staticmethod
    def package_of(path):
        # dpkg records a library under /lib or /usr/lib, whichever its package ships (merged /usr).
        alternatives = [path, path[4:] if path.startswith("/usr/") else "/usr" + path]
        for candidate in alternatives:
            res = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if res.returncode == 0:
                return res.stdout.split(":")[0]
        raise AssertionError(f"no Debian package owns {path}")


class KubernetesExamplesTest(unittest.TestCase):
    """examples/kubernetes: the README's flow (a backend, a Gateway of class gatehouse, an HTTPRoute)."""

    @classmethod
    def setUpClass(cls):
        cls.files = sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml")))
        cls.objects = {}
        for path in cls.files:
            with open(path) as f:
                for doc in yaml.safe_load_all(f):
                    cls.objects[(doc["kind"], doc["metadata"]["name"])] = doc

    def test_examples_are_a_backend_a_gateway_and_a_route(self):
        self.assertEqual([os.path.basename(p) for p in self.files],
                         ["echo-backend.yaml", "gateway.yaml", "httproute.yaml"])
        self.assertEqual(sorted(self.objects), [
            ("Deployment", "echo"), ("Gateway", "example"), ("HTTPRoute", "echo"), ("Service", "echo")])
        for (kind, name), obj in self.objects.items():
            with self.subTest(kind=kind):
                self.assertEqual(obj["metadata"]["namespace"], "default")

    def test_gateway_uses_the_gatehouse_class_on_port_80_and_asks_for_no_address(self):
        spec = self.objects[("Gateway", "example")]["spec"]
        self.assertEqual(spec["gatewayClassName"], "gatehouse")
        self.assertNotIn("addresses", spec)  # its data plane's Service gives it one
        self.assertEqual(spec["listeners"], [{"name": "http", "protocol": "HTTP", "port": 80}])

    def test_route_attaches_to_the_gateway_and_sends_to_the_echo_service(self):
        route = self.objects[("HTTPRoute", "echo")]["spec"]
        self.assertEqual(route["parentRefs"], [{"name": "example"}])
        self.assertEqual(route["hostnames"], ["echo.example.test"])
        self.assertEqual([r["backendRefs"] for r in route["rules"]], [[{"name": "echo", "port": 8080}]])
        service = self.objects[("Service", "echo")]["spec"]
        self.assertEqual(service["ports"], [{"name": "http", "port": 8080, "targetPort": 3000}])
        pod = self.objects[("Deployment", "echo")]["spec"]["template"]
        self.assertLessEqual(service["selector"].items(), pod["metadata"]["labels"].items())
        self.assertEqual(pod["spec"]["containers"][0]["ports"], [{"containerPort": 3000}])

    def test_gatehouse_accepts_the_examples_with_the_installed_gatewayclass(self):
        gatewayclass = next(o for o in render(os.path.join(ROOT, "deploy")) if o["kind"] == "GatewayClass")
        with tempfile.TemporaryDirectory(prefix="gatehouse-examples-") as directory:
            for path in self.files:
                shutil.copy(path, directory)
            with open(os.path.join(directory, "gatewayclass.yaml"), "w") as f:
                yaml.safe_dump(gatewayclass, f)
            res = subprocess.run([BIN, "validate", "-o", "json", directory], capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        statuses = yaml.safe_load(res.stdout)["statuses"]
        self.assertEqual(sorted(statuses),
                         ["Gateway/default/example", "GatewayClass/gatehouse", "HTTPRoute/default/echo"])
        gateway = statuses["Gateway/default/example"]
        self.assertEqual(gateway["addresses"], [{"type": "IPAddress", "value": "127.0.1.1"}])  # validate's pool
        self.assertEqual({c["type"]: c["status"] for c in gateway["conditions"]},
                         {"Accepted": "True", "Programmed": "True"})
        self.assertEqual([(l["name"], l["attachedRoutes"]) for l in gateway["listeners"]], [("http", 1)])
        parents = statuses["HTTPRoute/default/echo"]["parents"]
        self.assertEqual([p["parentRef"]["name"] for p in parents], ["example"])
        # The example's Service has its endpoints from a cluster's Deployment, not from a file.
        self.assertEqual({c["type"]: c["status"] for c in parents[0]["conditions"]},
                         {"Accepted": "True", "ResolvedRefs": "True", "gatehouse.dev/NoReadyEndpoints": "True"})


if __name__ == "__main__":
    unittest.main()
