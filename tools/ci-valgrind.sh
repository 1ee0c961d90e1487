#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Run the test suite once under valgrind memcheck (ctest -T memcheck). Any memcheck error or
# definite/indirect leak makes that test fail (--error-exitcode), so the script fails.
# Usage: tools/ci-valgrind.sh [build-dir]   (default build-valgrind; a plain build: ASan
# and valgrind do not mix)
#
# The subset, chosen to finish in about 3 minutes on 2 cores (the whole suite takes 9):
# - CBTEST_SCALE=0.05 (set it to override): the randomized tests run 5% of their loops, and
#   the K=4 tree tests walk every tree state up to size order 3 instead of 4 (4.5 minutes
#   each under valgrind otherwise).
# - Only the x86_64-model build of each per-arch test: the *_aarch64 tests run the same
#   library code against the aarch64 model's constants (ASan + UBSan and the qemu job cover
#   them); under valgrind they would add 170 s.
# - Not bench/smoke_deterministic and bench/smoke_plot: their command is `cmake -P`, so
#   memcheck would check cmake, not our code (the bench binary they start is covered by the
#   other bench/smoke_* tests). Not budget/*: their command is a shell script that runs the
#   binary under callgrind itself.
# CAPBUDDY_VALGRIND_ALL=1 runs every test (about 9 minutes here).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-valgrind}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export CBTEST_SCALE=${CBTEST_SCALE:-0.05}
command -v valgrind >/dev/null || { echo "ci-valgrind: valgrind not found" >&2; exit 1; }

if [ ! -f "$build/CMakeCache.txt" ]; then
    # Only reachable-at-exit blocks are tolerated; definite and indirect leaks are errors.
    cmake -S . -B "$build" -DCAPBUDDY_WERROR=ON \
        -DMEMORYCHECK_COMMAND="$(command -v valgrind)" \
        "-DMEMORYCHECK_COMMAND_OPTIONS=--error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30"
fi
cmake --build "$build" -j "$jobs"

skip='^bench/smoke_(deterministic|plot)$|^budget/|_aarch64($|_)'
if [ "${CAPBUDDY_VALGRIND_ALL:-0}" = 1 ]; then
    skip='^bench/smoke_(deterministic|plot)$|^budget/'
fi
rm -f "$build"/Testing/Temporary/MemoryChecker.*.log
if ! ctest --test-dir "$build" -T memcheck -j "$jobs" --output-on-failure --timeout 900 \
    -E "$skip"; then
    # ctest names the failing tests; valgrind's reports are in per-test logs: show the ones
    # that hold an error or a lost block.
    for f in "$build"/Testing/Temporary/MemoryChecker.*.log; do
        if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$f"; then
            printf '\n---- %s\n' "$f"
            cat "$f"
        fi
    done
    exit 1
fi
