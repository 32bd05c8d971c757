"""nginx and HAProxy equivalents of N HTTPRoutes (sections 3-5), and a Gatehouse config directory,
behind one small "route set" interface so the three are driven identically.

Each route i: hostname r<i>.bench.test, path prefix /p<i>/, a request header modifier
(X-Bench-Route: r<i>) and its own backend (nginx: its own upstream; HAProxy: its own backend
section; Gatehouse: its own Service + EndpointSlice). Anything else answers 404.

nginx and HAProxy have no way to take a new route without a reload, so theirs is the honest
equivalent of a config change: rewrite the file(s) and reload (nginx: SIGHUP to the master;
HAProxy: master-worker mode, SIGUSR2 to the master)."""

import os
import shutil
import signal
import socket
import threading
import time

from . import manifests
from . import targets as T
from .common import Proc, atomic_write, http_get, tool, wait_http

SCALE_ADDR = "127.0.0.1"


def host(i):
    return manifests.scale_host(i)


def path(i):
    return manifests.scale_path(i)


def check_route(addr, port, i, timeout=1.0, echo=True):
    """(ok, status): route i answers 200 and (echo) the backend saw the header modifier."""
    st, hd, _ = http_get(addr, port, path(i) + "x", host(i), timeout=timeout)
    seen = hd.get("x-echo-route", "")
    return st == 200 and (not echo or seen.startswith(f"r{i}")), st


class RouteSet:
    name = "?"
    addr = SCALE_ADDR

    def __init__(self, ctx, port, backend_port, workdir):
        self.ctx = ctx
        self.port = port
        self.backend_port = backend_port
        self.dir = workdir
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir)
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        if self.proc:
            self.proc.stop()

    # write_route(i, gen, port) writes one route's config; reload() makes the proxy take it.
    def add(self, i, gen=0, port=None):
        self.write_route(i, gen, port)
        self.reload()

    def ready_time(self):
        return None


class NginxRoutes(RouteSet):
    name = "nginx"

    def __init__(self, ctx, port, backend_port, workdir):
        super().__init__(ctx, port, backend_port, workdir)
        self.routes = os.path.join(workdir, "routes")
        os.makedirs(self.routes)
        self.conf = os.path.join(workdir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"""worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
user root;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log error;
events {{ worker_connections 8000; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    server_names_hash_max_size 262144;
    server_names_hash_bucket_size 64;
    variables_hash_max_size 4096;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy-temp;
    server {{ listen {self.addr}:{port} default_server backlog=4096; return 404; }}
    include {self.routes}/*.conf;
}}
""")

    def write_route(self, i, gen=0, port=None):
        val = f"r{i}" if gen == 0 else f"r{i}-g{gen}"
        atomic_write(os.path.join(self.routes, f"r{i}.conf"), f"""upstream u_r{i} {{ server 127.0.0.1:{port or self.backend_port}; keepalive 4; }}
server {{
    listen {self.addr}:{self.port};
    server_name {host(i)};
    location {path(i)} {{
        proxy_pass http://u_r{i};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Bench-Route {val};
    }}
}}
""")

    def start(self, cpu=T.PROXY_CPU):
        self.proc = Proc("nginx-routes", [tool("nginx"), "-p", self.dir, "-c", self.conf], cpu=cpu,
                         log_path=os.path.join(self.dir, "out.log"))

    def reload(self):
        os.kill(self.proc.pid, signal.SIGHUP)


