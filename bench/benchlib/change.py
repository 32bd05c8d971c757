"""Section 5: change under load. While wrk runs at full speed (50 connections), flip one route
between two backends every 200 ms; every response must be 200 and no connection may drop.

  gatehouse: rewrite the HTTPRoute's backendRef (svc-a <-> svc-b), atomically
  nginx:     rewrite the upstream and reload (SIGHUP) - nginx's only way to change a backend
  haproxy:   runtime API `set server be/s addr ... port ...` (no reload needed)
wrk's Lua counts every non-200 and which backend (X-Backend: a|b) answered, so the flips are seen
to take effect; socket errors (connect/read/write/timeout) are the dropped connections."""

import os
import signal
import socket
import threading
import time

from . import manifests
from . import targets as T
from .common import Proc, atomic_write, log, tool, wait_http
from .load import wrk

HOST = "flip.bench.test"


class _Base:
    def __init__(self, ctx, port, work):
        self.ctx = ctx
        self.port = port
        self.dir = work
        os.makedirs(work, exist_ok=True)
        self.proc = None
        self.addr = "127.0.0.1"

    def stop(self):
        if self.proc:
            self.proc.stop()


class NginxFlip(_Base):
    name = "nginx"
    how = "rewrite upstream + reload (SIGHUP)"

    def start(self):
        p = self.ctx.ports
        self.up = os.path.join(self.dir, "upstream.conf")
        self.flip(0)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
user root;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log error;
events {{ worker_connections 8000; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy-temp;
    include {self.up};
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        location / {{ proxy_pass http://flip; proxy_http_version 1.1;
                     proxy_set_header Connection ""; }}
    }}
}}
""")
        self.proc = Proc("nginx-flip", [tool("nginx"), "-p", self.dir, "-c", conf],
                         cpu=T.PROXY_CPU, log_path=os.path.join(self.dir, "out.log"))
        return wait_http(self.addr, self.port, "/", HOST, 200, 15, proc=self.proc) is not None

    def flip(self, k):
        port = self.ctx.ports.backend_a if k % 2 == 0 else self.ctx.ports.backend_b
        atomic_write(self.up, f"upstream flip {{ server 127.0.0.1:{port}; keepalive 1024; }}\n")
        if self.proc:
            os.kill(self.proc.pid, signal.SIGHUP)


class HaproxyFlip(_Base):
    name = "haproxy"
    how = "runtime API: set server addr/port"

    def start(self):
        p = self.ctx.ports
        self.sock = os.path.join(self.dir, "admin.sock")
        cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(f"""global
    nbthread 1
    maxconn 8000
    stats socket {self.sock} mode 600 level admin

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s

frontend fe
    bind 127.0.0.1:{self.port} backlog 4096
    default_backend be

backend be
    server s 127.0.0.1:{p.backend_a}
