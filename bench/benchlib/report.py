"""Markdown report (docs/benchmarks.md) from results.json: every figure next to nginx's and
HAProxy's, with the ratios Gatehouse/nginx and Gatehouse/HAProxy."""


def _num(x, unit="", digits=None):
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    if digits is None:
        digits = 0 if abs(x) >= 100 else (1 if abs(x) >= 10 else 2)
    return f"{x:,.{digits}f}{unit}"


def _ratio(a, b):
    if a is None or b in (None, 0):
        return "—"
    return f"{a / b:.2f}×"


def _get(d, *path):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _na(entry):
    if isinstance(entry, dict) and "not_supported" in entry:
        return entry["not_supported"]
    if isinstance(entry, dict) and "error" in entry and len(entry) <= 3:
        return "error: " + entry["error"][:120]
    return None


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _compare_rows(metrics, data, refs=("nginx", "haproxy"), extra_cols=()):
    """metrics: [(label, key-path tuple, unit, lower_is_better)] -> rows with GH ratios."""
    rows = []
    gh = data.get("gatehouse", {})
    for label, path, unit in metrics:
        vals = {k: _get(data.get(k, {}), *path) for k in list(extra_cols) + list(refs)
                + ["gatehouse"]}
        row = [label] + [_num(vals[k], unit) for k in extra_cols]
        row += [_num(vals[k], unit) for k in refs]
        row.append(_num(vals["gatehouse"], unit) if not _na(gh) else "not yet")
        row += [_ratio(vals["gatehouse"], vals[k]) for k in refs]
        rows.append(row)
    return rows


GRPC_CALLS = (("unary", "unary"), ("server_stream", "server streaming"),
              ("client_stream", "client streaming"))


def _grpc_section(g, cfg):
    """Section 2's gRPC subsections: the three calls, then memory per idle HTTP/2 connection."""
    L = ["### gRPC\n"]
    calls = g.get("calls", {})
    L.append("h2load over TLS (ALPN h2), "
             f"{g.get('connections')} connections × {g.get('streams_per_connection')} streams, "
             f"{cfg.get('tls_rounds')} rounds of {cfg.get('run_s')} s alternating the targets, "
             "medians; the proxies speak h2c to one nginx worker answering with canned gRPC "
             "responses (a grpcio client checks every call through every proxy first). Calls: "
             + "; ".join(calls.get(k, k) for k, _ in GRPC_CALLS) + ". An RPC counts as an "
             "error when h2load saw it fail or its whole response payload did not arrive "
             "(h2load cannot read grpc-status; a gRPC error answer has no payload). CPU is "
             "per RPC, whatever its number of messages.\n")
    rows = []
    refs = ("direct", "nginx", "haproxy")
    for key, label in GRPC_CALLS:
        d = g.get(key, {})
        for figure, path in (("RPCs/s", ("rps",)),
                             ("proxy CPU µs / RPC", ("proxy_cpu_us_per_req",)),
                             ("backend CPU µs / RPC", ("backend_cpu_us_per_req",)),
                             ("p50 latency (µs)", ("p50_us",)),
                             ("p99 latency (µs)", ("p99_us",)),
                             ("errors", ("errors",)),
                             ("foreign CPU load (cores)", ("foreign_load_cores",))):
            rows.append([label] + _compare_rows([(figure, path, "")], d,
                                                extra_cols=("direct",))[0])
    L.append(_table(["call", "figure", "direct (floor, h2c)", "nginx", "HAProxy", "Gatehouse",
                     "GH/nginx", "GH/HAProxy"], rows))
    for key, label in GRPC_CALLS:
        for k in refs + ("gatehouse",):
            if _na(g.get(key, {}).get(k)):
                L.append(f"{label}, {k}: {_na(g[key][k])}.\n")
    L.append("For `direct` (h2load straight to the backend, without TLS) the CPU is the "
             "backend's.\n")
    idle = g.get("idle_h2", {})
    L.append("### Memory per idle HTTP/2 connection\n")
    L.append(f"{cfg.get('tls_idle_conns')} connections over TLS (ALPN h2) to each freshly "
             "started proxy, before any load: each makes one unary gRPC call, reads it to the "
             "end, then stays open and idle; RSS (and PSS) delta of the proxy's process tree ÷ "
             "connections.\n")
    L.append(_table(["figure", "nginx", "HAProxy", "Gatehouse", "GH/nginx", "GH/HAProxy"],
                    _compare_rows([("RSS per idle h2 conn (bytes)", ("rss_bytes_per_conn",), ""),
                                   ("PSS per idle h2 conn (bytes)", ("pss_bytes_per_conn",), "")],
                                  idle)))
    for k in ("nginx", "haproxy", "gatehouse"):
        e = idle.get(k)
        if _na(e):
            L.append(f"{k}: {_na(e)}.\n")
        elif e:
            L.append(f"{k}: {e.get('ok')} of {e.get('connections')} calls OK, "
                     f"{e.get('still_open')} connections still open when measured.\n")
    return L


