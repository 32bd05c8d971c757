"""GET /metrics after real traffic, exact values: bytes per route and per listener (HTTP/1.1
through a raw socket, a TCPRoute's relayed bytes), retries, and downstream TLS handshakes with
their failure reasons from real clients (curl, a plaintext request, a client that hangs up, an
mTLS listener refusing a client without a certificate).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_metrics_bytes_tls.py
"""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, backend_ref, backend_service, gateway, gateway_address, gateway_class,
    http_route, listener, make_certificate, path_match, request, rule, run_tool, tls_secret, wait_until)
from test_frontend_client_certificates import ca_config_map, make_ca, validation  # noqa: E402
from test_metrics import key, samples, scrape  # noqa: E402

HTTP_PORT, HTTPS_PORT, TCP_PORT, MTLS_PORT = 8080, 8443, 9000, 8444
HOST = "shop.example.com"
IDENTITY = {"gateway_namespace": "default", "gateway_name": "gw"}
API = {"http_request_method": "GET", "http_response_status_code": "200", **IDENTITY, "listener": "http",
       "route_kind": "HTTPRoute", "route_namespace": "default", "route_name": "shop", "route_rule": "0",
       "backend": "default/echo:8080"}
REASONS = ("timeout", "closed", "client_certificate", "certificate_rejected", "protocol")


def tcp_route(name, backends, section):
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "TCPRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw", "sectionName": section}], "rules": [{"backendRefs": backends}]}}


