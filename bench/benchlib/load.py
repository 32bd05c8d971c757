"""Load generators: wrk (HTTP/1.1, HTTPS), h2load (HTTP/2) and an idle keep-alive connection opener."""

import json
import os
import re
import resource
import selectors
import socket
import ssl
import subprocess
import time

from .common import CLK_TCK, RT_PREFIX, cpu_seconds_tree, log, memory_kb, percentile, tool
from .targets import LOAD_CPU, TEMPLATES

import string


def _lua(d, count_status):
    path = os.path.join(d, f"wrk-report-{int(count_status)}.lua")
    if not os.path.exists(path):
        with open(os.path.join(TEMPLATES, "wrk-report.lua")) as f:
            text = string.Template(f.read()).substitute(
                count_status="true" if count_status else "false")
        with open(path, "w") as f:
            f.write(text)
    return path


def system_busy_s():
    """Busy CPU seconds of the whole machine (all /proc/stat 'cpu' fields except idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK


def _children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wrk(d, url, host_header, connections, seconds, threads=1, measure_pids=(), count_status=False,
        timeout_s=5, extra_headers=(), script=None):
    """Run wrk pinned to the load core. Returns the WRKJSON figures plus, for each pid in
    measure_pids, the CPU seconds its process tree used during the run."""
    argv = RT_PREFIX + [tool("taskset"), "-c", str(LOAD_CPU), tool("wrk"), "-t", str(threads),
            "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{timeout_s}s",
            "-s", script or _lua(d, count_status), "-H", f"Host: {host_header}"]
    for h in extra_headers:
        argv += ["-H", h]
    argv.append(url)
    cpu0 = {p: cpu_seconds_tree(p) for p in measure_pids}
    busy0, ch0 = system_busy_s(), _children_cpu_s()
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - t0
    cpu = {p: cpu_seconds_tree(p) - c for p, c in cpu0.items()}
    wrk_cpu = _children_cpu_s() - ch0
    foreign = system_busy_s() - busy0 - wrk_cpu - sum(cpu.values())
    m = re.search(r"^WRKJSON (\{.*\})$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({r.returncode}): {r.stdout[-1000:]} {r.stderr[-1000:]}")
    out = json.loads(m.group(1))
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6)
    out["wall_s"] = wall
    out["cpu_s"] = cpu
    out["wrk_cpu_s"] = wrk_cpu
    # CPU the machine spent on anything but wrk and the measured processes, in cores: other
    # tenants or builds disturbing the run (the harness itself adds ~0.01).
    out["foreign_load_cores"] = max(0.0, foreign / wall)
    out["socket_errors"] = (out["err_connect"] + out["err_read"] + out["err_write"]
                            + out["err_timeout"])
    return out


def h2load(d, url, authority, connections, streams, seconds, measure_pids=(), warmup_s=1,
           data_file=None, extra_headers=()):
    """HTTP/2 (over TLS with ALPN h2 for https://, h2c prior knowledge for http://) with h2load
    pinned to the load core; per-request latencies from its --log-file give p50/p99. data_file:
    POST its bytes as every request's body. data_bytes is the response DATA payload received."""
    logf = os.path.join(d, "h2load-requests.log")
    argv = RT_PREFIX + [tool("taskset"), "-c", str(LOAD_CPU), tool("h2load"), "-t", "1",
            "-c", str(connections), "-m", str(streams), "-D", str(seconds)]
    if warmup_s:
        argv += ["--warm-up-time", str(warmup_s)]
    if data_file:
        argv += ["-d", data_file]
    argv += ["-H", f":authority: {authority}"]
    for h in extra_headers:
        argv += ["-H", h]
    argv += ["--log-file", logf, url]
    cpu0 = {p: cpu_seconds_tree(p) for p in measure_pids}
    busy0, ch0 = system_busy_s(), _children_cpu_s()
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + warmup_s + 60)
    wall = time.monotonic() - t0
    cpu = {p: cpu_seconds_tree(p) - c for p, c in cpu0.items()}
    foreign = system_busy_s() - busy0 - (_children_cpu_s() - ch0) - sum(cpu.values())
    txt = r.stdout
    out = {"cpu_s": cpu, "raw_tail": txt[-600:], "foreign_load_cores": max(0.0, foreign / wall)}
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", txt)
    mr = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                   r"(\d+) failed, (\d+) errored, (\d+) timeout", txt)
    ms = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", txt)
    mt = re.search(r"traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?\((\d+)\) data", txt)
    if r.returncode != 0 or not m or not mr:
        raise RuntimeError(f"h2load failed ({r.returncode}): {txt[-1000:]} {r.stderr[-500:]}")
    out["rps"] = float(m.group(3))
    out["requests"] = int(mr.group(3))
    out["succeeded"] = int(mr.group(4))
    out["failed"] = int(mr.group(5)) + int(mr.group(6)) + int(mr.group(7))
    out["non2xx"] = sum(int(x) for x in ms.groups()[1:]) if ms else None
    out["data_bytes"] = int(mt.group(3)) if mt else None
    lat = []
    try:
        with open(logf) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]))
        os.unlink(logf)
    except (OSError, ValueError):
        pass
    out["p50_us"] = percentile(lat, 50)
    out["p99_us"] = percentile(lat, 99)
    return out


