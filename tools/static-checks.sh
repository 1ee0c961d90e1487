#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Static checks: clang-format (.clang-format) over the product (src/, include/), then cppcheck
# and clang-tidy (checks in .clang-tidy) over src/, host/, sim/, bench/, tests/ and examples/.
# Exits non-zero on any finding. Usage: tools/static-checks.sh [dir]
# (default build-static; a CMake tree configured only for its compile_commands.json).
#
# Suppressions are inline only, each with its reason on the same line:
#   // cppcheck-suppress <id> ; <reason>        (on the line before the finding)
#   NOLINT(<check>): <reason>                   (clang-tidy)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build-static}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
command -v cppcheck >/dev/null || { echo "static-checks: cppcheck not found" >&2; exit 1; }
[ -n "$tidy" ] || { echo "static-checks: clang-tidy not found" >&2; exit 1; }
command -v jq >/dev/null || { echo "static-checks: jq not found" >&2; exit 1; }

# clang as the compiler so that the compile commands hold flags clang-tidy understands.
# Configuring also generates the model's autoconf.h per arch, which the sources include.
cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_C_COMPILER=clang \
    -DCAPBUDDY_FUZZ=OFF >/dev/null
db="$build/compile_commands.json"

status=0

# clang-format: the product's files must be formatted as .clang-format says (clang-format 14,
# Debian bookworm's; run `clang-format -i` on the files it names).
fmt=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$fmt" ] || { echo "static-checks: clang-format not found" >&2; exit 1; }
echo "== $("$fmt" --version | grep -m1 -o 'version [0-9.]*') (clang-format)"
find src include -name '*.[ch]' | sort | xargs "$fmt" --dry-run -Werror || status=1

# cppcheck: every compile command, so each arch's configuration (x86_64, aarch64 model) is
# checked. --check-level is not in 2.10; the default is enough.
echo "== cppcheck $(cppcheck --version | cut -d' ' -f2)"
mkdir -p "$build/cppcheck"
cppcheck --project="$db" --std=c11 -j "$jobs" --quiet \
    --enable=warning,style,performance,portability --inline-suppr --error-exitcode=1 \
    --cppcheck-build-dir="$build/cppcheck" \
    --suppress=missingIncludeSystem \
    --template='{file}:{line}: {severity} [{id}] {message}' || status=1

# clang-tidy: one compile command per source file (the per-arch copies differ only in the
# model's autoconf.h; the analyzer is slow enough that once is the sensible cost).
echo "== $("$tidy" --version | grep -m1 -o 'version [0-9.]*')"
mkdir -p "$build/tidy"
jq '[group_by(.file)[] | .[0]]' "$db" > "$build/tidy/compile_commands.json"
jq -r '.[].file' "$build/tidy/compile_commands.json" |
    xargs -P "$jobs" -n 4 "$tidy" -p "$build/tidy" --quiet 2>/dev/null > "$build/tidy/out.txt" ||
    status=1
# Print the findings only (clang-tidy also prints "N warnings generated" noise).
grep -E ': (warning|error):|^ ' "$build/tidy/out.txt" | grep -v '^ *[0-9]* warnings\? generated' || true
if grep -qE ': (warning|error):' "$build/tidy/out.txt"; then
    status=1
fi

[ "$status" = 0 ] && echo "static checks: no findings"
exit "$status"
