#!/usr/bin/env bash
# slurm/chain.sh — a run longer than one allocation: N dependent jobs on one run directory.
#
#   slurm/chain.sh [SBATCH OPTIONS] N CONFIG [RUN_DIR] [concord run arguments...]
#   slurm/chain.sh --time=12:00:00 --nodes=4 5 configs/big.json runs/big --set rounds.count=20
#
# Submits N copies of slurm/concord.sbatch; job k+1 depends on job k with `afterany`, so it
# starts whatever way job k ended. Every job resumes from RUN_DIR/ckpt/LATEST (default
# runs/<config name>-chain-<date>-<time>), stops itself before its time limit (the USR1 warning
# or run.max_wall_seconds) with a checkpoint, and exits 75 without requeueing
# (CONCORD_REQUEUE=0), which lets the next job start. Jobs that start after the run has finished
# see a complete run directory and end at once with status 0. If concord fails (bad input, a
# crash), that job cancels the chain's pending jobs, which share the job name printed below.
# SBATCH OPTIONS (written --name=value, before N) go to every sbatch call and override
# concord.sbatch's #SBATCH lines, as do SBATCH_* variables (`man sbatch`, "INPUT ENVIRONMENT
# VARIABLES"). Run it from the repository root (or set CONCORD_HOME). Prints the job ids.
set -euo pipefail

usage() {
    echo "usage: $0 [SBATCH OPTIONS] N CONFIG [RUN_DIR] [concord run arguments...]" >&2
    exit 2
}
opts=()
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
    opts+=("$1")
    shift
done
[ $# -ge 2 ] || usage
N=$1
CONFIG=$2
shift 2
case $N in '' | *[!0-9]* | 0) echo "chain.sh: N must be a positive integer, not '$N'" >&2; exit 2 ;; esac
[ -r "$CONFIG" ] || { echo "chain.sh: cannot read the config file '$CONFIG'" >&2; exit 2; }
name=$(basename "$CONFIG" .json)
RUN_DIR=runs/$name-chain-$(date +%Y%m%d-%H%M%S)
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    RUN_DIR=$1
    shift
fi
CONFIG=$(realpath "$CONFIG")
RUN_DIR=$(realpath -m "$RUN_DIR")
export CONCORD_HOME=${CONCORD_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
chain=concord-chain-$(basename "$RUN_DIR")-$$
dep=()
ids=()
for _ in $(seq 1 "$N"); do
    id=$(sbatch --parsable --job-name="$chain" "${opts[@]}" "${dep[@]}" \
        --export=ALL,RUN_DIR="$RUN_DIR",CONCORD_REQUEUE=0,CONCORD_CHAIN_NAME="$chain" \
        "$CONCORD_HOME/slurm/concord.sbatch" "$CONFIG" "$@")
    id=${id%%;*}  # --parsable prints "id" or "id;cluster"
    ids+=("$id")
    dep=(--dependency=afterany:"$id")
done
echo "chain $chain: jobs ${ids[*]} on run directory $RUN_DIR"
