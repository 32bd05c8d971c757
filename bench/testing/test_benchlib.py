"""Unit tests of the harness itself (no processes, no network):
/usr/bin/python3 -m unittest discover -s bench/testing -p 'test_*.py'"""

import os
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchlib import common, grpc_cost, l4_cost, manifests, report  # noqa: E402
from benchlib import targets  # noqa: E402


class ManifestTest(unittest.TestCase):
    def test_scale_template_equals_dict_form(self):
        for i, gen in ((0, 0), (7, 3), (49999, 1)):
            self.assertEqual(list(yaml.safe_load_all(manifests.scale_route_text(i, 18002, gen))),
                             manifests.scale_route_docs(i, 18002, gen))

    def test_scale_route_shape(self):
        route, svc, eps = manifests.scale_route_docs(5, 18002)
        self.assertEqual(route["spec"]["hostnames"], ["r5.bench.test"])
        self.assertEqual(route["spec"]["rules"][0]["matches"][0]["path"]["value"], "/p5/")
        self.assertEqual(route["spec"]["rules"][0]["backendRefs"][0]["name"], svc["metadata"]["name"])
        self.assertEqual(eps["metadata"]["labels"]["kubernetes.io/service-name"],
                         svc["metadata"]["name"])
        self.assertEqual(eps["ports"][0]["port"], 18002)

    def test_gateway_has_fixed_address_and_class(self):
        docs = manifests.gateway_docs("127.0.1.1", 18040)
        gc = [d for d in docs if d["kind"] == "GatewayClass"][0]
        gw = [d for d in docs if d["kind"] == "Gateway"][0]
        self.assertEqual(gc["spec"]["controllerName"], "gatehouse.dev/gateway-controller")
        self.assertEqual(gw["spec"]["addresses"], [{"type": "IPAddress", "value": "127.0.1.1"}])
        self.assertEqual(gw["spec"]["listeners"][0]["port"], 18040)

    def test_grpc_route_to_h2c_service(self):
        route = manifests.grpc_route_doc("grpc", "grpc-backend", ["grpc.bench.test"])
        svc, eps = manifests.service_docs("grpc-backend", 80, "127.0.0.1", 18003,
                                          app_protocol="kubernetes.io/h2c")
        self.assertEqual(route["kind"], "GRPCRoute")
        self.assertEqual(route["spec"]["rules"], [{"backendRefs": [{"name": "grpc-backend",
                                                                    "port": 80}]}])
        self.assertEqual(svc["spec"]["ports"][0]["appProtocol"], "kubernetes.io/h2c")
        self.assertEqual(eps["ports"][0]["port"], 18003)
        plain, _ = manifests.service_docs("b", 80, "127.0.0.1", 18000)
        self.assertNotIn("appProtocol", plain["spec"]["ports"][0])


class GrpcPayloadTest(unittest.TestCase):
    def _messages(self, body):
        out = []
        while body:
            self.assertEqual(body[0], 0)  # not compressed
            n = int.from_bytes(body[1:5], "big")
            out.append(body[5:5 + n])
            body = body[5 + n:]
        return out

    def test_calls_are_length_prefixed_messages(self):
        unary, server, client = grpc_cost.calls()
        self.assertEqual(unary.path,
                         "/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo")
        self.assertEqual(self._messages(unary.request), [b""])
        self.assertEqual(len(self._messages(unary.response)), 1)
        self.assertEqual([len(m) for m in self._messages(server.response)], [256] * 100)
        self.assertEqual([len(m) for m in self._messages(client.request)], [256] * 100)
        self.assertEqual(client.response, unary.response)

    def test_incomplete_responses_count_as_errors(self):
        unary = grpc_cost.calls()[0]
        run = {"requests": 10, "succeeded": 10, "failed": 0, "non2xx": 0, "rps": 5.0,
               "p50_us": 1, "p99_us": 2, "foreign_load_cores": 0.0,
               "data_bytes": 7 * len(unary.response), "cpu_s": {1: 0.001, 2: 0.002}}
        f = grpc_cost._figures(run, unary, 1, 2)
        self.assertEqual(f["errors"], 3)
        self.assertAlmostEqual(f["proxy_cpu_us_per_req"], 100.0)
        self.assertAlmostEqual(f["backend_cpu_us_per_req"], 200.0)
        self.assertNotIn("proxy_cpu_us_per_req", grpc_cost._figures(run, unary, 2, 2))


