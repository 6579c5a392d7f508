# tests/slurm/lib.sh — helpers for the Slurm and signal tests (sourced). Each test works in its
# own temporary directory and removes it on exit; everything it starts (background mpirun runs,
# the local Slurm cluster and its jobs) is stopped on exit, whether the checks passed or not.
set -euo pipefail
BUILD=${CONCORD_BUILD_DIR:?}
SRC=${CONCORD_SOURCE_DIR:?}
CONCORD=$BUILD/concord
TINY=$SRC/configs/tiny.json
CLUSTER=$SRC/slurm/local-cluster.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
# The test cluster: its own state directory and ports, so a cluster someone started by hand
# (slurm/local-cluster.sh start, default /tmp/concord-slurm and port 6817) is left alone. Tests
# that use it hold the ctest resource lock concord_slurm_cluster.
export CONCORD_SLURM_DIR=${CONCORD_TEST_SLURM_DIR:-/tmp/concord-slurm-test}
export CONCORD_SLURM_PORT=${CONCORD_TEST_SLURM_PORT:-16817}
export SLURM_CONF=$CONCORD_SLURM_DIR/slurm.conf
# What the batch scripts need: this checkout and this build.
export CONCORD_HOME=$SRC CONCORD_BIN=$CONCORD
WORK=$(mktemp -d /tmp/concord-slurm-test.XXXXXX)
FAILS=0
PASSES=0
BG_PIDS=()
CLUSTER_STARTED=0

# tree PID: PID and all its descendants.
tree() {
    local k
    echo "$1"
    for k in $(pgrep -P "$1" 2>/dev/null || true); do tree "$k"; done
}

cleanup() {
    local pid pids
    for pid in "${BG_PIDS[@]}"; do  # background runs: timeout, mpirun and the ranks
        pids=$(tree "$pid")
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
    done
    if [ "$CLUSTER_STARTED" = 1 ] && "$CLUSTER" stop >/dev/null 2>&1; then
        rm -rf "$CONCORD_SLURM_DIR"
    fi
    [ "${CONCORD_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP  # run the cleanup on signals too
# Every wait below ends by this deadline, well within the ctest TIMEOUT, so a stuck test still
# fails with a message and cleans up instead of being killed.
DEADLINE=$((SECONDS + ${CONCORD_SLURM_TEST_BUDGET:-480}))

# capped SECONDS: the wait time left before the test's deadline (at least 1).
capped() {
    local left=$((DEADLINE - SECONDS))
    [ "$left" -lt "$1" ] || left=$1
    [ "$left" -ge 1 ] || left=1
    echo "$left"
}

pass() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
check() { if eval "$1"; then pass; else fail "$2"; fi; }
# require CONDITION MESSAGE: a check the rest of the test depends on; ends the test when false.
require() {
    if eval "$1"; then
        pass
    else
        fail "$2"
        finish
        exit 1
    fi
}

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}

source "$(dirname "${BASH_SOURCE[0]}")/../h5compare.sh"

# mpirun_run NP DIR [concord args...]: concord run on the tiny config outside Slurm.
mpirun_run() {
    local np=$1 dir=$2
    shift 2
    timeout 300 mpirun -np "$np" "$CONCORD" run "$TINY" --run-dir "$dir" "$@" >>"$dir.out" 2>&1
}

# wait_file PATH SECONDS: wait until PATH exists.
wait_file() {
    for _ in $(seq 1 $(($(capped "$2") * 10))); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# --- Slurm -------------------------------------------------------------------------------------

# Makes sure Slurm's programs are here: installs Debian's packages when they are missing (as
# root, unless CONCORD_SKIP_APT=1); prints SKIP and exits 0 only when that is impossible.
need_slurm() {
    local t missing=0
    for t in sbatch scontrol squeue scancel srun slurmctld slurmd munged mungekey; do
        command -v "$t" >/dev/null 2>&1 || missing=1
    done
    [ $missing -eq 1 ] || return 0
    if [ "$(id -u)" -eq 0 ] && [ "${CONCORD_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null; then
        echo "installing slurm-wlm munge libpmix-dev"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends slurm-wlm munge libpmix-dev >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 &&
                apt-get install -y -q --no-install-recommends slurm-wlm munge libpmix-dev >/dev/null 2>&1; } ||
            true
        command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v munged >/dev/null &&
            return 0
    fi
    echo "SKIP: Slurm is not installed and cannot be installed here (needs root and apt-get: slurm-wlm munge libpmix-dev)"
    finish
    exit 0
}

# Starts the test cluster (after stopping one a killed earlier test may have left behind).
start_cluster() {
    need_slurm
    "$CLUSTER" stop >/dev/null 2>&1 || true
    CLUSTER_STARTED=1
    if ! "$CLUSTER" start >"$WORK/cluster.out" 2>&1; then
        fail "the local Slurm cluster did not start: $(cat "$WORK/cluster.out")"
        tail -n 20 "$CONCORD_SLURM_DIR"/log/*.log >&2 || true
        finish
        exit 1
    fi
    pass
}

# job_field JOB FIELD: one field of `scontrol show job` (e.g. JobState, Restarts, ExitCode).
job_field() {
    scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# wait_job JOB SECONDS [STATES]: wait until the job's state is one of STATES (a regex, default
# any end state); prints the state.
wait_job() {
    local states=${3:-COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE}
    local st=
    for _ in $(seq 1 $(($(capped "$2") * 5))); do
        st=$(job_field "$1" JobState)
        if [[ $st =~ ^($states)$ ]]; then
            echo "$st"
            return 0
        fi
        sleep 0.2
    done
    echo "${st:-unknown}"
    return 1
}

# submit [sbatch options...] -- SCRIPT [args...]: sbatch from $WORK; prints the job id.
submit() {
    local -a opts=()
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    sbatch --parsable --chdir="$WORK" "${opts[@]}" "$@" | cut -d';' -f1
}

# show_job JOB: the job's record and output, for failure messages.
show_job() {
    scontrol show job "$1" 2>&1 | sed 's/^/    /'
    cat "$WORK"/*-"$1".out 2>/dev/null | grep -v '^  memory' | tail -n 30 | sed 's/^/    /'
}
