# tests/e2e/lib.sh — helpers for the end-to-end tests (sourced). Each test works in its own
# temporary directory and removes it on exit; processes it starts end with it.
set -euo pipefail
BUILD=${CONCORD_BUILD_DIR:?}
SRC=${CONCORD_SOURCE_DIR:?}
CONCORD=$BUILD/concord
TINY=$SRC/configs/tiny.json
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
WORK=$(mktemp -d /tmp/concord-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0
PASSES=0

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
check() { if eval "$1"; then pass; else fail "$2"; fi; }

# run NP DIR [concord args...]: concord run on the tiny config; returns concord's exit status.
run() {
    local np=$1 dir=$2
    shift 2
    timeout 300 mpirun -np "$np" "$CONCORD" run "$TINY" --run-dir "$dir" "$@" \
        >"$dir.out" 2>"$dir.err"
}

source "$(dirname "${BASH_SOURCE[0]}")/../h5compare.sh"
source "$SRC/scripts/lib/metrics.sh"  # same_metrics A B: equal lines, timings left out

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}