# Section 2's gRPC subsections sit between these markers, so a run of that section alone
# (`run.py --only grpc --docs FILE`) replaces them in FILE and leaves every other figure alone.
GRPC_BEGIN = "<!-- bench/run.py grpc: begin -->"
GRPC_END = "<!-- bench/run.py grpc: end -->"


def grpc_block(res, provenance=False):
    """The marked gRPC subsections of `res`; with provenance, a line naming the run they come
    from (they then stand in a file whose header describes another run)."""
    L = [GRPC_BEGIN]
    if provenance:
        L.append(_provenance(res))
    L += _grpc_section(res["sections"]["grpc"], res.get("config", {}))
    L.append(GRPC_END)
    return "\n".join(L) + "\n"


# The L4 section sits between these markers, so a run of that section alone (`run.py --only l4
# --docs FILE`) replaces it in FILE (or adds it) and leaves every other figure alone.
L4_BEGIN = "<!-- bench/run.py l4: begin -->"
L4_END = "<!-- bench/run.py l4: end -->"


def l4_block(res, provenance=False):
    l4 = res["sections"]["l4"]
    L = [L4_BEGIN, "## L4 proxying: TCP, TLS passthrough, UDP\n"]
    if provenance:
        L.append(_provenance(res))
    if _na(l4):
        L.append(f"Not measured: {_na(l4)}.\n")
        L.append(L4_END)
        return "\n".join(L) + "\n"
    L.append(f"nginx `stream` (ssl_preread + a map on the SNI), HAProxy `mode tcp` "
             "(`req.ssl_sni`) and Gatehouse (TCPRoute, TLSRoute in Passthrough mode, UDPRoute), "
             "one worker each on the proxy core, to one nginx worker. "
             f"{l4.get('rounds')} rounds of {l4.get('run_s')} s per figure, targets "
             "alternating, medians. **Keep-alive**: wrk, 50 connections of HTTP/1.1 keep-alive "
             "carried over TCP. **New connection per request**: the same with `Connection: "
             "close`, so every request opens a client and a backend connection. **Bulk**: wrk, "
             f"2 connections fetching a {l4.get('bulk_bytes', 0) >> 20} MiB file. **TLS "
             "passthrough**: one client, sequential fresh connections (TCP connect, TLS 1.3 "
             "handshake whose SNI picks the route, a request), timed to the first response "
             f"byte. **UDP**: {l4.get('udp_clients')} client sockets (one session each) × "
             f"{l4.get('udp_window')} datagrams in flight, the backend answering each; a pair "
             "is one datagram each way. **Idle**: RSS per idle TCP connection after one request, "
             "as in section 1. CPU is the proxy process tree's, per unit; for `direct` the "
             "CPU columns are empty.\n")
    metrics = [("keep-alive requests/s, 50 conns", ("ka_rps",), ""),
               ("keep-alive proxy CPU µs / request", ("ka_cpu_us",), ""),
               ("keep-alive p99 latency (µs)", ("ka_p99_us",), ""),
               ("new connections/s, 50 conns", ("conn_cps",), ""),
               ("proxy CPU µs / connection", ("conn_cpu_us",), ""),
               ("new-connection p99 latency (µs)", ("conn_p99_us",), ""),
               ("bulk throughput (MiB/s)", ("bulk_mib_s",), ""),
               ("bulk proxy CPU ms / GiB", ("bulk_cpu_ms_per_gib",), ""),
               ("RSS per idle TCP conn (bytes)", ("idle_conn_bytes",), ""),
               ("TLS passthrough: first byte p50 (µs)", ("tls_p50_us",), ""),
               ("TLS passthrough: added p50 vs direct (µs)", ("tls_added_p50_us",), ""),
               ("TLS passthrough: first byte p99 (µs)", ("tls_p99_us",), ""),
               ("TLS passthrough: proxy CPU µs / connection", ("tls_cpu_us",), ""),
               ("UDP request/reply pairs/s", ("udp_pps",), ""),
               ("UDP proxy CPU µs / pair", ("udp_cpu_us",), ""),
               ("UDP datagrams lost (fraction)", ("udp_loss",), ""),
               ("errors", ("errors",), ""),
               ("foreign CPU load (cores, worst run)", ("foreign_load_cores",), "")]
    L.append(_table(["figure", "direct (floor)", "nginx", "HAProxy", "Gatehouse", "GH/nginx",
                     "GH/HAProxy"], _compare_rows(metrics, l4, extra_cols=("direct",))))
    L.append("HAProxy 2.6 proxies no UDP: its UDP cells are empty.\n")
    for k in ("nginx", "haproxy", "gatehouse"):
        if _na(l4.get(k)):
            L.append(f"{k}: {_na(l4[k])}.\n")
    L.append(L4_END)
    return "\n".join(L) + "\n"


