#!/usr/bin/env bash
# MPI scaling on one many-core node: for each NP in the list, prints JSON lines for
#   1. "round": round throughput of the default config (random init, round 2 measured; the
#      training batch grows with np, 8 pairs per learner, as in bench/README.md's estimate);
#   2. "allreduce" (np > 1): MPI_Allreduce and concord's deterministic all-reduce, 8 B..64 MiB;
#   3. "allreduce_exposed" (np > 1): the `small` model's exposed all-reduce share of
#      forward+backward time, 8 pairs per learner, 16 steps (aggregate.mode = single keeps one
#      pair per prompt, so the step count does not depend on the judges' agreement).
#      Also prints learner_imbalance_share: the part of that wait owed to learners finishing their
#      backward at different times (slowest learner's time minus this one's, summed over steps).
# Usage: bench/scaling.sh [BUILD_DIR] [NP...]      (default NPs: 1 2 4 8 16; runs in a temp dir)
# CONCORD_SCALING_WHAT selects measurements (default "round allreduce exposed").
# One OpenBLAS thread per rank. CONCORD_MPIRUN_ARGS adds mpirun options (e.g. "--bind-to core";
# Open MPI 4.1 binds to cores at np <= 2 and to the socket above).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
shift || true
NPS=${*:-1 2 4 8 16}
MPIRUN_ARGS=${CONCORD_MPIRUN_ARGS:-}
WHAT=" ${CONCORD_SCALING_WHAT:-round allreduce exposed} "
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d /tmp/concord-scaling.XXXXXX)
trap 'rm -rf "$W"' EXIT
num() { sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" <<<"$1"; }

for np in $NPS; do
  if [[ $WHAT == *" round "* ]]; then
    mpirun $MPIRUN_ARGS -np "$np" "$B/concord" run configs/default.json --run-dir "$W/round$np" \
        --set sft.steps=0 --set rounds.count=2 --set train.batch_pairs=$((8 * np)) \
        >"$W/round$np.log" 2>&1 || { cat "$W/round$np.log" >&2; exit 1; }
    line=$(grep '"round":2,' "$W/round$np/metrics.jsonl")
    total=0
    phases=""
    for ph in generate judge aggregate train eval; do
        total=$(awk -v a="$total" -v b="$(num "$line" "$ph")" 'BEGIN{print a+b}')
        phases="$phases, \"$ph\": $(num "$line" "$ph")"
    done
    echo "{\"what\": \"round\", \"np\": $np, \"prompts\": 1024, \"batch_pairs\": $((8 * np)), \"train_steps\": $(num "$line" train_steps), \"round_seconds\": $total$phases, \"prompts_per_s\": $(awk -v t="$total" 'BEGIN{printf "%.2f", 1024/t}')}"
  fi
  [ "$np" -gt 1 ] || continue
  if [[ $WHAT == *" allreduce "* ]]; then
    mpirun $MPIRUN_ARGS -np "$np" "$B/concord-allreduce" --impl all 2>"$W/allreduce$np.log" ||
        { cat "$W/allreduce$np.log" >&2; exit 1; }
  fi
  if [[ $WHAT == *" exposed "* ]]; then
    mpirun $MPIRUN_ARGS -np "$np" "$B/concord" run configs/default.json --run-dir "$W/small$np" \
        --set sft.steps=0 --set rounds.count=1 --set model.n_embd=384 --set model.n_layer=6 \
        --set model.n_head=6 --set aggregate.mode=single \
        --set task.prompts_per_round=$((128 * np)) --set train.batch_pairs=$((8 * np)) \
        >"$W/small$np.log" 2>&1 || { cat "$W/small$np.log" >&2; exit 1; }
    line=$(grep '"round":1,' "$W/small$np/metrics.jsonl")
    echo "{\"what\": \"allreduce_exposed\", \"model\": \"small\", \"np\": $np, \"exposed_share_of_backward\": $(num "$line" allreduce_exposed_share), \"learner_imbalance_share\": $(num "$line" learner_imbalance_share), \"train_steps\": $(num "$line" train_steps), \"train_seconds\": $(num "$line" train)}"
  fi
done
