"""Section 4: route propagation without Kubernetes. Add routes one at a time to the config; for each,
poll its hostname every 5 ms (new connection per poll) until the 404 turns into 200; report mean,
p99 and max time-to-serve, and count every answer other than 404 or 200 (or a failed connection)
as an error. Once idle, and once while other routes and their endpoints are rewritten every
~1.5 s (the churn runs in another process, or a thread for HAProxy whose config is one file)."""

import multiprocessing
import os
import statistics
import sys
import threading
import time

from . import refconf
from . import targets as T
from .common import http_get, log, percentile

OTHER_BASE = 100000  # indices of the churned "other" routes


def time_to_serve(addr, port, i, t0, poll_s, timeout):
    errors = 0
    polls = 0
    next_t = t0
    while True:
        st, _, _ = http_get(addr, port, refconf.path(i) + "x", refconf.host(i), timeout=1.0)
        polls += 1
        now = time.monotonic()
        if st == 200:
            return now - t0, errors, polls
        if st != 404:
            errors += 1
        if now - t0 > timeout:
            return None, errors, polls
        next_t += poll_s
        delay = next_t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_t = time.monotonic()


def _churn_cycle(rs, n_other, gen, ports):
    port = ports[gen % 2]
    for k in range(n_other):
        rs.write_route(OTHER_BASE + k, gen=gen, port=port)
    rs.reload()


def _churn_loop(rs, n_other, period, stop, stats, ports):
    """Rewrite every other route (header value and endpoint port) every `period` seconds."""
    gen = 1
    durations = []
    t_start = time.monotonic()
    while not stop.is_set():
        t0 = time.monotonic()
        _churn_cycle(rs, n_other, gen, ports)
        durations.append(time.monotonic() - t0)
        gen += 1
        stop.wait(max(0.0, period - (time.monotonic() - t0)))
    stats["cycles"] = gen - 1
    stats["write_s_mean"] = statistics.mean(durations) if durations else None
    stats["period_s_mean"] = (time.monotonic() - t_start) / max(gen - 1, 1)


def _churn_process(rs, n_other, period, stop, q, ports):
    os.sched_setaffinity(0, range(os.cpu_count()))  # not confined to the harness's core
    stats = {}
    _churn_loop(rs, n_other, period, stop, stats, ports)
    q.put(stats)


def run_one(ctx, kind, n_routes, n_other, cap_s):
    c = ctx.cfg
    p = ctx.ports
    work = os.path.join(ctx.tmp, f"prop-{kind}-{'loaded' if n_other else 'idle'}")
    rs = refconf.route_set(kind)(ctx, refconf.port_for(ctx, kind), p.backend_e, work)
    out = {"routes_planned": n_routes, "other_routes": n_other}
    churn = None
    stop = None
    stats = {}
    try:
        for k in range(n_other):
            rs.write_route(OTHER_BASE + k, port=p.backend_a)
        rs.start(cpu=None)
        if kind.startswith("gatehouse") and rs.ready_time(120) is None:
            out["error"] = "gatehouse not ready: " + rs.proc.tail()[-500:]
            return out
        if refconf.wait_404(rs, 60) is None:
            out["error"] = "does not answer 404 for an unknown host: " + rs.proc.tail()[-500:]
            return out
        if n_other:
            others = [OTHER_BASE + k for k in (0, n_other // 2, n_other - 1)]
            if refconf.wait_routes_serving(rs, others, 120, echo=False) is None:
                out["error"] = "pre-existing routes do not serve"
                return out
            ports = (p.backend_a, p.backend_b)
            if kind == "haproxy":     # one shared config file: churn in a thread
                stop = threading.Event()
                sys.setswitchinterval(0.0005)
                churn = threading.Thread(target=_churn_loop, daemon=True,
                                         args=(rs, n_other, c.prop_churn_period_s, stop, stats,
                                               ports))
            else:
                stop = multiprocessing.Event()
                q = multiprocessing.Queue()
                churn = multiprocessing.Process(target=_churn_process, daemon=True,
                                                args=(rs, n_other, c.prop_churn_period_s, stop,
                                                      q, ports))
            churn.start()
            time.sleep(c.prop_churn_period_s)
        times, errors, timed_out, polls = [], 0, 0, 0
        t_begin = time.monotonic()
        for i in range(n_routes):
            if time.monotonic() - t_begin > cap_s:
                out["capped"] = f"stopped after {i} routes: time cap {cap_s}s"
                break
            if not rs.alive():
                out["error"] = f"{kind} exited: " + rs.proc.tail()[-500:]
                break
            rs.write_route(i)
            t0 = time.monotonic()
            rs.reload()
            dt, e, np_ = time_to_serve(rs.addr, rs.port, i, t0, c.prop_poll_s, c.prop_timeout_s)
            errors += e
            polls += np_
            if dt is None:
                timed_out += 1
            else:
                times.append(dt)
        out["routes_added"] = len(times) + timed_out
        out["served"] = len(times)
        out["timed_out"] = timed_out
        out["errors"] = errors
        out["polls"] = polls
        if times:
            out["mean_ms"] = statistics.mean(times) * 1e3
            out["p50_ms"] = percentile(times, 50) * 1e3
            out["p99_ms"] = percentile(times, 99) * 1e3
            out["max_ms"] = max(times) * 1e3
    finally:
        if churn is not None:
            stop.set()
            churn.join(30)
            if kind != "haproxy":
                try:
                    stats.update(q.get(timeout=5))
                except Exception:
                    pass
            out["churn"] = stats
        rs.stop()
    return out


def run(ctx, kinds=None, modes=("idle", "loaded")):
    c = ctx.cfg
    kinds = kinds or (["nginx", "haproxy"] + ([] if ctx.gatehouse_missing else ["gatehouse"]))
    out = {"routes": c.prop_routes, "other_routes": c.prop_other, "poll_ms": c.prop_poll_s * 1e3,
           "churn_period_s": c.prop_churn_period_s, "targets": {k: {} for k in kinds}}
    if ctx.gatehouse_missing and "gatehouse" not in kinds:
        out["targets"]["gatehouse"] = {"not_supported": ctx.gatehouse_missing}
    for mode in modes:
        for kind in kinds:
            log(f"section 4: {kind} {mode}: add {c.prop_routes} routes one at a time"
                + (f" while {c.prop_other} others are rewritten" if mode == "loaded" else ""))
            try:
                r = run_one(ctx, kind, c.prop_routes, c.prop_other if mode == "loaded" else 0,
                            c.prop_cap_s)
            except Exception as e:
                r = {"error": f"{type(e).__name__}: {e}"}
            out["targets"][kind][mode] = r
            log(f"  {kind:9s} {mode:6s} served {r.get('served')}/{r.get('routes_added')} "
                f"mean {_f(r.get('mean_ms'))}ms p99 {_f(r.get('p99_ms'))}ms "
                f"max {_f(r.get('max_ms'))}ms errors {r.get('errors')} "
                f"{r.get('capped', '')} {r.get('error', '')[:200]} churn {r.get('churn', '')}")
    return out


def _f(x):
    return "-" if x is None else f"{x:.1f}"
