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
# non-finite gradients: the step is skipped and counted; past train.max_nan_skips the round stops
# with status 1 and the last good checkpoint stays LATEST
D3=$WORK/nan
check 'CONCORD_FAULT=train.nan@2 CONCORD_FAULT_ACTION=flag run 2 "$D3"' "one NaN step should be skipped, not fatal"
check 'grep -q "\"round\":1,.*\"skipped_steps\":1" "$D3/metrics.jsonl"' "the skipped step should be counted"
D4=$WORK/nan_stop
set +e
CONCORD_FAULT=train.nan@2 CONCORD_FAULT_ACTION=flag run 2 "$D4" --set train.max_nan_skips=0
st=$?
set -e
check '[ "$st" -eq 1 ]' "too many NaN steps should exit 1, got $st"
check 'grep -q "max_nan_skips" "$D4.err"' "the stop should say why"
check '[ "$(cat "$D4/ckpt/LATEST")" = round_0000.h5 ]' "LATEST should stay at the last good checkpoint"
# a one-rank SIGKILL too
D2=$WORK/k
set +e
CONCORD_FAULT=phase.generate@1 CONCORD_FAULT_RANK=2 timeout 60 mpirun -np 3 "$CONCORD" run "$TINY" --run-dir "$D2" >"$D2.out" 2>"$D2.err"
st=$?
set -e
check '[ "$st" -ne 0 ] && [ "$st" -ne 124 ]' "SIGKILL of rank 2 should end the job (status $st)"
check 'run 3 "$D2"' "resume after a rank was killed failed"
finish
