#!/bin/bash
# Gatehouse vs nginx vs HAProxy on the same machine in the same run, alternating.
# usage: compare.sh GATEHOUSE_PROXY_BINARY [ROUNDS] [SECONDS]
# BASELINE=other_dataplane_proxy adds a second Gatehouse build (A/B) to every round.
# PROXY_CPU / CLIENT_CPU: cores (default 0 / 1); both 0 puts everything on one core.
# Each proxy runs on core 0 with one worker/thread; wrk (-t1) and the one-worker nginx backend
# run on core 1. Per round and proxy: proxy CPU µs per request (utime+stime from /proc/PID/stat
# over a wrk -c50 keep-alive run), then p50 latency at one connection (wrk -c1 --latency) minus
# the backend's own p50 at one connection, measured in the same round.
set -euo pipefail
bin=$(readlink -f "$1"); rounds=${2:-3}; secs=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/ghbench.XXXX)
pcpu=${PROXY_CPU:-0}; ccpu=${CLIENT_CPU:-1}
base=${BENCH_BASE_PORT:-29000}
be=$base; gh=$((base + 1)); ng=$((base + 2)); hp=$((base + 3)); gb=$((base + 4))
sub() { sed -e "s#/tmp/bench#$dir#g" -e "s/19000/$be/g" -e "s/19002/$ng/g" -e "s/19003/$hp/g" "$1" > "$2"; }
sub "$here/backend.conf" "$dir/backend.conf"
sub "$here/nginx-proxy.conf" "$dir/nginx-proxy.conf"
sub "$here/haproxy.cfg" "$dir/haproxy.cfg"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
taskset -c $ccpu nginx -c "$dir/backend.conf" -p "$dir" 2>/dev/null & pids+=($!)
taskset -c $pcpu "$bin" $gh $be 1 & gpid=$!; pids+=($gpid)
names="gatehouse nginx haproxy"
if [[ -n "${BASELINE:-}" ]]; then
  taskset -c $pcpu "$(readlink -f "$BASELINE")" $gb $be 1 & bpid=$!; pids+=($bpid)
  names="baseline gatehouse nginx haproxy"
fi
taskset -c $pcpu nginx -c "$dir/nginx-proxy.conf" -p "$dir" 2>/dev/null & pids+=($!)
taskset -c $pcpu haproxy -f "$dir/haproxy.cfg" -q & hpid=$!; pids+=($hpid)
sleep 1
npid=$(cat "$dir/proxy.pid")
npid=$(pgrep -P "$npid" nginx || echo "$npid")  # the worker process
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
p50us() {  # wrk --latency 50% line -> microseconds
  taskset -c $ccpu wrk -t1 -c1 -d${secs}s --latency "http://127.0.0.1:$1/" |
    awk '$1=="50%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else {sub(/s/,"",v); print v*1000000}}'
}
per_req() {  # port pid -> cpu us per request at -c50
  local c0 c1 out reqs
  c0=$(cpu $2)
  out=$(taskset -c $ccpu wrk -t1 -c50 -d${secs}s "http://127.0.0.1:$1/")
  c1=$(cpu $2)
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "scale=2; ($c1-$c0)*1000000/$tick/$reqs" | bc
}
for p in $gh $ng $hp ${bpid:+$gb}; do taskset -c $ccpu wrk -t1 -c50 -d1s "http://127.0.0.1:$p/" >/dev/null; done  # warm-up
echo "round proxy cpu_us_per_req p50_us added_p50_us"
for r in $(seq 1 "$rounds"); do
  bp50=$(p50us $be)
  for name in $names; do
    case $name in baseline) port=$gb pid=$bpid;; gatehouse) port=$gh pid=$gpid;; nginx) port=$ng pid=$npid;; haproxy) port=$hp pid=$hpid;; esac
    c=$(per_req $port $pid)
    l=$(p50us $port)
    echo "$r $name $c $l $(echo "$l - $bp50" | bc) (backend p50 $bp50)"
  done
done