def idle_connection_memory(target_pid, host, port, host_header, n=3000, tls=False, batch=250,
                           settle_s=1.5):
    """Open n keep-alive connections, make one request on each (so each is a real, idle keep-alive
    client connection, not a half-open accept), leave them idle and report the memory delta of
    the proxy's process tree per connection."""
    time.sleep(settle_s)
    before = memory_kb(target_pid)
    sel = selectors.DefaultSelector()
    socks = []
    ok = 0
    failed = 0
    req = (f"GET / HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: gatehouse-bench\r\n\r\n").encode()
    ctx = None
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + 120
    try:
        for start in range(0, n, batch):
            pending = {}
            for _ in range(min(batch, n - start)):
                try:
                    s = socket.create_connection((host, port), timeout=10)
                    if ctx:
                        s = ctx.wrap_socket(s, server_hostname=host_header)
                    s.sendall(req)
                    s.setblocking(False)
                except OSError:
                    failed += 1
                    continue
                socks.append(s)
                pending[s] = b""
                sel.register(s, selectors.EVENT_READ)
            while pending and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1.0):
                    s = key.fileobj
                    try:
                        b = s.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError):
                        continue
                    except OSError:
                        b = b""
                    if not b:
                        failed += 1
                        sel.unregister(s)
                        pending.pop(s, None)
                        continue
                    buf = pending[s] + b
                    head, sep, body = buf.partition(b"\r\n\r\n")
                    mlen = re.search(rb"(?i)content-length:\s*(\d+)", head)
                    if sep and mlen and len(body) >= int(mlen.group(1)):
                        if head.startswith(b"HTTP/1.1 200"):
                            ok += 1
                        else:
                            failed += 1
                        sel.unregister(s)
                        del pending[s]
                    else:
                        pending[s] = buf
            for s in list(pending):
                failed += 1
                sel.unregister(s)
        time.sleep(settle_s)
        after = memory_kb(target_pid)
        # Are they all still open (nobody closed idle keep-alive connections on us)?
        still_open = 0
        for s in socks:
            try:
                s.setblocking(False)
                if s.recv(1) == b"":
                    continue
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            except OSError:
                continue
            still_open += 1
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass
        sel.close()
    per_conn = {k: (after[k] - before[k]) * 1024 / max(ok, 1) for k in ("rss_kb", "pss_kb")}
    return {"connections": n, "ok": ok, "failed": failed, "still_open": still_open,
            "before_kb": before, "after_kb": after,
            "rss_bytes_per_conn": per_conn["rss_kb"], "pss_bytes_per_conn": per_conn["pss_kb"]}


def idle_h2_connection_memory(target_pid, host, port, authority, path, body, n=3000, batch=250,
                              settle_s=1.5, extra_headers=(("content-type", "application/grpc"),
                                                           ("te", "trailers"))):
    """HTTP/2 over TLS (ALPN h2) version of idle_connection_memory: n connections, each makes
    one POST (a gRPC call by default) and reads its response to the end, then stays idle (the
    client acknowledges SETTINGS and answers PINGs only while the responses come in). Memory
    delta of the proxy's process tree per connection; still_open counts connections with no
    GOAWAY and no close when measured."""
    import h2.config
    import h2.connection
    import h2.events

    time.sleep(settle_s)
    before = memory_kb(target_pid)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    headers = [(":method", "POST"), (":scheme", "https"), (":authority", authority),
               (":path", path), *extra_headers]
    sel = selectors.DefaultSelector()
    conns = {}   # socket -> h2 connection
    ok = failed = 0
    deadline = time.monotonic() + 120
    try:
        for start in range(0, n, batch):
            pending = set()
            for _ in range(min(batch, n - start)):
                try:
                    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=10),
                                        server_hostname=authority)
                    if s.selected_alpn_protocol() != "h2":
                        s.close()
                        failed += 1
                        continue
                    c = h2.connection.H2Connection(h2.config.H2Configuration(
                        client_side=True, header_encoding="utf-8"))
                    c.initiate_connection()
                    c.send_headers(1, headers)
                    c.send_data(1, body, end_stream=True)
                    s.sendall(c.data_to_send())
                    s.setblocking(False)
                except OSError:
                    failed += 1
                    continue
                conns[s] = c
                pending.add(s)
                sel.register(s, selectors.EVENT_READ)
            while pending and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1.0):
                    s = key.fileobj
                    c = conns[s]
                    try:
                        b = s.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError):
                        continue
                    except OSError:
                        b = b""
                    events = c.receive_data(b) if b else []
                    grpc_ok = None
                    for ev in events:
                        if isinstance(ev, h2.events.TrailersReceived):
                            grpc_ok = dict(ev.headers).get("grpc-status") == "0"
                        elif isinstance(ev, h2.events.StreamEnded) and grpc_ok is None:
                            grpc_ok = False   # trailers-only: an error answer
                        elif isinstance(ev, (h2.events.StreamReset,
                                             h2.events.ConnectionTerminated)):
                            grpc_ok = False
                    try:
                        s.sendall(c.data_to_send())
                    except OSError:
                        b = b""
                    if not b or grpc_ok is not None:
                        ok += 1 if grpc_ok else 0
                        failed += 0 if grpc_ok else 1
                        sel.unregister(s)
                        pending.discard(s)
            for s in pending:
                failed += 1
                sel.unregister(s)
        time.sleep(settle_s)
        after = memory_kb(target_pid)
        still_open = 0
        for s, c in conns.items():
            try:
                b = s.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError):
                still_open += 1
                continue
            except OSError:
                continue
            if b and not any(isinstance(ev, h2.events.ConnectionTerminated)
                             for ev in c.receive_data(b)):
                still_open += 1
    finally:
        for s in conns:
            try:
                s.close()
            except OSError:
                pass
        sel.close()
    per_conn = {k: (after[k] - before[k]) * 1024 / max(ok, 1) for k in ("rss_kb", "pss_kb")}
    return {"connections": n, "ok": ok, "failed": failed, "still_open": still_open,
            "before_kb": before, "after_kb": after,
            "rss_bytes_per_conn": per_conn["rss_kb"], "pss_bytes_per_conn": per_conn["pss_kb"]}
