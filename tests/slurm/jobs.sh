#!/usr/bin/env bash
# Batch jobs on a real single-node Slurm cluster (slurm/local-cluster.sh): slurm/concord.sbatch
# runs the tiny config to the end with srun --mpi=pmix on 4 ranks, and gives the same final
# checkpoint with the mpirun launcher; a bad config fails the job with concord's status 2 and no
# requeue; slurm/sweep.sbatch runs a two-task job array, one run directory each.
source "$(dirname "$0")/lib.sh"
start_cluster
JOB_OPTS=(--nodes=1 --ntasks-per-node=4 --time=10:00)

# (1) srun --mpi=pmix, 4 ranks, 2 rounds.
D=$WORK/srun
id=$(RUN_DIR=$D submit "${JOB_OPTS[@]}" --output="$WORK/srun-%j.out" -- "$SRC/slurm/concord.sbatch" "$TINY")
st=$(wait_job "$id" 180) || true
require '[ "$st" = COMPLETED ]' "the srun job should complete, state $st:
$(show_job "$id")"
check '[ "$(job_field "$id" ExitCode)" = 0:0 ] && [ "$(job_field "$id" Restarts)" = 0 ]' "srun job: exit code $(job_field "$id" ExitCode), restarts $(job_field "$id" Restarts)"
check 'grep -q "srun --mpi=pmix" "$WORK/srun-$id.out" && grep -q "concord run: 4 ranks" "$WORK/srun-$id.out"' "the job should launch 4 ranks with srun --mpi=pmix"
check '[ "$(wc -l <"$D/metrics.jsonl")" -eq 3 ]' "metrics.jsonl should have 3 lines (SFT and 2 rounds)"
check '[ "$(cat "$D/ckpt/LATEST")" = round_0002.h5 ]' "LATEST should name round_0002.h5, not $(cat "$D/ckpt/LATEST" 2>/dev/null)"
for f in ckpt/round_0000.h5 ckpt/round_0001.h5 ckpt/round_0002.h5 prefs/round_0001.h5 prefs/round_0002.h5 config.json; do
    check '[ -s "$D/$f" ]' "the run directory lacks $f"
done
check 'has "$D/ckpt/round_0002.h5" /model && has "$D/ckpt/round_0002.h5" /state' "the final checkpoint lacks /model or /state"

# (2) the mpirun fallback inside the allocation gives the same run.
M=$WORK/mpirun
id=$(RUN_DIR=$M CONCORD_LAUNCHER=mpirun submit "${JOB_OPTS[@]}" --output="$WORK/mpirun-%j.out" -- "$SRC/slurm/concord.sbatch" "$TINY")
st=$(wait_job "$id" 180) || true
check '[ "$st" = COMPLETED ]' "the mpirun-launcher job should complete, state $st:
$(show_job "$id")"
check 'grep -q "mpirun -np 4" "$WORK/mpirun-$id.out"' "CONCORD_LAUNCHER=mpirun should launch with mpirun -np 4"
check 'same_ckpt "$D/ckpt/round_0002.h5" "$M/ckpt/round_0002.h5"' "srun and mpirun runs should end with identical checkpoints"
check 'same_prefs "$D/prefs/round_0002.h5" "$M/prefs/round_0002.h5"' "srun and mpirun runs should write identical round files"

# (3) bad input: the job fails with concord's status 2 and is not requeued.
id=$(RUN_DIR=$WORK/bad submit "${JOB_OPTS[@]}" --output="$WORK/bad-%j.out" -- "$SRC/slurm/concord.sbatch" "$WORK/missing.json")
st=$(wait_job "$id" 120) || true
check '[ "$st" = FAILED ] && [ "$(job_field "$id" ExitCode)" = 2:0 ] && [ "$(job_field "$id" Restarts)" = 0 ]' "a missing config should fail the job with exit code 2:0 and no requeue, got $st $(job_field "$id" ExitCode) restarts $(job_field "$id" Restarts)"
check 'grep -q "missing.json" "$WORK/bad-$id.out"' "the job log should name the missing config"

# (4) a two-task sweep (job array), 2 ranks each, one run directory per line.
cat >"$WORK/sweep.txt" <<EOF
# name config arguments
ipo  $TINY --set train.loss=ipo --set rounds.count=1

mean $TINY --set aggregate.mode=mean --set rounds.count=1
EOF
id=$(SWEEP_DIR=$WORK/sweep submit --array=0-1 --nodes=1 --ntasks-per-node=2 --time=10:00 --output="$WORK/sweep-%A_%a.out" -- "$SRC/slurm/sweep.sbatch" "$WORK/sweep.txt")
for t in 0 1; do
    st=$(wait_job "${id}_$t" 180) || true
    check '[ "$st" = COMPLETED ]' "sweep task $t should complete, state $st:
$(show_job "${id}_$t")"
done
check '[ "$(wc -l <"$WORK/sweep/ipo/metrics.jsonl")" -eq 2 ] && grep -q "\"loss_kind\":\"ipo\"" "$WORK/sweep/ipo/metrics.jsonl"' "sweep run ipo: metrics"
check '[ "$(wc -l <"$WORK/sweep/mean/metrics.jsonl")" -eq 2 ] && grep -q "\"aggregate_mode\":\"mean\"" "$WORK/sweep/mean/metrics.jsonl"' "sweep run mean: metrics"
finish
