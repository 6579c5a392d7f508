#!/usr/bin/env bash
# The consistency experiment (README "Experiment"): on the built-in task with the default model,
# for 3 seeds, one SFT warm-up per seed and then 3 self-rewarding rounds of each configuration:
#   a  DPO, llm_judge alone                (Self-Rewarding LM baseline)
#   b  DPO, self_consistency alone         (sharpening)
#   c  DPO, SCIR unanimous filter over llm_judge + implicit + self_consistency
#   d  soft-label DPO with the CREAM consistency weight (llm_judge vs its prev_round partner)
#   e  INPO with the unanimous filter of c
# No ground truth reaches training in any of them (the oracle judge is never configured; ground
# truth only measures). Writes runs/experiment/<config>_s<seed>/ and EXPERIMENTS.md's table.
# Environment: CONCORD_EXP_DIR (default runs/experiment), CONCORD_EXP_NP (ranks, default 2),
#              CONCORD_EXP_SEEDS (default "1 2 3").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
EXP=${CONCORD_EXP_DIR:-runs/experiment}
NP=${CONCORD_EXP_NP:-2}
SEEDS=${CONCORD_EXP_SEEDS:-1 2 3}
CFG=configs/srlm-2digit.json
mkdir -p "$EXP"

J3='[{"name":"llm_judge"},{"name":"implicit"},{"name":"self_consistency"}]'
JC='[{"name":"llm_judge"},{"name":"prev_round","weight":0,"options":{"of":"llm_judge"}}]'
declare -A SETS=(
  [a]="judges=[{\"name\":\"llm_judge\"}] aggregate.mode=single aggregate.judge=llm_judge"
  [b]="judges=[{\"name\":\"self_consistency\"}] aggregate.mode=single aggregate.judge=self_consistency"
  [c]="judges=$J3 aggregate.mode=unanimous"
  [d]="judges=$JC aggregate.mode=cream aggregate.judge=llm_judge train.loss=cdpo train.eps=0"
  [e]="judges=$J3 aggregate.mode=unanimous train.loss=inpo"
)
run() { mpirun -np "$NP" build/concord "$@"; }

for s in $SEEDS; do
    sft=$EXP/sft_s$s
    echo "experiment: SFT seed $s"
    run sft "$CFG" --run-dir "$sft" --set run.seed=$s >"$sft.log" 2>&1
    for c in a b c d e; do
        dir=$EXP/${c}_s$s
        args=()
        for kv in ${SETS[$c]}; do args+=(--set "$kv"); done
        echo "experiment: config $c seed $s"
        run run "$CFG" --run-dir "$dir" --set run.seed=$s --set sft.steps=0 \
            --set model.init="$sft/ckpt/round_0000.h5" "${args[@]}" >"$dir.log" 2>&1
    done
done

# ---- the table: mean and spread (min..max) over seeds, per configuration and round ----
val() {  # val FILE ROUND KEY -> the number (or empty)
    grep "\"round\":$2," "$1" | head -1 | sed -n "s/.*\"$3\":\([-0-9.eE+]*\).*/\1/p"
}
stat() {  # stat KEY ROUND CONFIG -> "mean (min..max)"
    local xs=() f v
    for s in $SEEDS; do
        f=$EXP/${3}_s$s/metrics.jsonl
        v=$(val "$f" "$2" "$1")
        [ -n "$v" ] && xs+=("$v")
    done
    [ ${#xs[@]} -eq 0 ] && { echo "-"; return; }
    printf '%s\n' "${xs[@]}" | awk '{s+=$1; if(NR==1||$1<lo)lo=$1; if(NR==1||$1>hi)hi=$1}
        END{printf "%.3f (%.3f..%.3f)", s/NR, lo, hi}'
}
{
    echo "| config | round | greedy acc | maj@8 acc | judge acc (held-out) | judge acc (own answers) | label acc (kept) | kept fraction | judge agreement |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for c in a b c d e; do
        for r in 0 1 2 3; do
            echo "| $c | $r | $(stat greedy_acc $r $c) | $(stat maj_acc $r $c) | $(stat judge_acc $r $c) | $(stat judge_self_acc $r $c) | $(stat label_accuracy $r $c) | $(stat kept_fraction $r $c) | $(stat judge_agreement $r $c) |"
        done
    done
    echo
    echo "Label accuracy of each single judge on configuration c's candidate pairs (same pairs):"
    echo
    echo "| round | c (unanimous, kept) | llm_judge | implicit | self_consistency |"
    echo "| --- | --- | --- | --- | --- |"
    for r in 1 2 3; do
        echo "| $r | $(stat label_accuracy $r c) | $(stat label_accuracy_llm_judge $r c) | $(stat label_accuracy_implicit $r c) | $(stat label_accuracy_self_consistency $r c) |"
    done
} >"$EXP/table.md"
cat "$EXP/table.md"
