"""The fake Kubernetes API server (tests/fakekube) proven with the real client: kubectl 1.32
gets, applies (client- and server-side), patches, deletes, watches, creates tokens and CRDs
against it, with the output a real cluster gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

from tests.fakekube.harness import FakeKube, gateway_api, gateway_api_crds

CRDS = gateway_api_crds()
KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")

# Fully defaulted (as the CRD schema defaults them), so a re-apply computes an empty patch.
GATEWAY_APP = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: {ns}
    ---
    apiVersion: gateway.networking.k8s.io/v1
    kind: Gateway
    metadata:
      name: gw
      namespace: {ns}
    spec:
      gatewayClassName: gatehouse
      listeners:
      - name: http
        port: {port}
        protocol: HTTP
        allowedRoutes:
          namespaces:
            from: Same
    ---
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata:
      name: web
      namespace: {ns}
    spec:
      parentRefs:
      - group: gateway.networking.k8s.io
        kind: Gateway
        name: gw
      hostnames: ["web.example.com"]
      rules:
      - matches:
        - path:
            type: PathPrefix
            value: /
        backendRefs:
        - group: ""
          kind: Service
          name: web
          port: 8080
          weight: 1
    """)

WIDGET_CRD = textwrap.dedent("""\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: widgets.example.com
    spec:
      group: example.com
      names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList, shortNames: [wdg]}
      scope: Namespaced
      versions:
      - name: v1
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                properties:
                  size: {type: integer, default: 3}
        additionalPrinterColumns:
        - {name: Size, type: integer, jsonPath: .spec.size}
    """)


