#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Second architecture: build the whole suite for aarch64 Linux and run every test under
# qemu-user. Usage: tools/ci-aarch64.sh [build-dir]   (default build-aarch64)
#
# Needs (Debian 12): clang, binutils-aarch64-linux-gnu, libc6-dev-arm64-cross,
# libgcc-12-dev-arm64-cross, qemu-user. Not gcc-aarch64-linux-gnu: it conflicts with
# gcc-multilib, which the -m32 build needs (see cmake/toolchain-aarch64-linux.cmake).
#
# The toolchain file sets CMAKE_CROSSCOMPILING_EMULATOR to "qemu-aarch64 -L <sysroot>", so
# ctest runs each test binary through qemu. The full scale is run: on a 2-core machine the
# suite takes about 3 minutes under qemu (the randomized tests dominate). CBTEST_SCALE, if
# set in the environment, is passed through to shrink or grow the randomized tests.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-aarch64}
sysroot=${CAPBUDDY_AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

for tool in clang aarch64-linux-gnu-ld qemu-aarch64; do
    command -v "$tool" >/dev/null || { echo "ci-aarch64: $tool not found" >&2; exit 1; }
done
[ -f "$sysroot/lib/ld-linux-aarch64.so.1" ] || {
    echo "ci-aarch64: no aarch64 libc in $sysroot (apt-get install libc6-dev-arm64-cross)" >&2
    exit 1
}

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-aarch64-linux.cmake" \
        -DCAPBUDDY_AARCH64_SYSROOT="$sysroot" -DCAPBUDDY_WERROR=ON
fi
cmake --build "$build" -j "$jobs"

# Prove that the binaries really are aarch64 and that qemu really runs them, so a wrong
# toolchain cannot pass by building for the host.
probe="$build/tests/tree/test_tree_k0_wnative"
if command -v file >/dev/null && [ -f "$probe" ]; then
    file -b "$probe" | grep -q 'ARM aarch64' || { echo "ci-aarch64: $probe is not aarch64" >&2; exit 1; }
fi

# Tests that run a cmake -P script which itself runs a built binary (execute_process) do
# not go through CMAKE_CROSSCOMPILING_EMULATOR, so the host tries to exec an aarch64 file.
# Skipped until bench/deterministic.cmake and bench/plot_smoke.cmake take the emulator.
skip='^bench/smoke_(deterministic|plot)$'
if grep -q EMULATOR bench/deterministic.cmake && grep -q EMULATOR bench/plot_smoke.cmake; then
    skip='^$'   # the scripts know about the emulator: run everything
fi

ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 -E "$skip"
