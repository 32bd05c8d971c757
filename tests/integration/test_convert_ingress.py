"""`gatehouse convert ingress` through the real binary on the corpus in tests/convert/ingress/
(Ingress manifests in the shapes ingress-nginx users write: TLS hosts, rewrites, canaries, CORS,
timeouts, and what has no Gateway API equivalent): the output and the list of what was not
converted, exactly; every converted object accepted by `gatehouse validate` once its Services
and Secrets exist; and the converted canary and rewrite serving real requests as ingress-nginx
would.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_convert_ingress.py
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    BIN, ROOT, GatehouseTestCase, backend_service, endpoint_slice, gateway_address, gateway_class, make_certificate,
    request, service, tls_secret, wait_until)

CORPUS = os.path.join("tests", "convert", "ingress")  # relative: the notes name the files so
CASES = sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, CORPUS))
               if f.endswith(".yaml") and not f.endswith(".gateway.yaml"))


def convert(*files):
    return subprocess.run([BIN, "convert", "ingress", *files], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def converted_objects(case):
    run = convert(os.path.join(CORPUS, case + ".yaml"))
    assert run.returncode == 0, run.stderr
    return [d for d in yaml.safe_load_all(run.stdout) if d]


class ConvertCorpusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BIN, os.X_OK):
            raise unittest.SkipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")

    def test_corpus_converts_as_recorded(self):
        self.assertEqual(CASES, ["basic", "canary", "cors-timeouts", "rate-limit", "rewrite", "unsupported"])
        for case in CASES:
            with self.subTest(case=case):
                run = convert(os.path.join(CORPUS, case + ".yaml"))
                self.assertEqual(run.returncode, 0, run.stderr)
                with open(os.path.join(ROOT, CORPUS, case + ".gateway.yaml")) as f:
                    self.assertEqual(run.stdout, f.read())
                with open(os.path.join(ROOT, CORPUS, case + ".notes")) as f:
                    self.assertEqual(run.stderr, f.read())

    def test_converted_objects_are_accepted_once_their_services_and_secrets_exist(self):
        for case in CASES:
            with self.subTest(case=case), tempfile.TemporaryDirectory() as d:
                objects = converted_objects(case)
                extra, services = [gateway_class()], set()
                for o in objects:
                    ns = o["metadata"]["namespace"]
                    for listener in o["spec"].get("listeners", []):
                        for ref in listener.get("tls", {}).get("certificateRefs", []):
                            cert, key = make_certificate(d, ref["name"], listener.get("hostname", "example.com"))
                            extra.append(tls_secret(ref["name"], cert, key, ns))
                    for rule in o["spec"].get("rules", []):
                        services |= {(ns, ref["name"], ref["port"]) for ref in rule.get("backendRefs", [])}
                for ns, name, port in sorted(services):
                    extra += [service(name, ns, port), endpoint_slice(name, ["127.0.2.1"], ns)]
                with open(os.path.join(d, "converted.yaml"), "w") as f:
                    yaml.safe_dump_all(objects + extra, f)
                run = subprocess.run([BIN, "validate", d, "-o", "json"], capture_output=True, text=True, timeout=120)
                self.assertEqual(run.returncode, 0, run.stdout[-3000:] + run.stderr[-2000:])
                report = json.loads(run.stdout)
                routes = [k for k in report["statuses"] if k.startswith("HTTPRoute/")]
                self.assertEqual(len(routes), sum(o["kind"] == "HTTPRoute" for o in objects))

    def test_unreadable_file_is_an_error(self):
        run = convert("tests/convert/ingress/missing.yaml")
        self.assertEqual((run.returncode, run.stdout), (2, ""))
        self.assertEqual(run.stderr, "convert: tests/convert/ingress/missing.yaml: cannot read\n")


class ConvertedCanaryServesTest(GatehouseTestCase):
    """The converted canary and rewrite cases served: `X-Canary: always` reaches the canary, the
    weight split sends some of the rest to each, the prefix is stripped before the backend."""

    @classmethod
    def configure(cls, gh):
        cls.v1 = gh.start_echo("app-v1", ns="prod")
        cls.v2 = gh.start_echo("app-v2", ns="prod")
        cls.rewrite = gh.start_echo("http-svc")
        gh.write("00-class.yaml", [gateway_class()])
        gh.write("10-canary.yaml", converted_objects("canary"))
        gh.write("11-rewrite.yaml", [o for o in converted_objects("rewrite") if o["metadata"]["name"] != "legacy"])
        gh.write("20-backends.yaml", [
            *backend_service("app-v1", [cls.v1.ip], ns="prod", port=80),
            *backend_service("app-v2", [cls.v2.ip], ns="prod", port=80),
            *backend_service("http-svc", [cls.rewrite.ip], port=80),
        ])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prod = gateway_address(cls.gh, "nginx", ns="prod")
        cls.default = gateway_address(cls.gh, "nginx")
        wait_until(lambda: request(cls.prod, 80, "/", host="app.example.com").status == 200, what="canary route")

    def test_header_reaches_the_canary(self):
        for _ in range(5):
            res = request(self.prod, 80, "/", host="app.example.com", headers={"X-Canary": "always"})
            self.assertEqual((res.status, res.json()["pod"]), (200, "app-v2"))

    def test_weight_splits_the_rest(self):
        pods = {request(self.prod, 80, "/", host="app.example.com").json()["pod"] for _ in range(60)}
        self.assertEqual(pods, {"app-v1", "app-v2"})  # 20% of 60: missing app-v2 has p = 0.8^60 < 2e-6

    def test_prefix_stripped(self):
        res = request(self.default, 80, "/something/items?x=1", host="rewrite.bar.com")
        self.assertEqual(res.status, 200)
        self.assertEqual(res.json()["path"], "/items?x=1")


if __name__ == "__main__":
    unittest.main()