def exchange(ip, port, data):
    """Sends `data` on a new TCP connection and returns every byte received up to the peer's close."""
    with socket.create_connection((ip, port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


class MetricsBytesTlsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-bytes")
        cert = make_certificate(gh.tmp, "server", HOST)
        cls.server_ca = os.path.join(gh.tmp, "server.crt")
        alpha = make_ca(gh.tmp, "alpha")
        mtls = gateway("gw-mtls", [listener("mtls", MTLS_PORT, "HTTPS", certificate_refs=[{"kind": "Secret", "name": "server"}])])
        mtls["spec"]["tls"] = {"frontend": {"default": validation([{"group": "", "kind": "ConfigMap", "name": "alpha-ca"}])}}
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", HTTP_PORT), listener("tcp", TCP_PORT, "TCP"),
                           listener("https", HTTPS_PORT, "HTTPS", certificate_refs=[{"kind": "Secret", "name": "server"}])]),
            mtls,
            tls_secret("server", *cert),
            ca_config_map("alpha-ca", alpha[0]),
            *backend_service("echo", [cls.echo.ip]),
        ])
        gh.write("10-routes.yaml", [
            http_route("shop", hostnames=[HOST], rules=[rule([backend_ref("echo")], matches=[path_match("/")])],
                       parents=[{"name": "gw", "sectionName": "http"}, {"name": "gw", "sectionName": "https"},
                                {"name": "gw-mtls"}]),
            tcp_route("relay", [backend_ref("echo")], "tcp"),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")
        cls.mtls_ip = gateway_address(gh, "gw-mtls")
        wait_until(lambda: request(cls.ip, HTTP_PORT, "/", host=HOST).status == 200, what="route live")

    def now(self):
        return samples(scrape(self.gh)[2])

    @staticmethod
    def delta(before, after, name, **labels):
        k = key(name, **labels)
        return after.get(k, 0) - before.get(k, 0)

    def handshakes(self, before, after, listener_name, ip_labels=IDENTITY):
        """{"completed": n, reason: n, ...} of `listener_name` between two scrapes."""
        labels = {**ip_labels, "listener": listener_name}
        out = {"completed": self.delta(before, after, "gatehouse_tls_handshakes_total", **labels)}
        for reason in REASONS:
            out[reason] = self.delta(before, after, "gatehouse_tls_handshake_failures_total", **labels, reason=reason)
        return out

    def expect_handshakes(self, before, listener_name, expected, ip_labels=IDENTITY):
        want = {"completed": 0, **{r: 0 for r in REASONS}, **expected}
        wait_until(lambda: self.handshakes(before, self.now(), listener_name, ip_labels) == want,
                   what=f"handshake counts {want}")
        self.assertEqual(self.handshakes(before, self.now(), listener_name, ip_labels), want)

    def curl(self, *args, port=HTTPS_PORT, ip=None):
        return run_tool(["curl", "-sS", "--http1.1", "--max-time", "20", "--resolve", f"{HOST}:{port}:{ip or self.ip}",
                         "-o", "/dev/null", *args, f"https://{HOST}:{port}/"]).returncode

    def test_http1_bytes_per_route_and_per_listener(self):
        sent = b"GET /bytes HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n"
        before = self.now()
        received = exchange(self.ip, HTTP_PORT, sent)
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received[:40])
        after = self.now()
        self.assertEqual(self.delta(before, after, "gatehouse_http_server_received_bytes_total", **API), len(sent))
        self.assertEqual(self.delta(before, after, "gatehouse_http_server_sent_bytes_total", **API), len(received))
        listener_labels = {**IDENTITY, "listener": "http"}
        self.assertEqual(self.delta(before, after, "gatehouse_downstream_received_bytes_total", **listener_labels), len(sent))
        self.assertEqual(self.delta(before, after, "gatehouse_downstream_sent_bytes_total", **listener_labels), len(received))
        self.assertEqual(self.delta(before, after, "gatehouse_upstream_retries_total", **API), 0)

    def test_tcp_route_counts_the_bytes_it_relays(self):
        sent = b"GET /relayed HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n"
        before = self.now()
        received = exchange(self.ip, TCP_PORT, sent)
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received[:40])
        labels = {**IDENTITY, "listener": "tcp"}
        after = wait_until(lambda: (lambda now: now if self.delta(before, now, "gatehouse_downstream_sent_bytes_total",
                                                                  **labels) == len(received) else None)(self.now()),
                           what="relayed bytes counted")
        self.assertEqual(self.delta(before, after, "gatehouse_downstream_received_bytes_total", **labels), len(sent))
        self.assertEqual(self.delta(before, after, "gatehouse_downstream_sent_bytes_total", **labels), len(received))

    def test_plain_sockets_have_no_handshake_series(self):
        now = self.now()
        self.assertNotIn(key("gatehouse_tls_handshakes_total", **IDENTITY, listener="http"), now)
        self.assertNotIn(key("gatehouse_tls_handshake_failures_total", **IDENTITY, listener="tcp", reason="closed"), now)

    def test_completed_handshake(self):
        before = self.now()
        self.assertEqual(self.curl("--cacert", self.server_ca), 0)
        self.expect_handshakes(before, "https", {"completed": 1})

    def test_client_rejecting_the_certificate(self):
        before = self.now()
        self.assertEqual(self.curl(), 60)  # curl: the peer certificate cannot be authenticated
        self.expect_handshakes(before, "https", {"certificate_rejected": 1})

    def test_plaintext_request_on_a_tls_port(self):
        before = self.now()
        exchange(self.ip, HTTPS_PORT, b"GET / HTTP/1.1\r\nHost: shop.example.com\r\n\r\n")
        self.expect_handshakes(before, "https", {"protocol": 1})

    def test_client_closing_before_its_hello(self):
        before = self.now()
        socket.create_connection((self.ip, HTTPS_PORT), timeout=10).close()
        self.expect_handshakes(before, "https", {"closed": 1})

    def test_mtls_listener_refusing_a_client_without_certificate(self):
        before = self.now()
        self.assertNotEqual(self.curl("--cacert", self.server_ca, port=MTLS_PORT, ip=self.mtls_ip), 0)
        self.expect_handshakes(before, "mtls", {"client_certificate": 1},
                               ip_labels={"gateway_namespace": "default", "gateway_name": "gw-mtls"})


if __name__ == "__main__":
    unittest.main()
