"""HTTPS listeners through the real binary: certificate choice by SNI (checked with curl and
`openssl s_client`), and cross-namespace certificateRefs with and without a ReferenceGrant.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_tls.py
"""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, backend_ref, backend_service, condition, gateway, gateway_address, gateway_class, http_route,
    listener, make_certificate, reference_grant, rule, run_tool, tls_secret, wait_until)

HTTPS_PORT = 8443
SPLIT_PORT = 8444
CROSS_PORT = 9443


class TlsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-tls")
        cls.echo_a = gh.start_echo("echo-a")
        cls.echo_b = gh.start_echo("echo-b")
        cls.certs = {}
        for name, cn in (("a", "a.example.com"), ("b", "b.example.com"), ("c", "c.example.com")):
            cls.certs[name] = make_certificate(gh.tmp, name, cn)
        cls.ca = {name: os.path.join(gh.tmp, f"{name}.crt") for name in cls.certs}
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [
                listener("https", HTTPS_PORT, "HTTPS", certificate_refs=[
                    {"kind": "Secret", "name": "cert-a"}, {"kind": "Secret", "name": "cert-b"}]),
                # One port, a listener (and certificate) per hostname.
                listener("https-a", SPLIT_PORT, "HTTPS", hostname="a.example.com",
                         certificate_refs=[{"kind": "Secret", "name": "cert-a"}]),
                listener("https-b", SPLIT_PORT, "HTTPS", hostname="b.example.com",
                         certificate_refs=[{"kind": "Secret", "name": "cert-b"}]),
            ]),
            tls_secret("cert-a", *cls.certs["a"]),
            tls_secret("cert-b", *cls.certs["b"]),
            tls_secret("cert-c", *cls.certs["c"], ns="certs"),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("echo-a", [cls.echo_a.ip]),
            *backend_service("echo-b", [cls.echo_b.ip]),
            http_route("tls-route", rules=[rule([backend_ref("echo")])], parents=[{"name": "gw", "sectionName": "https"}]),
            http_route("route-a", rules=[rule([backend_ref("echo-a")])], parents=[{"name": "gw", "sectionName": "https-a"}]),
            http_route("route-b", rules=[rule([backend_ref("echo-b")])], parents=[{"name": "gw", "sectionName": "https-b"}]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def curl(self, host, ca, ip=None, port=HTTPS_PORT, path="/"):
        ip = ip or self.ip
        res = run_tool(["curl", "-sS", "--max-time", "20", "--cacert", ca, "--resolve", f"{host}:{port}:{ip}",
                        "-w", "\n%{http_code}", f"https://{host}:{port}{path}"])
        self.assertEqual(res.returncode, 0, res.stderr.decode())
        body, _, code = res.stdout.decode().rpartition("\n")
        return int(code), body

    def served_subject(self, servername, ip=None, port=HTTPS_PORT):
        res = run_tool(["openssl", "s_client", "-connect", f"{ip or self.ip}:{port}", "-servername", servername],
                       input=b"")
        m = re.search(r"^subject=(.*)$", res.stdout.decode(), re.M)
        self.assertIsNotNone(m, res.stdout.decode() + res.stderr.decode())
        return m.group(1).strip()

    def test_sni_selects_certificate_a(self):
        self.assertEqual(self.served_subject("a.example.com"), "CN = a.example.com")
        code, body = self.curl("a.example.com", self.ca["a"], path="/hello")
        self.assertEqual(code, 200, body)
        echoed = json.loads(body)
        self.assertEqual((echoed["host"], echoed["path"], echoed["pod"]), ("a.example.com:8443", "/hello", "echo-tls"))
        self.assertEqual(echoed["headers"].get("X-Forwarded-Proto"), ["https"])

    def test_sni_selects_certificate_b(self):
        self.assertEqual(self.served_subject("b.example.com"), "CN = b.example.com")
        code, body = self.curl("b.example.com", self.ca["b"])
        self.assertEqual(code, 200, body)
        self.assertEqual(json.loads(body)["host"], "b.example.com:8443")

    def test_certificate_a_does_not_verify_b(self):
        # The certificate served for b.example.com is not signed by A's key: curl must refuse it.
        res = run_tool(["curl", "-sS", "--max-time", "20", "--cacert", self.ca["a"], "--resolve",
                        f"b.example.com:{HTTPS_PORT}:{self.ip}", f"https://b.example.com:{HTTPS_PORT}/"])
        self.assertEqual(res.returncode, 60, res.stderr.decode())  # CURLE_PEER_FAILED_VERIFICATION

    def test_https_listener_status(self):
        gw = self.gh.find("Gateway", "gw")
        ls = gw["status"]["listeners"][0]
        self.assertEqual(ls["name"], "https")
        self.assertCondition(ls["conditions"], "ResolvedRefs", "True", "ResolvedRefs", 1)
        self.assertCondition(ls["conditions"], "Programmed", "True", "Programmed", 1)
        self.assertEqual(ls["attachedRoutes"], 1)

    def test_listener_per_hostname_on_one_port(self):
        for name in ("a", "b"):
            with self.subTest(name=name):
                host = f"{name}.example.com"
                self.assertEqual(self.served_subject(host, port=SPLIT_PORT), f"CN = {host}")
                code, body = self.curl(host, self.ca[name], port=SPLIT_PORT)
                self.assertEqual(code, 200, body)
                self.assertEqual(json.loads(body)["pod"], f"echo-{name}")

    def test_cross_namespace_certificate_needs_reference_grant(self):
        gh = self.gh
        ip2 = "127.{}.{}.200".format(gh.a, gh.b)
        cross = gateway("gw-cross", [listener("https", CROSS_PORT, "HTTPS", certificate_refs=[
            {"kind": "Secret", "name": "cert-c", "namespace": "certs"}])], addresses=[ip2])
        route = http_route("cross-route", parents=[{"name": "gw-cross"}], rules=[rule([backend_ref("echo")])])
        gh.apply("20-cross.yaml", [cross, route])

        def listener_conditions():
            gw = gh.find("Gateway", "gw-cross")
            return gw and gw.get("status") and gw["status"]["listeners"][0]["conditions"]

        conditions = wait_until(listener_conditions, what="gw-cross status")
        self.assertCondition(conditions, "ResolvedRefs", "False", "RefNotPermitted", 1)
        self.assertCondition(conditions, "Programmed", "False", "Invalid", 1)
        res = run_tool(["curl", "-sS", "--max-time", "5", "--cacert", self.ca["c"], "--resolve",
                        f"c.example.com:{CROSS_PORT}:{ip2}", f"https://c.example.com:{CROSS_PORT}/"])
        self.assertEqual(res.returncode, 7, res.stderr.decode())  # CURLE_COULDNT_CONNECT: nothing listens

        gh.apply("21-grant.yaml", [reference_grant("gateway-certs", "certs", "Gateway", "default", "Secret", "cert-c")])
        wait_until(lambda: condition(listener_conditions(), "ResolvedRefs")["status"] == "True",
                   what="ResolvedRefs True after the ReferenceGrant")
        self.assertCondition(listener_conditions(), "ResolvedRefs", "True", "ResolvedRefs", 1)
        self.assertEqual(self.served_subject("c.example.com", ip=ip2, port=CROSS_PORT), "CN = c.example.com")
        code, body = self.curl("c.example.com", self.ca["c"], ip=ip2, port=CROSS_PORT)
        self.assertEqual(code, 200, body)
        self.assertEqual(json.loads(body)["pod"], "echo-tls")

        # Taking the grant away takes the listener down again.
        gh.delete("21-grant.yaml")
        self.assertCondition(listener_conditions(), "ResolvedRefs", "False", "RefNotPermitted", 1)
        wait_until(lambda: run_tool(["curl", "-sS", "--max-time", "5", "--cacert", self.ca["c"], "--resolve",
                                     f"c.example.com:{CROSS_PORT}:{ip2}",
                                     f"https://c.example.com:{CROSS_PORT}/"]).returncode == 7,
                   what="the listener to stop listening once the grant is gone")
        gh.delete("20-cross.yaml")


if __name__ == "__main__":
    unittest.main()
