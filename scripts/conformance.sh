#!/usr/bin/env bash
# Runs the local Gateway API conformance suite against a gatehouse binary.
# Usage: scripts/conformance.sh BUILD/gatehouse [runner args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: conformance.sh PATH/TO/gatehouse [args]}
shift
mkdir -p out
exec /usr/bin/python3 conformance/run.py --gatehouse "$bin" --report out/conformance-report.yaml "$@"
