"""Path normalisation and escaped slashes (`gatehouse serve --escaped-slashes`) through the real
binary, over raw HTTP/1.1 sockets and curl --path-as-is (HTTP/1.1 and h2c): the route decision
and the path the backend receives always agree. See docs/design/path-normalisation.md.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_path_normalisation.py
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, RawConnection, backend_ref, backend_service, gateway, gateway_address, gateway_class,
    http_route, listener, path_match, rule, set_header)

PORT = 8080
HOST = "paths.example.com"


class PathCase(GatehouseTestCase):
    """/public and /admin go to one capture backend, each rule stamping X-Matched."""

    @classmethod
    def configure(cls, gh):
        cls.capture = gh.start_capture()
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("capture", [cls.capture.ip]),
        ])
        gh.write("10-routes.yaml", [http_route("paths", rules=[
            rule([backend_ref("capture")], matches=[path_match("/public")],
                 filters=[set_header("X-Matched", "public")]),
            rule([backend_ref("capture")], matches=[path_match("/admin")],
                 filters=[set_header("X-Matched", "admin")]),
        ])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")

    def raw(self, target: str):
        """(status, Connection field, what the backend saw or None) of one raw HTTP/1.1 request."""
        conn = RawConnection(self.ip, PORT)
        self.addCleanup(conn.close)
        conn.send(f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        res = conn.read_response()
        return res.status, res.header("Connection"), self.seen(res)

    def curl(self, target: str, *flags):
        """(status, what the backend saw or None) of one curl --path-as-is request."""
        out = subprocess.run(["curl", "-sS", "--max-time", "10", "--path-as-is", *flags, "-H", f"Host: {HOST}",
                              "-o", "-", "-w", "\n%{http_code}", f"http://{self.ip}:{PORT}{target}"],
                             capture_output=True, text=True, timeout=20, check=True)
        body, _, status = out.stdout.rpartition("\n")
        return int(status), self.seen_body(body)

    @staticmethod
    def seen(res):
        return PathCase.seen_body(res.body.decode()) if res.status == 200 else None

    @staticmethod
    def seen_body(body: str):
        try:
            record = json.loads(body)
        except ValueError:
            return None
        matched = [v for k, v in record["headers"] if k.lower() == "x-matched"]
        return record["target"], matched[0] if matched else None


class DefaultRejectTest(PathCase):
    def test_escaped_slash_traversal_is_400_and_never_forwarded(self):
        status, connection, seen = self.raw("/public%2F..%2Fadmin")
        self.assertEqual((status, connection, seen), (400, "close", None))
        self.assertNotIn("/public%2F..%2Fadmin", [r["target"] for r in self.capture.received])

    def test_escaped_backslash_is_400(self):
        self.assertEqual(self.raw("/public%5c..%5cadmin")[:2], (400, "close"))

    def test_lower_case_escape_is_400_over_curl(self):
        self.assertEqual(self.curl("/public%2f..%2fadmin")[0], 400)

    def test_h2c_request_with_escaped_slash_is_400(self):
        self.assertEqual(self.curl("/public%2F..%2Fadmin", "--http2-prior-knowledge")[0], 400)

    def test_dot_segments_are_removed_before_routing(self):
        self.assertEqual(self.curl("/public/../admin/x"), (200, ("/admin/x", "admin")))

    def test_dot_segments_are_removed_before_routing_over_h2c(self):
        self.assertEqual(self.curl("/public/../admin/x", "--http2-prior-knowledge"), (200, ("/admin/x", "admin")))

    def test_merged_slashes_are_forwarded_merged(self):
        self.assertEqual(self.raw("//public///a/./b"), (200, None, ("/public/a/b", "public")))

    def test_escaped_slash_in_the_query_is_left_alone(self):
        self.assertEqual(self.raw("/public/x?next=%2Fadmin")[2], ("/public/x?next=%2Fadmin", "public"))


class UnescapeTest(PathCase):
    serve_args = ("--escaped-slashes", "unescape")

    def test_escaped_slash_traversal_is_routed_and_forwarded_as_decoded(self):
        self.assertEqual(self.raw("/public%2F..%2Fadmin"), (200, None, ("/admin", "admin")))

    def test_escaped_backslash_is_a_separator(self):
        self.assertEqual(self.curl("/public%5Ca%5Cb"), (200, ("/public/a/b", "public")))

    def test_h2c_gets_the_same_decision(self):
        self.assertEqual(self.curl("/public%2F..%2Fadmin", "--http2-prior-knowledge"), (200, ("/admin", "admin")))


class KeepTest(PathCase):
    serve_args = ("--escaped-slashes", "keep")

    def test_escaped_slash_stays_inside_its_segment(self):
        self.assertEqual(self.raw("/public/a%2fb"), (200, None, ("/public/a%2Fb", "public")))

    def test_escaped_traversal_is_one_segment_that_matches_no_prefix(self):
        self.assertEqual(self.raw("/public%2F..%2Fadmin")[0], 404)


if __name__ == "__main__":
    unittest.main()
