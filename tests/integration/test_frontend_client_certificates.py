"""Client certificate validation on HTTPS listeners (Gateway spec.tls.frontend) through the real
binary, with openssl-made CAs and curl / `openssl s_client` as clients: the default CA bundle and a
per-port one, CA bundles from a ConfigMap and from another namespace's Secret (ReferenceGrant), the
AllowInsecureFallback mode, and a listener whose CA reference is missing until it appears.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_frontend_client_certificates.py
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, condition, gateway, gateway_address, gateway_class, http_route,
    listener, make_certificate, reference_grant, rule, run_tool, tls_secret, wait_until)

DEFAULT_PORT = 8443   # the default validation: CA "alpha"
PER_PORT = 8444       # perPort: CA "beta", from a Secret in namespace pki
FALLBACK_PORT = 8445  # gw-fallback: CA "alpha", AllowInsecureFallback
LATE_PORT = 8446      # gw-late: its CA ConfigMap is created by the test

# curl exit codes of a refused client certificate: the TLS 1.3 server's alert arrives as a handshake
# failure (35) or when reading the response (56).
REFUSED = (35, 56)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def make_ca(directory, name):
    """A self-signed CA; returns the paths of its certificate and key."""
    crt, key = os.path.join(directory, f"{name}-ca.crt"), os.path.join(directory, f"{name}-ca.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", crt, "-days", "2", "-subj", f"/CN={name} client CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    return crt, key


def make_client(directory, name, ca):
    """A client certificate signed by `ca`; returns the paths of its certificate and key."""
    crt, key, csr = (os.path.join(directory, f"{name}.{ext}") for ext in ("crt", "key", "csr"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", csr, "-subj", f"/CN={name}")
    ext = os.path.join(directory, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-set_serial", "7", "-days", "2",
            "-extfile", ext, "-out", crt)
    return crt, key


def ca_config_map(name, ca_crt, ns="default"):
    with open(ca_crt) as f:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                "data": {"ca.crt": f.read()}}


def ca_secret(name, ca_crt, ns):
    with open(ca_crt) as f:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
                "stringData": {"ca.crt": f.read()}}


def validation(refs, mode=None):
    out = {"caCertificateRefs": refs}
    if mode:
        out["mode"] = mode
    return {"validation": out}


def https_gateway(name, ports, frontend):
    gw = gateway(name, [listener(f"https-{p}", p, "HTTPS", certificate_refs=[{"kind": "Secret", "name": "server"}])
                        for p in ports])
    gw["spec"]["tls"] = {"frontend": frontend}
    return gw


class FrontendClientCertificateTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-mtls")
        cls.server = make_certificate(gh.tmp, "server", "app.example.com")
        cls.server_ca = os.path.join(gh.tmp, "server.crt")
        alpha, beta = make_ca(gh.tmp, "alpha"), make_ca(gh.tmp, "beta")
        cls.alpha_ca = alpha[0]
        cls.client = {"alpha": make_client(gh.tmp, "client-alpha", alpha),
                      "beta": make_client(gh.tmp, "client-beta", beta)}
        cm_ref = {"group": "", "kind": "ConfigMap", "name": "alpha-ca"}
        gh.write("00-infra.yaml", [
            gateway_class(),
            tls_secret("server", *cls.server),
            ca_config_map("alpha-ca", alpha[0]),
            ca_secret("beta-ca", beta[0], "pki"),
            reference_grant("gateways-read-ca", "pki", "Gateway", "default", "Secret", "beta-ca"),
            https_gateway("gw", [DEFAULT_PORT, PER_PORT], {
                "default": validation([cm_ref]),
                "perPort": [{"port": PER_PORT, "tls": validation(
                    [{"group": "", "kind": "Secret", "name": "beta-ca", "namespace": "pki"}])}]}),
            https_gateway("gw-fallback", [FALLBACK_PORT], {"default": validation([cm_ref], "AllowInsecureFallback")}),
            *backend_service("echo", [cls.echo.ip]),
            http_route("route", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw"}, {"name": "gw-fallback"}]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")
        cls.fallback_ip = gateway_address(gh, "gw-fallback")

    def curl(self, port, client=None, ip=None):
        """(curl exit code, HTTP status or None) of GET https://app.example.com:port/."""
        args = ["curl", "-sS", "--http1.1", "--max-time", "20", "--cacert", self.server_ca,
                "--resolve", f"app.example.com:{port}:{ip or self.ip}", "-w", "\n%{http_code}"]
        if client:
            args += ["--cert", self.client[client][0], "--key", self.client[client][1]]
        res = run_tool(args + [f"https://app.example.com:{port}/"])
        body, _, code = res.stdout.decode().rpartition("\n")
        if res.returncode == 0:
            self.assertEqual(json.loads(body)["pod"], "echo-mtls")
        return res.returncode, (int(code) if res.returncode == 0 else None)

    def assertRefused(self, port, client=None, ip=None):
        code, status = self.curl(port, client, ip)
        self.assertIn(code, REFUSED, f"client {client} on port {port}: status {status}")

    def listener_conditions(self, gw_name, index=0):
        gw = self.gh.find("Gateway", gw_name)
        status = gw and gw.get("status")
        return status and status.get("listeners") and status["listeners"][index]["conditions"]

    def test_default_port_serves_a_client_of_its_ca(self):
        self.assertEqual(self.curl(DEFAULT_PORT, "alpha"), (0, 200))

    def test_default_port_refuses_no_certificate_and_another_cas(self):
        self.assertRefused(DEFAULT_PORT)
        self.assertRefused(DEFAULT_PORT, "beta")

    def test_per_port_ca_from_another_namespaces_secret_replaces_the_default(self):
        self.assertEqual(self.curl(PER_PORT, "beta"), (0, 200))
        self.assertRefused(PER_PORT, "alpha")
        self.assertRefused(PER_PORT)

    def test_certificate_request_names_the_ports_ca(self):
        res = run_tool(["openssl", "s_client", "-connect", f"{self.ip}:{DEFAULT_PORT}", "-servername",
                        "app.example.com"], input=b"")
        out = res.stdout.decode()
        self.assertIn("Acceptable client certificate CA names\nCN = alpha client CA\n", out)

    def test_insecure_fallback_lets_every_client_through(self):
        for client in ("alpha", "beta", None):
            with self.subTest(client=client):
                self.assertEqual(self.curl(FALLBACK_PORT, client, ip=self.fallback_ip), (0, 200))
        # It still asks for a certificate.
        res = run_tool(["openssl", "s_client", "-connect", f"{self.fallback_ip}:{FALLBACK_PORT}", "-servername",
                        "app.example.com"], input=b"")
        self.assertIn("Acceptable client certificate CA names\nCN = alpha client CA\n", res.stdout.decode())

    def test_statuses(self):
        for index in (0, 1):
            conditions = self.listener_conditions("gw", index)
            self.assertCondition(conditions, "Accepted", "True", "Accepted", 1)
            self.assertCondition(conditions, "ResolvedRefs", "True", "ResolvedRefs", 1)
        gw = self.gh.find("Gateway", "gw")
        self.assertIsNone(condition(gw["status"]["conditions"], "InsecureFrontendValidationMode"))
        fallback = self.gh.find("Gateway", "gw-fallback")
        self.assertCondition(fallback["status"]["conditions"], "InsecureFrontendValidationMode", "True",
                             "ConfigurationChanged", 1)

    def test_missing_ca_takes_the_listener_down_until_it_exists(self):
        gh = self.gh
        late = https_gateway("gw-late", [LATE_PORT], {"default": validation(
            [{"group": "", "kind": "ConfigMap", "name": "late-ca"}])})
        late["spec"]["listeners"].append(listener("http", 8080))  # keeps the Gateway accepted, with an address
        gh.apply("20-late.yaml", [
            late,
            http_route("late-route", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw-late"}]),
        ])
        conditions = wait_until(lambda: self.listener_conditions("gw-late"), what="gw-late listener status")
        self.assertCondition(conditions, "ResolvedRefs", "False", "InvalidCACertificateRef", 1)
        self.assertCondition(conditions, "Accepted", "False", "NoValidCACertificate", 1)
        self.assertCondition(conditions, "Programmed", "False", "Invalid", 1)
        late_ip = gateway_address(gh, "gw-late")
        self.assertEqual(self.curl(LATE_PORT, "alpha", ip=late_ip)[0], 7)  # CURLE_COULDNT_CONNECT

        gh.apply("21-late-ca.yaml", [ca_config_map("late-ca", self.alpha_ca)])
        wait_until(lambda: condition(self.listener_conditions("gw-late"), "Programmed")["status"] == "True",
                   what="gw-late listener Programmed once its CA exists")
        wait_until(lambda: self.curl(LATE_PORT, "alpha", ip=late_ip)[0] == 0, what="gw-late serving")
        self.assertEqual(self.curl(LATE_PORT, "alpha", ip=late_ip), (0, 200))
        self.assertRefused(LATE_PORT, "beta", ip=late_ip)
        gh.delete("21-late-ca.yaml")
        gh.delete("20-late.yaml")


if __name__ == "__main__":
    unittest.main()
