"""GET /metrics on the admin address, scraped from the real binary after real traffic: exact
histogram counts per label set (OpenTelemetry HTTP names plus the Gateway API identity labels),
upstream attempts with their failure type, unmatched routes, connection counters, the control
plane's and the process' families. The exposition is read with the Prometheus project's own
parsers (python3-prometheus-client), for the text format and for OpenMetrics. With
--metrics-per-route-labels false, two routes count in one series; with --request-metrics false there are
no request series, and the other families stay.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_metrics.py
"""

import http.client
import os
import sys
import unittest

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GatehouseTestCase, RawConnection, backend_ref, backend_service, gateway, gateway_address, gateway_class,
    http_route, listener, path_match, request, rule, wait_until)

PORT = 8080
IDENTITY = {"gateway_namespace": "default", "gateway_name": "gw", "listener": "http"}
API = {**IDENTITY, "route_kind": "HTTPRoute", "route_namespace": "default", "route_name": "shop",
       "route_rule": "api", "backend": "default/echo:8080"}
DOWN = {**API, "route_rule": "1", "backend": "default/down:9090"}
UNMATCHED = {**IDENTITY, "route_kind": "", "route_namespace": "", "route_name": "", "route_rule": "", "backend": ""}


def scrape(gh, accept=None):
    conn = http.client.HTTPConnection(*gh.admin, timeout=10)
    try:
        conn.request("GET", "/metrics", headers={"Accept": accept} if accept else {})
        res = conn.getresponse()
        return res.status, res.getheader("Content-Type"), res.read().decode()
    finally:
        conn.close()


