# slurm/launch.sh — sourced by the batch scripts (concord.sbatch, sweep.sbatch); defines
# concord_launch, which runs one `concord run` inside the job allocation and turns concord's exit
# status into Slurm actions:
#
#   concord_launch CONFIG RUN_DIR [concord run arguments...]
#
# - Threads: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and run.blas_threads come from
#   SLURM_CPUS_PER_TASK (1 when unset).
# - Wall clock: run.max_wall_seconds is set to the job's time limit minus CONCORD_WALL_MARGIN
#   seconds (default 300); concord counts it from SLURM_JOB_START_TIME, so a requeued job gets a
#   fresh budget. Arguments given after RUN_DIR come later on the command line and win.
# - Launcher (CONCORD_LAUNCHER): srun (srun --mpi=pmix, the default when Slurm has PMIx),
#   mpirun (Open MPI's mpirun inside the allocation, for sites whose Slurm lacks PMIx; it reads
#   the node list from Slurm), or auto (the default: srun if `srun --mpi=list` names pmix,
#   else mpirun). CONCORD_SRUN_MPI picks another srun MPI plugin (e.g. pmix_v4).
# - Signals: `#SBATCH --signal=B:USR1@SECONDS` signals only this batch shell, so a trap forwards
#   SIGUSR1 to the launcher process (srun and mpirun both pass SIGUSR1 on to every rank, on every
#   node). SIGTERM to the batch shell (scancel, preemption, the time limit) is forwarded as
#   SIGUSR1 too: a SIGTERM to srun or mpirun would make them kill the ranks at once instead of
#   letting concord checkpoint. concord's ranks agree at the next step boundary, write a
#   checkpoint and exit with status 75.
# - Exit status 75 (checkpointed, run again) after SIGUSR1 (the time-limit warning, or
#   `scancel --signal=USR1 --batch JOBID` by hand): `scontrol requeue $SLURM_JOB_ID` puts the job
#   back in the queue under the same job id (so the same run directory) unless CONCORD_REQUEUE=0
#   (slurm/chain.sh sets it: the next job of the chain resumes instead); concord_launch then
#   returns 0, or 75 when the requeue was refused. After a SIGTERM the job is not requeued: a
#   plain scancel means "stop", and Slurm requeues preempted jobs itself where the site's
#   PreemptMode says so (the job must still be within KillWait, 30 s by default, of the SIGTERM
#   to finish its checkpoint). Status 0 returns 0; any other status is
#   returned unchanged, after cancelling the pending jobs named $CONCORD_CHAIN_NAME when that is
#   set (slurm/chain.sh: the rest of a chain would fail the same way).
# Needs: CONCORD_BIN (the concord executable).

concord_log() { echo "concord-slurm [$(date '+%F %T')] $*"; }

