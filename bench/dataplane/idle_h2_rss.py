#!/usr/bin/python3
"""RSS per idle HTTP/2 connection over TLS (ALPN h2): Gatehouse next to nginx and HAProxy, the gRPC
setup of bench/run.py --only grpc (benchlib/grpc_cost.py: nginx h2c backend, GRPCRoute / grpc_pass /
proto h2), the same client (benchlib idle_h2_connection_memory: N connections, one unary gRPC call
each, then idle; RSS delta of the proxy's process tree / N).

    /usr/bin/python3 bench/dataplane/idle_h2_rss.py build/gatehouse [N] [--only gatehouse,nginx,haproxy]

Each proxy runs with one worker and gets a 5-connection warm-up first (lazy initialisation)."""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import grpc_cost, targets  # noqa: E402
from benchlib.common import raise_nofile  # noqa: E402
from benchlib.load import idle_h2_connection_memory  # noqa: E402


def measure(name, pid, host, port, unary, n):
    idle_h2_connection_memory(pid, host, port, grpc_cost.HOST, unary.path, unary.request, 5, settle_s=0.5)
    m = idle_h2_connection_memory(pid, host, port, grpc_cost.HOST, unary.path, unary.request, n)
    print(f"{name:10s} connections={m['connections']} ok={m['ok']} still_open={m['still_open']} "
          f"rss_before_kb={m['before_kb']['rss_kb']} rss_after_kb={m['after_kb']['rss_kb']} "
          f"rss_bytes_per_conn={m['rss_bytes_per_conn']:.0f} pss_bytes_per_conn={m['pss_bytes_per_conn']:.0f}",
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("n", nargs="?", type=int, default=2000)
    ap.add_argument("--only", default="gatehouse,nginx,haproxy")
    ap.add_argument("--base-port", type=int, default=18500)
    args = ap.parse_args()
    only = set(args.only.split(","))
    raise_nofile()
    ports = targets.Ports(args.base_port)
    with tempfile.TemporaryDirectory(prefix="idle-h2-") as d:
        calls = grpc_cost.calls()
        grpc_cost.write_payloads(d, calls)
        unary = calls[0]
        backend = grpc_cost.start_backend(d, ports)
        try:
            if "gatehouse" in only:
                g, err = grpc_cost.start_gatehouse(os.path.abspath(args.gatehouse), d, ports)
                if g is None:
                    sys.exit(err)
                try:
                    why = grpc_cost.probe(targets.GATEHOUSE_ADDRESS, ports.gatehouse_grpc,
                                          targets.make_cert(d)[0], calls)
                    if why:
                        sys.exit(f"gatehouse does not serve the calls: {why}")
                    measure("gatehouse", g.pid, targets.GATEHOUSE_ADDRESS, ports.gatehouse_grpc, unary, args.n)
                finally:
                    g.stop()
            for name, start, port in (("nginx", grpc_cost.start_nginx, ports.nginx_grpc),
                                      ("haproxy", grpc_cost.start_haproxy, ports.haproxy_grpc)):
                if name not in only:
                    continue
                p = start(d, ports)
                try:
                    measure(name, p.pid, "127.0.0.1", port, unary, args.n)
                finally:
                    p.stop()
        finally:
            backend.stop()


if __name__ == "__main__":
    main()