class StatsTest(unittest.TestCase):
    def test_percentile_nearest_rank(self):
        xs = list(range(1, 101))
        self.assertEqual(common.percentile(xs, 50), 50)
        self.assertEqual(common.percentile(xs, 99), 99)
        self.assertEqual(common.percentile(xs, 100), 100)
        self.assertIsNone(common.percentile([], 50))

    def test_median_ignores_none(self):
        self.assertEqual(common.median([3, None, 1, 2]), 2)
        self.assertIsNone(common.median([None]))


class KubeSectionTest(unittest.TestCase):
    SECTION = f"{report.KUBE_BEGIN}\n## 6. Kubernetes\nfigures\n{report.KUBE_END}"

    def test_appended_when_absent_and_replaced_in_place_when_present(self):
        added = report.with_kube_section("# Gatehouse benchmarks\n\n## 5. Change\n", self.SECTION)
        self.assertEqual(added, "# Gatehouse benchmarks\n\n## 5. Change\n\n" + self.SECTION + "\n")
        newer = self.SECTION.replace("figures", "new figures")
        self.assertEqual(report.with_kube_section(added, newer),
                         "# Gatehouse benchmarks\n\n## 5. Change\n\n" + newer + "\n")

    def test_kept_section_is_read_back_whole(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".md") as f:
            f.write("# report\n\n" + self.SECTION + "\n")
            f.flush()
            self.assertEqual(report.kube_section(f.name), self.SECTION)
        self.assertEqual(report.kube_section("/nonexistent/benchmarks.md"), "")


class ReportTest(unittest.TestCase):
    def test_ratios_and_not_yet(self):
        res = {"machine": {}, "config": {"rounds": 1}, "sections": {"proxy": {
            "direct": {"rps": 100.0},
            "nginx": {"rps": 50.0, "proxy_cpu_us_per_req": 10.0},
            "haproxy": {"rps": 40.0, "proxy_cpu_us_per_req": 20.0},
            "gatehouse": {"rps": 60.0, "proxy_cpu_us_per_req": 5.0}}}}
        md = report.markdown(res)
        self.assertIn("| requests/s, 50 conns | 100 | — | 50.0 | 40.0 | 60.0 | 1.20× | 1.50× |", md)
        self.assertIn("| proxy CPU µs / request | — | — | 10.0 | 20.0 | 5.00 | 0.50× | 0.25× |", md)
        res["sections"]["proxy"]["gatehouse"] = {"not_supported": "not built: x"}
        md = report.markdown(res)
        self.assertIn("not yet", md)
        self.assertIn("Gatehouse: not built: x.", md)

    def test_grpc_rows_under_section_2(self):
        call = {"direct": {"rps": 100.0, "backend_cpu_us_per_req": 4.0},
                "nginx": {"rps": 50.0, "proxy_cpu_us_per_req": 10.0},
                "haproxy": {"rps": 40.0, "proxy_cpu_us_per_req": 20.0},
                "gatehouse": {"rps": 60.0, "proxy_cpu_us_per_req": 5.0}}
        res = {"machine": {}, "config": {"tls_idle_conns": 3}, "sections": {"grpc": {
            "calls": {"unary": "unary: one"}, "connections": 50, "streams_per_connection": 10,
            "unary": call, "server_stream": call,
            "client_stream": {"gatehouse": {"not_supported": "not yet supported (why)"}},
            "idle_h2": {"nginx": {"rss_bytes_per_conn": 1000.0, "ok": 3, "connections": 3,
                                  "still_open": 3},
                        "haproxy": {"rss_bytes_per_conn": 2000.0},
                        "gatehouse": {"rss_bytes_per_conn": 500.0}}}}}
        md = report.markdown(res)
        self.assertIn("## 2. HTTPS (TLS termination, keep-alive), HTTP/2 and gRPC", md)
        self.assertIn("| unary | RPCs/s | 100 | 50.0 | 40.0 | 60.0 | 1.20× | 1.50× |", md)
        self.assertIn("| server streaming | proxy CPU µs / RPC | — | 10.0 | 20.0 | 5.00 | 0.50× "
                      "| 0.25× |", md)
        self.assertIn("| unary | backend CPU µs / RPC | 4.00 | — | — | — | — | — |", md)
        self.assertIn("client streaming, gatehouse: not yet supported (why).", md)
        self.assertIn("| RSS per idle h2 conn (bytes) | 1,000 | 2,000 | 500 | 0.50× | 0.25× |",
                      md)
        self.assertIn("nginx: 3 of 3 calls OK, 3 connections still open when measured.", md)

    def test_grpc_block_replaced_alone(self):
        res = {"date": "D", "command": "bench/run.py --only grpc", "mode": "full",
               "elapsed_s": 1.0, "gatehouse_commit": "C", "background_load_cores_at_start": 0.0,
               "config": {}, "sections": {"grpc": {"calls": {}, "idle_h2": {}}}}
        doc = (f"# head\n\n## 2. x\n\n{report.GRPC_BEGIN}\nold figures\n{report.GRPC_END}\n\n"
               "## 3. y\n")
        out = report.with_grpc_block(doc, report.grpc_block(res, provenance=True))
        self.assertTrue(out.startswith("# head\n\n## 2. x\n\n" + report.GRPC_BEGIN + "\n"
                                       "Measured apart from the rest of this file: D, "
                                       "`bench/run.py --only grpc` (full, 1.0 s), "
                                       "Gatehouse commit `C`"))
        self.assertTrue(out.endswith(report.GRPC_END + "\n\n## 3. y\n"))
        self.assertNotIn("old figures", out)
        self.assertIsNone(report.with_grpc_block("# head\n", "block"))



