#!/usr/bin/env bash
# Installs and builds (scripts/bootstrap.sh), then runs the whole test suite with ctest.
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
build=${CONCORD_BUILD_DIR:-build}
ctest --test-dir "$build" --output-on-failure "$@"
