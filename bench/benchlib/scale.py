"""Section 3: route scale. N routes (own hostname, path prefix, header modifier, own Service +
EndpointSlice): time until the whole table serves, memory, end-to-end throughput across random
routes, and the route-lookup micro-benchmark (Google Benchmark, built by the core team)."""

import json
import os
import random
import string
import subprocess
import time

from . import refconf
from . import targets as T
from .common import cpu_seconds_tree, log, memory_kb, tool
from .load import _lua, wrk

RANDOM_HOST_LUA = """
-- Every request goes to a random one of 100 routes spread evenly over the whole table of N
-- (same script for every target). Not all N: with one upstream pool per route, idle upstream
-- connections would grow to N x pool size and measure fd exhaustion rather than lookup.
local idx = {${indices}}
math.randomseed(42)
request = function()
  local i = idx[math.random(1, #idx)]
  return wrk.format("GET", "/p" .. i .. "/x", {["Host"] = "r" .. i .. ".bench.test"})
end
"""


def samples(n, k=10, seed=1):
    rnd = random.Random(seed)
    return sorted({0, n - 1} | {rnd.randrange(n) for _ in range(k)})


def measure(ctx, kind, n, timeout, with_rps=False, cpu=T.PROXY_CPU):
    """Start `kind` with n routes already on disk and measure. Returns a dict of figures."""
    work = os.path.join(ctx.tmp, f"scale-{kind}-{n}")
    rs = refconf.route_set(kind)(ctx, refconf.port_for(ctx, kind), ctx.ports.backend_e, work)
    t0 = time.monotonic()
    for i in range(n):
        rs.write_route(i)
    write_s = time.monotonic() - t0
    out = {"routes": n, "write_config_s": round(write_s, 3)}
    try:
        rs.start(cpu=cpu)
        if kind.startswith("gatehouse"):
            r = rs.ready_time(timeout)
            out["ready_s"] = r
            if r is None:
                out["error"] = "no /ready within timeout: " + rs.proc.tail()[-500:]
                return out
        serve = refconf.wait_routes_serving(rs, samples(n), timeout)
        out["serving_s"] = serve
        if serve is None:
            out["error"] = "sampled routes did not serve 200 + header within timeout: " + \
                rs.proc.tail()[-500:]
            return out
        st = refconf.wait_404(rs, 5)
        out["unknown_host_404"] = st is not None
        time.sleep(1.0)
        out["memory_kb"] = memory_kb(rs.pid)
        out["startup_cpu_s"] = cpu_seconds_tree(rs.pid)
        if with_rps:
            lua = os.path.join(ctx.tmp, f"wrk-random-{n}.lua")
            with open(lua, "w") as f:
                f.write(string.Template(RANDOM_HOST_LUA).substitute(
                    indices=",".join(str(k * n // 100) for k in range(min(n, 100)))))
                f.write(open(_lua(ctx.tmp, False)).read())
            r = wrk(ctx.tmp, f"http://{rs.addr}:{rs.port}/", "ignored", 50, ctx.cfg.run_s,
                    measure_pids=[rs.pid], script=lua)
            reqs = max(r["requests"], 1)
            out["random_route_rps"] = r["rps"]
            out["random_route_p99_us"] = r["p99_us"]
            out["random_route_cpu_us_per_req"] = r["cpu_s"][rs.pid] * 1e6 / reqs
            out["random_route_errors"] = r["socket_errors"] + r["err_status"]
    finally:
        rs.stop()
    return out


def micro_bench(ctx):
    """Route-lookup time per request: the core team's Google Benchmark binary on the compiled table
    (bench/micro/route_lookup_bench.cc -> build/bench/route_lookup_bench). Reported as 'not built'
    until it exists."""
    b = ctx.args.micro_bench
    if not (b and os.path.exists(b) and os.access(b, os.X_OK)):
        return {"not_supported": f"not built: {b} does not exist (bench/micro/README.md)"}
    jf = os.path.join(ctx.tmp, "micro.json")
    argv = [b, "--benchmark_format=console", f"--benchmark_out={jf}",
            "--benchmark_out_format=json"]
    if ctx.cfg.quick:
        argv.append("--benchmark_min_time=0.05")
    try:
        r = subprocess.run([tool("taskset"), "-c", str(T.PROXY_CPU)] + argv, capture_output=True,
                           text=True, timeout=900)
        data = json.load(open(jf))
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        return {"error": f"{b} failed: {e}"}
    if r.returncode != 0:
        return {"error": f"{b} exited {r.returncode}: {r.stderr[-500:]}"}
    rows = []
    for bm in data.get("benchmarks", []):
        if bm.get("run_type", "iteration") != "iteration":
            continue
        unit = bm.get("time_unit", "ns")
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}.get(unit, 1)
        rows.append({"name": bm["name"], "cpu_ns": bm["cpu_time"] * scale,
                     "real_ns": bm["real_time"] * scale, "iterations": bm.get("iterations")})
    return {"binary": b, "context": data.get("context", {}), "benchmarks": rows}


def run(ctx):
    c = ctx.cfg
    kinds = ["nginx", "haproxy"] + ([] if ctx.gatehouse_missing else ["gatehouse"])
    out = {"sizes": c.scale_sizes, "targets": {k: {} for k in kinds}}
    if ctx.gatehouse_missing:
        out["targets"]["gatehouse"] = {"not_supported": ctx.gatehouse_missing}
    for n in c.scale_sizes:
        timeout = 60 + n * 0.01
        for kind in kinds:
            log(f"section 3: {kind} with {n} routes")
            try:
                m = measure(ctx, kind, n, timeout, with_rps=c.scale_rps)
            except Exception as e:  # keep the other targets' figures
                m = {"routes": n, "error": f"{type(e).__name__}: {e}"}
            out["targets"][kind][str(n)] = m
            log(f"  {kind:9s} n={n:6d} serving {m.get('serving_s')}s ready {m.get('ready_s')} "
                f"PSS {m.get('memory_kb', {}).get('pss_kb')} kB "
                f"rps {m.get('random_route_rps')} {m.get('error', '')}")
    out["micro"] = micro_bench(ctx)
    return out
