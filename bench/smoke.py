#!/usr/bin/python3
"""CI smoke check: the Gatehouse side of benchmark sections 3 (route scale) and 4 (route
propagation), small and fast, with generous bounds - roughly 10x what a healthy build does on
the 2-core CI machine - so a 10x regression fails CI while noise does not.

  bench/smoke.py [--gatehouse build/gatehouse] [--bounds FILE.json] [--json OUT]

Exit status 0 when every check passes, 1 when one fails, 2 when Gatehouse is missing or
the setup fails. The last line is 'smoke: N passed, M failed'."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from benchlib import common, propagation, refconf, scale  # noqa: E402
from benchlib import targets as T  # noqa: E402

# Generous bounds: about 10x what a healthy build does on the 2-core CI machine (figures of
# 2026-11-26 in the comments), so a 10x regression fails and noise does not. Times in seconds /
# milliseconds, memory in MiB.
BOUNDS = {
    "scale_1000_serving_s": 5.0,       # start -> 1k routes serve (incl. /ready); 0.3-0.5 s
    "scale_1000_pss_mib": 160,         # 15 MiB
    "scale_5000_serving_s": 20.0,      # 1.4-2.6 s
    "scale_5000_pss_mib": 600,         # 58-62 MiB
    "prop_idle_mean_ms": 50,           # 100 routes added one at a time, nothing else changing; 2-3.5 ms
    "prop_idle_p99_ms": 200,           # 6-10 ms
    "prop_idle_max_ms": 500,           # 6-11 ms
    "prop_loaded_mean_ms": 300,        # 50 routes added while 1000 others are rewritten; 11-17 ms
    "prop_loaded_p99_ms": 4000,        # 190-390 ms (the churn files queued ahead of the new one)
    "prop_loaded_max_ms": 5000,
    "prop_errors": 0,                  # any answer but 404/200, or a failed connection
    "prop_timed_out": 0,
}


class Checks:
    def __init__(self):
        self.results = []

    def le(self, name, value, bound, unit=""):
        ok = value is not None and value <= bound
        self.results.append({"check": name, "value": value, "bound": bound, "pass": ok})
        v = "missing" if value is None else f"{value:.3f}{unit}"
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {v} (bound <= {bound}{unit})", flush=True)

    def true(self, name, ok, detail=""):
        self.results.append({"check": name, "value": bool(ok), "pass": bool(ok)})
        print(f"{'PASS' if ok else 'FAIL'}  {name}{': ' + detail if detail else ''}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gatehouse", default=os.path.join(ROOT, "build", "gatehouse"))
    ap.add_argument("--bounds", help="JSON file overriding some of the bounds")
    ap.add_argument("--json", help="write the checks and raw figures here")
    ap.add_argument("--base-port", type=int, default=18500)
    ap.add_argument("--no-install", action="store_true")
    args = ap.parse_args()

    missing = T.gatehouse_missing(args.gatehouse)
    if missing:
        print(f"smoke: FAILED: Gatehouse binary {missing}. Build it first "
              f"(cmake -S . -B build -G Ninja && ninja -C build gatehouse) or pass --gatehouse.",
              file=sys.stderr)
        sys.exit(2)
    bounds = dict(BOUNDS)
    if args.bounds:
        bounds.update(json.load(open(args.bounds)))
    if not args.no_install:
        common.ensure_tools(["nginx", "taskset"])
    common.raise_nofile()

    tmp = tempfile.mkdtemp(prefix="gatehouse-smoke-",
                           dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    cfg = types.SimpleNamespace(quick=True, run_s=3, prop_poll_s=0.005, prop_churn_period_s=1.5,
                                prop_timeout_s=30, prop_routes=100, prop_other=0,
                                prop_cap_s=120)
    ctx = types.SimpleNamespace(cfg=cfg, tmp=tmp, ports=T.Ports(args.base_port),
                                gatehouse=os.path.abspath(args.gatehouse), gatehouse_missing=None,
                                args=types.SimpleNamespace(micro_bench=None))
    checks = Checks()
    raw = {}
    backend = None
    t_start = time.monotonic()
    try:
        try:
            backend = T.start_backend(tmp, ctx.ports)
        except Exception as e:
            print(f"smoke: FAILED to start the nginx backend: {e}", file=sys.stderr)
            sys.exit(2)
        # Section 3: route scale (gatehouse side)
        for n in (1000, 5000):
            m = scale.measure(ctx, "gatehouse", n, timeout=max(60, 3 * bounds[
                f"scale_{n}_serving_s"]), with_rps=False, cpu=None)
            raw[f"scale_{n}"] = m
            checks.true(f"scale {n} routes: all sampled routes serve with their header",
                        m.get("serving_s") is not None, m.get("error", "")[:300])
            checks.le(f"scale_{n}_serving_s", m.get("serving_s"), bounds[f"scale_{n}_serving_s"],
                      " s")
            pss = (m.get("memory_kb") or {}).get("pss_kb")
            checks.le(f"scale_{n}_pss_mib", pss / 1024 if pss else None,
                      bounds[f"scale_{n}_pss_mib"], " MiB")
            checks.true(f"scale {n} routes: unknown host answers 404",
                        m.get("unknown_host_404") is True)
        # Section 4: propagation (gatehouse side), idle then under churn
        for mode, n_routes, n_other in (("idle", 100, 0), ("loaded", 50, 1000)):
            r = propagation.run_one(ctx, "gatehouse", n_routes, n_other, cfg.prop_cap_s)
            raw[f"prop_{mode}"] = r
            checks.true(f"propagation {mode}: ran", "error" not in r, r.get("error", "")[:300])
            checks.true(f"propagation {mode}: all {n_routes} routes added",
                        r.get("routes_added") == n_routes, r.get("capped", ""))
            for k in ("mean", "p99", "max"):
                checks.le(f"prop_{mode}_{k}_ms", r.get(f"{k}_ms"), bounds[f"prop_{mode}_{k}_ms"],
                          " ms")
            checks.le(f"prop_{mode}_errors", r.get("errors"), bounds["prop_errors"])
            checks.le(f"prop_{mode}_timed_out", r.get("timed_out"), bounds["prop_timed_out"])
    finally:
        if backend:
            backend.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(1 for c in checks.results if c["pass"])
    failed = len(checks.results) - passed
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bounds": bounds, "checks": checks.results, "raw": raw,
                       "elapsed_s": time.monotonic() - t_start}, f, indent=1)
    print(f"smoke: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
