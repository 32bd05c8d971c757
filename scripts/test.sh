#!/usr/bin/env bash
# The whole test suite, as CI runs it. Exits non-zero on the first failing stage. The unit
# stage runs last so that CTest's summary is the closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
# Compiler cache entries are keyed by paths relative to the checkout, so any clone reuses them.
export CCACHE_BASEDIR="$PWD"

echo "== build (optimised) for the conformance suite"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATEHOUSE_WERROR=ON -DGATEHOUSE_TESTS=OFF >/dev/null
cmake --build build -j "$JOBS"

echo "== conformance runner unit tests"
/usr/bin/python3 -m unittest discover -s tests/conformance_runner -t .

echo "== conformance (fails if a test listed in conformance/expected-pass.txt fails)"
# Cases are selected by the GatewayClass's supportedFeatures; the profiles name the report's sections.
bash scripts/conformance.sh build/gatehouse --profiles GATEWAY-HTTP,GATEWAY-GRPC,GATEWAY-TCP,GATEWAY-TLS,GATEWAY-UDP \
  --expected-pass conformance/expected-pass.txt

echo "== conformance in Kubernetes mode, through the fake API server (same expected passes)"
bash scripts/conformance.sh build/gatehouse --profiles GATEWAY-HTTP,GATEWAY-GRPC,GATEWAY-TCP,GATEWAY-TLS,GATEWAY-UDP \
  --expected-pass conformance/expected-pass.txt --kubernetes --work-dir out/conformance-work-kubernetes --report out/conformance-report-kubernetes.yaml

echo "== control-plane smoke: route scale and propagation (bounds ~10x the real figures)"
python3 bench/smoke.py --gatehouse build/gatehouse --no-install

echo "== build (ASan + UBSan, -Wall -Wextra -Werror)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGATEHOUSE_WERROR=ON -DGATEHOUSE_SANITIZE=ON -DGATEHOUSE_BENCH=OFF >/dev/null
cmake --build build-asan -j "$JOBS"

echo "== unit, golden, fuzz-corpus replay and integration tests (ASan + UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan && ctest --output-on-failure -j "$JOBS"
