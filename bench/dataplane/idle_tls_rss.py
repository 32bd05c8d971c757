#!/usr/bin/python3
"""RSS per idle keep-alive TLS connection: Gatehouse next to nginx and HAProxy, same certificate
(ECDSA P-256), same client (bench/benchlib idle_connection_memory: N connections, TLS 1.3, no
ALPN, one HTTP/1.1 request each, then idle; RSS delta of the proxy's process tree / N).

    /usr/bin/python3 bench/dataplane/idle_tls_rss.py build/gatehouse [N] [--only gatehouse,nginx,haproxy]

Each proxy runs with one worker and gets a 5-connection warm-up first (lazy initialisation; a
larger warm-up would leave freed heap behind that the measured connections reuse)."""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import targets  # noqa: E402
from benchlib.common import raise_nofile  # noqa: E402
from benchlib.load import idle_connection_memory  # noqa: E402


def measure(name, pid, host, port, n):
    idle_connection_memory(pid, host, port, targets.PROXY_HOST, 5, tls=True, settle_s=0.5)
    m = idle_connection_memory(pid, host, port, targets.PROXY_HOST, n, tls=True)
    print(f"{name:10s} connections={m['connections']} ok={m['ok']} still_open={m['still_open']} "
          f"rss_before_kb={m['before_kb']['rss_kb']} rss_after_kb={m['after_kb']['rss_kb']} "
          f"rss_bytes_per_conn={m['rss_bytes_per_conn']:.0f} pss_bytes_per_conn={m['pss_bytes_per_conn']:.0f}",
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("n", nargs="?", type=int, default=3000)
    ap.add_argument("--only", default="gatehouse,nginx,haproxy")
    ap.add_argument("--base-port", type=int, default=18400)
    args = ap.parse_args()
    only = set(args.only.split(","))
    raise_nofile()
    ports = targets.Ports(args.base_port)
    with tempfile.TemporaryDirectory(prefix="idle-tls-") as d:
        backend = targets.start_backend(d, ports)
        try:
            if "gatehouse" in only:
                g, err = targets.start_gatehouse_proxy(os.path.abspath(args.gatehouse), d, ports, https=True, cpu=None)
                if g is None:
                    sys.exit(err)
                try:
                    measure("gatehouse", g.pid, targets.GATEHOUSE_ADDRESS, ports.gatehouse_tls, args.n)
                finally:
                    g.stop()
            if "nginx" in only:
                p = targets.start_nginx_proxy(d, ports, cpu=None)
                try:
                    measure("nginx", p.pid, "127.0.0.1", ports.nginx_tls, args.n)
                finally:
                    p.stop()
            if "haproxy" in only:
                p = targets.start_haproxy(d, ports, cpu=None)
                try:
                    measure("haproxy", p.pid, "127.0.0.1", ports.haproxy_tls, args.n)
                finally:
                    p.stop()
        finally:
            backend.stop()


if __name__ == "__main__":
    main()
