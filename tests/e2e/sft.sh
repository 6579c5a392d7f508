#!/usr/bin/env bash
# SFT warm-up on a trivial task (1-digit addition, a 2-layer C=64 model): training lowers the loss
# and reaches at least 50% greedy accuracy on held-out prompts (random weights: under 20%).
# sft.stop_at_accuracy ends it at the first validation check that reaches the target, and a run
# killed before that check and resumed stops at the same step with the same weights; with
# sft.stop_at_judge_accuracy as well it stops only where both targets are reached.
source "$(dirname "$0")/lib.sh"
SETS=(--set task.arith.operators=+ --set model.n_embd=64 --set sft.lr=0.003 --set sft.batch_size=32)
sft() {  # sft DIR STEPS [concord args...]
    local dir=$1 steps=$2
    shift 2
    timeout 300 mpirun -np 2 "$CONCORD" sft "$TINY" --run-dir "$dir" --set sft.steps="$steps" \
        "${SETS[@]}" "$@" >"$dir.out" 2>"$dir.err"
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

STOP=(--set sft.stop_at_accuracy=0.2 --set sft.stop_at_judge_accuracy=0 --set sft.check_every=20 --set sft.n_instruction=70
      --set sft.n_validation=20 --set task.eval_prompts=10 --set checkpoint.every=20)
check 'sft "$WORK/st" 400 "${STOP[@]}"' "SFT with stop_at_accuracy failed: $(tail -3 "$WORK/st.err")"
n=$(val "$WORK/st" sft_steps)
v=$(val "$WORK/st" sft_validation_acc)
echo "stop_at_accuracy 0.2: stopped after $n of 400 steps at validation accuracy $v"
check '[ -n "$n" ] && [ "$n" -lt 400 ] && [ $((n % 20)) -eq 0 ]' "SFT should stop at a check before step 400 (sft_steps $n)"
check 'awk -v a="$v" "BEGIN{exit !(a >= 0.2)}"' "it stopped below the target ($v)"
check 'grep -q "validation greedy accuracy" "$WORK/st.out" "$WORK/st.err"' "no validation log line"
k=$((n - 10))  # killed between the last two checks, then resumed from the checkpoint at n - 20
set +e
CONCORD_FAULT=sft.step@$((k + 1)) sft "$WORK/stk" 400 "${STOP[@]}"
st=$?
set -e
check '[ "$st" -ne 0 ]' "the fault at SFT step $k did not stop the run"
check 'sft "$WORK/stk" 400 "${STOP[@]}"' "resume failed: $(tail -3 "$WORK/stk.err")"
check '[ "$(val "$WORK/stk" sft_steps)" = "$n" ]' "the resumed run stopped at step $(val "$WORK/stk" sft_steps), not $n"
check 'same_ckpt "$WORK/st/ckpt/round_0000.h5" "$WORK/stk/ckpt/round_0000.h5"' "the resumed SFT model differs"

# with a judge target too, SFT ends at the first check that reaches both (or runs all its steps)
JSTOP=("${STOP[@]}" --set sft.stop_at_judge_accuracy=0.55)
check 'sft "$WORK/sj" 400 "${JSTOP[@]}"' "SFT with stop_at_judge_accuracy failed: $(tail -3 "$WORK/sj.err")"
n=$(val "$WORK/sj" sft_steps)
v=$(val "$WORK/sj" sft_validation_acc)
j=$(val "$WORK/sj" sft_validation_judge_acc)
echo "stop_at_accuracy 0.2 and stop_at_judge_accuracy 0.55: $n of 400 steps, validation accuracy $v, judge $j"
check '[ -n "$j" ]' "no validation judge accuracy in metrics.jsonl"
check '[ "$n" -eq 400 ] || awk -v a="$v" -v b="$j" "BEGIN{exit !(a >= 0.2 && b >= 0.55)}"' \
    "it stopped at step $n below a target (accuracy $v, judge $j)"
check 'grep -q "judge .* (stop at 0.550)" "$WORK/sj.out" "$WORK/sj.err"' "no validation judge log line"
finish
