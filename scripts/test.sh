#!/usr/bin/env bash
# Installs and builds (scripts/bootstrap.sh), then runs the whole test suite with ctest.
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
# Without extra arguments the fuzz harnesses run too (scripts/fuzz.sh ci: a clang tree in
# build-fuzz, each harness on its seeds and regressions, then 15 s of fuzzing); CONCORD_SKIP_FUZZ=1
# leaves them out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
build=${CONCORD_BUILD_DIR:-build}
ctest --test-dir "$build" --output-on-failure "$@"
if [ $# -eq 0 ] && [ "${CONCORD_SKIP_FUZZ:-0}" != 1 ]; then
    scripts/fuzz.sh ci
fi
