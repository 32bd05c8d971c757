#!/bin/bash
# usage: cpu_per_req.sh PORT PID SECONDS -> proxy CPU microseconds per request (utime+stime)
port=$1; pid=$2; secs=${3:-5}
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
c0=$(cpu)
out=$(taskset -c 1 wrk -t1 -c50 -d${secs}s http://127.0.0.1:$port/)
c1=$(cpu)
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p50=$(echo "$out" | awk '/Latency/ {print $2}')
echo "port=$port req/s=$rps requests=$reqs cpu_us_per_req=$(echo "scale=2; ($c1-$c0)*1000000/$tick/$reqs" | bc)"
