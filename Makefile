# SPDX-License-Identifier: BSD-2-Clause
#
# Thin wrapper over CMake. The build tree is $(BUILD) (default: build/).
#   make            build everything
#   make test       build, then run every test through ctest
#   make demo       build, then run the main benchmark
#   make bench      build, then run all benchmarks
#   make fuzz       build the libFuzzer targets with clang and run them for FUZZ_TIME seconds
# Variables: BUILD=dir, CMAKE_ARGS="-D...", JOBS=n

BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
FUZZ_TIME  ?= 60

.PHONY: all configure test demo bench fuzz clean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_ARGS)

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: all
	$(BUILD)/capbuddy-bench demo

bench: all
	$(BUILD)/capbuddy-bench all

fuzz:
	@if command -v clang >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory all BUILD=$(BUILD)-fuzz \
	        CMAKE_ARGS="-DCMAKE_C_COMPILER=clang -DCAPBUDDY_FUZZ=ON $(CMAKE_ARGS)" && \
	    ./tools/run-fuzzers.sh $(BUILD)-fuzz $(FUZZ_TIME); \
	else \
	    echo "make fuzz: skipped, clang not found (apt-get install clang libclang-rt-14-dev)"; \
	fi

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
