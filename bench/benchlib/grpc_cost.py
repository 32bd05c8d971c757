"""Section 2's gRPC runs: unary, server-streaming and client-streaming calls through nginx
(grpc_pass), HAProxy (proto h2) and Gatehouse (GRPCRoute, h2c Service), TLS + ALPN h2 in front
and h2c to one backend; plus memory per idle HTTP/2 connection.

The backend is one nginx worker answering h2c with canned gRPC responses (templates/
nginx-grpc-backend.conf): cheap enough to be a floor, and well-formed enough that a grpcio
client accepts every call (the probe below checks that through each proxy before measuring).
h2load drives the calls; it cannot read grpc-status, so a call counts as an error unless h2load
saw it succeed *and* its whole response payload arrived (a gRPC error answer carries none)."""

import os
import struct
import sys
import time

from . import manifests
from . import targets as T
from .common import log, median, wait_port
from .load import h2load, idle_h2_connection_memory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "grpc.bench.test"
ECHO_SERVICE = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"
STREAM_SERVICE = "gatehouse.bench.Stream"
STREAM_MESSAGES = 100       # messages per streaming call
STREAM_MESSAGE_BYTES = 256  # protobuf bytes per message (a 253-byte bytes field)
GRPC_HEADERS = ("content-type: application/grpc", "te: trailers")


def _frame(message):
    """gRPC length-prefixed message (uncompressed)."""
    return b"\0" + struct.pack("!I", len(message)) + message


def _stream_message():
    pad = STREAM_MESSAGE_BYTES - 3
    return b"\x0a" + bytes([0x80 | (pad & 0x7F), pad >> 7]) + b"x" * pad  # field 1, bytes


class Call:
    """One kind of RPC: its path, the request body h2load posts, the response the backend gives."""

    def __init__(self, key, path, request, response, desc):
        self.key = key
        self.path = path
        self.request = request
        self.response = response
        self.desc = desc
        self.request_file = None


def calls():
    echo_dir = os.path.join(ROOT, "conformance", "echo")
    if echo_dir not in sys.path:
        sys.path.insert(0, echo_dir)
    import grpcecho_pb as pb
    echo = pb.EchoResponse()
    echo.assertions.fully_qualified_method = f"/{ECHO_SERVICE}/Echo"
    unary_req = _frame(pb.EchoRequest().SerializeToString())
    unary_resp = _frame(echo.SerializeToString())
    many = _frame(_stream_message()) * STREAM_MESSAGES
    return [
        Call("unary", f"/{ECHO_SERVICE}/Echo", unary_req, unary_resp,
             "unary: one empty EchoRequest, one EchoResponse "
             f"({len(unary_resp) - 5} bytes)"),
        Call("server_stream", f"/{STREAM_SERVICE}/Server", unary_req, many,
             f"server streaming: one request, {STREAM_MESSAGES} messages of "
             f"{STREAM_MESSAGE_BYTES} bytes back"),
        Call("client_stream", f"/{STREAM_SERVICE}/Client", many, unary_resp,
             f"client streaming: {STREAM_MESSAGES} messages of {STREAM_MESSAGE_BYTES} bytes "
             "sent, read whole by the backend, one message back"),
    ]


