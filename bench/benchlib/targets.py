"""Start the backend, nginx, HAProxy and Gatehouse as foreground processes with generated configs."""

import json
import os
import string
import subprocess
import time
import urllib.request

from . import manifests
from .common import Proc, http_get, log, port_free, tool, wait_http

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(os.path.dirname(HERE), "templates")

# CPU layout (2 cores): proxy under test on PROXY_CPU; load generator + backend on LOAD_CPU.
LOAD_CPU = 0
PROXY_CPU = 1


class Ports:
    def __init__(self, base):
        self.backend_a = base + 0
        self.backend_b = base + 1
        self.backend_e = base + 2
        self.backend_grpc = base + 3
        self.nginx = base + 10
        self.nginx_tls = base + 11
        self.nginx_grpc = base + 12
        self.haproxy = base + 20
        self.haproxy_tls = base + 21
        self.haproxy_grpc = base + 22
        self.haproxy_tcp = base + 30
        self.gatehouse = base + 40
        self.gatehouse_tls = base + 41
        self.gatehouse_grpc = base + 42
        self.scale = base + 50  # route-scale / propagation listeners (nginx, haproxy, gatehouse)
        self.admin = base + 60
        self.admin_log = base + 61  # section 1's second Gatehouse (access log on)
        self.admin_no_metrics = base + 62  # section 1's third Gatehouse (request metrics off)
        self.admin_rate_limit = base + 63  # section 1's fourth Gatehouse (a rate-limited route)
        self.admin_global_rate_limit = base + 64  # section 1's fifth Gatehouse (a globally limited route)
        self.redis = base + 65  # the fifth Gatehouse's Redis
        # L4 section: its backend, then nginx stream, HAProxy mode tcp, Gatehouse.
        self.l4_backend_http = base + 70
        self.l4_backend_tls = base + 71
        self.l4_backend_udp = base + 72
        self.nginx_l4_tcp = base + 73
        self.nginx_l4_tls = base + 74
        self.nginx_l4_udp = base + 75
        self.haproxy_l4_tcp = base + 76
        self.haproxy_l4_tls = base + 77
        self.gatehouse_l4_tcp = base + 78
        self.gatehouse_l4_tls = base + 79
        self.gatehouse_l4_udp = base + 80

    def all_local(self):
        return [v for k, v in vars(self).items() if k != "scale" and k != "admin"]


def render(template, dest, **kw):
    with open(os.path.join(TEMPLATES, template)) as f:
        text = string.Template(f.read()).substitute(**kw)
    with open(dest, "w") as f:
        f.write(text)
    return dest