def _provenance(res):
    return (f"Measured apart from the rest of this file: {res.get('date', '?')}, "
            f"`{res.get('command', '?')}` ({res.get('mode')}, {res.get('elapsed_s')} s), "
            f"Gatehouse commit `{res.get('gatehouse_commit', '?')}`, other load at start "
            f"{res.get('background_load_cores_at_start', '?')} cores.\n")


def markdown(res):
    m = res.get("machine", {})
    S = res.get("sections", {})
    L = []
    L.append("# Gatehouse benchmarks\n")
    L.append("Generated by `bench/run.py` (see `bench/README.md`); do not edit by hand. Every "
             "figure was measured in the same run on the same machine as the nginx and HAProxy "
             "figures next to it (Debian's packages), loopback only. Ratios are "
             "Gatehouse ÷ reference: below 1.00× is better for times, CPU and memory, above "
             "1.00× is better for requests/s.\n")
    L.append(_table(["", ""], [
        ["date", res.get("date", "?")],
        ["command", f"`{res.get('command', '?')}` ({res.get('mode')}, {res.get('elapsed_s')} s)"],
        ["Gatehouse commit", f"`{res.get('gatehouse_commit', '?')}`"],
        ["Gatehouse binary", res.get("gatehouse_status", "?")],
        ["machine", f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, "
                    f"Linux {m.get('kernel')}, Debian {m.get('debian')}"],
        ["tools", f"{m.get('nginx')}; {m.get('haproxy')}; {m.get('wrk')}; {m.get('h2load')}"],
        ["other load at start", f"{res.get('background_load_cores_at_start', '?')} cores "
                                "(busy CPU of other processes before the run; > 0.05 = "
                                "disturbed)"],
        ["layout", f"proxy under test pinned to CPU {res.get('layout', {}).get('proxy_cpu')}; "
                   f"wrk/h2load and the backend (one nginx worker) pinned to CPU "
                   f"{res.get('layout', {}).get('load_and_backend_cpu')}"
                   + ("; all with SCHED_FIFO priority 1 (--rt)" if res.get("realtime_priority")
                      else "")],
    ]))
    cfg = res.get("config", {})

    p = S.get("proxy")
    if p:
        L.append("## 1. Proxy cost, HTTP/1.1 keep-alive\n")
        L.append(f"{cfg.get('rounds')} rounds, targets alternating, after a "
                 f"{cfg.get('warmup_s')} s warm-up each; each round {cfg.get('run_s')} s at 50 "
                 f"connections and {cfg.get('run1_s')} s at 1 connection; medians. CPU is the "
                 "proxy process tree's utime+stime (/proc/PID/stat) over the run ÷ requests. "
                 f"Idle memory: {cfg.get('idle_conns')} keep-alive connections, one request "
                 "each, then idle; RSS delta ÷ connections.\n")
        metrics = [("requests/s, 50 conns", ("rps",), ""),
                   ("proxy CPU µs / request", ("proxy_cpu_us_per_req",), ""),
                   ("proxy core utilisation", ("proxy_core_util",), ""),
                   ("p50 latency, 50 conns (µs)", ("p50_us",), ""),
                   ("p99 latency, 50 conns (µs)", ("p99_us",), ""),
                   ("p50 latency, 1 conn (µs)", ("c1_p50_us",), ""),
                   ("added p50, 1 conn, vs direct (µs)", ("added_p50_us_c1",), ""),
                   ("RSS per idle keep-alive conn (bytes)", ("idle_conn_bytes",), ""),
                   ("errors", ("errors",), ""),
                   ("foreign CPU load during runs (cores)", ("foreign_load_cores",), "")]
        L.append(_table(["figure", "direct (floor)", "HAProxy tcp", "nginx", "HAProxy",
                         "Gatehouse", "GH/nginx", "GH/HAProxy"],
                        _compare_rows(metrics, p, extra_cols=("direct", "haproxy-tcp"))))
        if _na(p.get("gatehouse")):
            L.append(f"Gatehouse: {_na(p['gatehouse'])}.\n")
        # (title, intro, the cheaper Gatehouse and its column, the dearer one and its column)
        costs = (
            ("Cost of the request metrics",
             "A third Gatehouse, identical but for `--request-metrics false` (no `http_server_*` / "
             "`http_client_*` series), measured in the same rounds.",
             ("gatehouse-nometrics", "Gatehouse, metrics off"), ("gatehouse", "Gatehouse (metrics on)")),
            ("Cost of a rate-limited route",
             "A fourth Gatehouse, identical but for a RateLimitPolicy with a local limit on the route "
             "that no request reaches (every request takes a token from the shared bucket and passes), "
             "measured in the same rounds.",
             ("gatehouse", "Gatehouse"), ("gatehouse-ratelimit", "Gatehouse + local rate limit")),
            ("Cost of a globally rate-limited route",
             "A fifth Gatehouse, identical but for a RateLimitPolicy with a global limit that no request "
             "reaches: every request asks Redis (Debian's redis-server on the load core, loopback) "
             "through the worker's pipelined connection. The proxy CPU is Gatehouse's alone; Redis's "
             "shows in the foreign load.",
             ("gatehouse", "Gatehouse"), ("gatehouse-ratelimit-global", "Gatehouse + global rate limit")),
            ("Cost of the access log",
             "A second Gatehouse, identical but for `--access-log` to a file on tmpfs (one JSON line "
             "per request), measured in the same rounds. Metrics are on in both (and in every other "
             "Gatehouse figure of this file).",
             ("gatehouse", "Gatehouse"), ("gatehouse-log", "Gatehouse + access log")))
        if not _na(p.get("gatehouse")):
            for title, intro, (base, base_label), (dear, dear_label) in costs:
                if p.get(base) and p.get(dear):
                    L.append(f"### {title}\n")
                    L.append(intro + "\n")
                    L.append(_table(["figure", base_label, dear_label, "ratio"], [
                        [label, _num(_get(p[base], key)), _num(_get(p[dear], key)),
                         _ratio(_get(p[dear], key), _get(p[base], key))]
                        for label, key in (("requests/s, 50 conns", "rps"),
                                           ("proxy CPU µs / request", "proxy_cpu_us_per_req"),
                                           ("p50 latency, 50 conns (µs)", "p50_us"),
                                           ("p99 latency, 50 conns (µs)", "p99_us"), ("errors", "errors"))]))
        L.append("For `direct` the CPU and memory columns are the backend's. 'Foreign load' is "
                 "CPU used on the machine by anything but the load generator and the measured "
                 "processes; above ~0.05 the run was disturbed.\n")

    t = S.get("tls")
    g = S.get("grpc")
    if t or g:
        L.append("## 2. HTTPS (TLS termination, keep-alive), HTTP/2 and gRPC\n")
    if t:
        L.append("HTTPS: wrk over TLS 1.3 (ECDSA P-256), same rounds as section 1. HTTP/2: "
                 f"h2load over TLS (ALPN h2), 50 connections × {cfg.get('h2_streams')} "
                 "streams. The proxies speak HTTP/1.1 with keep-alive to the backend.\n")
        for proto, label, metrics in (
                ("https", "HTTPS", [("requests/s, 50 conns", ("rps",), ""),
                                    ("proxy CPU µs / request", ("proxy_cpu_us_per_req",), ""),
                                    ("p50 latency, 50 conns (µs)", ("p50_us",), ""),
                                    ("p99 latency, 50 conns (µs)", ("p99_us",), ""),
                                    ("p50 latency, 1 conn (µs)", ("c1_p50_us",), ""),
                                    ("RSS per idle TLS conn (bytes)", ("idle_conn_bytes",), ""),
                                    ("errors", ("errors",), "")]),
                ("h2", "HTTP/2", [("requests/s", ("rps",), ""),
                                  ("proxy CPU µs / request", ("proxy_cpu_us_per_req",), ""),
                                  ("p50 latency (µs)", ("p50_us",), ""),
                                  ("p99 latency (µs)", ("p99_us",), ""),
                                  ("errors", ("errors",), "")])):
            d = t.get(proto, {})
            L.append(f"### {label}\n")
            L.append(_table(["figure", "nginx", "HAProxy", "Gatehouse", "GH/nginx",
                             "GH/HAProxy"], _compare_rows(metrics, d)))
            for k in ("nginx", "haproxy", "gatehouse"):
                if _na(d.get(k)):
                    L.append(f"{k}: {_na(d[k])}.\n")

    if g:
        L.append(grpc_block(res))

    sc = S.get("scale")
    if sc:
        L.append("## 3. Route scale\n")
        L.append("N routes, each with its own hostname, a path prefix, a request header modifier "
                 "and its own backend (Gatehouse: its own Service + EndpointSlice; nginx: its own "
                 "upstream + server block; HAProxy: its own backend, host map). Time to serve = "
                 "process start until sampled routes (first, last, random) answer 200 with the "
                 "header set; memory after that (PSS summed over the process tree; nginx's "
                 "master and worker share pages).\n")
        tg = sc.get("targets", {})
        rows = []
        for n in sc.get("sizes", []):
            for label, key, unit in (("time to serve (s)", "serving_s", ""),
                                     ("memory PSS (MiB)", "pss_mib", ""),
                                     ("random-route requests/s", "random_route_rps", ""),
                                     ("proxy CPU µs / request", "random_route_cpu_us_per_req",
                                      "")):
                vals = {}
                for k in ("nginx", "haproxy", "gatehouse"):
                    e = _get(tg, k, str(n)) or {}
                    v = e.get(key)
                    if key == "pss_mib":
                        kb = _get(e, "memory_kb", "pss_kb")
                        v = kb / 1024 if kb is not None else None
                    vals[k] = v
                gh_na = _na(tg.get("gatehouse"))
                rows.append([f"{n:,}", label, _num(vals["nginx"]), _num(vals["haproxy"]),
                             "not yet" if gh_na else _num(vals["gatehouse"]),
                             _ratio(vals["gatehouse"], vals["nginx"]),
                             _ratio(vals["gatehouse"], vals["haproxy"])])
        L.append(_table(["routes", "figure", "nginx", "HAProxy", "Gatehouse", "GH/nginx",
                         "GH/HAProxy"], rows))
        gh_ready = [(n, _get(tg, "gatehouse", str(n), "ready_s")) for n in sc.get("sizes", [])]
        if any(v is not None for _, v in gh_ready):
            L.append("Gatehouse /ready after start: " + ", ".join(
                f"{n:,} routes {_num(v)} s" for n, v in gh_ready) + ".\n")
        for k in ("nginx", "haproxy", "gatehouse"):
            if _na(tg.get(k)):
                L.append(f"{k}: {_na(tg[k])}.\n")
            for n, e in (tg.get(k) or {}).items():
                if isinstance(e, dict) and e.get("error"):
                    L.append(f"{k} at {n} routes: error: {e['error'][:200]}\n")
        mi = sc.get("micro", {})
        L.append("### Route lookup (Google Benchmark on the compiled table)\n")
        if _na(mi):
            L.append(f"{_na(mi)}.\n")
        else:
            L.append(_table(["benchmark", "CPU ns / lookup", "iterations"],
                            [[b["name"], _num(b["cpu_ns"]), str(b["iterations"])]
                             for b in mi.get("benchmarks", [])]))

    pr = S.get("propagation")
    if pr:
        L.append("## 4. Route propagation\n")
        L.append(f"Add {pr.get('routes')} routes one at a time; for each, poll its hostname every "
                 f"{_num(pr.get('poll_ms'))} ms (new connection per poll) until the 404 turns "
                 "into 200. Errors = any other answer or a failed connection. 'loaded': while "
                 f"{pr.get('other_routes')} other routes and their endpoints are rewritten every "
                 f"~{pr.get('churn_period_s')} s. nginx and HAProxy need a reload per change "
                 "(nginx: SIGHUP; HAProxy: master CLI `reload`).\n")
        tg = pr.get("targets", {})
        rows = []
        for mode in ("idle", "loaded"):
            for label, key in (("mean (ms)", "mean_ms"), ("p99 (ms)", "p99_ms"),
                               ("max (ms)", "max_ms"), ("errors", "errors"),
                               ("routes served / added", "served"),
                               ("timed out", "timed_out")):
                vals = {k: _get(tg, k, mode, key) for k in ("nginx", "haproxy", "gatehouse")}
                if key == "served":
                    cell = {k: (f"{vals[k]}/{_get(tg, k, mode, 'routes_added')}"
                                if vals[k] is not None else "—") for k in vals}
                    rows.append([mode, label, cell["nginx"], cell["haproxy"],
                                 "not yet" if _na(tg.get("gatehouse")) else cell["gatehouse"],
                                 "", ""])
                    continue
                rows.append([mode, label, _num(vals["nginx"]), _num(vals["haproxy"]),
                             "not yet" if _na(tg.get("gatehouse")) else _num(vals["gatehouse"]),
                             _ratio(vals["gatehouse"], vals["nginx"]) if key != "errors" else "",
                             _ratio(vals["gatehouse"], vals["haproxy"]) if key != "errors"
                             else ""])
        L.append(_table(["mode", "figure", "nginx", "HAProxy", "Gatehouse", "GH/nginx",
                         "GH/HAProxy"], rows))
        for k in ("nginx", "haproxy", "gatehouse"):
            if _na(tg.get(k)):
                L.append(f"{k}: {_na(tg[k])}.\n")
            for mode in ("idle", "loaded"):
                e = _get(tg, k, mode) or {}
                if e.get("capped"):
                    L.append(f"{k} {mode}: {e['capped']}.\n")
                if e.get("error"):
                    L.append(f"{k} {mode}: error: {e['error'][:200]}\n")

    ch = S.get("change")
    if ch:
        L.append("## 5. Change under load\n")
        L.append(f"wrk at full speed (50 connections) while one route flips between two "
                 f"backends every {_num(cfg.get('change_every_s', 0) * 1e3)} ms for "
                 f"{cfg.get('change_s')} s. Must be 0 non-200 and 0 dropped connections.\n")
        tg = ch.get("targets", {})
        rows = []
        for label, key in (("how the change is made", "method"), ("requests", "requests"),
                           ("requests/s", "rps"), ("non-200 responses", "non200"),
                           ("dropped connections", "dropped_connections"),
                           ("served by a / b", "ab"), ("flips", "flips"),
                           ("p99 latency (µs)", "p99_us"), ("pass", "pass")):
            row = [label]
            for k in ("nginx", "haproxy", "gatehouse"):
                e = tg.get(k) or {}
                if _na(e):
                    row.append("not yet" if k == "gatehouse" else "error")
                elif key == "method":
                    row.append(e.get("method", "—"))
                elif key == "ab":
                    row.append(f"{e.get('served_by_a', '—')} / {e.get('served_by_b', '—')}")
                else:
                    row.append(_num(e.get(key)) if not isinstance(e.get(key), bool)
                               else ("PASS" if e[key] else "FAIL"))
            rows.append(row)
        L.append(_table(["figure", "nginx", "HAProxy", "Gatehouse"], rows))
        if _na(tg.get("gatehouse")):
            L.append(f"Gatehouse: {_na(tg['gatehouse'])}.\n")
    if S.get("l4"):
        L.append(l4_block(res))
    L.append(WHERE_HEADING)
    L.append("Profiles and the reasons behind figures that miss issue 4's aims: "
             "[event-loop.md](design/event-loop.md) (proxy CPU per request, latency, idle "
             "connections, TLS), [incremental-translation.md](design/incremental-translation.md) "
             "(route scale, propagation, memory at scale), [controller.md](design/controller.md) "
             "(decoding manifests).\n")
    return "\n".join(L)


