#!/usr/bin/env bash
# The ensemble experiment (EXPERIMENTS.md, "Ensemble self-training"): on the default recipe
# (configs/default.json: 2-digit addition with both operands 10..99), for each seed, one SFT of
# the 4 models, then 3 rounds of each configuration from those SFT models:
#   ens       4 models, labels = answers at least 3 of 4 models agree on, likelihood training
#   others    the same, each model learning the other 3 models' unanimous answer (co-training)
#   k1        1 model (model 0 of the same SFT), its own greedy answer as the label (no filter)
#   k1_sc     1 model, self-consistency: 8 samples at temperature 1, the majority answer when at
#             least half the samples give it
#   dpo       4 models, DPO + NLL (chosen = the consensus answer, rejected = the most frequent
#             dissenting answer; prompts without dissent give no pair)
#   inpo      4 models, INPO + NLL on the same pairs
# No ground truth reaches training after SFT: the oracle judge is never configured; label
# correctness is only measured. Writes runs/ensemble-exp/<config>_s<seed>/ and table.md there.
# Environment: CONCORD_EXP_DIR (default runs/ensemble-exp), CONCORD_EXP_SEEDS (default "1 2 3"),
#              CONCORD_EXP_CONFIGS (default "ens others k1 k1_sc dpo inpo").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
EXP=${CONCORD_EXP_DIR:-runs/ensemble-exp}
SEEDS=${CONCORD_EXP_SEEDS:-1 2 3}
CONFIGS=${CONCORD_EXP_CONFIGS:-ens k1 k1_sc dpo inpo others}
CFG=configs/default.json
mkdir -p "$EXP"

declare -A SETS=(
  [ens]=""
  [others]="ensemble.labels=\"others\""
  [k1]="ensemble.models=1"
  [k1_sc]="ensemble.models=1 generate.samples_per_prompt=8 generate.temperature=1 aggregate.min_agreement=0.5"
  [dpo]="train.loss=\"dpo\" train.nll_weight=1 train.replay=false"
  [inpo]="train.loss=\"inpo\" train.nll_weight=1 train.replay=false"
)
declare -A NP=([ens]=4 [others]=4 [k1]=1 [k1_sc]=1 [dpo]=4 [inpo]=4)

for s in $SEEDS; do
    sft=$EXP/sft_s$s
    if [ ! -f "$sft/model_3/ckpt/round_0000.h5" ]; then
        echo "ensemble experiment: SFT of the 4 models, seed $s"
        mpirun -np 4 build/concord sft "$CFG" --run-dir "$sft" --set run.seed=$s >"$sft.log" 2>&1
    fi
    for c in $CONFIGS; do
        dir=$EXP/${c}_s$s
        [ -f "$dir/metrics.jsonl" ] && [ "$(wc -l <"$dir/metrics.jsonl")" -ge 4 ] && continue
        args=()
        for kv in ${SETS[$c]}; do args+=(--set "$kv"); done
        init="$sft/model_{k}/ckpt/round_0000.h5"
        echo "ensemble experiment: config $c seed $s"
        mpirun -np "${NP[$c]}" build/concord run "$CFG" --run-dir "$dir" --set run.seed=$s \
            --set sft.steps=0 --set model.init=\"$init\" "${args[@]}" >"$dir.log" 2>&1
    done
done

# ---- the table: mean and spread (min..max) over seeds, per configuration and round ----
stat() {  # stat KEY ROUND CONFIG -> "mean (min..max)"
    /usr/bin/python3 - "$EXP" "$3" "$2" "$1" $SEEDS <<'EOF'
import json, sys
exp, conf, rnd, key, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
xs = []
for s in seeds:
    try:
        for line in open(f"{exp}/{conf}_s{s}/metrics.jsonl"):
            m = json.loads(line)
            if m.get("round") == rnd and m.get(key) is not None:
                xs.append(m[key])
    except OSError:
        pass
print("-" if not xs else "%.3f (%.3f..%.3f)" % (sum(xs) / len(xs), min(xs), max(xs)))
EOF
}
{
    echo "| config | round | mean greedy acc of the models | vote acc | kept labels right | kept fraction |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for c in $CONFIGS; do
        for r in 0 1 2 3; do
            echo "| $c | $r | $(stat greedy_acc $r $c) | $(stat vote_acc $r $c) | $(stat label_accuracy $r $c) | $(stat kept_fraction $r $c) |"
        done
    done
} >"$EXP/table.md"
cat "$EXP/table.md"
