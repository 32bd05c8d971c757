"""Kubernetes mode against standalone, in one run: route propagation (time from the write's
answer until traffic follows) and controller memory, with the same routes written to the fake
API server (tests/fakekube; `gatehouse serve --kubernetes`) and to a watched directory.

  bench/kube.py [--gatehouse build/gatehouse] [--routes 1000] [--churn 1000] [--memory-routes 5000]
                [--json OUT] [--docs docs/benchmarks.md] [--wait-quiet SECONDS]

Three sources: the directory (standalone), the API server with `serve --kubernetes` serving the
traffic itself, and the API server with the data plane apart (`serve --kubernetes --provision`
plus the Gateway's `gatehouse dataplane`, fed over the config stream: what deploy/ installs).
--docs writes the figures as their own section of that file (bench/run.py keeps it).

The fake API server is Python: its own latency is inside the Kubernetes figures, so they bound
Gatehouse's share from above. nginx and HAProxy have no Kubernetes mode to compare with here."""

import argparse
import datetime
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

from benchlib import common, propagation, report, scale  # noqa: E402
from benchlib import targets as T  # noqa: E402
from run import git_commit, machine_info, machine_load  # noqa: E402

MODES = (("gatehouse", "directory"), ("gatehouse-kube", "API server"),
         ("gatehouse-kube-provisioned", "API server, data plane apart"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gatehouse", default=os.path.join(ROOT, "build", "gatehouse"))
    ap.add_argument("--routes", type=int, default=1000, help="routes added one at a time")
    ap.add_argument("--churn", type=int, default=1000, help="other routes rewritten meanwhile (loaded run)")
    ap.add_argument("--memory-routes", type=int, default=5000)
    ap.add_argument("--json")
    ap.add_argument("--base-port", type=int, default=18600)
    ap.add_argument("--docs", help="write the figures as bench/kube.py's section of this file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="wait up to SECONDS for other load below 0.05 cores before starting")
    args = ap.parse_args()
    if T.gatehouse_missing(args.gatehouse):
        sys.exit(f"kube bench: {T.gatehouse_missing(args.gatehouse)}")
    common.raise_nofile()
    started = time.time()
    background = machine_load(2.0)
    while background > 0.05 and time.time() - started < args.wait_quiet:
        common.log(f"machine busy ({background:.2f} cores used by other processes); waiting")
        time.sleep(5)
        background = machine_load(2.0)
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
    if args.docs:
        out.update(background=background, elapsed_s=round(time.time() - started),
                   commit=git_commit(ROOT), command="bench/kube.py " + " ".join(sys.argv[1:]))
        with open(args.docs) as f:
            text = f.read()
        with open(args.docs, "w") as f:
            f.write(report.with_kube_section(text, docs_section(out)))


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


def docs_section(out):
    m = machine_info()
    lines = [
        report.KUBE_BEGIN,
        "## 6. Kubernetes mode: propagation through the API server, controller memory",
        "",
        "Generated by `bench/kube.py` (a run of its own; the sections above come from `bench/run.py`, which "
        "keeps this one). The route set of sections 3-4 (each route a Service, an EndpointSlice and an "
        "HTTPRoute, written in that order) through three sources in one run: a watched directory; the fake "
        "API server (`tests/fakekube`, Python) with `serve --kubernetes` serving the traffic itself; and the "
        "fake API server with the data plane apart (`serve --kubernetes --provision` and the Gateway's "
        "`gatehouse dataplane`, fed over the config stream, as `deploy/` installs them). Propagation: "
        f"{out['routes']:,} routes added one at a time, each polled every 5 ms from the answer to its "
        "HTTPRoute's write until it serves 200; 'loaded': while "
        f"{out['churn']:,} other routes are rewritten in a loop. Errors: polls answered with neither 404 nor "
        "200 meanwhile (the route seen before its Service or EndpointSlice: watches of different kinds are "
        "not ordered). Memory: PSS of the controller process (with the data plane apart, the controller "
        f"alone) with {out['memory_routes']:,} routes; start to all serving from the process's start.",
        "",
        "|  |  |",
        "|---|---|",
        f"| date | {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC |",
        f"| command | `{out['command']}` ({out['elapsed_s']} s) |",
        f"| Gatehouse commit | `{out['commit']}` |",
        f"| machine | {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Debian {m['debian']} |",
        f"| other load at start | {out['background']:.3f} cores (busy CPU of other processes; > 0.05 = disturbed) |",
        "",
        table(out),
        report.KUBE_END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
