#!/usr/bin/env bash
# Starts two echo backends and the gateway on a copy of examples/quickstart/ (plus generated
# TLS certificates), and prints curl lines that reach it. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/gatehouse}
work=out/quickstart
rm -rf "$work" && mkdir -p "$work"
cp examples/quickstart/*.yaml "$work/"

# A self-signed certificate per host name, as kubernetes.io/tls Secrets.
for host in www.example.test secure.example.test; do
  name=${host//./-}
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
    -keyout "$work/$name.key" -out "$work/$name.crt" 2>/dev/null
  cat > "$work/secret-$name.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: $name, namespace: default}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$work/$name.crt")
  tls.key: $(base64 -w0 "$work/$name.key")
YAML
done

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for i in 1 2; do
  POD_NAME=echo-v$i NAMESPACE=default /usr/bin/python3 conformance/echo/echo_server.py \
    --bind 127.0.2.$i --quiet &
  pids+=($!)
done

cat <<MSG
Gatehouse quickstart: serving $work on 127.0.1.1 (admin API on 127.0.0.1:15000). Try:
  curl -s http://127.0.1.1:8080/hello -H 'Host: www.example.test'            # 80/20 between echo-v1 and echo-v2 (see "pod")
  curl -si http://127.0.1.1:8080/old/page -H 'Host: www.example.test'        # 301 to /new/page
  curl -si http://127.0.1.1:8080/api/users -H 'Host: www.example.test' -H 'X-Version: 2'   # rewritten to /v2/users, X-Team added
  curl -si http://127.0.1.1:8080/ -H 'Host: secure.example.test'             # 302 to https://secure.example.test:8443/
  curl -sk --resolve secure.example.test:8443:127.0.1.1 https://secure.example.test:8443/ -v 2>&1 | grep subject
  curl -s http://127.0.0.1:15000/status                                      # every object with its status
MSG
"$bin" serve "$work" &
pids+=($!)
wait "${pids[-1]}"
