"""BackendTLSPolicy through the real binary against a real TLS backend (Debian's nginx, with
openssl-made CAs and certificates): the SNI the backend sees, a backend certificate from another
CA or without the wanted subjectAltName fails the request (502, nothing sent in plaintext),
keep-alive reuse of TLS upstream connections, a plaintext Service on the same endpoint never gets
a TLS connection (nor the reverse), a rotated CA ConfigMap used by new connections, and an h2
backend (appProtocol kubernetes.io/h2c) reached over TLS with ALPN h2.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_backend_tls.py
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, KeepAliveClient, backend_ref, condition, endpoint_slice, gateway,
    gateway_class, http_route, listener, path_match, request, rule, service, wait_until)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BACKEND_PORT = 8443
H2_PORT = 8444  # the same, with ALPN h2
HOST = "backend.example.com"
SPIFFE = "spiffe://example.com/backend"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def make_ca(directory, name):
    crt, key = os.path.join(directory, f"{name}-ca.crt"), os.path.join(directory, f"{name}-ca.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", crt, "-days", "2", "-subj", f"/CN={name} CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    return crt, key


def make_server(directory, name, ca, sans, common_name="not-a-hostname", usage="serverAuth"):
    """A certificate signed by `ca` with subjectAltName `sans`, CN not among them by default (a
    client certificate: usage="clientAuth")."""
    crt, key, csr, ext = (os.path.join(directory, f"{name}.{e}") for e in ("crt", "key", "csr", "ext"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", csr, "-subj", f"/CN={common_name}")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={sans}\nextendedKeyUsage={usage}\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-set_serial", "11", "-days", "2",
            "-extfile", ext, "-out", crt)
    return crt, key


class Nginx:
    """nginx in the foreground, one process, serving HTTPS on ip:BACKEND_PORT (HTTP/1.1) and
    ip:H2_PORT (h2 by ALPN); each response names the SNI it got, the protocol and the connection it
    came on (nginx's connection serial and request count)."""

    def __init__(self, tmp, ip, cert):
        self.dir = os.path.join(tmp, "nginx")
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
daemon off;
master_process off;
error_log {self.dir}/error.log;
pid {self.dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  server {{
    listen {ip}:{BACKEND_PORT} ssl;
    listen {ip}:{H2_PORT} ssl http2;
    ssl_certificate {cert[0]};
    ssl_certificate_key {cert[1]};
    location / {{
      return 200 "sni=$ssl_server_name host=$host protocol=$server_protocol connection=$connection
request=$connection_requests reused=$ssl_session_reused\\n";
    }}
    location /fresh {{
      keepalive_timeout 0;  # closes each connection after its response
      return 200 "connection=$connection reused=$ssl_session_reused\\n";
    }}
  }}
}}
""")
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen([NGINX, "-p", self.dir, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        wait_until(lambda: self.proc.poll() is None and os.path.exists(f"{self.dir}/nginx.pid"), what="nginx started")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def tls_service(name, ip):
    return [service(name), endpoint_slice(name, [ip], target_port=BACKEND_PORT)]


def h2_service(name, ip):
    svc = service(name)
    svc["spec"]["ports"][0]["appProtocol"] = "kubernetes.io/h2c"
    return [svc, endpoint_slice(name, [ip], target_port=H2_PORT)]


def policy(name, ca_config_map, subject_alt_names=None, hostname=HOST):
    validation = {"hostname": hostname, "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": ca_config_map}]}
    if subject_alt_names:
        validation["subjectAltNames"] = subject_alt_names
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "BackendTLSPolicy",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": name}], "validation": validation}}


def ca_config_map(name, ca_crt):
    with open(ca_crt) as f:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
                "data": {"ca.crt": f.read()}}


def parse(body):
    """nginx's answer as a dict: sni, host, connection, request, reused."""
    return dict(re.findall(r"(\w+)=(\S*)", body))


# path prefix -> (Service, its BackendTLSPolicy's CA ConfigMap, subjectAltNames[, hostname]); no
# ConfigMap: plaintext
BACKENDS = {
    "/ok": ("tls-ok", "alpha-ca", None),
    "/host-mismatch": ("tls-host-mismatch", "alpha-ca", None, "other.example.com"),
    "/wrong-ca": ("tls-wrong-ca", "beta-ca", None),
    "/san-uri": ("tls-san-uri", "alpha-ca", [{"type": "URI", "uri": SPIFFE}]),
    "/san-dns": ("tls-san-dns", "alpha-ca", [{"type": "Hostname", "hostname": "other.example.com"},
                                             {"type": "Hostname", "hostname": "alt.example.com"}]),
    "/san-mismatch": ("tls-san-mismatch", "alpha-ca", [{"type": "Hostname", "hostname": "nope.example.com"},
                                                       {"type": "URI", "uri": "spiffe://example.com/other"}]),
    "/rotate": ("tls-rotate", "rotate-ca", None),
    "/plain": ("plain", None, None),
    "/fresh": ("tls-fresh", "alpha-ca", None),
    "/h2": ("tls-h2", "alpha-ca", None),
    "/h2-wrong-ca": ("tls-h2-wrong-ca", "beta-ca", None),
}


class BackendTlsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        alpha, cls.beta = make_ca(gh.tmp, "alpha"), make_ca(gh.tmp, "beta")
        cls.alpha = alpha
        cert = make_server(gh.tmp, "backend", alpha, f"DNS:{HOST},DNS:alt.example.com,URI:{SPIFFE}")
        cls.backend_ip = gh.backend_ip()
        cls.nginx = Nginx(gh.tmp, cls.backend_ip, cert)
        cls.addClassCleanup(cls.nginx.stop)
        docs = [gateway_class(), gateway("gw", [listener("http", 80)]),
                ca_config_map("alpha-ca", alpha[0]), ca_config_map("beta-ca", cls.beta[0])]
        rules = []
        for prefix, (svc, ca, sans, *hostname) in BACKENDS.items():
            docs += (h2_service if svc.startswith("tls-h2") else tls_service)(svc, cls.backend_ip)
            if ca:
                docs.append(policy(svc, ca, sans, *hostname))
            rules.append(rule([backend_ref(svc)], matches=[path_match(prefix)]))
        docs.append(http_route("route", rules))
        gh.write("00-infra.yaml", docs)
        gh.write("10-rotate.yaml", [ca_config_map("rotate-ca", cls.beta[0])])
        gh.sync()
        cls.ip = gh.gateway_ip()

    def get(self, path):
        return request(self.ip, 80, path, host="app.example.com")

    def test_backend_sees_the_policy_hostname_as_sni(self):
        res = self.get("/ok")
        self.assertEqual(res.status, 200, res)
        seen = parse(res.text)
        self.assertEqual(seen["sni"], HOST)
        self.assertEqual(seen["host"], "app.example.com")  # the request's Host, unchanged

    def test_certificate_from_another_ca_fails_the_request(self):
        res = self.get("/wrong-ca")
        self.assertEqual(res.status, 502, res)
        self.assertNotIn(b"sni=", res.body)

    def test_certificate_not_naming_the_hostname_fails_the_request(self):
        res = self.get("/host-mismatch")
        self.assertEqual(res.status, 502, res)

    def test_uri_subject_alt_name_authenticates_the_backend(self):
        res = self.get("/san-uri")
        self.assertEqual(res.status, 200, res)
        self.assertEqual(parse(res.text)["sni"], HOST)

    def test_any_listed_hostname_subject_alt_name_authenticates_the_backend(self):
        res = self.get("/san-dns")
        self.assertEqual(res.status, 200, res)
        self.assertEqual(parse(res.text)["sni"], HOST)  # the SNI is still the policy's hostname

    def test_subject_alt_name_mismatch_fails_even_though_the_hostname_matches(self):
        res = self.get("/san-mismatch")
        self.assertEqual(res.status, 502, res)

    def test_tls_upstream_connection_is_reused_for_keep_alive_requests(self):
        client = KeepAliveClient(self.ip, 80)
        try:
            first = client.get("/ok/1", "app.example.com")
            second = client.get("/ok/2", "app.example.com")
        finally:
            client.close()
        self.assertEqual((first.status, second.status), (200, 200))
        a, b = parse(first.text), parse(second.text)
        self.assertEqual(a["connection"], b["connection"])
        self.assertEqual(int(b["request"]), int(a["request"]) + 1)

    def test_a_new_upstream_connection_resumes_the_tls_session_of_the_last(self):
        first, second = (parse(self.get("/fresh").text) for _ in range(2))
        self.assertNotEqual(first["connection"], second["connection"])
        # nginx's $ssl_session_reused: "." for a full handshake, "r" for a resumed session.
        self.assertEqual((first["reused"], second["reused"]), (".", "r"))

    def test_plaintext_and_tls_services_on_one_endpoint_never_share_a_connection(self):
        client = KeepAliveClient(self.ip, 80)
        try:
            self.assertEqual(client.get("/ok", "app.example.com").status, 200)
            plain = client.get("/plain", "app.example.com")
            # Plaintext HTTP on nginx's TLS port: nginx refuses it, so the request did not ride
            # the pooled TLS connection.
            self.assertEqual(plain.status, 400, plain)
            self.assertIn(b"The plain HTTP request was sent to HTTPS port", plain.body)
            self.assertEqual(client.get("/ok", "app.example.com").status, 200)
        finally:
            client.close()

    def test_h2_backend_is_reached_over_tls_with_alpn_h2(self):
        res = self.get("/h2")
        self.assertEqual(res.status, 200, res)
        seen = parse(res.text)
        self.assertEqual((seen["sni"], seen["protocol"]), (HOST, "HTTP/2.0"))

    def test_h2_backend_with_a_certificate_from_another_ca_fails_the_request(self):
        res = self.get("/h2-wrong-ca")
        self.assertEqual(res.status, 502, res)

    def test_rotated_ca_config_map_is_used_by_new_connections(self):
        self.assertEqual(self.get("/rotate").status, 502)
        self.gh.write("10-rotate.yaml", [ca_config_map("rotate-ca", self.alpha[0])])
        wait_until(lambda: self.get("/rotate").status == 200, what="the rotated CA verifies the backend")
        # A pooled connection verified with the old bundle is not used under the new one: rotated
        # back to the CA that does not sign the backend, requests fail again.
        self.gh.write("10-rotate.yaml", [ca_config_map("rotate-ca", self.beta[0])])
        wait_until(lambda: self.get("/rotate").status == 502, what="the rotated-back CA refuses the backend")
        policy_status = self.gh.find("BackendTLSPolicy", "tls-rotate")["status"]["ancestors"][0]["conditions"]
        self.assertEqual(condition(policy_status, "Accepted")["status"], "True")


if __name__ == "__main__":
    unittest.main()