class AccessLogCostTest(unittest.TestCase):
    def test_table_compares_the_two_gatehouses(self):
        res = {"config": {}, "sections": {"proxy": {
            "gatehouse": {"rps": 1000.0, "proxy_cpu_us_per_req": 10.0, "errors": 0},
            "gatehouse-log": {"rps": 900.0, "proxy_cpu_us_per_req": 11.0, "errors": 0}}}}
        md = report.markdown(res)
        self.assertIn("### Cost of the access log", md)
        self.assertIn("| proxy CPU µs / request | 10.0 | 11.0 | 1.10× |", md)
        self.assertIn("| requests/s, 50 conns | 1,000 | 900 | 0.90× |", md)
        self.assertNotIn("### Cost of the request metrics", md)

    def test_metrics_table_compares_metrics_on_to_off(self):
        res = {"config": {}, "sections": {"proxy": {
            "gatehouse": {"rps": 1000.0, "proxy_cpu_us_per_req": 10.3, "errors": 0},
            "gatehouse-nometrics": {"rps": 1030.0, "proxy_cpu_us_per_req": 10.0, "errors": 0}}}}
        md = report.markdown(res)
        self.assertIn("### Cost of the request metrics", md)
        self.assertIn("| proxy CPU µs / request | 10.0 | 10.3 | 1.03× |", md)
        self.assertNotIn("### Cost of the access log", md)


    def test_rate_limit_table_compares_the_limited_route_to_the_plain_one(self):
        res = {"config": {}, "sections": {"proxy": {
            "gatehouse": {"rps": 1000.0, "proxy_cpu_us_per_req": 10.0, "errors": 0},
            "gatehouse-ratelimit": {"rps": 980.0, "proxy_cpu_us_per_req": 10.2, "errors": 0}}}}
        md = report.markdown(res)
        self.assertIn("### Cost of a rate-limited route", md)
        self.assertIn("| proxy CPU µs / request | 10.0 | 10.2 | 1.02× |", md)
        self.assertNotIn("### Cost of the access log", md)

    def test_global_rate_limit_table(self):
        res = {"config": {}, "sections": {"proxy": {
            "gatehouse": {"rps": 1000.0, "proxy_cpu_us_per_req": 10.0, "errors": 0},
            "gatehouse-ratelimit-global": {"rps": 700.0, "proxy_cpu_us_per_req": 13.0, "errors": 0}}}}
        md = report.markdown(res)
        self.assertIn("### Cost of a globally rate-limited route", md)
        self.assertIn("| proxy CPU µs / request | 10.0 | 13.0 | 1.30× |", md)
        self.assertNotIn("### Cost of a rate-limited route", md)
        doc = manifests.rate_limit_doc("proxy", "proxy", 5, "1s", "global")
        self.assertEqual(doc["spec"]["global"], {"requests": 5, "window": "1s"})
        self.assertNotIn("local", doc["spec"])
        self.assertEqual(len(set(targets.Ports(18000).all_local())), len(targets.Ports(18000).all_local()))

    def test_rate_limit_policy_targets_the_route_and_never_limits_a_benchmark(self):
        doc = manifests.rate_limit_doc("proxy", "proxy", targets.RATE_LIMIT_REQUESTS, targets.RATE_LIMIT_WINDOW)
        self.assertEqual(doc["spec"]["targetRefs"],
                         [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "proxy"}])
        self.assertEqual(doc["spec"]["local"], {"requests": 1_000_000_000, "window": "1s"})
        self.assertEqual(doc["metadata"]["namespace"], manifests.NS)


