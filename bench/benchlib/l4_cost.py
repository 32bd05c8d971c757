"""L4 section: TCP proxying, TLS passthrough and UDP through nginx (stream module), HAProxy
(mode tcp; it has no UDP) and Gatehouse (TCPRoute, TLSRoute in Passthrough mode, UDPRoute), each
with one worker on the proxy core, against one nginx backend (templates/nginx-l4-backend.conf).

Per round, targets alternating, medians over rounds:
  keep-alive   wrk, 50 connections, HTTP/1.1 keep-alive through the L4 proxy: CPU per request
  connection   the same with `Connection: close`: every request a new TCP connection both sides
  bulk         wrk, 2 connections fetching a 64 MiB file: throughput and CPU per GiB
  passthrough  one client, sequential: TCP connect + TLS 1.3 handshake (SNI picks the route) +
               request until the first response byte; added latency vs direct, CPU per connection
  udp          16 client sockets (16 sessions) × 8 datagrams in flight; the backend answers each
               datagram: request/reply pairs per second and CPU per pair
Then RSS per idle TCP connection (one request each, then idle), as in section 1.
The TLS and UDP clients are Python on the load core: their speed is the same for every target, and
the CPU figures are the proxy's own."""

import os
import resource
import select
import socket
import ssl
import subprocess
import time

from . import manifests
from . import targets as T
from .common import atomic_write, cpu_seconds_tree, log, median, percentile, wait_http, wait_port
from .load import idle_connection_memory, system_busy_s, wrk

STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
STREAM_PACKAGE = "libnginx-mod-stream"
BULK_BYTES = 64 << 20
HOST = "l4.bench.test"              # Host header of the HTTP requests carried over TCP
SNI = "passthrough.bench.test"      # SNI of the TLS passthrough runs
UDP_CLIENTS, UDP_WINDOW = 16, 8


class Target:
    def __init__(self, name, host, pid, tcp_port, tls_port, udp_port, desc):
        self.name, self.host, self.pid, self.desc = name, host, pid, desc
        self.tcp_port, self.tls_port, self.udp_port = tcp_port, tls_port, udp_port


def stream_module_missing(install):
    """None when nginx's stream module is there (installing Debian's package when allowed)."""
    if not os.path.exists(STREAM_MODULE) and install:
        log(f"installing missing Debian package: {STREAM_PACKAGE}")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        STREAM_PACKAGE], check=False, env=env)
    return None if os.path.exists(STREAM_MODULE) else f"{STREAM_PACKAGE} is not installed"


def start_backend(d, p):
    crt, key, _ = T.make_cert(d)
    os.makedirs(os.path.join(d, "l4-root"), exist_ok=True)
    with open(os.path.join(d, "l4-root", "bulk"), "wb") as f:
        f.write(os.urandom(1 << 20) * (BULK_BYTES >> 20))
    pr = T.nginx_proc("l4-backend", d, "nginx-l4-backend.conf", "l4-backend.conf", T.LOAD_CPU,
                      stream_module=STREAM_MODULE, http_port=p.l4_backend_http,
                      tls_port=p.l4_backend_tls, udp_port=p.l4_backend_udp, crt=crt, key=key)
    for port in (p.l4_backend_http, p.l4_backend_tls):
        wait_port(pr, "127.0.0.1", port)
    return pr


def start_nginx(d, p):
    pr = T.nginx_proc("nginx-stream", d, "nginx-stream.conf", "nginx-stream.conf", T.PROXY_CPU,
                      stream_module=STREAM_MODULE, sni=SNI, tcp_port=p.nginx_l4_tcp,
                      tls_port=p.nginx_l4_tls, udp_port=p.nginx_l4_udp,
                      backend_http_port=p.l4_backend_http, backend_tls_port=p.l4_backend_tls,
                      backend_udp_port=p.l4_backend_udp)
    wait_port(pr, "127.0.0.1", p.nginx_l4_tcp)
    return pr


def start_haproxy(d, p):
    pr = T.haproxy_proc("haproxy-l4", d, "haproxy-l4.cfg", "haproxy-l4.cfg", T.PROXY_CPU, sni=SNI,
                        tcp_port=p.haproxy_l4_tcp, tls_port=p.haproxy_l4_tls,
                        backend_http_port=p.l4_backend_http, backend_tls_port=p.l4_backend_tls)
    wait_port(pr, "127.0.0.1", p.haproxy_l4_tcp)
    return pr


