#!/usr/bin/env bash
# One rank fails mid-round: every rank exits within 30 s with a message naming the rank, and the
# last checkpoint stays intact.
source "$(dirname "$0")/lib.sh"
D=$WORK/f
set +e
start=$(date +%s)
CONCORD_FAULT=phase.judge@1 CONCORD_FAULT_RANK=1 CONCORD_FAULT_ACTION=die \
    timeout 60 mpirun -np 3 "$CONCORD" run "$TINY" --run-dir "$D" >"$D.out" 2>"$D.err"
st=$?
set -e
elapsed=$(( $(date +%s) - start ))
check '[ "$st" -ne 0 ] && [ "$st" -ne 124 ]' "the job should fail (status $st)"
check '[ "$elapsed" -le 30 ]' "the job took ${elapsed}s to end"
check 'grep -q "\[0001" "$D.err" && grep -q "fault injection at phase.judge" "$D.err"' "the message should name rank 1 and the cause"
check '[ "$(cat "$D/ckpt/LATEST")" = round_0000.h5 ]' "LATEST should still name round_0000.h5"
check 'h5dump -a /complete "$D/ckpt/round_0000.h5" | grep -q "(0): 1"' "round_0000.h5 should be complete"
check '! pgrep -f "concord run $TINY --run-dir $D" >/dev/null' "ranks are still running"
# a one-rank SIGKILL too
D2=$WORK/k
set +e
CONCORD_FAULT=phase.generate@1 CONCORD_FAULT_RANK=2 timeout 60 mpirun -np 3 "$CONCORD" run "$TINY" --run-dir "$D2" >"$D2.out" 2>"$D2.err"
st=$?
set -e
check '[ "$st" -ne 0 ] && [ "$st" -ne 124 ]' "SIGKILL of rank 2 should end the job (status $st)"
check 'run 3 "$D2"' "resume after a rank was killed failed"
finish
