"""A kubelet and load-balancer stand-in for tests of the provisioned topology: it runs the pods of
the Deployments the controller creates as local processes, on loopback pod IPs, and gives their
LoadBalancer Services an ingress address, as a cloud's load-balancer controller would.

Per pod: the container's args with `$(VAR)` expanded from its env (`value`, or `fieldRef`
`status.podIP` / `metadata.namespace` / `metadata.name`), the env as given, each projected
serviceAccountToken volume written as a file (a real TokenRequest for the pod's ServiceAccount,
with the volume's audience), and the `items` of each secret and configMap volume written from the
pod's namespace's object as it is when the pod starts; since nothing is mounted, an argument that
names a path under a volume's mountPath is rewritten to the file's real place. The image is
mapped to a local binary."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import threading
from typing import Callable, Optional

from tests.fakekube.harness import FakeKube

MANAGED = "app.kubernetes.io/managed-by=gatehouse"


class Pod:
    def __init__(self, name: str, ip: str, proc: subprocess.Popen, log_path: str, generation: int):
        self.name, self.ip, self.proc, self.log_path, self.generation = name, ip, proc, log_path, generation

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Kubelet:
    def __init__(self, fake: FakeKube, binaries: dict, tmp: str, pod_ip: Callable[[int], str], interval: float = 0.2):
        """`binaries`: image -> local executable; `pod_ip(n)`: the n-th pod IP (n from 1)."""
        self.fake, self.binaries, self.tmp, self.pod_ip, self.interval = fake, binaries, tmp, pod_ip, interval
        self.pods: dict = {}  # (ns, deployment) -> [Pod]
        self._next_ip = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()
        with self._lock:
            for pods in self.pods.values():
                for pod in pods:
                    self._kill(pod)
            self.pods.clear()

    def pods_of(self, ns: str, deployment: str) -> list:
        with self._lock:
            return list(self.pods.get((ns, deployment), []))

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self._sync()
            except OSError:
                pass  # the API server is restarting; next round

    def _sync(self):
        path = "/apis/apps/v1/deployments"
        code, body = self.fake.request("GET", path, query={"labelSelector": MANAGED})
        if code != 200:
            return
        seen = set()
        for d in body["items"]:
            key = (d["metadata"]["namespace"], d["metadata"]["name"])
            seen.add(key)
            with self._lock:
                pods = self.pods.setdefault(key, [])
                # A new template replaces the pods (a rollout, all at once).
                if pods and pods[0].generation != d["metadata"]["generation"]:
                    for pod in pods:
                        self._kill(pod)
                    pods.clear()
                while len(pods) < d["spec"].get("replicas", 1):
                    pods.append(self._start_pod(d, len(pods)))
                while len(pods) > d["spec"].get("replicas", 1):
                    self._kill(pods.pop())
        with self._lock:
            for key in [k for k in self.pods if k not in seen]:
                for pod in self.pods.pop(key):
                    self._kill(pod)
        self._fill_load_balancers()

    def _start_pod(self, deployment: dict, index: int) -> Pod:
        ns = deployment["metadata"]["namespace"]
        name = f"{deployment['metadata']['name']}-{index}"
        self._next_ip += 1
        ip = self.pod_ip(self._next_ip)
        spec = deployment["spec"]["template"]["spec"]
        container = spec["containers"][0]
        pod_dir = os.path.join(self.tmp, f"pod-{ns}-{name}-{self._next_ip}")
        os.makedirs(pod_dir, exist_ok=True)
        fields = {"status.podIP": ip, "metadata.namespace": ns, "metadata.name": name}
        env = {}
        for e in container.get("env", []):
            env[e["name"]] = e["value"] if "value" in e else fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
        mounts = {}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for m in container.get("volumeMounts", []):
            target = os.path.join(pod_dir, m["name"])
            os.makedirs(target, exist_ok=True)
            for source in volumes[m["name"]].get("projected", {}).get("sources", []):
                sat = source.get("serviceAccountToken")
                if sat:
                    with open(os.path.join(target, sat["path"]), "w") as f:
                        f.write(self._token(ns, spec["serviceAccountName"], sat["audience"], sat["expirationSeconds"]))
            self._write_items(ns, volumes[m["name"]], target)
            mounts[m["mountPath"]] = target
        args = []
        for a in container.get("args", []):
            a = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), a)
            for mount_path, real in mounts.items():
                if a.startswith(mount_path + "/"):
                    a = real + a[len(mount_path):]
            args.append(a)
        log_path = os.path.join(pod_dir, "log")
        log = open(log_path, "ab")
        proc = subprocess.Popen([self.binaries[container["image"]], *args], env={**os.environ, **env},
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return Pod(name, ip, proc, log_path, deployment["metadata"]["generation"])

    def _write_items(self, ns: str, volume: dict, target: str):
        """A secret or configMap volume's items (key -> path) into `target`."""
        if "secret" in volume:
            source, kind, name = volume["secret"], "Secret", volume["secret"]["secretName"]
        elif "configMap" in volume:
            source, kind, name = volume["configMap"], "ConfigMap", volume["configMap"]["name"]
        else:
            return
        obj = self.fake.get("v1", kind, ns, name)
        if obj is None:
            raise OSError(f"{kind} {ns}/{name} of a pod volume: not found")
        for item in source.get("items", []):
            if kind == "Secret":
                content = base64.b64decode(obj["data"][item["key"]])
            else:
                content = obj["data"][item["key"]].encode()
            with open(os.path.join(target, item["path"]), "wb") as f:
                f.write(content)

    def _token(self, ns: str, account: str, audience: str, seconds: int) -> str:
        path = self.fake.resource_path("v1", "ServiceAccount", ns, account) + "/token"
        code, body = self.fake.request("POST", path, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                                      "spec": {"audiences": [audience], "expirationSeconds": seconds}})
        if code != 201:
            raise OSError(f"TokenRequest for {ns}/{account}: {code} {body}")
        return body["status"]["token"]

    def _fill_load_balancers(self):
        code, body = self.fake.request("GET", "/api/v1/services", query={"labelSelector": MANAGED})
        if code != 200:
            return
        for svc in body["items"]:
            if svc["spec"].get("type") != "LoadBalancer" or svc.get("status", {}).get("loadBalancer", {}).get("ingress"):
                continue
            ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
            pods = self.pods_of(ns, name)  # the provisioner names Deployment and Service alike
            if not pods:
                continue
            svc["status"] = {"loadBalancer": {"ingress": [{"ip": pods[0].ip}]}}
            self.fake.request("PUT", f"/api/v1/namespaces/{ns}/services/{name}/status", svc)

    @staticmethod
    def _kill(pod: Pod):
        if pod.proc.poll() is None:
            pod.proc.terminate()
            try:
                pod.proc.wait(10)
            except subprocess.TimeoutExpired:
                pod.proc.kill()
                pod.proc.wait()