class L4Test(unittest.TestCase):
    def test_gateway_has_one_listener_per_l4_protocol_and_a_route_each(self):
        p = targets.Ports(18000)
        docs = l4_cost.gatehouse_docs(p)
        gw = [d for d in docs if d["kind"] == "Gateway"][0]
        self.assertEqual([(x["name"], x["protocol"], x["port"]) for x in gw["spec"]["listeners"]],
                         [("tcp", "TCP", 18078), ("passthrough", "TLS", 18079),
                          ("udp", "UDP", 18080)])
        self.assertEqual(gw["spec"]["listeners"][1]["tls"], {"mode": "Passthrough"})
        routes = {d["kind"]: d["spec"] for d in docs if d["kind"].endswith("Route")}
        self.assertEqual(routes["TLSRoute"]["hostnames"], [l4_cost.SNI])
        self.assertEqual(routes["UDPRoute"]["parentRefs"],
                         [{"name": manifests.GATEWAY, "sectionName": "udp"}])
        udp_svc = [d for d in docs if d["kind"] == "Service"
                   and d["metadata"]["name"] == "udp-backend"][0]
        self.assertEqual(udp_svc["spec"]["ports"][0]["protocol"], "UDP")
        self.assertEqual(len(set(vars(p).values())), len(vars(p)))  # no port used twice

    def _res(self, l4):
        return {"date": "D", "command": "bench/run.py --only l4", "mode": "full",
                "elapsed_s": 2.0, "gatehouse_commit": "C", "background_load_cores_at_start": 0.0,
                "config": {}, "sections": {"l4": l4}}

    def test_block_added_before_the_closing_section_then_replaced_in_place(self):
        l4 = {"rounds": 3, "run_s": 5, "bulk_bytes": 64 << 20, "udp_clients": 16,
              "udp_window": 8, "direct": {"udp_pps": 30000.0},
              "nginx": {"udp_pps": 10000.0, "udp_cpu_us": 20.0},
              "haproxy": {"udp_pps": None}, "gatehouse": {"udp_pps": 12000.0,
                                                          "udp_cpu_us": 15.0}}
        block = report.l4_block(self._res(l4), provenance=True)
        self.assertIn("| UDP request/reply pairs/s | 30,000 | 10,000 | — | 12,000 | 1.20× | — |",
                      block)
        self.assertIn("| UDP proxy CPU µs / pair | — | 20.0 | — | 15.0 | 0.75× | — |", block)
        doc = "# head\n\n## 5. x\n\n" + report.WHERE_HEADING + "\nprofiles\n"
        once = report.with_l4_block(doc, block)
        self.assertTrue(once.startswith("# head\n\n## 5. x\n\n" + report.L4_BEGIN))
        self.assertTrue(once.endswith(report.L4_END + "\n\n" + report.WHERE_HEADING
                                      + "\nprofiles\n"))
        self.assertEqual(report.with_l4_block(once, block), once)

    def test_missing_stream_module_is_reported_not_measured(self):
        block = report.l4_block(self._res({"not_supported": "nginx stream module missing (x)"}))
        self.assertIn("Not measured: nginx stream module missing (x).", block)


if __name__ == "__main__":
    unittest.main()