# bench/kube.py's section of docs/benchmarks.md: written by kube.py between these markers and
# carried over when bench/run.py regenerates the rest of the file.
KUBE_BEGIN = "<!-- bench/kube.py: begin -->"
KUBE_END = "<!-- bench/kube.py: end -->"


def kube_section(path):
    """The marked section of the file at `path` (markers included), or ""."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return ""
    begin, end = text.find(KUBE_BEGIN), text.find(KUBE_END)
    return text[begin:end + len(KUBE_END)] if 0 <= begin < end else ""


def with_kube_section(text, section):
    """`text` with its marked section replaced by `section` (markers included), or with
    `section` appended when it has none."""
    begin, end = text.find(KUBE_BEGIN), text.find(KUBE_END)
    if 0 <= begin < end:
        return text[:begin] + section + text[end + len(KUBE_END):]
    return text.rstrip("\n") + "\n\n" + section + "\n"


WHERE_HEADING = "## Where the time and memory go\n"


def with_l4_block(text, block):
    """`text` with its marked L4 block replaced by `block`, or with `block` put before the
    closing "Where the time and memory go" section (or at the end) when it has none."""
    begin, end = text.find(L4_BEGIN), text.find(L4_END)
    if 0 <= begin < end:
        return text[:begin] + block.rstrip("\n") + text[end + len(L4_END):]
    at = text.find(WHERE_HEADING)
    if at < 0:
        return text.rstrip("\n") + "\n\n" + block
    return text[:at] + block + "\n" + text[at:]


def with_grpc_block(text, block):
    """`text` with its marked gRPC block replaced by `block`, or None when it has none."""
    begin, end = text.find(GRPC_BEGIN), text.find(GRPC_END)
    if not 0 <= begin < end:
        return None
    return text[:begin] + block.rstrip("\n") + text[end + len(GRPC_END):]
