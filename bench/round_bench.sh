#!/usr/bin/env bash
# Round throughput of `concord run` (prompts per second through generate, judge, aggregate,
# train and eval) at np = 1 and np = 2, and the exposed gradient all-reduce time as a share of
# forward+backward time for the `small` model (C=384, L=6) at np = 2. Prints one JSON line per
# measurement. The model starts from random weights (sft.steps = 0): quality does not matter here,
# and every response runs to generate.max_new_tokens, the slowest case.
# Usage: bench/round_bench.sh [BUILD_DIR]      (runs in a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d /tmp/concord-roundbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
num() { sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" <<<"$1"; }

for np in 1 2; do
    mpirun -np $np "$B/concord" run configs/default.json --run-dir "$W/np$np" --set sft.steps=0 \
        --set rounds.count=2 >"$W/np$np.log" 2>&1
    line=$(grep '"round":2,' "$W/np$np/metrics.jsonl")
    total=0
    phases=""
    for ph in generate judge aggregate train eval; do
        total=$(awk -v a="$total" -v b="$(num "$line" "$ph")" 'BEGIN{print a+b}')
        phases="$phases, \"$ph\": $(num "$line" "$ph")"
    done
    P=$(grep -o '"prompts_per_round": *[0-9]*' "$W/np$np/config.json" | grep -o '[0-9]*$')
    echo "{\"what\": \"round\", \"np\": $np, \"prompts\": $P, \"round_seconds\": $total$phases, \"prompts_per_s\": $(awk -v p="$P" -v t="$total" 'BEGIN{printf "%.2f", p/t}')}"
done

mpirun -np 2 "$B/concord" run configs/default.json --run-dir "$W/small" --set sft.steps=0 \
    --set rounds.count=1 --set model.n_embd=384 --set model.n_layer=6 --set model.n_head=6 \
    --set task.prompts_per_round=256 --set train.batch_pairs=16 >"$W/small.log" 2>&1
line=$(grep '"round":1,' "$W/small/metrics.jsonl")
echo "{\"what\": \"allreduce_exposed\", \"model\": \"small\", \"np\": 2, \"exposed_share_of_backward\": $(num "$line" allreduce_exposed_share), \"train_steps\": $(num "$line" train_steps)}"
