"""The topology real clusters get: `gatehouse serve --kubernetes --provision` (controller, no
traffic) and per-Gateway `gatehouse dataplane` processes fed over the config stream, against the
fake API server. The data planes authenticate with a projected-style service-account token
(TokenRequest, audience gatehouse.dev/config-stream) that the controller checks with TokenReview."""

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (BIN, ROOT, SANITIZER_REPORT, EchoBackend, backend_ref, backend_service, condition,  # noqa: E402
                               gateway, gateway_class, http_route, listener, path_match, request, rule, wait_until)
from kube_harness import Api, KubeGatehouse, start_fake  # noqa: E402
from policy_helpers import limit, rate_limit_policy, target  # noqa: E402
from redis_server import RedisServer, RedisTls  # noqa: E402
from test_backend_tls import make_ca, make_server  # noqa: E402
from test_tracing import OtlpReceiver  # noqa: E402

sys.path.insert(0, ROOT)
from tests.fakekube.certs import CertificateAuthority  # noqa: E402

AUDIENCE = "gatehouse.dev/config-stream"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DataPlaneProcess:
    """One `gatehouse dataplane`, run as the kubelet would run the provisioned pod."""

    def __init__(self, tmp: str, controller: str, gateway_key: str, token_file: str, ca_file: str):
        self.log_path = os.path.join(tmp, f"dataplane-{gateway_key.replace('/', '-')}.log")
        self._log = open(self.log_path, "ab")
        self.admin_port = free_port()
        self.proc = subprocess.Popen([BIN, "dataplane", "--controller", controller, "--gateway", gateway_key,
                                      "--token-file", token_file, "--controller-ca", ca_file, "--workers", "1",
                                      "--admin-address", f"127.0.0.1:{self.admin_port}"],
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def admin(self, path: str) -> int:
        try:
            return request("127.0.0.1", self.admin_port, path, timeout=2).status
        except OSError:
            return 0

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self._log.close()
        assert self.proc.returncode == 0, f"dataplane exited with {self.proc.returncode}:\n{self.log()[-3000:]}"
        assert not SANITIZER_REPORT.search(self.log()), "sanitizer report:\n" + self.log()[-4000:]


class SplitTopologyTest(unittest.TestCase):
    def setUp(self):
        self.fake = start_fake()
        self.addCleanup(self.fake.stop)
        self.api = Api(self.fake)
        self.tmp = tempfile.mkdtemp(prefix="gatehouse-split-")
        self.addCleanup(lambda: shutil.rmtree(self.tmp, ignore_errors=True))
        ca = CertificateAuthority()
        self.ca_file = os.path.join(self.tmp, "stream-ca.crt")
        self.cert_file, self.key_file = os.path.join(self.tmp, "stream.crt"), os.path.join(self.tmp, "stream.key")
        cert, key = ca.issue_server()
        for path, data in ((self.ca_file, ca.cert_pem), (self.cert_file, cert), (self.key_file, key)):
            with open(path, "wb") as f:
                f.write(data)
        self.stream = f"127.0.0.1:{free_port()}"
        self.gh = self.controller("a")
        self.echo = EchoBackend(self.gh.backend_ip(1), "echo-1", "default", self.gh.tmp)
        self.addCleanup(self.echo.stop)

    def controller(self, suffix: str, network: tuple = None) -> KubeGatehouse:
        gh = KubeGatehouse(f"{self.id()}.{suffix}", self.fake.kubeconfig, network=network)
        gh.args += ["--provision", "--stream-address", self.stream, "--stream-cert", self.cert_file,
                    "--stream-key", self.key_file, "--data-plane-image", "gatehouse:test"]
        self.addCleanup(lambda: shutil.rmtree(gh.tmp, ignore_errors=True))
        self.addCleanup(gh.finish)
        return gh

    def data_plane_token(self, service_account: str, ns: str = "default") -> str:
        """A token of the ServiceAccount for the config stream's audience, in a file."""
        sa_path = self.fake.resource_path("v1", "ServiceAccount", ns, service_account)
        if self.fake.request("GET", sa_path)[0] == 404:
            code, body = self.fake.request("POST", self.fake.resource_path("v1", "ServiceAccount", ns),
                                           {"apiVersion": "v1", "kind": "ServiceAccount",
                                            "metadata": {"name": service_account, "namespace": ns}})
            # 409: the controller's provisioner created the Gateway's account meanwhile.
            self.assertIn(code, (201, 409), body)
        code, body = self.fake.request("POST", sa_path + "/token",
                                       {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                        "spec": {"audiences": [AUDIENCE], "expirationSeconds": 3600}})
        self.assertEqual(code, 201, body)
        path = os.path.join(self.tmp, f"token-{service_account}")
        with open(path, "w") as f:
            f.write(body["status"]["token"])
        return path

    def data_plane(self, gateway_key: str, token_file: str) -> DataPlaneProcess:
        dp = DataPlaneProcess(self.tmp, self.stream, gateway_key, token_file, self.ca_file)
        self.addCleanup(dp.stop)
        return dp

    def apply_world(self):
        for obj in [gateway_class(), gateway("gw", [listener("http", 8080)]),
                    *backend_service("echo", [self.echo.ip]),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)

    def programmed(self, name: str = "gw") -> dict:
        gw = self.api.get("Gateway", name)
        return condition(gw.get("status", {}).get("conditions", []), "Programmed") or {}

    def serves(self, path: str = "/hello") -> int:
        try:
            return request(self.gh.gateway_ip(1), 8080, path, timeout=2).status
        except OSError:
            return 0


class TestProgrammedOnlyWhenLive(SplitTopologyTest):
    def test_gateway_is_pending_until_its_data_plane_applied_the_config_then_serves(self):
        self.apply_world()
        self.gh.start()
        # (The CRD's default condition, before any controller wrote, is Unknown/Pending too.)
        pending = wait_until(lambda: self.programmed().get("status") == "False" and self.programmed(),
                             what="Gateway Programmed=False/Pending")
        self.assertEqual((pending["reason"], pending["message"]),
                         ("Pending", "Waiting for the Gateway's data plane to apply its config"))
        self.assertEqual(self.serves(), 0, "the controller itself serves no traffic")

        dp = self.data_plane("default/gw", self.data_plane_token("gatehouse-gw"))
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        self.assertEqual(dp.admin("/ready"), 200)
        res = request(self.gh.gateway_ip(1), 8080, "/hello")
        self.assertEqual((res.status, res.json()["pod"]), (200, "echo-1"))
        # A route change reaches the data plane over the stream.
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v2")])]))
        wait_until(lambda: self.serves("/hello") == 404, what="old path no longer routed by the data plane")
        self.assertEqual(self.serves("/v2/x"), 200)
        self.assertIn("config stream: connected to", dp.log())

        # A data plane that goes away takes Programmed with it.
        dp.stop()
        wait_until(lambda: self.programmed().get("reason") == "Pending", what="Gateway Pending again")

    def test_a_token_of_another_gateways_service_account_is_refused(self):
        self.apply_world()
        self.gh.start()
        dp = self.data_plane("default/gw", self.data_plane_token("gatehouse-other"))
        wait_until(lambda: "refused this data plane" in dp.log(), what="refusal in the data plane's log")
        self.assertEqual((dp.admin("/healthz"), dp.admin("/ready")), (200, 503), "alive, but no config: not ready")
        self.assertIn("system:serviceaccount:default:gatehouse-other may not receive the config of Gateway "
                      "default/gw (only system:serviceaccount:default:gatehouse-gw)", dp.log())
        time.sleep(1)
        self.assertEqual(self.programmed().get("reason"), "Pending")
        self.assertEqual(self.serves(), 0)


class TestControllerRestart(SplitTopologyTest):
    def test_data_plane_serves_through_a_controller_restart_and_takes_changes_after_it(self):
        self.apply_world()
        self.gh.start()
        dp = self.data_plane("default/gw", self.data_plane_token("gatehouse-gw"))
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")

        results = {"ok": 0, "failed": []}
        stop = threading.Event()

        def client_loop():
            while not stop.is_set():
                try:
                    status = request(self.gh.gateway_ip(1), 8080, "/hello", timeout=2).status
                except OSError as e:
                    status = repr(e)
                if status == 200:
                    results["ok"] += 1
                else:
                    results["failed"].append(status)
                time.sleep(0.01)
        loop = threading.Thread(target=client_loop)
        loop.start()
        try:
            time.sleep(0.5)
            self.gh.stop("KILL")
            time.sleep(2)
            second = self.controller("b", network=(self.gh.a, self.gh.b))
            second.start()
            self.assertEqual(dp.admin("/ready"), 200, "serving its last config with the controller away")
            wait_until(lambda: dp.log().count("config stream: connected to") >= 2, what="data plane reconnected")
            time.sleep(0.5)
        finally:
            stop.set()
            loop.join()
        self.assertEqual(results["failed"], [])
        self.assertGreater(results["ok"], 50)
        self.api.apply(http_route("r", [rule([backend_ref("echo")], [path_match("/v2")])]))
        wait_until(lambda: self.serves("/hello") == 404, what="a change after the restart reaches the data plane")


class ProvisionedTest(SplitTopologyTest):
    """The controller provisions each Gateway's data plane; the kubelet stand-in runs it."""

    def setUp(self):
        super().setUp()
        self.gh.args += ["--stream-ca", self.ca_file]
        from tests.fakekube.kubelet import Kubelet
        self.kubelet = Kubelet(self.fake, {"gatehouse:test": BIN}, self.tmp, lambda n: self.gh.gateway_ip(100 + n))
        self.kubelet.start()
        self.addCleanup(self.kubelet.stop)

    def object(self, kind: str, api_version: str, name: str, ns: str = "default") -> dict:
        return wait_until(lambda: self.fake.request("GET", self.fake.resource_path(api_version, kind, ns, name))[1]
                          if self.fake.request("GET", self.fake.resource_path(api_version, kind, ns, name))[0] == 200
                          else None, what=f"{kind} {name}")


class TestProvisioning(ProvisionedTest):
    def test_infrastructure_labels_and_annotations_reach_every_object_and_the_pod_serves(self):
        gw = gateway("gw", [listener("http", 8080)])
        gw["spec"]["infrastructure"] = {"labels": {"team": "payments"}, "annotations": {"example.com/owner": "alice"}}
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip]),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)
        self.gh.start()
        uid = self.api.get("Gateway", "gw")["metadata"]["uid"]
        for kind, api_version in (("ServiceAccount", "v1"), ("Deployment", "apps/v1"), ("Service", "v1")):
            obj = self.object(kind, api_version, "gatehouse-gw")
            self.assertEqual(obj["metadata"]["labels"]["team"], "payments", kind)
            self.assertEqual(obj["metadata"]["annotations"]["example.com/owner"], "alice", kind)
            self.assertEqual([(o["kind"], o["name"], o["uid"]) for o in obj["metadata"]["ownerReferences"]],
                             [("Gateway", "gw", uid)], kind)
        deployment = self.object("Deployment", "apps/v1", "gatehouse-gw")
        self.assertEqual(deployment["spec"]["template"]["metadata"]["labels"]["team"], "payments")

        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        service = wait_until(lambda: self.api.get("Service", "gatehouse-gw")["status"]["loadBalancer"].get("ingress")
                             and self.api.get("Service", "gatehouse-gw"), what="load balancer address")
        self.assertEqual(service["spec"]["type"], "LoadBalancer")
        self.assertEqual(service["spec"]["ports"], [{"name": "tcp-8080", "port": 8080, "targetPort": 8080,
                                                     "protocol": "TCP"}])
        lb = service["status"]["loadBalancer"]["ingress"][0]["ip"]
        res = request(lb, 8080, "/hello")
        self.assertEqual((res.status, res.json()["pod"]), (200, "echo-1"))
        # The probes of the pod template reach the data plane's admin API on the pod IP.
        probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]
        self.assertEqual(probe, {"path": "/ready", "port": "admin"})
        pod = self.kubelet.pods_of("default", "gatehouse-gw")[0]
        self.assertEqual(request(pod.ip, 15021, "/ready").status, 200)

    def test_gateway_addresses_are_its_services_and_follow_it(self):
        self.apply_world()
        self.gh.start()
        self.object("Service", "v1", "gatehouse-gw")
        service = wait_until(lambda: self.api.get("Service", "gatehouse-gw")["status"]["loadBalancer"].get("ingress")
                             and self.api.get("Service", "gatehouse-gw"), what="load balancer address")
        lb = service["status"]["loadBalancer"]["ingress"][0]["ip"]
        wait_until(lambda: self.api.get("Gateway", "gw")["status"]["addresses"] == [{"type": "IPAddress", "value": lb}],
                   what="the load balancer's address in the Gateway's status")
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        self.assertEqual(request(lb, 8080, "/hello").status, 200)

        # The cloud's load balancer moves to a name: the Gateway follows without any change of its own.
        self.api.write_status("Service", "gatehouse-gw",
                              {"loadBalancer": {"ingress": [{"hostname": "gw.example.com"}, {"ip": "192.0.2.10"}]}})
        wait_until(lambda: self.api.get("Gateway", "gw")["status"]["addresses"] ==
                   [{"type": "Hostname", "value": "gw.example.com"}, {"type": "IPAddress", "value": "192.0.2.10"}],
                   what="the Gateway's addresses following its Service")
        self.assertEqual(self.programmed().get("status"), "True")

    def test_static_addresses_become_the_services_external_ips_and_lead_the_gateways_addresses(self):
        gw = gateway("gw", [listener("http", 8080)], addresses=["198.51.100.7"])
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip])]:
            self.api.apply(obj)
        self.gh.start()
        self.object("Service", "v1", "gatehouse-gw")
        service = wait_until(lambda: self.api.get("Service", "gatehouse-gw")["status"]["loadBalancer"].get("ingress")
                             and self.api.get("Service", "gatehouse-gw"), what="load balancer address")
        self.assertEqual(service["spec"]["externalIPs"], ["198.51.100.7"])
        lb = service["status"]["loadBalancer"]["ingress"][0]["ip"]
        wait_until(lambda: self.api.get("Gateway", "gw")["status"]["addresses"] ==
                   [{"type": "IPAddress", "value": "198.51.100.7"}, {"type": "IPAddress", "value": lb}],
                   what="the static address, then the load balancer's, in the Gateway's status")

    def test_a_253_character_gateway_name_gets_valid_hashed_names_and_is_served(self):
        name = "g" * 253
        for obj in [gateway_class(), gateway(name, [listener("http", 8080)]),
                    *backend_service("echo", [self.echo.ip])]:
            self.api.apply(obj)
        route = http_route("r", [rule([backend_ref("echo")], [path_match("/")])])
        route["spec"]["parentRefs"] = [{"name": name}]
        self.api.apply(route)
        self.gh.start()
        derived = "gatehouse-" + "g" * 44 + "-"
        deployment = wait_until(lambda: next((d for d in self.fake.request("GET", "/apis/apps/v1/deployments")[1]["items"]
                                              if d["metadata"]["name"].startswith(derived)), None),
                                what="Deployment of the long-named Gateway")
        self.assertEqual(len(deployment["metadata"]["name"]), 63)
        dp_name = deployment["metadata"]["name"]
        wait_until(lambda: self.api.get("Service", dp_name), what="Service of the long-named Gateway")
        wait_until(lambda: self.programmed(name).get("status") == "True", what="Gateway Programmed=True")
        pod = self.kubelet.pods_of("default", dp_name)[0]
        self.assertEqual(request(pod.ip, 8080, "/hello").status, 200)

    def install_parameters_crd(self):
        with open(os.path.join(ROOT, "deploy", "crd-gatehouseparameters.yaml")) as f:
            self.fake.apply(yaml.safe_load(f))

    def test_parameters_set_replicas_service_type_and_annotations_and_the_gateway_is_served(self):
        self.install_parameters_crd()
        self.fake.apply({"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
                         "metadata": {"name": "big", "namespace": "default"},
                         "spec": {"replicas": 2, "serviceType": "ClusterIP", "annotations": {"extra": "yes"}}})
        gw = gateway("gw", [listener("http", 8080)])
        gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                          "name": "big"}}
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip]),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)
        self.gh.start()
        deployment = self.object("Deployment", "apps/v1", "gatehouse-gw")
        self.assertEqual(deployment["spec"]["replicas"], 2)
        service = self.object("Service", "v1", "gatehouse-gw")
        self.assertEqual(service["spec"]["type"], "ClusterIP")
        self.assertEqual(service["metadata"]["annotations"]["extra"], "yes")
        wait_until(lambda: len(self.kubelet.pods_of("default", "gatehouse-gw")) == 2, what="two data-plane pods")
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        accepted = condition(self.api.get("Gateway", "gw")["status"]["conditions"], "Accepted")
        self.assertEqual((accepted["status"], accepted["reason"]), ("True", "Accepted"))
        # A ClusterIP Service has no load balancer: the Gateway's address is its cluster IP.
        self.assertEqual(self.api.get("Gateway", "gw")["status"]["addresses"],
                         [{"type": "IPAddress", "value": service["spec"]["clusterIP"]}])
        # Programmed needs one live replica; each other replica serves once its own data plane applied the config.
        for pod in self.kubelet.pods_of("default", "gatehouse-gw"):
            served = wait_until(lambda: request(pod.ip, 8080, "/hello"), what=f"{pod.name} serving")
            self.assertEqual(served.status, 200, pod.name)

        # The parameters are watched: a change reaches the Deployment without touching the Gateway.
        self.fake.apply({"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
                         "metadata": {"name": "big", "namespace": "default"},
                         "spec": {"replicas": 3, "serviceType": "ClusterIP", "annotations": {"extra": "yes"}}})
        wait_until(lambda: self.fake.get("apps/v1", "Deployment", "default", "gatehouse-gw")["spec"]["replicas"] == 3,
                   what="replicas from the changed parameters")

    def test_parameters_configure_the_data_planes_access_log_tracing_and_metrics(self):
        self.install_parameters_crd()
        collector = OtlpReceiver()
        self.addCleanup(collector.stop)
        self.fake.apply({"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
                         "metadata": {"name": "observed", "namespace": "default"},
                         "spec": {"accessLog": {"fields": ["path", "status"]}, "metrics": {"perRouteLabels": False},
                                  # Only traces their clients sampled.
                                  "tracing": {"otlpEndpoint": collector.url, "sampling": 0}}})
        gw = gateway("gw", [listener("http", 8080)])
        gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                          "name": "observed"}}
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip]),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)
        self.gh.start()
        container = self.object("Deployment", "apps/v1", "gatehouse-gw")["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["args"][11:], ["--access-log", "-", "--access-log-fields", "path,status",
                                                  "--otlp-endpoint", collector.url, "--trace-sampling", "0",
                                                  "--metrics-per-route-labels", "false"])
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        pod = self.kubelet.pods_of("default", "gatehouse-gw")[0]
        served = wait_until(lambda: request(pod.ip, 8080, "/hello"), what=f"{pod.name} serving")
        self.assertEqual(served.status, 200)
        # stdout is the pod's log.
        wait_until(lambda: '{"path":"/hello","status":200}\n' in pod.log(), what="the access log line in the pod's log")
        counts = [line for line in request(pod.ip, 15021, "/metrics").text.splitlines()
                  if line.startswith("http_server_request_duration_seconds_count{")
                  and 'http_response_status_code="200"' in line]
        self.assertEqual(len(counts), 1, counts)
        self.assertIn('route_kind="",route_namespace="",route_name="",route_rule="",backend=""', counts[0])
        # The collector gets the sampled trace (a server span and its upstream attempt), and no
        # span of the requests above, which came without a traceparent.
        trace = "5a1e0f00c0ffee00d15ea5e0000000a1"
        self.assertEqual(request(pod.ip, 8080, "/traced",
                                 headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}).status, 200)
        server, clients = collector.wait_spans(trace, 2)
        self.assertEqual(len(clients), 1)
        self.assertEqual(collector.errors, [])
        self.assertEqual({s["traceId"] for s in collector.spans}, {trace})

    def test_parameters_rate_limit_redis_gives_the_replicas_one_global_limit(self):
        redis = RedisServer()
        self.addCleanup(redis.close)
        redis.start()
        self.install_parameters_crd()
        with open(os.path.join(ROOT, "deploy", "crds", "gatehouse.dev_ratelimitpolicies.yaml")) as f:
            self.fake.apply(yaml.safe_load(f))
        self.fake.apply({"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
                         "metadata": {"name": "limited", "namespace": "default"},
                         "spec": {"replicas": 2, "rateLimit": {"redis": {"address": redis.address}}}})
        gw = gateway("gw", [listener("http", 8080)])
        gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                          "name": "limited"}}
        limited = dict(rule([backend_ref("echo")], [path_match("/limited")]), name="limited")
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip]),
                    http_route("r", [limited, rule([backend_ref("echo")], [path_match("/")])]),
                    rate_limit_policy("shared", [target("HTTPRoute", "r", "limited")], global_limit=limit(4, "1h"))]:
            self.api.apply(obj)
        self.gh.start()
        container = self.object("Deployment", "apps/v1", "gatehouse-gw")["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["args"][11:], ["--rate-limit-redis", redis.address])
        wait_until(lambda: len(self.kubelet.pods_of("default", "gatehouse-gw")) == 2, what="two data-plane pods")
        pods = self.kubelet.pods_of("default", "gatehouse-gw")
        for pod in pods:
            wait_until(lambda: request(pod.ip, 8080, "/hello").status == 200, what=f"{pod.name} serving")
        codes = [request(pods[i % 2].ip, 8080, "/limited").status for i in range(6)]
        self.assertEqual(codes, [200] * 4 + [429] * 2)

    def test_parameters_redis_password_and_mutual_tls_come_from_the_gateways_namespace(self):
        pki = tempfile.mkdtemp(prefix="gatehouse-itest-redis-pki-")
        self.addCleanup(shutil.rmtree, pki, True)
        ca = make_ca(pki, "redis")
        server = make_server(pki, "server", ca, "DNS:redis.test")
        client = make_server(pki, "client", ca, "DNS:gatehouse", usage="clientAuth")
        redis = RedisServer(password="from-a-secret", tls=RedisTls(*server, ca[0], auth_clients=True, client=client))
        self.addCleanup(redis.close)
        redis.start()
        self.install_parameters_crd()
        with open(os.path.join(ROOT, "deploy", "crds", "gatehouse.dev_ratelimitpolicies.yaml")) as f:
            self.fake.apply(yaml.safe_load(f))

        def read(path):
            with open(path, "rb") as f:
                return f.read()

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()

        self.fake.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redis-auth", "namespace": "default"},
                         "data": {"pw": b64(b"from-a-secret\n")}})
        self.fake.apply({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                         "metadata": {"name": "redis-client", "namespace": "default"},
                         "data": {"tls.crt": b64(read(client[0])), "tls.key": b64(read(client[1]))}})
        self.fake.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "redis-ca", "namespace": "default"},
                         "data": {"ca.pem": read(ca[0]).decode()}})
        self.fake.apply({"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
                         "metadata": {"name": "secured", "namespace": "default"},
                         "spec": {"rateLimit": {"redis": {
                             "address": redis.address,
                             "passwordSecretRef": {"name": "redis-auth", "key": "pw"},
                             "tls": {"caCertificateRef": {"name": "redis-ca", "key": "ca.pem"}, "serverName": "redis.test",
                                     "clientCertificateRef": {"name": "redis-client"}}}}}})
        gw = gateway("gw", [listener("http", 8080)])
        gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                          "name": "secured"}}
        limited = dict(rule([backend_ref("echo")], [path_match("/limited")]), name="limited")
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip]),
                    http_route("r", [limited, rule([backend_ref("echo")], [path_match("/")])]),
                    rate_limit_policy("secured", [target("HTTPRoute", "r", "limited")],
                                      global_limit=limit(2, "1h", failureMode="Closed"))]:
            self.api.apply(obj)
        self.gh.start()
        pod_spec = self.object("Deployment", "apps/v1", "gatehouse-gw")["spec"]["template"]["spec"]
        mounted = "/var/run/secrets/gatehouse-redis"
        self.assertEqual(pod_spec["containers"][0]["args"][11:], [
            "--rate-limit-redis", redis.address, "--rate-limit-redis-password-file", f"{mounted}/password/password",
            "--rate-limit-redis-tls", "--rate-limit-redis-ca-file", f"{mounted}/ca/ca.crt",
            "--rate-limit-redis-server-name", "redis.test", "--rate-limit-redis-cert-file", f"{mounted}/client/tls.crt",
            "--rate-limit-redis-key-file", f"{mounted}/client/tls.key"])
        self.assertEqual([v["name"] for v in pod_spec["volumes"]],
                         ["config-stream-token", "redis-password", "redis-ca", "redis-client-certificate"])
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        pod = self.kubelet.pods_of("default", "gatehouse-gw")[0]
        wait_until(lambda: request(pod.ip, 8080, "/hello").status == 200, what=f"{pod.name} serving")
        self.assertEqual([request(pod.ip, 8080, "/limited").status for _ in range(3)], [200, 200, 429])
        self.assertNotIn("from-a-secret", pod.log())

    def test_a_gateway_leaving_the_class_loses_its_data_plane_and_one_not_accepted_gets_none(self):
        self.install_parameters_crd()
        rejected = gateway("rejected", [listener("http", 8082)])
        rejected["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                                "name": "missing"}}
        for obj in [gateway_class(), gateway("gw", [listener("http", 8080)]), gateway("leaves", [listener("http", 8081)]),
                    rejected, *backend_service("echo", [self.echo.ip])]:
            self.api.apply(obj)
        self.gh.start()
        kinds = (("ServiceAccount", "v1"), ("Deployment", "apps/v1"), ("Service", "v1"))
        for name in ("gw", "leaves"):
            for kind, api_version in kinds:
                self.object(kind, api_version, "gatehouse-" + name)
        wait_until(lambda: self.kubelet.pods_of("default", "gatehouse-leaves"), what="the pod of 'leaves'")
        # 'rejected' was in the same translation as the two provisioned ones.
        for kind, api_version in kinds:
            self.assertEqual(self.fake.request("GET", self.fake.resource_path(api_version, kind, "default",
                                                                              "gatehouse-rejected"))[0], 404, kind)

        leaves = self.api.get("Gateway", "leaves")
        leaves["spec"]["gatewayClassName"] = "someone-else"
        self.api.apply(leaves)
        for kind, api_version in kinds:
            wait_until(lambda: self.fake.request("GET", self.fake.resource_path(api_version, kind, "default",
                                                                                "gatehouse-leaves"))[0] == 404,
                       what=f"{kind} of 'leaves' deleted")
        wait_until(lambda: not self.kubelet.pods_of("default", "gatehouse-leaves"), what="the pod of 'leaves' gone")
        for kind, api_version in kinds:
            self.assertEqual(self.fake.request("GET", self.fake.resource_path(api_version, kind, "default",
                                                                              "gatehouse-gw"))[0], 200, kind)

    def test_a_gateway_no_longer_accepted_keeps_its_data_plane(self):
        self.install_parameters_crd()
        for obj in [gateway_class(), gateway("gw", [listener("http", 8080)]), *backend_service("echo", [self.echo.ip])]:
            self.api.apply(obj)
        self.gh.start()
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True")
        service_uid = self.object("Service", "v1", "gatehouse-gw")["metadata"]["uid"]
        gw = self.api.get("Gateway", "gw")
        gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                          "name": "typo"}}
        self.api.apply(gw)
        wait_until(lambda: condition(self.api.get("Gateway", "gw")["status"]["conditions"], "Accepted")["reason"]
                   == "InvalidParameters", what="Accepted=False/InvalidParameters")
        # A pass of the provisioner after that one: another Gateway's data plane appears.
        self.api.apply(gateway("later", [listener("http", 8081)]))
        self.object("Deployment", "apps/v1", "gatehouse-later")
        # Its Service (and the load balancer address users point at) stays.
        self.assertEqual(self.object("Service", "v1", "gatehouse-gw")["metadata"]["uid"], service_uid)
        self.object("Deployment", "apps/v1", "gatehouse-gw")

    def test_a_parameters_ref_to_a_missing_object_is_invalid_parameters_until_it_exists(self):
        self.install_parameters_crd()
        gw = gateway("gw", [listener("http", 8080)])
        gw["spec"]["infrastructure"] = {"parametersRef": {"group": "gatehouse.dev", "kind": "GatehouseParameters",
                                                          "name": "later"}}
        for obj in [gateway_class(), gw, *backend_service("echo", [self.echo.ip]),
                    http_route("r", [rule([backend_ref("echo")], [path_match("/")])])]:
            self.api.apply(obj)
        self.gh.start()
        accepted = wait_until(lambda: condition(self.api.get("Gateway", "gw").get("status", {}).get("conditions", []),
                                                "Accepted").get("reason") == "InvalidParameters"
                              and condition(self.api.get("Gateway", "gw")["status"]["conditions"], "Accepted"),
                              what="Accepted=False/InvalidParameters")
        self.assertEqual((accepted["status"], accepted["message"]),
                         ("False", "spec.infrastructure.parametersRef: gatehouse.dev/GatehouseParameters default/later "
                                   "not found"))
        self.fake.apply({"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
                         "metadata": {"name": "later", "namespace": "default"}, "spec": {"serviceType": "ClusterIP"}})
        wait_until(lambda: self.programmed().get("status") == "True", what="Gateway Programmed=True once it exists")
        self.assertEqual(self.api.get("Service", "gatehouse-gw")["spec"]["type"], "ClusterIP")


if __name__ == "__main__":
    unittest.main()
