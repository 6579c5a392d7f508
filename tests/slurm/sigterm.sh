#!/usr/bin/env bash
# Real SIGTERM outside Slurm (mpirun -np 2; no fault injection). First SIGTERM goes to every
# concord rank during the SFT warm-up, as Slurm signals every task at preemption; after the
# resume, a second one goes to a single rank during round 1's training, and the other rank must
# agree to stop at the same step. Each stop exits with status 75 and leaves a mid-phase
# checkpoint; the last re-run finishes bit-identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"
# A wider model (C=128) so every phase lasts seconds here: 2000 SFT steps (~5 s) with a checkpoint
# every 500 (the first marks "SFT under way" and leaves ~4 s to deliver the signal), and rounds
# whose training lasts ~3 s after round_0000.h5 appears.
SETS=(--set model.n_embd=128 --set sft.steps=2000 --set checkpoint.every=500 --set train.epochs=400)
mkdir -p "$WORK/ref" "$WORK/sig"
if ! mpirun_run 2 "$WORK/ref" "${SETS[@]}"; then
    fail "the uninterrupted reference run failed:"
    tail -n 5 "$WORK/ref.out" >&2
    finish
    exit 1
fi
D=$WORK/sig

# signal_run WAIT_FOR WHICH: starts the run in the background, waits for the file WAIT_FOR, sends
# SIGTERM to the concord ranks (the children of this run's mpirun; WHICH = all or one, not mpirun
# itself), and returns the run's exit status.
signal_run() {
    local pid ranks
    timeout 300 mpirun -np 2 "$CONCORD" run "$TINY" --run-dir "$D" "${SETS[@]}" >>"$D.out" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    if ! wait_file "$1" 120; then
        fail "$1 never appeared"
        return 1
    fi
    ranks=$(pgrep -P "$(pgrep -P "$pid" -x mpirun)" -x concord || true)
    [ "$2" = one ] && ranks=$(tail -n 1 <<<"$ranks")
    if [ -z "$ranks" ]; then
        fail "no concord rank process under mpirun ($pid)"
        return 1
    fi
    # shellcheck disable=SC2086
    kill -TERM $ranks
    wait "$pid"
}

set +e
signal_run "$D/ckpt/round_0000-step_00000500.h5" all
st=$?
set -e
check '[ "$st" -eq 75 ]' "SIGTERM to the ranks during SFT should exit 75, got $st"
check 'grep -q "^round_0000-step_" "$D/ckpt/LATEST"' "SIGTERM during SFT should leave a mid-SFT checkpoint, LATEST names $(cat "$D/ckpt/LATEST" 2>/dev/null)"
check 'grep -q "stopped during SFT (SIGTERM/SIGUSR1)" "$D.out"' "the log should say the SFT stopped on the signal"

set +e
signal_run "$D/ckpt/round_0000.h5" one
st=$?
set -e
check '[ "$st" -eq 75 ]' "SIGTERM to one rank during round 1 should exit 75, got $st"
check 'grep -q "^round_0001-step_" "$D/ckpt/LATEST"' "SIGTERM to one rank in round 1 should leave a mid-round checkpoint, LATEST names $(cat "$D/ckpt/LATEST" 2>/dev/null)"

check 'mpirun_run 2 "$D" "${SETS[@]}"' "the final resume failed: $(tail -n 3 "$D.out")"
check 'same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "after two SIGTERM stops the final checkpoint differs from the uninterrupted run"
for r in 1 2; do
    check 'same_prefs "$WORK/ref/prefs/round_000$r.h5" "$D/prefs/round_000$r.h5"' "after SIGTERM the round $r preference file differs"
done
finish
