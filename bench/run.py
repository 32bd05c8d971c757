#!/usr/bin/python3
"""Gatehouse benchmark harness: every figure next to nginx's and HAProxy's, measured in the same
run on the same machine (loopback only, bounded in time).

  bench/run.py [--quick] [--only SECTION[,SECTION]] [--gatehouse PATH] [--out DIR] [--docs FILE]

Sections: proxy (1: HTTP/1.1 keep-alive cost), tls (2: HTTPS and HTTP/2), grpc (2: gRPC unary and
streaming, idle HTTP/2 connections), scale (3: route scale), propagation (4: route propagation),
change (5: change under load), l4 (TCP, TLS passthrough, UDP). See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from benchlib import common, report  # noqa: E402
from benchlib import targets as T  # noqa: E402
from benchlib.common import log  # noqa: E402

SECTIONS = ["proxy", "tls", "grpc", "scale", "propagation", "change", "l4"]
ALIASES = {"1": "proxy", "3": "scale", "4": "propagation", "5": "change",
           "http": "proxy", "https": "tls", "h2": "tls", "routes": "scale"}
# `--only 2` means all of section 2: HTTPS, HTTP/2 and gRPC.
SECTION_GROUPS = {"2": ["tls", "grpc"]}


class Config:
    def __init__(self, quick):
        self.quick = quick
        if quick:
            self.warmup_s, self.run_s, self.run1_s, self.rounds = 2, 3, 2, 3
            self.tls_rounds = 2
            self.l4_rounds = 2
            self.idle_conns, self.tls_idle_conns = 3000, 1000
            self.h2_streams = 10
            self.scale_sizes = [1000, 5000]
            self.scale_rps = False
            self.prop_routes, self.prop_other, self.prop_cap_s = 100, 5000, 10
            self.change_s, self.change_every_s = 8, 0.2
        else:
            self.warmup_s, self.run_s, self.run1_s, self.rounds = 5, 10, 5, 5
            self.tls_rounds = 5
            self.l4_rounds = 3
            self.idle_conns, self.tls_idle_conns = 3000, 3000
            self.h2_streams = 10
            self.scale_sizes = [1000, 5000, 10000, 50000]
            self.scale_rps = True
            self.prop_routes, self.prop_other, self.prop_cap_s = 1000, 5000, 240
            self.change_s, self.change_every_s = 20, 0.2
        self.prop_poll_s = 0.005
        self.prop_churn_period_s = 1.5
        self.prop_timeout_s = 30


class Context:
    def __init__(self, args, cfg, tmp):
        self.args = args
        self.cfg = cfg
        self.tmp = tmp
        self.ports = T.Ports(args.base_port)
        self.gatehouse = args.gatehouse
        self.gatehouse_missing = T.gatehouse_missing(args.gatehouse)
        self.backend = None


def machine_info():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])

    def ver(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unknown"

    debian = open("/etc/debian_version").read().strip() if os.path.exists(
        "/etc/debian_version") else "unknown"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1048576, 1),
            "kernel": platform.release(), "debian": debian,
            "nginx": ver([common.tool("nginx"), "-v"]),
            "haproxy": ver([common.tool("haproxy"), "-v"]),
            "wrk": ver([common.tool("wrk"), "-v"]),
            "h2load": ver([common.tool("h2load"), "--version"]),
            "python": platform.python_version()}


def machine_load(seconds):
    """Cores' worth of CPU the machine spends on others (nothing of ours runs yet)."""
    from benchlib.load import system_busy_s
    b0 = system_busy_s()
    time.sleep(seconds)
    return (system_busy_s() - b0) / seconds