def gatehouse_docs(p):
    gw = manifests.gateway_docs(T.GATEHOUSE_ADDRESS)
    gw[-1]["spec"]["listeners"] = [
        {"name": "tcp", "protocol": "TCP", "port": p.gatehouse_l4_tcp},
        {"name": "passthrough", "protocol": "TLS", "port": p.gatehouse_l4_tls,
         "tls": {"mode": "Passthrough"}},
        {"name": "udp", "protocol": "UDP", "port": p.gatehouse_l4_udp}]

    def route(kind, section, service, port, hostnames=None):
        spec = {"parentRefs": [{"name": manifests.GATEWAY, "sectionName": section}],
                "rules": [{"backendRefs": [{"name": service, "port": port}]}]}
        if hostnames:
            spec["hostnames"] = hostnames
        return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind,
                "metadata": {"name": section, "namespace": manifests.NS}, "spec": spec}

    return gw + [
        route("TCPRoute", "tcp", "tcp-backend", 80),
        route("TLSRoute", "passthrough", "tls-backend", 443, [SNI]),
        route("UDPRoute", "udp", "udp-backend", 53),
        *manifests.service_docs("tcp-backend", 80, "127.0.0.1", p.l4_backend_http),
        *manifests.service_docs("tls-backend", 443, "127.0.0.1", p.l4_backend_tls),
        *manifests.service_docs("udp-backend", 53, "127.0.0.1", p.l4_backend_udp,
                                protocol="UDP")]


def start_gatehouse(binary, d, p):
    cfg = os.path.join(d, "gatehouse-l4-config")
    os.makedirs(cfg, exist_ok=True)
    atomic_write(os.path.join(cfg, "l4.yaml"), manifests.dump(gatehouse_docs(p)))
    g = T.Gatehouse(binary, cfg, p.admin, workers=1, cpu=T.PROXY_CPU,
                    log_path=os.path.join(d, "gatehouse-l4.out"))
    if g.wait_ready(60) is None or wait_http(T.GATEHOUSE_ADDRESS, p.gatehouse_l4_tcp, "/", HOST,
                                             200, 15, proc=g.proc) is None:
        tail = g.proc.tail()
        g.stop()
        return None, f"gatehouse does not serve the TCPRoute: {tail[-800:]}"
    return g, None


class _Cpu:
    """CPU seconds of the measured processes over a client loop run by this process, and the
    machine's other load in cores (anything but them and this harness)."""

    def __init__(self, pids):
        self.pids = pids
        self.cpu0 = {q: cpu_seconds_tree(q) for q in pids}
        self.busy0 = system_busy_s()
        self.self0 = self._self()
        self.t0 = time.monotonic()

    @staticmethod
    def _self():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def done(self):
        wall = time.monotonic() - self.t0
        cpu = {q: cpu_seconds_tree(q) - c for q, c in self.cpu0.items()}
        foreign = system_busy_s() - self.busy0 - (self._self() - self.self0) - sum(cpu.values())
        return cpu, max(0.0, foreign / wall), wall


