"""Sections 1 and 2: proxy cost over HTTP/1.1 keep-alive, HTTPS (TLS termination) and HTTP/2."""

import ssl
import socket

from . import targets as T
from .common import log, median, ratio
from .load import h2load, idle_connection_memory, wrk


class Target:
    def __init__(self, name, host, port, proc_pid, desc, tls_port=None, host_header=T.PROXY_HOST,
                 idle=True):
        self.name = name
        self.host = host
        self.port = port
        self.pid = proc_pid          # process whose CPU/memory is "the proxy" (None for direct)
        self.desc = desc
        self.tls_port = tls_port
        self.host_header = host_header
        self.idle = idle             # measure idle-connection memory too


def _round_figures(run, target_pid, backend_pid):
    reqs = max(run["requests"], 1)
    f = {"rps": run["rps"], "p50_us": run["p50_us"], "p99_us": run["p99_us"],
         "errors": run["socket_errors"] + run["err_status"], "requests": run["requests"],
         "backend_cpu_us_per_req": run["cpu_s"][backend_pid] * 1e6 / reqs,
         "foreign_load_cores": run["foreign_load_cores"]}
    if target_pid:
        f["proxy_cpu_us_per_req"] = run["cpu_s"][target_pid] * 1e6 / reqs
        f["proxy_core_util"] = run["cpu_s"][target_pid] / (run["duration_us"] / 1e6)
    return f


def _summarise(rounds, keys):
    return {k: median([r.get(k) for r in rounds]) for k in keys}


def run_http(ctx, tgts, backend_pid):
    """Section 1. tgts: list of Target, the first being `direct`. Alternates targets every round."""
    c = ctx.cfg
    log(f"section 1: warm-up {c.warmup_s}s per target")
    for t in tgts:
        wrk(ctx.tmp, f"http://{t.host}:{t.port}/", t.host_header, 50, c.warmup_s)
    per = {t.name: {"c50": [], "c1": [], "added_p50_us": []} for t in tgts}
    for rnd in range(c.rounds):
        c1_direct = None
        for t in tgts:
            pids = [p for p in (t.pid, backend_pid) if p]
            r50 = wrk(ctx.tmp, f"http://{t.host}:{t.port}/", t.host_header, 50, c.run_s,
                      measure_pids=pids)
            r1 = wrk(ctx.tmp, f"http://{t.host}:{t.port}/", t.host_header, 1, c.run1_s,
                     measure_pids=pids)
            per[t.name]["c50"].append(_round_figures(r50, t.pid, backend_pid))
            per[t.name]["c1"].append({"p50_us": r1["p50_us"], "p99_us": r1["p99_us"],
                                      "rps": r1["rps"],
                                      "errors": r1["socket_errors"] + r1["err_status"]})
            if t.name == "direct":
                c1_direct = r1["p50_us"]
            elif c1_direct is not None:
                per[t.name]["added_p50_us"].append(r1["p50_us"] - c1_direct)
            log(f"  round {rnd + 1}/{c.rounds} {t.name:12s} {r50['rps']:9.0f} req/s  "
                f"p50 {r50['p50_us']}us p99 {r50['p99_us']}us  c1 p50 {r1['p50_us']}us  "
                + (f"cpu {per[t.name]['c50'][-1]['proxy_cpu_us_per_req']:.2f}us/req "
                   f"util {per[t.name]['c50'][-1]['proxy_core_util']:.2f}" if t.pid else "")
                + f" foreign {r50['foreign_load_cores']:.2f}")
    out = {}
    for t in tgts:
        p = per[t.name]
        s = _summarise(p["c50"], ["rps", "p50_us", "p99_us", "proxy_cpu_us_per_req",
                                  "proxy_core_util", "backend_cpu_us_per_req",
                                  "foreign_load_cores"])
        s["c1_p50_us"] = median([r["p50_us"] for r in p["c1"]])
        s["c1_rps"] = median([r["rps"] for r in p["c1"]])
        s["added_p50_us_c1"] = median(p["added_p50_us"]) if p["added_p50_us"] else None
        s["errors"] = sum(r["errors"] for r in p["c50"] + p["c1"])
        s["rounds"] = p
        s["description"] = t.desc
        out[t.name] = s
    log(f"section 1: idle keep-alive memory ({c.idle_conns} connections per target)")
    for t in (t for t in tgts if t.idle):
        pid = t.pid or backend_pid
        m = idle_connection_memory(pid, t.host, t.port, t.host_header, c.idle_conns)
        out[t.name]["idle_conn"] = m
        out[t.name]["idle_conn_bytes"] = m["rss_bytes_per_conn"]
        out[t.name]["idle_conn_pss_bytes"] = m["pss_bytes_per_conn"]
        log(f"  {t.name:12s} {m['rss_bytes_per_conn']:8.0f} B/conn RSS "
            f"({m['pss_bytes_per_conn']:.0f} PSS), ok {m['ok']} failed {m['failed']} "
            f"still open {m['still_open']}" + ("" if t.pid else " (the backend's)"))
    return out