def write_payloads(d, cs):
    root = os.path.join(d, "grpc-root")
    for c in cs:
        dest = os.path.join(root, c.path.lstrip("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(c.response)
        c.request_file = os.path.join(d, f"grpc-request-{c.key}.bin")
        with open(c.request_file, "wb") as f:
            f.write(c.request)


def start_backend(d, ports):
    p = T.nginx_proc("grpc-backend", d, "nginx-grpc-backend.conf", "grpc-backend.conf", T.LOAD_CPU,
                     port=ports.backend_grpc)
    wait_port(p, "127.0.0.1", ports.backend_grpc)
    return p


def start_nginx(d, ports):
    T.make_cert(d)
    p = T.nginx_proc("nginx-grpc", d, "nginx-grpc.conf", "nginx-grpc.conf", T.PROXY_CPU,
                     tls_port=ports.nginx_grpc, backend_port=ports.backend_grpc)
    wait_port(p, "127.0.0.1", ports.nginx_grpc)
    return p


def start_haproxy(d, ports):
    T.make_cert(d)
    p = T.haproxy_proc("haproxy-grpc", d, "haproxy-grpc.cfg", "haproxy-grpc.cfg", T.PROXY_CPU,
                       tls_port=ports.haproxy_grpc, backend_port=ports.backend_grpc)
    wait_port(p, "127.0.0.1", ports.haproxy_grpc)
    return p


def start_gatehouse(binary, d, ports):
    """One Gateway with an HTTPS listener, one GRPCRoute (every method) to a Service whose port
    has appProtocol kubernetes.io/h2c. Returns (Gatehouse, error)."""
    cfg = os.path.join(d, "gatehouse-grpc-config")
    crt, key, _ = T.make_cert(d)
    manifests.write_gateway(cfg, T.GATEHOUSE_ADDRESS, None, ports.gatehouse_grpc,
                            open(crt, "rb").read(), open(key, "rb").read())
    docs = [manifests.grpc_route_doc("grpc", "grpc-backend", [HOST])]
    docs += manifests.service_docs("grpc-backend", 80, "127.0.0.1", ports.backend_grpc,
                                   app_protocol="kubernetes.io/h2c")
    from .common import atomic_write
    atomic_write(os.path.join(cfg, "route-grpc.yaml"), manifests.dump(docs))
    g = T.Gatehouse(binary, cfg, ports.admin, workers=1, cpu=T.PROXY_CPU,
                    log_path=os.path.join(d, "gatehouse-grpc.out"))
    if g.wait_ready(60) is None:
        tail = g.proc.tail()
        g.stop()
        return None, f"gatehouse did not become ready: {tail[-800:]}"
    return g, None


def probe(host, port, crt, cs, timeout=15):
    """None when every call answers OK with the expected messages through a grpcio client over
    TLS (retried until `timeout`: a freshly started proxy may not route yet), else why not."""
    import grpc
    creds = grpc.ssl_channel_credentials(root_certificates=open(crt, "rb").read())
    why = "no attempt"
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        with grpc.secure_channel(f"{host}:{port}", creds,
                                 options=[("grpc.ssl_target_name_override", HOST),
                                          ("grpc.default_authority", HOST)]) as ch:
            try:
                why = _probe_calls(ch, cs)
            except grpc.RpcError as e:
                why = f"{e.code().name}: {e.details()}"
        if why is None:
            return None
        time.sleep(0.2)
    return why


def _probe_calls(ch, cs):
    by = {c.key: c for c in cs}
    msg = lambda framed: framed[5:5 + struct.unpack("!I", framed[1:5])[0]]  # noqa: E731
    u = by["unary"]
    got = ch.unary_unary(u.path)(msg(u.request), timeout=5)
    if got != msg(u.response):
        return f"unary answered {got[:60]!r}"
    s = by["server_stream"]
    n = sum(1 for m in ch.unary_stream(s.path)(msg(s.request), timeout=5)
            if len(m) == STREAM_MESSAGE_BYTES)
    if n != STREAM_MESSAGES:
        return f"server stream gave {n} of {STREAM_MESSAGES} messages"
    c = by["client_stream"]
    got = ch.stream_unary(c.path)(iter([_stream_message()] * STREAM_MESSAGES), timeout=5)
    if got != msg(c.response):
        return f"client stream answered {got[:60]!r}"
    return None


class Target:
    def __init__(self, name, host, port, pid, tls, desc):
        self.name, self.host, self.port, self.pid, self.tls, self.desc = (
            name, host, port, pid, tls, desc)

    def url(self, path):
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}{path}"


def _figures(r, call, pid, backend_pid):
    reqs = max(r["requests"], 1)
    received = r["data_bytes"] or 0
    incomplete = max(0, r["succeeded"] - received // len(call.response))
    f = {"rps": r["rps"], "p50_us": r["p50_us"], "p99_us": r["p99_us"],
         "requests": r["requests"], "errors": r["failed"] + (r["non2xx"] or 0) + incomplete,
         "backend_cpu_us_per_req": r["cpu_s"][backend_pid] * 1e6 / reqs,
         "foreign_load_cores": r["foreign_load_cores"]}
    if pid != backend_pid:
        f["proxy_cpu_us_per_req"] = r["cpu_s"][pid] * 1e6 / reqs
    return f


def run(ctx):
    c, p, d = ctx.cfg, ctx.ports, ctx.tmp
    cs = calls()
    write_payloads(d, cs)
    crt, _, _ = T.make_cert(d)
    procs = []
    out = {"calls": {k.key: k.desc for k in cs}, "connections": 50,
           "streams_per_connection": c.h2_streams}
    try:
        be = start_backend(d, p)
        procs.append(be)
        ng = start_nginx(d, p)
        procs.append(ng)
        ha = start_haproxy(d, p)
        procs.append(ha)
        tg = [Target("direct", "127.0.0.1", p.backend_grpc, be.pid, False,
                     "h2load straight to the backend over h2c (the floor)"),
              Target("nginx", "127.0.0.1", p.nginx_grpc, ng.pid, True,
                     "nginx worker_processes 1, grpc_pass, upstream keepalive"),
              Target("haproxy", "127.0.0.1", p.haproxy_grpc, ha.pid, True,
                     "HAProxy nbthread 1, server proto h2, http-reuse always")]
        unsupported = {}
        gh, gh_err = None, ctx.gatehouse_missing
        if not gh_err:
            gh, gh_err = start_gatehouse(ctx.gatehouse, d, p)
        if gh:
            procs.append(gh)
            tg.append(Target("gatehouse", T.GATEHOUSE_ADDRESS, p.gatehouse_grpc, gh.pid, True,
                             "Gatehouse --workers 1, one GRPCRoute, h2c Service"))
        else:
            unsupported["gatehouse"] = gh_err
        measured = []
        for t in tg:
            why = probe(t.host, t.port, crt, cs) if t.tls else None
            if why:
                unsupported[t.name] = f"not yet supported (grpcio probe: {why})"
            else:
                measured.append(t)
        for key in [k.key for k in cs] + ["idle_h2"]:
            out[key] = {n: {"not_supported": w} for n, w in unsupported.items()}
        # Before any load: memory the load runs freed would hide what idle connections take.
        unary = cs[0]
        log(f"section 2 gRPC: idle HTTP/2 connections ({c.tls_idle_conns} per proxy, fresh "
            "processes)")
        for t in measured:
            if not t.tls:
                continue
            m = idle_h2_connection_memory(t.pid, t.host, t.port, HOST, unary.path,
                                          unary.request, c.tls_idle_conns)
            m["idle_conn_bytes"] = m["rss_bytes_per_conn"]
            out["idle_h2"][t.name] = m
            log(f"  idle h2 {t.name:10s} {m['rss_bytes_per_conn']:8.0f} B/conn RSS "
                f"({m['pss_bytes_per_conn']:.0f} PSS), ok {m['ok']} failed {m['failed']} "
                f"still open {m['still_open']}")
        for call in cs:
            log(f"section 2 gRPC {call.key}: h2load -c50 -m{c.h2_streams}; targets "
                f"{[t.name for t in measured]}")
            args = dict(data_file=call.request_file, extra_headers=GRPC_HEADERS, warmup_s=0)
            for t in measured:
                h2load(d, t.url(call.path), HOST, 50, c.h2_streams, c.warmup_s, **args)
            per = {t.name: [] for t in measured}
            for rnd in range(c.tls_rounds):
                for t in measured:
                    r = h2load(d, t.url(call.path), HOST, 50, c.h2_streams, c.run_s,
                               measure_pids=list({t.pid, be.pid}), **args)
                    f = _figures(r, call, t.pid, be.pid)
                    per[t.name].append(f)
                    log(f"  {call.key} round {rnd + 1} {t.name:10s} {f['rps']:9.0f} RPC/s "
                        f"p50 {f['p50_us']}us p99 {f['p99_us']}us cpu "
                        f"{f.get('proxy_cpu_us_per_req', f['backend_cpu_us_per_req']):.2f}"
                        f"us/RPC errors {f['errors']} foreign {f['foreign_load_cores']:.2f}")
            for t in measured:
                rs = per[t.name]
                s = {k: median([r.get(k) for r in rs])
                     for k in ("rps", "p50_us", "p99_us", "proxy_cpu_us_per_req",
                               "backend_cpu_us_per_req", "foreign_load_cores")}
                s["errors"] = sum(r["errors"] for r in rs)
                s["rounds"] = rs
                s["description"] = t.desc
                out[call.key][t.name] = s
    finally:
        for pr in reversed(procs):
            pr.stop()
    return out
