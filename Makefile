# The README's commands. Every target installs what it needs first (scripts/setup.sh, apt).
BUILD ?= build
SAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all setup build run test unit conformance fuzz clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Builds, starts the quickstart backend and the gateway on examples/quickstart/.
run: build
	@bash scripts/quickstart.sh $(BUILD)/gatehouse

# Everything CI runs: unit, golden, fuzz-corpus and integration tests under ASan+UBSan, then the
# conformance suite against the optimised build.
test: setup
	@bash scripts/test.sh

conformance: build
	@bash scripts/conformance.sh $(BUILD)/gatehouse $(ARGS)

# libFuzzer builds (clang); FUZZ_SECONDS per target.
fuzz: setup
	@bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz out

-include bench/bench.mk
