"""Kubernetes mode against standalone, in one run: route propagation (time from the write's
answer until traffic follows) and controller memory, with the same routes written to the fake
API server (tests/fakekube; `gatehouse serve --kubernetes`) and to a watched directory.

  bench/kube.py [--gatehouse build/gatehouse] [--routes 1000] [--churn 1000] [--memory-routes 5000]
                [--json OUT]

The fake API server is Python: its own latency is inside the Kubernetes figures, so they bound
Gatehouse's share from above. nginx and HAProxy have no Kubernetes mode to compare with here."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from benchlib import common, propagation, scale  # noqa: E402
from benchlib import targets as T  # noqa: E402

MODES = (("gatehouse", "directory"), ("gatehouse-kube", "API server"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gatehouse", default=os.path.join(ROOT, "build", "gatehouse"))
    ap.add_argument("--routes", type=int, default=1000, help="routes added one at a time")
    ap.add_argument("--churn", type=int, default=1000, help="other routes rewritten meanwhile (loaded run)")
    ap.add_argument("--memory-routes", type=int, default=5000)
    ap.add_argument("--json")
    ap.add_argument("--base-port", type=int, default=18600)
    args = ap.parse_args()
    if T.gatehouse_missing(args.gatehouse):
        sys.exit(f"kube bench: {T.gatehouse_missing(args.gatehouse)}")
    common.raise_nofile()
    tmp = tempfile.mkdtemp(prefix="gatehouse-kube-bench-")
    cfg = types.SimpleNamespace(quick=False, run_s=3, prop_poll_s=0.005, prop_churn_period_s=1.5,
                                prop_timeout_s=30, prop_cap_s=600)
    ctx = types.SimpleNamespace(cfg=cfg, tmp=tmp, ports=T.Ports(args.base_port),
                                gatehouse=os.path.abspath(args.gatehouse), gatehouse_missing=None,
                                args=types.SimpleNamespace(micro_bench=None))
    out = {"routes": args.routes, "churn": args.churn, "memory_routes": args.memory_routes, "modes": {}}
    backend = T.start_backend(tmp, ctx.ports)
    try:
        for kind, label in MODES:
            r = out["modes"][label] = {}
            for mode, other in (("idle", 0), ("loaded", args.churn)):
                common.log(f"{label}: add {args.routes} routes" + (f" while {other} others churn" if other else ""))
                r[mode] = propagation.run_one(ctx, kind, args.routes, other, cfg.prop_cap_s)
                common.log(f"  {r[mode]}")
            common.log(f"{label}: memory with {args.memory_routes} routes")
            m = scale.measure(ctx, kind, args.memory_routes, timeout=600, with_rps=False, cpu=None)
            r["memory"] = {k: m.get(k) for k in ("serving_s", "ready_s", "memory_kb", "error")}
            common.log(f"  {r['memory']}")
    finally:
        backend.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(table(out))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


def table(out):
    def f(x):
        return "-" if x is None else f"{x:.1f}"
    rows = ["| source | run | served | mean ms | p99 ms | max ms | errors |", "|---|---|---|---|---|---|---|"]
    for label, r in out["modes"].items():
        for mode in ("idle", "loaded"):
            p = r.get(mode, {})
            rows.append(f"| {label} | {mode} | {p.get('served')}/{p.get('routes_added')} | {f(p.get('mean_ms'))} | "
                        f"{f(p.get('p99_ms'))} | {f(p.get('max_ms'))} | {p.get('errors')} |")
    rows += ["", f"| source | PSS at {out['memory_routes']} routes (MiB) | start to all serving (s) |", "|---|---|---|"]
    for label, r in out["modes"].items():
        m = r["memory"]
        pss = (m.get("memory_kb") or {}).get("pss_kb")
        rows.append(f"| {label} | {f(pss / 1024 if pss else None)} | {f(m.get('serving_s'))} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
