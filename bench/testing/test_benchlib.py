"""Unit tests of the harness itself (no processes, no network):
/usr/bin/python3 -m unittest discover -s bench/testing -p 'test_*.py'"""

import os
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchlib import common, manifests, report  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