def tls_first_byte(t, seconds, pids):
    """Sequential fresh connections: connect + TLS 1.3 handshake with SNI + a request, timed to
    the first response byte."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    req = f"GET / HTTP/1.1\r\nHost: {SNI}\r\nConnection: close\r\n\r\n".encode()
    lat, errors = [], 0
    meter = _Cpu(pids)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            with socket.create_connection((t.host, t.tls_port), timeout=5) as raw:
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with ctx.wrap_socket(raw, server_hostname=SNI) as s:
                    s.sendall(req)
                    first = s.recv(1)
                    ttfb = time.perf_counter() - t0
                    rest = first
                    while rest:
                        rest = s.recv(4096)
        except (OSError, ssl.SSLError):
            errors += 1
            continue
        if first != b"H":
            errors += 1
            continue
        lat.append(ttfb * 1e6)
    cpu, foreign, wall = meter.done()
    return {"conns": len(lat), "cps": len(lat) / wall, "p50_us": percentile(lat, 50),
            "p99_us": percentile(lat, 99), "errors": errors, "cpu_s": cpu,
            "foreign_load_cores": foreign}


def udp_pairs(t, seconds, pids):
    """UDP_CLIENTS sockets, each keeping UDP_WINDOW datagrams in flight; every reply sends the
    next datagram. A poll that sees nothing for 100 ms tops each client up by one (a lost
    datagram would otherwise stall it)."""
    ep = select.epoll()
    socks = {}
    for _ in range(UDP_CLIENTS):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((t.host, t.udp_port))
        ep.register(s.fileno(), select.EPOLLIN)
        socks[s.fileno()] = s
    sent = got = errors = 0
    meter = _Cpu(pids)
    for s in socks.values():
        for _ in range(UDP_WINDOW):
            s.send(b"ping")
            sent += 1
    end = time.monotonic() + seconds
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            events = ep.poll(min(0.1, left))
            if not events:
                for s in socks.values():
                    s.send(b"ping")
                    sent += 1
                continue
            for fd, _ in events:
                s = socks[fd]
                while True:
                    try:
                        s.recv(64)
                    except BlockingIOError:
                        break
                    except ConnectionRefusedError:
                        errors += 1
                        break
                    got += 1
                    s.send(b"ping")
                    sent += 1
    finally:
        cpu, foreign, wall = meter.done()
        for s in socks.values():
            s.close()
        ep.close()
    return {"pairs": got, "pps": got / wall, "sent": sent, "errors": errors,
            "loss": 1 - got / sent if sent else None, "cpu_s": cpu,
            "foreign_load_cores": foreign}


def _per(cpu_s, pid, n, scale=1e6):
    return cpu_s[pid] * scale / n if pid and n else None


def _round(ctx, t, be_pid, with_udp):
    c, d = ctx.cfg, ctx.tmp
    pids = [q for q in {t.pid, be_pid} if q]
    url = f"http://{t.host}:{t.tcp_port}/"
    ka = wrk(d, url, HOST, 50, c.run1_s, measure_pids=pids)
    cn = wrk(d, url, HOST, 50, c.run1_s, measure_pids=pids, extra_headers=("Connection: close",))
    bk = wrk(d, url + "bulk", HOST, 2, c.run1_s, measure_pids=pids, timeout_s=30)
    tl = tls_first_byte(t, c.run1_s, pids)
    f = {"ka_rps": ka["rps"], "ka_cpu_us": _per(ka["cpu_s"], t.pid, ka["requests"]),
         "ka_p50_us": ka["p50_us"], "ka_p99_us": ka["p99_us"],
         "conn_cps": cn["rps"], "conn_cpu_us": _per(cn["cpu_s"], t.pid, cn["requests"]),
         "conn_p99_us": cn["p99_us"],
         "bulk_mib_s": bk["bytes"] / (bk["duration_us"] / 1e6) / (1 << 20),
         "bulk_cpu_ms_per_gib": _per(bk["cpu_s"], t.pid, bk["bytes"] / (1 << 30), 1e3),
         "tls_cps": tl["cps"], "tls_p50_us": tl["p50_us"], "tls_p99_us": tl["p99_us"],
         "tls_cpu_us": _per(tl["cpu_s"], t.pid, tl["conns"]),
         "errors": (ka["socket_errors"] + ka["err_status"] + cn["err_status"]
                    + bk["socket_errors"] + bk["err_status"] + tl["errors"]),
         "foreign_load_cores": max(ka["foreign_load_cores"], cn["foreign_load_cores"],
                                   bk["foreign_load_cores"], tl["foreign_load_cores"])}
    if with_udp:
        u = udp_pairs(t, c.run1_s, pids)
        f.update(udp_pps=u["pps"], udp_cpu_us=_per(u["cpu_s"], t.pid, u["pairs"]),
                 udp_loss=u["loss"])
        f["errors"] += u["errors"]
        f["foreign_load_cores"] = max(f["foreign_load_cores"], u["foreign_load_cores"])
    return f


KEYS = ("ka_rps", "ka_cpu_us", "ka_p50_us", "ka_p99_us", "conn_cps", "conn_cpu_us", "conn_p99_us",
        "bulk_mib_s", "bulk_cpu_ms_per_gib", "tls_cps", "tls_p50_us", "tls_p99_us", "tls_cpu_us",
        "tls_added_p50_us", "udp_pps", "udp_cpu_us", "udp_loss", "foreign_load_cores")


def run(ctx):
    c, p, d = ctx.cfg, ctx.ports, ctx.tmp
    missing = stream_module_missing(not ctx.args.no_install)
    if missing:
        return {"not_supported": f"nginx stream module missing ({missing})"}
    procs = []
    out = {"udp_clients": UDP_CLIENTS, "udp_window": UDP_WINDOW, "bulk_bytes": BULK_BYTES,
           "rounds": c.l4_rounds, "run_s": c.run1_s}
    try:
        be = start_backend(d, p)
        procs.append(be)
        ng = start_nginx(d, p)
        procs.append(ng)
        ha = start_haproxy(d, p)
        procs.append(ha)
        tg = [Target("direct", "127.0.0.1", None, p.l4_backend_http, p.l4_backend_tls,
                     p.l4_backend_udp, "straight to the backend (the floor)"),
              Target("nginx", "127.0.0.1", ng.pid, p.nginx_l4_tcp, p.nginx_l4_tls, p.nginx_l4_udp,
                     "nginx stream, worker_processes 1, ssl_preread + map on the SNI"),
              Target("haproxy", "127.0.0.1", ha.pid, p.haproxy_l4_tcp, p.haproxy_l4_tls, None,
                     "HAProxy mode tcp, nbthread 1, req.ssl_sni (no UDP in HAProxy)")]
        gh, gh_err = None, ctx.gatehouse_missing
        if not gh_err:
            gh, gh_err = start_gatehouse(ctx.gatehouse, d, p)
        if gh:
            procs.append(gh)
            tg.append(Target("gatehouse", T.GATEHOUSE_ADDRESS, gh.pid, p.gatehouse_l4_tcp,
                             p.gatehouse_l4_tls, p.gatehouse_l4_udp,
                             "Gatehouse --workers 1, TCPRoute, TLSRoute (Passthrough), UDPRoute"))
        else:
            out["gatehouse"] = {"not_supported": gh_err}
        log(f"section L4: warm-up {c.warmup_s}s per target")
        for t in tg:
            wrk(d, f"http://{t.host}:{t.tcp_port}/", HOST, 50, c.warmup_s)
        per = {t.name: [] for t in tg}
        for rnd in range(c.l4_rounds):
            for t in tg:
                f = _round(ctx, t, be.pid, t.udp_port is not None)
                per[t.name].append(f)
                cpu = (f"cpu {f['ka_cpu_us']:.2f}us/req {f['conn_cpu_us']:.2f}us/conn "
                       f"{f['tls_cpu_us']:.1f}us/tls" if t.pid else "")
                log(f"  L4 round {rnd + 1}/{c.l4_rounds} {t.name:10s} ka {f['ka_rps']:7.0f}/s "
                    f"conn {f['conn_cps']:6.0f}/s bulk {f['bulk_mib_s']:6.0f} MiB/s tls p50 "
                    f"{f['tls_p50_us']:.0f}us udp {f.get('udp_pps') or 0:6.0f}/s {cpu} "
                    f"errors {f['errors']} foreign {f['foreign_load_cores']:.2f}")
            direct = per["direct"][-1]["tls_p50_us"]
            for t in tg[1:]:
                per[t.name][-1]["tls_added_p50_us"] = per[t.name][-1]["tls_p50_us"] - direct
        for t in tg:
            rs = per[t.name]
            s = {k: median([r.get(k) for r in rs]) for k in KEYS}
            s["errors"] = sum(r["errors"] for r in rs)
            s["rounds"] = rs
            s["description"] = t.desc
            out[t.name] = s
        log(f"section L4: idle TCP connections ({c.idle_conns} per target)")
        for t in tg:
            m = idle_connection_memory(t.pid or be.pid, t.host, t.tcp_port, HOST, c.idle_conns)
            out[t.name]["idle"] = m
            out[t.name]["idle_conn_bytes"] = m["rss_bytes_per_conn"]
            log(f"  {t.name:10s} {m['rss_bytes_per_conn']:8.0f} B/conn RSS, ok {m['ok']} "
                f"failed {m['failed']} still open {m['still_open']}")
    finally:
        for pr in reversed(procs):
            pr.stop()
    return out