def probe_tls(host, port, host_header):
    """(https_ok, alpn) - does the listener terminate TLS and answer 200, and does it offer h2?"""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    try:
        with socket.create_connection((host, port), timeout=3) as raw:
            with ctx.wrap_socket(raw, server_hostname=host_header) as s:
                alpn = s.selected_alpn_protocol()
    except (OSError, ssl.SSLError) as e:
        return False, None, f"TLS handshake failed: {e}"
    ctx2 = ssl.create_default_context()
    ctx2.check_hostname = False
    ctx2.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=3) as raw:
            with ctx2.wrap_socket(raw, server_hostname=host_header) as s:
                s.sendall(f"GET / HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n"
                          .encode())
                data = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
    except (OSError, ssl.SSLError) as e:
        return False, alpn, f"HTTPS request failed: {e}"
    if not data.startswith(b"HTTP/1.1 200"):
        return False, alpn, f"HTTPS answered {data[:40]!r}"
    return True, alpn, None


def run_tls_h2(ctx, tgts, backend_pid, unsupported):
    """Section 2. tgts: Targets with tls_port. unsupported: {name: reason} reported as such."""
    c = ctx.cfg
    out = {"https": {}, "h2": {}}
    for name, why in unsupported.items():
        out["https"][name] = {"not_supported": why}
        out["h2"][name] = {"not_supported": why}
    h2_targets = []
    https_targets = []
    for t in tgts:
        ok, alpn, why = probe_tls(t.host, t.tls_port, t.host_header)
        if not ok:
            out["https"][t.name] = {"not_supported": f"not yet supported ({why})"}
            out["h2"][t.name] = {"not_supported": f"not yet supported ({why})"}
            continue
        https_targets.append(t)
        if alpn == "h2":
            h2_targets.append(t)
        else:
            out["h2"][t.name] = {"not_supported": f"not yet supported (ALPN chose {alpn!r})"}
    if https_targets:
        log(f"section 2: HTTPS warm-up; targets {[t.name for t in https_targets]}")
        for t in https_targets:
            wrk(ctx.tmp, f"https://{t.host}:{t.tls_port}/", t.host_header, 50, c.warmup_s)
        per = {t.name: {"c50": [], "c1": []} for t in https_targets}
        for rnd in range(c.tls_rounds):
            for t in https_targets:
                pids = [t.pid, backend_pid]
                r50 = wrk(ctx.tmp, f"https://{t.host}:{t.tls_port}/", t.host_header, 50,
                          c.run_s, measure_pids=pids)
                r1 = wrk(ctx.tmp, f"https://{t.host}:{t.tls_port}/", t.host_header, 1,
                         c.run1_s, measure_pids=pids)
                f = _round_figures(r50, t.pid, backend_pid)
                f["c1_p50_us"] = r1["p50_us"]
                f["errors"] += r1["socket_errors"] + r1["err_status"]
                per[t.name]["c50"].append(f)
                log(f"  https round {rnd + 1} {t.name:10s} {r50['rps']:9.0f} req/s p50 "
                    f"{r50['p50_us']}us p99 {r50['p99_us']}us c1 p50 {r1['p50_us']}us cpu "
                    f"{f['proxy_cpu_us_per_req']:.2f}us/req")
        for t in https_targets:
            rs = per[t.name]["c50"]
            s = _summarise(rs, ["rps", "p50_us", "p99_us", "proxy_cpu_us_per_req",
                                "proxy_core_util", "c1_p50_us", "foreign_load_cores"])
            s["errors"] = sum(r["errors"] for r in rs)
            s["rounds"] = rs
            m = idle_connection_memory(t.pid, t.host, t.tls_port, t.host_header,
                                       c.tls_idle_conns, tls=True)
            s["idle_conn"] = m
            s["idle_conn_bytes"] = m["rss_bytes_per_conn"]
            log(f"  https idle {t.name:10s} {m['rss_bytes_per_conn']:8.0f} B/conn ok {m['ok']}")
            out["https"][t.name] = s
    if h2_targets:
        log(f"section 2: HTTP/2 (h2load -c50 -m{c.h2_streams}); targets "
            f"{[t.name for t in h2_targets]}")
        per = {t.name: [] for t in h2_targets}
        for t in h2_targets:
            h2load(ctx.tmp, f"https://{t.host}:{t.tls_port}/", t.host_header, 50, c.h2_streams,
                   c.warmup_s, warmup_s=0)
        for rnd in range(c.tls_rounds):
            for t in h2_targets:
                r = h2load(ctx.tmp, f"https://{t.host}:{t.tls_port}/", t.host_header, 50,
                           c.h2_streams, c.run_s, measure_pids=[t.pid, backend_pid],
                           warmup_s=0)
                reqs = max(r["requests"], 1)
                f = {"rps": r["rps"], "p50_us": r["p50_us"], "p99_us": r["p99_us"],
                     "errors": r["failed"] + (r["non2xx"] or 0),
                     "proxy_cpu_us_per_req": r["cpu_s"][t.pid] * 1e6 / reqs}
                per[t.name].append(f)
                log(f"  h2 round {rnd + 1} {t.name:10s} {r['rps']:9.0f} req/s p50 "
                    f"{r['p50_us']}us p99 {r['p99_us']}us cpu {f['proxy_cpu_us_per_req']:.2f}"
                    f"us/req")
        for t in h2_targets:
            s = _summarise(per[t.name], ["rps", "p50_us", "p99_us", "proxy_cpu_us_per_req"])
            s["errors"] = sum(r["errors"] for r in per[t.name])
            s["rounds"] = per[t.name]
            out["h2"][t.name] = s
    return out
