#!/usr/bin/env bash
# Every loss and every aggregation mode runs a round end to end (2 ranks, 1 round).
source "$(dirname "$0")/lib.sh"
for loss in dpo cdpo rdpo ipo inpo sppo; do
    D=$WORK/loss_$loss
    check "run 2 $D --set rounds.count=1 --set train.loss=$loss" "loss $loss failed: \$(tail -3 $D.err)"
    check "grep -q '\"loss_kind\":\"$loss\"' $D/metrics.jsonl" "loss $loss: metrics"
done
D=$WORK/nll
check "run 2 $D --set rounds.count=1 --set train.nll_weight=0.5" "NLL term failed"
D=$WORK/scir
check "run 2 $D --set train.scir_weight=1 --set train.scir_entropy=0.1" "SCIR penalty failed: \$(tail -3 $D.err)"
check "grep -q '\"round\":2,.*\"scir_penalty\":[0-9]' $D/metrics.jsonl" "SCIR: penalty not reported"
J='[{"name":"llm_judge"},{"name":"implicit"},{"name":"self_consistency"},{"name":"likelihood"},{"name":"prev_round","options":{"of":"llm_judge"}}]'
for mode in single mean majority unanimous cream; do
    for ties in drop soft; do
        D=$WORK/agg_${mode}_$ties
        check "run 2 $D --set rounds.count=2 --set 'judges=$J' --set aggregate.mode=$mode --set aggregate.judge=llm_judge --set aggregate.ties=$ties --set aggregate.pairs=all" \
              "aggregation $mode/$ties failed: \$(tail -3 $D.err)"
        check "grep -q '\"aggregate_mode\":\"$mode\"' $D/metrics.jsonl" "aggregation $mode: metrics"
    done
done
finish
