# Benchmark targets; the top-level Makefile includes this file (`include bench/bench.mk`).
#   make bench         full run (about 45-55 min), writes bench/results/ and docs/benchmarks.md
#   make bench-quick   the same sections, short runs (under 8 min), writes bench/results/ and docs/benchmarks.md
#   make bench-smoke   CI smoke check of Gatehouse's route scale + propagation (needs the binary)
#   make bench-selftest  unit tests of the harness itself (no processes, no network; < 1 s)
# Variables: GATEHOUSE (binary), BENCH_ARGS (extra run.py flags, e.g. --only proxy).

BENCH_PY   ?= /usr/bin/python3
GATEHOUSE  ?= build/gatehouse
BENCH_ARGS ?=

.PHONY: bench bench-quick bench-smoke bench-selftest

bench: build
	@bash scripts/setup.sh --bench
	$(BENCH_PY) bench/run.py --gatehouse $(GATEHOUSE) --out bench/results --docs docs/benchmarks.md $(BENCH_ARGS)

bench-quick: build
	@bash scripts/setup.sh --bench
	$(BENCH_PY) bench/run.py --quick --gatehouse $(GATEHOUSE) --out bench/results --docs docs/benchmarks.md $(BENCH_ARGS)

bench-smoke: build
	$(BENCH_PY) bench/smoke.py --gatehouse $(GATEHOUSE)

bench-selftest:
	$(BENCH_PY) -m unittest discover -s bench/testing -p 'test_*.py'
