#!/usr/bin/env bash
# One failing rank must end the whole job (MPI_Abort through the util/err.h hook), promptly, with a
# non-zero status and a message that names the rank; a single-rank user error exits with status 2.
# Usage: test_comms_abort.sh TEST_COMMS MPIEXEC
set -u
bin=$1
mpiexec=$2
work=$PWD/test_comms_abort.d
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "$0")/check.sh"

# run_case NAME NP MODE VICTIM WANT_RC PATTERN...: WANT_RC "nonzero" accepts any failure status
# except a timeout (124); each PATTERN must appear in stderr (grep -F).
run_case() {
    local name=$1 np=$2 mode=$3 victim=$4 want=$5
    shift 5
    local err=$work/$name.stderr
    local t0=$SECONDS
    timeout 30 "$mpiexec" -np "$np" "$bin" --child "$mode" "$victim" >"$work/$name.stdout" 2>"$err"
    local rc=$?
    if [ "$rc" -eq 124 ]; then
        bad "$name: the job hung (killed by timeout after 30 s)"
        return
    fi
    if [ "$want" = nonzero ]; then
        if [ "$rc" -ne 0 ]; then ok; else bad "$name: exit status 0"; fi
    else
        if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit status $rc, want $want"; fi
    fi
    local p
    for p in "$@"; do
        if grep -qF -- "$p" "$err"; then ok; else bad "$name: stderr lacks '$p':"; sed 's/^/    /' "$err" >&2; fi
    done
    echo "$name: exit $rc after $((SECONDS - t0)) s"
}

run_case die_np3_rank1 3 die 1 nonzero "[0001 " "FATAL" "deliberate failure on rank 1"
run_case die_np2_rank0 2 die 0 nonzero "[0000 " "deliberate failure on rank 0"
run_case die_np4_rank3 4 die 3 nonzero "[0003 " "deliberate failure on rank 3"
run_case die_np1 1 die 0 1 "deliberate failure on rank 0"
run_case user_np1 1 user 0 2 "error: deliberate bad input on rank 0"
run_case user_np2 2 user 0 nonzero "error: deliberate bad input on rank 0"
run_case mpicheck_np2 2 mpicheck 1 nonzero "[0001 " "MPI_Send(" "failed: MPI_ERR_RANK"
run_case slab_np3 3 slab 2 nonzero "[0002 " "the model configs differ"
run_case root_np2 2 root 1 nonzero "gathers to root 1 where this rank gathers to 0"
run_case order_np3 3 order 2 nonzero "rank 2 sent votes of float where this rank expects column of float"
run_case reducer_np2 2 reducer 1 nonzero "[0001 " "reported ready twice"

# Without mpiexec (singleton MPI), a user error still exits with 2.
timeout 30 "$bin" --child user 0 >/dev/null 2>"$work/singleton.stderr"
rc=$?
if [ "$rc" -eq 2 ]; then ok; else bad "singleton user error: exit status $rc, want 2"; fi

check_finish
