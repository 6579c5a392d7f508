#!/usr/bin/env bash
# Preemption and requeue on a real single-node Slurm cluster. A job of slurm/concord.sbatch gets
# SIGUSR1 in its batch shell mid-round (`scancel --signal=USR1 --batch`, what
# `#SBATCH --signal=B:USR1@...` sends before the time limit); the script forwards it through
# srun to the ranks, which checkpoint mid-round and exit 75; the script requeues the job
# (Restarts=1), the requeued job resumes from LATEST and finishes bit-identical to an
# uninterrupted run. Then slurm/chain.sh runs the same config as a chain of short jobs that each
# stop on run.max_wall_seconds (counted from the job's start) and end identical too.
source "$(dirname "$0")/lib.sh"
# Rounds long enough to be interrupted in: about 8000 optimizer steps each, ~5 s per round here
# (the run must outlast the 6 s wall budget of one chain job).
SETS=(--set train.epochs=1000)
mkdir -p "$WORK/ref"
if ! mpirun_run 4 "$WORK/ref" "${SETS[@]}"; then
    fail "the uninterrupted reference run (mpirun -np 4) failed:"
    tail -n 5 "$WORK/ref.out" >&2
    finish
    exit 1
fi
start_cluster
JOB_OPTS=(--nodes=1 --ntasks-per-node=4 --time=10:00)

# (1) preempt mid-round with SIGUSR1 to the batch shell; requeue; resume.
D=$WORK/pre
id=$(RUN_DIR=$D submit "${JOB_OPTS[@]}" --output="$WORK/pre-%j.out" -- "$SRC/slurm/concord.sbatch" "$TINY" "${SETS[@]}")
require 'wait_file "$D/ckpt/round_0000.h5" 180' "the job never finished its SFT phase:
$(show_job "$id")"
require 'scancel --signal=USR1 --batch "$id"' "scancel --signal=USR1 --batch failed"
st=$(wait_job "$id" 120 PENDING) || true
require '[ "$st" = PENDING ] && [ "$(job_field "$id" Restarts)" = 1 ]' "after SIGUSR1 the job should be requeued (PENDING, Restarts=1), state $st:
$(show_job "$id")"
latest=$(cat "$D/ckpt/LATEST")
check '[[ $latest == round_000[12]-step_* ]]' "the signal should leave a mid-round checkpoint, LATEST names $latest"
echo "preempted at $latest"
# the batch shell may still be writing its last lines when the job turns PENDING: give it 20 s
for _ in $(seq 40); do
    grep -q "requeued job $id" "$WORK/pre-$id.out" && break
    sleep 0.5
done
# The requeue itself is checked above through scontrol (PENDING, Restarts=1); the batch log's own
# lines are reported but not required: under load (ctest -j) they were once missing at this point.
if ! grep -q "received SIGUSR1" "$WORK/pre-$id.out" || ! grep -q "requeued job $id" "$WORK/pre-$id.out"; then
    echo "note: the batch log of job $id lacks the forwarding/requeue lines so far:" >&2
    tail -n 5 "$WORK/pre-$id.out" >&2
fi
check 'grep -q "Exited with exit code 75" "$WORK/pre-$id.out"' "the ranks should exit with status 75"
# A requeued job waits for its BeginTime (about two minutes); start it now.
check 'scontrol update jobid="$id" StartTime=now' "scontrol update StartTime=now failed"
st=$(wait_job "$id" 180) || true
require '[ "$st" = COMPLETED ]' "the requeued job should complete, state $st:
$(show_job "$id")"
check '[ "$(job_field "$id" Restarts)" = 1 ] && [ "$(job_field "$id" ExitCode)" = 0:0 ]' "the requeued job: restarts $(job_field "$id" Restarts), exit code $(job_field "$id" ExitCode)"
check 'grep -q "restart 1" "$WORK/pre-$id.out"' "the second start should log restart 1 (SLURM_RESTART_COUNT)"
check '[ "$(wc -l <"$D/metrics.jsonl")" -eq 3 ]' "metrics.jsonl should have 3 lines after the resumed run"
check 'same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "after preemption and requeue the final checkpoint differs from the uninterrupted run"
for r in 1 2; do
    check 'same_prefs "$WORK/ref/prefs/round_000$r.h5" "$D/prefs/round_000$r.h5"' "after preemption the round $r preference file differs"
done

# (2) a chain of 1-minute jobs with run.max_wall_seconds = 60 - 54 = 6 s each (the USR1 warning
# moved out of the way to 5 s before the limit); the run needs 9 s or more, so the later jobs
# resume, and the last ones find the run complete. The budget counts from the job's start, and
# srun + MPI start-up take 2-3 s of it on a slow VM: with 3 s, jobs there made almost no progress.
# N leaves room for a machine several times slower than the development VM (a busy CPU made 10
# jobs too few once, and 14 too few while fuzzing campaigns shared the CPU); the jobs after
# completion find the run done and cost 2-3 s each.
C=$WORK/chain
N=20
out=$(CONCORD_WALL_MARGIN=54 "$SRC/slurm/chain.sh" --chdir="$WORK" --time=1 --signal=B:USR1@5 --nodes=1 \
    --ntasks-per-node=4 --output="$WORK/chain-%j.out" $N "$TINY" "$C" "${SETS[@]}")
read -r -a ids <<<"$(sed -n 's/.*jobs \([0-9 ]*\) on run.*/\1/p' <<<"$out")"
require '[ ${#ids[@]} -eq $N ]' "chain.sh should submit $N jobs: $out"
for id in "${ids[@]}"; do
    st=$(wait_job "$id" 240) || true
    check '[[ $st =~ ^(COMPLETED|FAILED)$ ]]' "chain job $id ended $st:
$(show_job "$id")"
done
check '[ "$(job_field "${ids[0]}" ExitCode)" = 75:0 ] && grep -q "run.max_wall_seconds reached" "$WORK/chain-${ids[0]}.out"' "the first chain job should stop on run.max_wall_seconds with exit code 75:0, got $(job_field "${ids[0]}" ExitCode):
$(show_job "${ids[0]}")"
check '[ "$(job_field "${ids[N - 1]}" JobState)" = COMPLETED ] && [ "$(job_field "${ids[0]}" Restarts)" = 0 ]' "the last chain job should complete, and chain jobs should not requeue themselves"
check 'same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$C/ckpt/round_0002.h5"' "the chained run's final checkpoint differs from the uninterrupted run"
finish
