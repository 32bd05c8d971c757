#!/usr/bin/python3
"""CPU and system calls of the gRPC backend per unary call through each proxy: the setup of
bench/run.py --only grpc (benchlib/grpc_cost.py: one nginx worker answering h2c; Gatehouse
GRPCRoute to an h2c Service, HAProxy proto h2, nginx grpc_pass; TLS with ALPN h2 in front), h2load
-c50 -m10 with unary calls. Per proxy: a 2,000-call warm-up, one run under `strace -c -f` on the
backend's worker (system call counts), then one run without (backend and proxy utime+stime / calls).

    /usr/bin/python3 bench/dataplane/grpc_backend_cost.py build/gatehouse [CALLS] [--only gatehouse,haproxy,nginx]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import grpc_cost, targets  # noqa: E402
from benchlib.common import raise_nofile  # noqa: E402


def worker_pid(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else master


def cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gatehouse")
    ap.add_argument("calls", nargs="?", type=int, default=20000)
    ap.add_argument("--only", default="gatehouse,haproxy,nginx")
    ap.add_argument("--base-port", type=int, default=18600)
    args = ap.parse_args()
    only = args.only.split(",")
    raise_nofile()
    ports = targets.Ports(args.base_port)
    with tempfile.TemporaryDirectory(prefix="grpc-backend-cost-") as d:
        calls = grpc_cost.calls()
        grpc_cost.write_payloads(d, calls)
        unary = calls[0]
        backend = grpc_cost.start_backend(d, ports)
        procs = [backend]
        try:
            time.sleep(0.5)
            backend_pid = worker_pid(backend.pid)
            proxies = []
            if "gatehouse" in only:
                g, err = grpc_cost.start_gatehouse(os.path.abspath(args.gatehouse), d, ports)
                if g is None:
                    sys.exit(err)
                procs.append(g)
                proxies.append(("gatehouse", targets.GATEHOUSE_ADDRESS, ports.gatehouse_grpc, g.pid))
            if "haproxy" in only:
                p = grpc_cost.start_haproxy(d, ports)
                procs.append(p)
                proxies.append(("haproxy", "127.0.0.1", ports.haproxy_grpc, p.pid))
            if "nginx" in only:
                p = grpc_cost.start_nginx(d, ports)
                procs.append(p)
                proxies.append(("nginx", "127.0.0.1", ports.nginx_grpc, worker_pid(p.pid)))
            for name, host, port, pid in proxies:
                load = ["h2load", "-t", "1", "-c", "50", "-m", "10", "-d", unary.request_file,
                        "-H", f":authority: {grpc_cost.HOST}", "-H", "content-type: application/grpc",
                        "-H", "te: trailers", f"https://{host}:{port}{unary.path}"]
                subprocess.run(load + ["-n", "2000"], capture_output=True, check=True)
                trace = os.path.join(d, f"strace-{name}.txt")
                strace = subprocess.Popen(["strace", "-c", "-f", "-p", str(backend_pid), "-o", trace],
                                          stderr=subprocess.DEVNULL)
                time.sleep(0.5)
                subprocess.run(load + ["-n", str(args.calls)], capture_output=True, check=True)
                strace.terminate()
                strace.wait()
                print(f"== {name}: backend system calls over {args.calls} calls")
                print(open(trace).read())
                b0, p0 = cpu_s(backend_pid), cpu_s(pid)
                r = subprocess.run(load + ["-n", str(args.calls)], capture_output=True, text=True, check=True)
                b1, p1 = cpu_s(backend_pid), cpu_s(pid)
                done = re.search(r"(\d+) succeeded", r.stdout)
                print(f"{name:10s} succeeded={done.group(1) if done else '?'} "
                      f"backend_cpu_us_per_call={(b1 - b0) * 1e6 / args.calls:.1f} "
                      f"proxy_cpu_us_per_call={(p1 - p0) * 1e6 / args.calls:.1f}", flush=True)
        finally:
            for p in reversed(procs):
                p.stop()


if __name__ == "__main__":
    main()