# Seconds in a Slurm time string (D-HH:MM:SS, HH:MM:SS, MM:SS, MM); fails for UNLIMITED.
concord_seconds() {
    local t=$1 d=0 h=0 m=0 s=0
    local -a f
    case $t in *[!0-9:-]* | "") return 1 ;; esac
    if [[ $t == *-* ]]; then
        d=${t%%-*}
        t=${t#*-}
    fi
    IFS=: read -r -a f <<<"$t"
    case ${#f[@]} in
    3) h=${f[0]} m=${f[1]} s=${f[2]} ;;
    2) if [ "$d" != 0 ]; then h=${f[0]} m=${f[1]}; else m=${f[0]} s=${f[1]}; fi ;;
    1) if [ "$d" != 0 ]; then h=${f[0]}; else m=${f[0]}; fi ;;
    *) return 1 ;;
    esac
    echo $(((10#$d * 24 + 10#$h) * 3600 + 10#$m * 60 + 10#$s))
}

# Exports SLURM_JOB_START_TIME (unix seconds), the origin of concord's run.max_wall_seconds.
# Slurm sets it from version 23.02 on; for older versions it is read from squeue.
concord_job_start() {
    local start
    [ -z "${SLURM_JOB_START_TIME:-}" ] && [ -n "${SLURM_JOB_ID:-}" ] || return 0
    start=$(squeue -h -j "$SLURM_JOB_ID" -o %S 2>/dev/null | head -n1)
    if start=$(date -d "$start" +%s 2>/dev/null); then export SLURM_JOB_START_TIME=$start; fi
}

# Prints run.max_wall_seconds for this job (time limit minus margin); fails when there is none.
concord_wall_budget() {
    local limit secs margin=${CONCORD_WALL_MARGIN:-300}
    [ -n "${SLURM_JOB_ID:-}" ] || return 1
    limit=$(squeue -h -j "$SLURM_JOB_ID" -o %l 2>/dev/null | head -n1) || return 1
    secs=$(concord_seconds "$limit") || return 1
    [ "$secs" -gt "$margin" ] || return 1
    echo $((secs - margin))
}

_concord_forward() {
    concord_log "received SIG$1; forwarding SIGUSR1 to the ranks (checkpoint, then exit 75)"
    _CONCORD_SIGNALLED=1
    _CONCORD_WOKE=1
    if [ "$1" = TERM ]; then _CONCORD_TERM=1; fi
    if [ -n "${_CONCORD_CHILD:-}" ]; then kill -USR1 "$_CONCORD_CHILD" 2>/dev/null || true; fi
}

concord_launch() {
    local config=$1 run_dir=$2
    shift 2
    local threads=${SLURM_CPUS_PER_TASK:-1} launcher=${CONCORD_LAUNCHER:-auto} wall st
    export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads
    local -a args=(run "$config" --run-dir "$run_dir" --set "run.blas_threads=$threads")
    concord_job_start
    if wall=$(concord_wall_budget); then args+=(--set "run.max_wall_seconds=$wall"); fi
    args+=("$@")
    if [ "$launcher" = auto ]; then
        launcher=mpirun
        if srun --mpi=list 2>&1 | grep -qw pmix; then launcher=srun; fi
    fi
    local -a cmd
    case $launcher in
    srun) cmd=(srun --mpi="${CONCORD_SRUN_MPI:-pmix}" --cpus-per-task="$threads" "$CONCORD_BIN") ;;
    mpirun)
        cmd=(mpirun -np "${SLURM_NTASKS:?SLURM_NTASKS is unset: give --ntasks or --ntasks-per-node}")
        if [ "$threads" -gt 1 ]; then cmd+=(--bind-to none); fi
        cmd+=("$CONCORD_BIN")
        ;;
    *)
        concord_log "CONCORD_LAUNCHER must be srun, mpirun or auto, not '$launcher'"
        return 2
        ;;
    esac
    mkdir -p "$(dirname "$run_dir")"
    concord_log "job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-?}: ${cmd[*]} ${args[*]}"
    _CONCORD_SIGNALLED=0
    _CONCORD_TERM=0
    _CONCORD_CHILD=
    trap '_concord_forward USR1' USR1
    trap '_concord_forward TERM' TERM
    "${cmd[@]}" "${args[@]}" &
    _CONCORD_CHILD=$!
    if [ "$_CONCORD_SIGNALLED" = 1 ]; then kill -USR1 "$_CONCORD_CHILD" 2>/dev/null || true; fi
    # `wait` returns early (status > 128) whenever a trapped signal arrives; wait again until the
    # launcher itself has ended, then read its real exit status.
    local prev=0
    while :; do
        _CONCORD_WOKE=0
        wait "$_CONCORD_CHILD"
        st=$?
        if [ "$st" -eq 127 ] && [ "$prev" -gt 128 ]; then st=$prev; fi  # it had ended after all
        if [ "$st" -le 128 ] || [ "$_CONCORD_WOKE" != 1 ]; then break; fi
        prev=$st
    done
    trap - USR1 TERM
    case $st in
    0)
        concord_log "finished: $run_dir"
        return 0
        ;;
    75)
        if [ "$_CONCORD_TERM" = 1 ]; then
            concord_log "checkpointed after SIGTERM (scancel, preemption or the time limit); not requeued: submit again to resume from $run_dir"
        elif [ "${CONCORD_REQUEUE:-1}" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
            if scontrol requeue "$SLURM_JOB_ID"; then
                concord_log "checkpointed; requeued job $SLURM_JOB_ID (it resumes from $run_dir/ckpt/LATEST)"
                return 0
            fi
            concord_log "checkpointed, but Slurm refused the requeue; submit again to resume from $run_dir"
        else
            concord_log "checkpointed (exit 75); the next job on $run_dir resumes from ckpt/LATEST"
        fi
        return 75
        ;;
    *)
        concord_log "concord failed with exit status $st; see the messages above"
        if [ -n "${CONCORD_CHAIN_NAME:-}" ]; then  # the chain's later jobs would fail the same way
            concord_log "cancelling the pending jobs of chain $CONCORD_CHAIN_NAME"
            scancel --state=PENDING --name="$CONCORD_CHAIN_NAME" --user="$(id -un)" || true
        fi
        return "$st"
        ;;
    esac
}
