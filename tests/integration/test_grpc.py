"""GRPCRoute through the real binary: grpcio clients over h2c with prior knowledge against the
conformance GrpcEcho backend, and raw HTTP/2 (python3-h2) where the gateway answers itself:
routing by service/method and headers, trailers passed through, response header filters, and
the gRPC-shaped local answers (UNIMPLEMENTED, UNAVAILABLE, DEADLINE_EXCEEDED from grpc-timeout).

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_grpc.py
"""

import os
import socket
import sys
import threading
import time
import unittest

import grpc
import h2.config
import h2.connection
import h2.events

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    ROOT, GatehouseTestCase, backend_ref, endpoint_slice, gateway, gateway_address, gateway_class, listener,
    wait_until)

sys.path.insert(0, os.path.join(ROOT, "conformance", "runner", "traffic"))
from grpcclient import decode_echo_response  # noqa: E402

PORT = 8080
SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"


def h2c_service(name: str, app_protocol: bool = True) -> dict:
    port = {"name": "http", "port": 8080, "targetPort": 3000, "protocol": "TCP"}
    if app_protocol:
        port["appProtocol"] = "kubernetes.io/h2c"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"ports": [port]}}


def grpc_rule(backend: str, method: dict = None, headers: list = None, filters: list = None) -> dict:
    match = {}
    if method:
        match["method"] = method
    if headers:
        match["headers"] = headers
    out = {"matches": [match], "backendRefs": [backend_ref(backend)]}
    if filters:
        out["filters"] = filters
    return out


class SilentBackend:
    """Accepts connections and reads them without ever answering (an upstream that hangs)."""

    def __init__(self, ip: str, port: int = 3000):
        self.sock = socket.create_server((ip, port))
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def raw_grpc_call(ip: str, path: str, extra_headers: list = (), timeout: float = 10) -> tuple:
    """One gRPC request (empty message) over raw h2c; (response headers, trailers, seconds taken)."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    sock = socket.create_connection((ip, PORT), timeout=timeout)
    started = time.monotonic()
    try:
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", "grpc.example.com"),
                              (":path", path), ("content-type", "application/grpc"), ("te", "trailers"),
                              *extra_headers])
        conn.send_data(1, b"\x00\x00\x00\x00\x00", end_stream=True)
        sock.sendall(conn.data_to_send())
        headers, trailers = None, None
        while trailers is None:
            data = sock.recv(65536)
            if not data:
                raise AssertionError("connection closed before the response ended")
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    headers = dict(event.headers)
                elif isinstance(event, h2.events.TrailersReceived):
                    trailers = dict(event.headers)
                elif isinstance(event, h2.events.StreamEnded) and trailers is None:
                    trailers = {}  # trailers-only: everything is in `headers`
            sock.sendall(conn.data_to_send())
        return headers, trailers, time.monotonic() - started
    finally:
        sock.close()


class GrpcRouteTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.v1 = gh.start_echo("grpc-v1", grpc=True)
        cls.v2 = gh.start_echo("grpc-v2", grpc=True)
        cls.silent = SilentBackend(gh.backend_ip())
        cls.addClassCleanup(cls.silent.stop)
        route = {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
            "metadata": {"name": "echo", "namespace": "default"},
            "spec": {
                "parentRefs": [{"name": "gw"}],
                "hostnames": ["grpc.example.com"],
                "rules": [
                    grpc_rule("grpc-v1", method={"service": SERVICE, "method": "Echo"}, filters=[
                        {"type": "ResponseHeaderModifier",
                         "responseHeaderModifier": {"add": [{"name": "x-gateway", "value": "gatehouse"}]}}]),
                    grpc_rule("grpc-v2", method={"service": SERVICE}, headers=[{"name": "x-pick", "value": "two"}]),
                    grpc_rule("grpc-v1", method={"type": "RegularExpression", "method": "EchoT.*"}),
                    grpc_rule("silent", method={"service": "hang.Service"}),
                    grpc_rule("empty", method={"service": "empty.Service"}),
                ],
            },
        }
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT, "HTTP")]),
            h2c_service("grpc-v1"), endpoint_slice("grpc-v1", [cls.v1.ip]),
            # No appProtocol: gRPC still goes to the backend over HTTP/2.
            h2c_service("grpc-v2", app_protocol=False), endpoint_slice("grpc-v2", [cls.v2.ip]),
            h2c_service("silent"), endpoint_slice("silent", [cls.silent.sock.getsockname()[0]]),
            h2c_service("empty"),
            route,
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")
        cls.channel = grpc.insecure_channel(f"ipv4:{cls.ip}:{PORT}",
                                            options=[("grpc.default_authority", "grpc.example.com"),
                                                     ("grpc.enable_retries", 0)])
        cls.addClassCleanup(cls.channel.close)
        wait_until(lambda: cls.call("Echo")[0] == grpc.StatusCode.OK, what="the GRPCRoute to serve")

    @classmethod
    def call(cls, method: str, metadata=(), service: str = SERVICE):
        """(status code, decoded EchoResponse or None, initial metadata) of one unary call."""
        fn = cls.channel.unary_unary(f"/{service}/{method}")
        try:
            reply, call = fn.with_call(b"", metadata=list(metadata), timeout=10)
            return grpc.StatusCode.OK, decode_echo_response(reply), dict(call.initial_metadata())
        except grpc.RpcError as e:
            return e.code(), None, dict(e.initial_metadata() or ())

    def test_exact_method_routes_and_trailers_pass_through(self):
        code, reply, metadata = self.call("Echo")
        self.assertEqual(code, grpc.StatusCode.OK)  # grpcio needs the backend's grpc-status trailer for OK
        self.assertEqual(reply["fully_qualified_method"], f"/{SERVICE}/Echo")
        self.assertEqual(reply["context"]["pod"], "grpc-v1")
        self.assertEqual(reply["authority"], "grpc.example.com")
        self.assertEqual(metadata.get("x-gateway"), "gatehouse")

    def test_header_match_selects_the_service_rule(self):
        code, reply, metadata = self.call("EchoTwo", metadata=[("x-pick", "two")])
        self.assertEqual((code, reply["context"]["pod"]), (grpc.StatusCode.OK, "grpc-v2"))
        self.assertNotIn("x-gateway", metadata)

    def test_method_regex_matches_without_the_header(self):
        code, reply, _ = self.call("EchoTwo")
        self.assertEqual((code, reply["context"]["pod"]), (grpc.StatusCode.OK, "grpc-v1"))

    def test_no_route_is_unimplemented_trailers_only(self):
        self.assertEqual(self.call("Missing", service="nope.Service")[0], grpc.StatusCode.UNIMPLEMENTED)
        headers, trailers, _ = raw_grpc_call(self.ip, "/nope.Service/Missing")
        self.assertEqual((headers[":status"], headers["grpc-status"], headers["content-type"]),
                         ("200", "12", "application/grpc"))
        self.assertNotIn("content-length", headers)
        self.assertEqual(trailers, {})

    def test_backend_without_endpoints_is_unavailable(self):
        self.assertEqual(self.call("Any", service="empty.Service")[0], grpc.StatusCode.UNAVAILABLE)

    def test_grpc_timeout_ends_a_hanging_call_with_deadline_exceeded(self):
        headers, trailers, took = raw_grpc_call(self.ip, "/hang.Service/Wait", [("grpc-timeout", "300m")])
        self.assertEqual((headers[":status"], headers["grpc-status"]), ("200", "4"))
        self.assertEqual(trailers, {})
        self.assertGreaterEqual(took, 0.29)
        self.assertLess(took, 5)


if __name__ == "__main__":
    unittest.main()
