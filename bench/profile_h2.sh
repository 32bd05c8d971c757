#!/usr/bin/env bash
# Instructions and allocations per HTTP/2 request through `gatehouse serve --workers 1`, counted
# by callgrind (reproducible on a busy machine, unlike CPU time).
#
#   bench/profile_h2.sh BINARY [h2c|tls] [REQUESTS]
#
# An nginx backend (one worker, `return 200 "ok"`), Gatehouse with one Gateway, one HTTPRoute to
# it, under `valgrind --tool=callgrind --instr-atstart=no`. h2load -c10 -m10 (CLIENTS, STREAMS) first sends 1,000
# requests uninstrumented (warm-up: pools, caches), then instrumentation is switched on and
# zeroed, h2load sends REQUESTS (default 10,000) more, and the profile is dumped. Prints
# instructions and allocations per request (bench/callgrind_counts.py; TOP=N also lists the N
# functions that allocate most), and leaves the profile in $OUT (default /tmp/profile_h2) for
# callgrind_annotate.
#
# The relay of bodies over HTTP/2 both ways (gRPC streaming's path): UPSTREAM=h2c makes the
# backend nginx speak h2c (the Service port's appProtocol kubernetes.io/h2c); RESPONSE=N answers
# every request with a static body of N bytes instead of "ok"; UPLOAD=N sends a body of N bytes
# with every request (h2load -d; nginx reads it whole before it answers, as a gRPC backend does).
set -euo pipefail

BIN=$(readlink -f "${1:?usage: $0 BINARY [h2c|tls] [REQUESTS]}")
backend_h2="" app_protocol=""
if [[ ${UPSTREAM:-} == h2c ]]; then backend_h2=" http2" app_protocol=", appProtocol: kubernetes.io/h2c"; fi
MODE=${2:-h2c}
N=${3:-10000}
OUT=${OUT:-/tmp/profile_h2}
BACKEND_PORT=${BACKEND_PORT:-19381}
GW_PORT=${GW_PORT:-19382}
ADMIN_PORT=${ADMIN_PORT:-19383}
ADDRESS=127.0.1.81

rm -rf "$OUT" && mkdir -p "$OUT/config" "$OUT/nginx"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

cat >"$OUT/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000000;
  client_body_temp_path $OUT/nginx/body;
  client_body_buffer_size 1m;
  server {
    listen 127.0.0.1:$BACKEND_PORT${backend_h2};
    root $OUT/nginx/root;
    mirror /drain;
    mirror_request_body on;
    location = /drain { internal; return 204; }
    location = / { return 200 "ok"; }
    location / { error_page 405 =200 \$uri; }
  }
}
EOF
mkdir -p "$OUT/nginx/root"
path=/
if [[ -n ${RESPONSE:-} ]]; then
  head -c "$RESPONSE" /dev/zero | tr '\0' x >"$OUT/nginx/root/body"
  path=/body
fi
h2load_body=()
if [[ -n ${UPLOAD:-} ]]; then
  head -c "$UPLOAD" /dev/zero | tr '\0' y >"$OUT/upload"
  h2load_body=(-d "$OUT/upload")
fi
nginx -c "$OUT/nginx/nginx.conf" -p "$OUT/nginx" 2>"$OUT/nginx/stderr" &
pids+=($!)

protocol=HTTP scheme=http tls=""
if [[ $MODE == tls ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=proxy.bench.test \
    -addext subjectAltName=DNS:proxy.bench.test -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
  protocol=HTTPS scheme=https
  tls="    tls: {mode: Terminate, certificateRefs: [{kind: Secret, name: bench-tls}]}"
  cat >"$OUT/config/01-secret.yaml" <<EOF
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: bench-tls, namespace: bench}
data:
  tls.crt: $(base64 -w0 "$OUT/cert.pem")
  tls.key: $(base64 -w0 "$OUT/key.pem")
EOF
fi
cat >"$OUT/config/00-gateway.yaml" <<EOF
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gatehouse}
spec: {controllerName: gatehouse.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bench, namespace: bench}
spec:
  gatewayClassName: gatehouse
  addresses: [{type: IPAddress, value: $ADDRESS}]
  listeners:
  - name: web
    protocol: $protocol
    port: $GW_PORT
    allowedRoutes: {namespaces: {from: Same}}
$tls
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: proxy, namespace: bench}
spec:
  parentRefs: [{name: bench}]
  rules: [{backendRefs: [{name: backend, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: bench}
spec: {ports: [{name: http, port: 80, protocol: TCP, targetPort: $BACKEND_PORT$app_protocol}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: backend-1, namespace: bench, labels: {kubernetes.io/service-name: backend}}
addressType: IPv4
ports: [{name: http, port: $BACKEND_PORT, protocol: TCP}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
EOF

valgrind --tool=callgrind --instr-atstart=no --dump-instr=no --callgrind-out-file="$OUT/callgrind.out" \
  "$BIN" serve "$OUT/config" --admin-address "127.0.0.1:$ADMIN_PORT" --address-pool 127.0.1.0/24 \
  --controller-name gatehouse.dev/gateway-controller --workers 1 >"$OUT/gatehouse.log" 2>&1 &
gh_pid=$!
pids+=($gh_pid)

url="$scheme://$ADDRESS:$GW_PORT$path"
for _ in $(seq 600); do
  code=$(curl -sk -o /dev/null -w '%{http_code}' "$url" || true)
  [[ $code == 200 ]] && break
  sleep 0.2
done
[[ $code == 200 ]] || { echo "gatehouse does not serve $url (last status $code)" >&2; tail "$OUT/gatehouse.log" >&2; exit 1; }

# CLIENTS x STREAMS streams in flight (bench/run.py's HTTP/2 section uses 50 x 10); over TLS
# h2load negotiates h2 by ALPN.
h2load_args=(-c"${CLIENTS:-10}" -m"${STREAMS:-10}")
h2load_args+=("${h2load_body[@]}")
h2load "${h2load_args[@]}" -n 1000 "$url" >"$OUT/warmup.txt"
callgrind_control -i on "$gh_pid" >/dev/null 2>&1
callgrind_control -z "$gh_pid" >/dev/null 2>&1
h2load "${h2load_args[@]}" -n "$N" "$url" >"$OUT/h2load.txt"
callgrind_control -d "$gh_pid" >/dev/null 2>&1
callgrind_control -i off "$gh_pid" >/dev/null 2>&1
grep -q "$N succeeded" "$OUT/h2load.txt" || { echo "h2load: not all requests succeeded" >&2; cat "$OUT/h2load.txt" >&2; exit 1; }

# The dump of the zeroed counters is the file with the highest number.
dump=$(ls -v "$OUT"/callgrind.out.* | tail -1)
python3 "$(dirname "$0")/callgrind_counts.py" "$dump" "$N" "$MODE" --top "${TOP:-0}"
echo "profile: $dump (callgrind_annotate --inclusive=yes $dump)"