class HaproxyRoutes(RouteSet):
    name = "haproxy"

    def __init__(self, ctx, port, backend_port, workdir):
        super().__init__(ctx, port, backend_port, workdir)
        # One config file, rewritten whole on every change (a directory of 10k+ files makes the
        # master's re-exec fail with E2BIG), plus a host -> backend map file.
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        self.map = os.path.join(workdir, "hosts.map")
        self.hosts = {}
        self.sections = {}
        self.dirty = False
        self.lock = threading.RLock()   # the churn thread and the adding thread share the file
        self.sock = os.path.join(workdir, "admin.sock")
        self.head = f"""global
    nbthread 1
    maxconn 8000
    stats socket {self.sock} mode 600 level admin
    hard-stop-after 30s

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-keep-alive 300s

frontend fe
    bind {self.addr}:{port} backlog 4096
    use_backend %[req.hdr(host),lower,map({self.map},be_404)]

backend be_404
    http-request return status 404
"""
        open(self.map, "w").close()
        self.flush()

    def flush(self):
        with self.lock:
            atomic_write(self.cfg, self.head + "".join(self.sections.values()))
            self.dirty = False

    def write_route(self, i, gen=0, port=None):
        with self.lock:
            self._write_route(i, gen, port)

    def _write_route(self, i, gen=0, port=None):
        val = f"r{i}" if gen == 0 else f"r{i}-g{gen}"
        self.dirty = True
        self.sections[i] = (f"""
backend be_r{i}
    http-request return status 404 unless {{ path_beg {path(i)} }}
    http-request set-header X-Bench-Route {val}
    server s 127.0.0.1:{port or self.backend_port}
""")
        if i not in self.hosts:
            self.hosts[i] = f"{host(i)} be_r{i}\n"
            with open(self.map, "a") as f:      # append: readers only see it at (re)load
                f.write(self.hosts[i])

    def start(self, cpu=T.PROXY_CPU):
        if self.dirty:
            self.flush()
        self.master_sock = os.path.join(self.dir, "master.sock")
        self.proc = Proc("haproxy-routes", [tool("haproxy"), "-W", "-db", "-S", self.master_sock,
                                            "-f", self.cfg],
                         cpu=cpu, log_path=os.path.join(self.dir, "out.log"))
        # A reload signal that arrives while the master re-execs itself at start-up is lost:
        # wait until the master CLI answers before anyone reloads.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.proc.alive():
            if "worker" in (self._master_cmd("show proc") or ""):
                break
            time.sleep(0.02)

    def _master_cmd(self, cmd):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(self.master_sock)
                s.sendall(cmd.encode() + b"\n")
                s.shutdown(socket.SHUT_WR)   # else the master CLI keeps the connection open
                data = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
                return data.decode(errors="replace")
        except OSError:
            return None

    def reload(self):
        """Reload through the master CLI; the master re-execs itself, so retry until it takes the
        command and wait until it answers again (otherwise the next reload would be lost)."""
        if self.dirty:
            self.flush()
        deadline = time.monotonic() + 30
        while self._master_cmd("reload") is None and time.monotonic() < deadline:
            time.sleep(0.005)
        while time.monotonic() < deadline and "worker" not in (self._master_cmd("show proc") or ""):
            time.sleep(0.005)


class GatehouseRoutes(RouteSet):
    name = "gatehouse"
    addr = T.GATEHOUSE_ADDRESS

    def __init__(self, ctx, port, backend_port, workdir):
        super().__init__(ctx, port, backend_port, workdir)
        self.cfgdir = os.path.join(workdir, "config")
        os.makedirs(self.cfgdir)
        manifests.write_gateway(self.cfgdir, self.addr, port)
        self.gh = None

    def write_route(self, i, gen=0, port=None):
        atomic_write(os.path.join(self.cfgdir, f"route-r{i}.yaml"),
                     manifests.scale_route_text(i, port or self.backend_port, gen))

    def start(self, cpu=T.PROXY_CPU):
        self.gh = T.Gatehouse(self.ctx.gatehouse, self.cfgdir, self.ctx.ports.admin, workers=1,
                              cpu=cpu, log_path=os.path.join(self.dir, "out.log"))
        self.proc = self.gh.proc

    def ready_time(self, timeout=600):
        return self.gh.wait_ready(timeout)

    def reload(self):
        pass  # Gatehouse watches its directory


def port_for(ctx, kind):
    """Each kind has its own listener port so a straggler can never answer for the next one."""
    return ctx.ports.scale + {"nginx": 0, "haproxy": 1, "gatehouse": 2, "gatehouse-kube": 3,
                              "gatehouse-kube-provisioned": 4}[kind]


KINDS = {"nginx": NginxRoutes, "haproxy": HaproxyRoutes, "gatehouse": GatehouseRoutes}


def route_set(kind):
    """The RouteSet class of `kind`; "gatehouse-kube" and "gatehouse-kube-provisioned" (through the
    fake API server) are imported only when asked for, since they need the repository's tests/fakekube."""
    if kind == "gatehouse-kube":
        from .kube_routes import GatehouseKubeRoutes
        return GatehouseKubeRoutes
    if kind == "gatehouse-kube-provisioned":
        from .kube_routes import GatehouseProvisionedRoutes
        return GatehouseProvisionedRoutes
    return KINDS[kind]


def wait_routes_serving(rs, indices, timeout, echo=True):
    """Seconds from rs.proc start until every route in indices serves 200 with its header."""
    pending = list(indices)
    deadline = rs.proc.started + timeout
    while pending and time.monotonic() < deadline:
        if not rs.alive():
            return None
        ok, _ = check_route(rs.addr, rs.port, pending[0], echo=echo)
        if ok:
            pending.pop(0)
        else:
            time.sleep(0.01)
    return None if pending else time.monotonic() - rs.proc.started


def wait_404(rs, timeout=30):
    return wait_http(rs.addr, rs.port, "/", "unknown.bench.test", 404, timeout, proc=rs.proc)
