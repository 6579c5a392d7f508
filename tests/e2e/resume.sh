#!/usr/bin/env bash
# Kill -9 during each phase (and inside checkpoint writes), re-run the same command, and get final
# checkpoints bit-identical to an uninterrupted run, and the same metrics (timings aside).
source "$(dirname "$0")/lib.sh"
OPTS=(--set checkpoint.every=3)
check 'run 2 "$WORK/ref" "${OPTS[@]}"' "reference run failed"
POINTS="sft.step@40 phase.eval@1 phase.checkpoint@1 phase.generate@1 phase.judge@2
        phase.aggregate@2 phase.train@1 train.step@5 phase.eval@2 phase.checkpoint@2
        ckpt.before_rename@2 ckpt.before_latest@3 prefs.before_rename@1"
for p in $POINTS; do
    D=$WORK/kill_${p//[@.]/_}
    set +e
    CONCORD_FAULT=$p run 2 "$D" "${OPTS[@]}"
    st=$?
    set -e
    check '[ "$st" -ne 0 ]' "fault $p did not stop the run"
    check 'grep -q "fault injection" "$D.err"' "fault $p was not reached"
    check 'run 2 "$D" "${OPTS[@]}"' "resume after $p failed: $(tail -3 "$D.err")"
    check 'same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "after $p the final checkpoint differs"
    check '[ "$(wc -l <"$D/metrics.jsonl")" -eq 3 ]' "after $p metrics.jsonl has $(wc -l <"$D/metrics.jsonl") lines"
    # a phase resumed mid-way reports all its steps (its running totals are in the checkpoint)
    check 'same_metrics "$WORK/ref/metrics.jsonl" "$D/metrics.jsonl"' "after $p metrics.jsonl differs (diff above)"
done
# abacus positions: the digit-row shifts of SFT steps are drawn from (seed, phase, round, example),
# so a kill mid-SFT resumes to the same final checkpoint
AB=("${OPTS[@]}" --set 'model.position="abacus"' --set model.abacus_offset=3)
check 'run 2 "$WORK/ab_ref" "${AB[@]}"' "abacus reference run failed: $(tail -3 "$WORK/ab_ref.err")"
D=$WORK/ab_kill
set +e
CONCORD_FAULT=sft.step@40 run 2 "$D" "${AB[@]}"
st=$?
set -e
check '[ "$st" -ne 0 ] && grep -q "fault injection" "$D.err"' "abacus: fault sft.step@40 not reached"
check 'run 2 "$D" "${AB[@]}"' "abacus: resume failed: $(tail -3 "$D.err")"
check 'same_ckpt "$WORK/ab_ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "abacus: the final checkpoint differs after a kill mid-SFT"
check 'h5dump -a /config/digit0 "$D/ckpt/round_0002.h5" | grep -q "(0): 4"' "abacus: /config digit0 should be 4"
check '! same_ckpt "$WORK/ref/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5" 2>/dev/null' "abacus: the run should differ from the learned-position one"
finish
