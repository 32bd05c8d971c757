"""Live configuration through the real binary: how fast a change is served, keep-alive
connections surviving unrelated changes, broken files and invalid objects keeping the last valid
configuration, and file deletion.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_live_config.py
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    SANITIZED, GatehouseTestCase, RawConnection, backend_ref, backend_service, condition, gateway, gateway_address,
    gateway_class, http_route, listener, path_match, request, rule, wait_until)

PORT = 8080
HOST = "live.example.com"
# The budget for a change to be served; a sanitizer build gets twice as long.
CHANGE_BUDGET_MS = 1000 * (2 if SANITIZED else 1)


def route(name, path, port=8080):
    return http_route(name, hostnames=[HOST], rules=[rule([backend_ref("echo", port=port)],
                                                          matches=[path_match(path)])])


class LiveConfigTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-live")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
        ])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def get(self, path):
        return request(self.ip, PORT, path, host=HOST)

    def assertServed(self, path):
        res = self.get(path)
        self.assertEqual(res.status, 200, res)
        self.assertEqual(res.json()["pod"], "echo-live")

    def test_change_is_served_within_budget(self):
        self.assertEqual(self.get("/fresh").status, 404)
        started = time.monotonic()
        self.gh.write("10-fresh.yaml", [route("fresh", "/fresh")])
        wait_until(lambda: self.get("/fresh").status == 200, timeout=10, interval=0.005,
                   what="the new route to be served")
        elapsed_ms = (time.monotonic() - started) * 1000
        print(f"\nnew route served {elapsed_ms:.1f} ms after the file was renamed into place")
        self.assertLess(elapsed_ms, CHANGE_BUDGET_MS)
        self.gh.delete("10-fresh.yaml")

    def test_keepalive_connection_survives_unrelated_change(self):
        self.gh.apply("20-keepalive.yaml", [route("keepalive", "/keepalive")])
        conn = RawConnection(self.ip, PORT)
        try:
            req = f"GET /keepalive HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
            conn.send(req)
            first = conn.read_response()
            self.assertEqual(first.status, 200, first)
            self.assertIsNone(first.header("Connection"))
            local = conn.sock.getsockname()

            # An unrelated change: a second Gateway with a listener of its own.
            self.gh.apply("21-second-gateway.yaml", [gateway("gw-second", [listener("http", 8090)])])
            second_ip = gateway_address(self.gh, "gw-second")
            self.assertNotEqual(second_ip, self.ip)

            conn.send(req)
            again = conn.read_response()
            self.assertEqual(again.status, 200, again)
            self.assertEqual(again.json()["path"], "/keepalive")
            self.assertEqual(conn.sock.getsockname(), local)
        finally:
            conn.close()
            self.gh.delete("21-second-gateway.yaml")
            self.gh.delete("20-keepalive.yaml")

    def test_keepalive_connection_sees_route_changes(self):
        # A request routes on the configuration current when it starts, also on an old connection.
        conn = RawConnection(self.ip, PORT)
        try:
            req = f"GET /later HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
            conn.send(req)
            self.assertEqual(conn.read_response().status, 404)
            self.gh.apply("25-later.yaml", [route("later", "/later")])
            conn.send(req)
            res = conn.read_response()
            self.assertEqual(res.status, 200, res)
            self.gh.delete("25-later.yaml")
            conn.send(req)
            self.assertEqual(conn.read_response().status, 404)
        finally:
            conn.close()

    def test_in_flight_request_finishes_after_its_route_is_removed(self):
        self.gh.apply("27-in-flight.yaml", [route("in-flight", "/in-flight")])
        conn = RawConnection(self.ip, PORT)
        try:
            # The echo holds the response for 2.5 s; meanwhile the route goes away.
            conn.send(f"GET /in-flight?delay=2500ms HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            wait_until(lambda: "/in-flight?delay=2500ms" in self.echo.requests_seen(), what="the request to arrive")
            self.gh.delete("27-in-flight.yaml")
            self.assertEqual(self.get("/in-flight").status, 404)
            res = conn.read_response()
            self.assertEqual(res.status, 200, res)
            self.assertEqual(res.json()["path"], "/in-flight?delay=2500ms")
            # The next request on that connection routes on the new configuration.
            conn.send(f"GET /in-flight HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            self.assertEqual(conn.read_response().status, 404)
        finally:
            conn.close()

    def test_endpoint_change_moves_traffic(self):
        gh = self.gh
        other = gh.start_echo("echo-other")
        gh.apply("60-endpoints.yaml", [*backend_service("movable", [self.echo.ip]),
                                       http_route("movable", hostnames=["movable.example.com"],
                                                  rules=[rule([backend_ref("movable")])])])
        get = lambda: request(self.ip, PORT, "/", host="movable.example.com")  # noqa: E731
        self.assertEqual(get().json()["pod"], "echo-live")
        gh.apply("60-endpoints.yaml", [*backend_service("movable", [other.ip]),
                                       http_route("movable", hostnames=["movable.example.com"],
                                                  rules=[rule([backend_ref("movable")])])])
        self.assertEqual([get().json()["pod"] for _ in range(5)], ["echo-other"] * 5)
        gh.delete("60-endpoints.yaml")

    def test_listener_port_change_moves_the_socket(self):
        gh = self.gh
        gh.apply("70-port.yaml", [gateway("gw-port", [listener("http", 8085)]),
                                  http_route("port-route", parents=[{"name": "gw-port"}],
                                             rules=[rule([backend_ref("echo")])])])
        ip = gateway_address(gh, "gw-port")
        self.assertEqual(request(ip, 8085, "/", host=HOST).status, 200)
        gh.apply("70-port.yaml", [gateway("gw-port", [listener("http", 8086)]),
                                  http_route("port-route", parents=[{"name": "gw-port"}],
                                             rules=[rule([backend_ref("echo")])])])
        self.assertEqual(request(ip, 8086, "/", host=HOST).status, 200)
        wait_until(lambda: _refused(ip, 8085), what="the old port to close")
        gh.delete("70-port.yaml")
        wait_until(lambda: _refused(ip, 8086), what="the deleted Gateway's port to close")

    def test_idle_connection_closed_when_its_gateway_goes(self):
        gh = self.gh
        gh.apply("80-going.yaml", [gateway("gw-going", [listener("http", 8087)]),
                                   http_route("going-route", parents=[{"name": "gw-going"}],
                                              rules=[rule([backend_ref("echo")])])])
        ip = gateway_address(gh, "gw-going")
        conn = RawConnection(ip, 8087)
        try:
            conn.send(f"GET /going HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            self.assertEqual(conn.read_response().status, 200)
            gh.delete("80-going.yaml")
            self.assertTrue(conn.closed_by_peer(timeout=10), "an idle connection of a removed listener must close")
        finally:
            conn.close()

    def test_broken_yaml_keeps_last_valid_config(self):
        gh = self.gh
        gh.apply("30-broken.yaml", [route("broken", "/broken")])
        self.assertServed("/broken")
        gh.apply("30-broken.yaml", "kind: HTTPRoute\nmetadata: {name: broken\nspec: [\n")
        errors = gh.errors()
        self.assertEqual([e["file"] for e in errors], [gh.path("30-broken.yaml")], errors)
        self.assertEqual((errors[0]["object"], errors[0]["field"]), ("", ""))
        self.assertTrue(errors[0]["reason"], errors)
        self.assertServed("/broken")
        self.assertIsNotNone(gh.find("HTTPRoute", "broken"))
        # Fixing the file clears the error.
        gh.apply("30-broken.yaml", [route("broken", "/broken")])
        self.assertEqual(gh.errors(), [])
        gh.delete("30-broken.yaml")

    def test_invalid_object_keeps_last_valid_version(self):
        gh = self.gh
        gh.apply("40-invalid.yaml", [route("invalid", "/invalid")])
        self.assertServed("/invalid")
        generation = gh.find("HTTPRoute", "invalid")["metadata"]["generation"]

        gh.apply("40-invalid.yaml", [route("invalid", "/invalid", port=70000)])
        errors = gh.errors()
        self.assertEqual(len(errors), 1, errors)
        e = errors[0]
        self.assertEqual((e["file"], e["object"], e["field"]),
                         (gh.path("40-invalid.yaml"), "HTTPRoute/default/invalid", "spec.rules[0].backendRefs[0].port"))
        self.assertTrue(e["reason"])
        self.assertServed("/invalid")
        kept = gh.find("HTTPRoute", "invalid")
        self.assertEqual(kept["spec"]["rules"][0]["backendRefs"][0]["port"], 8080)
        self.assertEqual(kept["metadata"]["generation"], generation)
        self.assertCondition(kept["status"]["parents"][0]["conditions"], "Accepted", "True", "Accepted", generation)
        gh.delete("40-invalid.yaml")
        self.assertEqual(gh.errors(), [])

    def test_invalid_new_object_is_not_served(self):
        gh = self.gh
        gh.apply("45-invalid-new.yaml", [route("invalid-new", "/invalid-new", port=70000)])
        self.assertEqual([e["object"] for e in gh.errors()], ["HTTPRoute/default/invalid-new"])
        self.assertIsNone(gh.find("HTTPRoute", "invalid-new"))
        self.assertEqual(self.get("/invalid-new").status, 404)
        gh.delete("45-invalid-new.yaml")

    def test_deleting_a_file_removes_its_routes(self):
        gh = self.gh
        before = gh.find("Gateway", "gw")["status"]["listeners"][0]["attachedRoutes"]
        gh.apply("50-delete.yaml", [route("delete-me", "/delete-me")])
        self.assertServed("/delete-me")
        self.assertEqual(gh.find("Gateway", "gw")["status"]["listeners"][0]["attachedRoutes"], before + 1)
        gh.delete("50-delete.yaml")
        res = self.get("/delete-me")
        self.assertEqual((res.status, res.body), (404, b"Not Found\n"))
        self.assertIsNone(gh.find("HTTPRoute", "delete-me"))
        gw = gh.find("Gateway", "gw")
        self.assertEqual(gw["status"]["listeners"][0]["attachedRoutes"], before)
        self.assertCondition(gw["status"]["conditions"], "Programmed", "True", "Programmed")
        self.assertIsNotNone(condition(gw["status"]["conditions"], "Accepted"))


def _refused(ip, port):
    try:
        socket.create_connection((ip, port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


if __name__ == "__main__":
    unittest.main()
