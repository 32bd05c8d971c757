#!/usr/bin/env bash
# Installs every Debian package Gatehouse needs to build, test, run its conformance suite and
# benchmarks. Idempotent: only missing packages are installed.
set -euo pipefail

BUILD_PKGS=(build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libboost1.81-dev libyaml-dev nlohmann-json3-dev libre2-dev libssl-dev libnghttp2-dev
  libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev)
TEST_PKGS=(curl openssl python3 python3-yaml python3-cryptography python3-h2 python3-grpcio python3-protobuf
  python3-websockets python3-prometheus-client nghttp2-client iproute2 util-linux procps nginx-light
  chromium redis-server)
BENCH_PKGS=(haproxy wrk)

want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
if [[ "${1:-}" == "--bench" ]]; then want+=("${BENCH_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# kubectl is the real client the Kubernetes-mode tests hold the fake API server to; it is not in
# Debian 12's own archive, so it is expected on the machine (the project's machines have it).
command -v kubectl >/dev/null || echo "setup: kubectl not found: the Kubernetes-mode tests need it" >&2