def make_cert(d):
    """Self-signed ECDSA P-256 certificate for the HTTPS runs (same cert for every proxy)."""
    crt, key, pem = (os.path.join(d, n) for n in ("tls.crt", "tls.key", "tls.pem"))
    if not os.path.exists(pem):
        subprocess.run([tool("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "30", "-subj", "/CN=proxy.bench.test",
                        "-addext", "subjectAltName=DNS:proxy.bench.test,DNS:*.bench.test"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(pem, "wb") as f:
            f.write(open(crt, "rb").read() + open(key, "rb").read())
    return crt, key, pem


def nginx_proc(name, d, template, conf_file, cpu, **kw):
    """nginx running `template` rendered as d/conf_file; its output in d/<conf_file stem>.out."""
    conf = render(template, os.path.join(d, conf_file), dir=d, **kw)
    return Proc(name, [tool("nginx"), "-p", d, "-c", conf], cpu=cpu, log_path=_out_path(d, conf_file))


def haproxy_proc(name, d, template, cfg_file, cpu, **kw):
    """HAProxy running `template` rendered as d/cfg_file; its output in d/<cfg_file stem>.out."""
    cfg = render(template, os.path.join(d, cfg_file), dir=d, **kw)
    return Proc(name, [tool("haproxy"), "-db", "-f", cfg], cpu=cpu, log_path=_out_path(d, cfg_file))


def _out_path(d, conf_file):
    return os.path.join(d, os.path.splitext(conf_file)[0] + ".out")


def _wait_ready(proc, host, port, hostname=None, timeout=15):
    if wait_http(host, port, "/", hostname, 200, timeout, proc=proc) is None:
        raise RuntimeError(f"{proc.name} did not serve 200 on {host}:{port}:\n{proc.tail()}")


def start_backend(d, ports):
    p = nginx_proc("backend", d, "nginx-backend.conf", "backend.conf", LOAD_CPU,
                   port_a=ports.backend_a, port_b=ports.backend_b, port_e=ports.backend_e)
    for port in (ports.backend_a, ports.backend_b, ports.backend_e):
        _wait_ready(p, "127.0.0.1", port)
    return p


def start_nginx_proxy(d, ports, cpu=PROXY_CPU):
    make_cert(d)
    p = nginx_proc("nginx", d, "nginx-proxy.conf", "nginx-proxy.conf", cpu,
                   port=ports.nginx, tls_port=ports.nginx_tls, backend_port=ports.backend_a)
    _wait_ready(p, "127.0.0.1", ports.nginx)
    return p


def start_haproxy(d, ports, cpu=PROXY_CPU):
    make_cert(d)
    p = haproxy_proc("haproxy", d, "haproxy-http.cfg", "haproxy-http.cfg", cpu,
                     port=ports.haproxy, tls_port=ports.haproxy_tls, backend_port=ports.backend_a)
    _wait_ready(p, "127.0.0.1", ports.haproxy)
    return p


def start_redis(d, ports, cpu=LOAD_CPU):
    """Debian's redis-server for the globally limited Gatehouse: loopback, no persistence, on the
    load core (its CPU is not the proxy's)."""
    p = Proc("redis", [tool("redis-server"), "--port", str(ports.redis), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", d], cpu=cpu, log_path=os.path.join(d, "redis.out"))
    deadline = time.monotonic() + 15
    while port_free("127.0.0.1", ports.redis):
        if time.monotonic() > deadline or not p.alive():
            raise RuntimeError(f"redis-server did not listen on {ports.redis}:\n{p.tail()}")
        time.sleep(0.05)
    return p


def start_haproxy_tcp(d, ports, cpu=PROXY_CPU):
    p = haproxy_proc("haproxy-tcp", d, "haproxy-tcp.cfg", "haproxy-tcp.cfg", cpu,
                     port=ports.haproxy_tcp, backend_port=ports.backend_a)
    _wait_ready(p, "127.0.0.1", ports.haproxy_tcp)
    return p


# ---------------------------------------------------------------- Gatehouse

GATEHOUSE_ADDRESS = "127.0.1.1"      # fixed Gateway address (spec.addresses)
GATEHOUSE_LOG_ADDRESS = "127.0.1.2"  # section 1's second Gatehouse (access log on)
GATEHOUSE_NO_METRICS_ADDRESS = "127.0.1.3"  # section 1's third Gatehouse (request metrics off)
GATEHOUSE_RATE_LIMIT_ADDRESS = "127.0.1.4"  # section 1's fourth Gatehouse (a rate-limited route)
GATEHOUSE_GLOBAL_RATE_LIMIT_ADDRESS = "127.0.1.5"  # section 1's fifth Gatehouse (a globally limited route)
# A limit no benchmark reaches (a token every nanosecond): every request is checked and allowed.
RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW = 1_000_000_000, "1s"
GATEHOUSE_POOL = "127.0.1.0/24"      # --address-pool
PROXY_HOST = "proxy.bench.test"      # Host header every proxy target receives in section 1/2


class Gatehouse:
    """`gatehouse serve DIR --admin-address ... --address-pool ... --controller-name ... --workers N`;
    `source` replaces DIR (["--kubernetes", "--kubeconfig", FILE] for Kubernetes mode)."""

    def __init__(self, binary, config_dir, admin_port, workers=1, cpu=None, log_path=None, source=None,
                 extra_args=()):
        self.binary = binary
        self.dir = config_dir
        self.admin = ("127.0.0.1", admin_port)
        argv = [binary, "serve", *(source or [config_dir]),
                "--admin-address", f"127.0.0.1:{admin_port}",
                "--address-pool", GATEHOUSE_POOL,
                "--controller-name", manifests.CONTROLLER,
                "--workers", str(workers), *extra_args]
        self.proc = Proc("gatehouse", argv, cpu=cpu, log_path=log_path)
        self.pid = self.proc.pid

    def wait_ready(self, timeout=120):
        """Seconds from process start until GET /ready answers 200 (None on timeout/exit)."""
        while time.monotonic() - self.proc.started < timeout:
            if not self.proc.alive():
                return None
            st, _, _ = http_get(*self.admin, "/ready", timeout=1.0)
            if st == 200:
                return time.monotonic() - self.proc.started
            time.sleep(0.01)
        return None

    def status(self):
        try:
            with urllib.request.urlopen(f"http://{self.admin[0]}:{self.admin[1]}/status",
                                        timeout=5) as r:
                body = r.read()
            try:
                return json.loads(body)
            except ValueError:
                return body.decode(errors="replace")
        except OSError as e:
            return f"unavailable: {e}"

    def alive(self):
        return self.proc.alive()

    def stop(self):
        self.proc.stop()


def gatehouse_missing(binary):
    if not binary:
        return "no --gatehouse binary given"
    if not os.path.exists(binary):
        return f"not built: {binary} does not exist"
    if not os.access(binary, os.X_OK):
        return f"not executable: {binary}"
    return None


def start_gatehouse_proxy(binary, d, ports, https=False, cpu=PROXY_CPU, access_log=False, no_metrics=False,
                          rate_limit=None):
    """Section 1/2 target: one Gateway (HTTP listener, plus an HTTPS listener for section 2) with
    one HTTPRoute to a Service whose EndpointSlice points at the nginx backend. Section 1 never
    sees the HTTPS listener, so an unsupported HTTPS listener cannot spoil the HTTP figures.
    access_log: a second instance (own address and admin port) writing the access log to a file
    in `d`; no_metrics: a third with --request-metrics false; rate_limit "local" or "global": a
    fourth (fifth) whose route has a RateLimitPolicy that never limits, the global one asking the
    Redis of start_redis(). Returns (Gatehouse, error)."""
    if access_log:
        name, address, admin = "gatehouse-log", GATEHOUSE_LOG_ADDRESS, ports.admin_log
    elif no_metrics:
        name, address, admin = "gatehouse-nometrics", GATEHOUSE_NO_METRICS_ADDRESS, ports.admin_no_metrics
    elif rate_limit == "local":
        name, address, admin = "gatehouse-ratelimit", GATEHOUSE_RATE_LIMIT_ADDRESS, ports.admin_rate_limit
    elif rate_limit == "global":
        name, address, admin = ("gatehouse-ratelimit-global", GATEHOUSE_GLOBAL_RATE_LIMIT_ADDRESS,
                                ports.admin_global_rate_limit)
    else:
        name = "gatehouse-https" if https else "gatehouse-http"
        address, admin = GATEHOUSE_ADDRESS, ports.admin
    cfg = os.path.join(d, name + "-config")
    os.makedirs(cfg, exist_ok=True)
    cert = key = None
    if https:
        crt, k, _ = make_cert(d)
        cert, key = open(crt, "rb").read(), open(k, "rb").read()
    manifests.write_gateway(cfg, address, ports.gatehouse, ports.gatehouse_tls if https else None, cert, key)
    docs = [manifests.route_doc("proxy", "backend", [PROXY_HOST], "/")]
    docs += manifests.service_docs("backend", 80, "127.0.0.1", ports.backend_a)
    if rate_limit:
        docs.append(manifests.rate_limit_doc("proxy", "proxy", RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW, rate_limit))
    from .common import atomic_write
    atomic_write(os.path.join(cfg, "route-proxy.yaml"), manifests.dump(docs))
    extra = ("--access-log", os.path.join(d, "access.log")) if access_log else ()
    if no_metrics:
        extra = ("--request-metrics", "false")
    if rate_limit == "global":
        extra = ("--rate-limit-redis", f"127.0.0.1:{ports.redis}")
    g = Gatehouse(binary, cfg, admin, workers=1, cpu=cpu,
                  log_path=os.path.join(d, f"{name}.out"), extra_args=extra)
    if g.wait_ready(60) is None:
        tail = g.proc.tail()
        g.stop()
        return None, f"gatehouse did not become ready: {tail[-800:]}"
    if wait_http(address, ports.gatehouse, "/", PROXY_HOST, 200, 15, proc=g.proc) is None:
        tail = g.proc.tail()
        g.stop()
        return None, f"gatehouse ready but the route does not serve 200: {tail[-800:]}"
    return g, None
