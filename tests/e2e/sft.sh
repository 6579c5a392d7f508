#!/usr/bin/env bash
# SFT warm-up on a trivial task (1-digit addition, a 2-layer C=64 model): training lowers the loss
# and reaches at least 50% greedy accuracy on held-out prompts (random weights: under 20%).
source "$(dirname "$0")/lib.sh"
SETS=(--set task.arith.operators=+ --set model.n_embd=64 --set sft.lr=0.003 --set sft.batch_size=32)
sft() {  # sft DIR STEPS
    timeout 300 mpirun -np 2 "$CONCORD" sft "$TINY" --run-dir "$1" --set sft.steps="$2" "${SETS[@]}" \
        >"$1.out" 2>"$1.err"
}
val() { sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" "$1/metrics.jsonl" | head -1; }
check 'sft "$WORK/s0" 0' "SFT with 0 steps failed"
check 'sft "$WORK/s50" 50' "SFT with 50 steps failed"
check 'sft "$WORK/s400" 400' "SFT with 400 steps failed: $(tail -3 "$WORK/s400.err")"
g0=$(val "$WORK/s0" greedy_acc)
g=$(val "$WORK/s400" greedy_acc)
l50=$(val "$WORK/s50" loss)
l400=$(val "$WORK/s400" loss)
echo "greedy accuracy: random init $g0, after 400 steps $g; mean loss: 50 steps $l50, 400 steps $l400"
check 'awk -v a="$g0" "BEGIN{exit !(a < 0.2)}"' "random weights should not solve the task ($g0)"
check 'awk -v a="$g" "BEGIN{exit !(a >= 0.5)}"' "400 SFT steps should reach 50% greedy accuracy ($g)"
check 'awk -v a="$l400" -v b="$l50" "BEGIN{exit !(a < b)}"' "the loss should fall with training ($l50 -> $l400)"
check '[ -s "$WORK/s400/ckpt/round_0000.h5" ]' "the SFT model round_0000.h5 is missing"
finish
