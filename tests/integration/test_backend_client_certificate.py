"""Gateway spec.tls.backend.clientCertificateRef through the real binary: a TLS backend (a BackendTLSPolicy
targets its Service) that requires a client certificate signed by its client CA sees the certificate
of the Gateway the request came in on, also for a mirrored copy; without one the handshake fails
(502); two Gateways sending to one backend never share a connection; a rotated Secret is used by new
connections; bad references set the Gateway's ResolvedRefs False with the spec's reasons.

The backend is Python's ssl server with CERT_REQUIRED, not nginx: `ssl_verify_client on` completes
the handshake and answers 400, while a backend that refuses the handshake is what this feature is
for.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_backend_client_certificate.py
"""

import http.server
import os
import ssl
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, KeepAliveClient, backend_ref, condition, gateway, gateway_address, gateway_class,
    http_route, listener, path_match, reference_grant, request, rule, tls_secret, wait_until)
from test_backend_tls import BACKEND_PORT, HOST, ca_config_map, make_ca, make_server, policy, tls_service  # noqa: E402

SERVICE = "tls-backend"


class ClientCertificateBackend:
    """HTTPS/1.1 on ip:BACKEND_PORT requiring a client certificate that chains to `client_ca`.
    Answers "client=<CN of the client certificate> path=<path>"; `seen` lists (path, CN) of every
    request, `refused` counts failed handshakes."""

    def __init__(self, ip, cert, client_ca):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*cert)
        context.load_verify_locations(cafile=client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
        self.seen = []
        self.refused = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                subject = dict(field[0] for field in self.connection.getpeercert()["subject"])
                outer.seen.append((self.path, subject["commonName"]))
                body = f"client={subject['commonName']} path={self.path}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self):
                sock, address = self.socket.accept()
                try:
                    return context.wrap_socket(sock, server_side=True), address
                except OSError:  # no certificate, or one from another CA: the connection is dropped
                    outer.refused += 1
                    raise

        self.server = Server((ip, BACKEND_PORT), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def gateway_with_client_certificate(name, ref=None):
    gw = gateway(name, [listener("http", 80)])
    if ref is not None:
        gw["spec"]["tls"] = {"backend": {"clientCertificateRef": ref}}
    return gw


def client_secret(gh, name, common_name, client_ca, ns="default"):
    crt, key = make_server(gh.tmp, f"{ns}-{name}-{common_name}", client_ca, f"DNS:{common_name}.example",
                           common_name=common_name, usage="clientAuth")
    with open(crt, "rb") as c, open(key, "rb") as k:
        return tls_secret(name, c.read(), k.read(), ns=ns)


GATEWAYS = {  # name -> clientCertificateRef
    "gw-a": {"name": "client-a"},
    "gw-b": {"name": "client-b"},
    "gw-none": None,
    "gw-rotate": {"name": "client-rotate"},
    "gw-cross": {"name": "shared", "namespace": "certs"},
    "gw-missing": {"name": "nonexistent"},
    "gw-not-permitted": {"name": "ungranted", "namespace": "certs"},
}


class BackendClientCertificateTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        server_ca, cls.client_ca = make_ca(gh.tmp, "server"), make_ca(gh.tmp, "clients")
        cert = make_server(gh.tmp, "backend", server_ca, f"DNS:{HOST}")
        cls.backend = ClientCertificateBackend(gh.backend_ip(), cert, cls.client_ca[0])
        cls.addClassCleanup(cls.backend.stop)
        docs = [gateway_class(), ca_config_map("server-ca", server_ca[0]), policy(SERVICE, "server-ca"),
                *tls_service(SERVICE, cls.backend.server.server_address[0]),
                client_secret(gh, "client-a", "gateway-a", cls.client_ca),
                client_secret(gh, "client-b", "gateway-b", cls.client_ca),
                client_secret(gh, "shared", "gateway-shared", cls.client_ca, ns="certs"),
                client_secret(gh, "ungranted", "gateway-ungranted", cls.client_ca, ns="certs"),
                reference_grant("gateways-use-shared", "certs", "Gateway", "default", "Secret", "shared")]
        docs += [gateway_with_client_certificate(name, ref) for name, ref in GATEWAYS.items()]
        mirror = {"type": "RequestMirror", "requestMirror": {"backendRef": backend_ref(SERVICE)}}
        docs.append(http_route("route", [rule([backend_ref(SERVICE)], matches=[path_match("/")]),
                                         rule([backend_ref(SERVICE)], matches=[path_match("/mirror")],
                                              filters=[mirror])],
                               parents=[{"name": name} for name in GATEWAYS]))
        gh.write("00-infra.yaml", docs)
        gh.write("10-rotate.yaml", [client_secret(gh, "client-rotate", "rotate-1", cls.client_ca)])
        gh.sync()
        cls.ips = {name: gateway_address(gh, name) for name in GATEWAYS}

    def get(self, gateway_name, path="/"):
        return request(self.ips[gateway_name], 80, path, host="app.example.com")

    def conditions(self, gateway_name):
        return self.gh.find("Gateway", gateway_name)["status"]["conditions"]

    def test_backend_sees_the_certificate_of_the_gateway_the_request_came_in_on(self):
        for name, common_name in (("gw-a", "gateway-a"), ("gw-b", "gateway-b"), ("gw-cross", "gateway-shared")):
            res = self.get(name, f"/{name}")
            self.assertEqual(res.status, 200, res)
            self.assertEqual(res.text, f"client={common_name} path=/{name}\n")
        self.assertCondition(self.conditions("gw-a"), "ResolvedRefs", "True", "ResolvedRefs")
        self.assertCondition(self.conditions("gw-cross"), "ResolvedRefs", "True", "ResolvedRefs")

    def test_gateways_sharing_a_backend_never_share_a_connection(self):
        # Keep-alive clients on both Gateways, alternating: each request is answered on a
        # connection that presented its own Gateway's certificate, pooled or not.
        clients = {name: KeepAliveClient(self.ips[name], 80) for name in ("gw-a", "gw-b")}
        try:
            answers = [(name, clients[name].get(f"/alternate/{i}", "app.example.com"))
                       for i in range(3) for name in ("gw-a", "gw-b")]
        finally:
            for client in clients.values():
                client.close()
        for name, res in answers:
            self.assertEqual(res.status, 200, res)
            self.assertTrue(res.text.startswith(f"client=gateway-{name[-1]} "), res)

    def test_without_a_client_certificate_the_backend_refuses_the_handshake(self):
        refused = self.backend.refused
        res = self.get("gw-none", "/no-certificate")
        self.assertEqual(res.status, 502, res)
        wait_until(lambda: self.backend.refused > refused, what="the backend refused a handshake")
        self.assertEqual([seen for seen in self.backend.seen if seen[0] == "/no-certificate"], [])
        self.assertIsNone(condition(self.conditions("gw-none"), "ResolvedRefs"))

    def test_missing_secret_sets_resolved_refs_false_and_sends_no_certificate(self):
        conditions = self.conditions("gw-missing")
        self.assertCondition(conditions, "ResolvedRefs", "False", "InvalidClientCertificateRef")
        self.assertEqual(condition(conditions, "ResolvedRefs")["message"],
                         "spec.tls.backend.clientCertificateRef: Secret default/nonexistent does not exist")
        self.assertCondition(conditions, "Accepted", "True", "Accepted")
        self.assertCondition(conditions, "Programmed", "True", "Programmed")
        self.assertEqual(self.get("gw-missing").status, 502)

    def test_secret_in_another_namespace_without_reference_grant_is_not_permitted(self):
        conditions = self.conditions("gw-not-permitted")
        self.assertCondition(conditions, "ResolvedRefs", "False", "RefNotPermitted")
        self.assertEqual(condition(conditions, "ResolvedRefs")["message"],
                         "spec.tls.backend.clientCertificateRef: no ReferenceGrant in certs allows this Gateway to "
                         "use Secret certs/ungranted")
        self.assertEqual(self.get("gw-not-permitted").status, 502)

    def test_mirrored_copy_presents_the_gateways_certificate(self):
        res = self.get("gw-b", "/mirror/copy")
        self.assertEqual(res.status, 200, res)
        wait_until(lambda: self.backend.seen.count(("/mirror/copy", "gateway-b")) == 2,
                   what="the main request and its mirrored copy, both with gateway-b's certificate")
        self.assertEqual([seen for seen in self.backend.seen if seen[0] == "/mirror/copy"],
                         [("/mirror/copy", "gateway-b")] * 2)

    def test_rotated_secret_is_used_by_new_connections(self):
        self.assertEqual(self.get("gw-rotate", "/rotate").text, "client=rotate-1 path=/rotate\n")
        self.gh.write("10-rotate.yaml", [client_secret(self.gh, "client-rotate", "rotate-2", self.client_ca)])
        wait_until(lambda: self.get("gw-rotate", "/rotate").text == "client=rotate-2 path=/rotate\n",
                   what="the rotated certificate presented to the backend")
        # No pooled connection of the old certificate is used any more.
        for i in range(3):
            self.assertEqual(self.get("gw-rotate", f"/rotate/{i}").text, f"client=rotate-2 path=/rotate/{i}\n")


if __name__ == "__main__":
    unittest.main()
