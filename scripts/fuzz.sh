#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and fuzzes each for FUZZ_SECONDS (default 60),
# starting from its checked-in corpus. New interesting inputs land in out/fuzz/<target>/;
# minimise and copy the worthwhile ones into fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGATEHOUSE_FUZZ=ON -DGATEHOUSE_SANITIZE=ON -DGATEHOUSE_BENCH=OFF >/dev/null
targets=$(cd fuzz && ls *_fuzz.cc | sed 's/\.cc$//')
cmake --build build-fuzz --target $targets -j "$(nproc)"
for t in $targets; do
  corpus=${t%_fuzz}
  mkdir -p "out/fuzz/$corpus"
  dict=(); [[ -f fuzz/${corpus%%_*}.dict ]] && dict=(-dict="fuzz/${corpus%%_*}.dict")
  echo "== $t for ${seconds}s"
  build-fuzz/fuzz/$t "out/fuzz/$corpus" "fuzz/corpus/$corpus" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1
done