def git_commit(path=ROOT):
    try:
        r = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True,
                           text=True, timeout=10)
        c = r.stdout.strip()
        d = subprocess.run(["git", "-C", path, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
        return c + ("-dirty" if d else "") if c else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# ---------------------------------------------------------------- sections

def section_proxy_and_tls(ctx, want_http, want_tls):
    from benchlib import proxy_cost as P
    p, tmp = ctx.ports, ctx.tmp
    procs = []
    results = {}
    try:
        ng = T.start_nginx_proxy(tmp, p)
        procs.append(ng)
        ha = T.start_haproxy(tmp, p)
        procs.append(ha)
        hat = T.start_haproxy_tcp(tmp, p) if want_http else None
        if hat:
            procs.append(hat)
        gh_err = ctx.gatehouse_missing
        bpid = ctx.backend.pid
        if want_http:
            gh = None
            if not gh_err:
                gh, gh_err = T.start_gatehouse_proxy(ctx.gatehouse, tmp, p, https=False)
                if gh:
                    procs.append(gh)
            tg = [P.Target("direct", "127.0.0.1", p.backend_a, None,
                           "wrk straight to the backend (the floor)"),
                  P.Target("haproxy-tcp", "127.0.0.1", p.haproxy_tcp, hat.pid,
                           "HAProxy mode tcp, nbthread 1 (L4 reference)"),
                  P.Target("nginx", "127.0.0.1", p.nginx, ng.pid,
                           "nginx worker_processes 1, upstream keepalive"),
                  P.Target("haproxy", "127.0.0.1", p.haproxy, ha.pid,
                           "HAProxy mode http, nbthread 1, http-reuse always")]
            ghl = ghn = ghr = ghg = redis = None
            if gh:
                tg.append(P.Target("gatehouse", T.GATEHOUSE_ADDRESS, p.gatehouse, gh.pid,
                                   "Gatehouse --workers 1, one HTTPRoute"))
                ghl, _ = T.start_gatehouse_proxy(ctx.gatehouse, tmp, p, access_log=True)
                ghn, _ = T.start_gatehouse_proxy(ctx.gatehouse, tmp, p, no_metrics=True)
                ghr, _ = T.start_gatehouse_proxy(ctx.gatehouse, tmp, p, rate_limit="local")
                redis = T.start_redis(tmp, p)
                procs.append(redis)
                ghg, _ = T.start_gatehouse_proxy(ctx.gatehouse, tmp, p, rate_limit="global")
            if ghl:
                procs.append(ghl)
                tg.append(P.Target("gatehouse-log", T.GATEHOUSE_LOG_ADDRESS, p.gatehouse, ghl.pid,
                                   "the same with --access-log to a file on tmpfs", idle=False))
            if ghn:
                procs.append(ghn)
                tg.append(P.Target("gatehouse-nometrics", T.GATEHOUSE_NO_METRICS_ADDRESS, p.gatehouse, ghn.pid,
                                   "the same with --request-metrics false", idle=False))
            if ghr:
                procs.append(ghr)
                tg.append(P.Target("gatehouse-ratelimit", T.GATEHOUSE_RATE_LIMIT_ADDRESS, p.gatehouse, ghr.pid,
                                   "the same with a local RateLimitPolicy on the route that never limits",
                                   idle=False))
            if ghg:
                procs.append(ghg)
                tg.append(P.Target("gatehouse-ratelimit-global", T.GATEHOUSE_GLOBAL_RATE_LIMIT_ADDRESS, p.gatehouse,
                                   ghg.pid, "the same with a global RateLimitPolicy (Redis on the load core) "
                                   "that never limits", idle=False))
            results["proxy"] = P.run_http(ctx, tg, bpid)
            for extra in (ghl, ghn, ghr, ghg, redis):
                if extra:
                    extra.stop()
                    procs.remove(extra)
            if not gh:
                results["proxy"]["gatehouse"] = {"not_supported": gh_err}
            else:
                gh.stop()
                procs.remove(gh)
        if want_tls:
            gh_err = ctx.gatehouse_missing
            gh = None
            if not gh_err:
                gh, gh_err = T.start_gatehouse_proxy(ctx.gatehouse, tmp, p, https=True)
                if gh:
                    procs.append(gh)
                else:
                    gh_err = f"not yet supported ({gh_err})"
            tg = [P.Target("nginx", "127.0.0.1", p.nginx, ng.pid, "", tls_port=p.nginx_tls),
                  P.Target("haproxy", "127.0.0.1", p.haproxy, ha.pid, "", tls_port=p.haproxy_tls)]
            unsupported = {}
            if gh:
                tg.append(P.Target("gatehouse", T.GATEHOUSE_ADDRESS, p.gatehouse, gh.pid, "",
                                   tls_port=p.gatehouse_tls))
            else:
                unsupported["gatehouse"] = gh_err
            results["tls"] = P.run_tls_h2(ctx, tg, bpid, unsupported)
    finally:
        for pr in procs:
            pr.stop()
    return results


def write_docs(path, md, res, sections):
    """The whole report to `path`, keeping bench/kube.py's section. A run of the gRPC or L4
    section alone only replaces that block of an existing report (the L4 block is added when
    missing; a gRPC-only run leaves the file alone when it has no gRPC block or measured
    nothing)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = None
    if sections == ["grpc"] and old is not None:
        spliced = (report.with_grpc_block(old, report.grpc_block(res, provenance=True))
                   if "grpc" in res["sections"] else None)
        if spliced is None:
            log(f"{path} left unchanged: no gRPC results or no gRPC block to replace")
            return
        with open(path, "w") as f:
            f.write(spliced)
        return
    if sections == ["l4"] and old is not None:
        if "l4" not in res["sections"]:
            log(f"{path} left unchanged: no L4 results")
            return
        with open(path, "w") as f:
            f.write(report.with_l4_block(old, report.l4_block(res, provenance=True)))
        return
    kube = report.kube_section(path)  # bench/kube.py's, measured apart
    with open(path, "w") as f:
        f.write(report.with_kube_section(md, kube) if kube else md)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs, under 8 minutes in all")
    ap.add_argument("--only", default="",
                    help="comma-separated sections: " + ",".join(SECTIONS) + " (or 1-5; 2 is tls,grpc)")
    ap.add_argument("--gatehouse", default=os.path.join(ROOT, "build", "gatehouse"),
                    help="Gatehouse binary (default build/gatehouse)")
    ap.add_argument("--micro-bench", default=os.path.join(ROOT, "build", "bench",
                                                         "route_lookup_bench"),
                    help="Google Benchmark binary for route lookup (default "
                         "build/bench/route_lookup_bench)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"),
                    help="directory for results.json and results.md (default bench/results)")
    ap.add_argument("--docs", default=None,
                    help="also write the Markdown report here (make bench: docs/benchmarks.md)")
    ap.add_argument("--base-port", type=int, default=18000,
                    help="first of the loopback ports used (default 18000, uses +0..+80)")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get missing tools")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="wait up to SECONDS for the machine to be quiet (other load < 0.05 "
                         "cores) before starting")
    ap.add_argument("--rt", action="store_true",
                    help="run proxy, backend and load generator with SCHED_FIFO priority 1 "
                         "(chrt), for a machine shared with other work")
    ap.add_argument("--keep-tmp", action="store_true", help="keep generated configs and logs")
    args = ap.parse_args()

    only = [name for s in args.only.split(",") if s.strip()
            for name in SECTION_GROUPS.get(s.strip(), [ALIASES.get(s.strip(), s.strip())])]
    for s in only:
        if s not in SECTIONS:
            ap.error(f"unknown section {s!r}; choose from {', '.join(SECTIONS)}")
    sections = only or SECTIONS
    if os.cpu_count() < 2:
        sys.exit("bench: needs at least 2 cores (proxy on one, load generator + backend on "
                 "the other)")

    if not args.no_install:
        common.ensure_tools(["nginx", "haproxy", "wrk", "h2load", "taskset", "openssl", "redis-server"])
    common.raise_nofile()
    common.pin_self(T.LOAD_CPU)
    if args.rt:
        common.enable_rt()
    for port in T.Ports(args.base_port).all_local():
        if not common.port_free("127.0.0.1", port):
            sys.exit(f"bench: port {port} on 127.0.0.1 is in use (choose --base-port)")

    background = machine_load(2.0)
    t_wait = time.monotonic()
    while background > 0.05 and time.monotonic() - t_wait < args.wait_quiet:
        log(f"machine busy ({background:.2f} cores used by other processes); waiting")
        time.sleep(5)
        background = machine_load(2.0)
    if background > 0.05:
        log(f"WARNING: {background:.2f} cores busy with other processes before the run: "
            "figures will be disturbed (see foreign_load_cores in the results)")
    cfg = Config(args.quick)
    os.makedirs(args.out, exist_ok=True)
    # Config directories on tmpfs when there is one: disk speed is not what is measured.
    tmp = tempfile.mkdtemp(prefix="gatehouse-bench-",
                           dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    ctx = Context(args, cfg, tmp)
    started = time.time()
    res = {"schema": 1,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]),
           "mode": "quick" if args.quick else "full",
           "machine": machine_info(),
           "gatehouse_commit": git_commit(),
           "gatehouse_binary": args.gatehouse if not ctx.gatehouse_missing else None,
           "gatehouse_status": ctx.gatehouse_missing or "present",
           "background_load_cores_at_start": round(background, 3),
           "realtime_priority": bool(args.rt),
           "layout": {"proxy_cpu": T.PROXY_CPU, "load_and_backend_cpu": T.LOAD_CPU},
           "config": {k: v for k, v in vars(cfg).items()},
           "sections": {}}
    log(f"sections {sections}; gatehouse: {ctx.gatehouse_missing or args.gatehouse}; tmp {tmp}")
    try:
        ctx.backend = T.start_backend(tmp, ctx.ports)
        if "proxy" in sections or "tls" in sections:
            res["sections"].update(section_proxy_and_tls(ctx, "proxy" in sections,
                                                         "tls" in sections))
        if "grpc" in sections:
            from benchlib import grpc_cost
            res["sections"]["grpc"] = grpc_cost.run(ctx)
        if "scale" in sections:
            from benchlib import scale
            res["sections"]["scale"] = scale.run(ctx)
        if "propagation" in sections:
            from benchlib import propagation
            res["sections"]["propagation"] = propagation.run(ctx)
        if "change" in sections:
            from benchlib import change
            res["sections"]["change"] = change.run(ctx)
        if "l4" in sections:
            from benchlib import l4_cost
            res["sections"]["l4"] = l4_cost.run(ctx)
    finally:
        if ctx.backend:
            ctx.backend.stop()
        res["elapsed_s"] = round(time.time() - started, 1)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(res, f, indent=1, sort_keys=False)
        md = report.markdown(res)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(md)
        if args.docs:
            write_docs(args.docs, md, res, sections)
        if not args.keep_tmp:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"done in {res['elapsed_s']}s: {os.path.join(args.out, 'results.json')}"
        + (f", {args.docs}" if args.docs else ""))


if __name__ == "__main__":
    main()
