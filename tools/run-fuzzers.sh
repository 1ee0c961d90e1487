#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Run every libFuzzer binary ${BUILD_DIR}/fuzz/fuzz_* for its share of SECONDS, starting from
# its seed corpus (tests/<layer>/corpus/ of the same name without the fuzz_ prefix, else
# tests/*/corpus). Exits non-zero if any fuzzer finds a crash, leak or timeout.
#   tools/run-fuzzers.sh BUILD_DIR SECONDS
set -u
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
total=${2:?usage: run-fuzzers.sh BUILD_DIR SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)

set -- "$build"/fuzz/fuzz_*
if [ ! -e "$1" ]; then
    echo "run-fuzzers: no fuzz targets in $build/fuzz (configure with -DCAPBUDDY_FUZZ=ON and clang)"
    exit 1
fi
n=$#
share=$((total / n))
[ "$share" -lt 1 ] && share=1
status=0
for f in "$@"; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    work="$build/fuzz/corpus-$name"
    mkdir -p "$work" "$build/fuzz/artifacts"
    seeds=""
    for d in "$root"/tests/*/corpus; do
        [ -d "$d" ] && seeds="$seeds $d"
    done
    echo "run-fuzzers: $name for ${share}s"
    # shellcheck disable=SC2086
    if ! "$f" -max_total_time="$share" -print_final_stats=1 \
            -artifact_prefix="$build/fuzz/artifacts/$name-" "$work" $seeds; then
        echo "run-fuzzers: $name FAILED (artifacts in $build/fuzz/artifacts)"
        status=1
    fi
done
exit $status