""")
        self.proc = Proc("haproxy-flip", [tool("haproxy"), "-db", "-f", cfg], cpu=T.PROXY_CPU,
                         log_path=os.path.join(self.dir, "out.log"))
        return wait_http(self.addr, self.port, "/", HOST, 200, 15, proc=self.proc) is not None

    def flip(self, k):
        port = self.ctx.ports.backend_a if k % 2 == 0 else self.ctx.ports.backend_b
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.sock)
            s.sendall(f"set server be/s addr 127.0.0.1 port {port}\n".encode())
            s.recv(4096)


class GatehouseFlip(_Base):
    name = "gatehouse"
    how = "rewrite the HTTPRoute backendRef (temp + rename)"

    def start(self):
        p = self.ctx.ports
        self.addr = T.GATEHOUSE_ADDRESS
        self.cfg = os.path.join(self.dir, "config")
        os.makedirs(self.cfg, exist_ok=True)
        manifests.write_gateway(self.cfg, self.addr, self.port)
        docs = manifests.service_docs("svc-a", 80, "127.0.0.1", p.backend_a)
        docs += manifests.service_docs("svc-b", 80, "127.0.0.1", p.backend_b)
        atomic_write(os.path.join(self.cfg, "services.yaml"), manifests.dump(docs))
        self.flip(0)
        self.gh = T.Gatehouse(self.ctx.gatehouse, self.cfg, p.admin, workers=1, cpu=T.PROXY_CPU,
                              log_path=os.path.join(self.dir, "out.log"))
        self.proc = self.gh.proc
        if self.gh.wait_ready(60) is None:
            return False
        return wait_http(self.addr, self.port, "/", HOST, 200, 15, proc=self.proc) is not None

    def flip(self, k):
        svc = "svc-a" if k % 2 == 0 else "svc-b"
        atomic_write(os.path.join(self.cfg, "route-flip.yaml"),
                     manifests.dump([manifests.route_doc("flip", svc, [HOST], "/")]))


KINDS = {"nginx": NginxFlip, "haproxy": HaproxyFlip, "gatehouse": GatehouseFlip}


def run_one(ctx, kind):
    c = ctx.cfg
    port = ctx.ports.scale + 5 + {"nginx": 0, "haproxy": 1, "gatehouse": 2}[kind]
    t = KINDS[kind](ctx, port, os.path.join(ctx.tmp, f"change-{kind}"))
    out = {"method": t.how, "seconds": c.change_s, "flip_every_ms": c.change_every_s * 1e3}
    try:
        if not t.start():
            out["error"] = f"{kind} did not serve: " + (t.proc.tail()[-500:] if t.proc else "")
            return out
        stop = threading.Event()
        flips = [0]
        flip_errors = []

        def flipper():
            time.sleep(0.5)
            k = 1
            nxt = time.monotonic()
            while not stop.is_set():
                try:
                    t.flip(k)
                    flips[0] += 1
                except OSError as e:
                    flip_errors.append(str(e))
                k += 1
                nxt += c.change_every_s
                stop.wait(max(0.0, nxt - time.monotonic()))

        th = threading.Thread(target=flipper, daemon=True)
        th.start()
        try:
            r = wrk(ctx.tmp, f"http://{t.addr}:{port}/", HOST, 50, c.change_s, count_status=True,
                    measure_pids=[t.proc.pid])
        finally:
            stop.set()
            th.join(10)
        out.update({"requests": r["requests"], "rps": r["rps"], "non200": r["non200"],
                    "dropped_connections": r["socket_errors"],
                    "socket_errors": {k: r[f"err_{k}"] for k in
                                      ("connect", "read", "write", "timeout")},
                    "served_by_a": r["seen_a"], "served_by_b": r["seen_b"],
                    "flips": flips[0], "flip_errors": flip_errors[:5],
                    "p99_us": r["p99_us"], "max_us": r["max_us"]})
        out["pass"] = (r["non200"] == 0 and r["socket_errors"] == 0 and r["seen_a"] > 0
                       and r["seen_b"] > 0)
    finally:
        t.stop()
    return out


def run(ctx):
    kinds = ["nginx", "haproxy"] + ([] if ctx.gatehouse_missing else ["gatehouse"])
    out = {"targets": {}}
    if ctx.gatehouse_missing:
        out["targets"]["gatehouse"] = {"not_supported": ctx.gatehouse_missing}
    for kind in kinds:
        log(f"section 5: {kind}: flip a route every {ctx.cfg.change_every_s * 1e3:.0f} ms for "
            f"{ctx.cfg.change_s}s under wrk -c50")
        try:
            r = run_one(ctx, kind)
        except Exception as e:
            r = {"error": f"{type(e).__name__}: {e}"}
        out["targets"][kind] = r
        log(f"  {kind:9s} requests {r.get('requests')} non200 {r.get('non200')} dropped "
            f"{r.get('dropped_connections')} a/b {r.get('served_by_a')}/{r.get('served_by_b')} "
            f"flips {r.get('flips')} pass {r.get('pass')} {r.get('error', '')}")
    return out