def samples(text, parser=parse_text):
    """{(sample name, frozenset of labels): value} of every sample."""
    out = {}
    for family in parser(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def key(name, **labels):
    return (name, frozenset(labels.items()))


class MetricsTest(GatehouseTestCase):
    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            # Nothing listens on the endpoint: every attempt is refused.
            *backend_service("down", [gh.backend_ip()], port=9090),
        ])
        api = rule([backend_ref("echo")], matches=[path_match("/api")])
        api["name"] = "api"
        gh.write("10-route.yaml", [http_route("shop", hostnames=["shop.example.com"], rules=[
            api, rule([backend_ref("down", port=9090)], matches=[path_match("/down")])])])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ip = gateway_address(cls.gh, "gw")
        wait_until(lambda: request(cls.ip, PORT, "/api", host="shop.example.com").status == 200, what="route live")
        # A request is counted after its response went out: wait until the probe that got the 200
        # is (on both legs), or it could land after `before` and be taken for one of those below.
        ok = {"http_request_method": "GET", "http_response_status_code": "200", **API}
        wait_until(lambda: all(samples(scrape(cls.gh)[2]).get(key(f"http_{leg}_request_duration_seconds_count", **ok))
                               for leg in ("server", "client")), what="the probe counted")
        # Counted from here on: the connections and requests below, on top of the probes above.
        cls.before = samples(scrape(cls.gh)[2])
        for _ in range(3):
            assert request(cls.ip, PORT, "/api/items", host="shop.example.com").status == 200
        assert request(cls.ip, PORT, "/api", host="shop.example.com", method="POST", body=b"hello").status == 200
        assert request(cls.ip, PORT, "/down", host="shop.example.com").status == 503
        assert request(cls.ip, PORT, "/", host="other.example.com").status == 404
        raw = RawConnection(cls.ip, PORT)
        raw.send(b"GET / HTTP/1.1\r\nHost: shop.example.com\r\nBad Header: x\r\n\r\n")
        assert raw.read_response().status == 400
        raw.close()
        cls.connections = 7

    def delta(self, now, name, labels):
        k = key(name, **labels)
        return now.get(k, 0) - self.before.get(k, 0)

    def test_text_format_content_type(self):
        status, content_type, _ = scrape(self.gh)
        self.assertEqual((status, content_type), (200, "text/plain; version=0.0.4; charset=utf-8"))

    def test_server_histogram_counts_each_request_under_its_route_rule_and_backend(self):
        now = samples(scrape(self.gh)[2])
        count = "http_server_request_duration_seconds_count"
        self.assertEqual(self.delta(now, count, {"http_request_method": "GET", "http_response_status_code": "200", **API}), 3)
        self.assertEqual(self.delta(now, count, {"http_request_method": "POST", "http_response_status_code": "200", **API}), 1)
        self.assertEqual(now[key(count, http_request_method="GET", http_response_status_code="503", error_type="503", **DOWN)], 1)

    def test_unmatched_request_is_counted_with_gateway_and_listener_only(self):
        now = samples(scrape(self.gh)[2])
        self.assertEqual(now[key("http_server_request_duration_seconds_count", http_request_method="GET",
                                 http_response_status_code="404", **UNMATCHED)], 1)

    def test_malformed_request_is_counted(self):
        now = samples(scrape(self.gh)[2])
        no_identity = {k: "" for k in UNMATCHED}
        self.assertEqual(now[key("http_server_request_duration_seconds_count", http_request_method="_OTHER",
                                 http_response_status_code="400", **no_identity)], 1)

    def test_client_histogram_observes_every_attempt_with_its_failure(self):
        now = samples(scrape(self.gh)[2])
        count = "http_client_request_duration_seconds_count"
        self.assertEqual(self.delta(now, count, {"http_request_method": "GET", "http_response_status_code": "200", **API}), 3)
        self.assertEqual(now[key(count, http_request_method="GET", error_type="connection_refused", **DOWN)], 1)
        # Answered locally, never sent upstream.
        self.assertNotIn(key(count, http_request_method="GET", http_response_status_code="404", **UNMATCHED), now)

    def test_buckets_are_cumulative_and_end_with_the_count(self):
        now = samples(scrape(self.gh)[2])
        labels = {"http_request_method": "GET", "http_response_status_code": "503", "error_type": "503", **DOWN}
        buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in now.items()
                          if k[0] == "http_server_request_duration_seconds_bucket"
                          and dict(k[1]).items() - {("le", dict(k[1])["le"])} == labels.items()))
        self.assertEqual(len(buckets), 15)
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
        self.assertEqual(buckets[-1], (float("inf"), 1))
        self.assertGreater(now[key("http_server_request_duration_seconds_sum", **labels)], 0)

    def test_downstream_connections(self):
        def settled():
            now = samples(scrape(self.gh)[2])
            return now if now[key("gatehouse_downstream_connections_active", **IDENTITY)] == 0 else None
        now = wait_until(settled, what="connections closed")
        self.assertEqual(self.delta(now, "gatehouse_downstream_connections_total", IDENTITY), self.connections)

    def test_control_plane_families(self):
        now = samples(scrape(self.gh)[2])
        self.assertGreaterEqual(now[key("gatehouse_config_revision")], 1)
        self.assertGreaterEqual(now[key("gatehouse_translation_duration_seconds_count")], 1)
        self.assertEqual(now[key("gatehouse_config_errors")], 0)
        self.assertEqual(now[key("gatehouse_config_objects", kind="Gateway", accepted="true")], 1)
        self.assertEqual(now[key("gatehouse_config_objects", kind="GatewayClass", accepted="true")], 1)
        self.assertEqual(now[key("gatehouse_config_objects", kind="HTTPRoute", accepted="true")], 1)

    def test_process_families(self):
        now = samples(scrape(self.gh)[2])
        self.assertGreater(now[key("process_cpu_seconds_total")], 0)
        self.assertGreater(now[key("process_resident_memory_bytes")], 1 << 20)
        self.assertGreater(now[key("process_open_fds")], 3)

    def test_openmetrics_when_accept_asks(self):
        status, content_type, text = scrape(self.gh, "application/openmetrics-text; version=1.0.0,text/plain;q=0.5")
        self.assertEqual((status, content_type), (200, "application/openmetrics-text; version=1.0.0; charset=utf-8"))
        self.assertTrue(text.endswith("# EOF\n"))
        now = samples(text, parse_openmetrics)
        self.assertEqual(now[key("http_client_request_duration_seconds_count", http_request_method="GET",
                                 error_type="connection_refused", **DOWN)], 1)
        self.assertIn(key("gatehouse_downstream_connections_total", **IDENTITY), now)


class WithoutPerRouteLabelsTest(GatehouseTestCase):
    serve_args = ("--metrics-per-route-labels", "false")

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        cls.other = gh.start_echo("echo-2")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
            *backend_service("other", [cls.other.ip]),
        ])
        gh.write("10-routes.yaml", [
            http_route("shop", hostnames=["shop.example.com"], rules=[rule([backend_ref("echo")])]),
            http_route("blog", hostnames=["blog.example.com"], rules=[rule([backend_ref("other")])])])

    def test_two_routes_count_in_one_series_without_route_labels(self):
        ip = gateway_address(self.gh, "gw")
        for host in ("shop.example.com", "blog.example.com"):
            wait_until(lambda: request(ip, PORT, "/", host=host).status == 200, what=f"{host} live")
        before = samples(scrape(self.gh)[2])
        for host in ("shop.example.com", "blog.example.com", "shop.example.com"):
            self.assertEqual(request(ip, PORT, "/", host=host).status, 200)
        now = samples(scrape(self.gh)[2])
        for leg in ("server", "client"):
            with self.subTest(leg=leg):
                name = f"http_{leg}_request_duration_seconds_count"
                # (404s of probes before the routes were live are a series of their own.)
                series = {k: v for k, v in now.items()
                          if k[0] == name and dict(k[1]).get("http_response_status_code") == "200"}
                ok = key(name, http_request_method="GET", http_response_status_code="200", **UNMATCHED)
                self.assertEqual(list(series), [ok])
                self.assertEqual(series[ok] - before.get(ok, 0), 3)