INSTALL = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata: {name: install}
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: controller, namespace: install}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: controller, namespace: install, labels: {app: controller}}
    spec:
      replicas: 2
      selector: {matchLabels: {app: controller}}
      template:
        metadata: {labels: {app: controller}}
        spec:
          serviceAccountName: controller
          containers:
          - name: controller
            image: gatehouse:dev
            args: [serve, --kubernetes]
            env:
            - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
            - {name: OLD, value: "1"}
            ports: [{name: admin, containerPort: 15000}]
            readinessProbe: {httpGet: {path: /ready, port: admin}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: controller-admin, namespace: install}
    spec:
      selector: {app: controller}
      ports: [{name: admin, port: 15000, targetPort: admin}]
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: install-controller}
    rules:
    - {apiGroups: [gateway.networking.k8s.io], resources: [gateways/status], verbs: [update]}
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata: {name: install-controller}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: install-controller}
    subjects: [{kind: ServiceAccount, name: controller, namespace: install}]
    """)


@unittest.skipUnless(KUBECTL, "kubectl is not installed (set KUBECTL or put it on PATH)")
class KubectlTest(unittest.TestCase):
    fake: FakeKube

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeKube("--crds", CRDS)
        cls.addClassCleanup(cls.fake.stop)
        cls.files = tempfile.TemporaryDirectory(prefix="fakekube-kubectl-")
        cls.addClassCleanup(cls.files.cleanup)

    def kubectl(self, *args: str, token: str = None, check: bool = True) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.files.name,
               "KUBECONFIG": self.fake.kubeconfig}
        cmd = [KUBECTL, *([f"--token={token}"] if token else []), *args]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
        if check and result.returncode != 0:
            self.fail(f"{' '.join(args)} failed: {result.stderr}")
        return result

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.files.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def apply_app(self, ns: str, port: int = 80, *extra: str) -> list[str]:
        path = self.write(f"{ns}-{port}.yaml", GATEWAY_APP.format(ns=ns, port=port))
        return self.kubectl("apply", "-f", path, *extra).stdout.splitlines()

    def get_json(self, *args: str) -> dict:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def test_version_reports_the_server(self):
        server = json.loads(self.kubectl("version", "-o", "json").stdout)["serverVersion"]
        self.assertEqual((server["major"], server["minor"], server["gitVersion"]), ("1", "32", "v1.32.0-fakekube"))

    def test_api_resources_lists_gateway_api_kinds_with_short_names(self):
        out = self.kubectl("api-resources", "--api-group=gateway.networking.k8s.io").stdout
        self.assertEqual(out, textwrap.dedent("""\
            NAME                 SHORTNAMES   APIVERSION                     NAMESPACED   KIND
            backendtlspolicies   btlspolicy   gateway.networking.k8s.io/v1   true         BackendTLSPolicy
            gatewayclasses       gc           gateway.networking.k8s.io/v1   false        GatewayClass
            gateways             gtw          gateway.networking.k8s.io/v1   true         Gateway
            grpcroutes                        gateway.networking.k8s.io/v1   true         GRPCRoute
            httproutes                        gateway.networking.k8s.io/v1   true         HTTPRoute
            listenersets         lset         gateway.networking.k8s.io/v1   true         ListenerSet
            referencegrants      refgrant     gateway.networking.k8s.io/v1   true         ReferenceGrant
            tcproutes                         gateway.networking.k8s.io/v1   true         TCPRoute
            tlsroutes                         gateway.networking.k8s.io/v1   true         TLSRoute
            udproutes                         gateway.networking.k8s.io/v1   true         UDPRoute
            """))
        leases = self.kubectl("api-resources", "--api-group=coordination.k8s.io", "--no-headers").stdout.split()
        self.assertEqual(leases, ["leases", "coordination.k8s.io/v1", "true", "Lease"])

    def test_apply_creates_then_leaves_unchanged_then_configures_with_a_generation_bump(self):
        self.assertEqual(self.apply_app("apply"), ["namespace/apply created",
                                                   "gateway.gateway.networking.k8s.io/gw created",
                                                   "httproute.gateway.networking.k8s.io/web created"])
        gw = self.get_json("gateway", "gw", "-n", "apply")
        self.assertEqual(self.apply_app("apply"), ["namespace/apply unchanged",
                                                   "gateway.gateway.networking.k8s.io/gw unchanged",
                                                   "httproute.gateway.networking.k8s.io/web unchanged"])
        self.assertEqual(self.get_json("gateway", "gw", "-n", "apply")["metadata"]["resourceVersion"],
                         gw["metadata"]["resourceVersion"])
        self.assertEqual(self.apply_app("apply", 8080), ["namespace/apply unchanged",
                                                         "gateway.gateway.networking.k8s.io/gw configured",
                                                         "httproute.gateway.networking.k8s.io/web unchanged"])
        changed = self.get_json("gateway", "gw", "-n", "apply")
        self.assertEqual((changed["metadata"]["generation"], changed["spec"]["listeners"][0]["port"]), (2, 8080))
        self.assertEqual(changed["metadata"]["uid"], gw["metadata"]["uid"])
        self.assertGreater(int(changed["metadata"]["resourceVersion"]), int(gw["metadata"]["resourceVersion"]))

    def test_install_manifest_reapplies_unchanged_and_merges_env_by_name(self):
        path = self.write("install.yaml", INSTALL)
        created = self.kubectl("apply", "-f", path).stdout.splitlines()
        self.assertEqual(created, [
            "namespace/install created", "serviceaccount/controller created", "deployment.apps/controller created",
            "service/controller-admin created", "clusterrole.rbac.authorization.k8s.io/install-controller created",
            "clusterrolebinding.rbac.authorization.k8s.io/install-controller created"])
        self.assertEqual(self.kubectl("apply", "-f", path).stdout.splitlines(),
                         [line.replace(" created", " unchanged") for line in created])
        changed = INSTALL.replace('{name: OLD, value: "1"}', '{name: NEW, value: "2"}').replace("replicas: 2",
                                                                                              "replicas: 3")
        self.kubectl("apply", "-f", self.write("install2.yaml", changed))
        deploy = self.get_json("deployment", "controller", "-n", "install")
        self.assertEqual((deploy["spec"]["replicas"], deploy["metadata"]["generation"]), (3, 2))
        self.assertEqual([e["name"] for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]],
                         ["POD_NAMESPACE", "NEW"])
        can_i = ["auth", "can-i", "update", "gateways", "--subresource=status",
                 "--as=system:serviceaccount:install:controller"]
        self.assertEqual(self.kubectl(*can_i).stdout, "yes\n")

    def test_get_gateway_json_has_server_set_metadata(self):
        self.apply_app("meta")
        meta = self.get_json("gateway", "-n", "meta", "gw")["metadata"]
        self.assertEqual(meta["generation"], 1)
        self.assertRegex(meta["resourceVersion"], r"^[1-9][0-9]*$")
        self.assertRegex(meta["uid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertRegex(meta["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_get_httproutes_across_namespaces_prints_the_crd_columns(self):
        self.apply_app("routes-a")
        self.apply_app("routes-b")
        rows = [line.split() for line in self.kubectl("get", "httproutes", "-A").stdout.splitlines()]
        self.assertEqual(rows[0], ["NAMESPACE", "NAME", "HOSTNAMES", "AGE"])
        listed = [row[:3] for row in rows[1:] if row[0].startswith("routes-")]
        self.assertEqual(listed, [["routes-a", "web", '["web.example.com"]'], ["routes-b", "web", '["web.example.com"]']])
        gateways = self.kubectl("get", "gtw", "-n", "routes-a").stdout.splitlines()
        self.assertEqual(gateways[0].split(), ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"])
        self.assertEqual(gateways[1].split()[:3], ["gw", "gatehouse", "Unknown"])  # the CRD's status default

    def test_server_side_apply_creates_updates_and_drops_fields_it_stopped_applying(self):
        path = self.write("ssa.yaml", GATEWAY_APP.format(ns="ssa", port=80))
        self.assertEqual(self.kubectl("apply", "--server-side", "-f", path).stdout.splitlines(),
                         ["namespace/ssa serverside-applied", "gateway.gateway.networking.k8s.io/gw serverside-applied",
                          "httproute.gateway.networking.k8s.io/web serverside-applied"])
        self.kubectl("label", "gateway", "gw", "-n", "ssa", "owner=someone-else")
        labelled = GATEWAY_APP.format(ns="ssa", port=81).replace("metadata:\n  name: gw\n",
                                                                   "metadata:\n  name: gw\n  labels: {team: a}\n")
        self.kubectl("apply", "--server-side", "-f", self.write("ssa2.yaml", labelled))
        gw = self.get_json("gateway", "gw", "-n", "ssa")
        self.assertEqual((gw["metadata"]["labels"], gw["metadata"]["generation"]),
                         ({"owner": "someone-else", "team": "a"}, 2))
        self.kubectl("apply", "--server-side", "-f", path)
        gw = self.get_json("gateway", "gw", "-n", "ssa")
        self.assertEqual((gw["metadata"]["labels"], gw["spec"]["listeners"][0]["port"]),
                         ({"owner": "someone-else"}, 80))

    def test_patch_merge_json_and_strategic(self):
        self.apply_app("patch")
        out = self.kubectl("patch", "gateway", "gw", "-n", "patch", "--type=merge",
                           "-p", '{"spec":{"gatewayClassName":"other"}}').stdout
        self.assertEqual(out, "gateway.gateway.networking.k8s.io/gw patched\n")
        self.kubectl("patch", "httproute", "web", "-n", "patch", "--type=json",
                     "-p", '[{"op":"replace","path":"/spec/hostnames/0","value":"new.example.com"}]')
        self.assertEqual(self.get_json("gateway", "gw", "-n", "patch")["spec"]["gatewayClassName"], "other")
        self.assertEqual(self.get_json("httproute", "web", "-n", "patch")["spec"]["hostnames"], ["new.example.com"])
        deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": "patch"},
                  "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
                      "metadata": {"labels": {"app": "a"}},
                      "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}}}
        self.kubectl("apply", "-f", self.write("deploy.yaml", json.dumps(deploy)))
        self.kubectl("patch", "deployment", "app", "-n", "patch",
                     "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}')
        containers = self.get_json("deployment", "app", "-n", "patch")["spec"]["template"]["spec"]["containers"]
        self.assertEqual(containers, [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}])

    def test_delete_then_get_is_not_found(self):
        self.apply_app("delete")
        self.assertEqual(self.kubectl("delete", "httproute", "web", "-n", "delete").stdout,
                         'httproute.gateway.networking.k8s.io "web" deleted\n')
        missing = self.kubectl("get", "httproute", "web", "-n", "delete", check=False)
        self.assertEqual((missing.returncode, missing.stderr),
                         (1, 'Error from server (NotFound): httproutes.gateway.networking.k8s.io "web" not found\n'))
        path = os.path.join(self.files.name, "delete-80.yaml")
        self.assertEqual(self.kubectl("delete", "-f", path, check=False).stdout.splitlines()[:2],
                         ['namespace "delete" deleted', 'gateway.gateway.networking.k8s.io "gw" deleted'])

    def test_watch_sees_added_modified_deleted(self):
        self.apply_app("watch")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": self.files.name, "KUBECONFIG": self.fake.kubeconfig}
        watcher = subprocess.Popen(
            [KUBECTL, "get", "gateways", "-w", "--output-watch-events", "-n", "watch", "-o",
             "custom-columns=EVENT:.type,NAME:.object.metadata.name,CLASS:.object.spec.gatewayClassName,"
             "GEN:.object.metadata.generation"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(watcher.stdout.readline().split(), ["EVENT", "NAME", "CLASS", "GEN"])
            self.assertEqual(watcher.stdout.readline().split(), ["ADDED", "gw", "gatehouse", "1"])
            self.kubectl("patch", "gateway", "gw", "-n", "watch", "--type=merge", "-p", '{"spec":{"gatewayClassName":"b"}}')
            self.assertEqual(watcher.stdout.readline().split(), ["MODIFIED", "gw", "b", "2"])
            self.kubectl("delete", "gateway", "gw", "-n", "watch")
            self.assertEqual(watcher.stdout.readline().split(), ["DELETED", "gw", "b", "2"])
        finally:
            watcher.kill()
            watcher.communicate()

    def test_service_account_token_is_denied_until_a_role_binding_allows_it(self):
        self.apply_app("rbac")
        self.assertEqual(self.kubectl("create", "serviceaccount", "bot", "-n", "rbac").stdout,
                         "serviceaccount/bot created\n")
        token = self.kubectl("create", "token", "bot", "-n", "rbac").stdout.strip()
        denied = self.kubectl("get", "gateways", "-n", "rbac", token=token, check=False)
        self.assertEqual((denied.returncode, denied.stderr), (1, (
            'Error from server (Forbidden): gateways.gateway.networking.k8s.io is forbidden: User '
            '"system:serviceaccount:rbac:bot" cannot list resource "gateways" in API group '
            '"gateway.networking.k8s.io" in the namespace "rbac"\n')))
        can_i = ["auth", "can-i", "list", "gateways.gateway.networking.k8s.io", "-n", "rbac"]
        self.assertEqual(self.kubectl(*can_i, token=token, check=False).stdout, "no\n")
        self.kubectl("create", "role", "gw-reader", "-n", "rbac", "--verb=get,list,watch",
                     "--resource=gateways.gateway.networking.k8s.io")
        self.kubectl("create", "rolebinding", "gw-reader", "-n", "rbac", "--role=gw-reader",
                     "--serviceaccount=rbac:bot")
        self.assertEqual(self.kubectl("get", "gateways", "-n", "rbac", "-o", "name", token=token).stdout,
                         "gateway.gateway.networking.k8s.io/gw\n")
        self.assertEqual(self.kubectl(*can_i, token=token).stdout, "yes\n")
        other = self.kubectl("get", "gateways", "-A", token=token, check=False)
        self.assertIn("at the cluster scope", other.stderr)
        self.kubectl("delete", "serviceaccount", "bot", "-n", "rbac")
        gone = self.kubectl("get", "gateways", "-n", "rbac", token=token, check=False)
        self.assertEqual(gone.stderr, "error: You must be logged in to the server (Unauthorized)\n")

    def test_client_certificate_kubeconfig_authenticates_by_subject(self):
        out = self.kubectl("auth", "whoami", "--kubeconfig", os.path.join(self.fake.state_dir,
                                                                          "kubeconfig-client-cert")).stdout
        self.assertEqual(out.split("\n")[1:3], ["Username    admin-cert",
                                                "Groups      [system:masters system:authenticated]"])

    def test_applied_crd_is_served_until_deleted(self):
        crd = self.write("widget-crd.yaml", WIDGET_CRD)
        self.assertEqual(self.kubectl("apply", "-f", crd).stdout,
                         "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n")
        self.kubectl("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")
        self.kubectl("create", "namespace", "crd")
        widget = self.write("widget.yaml", "apiVersion: example.com/v1\nkind: Widget\n"
                                           "metadata: {name: w, namespace: crd}\nspec: {}\n")
        self.assertEqual(self.kubectl("apply", "-f", widget).stdout, "widget.example.com/w created\n")
        self.assertEqual(self.kubectl("get", "wdg", "-n", "crd").stdout.splitlines()[1].split()[:2], ["w", "3"])
        self.kubectl("delete", "-f", crd)
        gone = self.kubectl("get", "widgets", "-n", "crd", check=False)  # kubectl's discovery cache is stale
        self.assertEqual(gone.stderr, 'Error from server (NotFound): Unable to list "example.com/v1, '
                         'Resource=widgets": the server could not find the requested resource\n')

    def test_upstream_conformance_manifests_pass_validation_except_where_a_cluster_refuses_them(self):
        self.kubectl("apply", "-f", gateway_api("conformance", "base", "manifests.yaml"))
        result = self.kubectl("apply", "-f", gateway_api("conformance", "tests"), check=False)
        tests = gateway_api("conformance", "tests")
        # The suite substitutes the controller name placeholder before applying; the standard-channel
        # CRDs lack HTTPRoute retry. A real cluster refuses both, in these words.
        self.assertEqual((result.returncode, result.stderr.splitlines()), (1, [
            f'Error from server (Invalid): error when creating "{tests}/gatewayclass-observed-generation-bump.yaml": '
            'GatewayClass.gateway.networking.k8s.io "gatewayclass-observed-generation-bump" is invalid: '
            'spec.controllerName: Invalid value: "{GATEWAY_CONTROLLER_NAME}": spec.controllerName in body should '
            "match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$'",
            f'Error from server (BadRequest): error when creating "{tests}/httproute-retry.yaml": HTTPRoute in '
            'version "v1" cannot be handled as a HTTPRoute: strict decoding error: unknown field '
            '"spec.rules[0].retry", unknown field "spec.rules[1].retry"']))
        self.assertGreater(len(result.stdout.splitlines()), 300)

    def test_gateway_api_crd_directory_reapplies_unchanged_over_the_installed_crds(self):
        out = self.kubectl("apply", "-f", CRDS).stdout.splitlines()
        self.assertEqual(len(out), 12)
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/gateways.gateway.networking.k8s.io unchanged",
                      out)
        self.assertIn("validatingadmissionpolicy.admissionregistration.k8s.io/safe-upgrades.gateway.networking.k8s.io"
                      " unchanged", out)
        self.assertEqual([line for line in out if not line.endswith(" unchanged")], [])


if __name__ == "__main__":
    unittest.main()
