#!/usr/bin/env bash
# tests/test_stuck.sh — run.stuck_timeout: a rank that stops without dying (SIGSTOP inside the
# judge phase, as a hung node would) is noticed by the others' watchdogs. The job must end within
# 3 timeouts of the stop with status 1 and one message naming the stopped rank, its role label
# and the phase; LATEST must still name an intact checkpoint, no rank may be left (the stopped one
# included), and the same command must then resume and finish. A rank that is busy in a phase
# longer than the timeout keeps beating and is not flagged, and with the timeout off (the
# default) no heartbeat file is written.
source "$(dirname "$0")/e2e/lib.sh"
T=5
D=$WORK/stuck
mkdir -p "$D"
set +e
CONCORD_FAULT=phase.judge@1 CONCORD_FAULT_RANK=2 CONCORD_FAULT_ACTION=stop \
    timeout 120 mpirun -np 3 "$CONCORD" run "$TINY" --run-dir "$D" --set run.stuck_timeout=$T \
    >"$D.out" 2>"$D.err" &
job=$!
t_stop=""
while kill -0 "$job" 2>/dev/null; do  # the stop's time: when the rank reports it
    if [ -z "$t_stop" ] && grep -q "fault injection: SIGSTOP at phase.judge" "$D.err"; then
        t_stop=$(date +%s.%N)
    fi
    sleep 0.1
done
wait "$job"
st=$?
t_end=$(date +%s.%N)
set -e
[ -n "$t_stop" ] || t_stop=$t_end
waited=$(echo "$t_end - $t_stop" | bc)
echo "status $st, ended ${waited}s after the stop (timeout ${T}s)"
grep "has not progressed" "$D.err" || true
check '[ "$st" -eq 1 ]' "the job should end with status 1, got $st"
check 'grep -q "fault injection: SIGSTOP at phase.judge" "$D.err"' "rank 2 should have been stopped"
check '[ "$(echo "$waited <= 3 * $T" | bc)" -eq 1 ]' "the job ended ${waited}s after the stop, more than 3 x ${T}s"
check '[ "$(grep -c "has not progressed" "$D.err")" -eq 1 ]' "exactly one rank should report the stuck rank"
check 'grep -q "^error: rank 2 (gen+jdg+lrn) has not progressed for [0-9]* s in phase judge (pid [0-9]* on .*); ending the job (the last checkpoint is intact)$" "$D.err"' \
    "the message should name rank 2, its label and the phase judge"
check '[ "$(cat "$D/ckpt/LATEST")" = round_0000.h5 ]' "LATEST should still name round_0000.h5"
check 'h5dump -a /complete "$D/ckpt/round_0000.h5" | grep -q "(0): 1"' "round_0000.h5 should be complete"
check '! pgrep -f "concord run $TINY --run-dir $D" >/dev/null' "ranks are still running"
pid=$(sed -n 's/.*has not progressed.*(pid \([0-9]*\) on .*/\1/p' "$D.err" | head -1)
state=$( [ -n "$pid" ] && ps -o stat= -p "$pid" || true)
check '[ -n "$pid" ] && { [ -z "$state" ] || [ "${state:0:1}" = Z ]; }' "the stopped rank (pid $pid) is still there: state $state"

# the same command resumes and finishes; a normal end removes the heartbeat directory
check 'timeout 120 mpirun -np 3 "$CONCORD" run "$TINY" --run-dir "$D" --set run.stuck_timeout=$T >"$D.out2" 2>"$D.err2"' \
    "the run should resume and finish"
check 'grep -q "resuming from" "$D.err2"' "the second run should resume"
check 'grep -q "2 rounds complete" "$D.out2"' "the resumed run should complete its rounds"
check '[ ! -e "$D/.heartbeat" ]' "the heartbeat directory should be gone after a normal end"

# busy but alive: rank 1 spends 3 timeouts inside the judge phase (its main thread asleep, the
# other ranks waiting for it in a collective) and is not flagged
B=$WORK/busy
check 'CONCORD_FAULT=phase.judge@1 CONCORD_FAULT_RANK=1 CONCORD_FAULT_ACTION=sleep CONCORD_FAULT_SLEEP=6 \
    run 3 "$B" --set run.stuck_timeout=2 --set rounds.count=1' \
    "a run with run.stuck_timeout=2 and a 6 s judge phase should finish"
check 'grep -q "fault injection: sleeping 6 s at phase.judge" "$B.err"' "rank 1 should have slept"
check '! grep -q "has not progressed" "$B.err"' "a busy rank was taken for a stuck one"
check 'grep -q "watchdog: a rank without a heartbeat for 2 s" "$B.err"' "the watchdog should say it is on"
check '[ ! -e "$B/.heartbeat" ]' "the heartbeat directory should be gone"

# off (the default): no thread, no file
O=$WORK/off
check 'timeout 120 mpirun -np 2 "$CONCORD" sft "$TINY" --run-dir "$O" --set sft.steps=10 >"$O.out" 2>"$O.err"' \
    "an SFT run without the watchdog should finish"
check '[ -d "$O/ckpt" ] && [ ! -e "$O/.heartbeat" ] && ! grep -q watchdog "$O.err"' \
    "with run.stuck_timeout 0 nothing should be written"

# bad input: a timeout under a second, and a heartbeat directory that cannot be made
X=$WORK/bad
mkdir -p "$X"
touch "$X/.heartbeat"
set +e
run 2 "$X" --set run.stuck_timeout=0.5
st_small=$?
cp "$X.err" "$X.err1"
run 2 "$X" --set run.stuck_timeout=3
st_file=$?
set -e
check '[ "$st_small" -eq 2 ] && grep -q "run.stuck_timeout: expected 0 (off) or at least 1 second, got 0.5" "$X.err1"' \
    "run.stuck_timeout=0.5 should be refused with status 2 (got $st_small)"
check '[ "$st_file" -eq 2 ] && [ "$(grep -c "^error: " "$X.err")" -eq 1 ] && grep -q "^error: $X/.heartbeat/rank_0: cannot write the heartbeat (run.stuck_timeout): Not a directory" "$X.err"' \
    "an unwritable heartbeat should give one message naming the file and status 2 (got $st_file)"
finish