class WithoutRequestMetricsTest(GatehouseTestCase):
    serve_args = ("--request-metrics", "false")

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [listener("http", PORT)]),
            *backend_service("echo", [cls.echo.ip]),
        ])
        gh.write("10-routes.yaml", [http_route("shop", hostnames=["shop.example.com"], rules=[rule([backend_ref("echo")])])])

    def test_no_request_series_and_the_other_families_stay(self):
        ip = gateway_address(self.gh, "gw")
        wait_until(lambda: request(ip, PORT, "/", host="shop.example.com").status == 200, what="the route live")
        for _ in range(3):
            self.assertEqual(request(ip, PORT, "/", host="shop.example.com").status, 200)
        status, _, text = scrape(self.gh)
        self.assertEqual(status, 200)
        names = {name for name, _ in samples(text)}
        self.assertFalse({n for n in names if n.startswith(("http_server_", "http_client_"))})
        self.assertIn("gatehouse_downstream_connections_total", names)
        self.assertIn("gatehouse_config_revision", names)


def gatehouse_parameters(name, metrics):
    return {"apiVersion": "gatehouse.dev/v1alpha1", "kind": "GatehouseParameters",
            "metadata": {"name": name, "namespace": "default"}, "spec": {"metrics": metrics}}


class PerGatewayParametersTest(GatehouseTestCase):
    """GatehouseParameters' spec.metrics per Gateway in standalone mode: one Gateway with route
    labels, one without, one without request series, all in one process."""

    @classmethod
    def configure(cls, gh):
        cls.echo = gh.start_echo("echo-1")
        labelled, unlabelled, uncounted = (gateway(n, [listener("http", PORT)]) for n in ("labelled", "unlabelled", "uncounted"))
        unlabelled["spec"]["infrastructure"] = {"parametersRef": {
            "group": "gatehouse.dev", "kind": "GatehouseParameters", "name": "no-route-labels"}}
        uncounted["spec"]["infrastructure"] = {"parametersRef": {
            "group": "gatehouse.dev", "kind": "GatehouseParameters", "name": "no-requests"}}
        gh.write("00-infra.yaml", [
            gateway_class(), labelled, unlabelled, uncounted,
            gatehouse_parameters("no-route-labels", {"perRouteLabels": False}),
            gatehouse_parameters("no-requests", {"requests": False}),
            *backend_service("echo", [cls.echo.ip]),
        ])
        gh.write("10-routes.yaml", [
            http_route(f"to-{n}", parents=[{"name": n}], rules=[rule([backend_ref("echo")])])
            for n in ("labelled", "unlabelled", "uncounted")])

    def test_each_gateway_counts_as_its_parameters_say(self):
        ips = {n: gateway_address(self.gh, n) for n in ("labelled", "unlabelled", "uncounted")}
        for n, ip in ips.items():
            wait_until(lambda: request(ip, PORT, "/").status == 200, what=f"{n} live")

        def counted(before):  # 200s on the server leg by gateway: {gateway: {labels: count since before}}
            out = {}
            for k, v in samples(scrape(self.gh)[2]).items():
                labels = dict(k[1])
                if k[0] == "http_server_request_duration_seconds_count" and labels["http_response_status_code"] == "200":
                    out.setdefault(labels["gateway_name"], {})[k[1]] = v - before.get(k, 0)
            return out
        # A request is counted after its response went out: wait for the probes that got a 200
        # before taking the baseline, and for the last request after.
        wait_until(lambda: {"labelled", "unlabelled"} <= counted({}).keys(), what="the probes counted")
        before = samples(scrape(self.gh)[2])
        for n, ip in ips.items():
            for _ in range(2):
                self.assertEqual(request(ip, PORT, "/").status, 200)
        now = wait_until(lambda: (c := counted(before)) and all(sum(c.get(n, {}).values()) == 2 for n in ("labelled", "unlabelled")) and c,
                         what="requests counted")
        identity = {"gateway_namespace": "default", "listener": "http", "http_request_method": "GET",
                    "http_response_status_code": "200"}
        self.assertEqual(now["labelled"], {frozenset({
            **identity, "gateway_name": "labelled", "route_kind": "HTTPRoute", "route_namespace": "default",
            "route_name": "to-labelled", "route_rule": "0", "backend": "default/echo:8080"}.items()): 2})
        self.assertEqual(now["unlabelled"], {frozenset({
            **identity, "gateway_name": "unlabelled", "route_kind": "", "route_namespace": "", "route_name": "",
            "route_rule": "", "backend": ""}.items()): 2})
        self.assertNotIn("uncounted", now)
        # Its connections are still counted.
        connections = key("gatehouse_downstream_connections_total", gateway_namespace="default",
                          gateway_name="uncounted", listener="http")
        self.assertGreaterEqual(samples(scrape(self.gh)[2]).get(connections, 0), 2)


if __name__ == "__main__":
    unittest.main()
