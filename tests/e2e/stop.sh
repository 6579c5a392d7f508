#!/usr/bin/env bash
# Clean stops: a STOP file ends the run with status 0 after a checkpoint; SIGTERM (as Slurm sends
# at preemption) checkpoints and exits with the requeue status 75; re-running finishes with
# results bit-identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"
check 'run 2 "$WORK/ref"' "reference run failed"
D=$WORK/stopfile
mkdir -p "$D" && touch "$D/STOP"
check 'run 2 "$D"' "a STOP file should end the run with status 0"
check '[ -s "$D/ckpt/LATEST" ]' "the STOP file stop should leave a checkpoint"
rm "$D/STOP"
check 'run 2 "$D"' "resume after STOP failed"
check 'same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "after STOP the final checkpoint differs"
for p in sft.step@30 train.step@4; do
    D=$WORK/term_${p//[@.]/_}
    set +e
    CONCORD_FAULT=$p CONCORD_FAULT_ACTION=sigterm run 2 "$D"
    st=$?
    set -e
    check '[ "$st" -eq 75 ]' "SIGTERM at $p should exit 75, got $st"
    check 'grep -q "step_" "$D/ckpt/LATEST"' "SIGTERM at $p should write a mid-phase checkpoint"
    check 'run 2 "$D"' "resume after SIGTERM at $p failed"
    check 'same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "after SIGTERM at $p the final checkpoint differs"
done
finish
