#!/usr/bin/env bash
# The easy-to-hard experiment (EXPERIMENTS.md, "Easy-to-hard"): configs/easy-to-hard.json
# (reversed sums with mixed operand lengths, SFT on levels 2-4, round r's prompts at level 4 + r
# with a quarter replayed from lower levels). For each seed, one SFT of the 4 models, then the
# rounds of each configuration from those SFT models:
#   ens   4 models, a label is an answer at least 3 of the 4 give, with the length the prompt
#         implies
#   k1    1 model of the same SFT (model CONCORD_EXP_K1_MODEL, default 0: pick one whose SFT
#         converged), its own greedy answer as the label (length check only)
#   k1_sc the same model, self-consistency: 8 samples at temperature 1, the label is the answer at
#         least half of them give
#   dpo   4 models, DPO + NLL (chosen = the consensus answer, rejected = the most frequent
#         dissenting one; prompts without dissent give no pair), no replay
#   inpo  4 models, INPO + NLL on the same pairs
#   dpo_slow, inpo_slow  the same at a tenth of the learning rate (5e-5)
#   dpo_ep, inpo_ep      the same at lr 5e-4 with 2 passes over the round's pairs instead of 600
#                        steps (pairwise losses train only on prompts with a dissenting answer)
#   guard ens with the schedule guard: the next level only after at least half of the round's
#         prompts at its level kept a label (task.levels.advance_min_agreement = 0.5)
# No ground truth reaches training after SFT; label correctness is only measured.
# Writes runs/e2h-exp/<config>_s<seed>/ and table.md there: per round, the models' mean held-out
# greedy accuracy at each level and their plurality vote's, the kept labels' accuracy and the kept
# share.
# Environment: CONCORD_EXP_DIR (default runs/e2h-exp), CONCORD_EXP_SEEDS (default "1 2 3"),
#              CONCORD_EXP_CONFIGS (default "ens k1"; also k1_sc dpo inpo dpo_slow inpo_slow
#              dpo_ep inpo_ep guard),
#              CONCORD_EXP_ROUNDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
EXP=${CONCORD_EXP_DIR:-runs/e2h-exp}
SEEDS=${CONCORD_EXP_SEEDS:-1 2 3}
CONFIGS=${CONCORD_EXP_CONFIGS:-ens k1}
ROUNDS=${CONCORD_EXP_ROUNDS:-5}
CFG=configs/easy-to-hard.json
mkdir -p "$EXP"

declare -A SETS=(
  [ens]=""
  [k1]="ensemble.models=1"
  [k1_sc]="ensemble.models=1 generate.samples_per_prompt=8 generate.temperature=1 aggregate.min_agreement=0.5"
  [dpo]="train.loss=\"dpo\" train.nll_weight=1 train.replay=false"
  [inpo]="train.loss=\"inpo\" train.nll_weight=1 train.replay=false"
  [dpo_slow]="train.loss=\"dpo\" train.nll_weight=1 train.replay=false train.optimizer.lr=5e-5"
  [inpo_slow]="train.loss=\"inpo\" train.nll_weight=1 train.replay=false train.optimizer.lr=5e-5"
  [dpo_ep]="train.loss=\"dpo\" train.nll_weight=1 train.replay=false train.steps=0 train.epochs=2"
  [inpo_ep]="train.loss=\"inpo\" train.nll_weight=1 train.replay=false train.steps=0 train.epochs=2"
  [guard]="task.levels.advance_min_agreement=0.5"
)
declare -A NP=([ens]=4 [k1]=1 [k1_sc]=1 [dpo]=4 [inpo]=4 [dpo_slow]=4 [inpo_slow]=4 [dpo_ep]=4
              [inpo_ep]=4 [guard]=4)

for s in $SEEDS; do
    sft=$EXP/sft_s$s
    if [ ! -f "$sft/model_3/ckpt/round_0000.h5" ]; then
        echo "easy-to-hard experiment: SFT of the 4 models, seed $s"
        mpirun -np 4 build/concord sft "$CFG" --run-dir "$sft" --set run.seed=$s >"$sft.log" 2>&1
    fi
    for c in $CONFIGS; do
        dir=$EXP/${c}_s$s
        [ -f "$dir/metrics.jsonl" ] && [ "$(wc -l <"$dir/metrics.jsonl")" -gt "$ROUNDS" ] && continue
        args=()
        for kv in ${SETS[$c]}; do args+=(--set "$kv"); done
        init="$sft/model_{k}/ckpt/round_0000.h5"
        [ "${NP[$c]}" = 1 ] && init="$sft/model_${CONCORD_EXP_K1_MODEL:-0}/ckpt/round_0000.h5"
        echo "easy-to-hard experiment: config $c seed $s"
        mpirun -np "${NP[$c]}" build/concord run "$CFG" --run-dir "$dir" --set run.seed=$s \
            --set rounds.count="$ROUNDS" --set sft.steps=0 \
            --set model.init=\""$init"\" "${args[@]}" \
            >"$dir.log" 2>&1
    done
done

# ---- the table: per configuration, seed and round, accuracy by level and the labels ----
/usr/bin/python3 - "$EXP" "$ROUNDS" "$CONFIGS" $SEEDS >"$EXP/table.md" <<'PY'
import json, sys
exp, rounds, configs, seeds = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4:]
levels = None
rows = []
for c in configs:
    for s in seeds:
        try:
            lines = [json.loads(l) for l in open(f"{exp}/{c}_s{s}/metrics.jsonl")]
        except OSError:
            continue
        for m in lines:
            for what, key in (("mean", "accuracy_by_level"), ("vote", "vote_acc_by_level")):
                by = m.get(key) or {}
                levels = levels or sorted(by, key=int)
                pct = lambda x: "-" if x is None else "%.0f" % (100 * x)
                rows.append(f"| {c} | {s} | {m['round']} | {m.get('level', '-')} | {what} | "
                            + " | ".join(pct(by.get(l)) for l in levels)
                            + f" | {pct(m.get('label_accuracy'))} | {pct(m.get('kept_fraction'))} |")
print("| config | seed | round | round's level | models | " +
      " | ".join(f"level {l}" for l in levels or []) + " | kept labels right | kept share |")
print("|" + " --- |" * (7 + len(levels or [])))
print("\n".join(rows))
PY
cat "$EXP/table.md"
