#!/usr/bin/env bash
# A JSONL text task with the GPT-2 BPE tokenizer through a whole run (configs/text-tiny.json: a
# 2-layer, 64-wide random GPT, the small BPE of tests/text/bpe, a prompt template and a stop
# string): SFT + 2 rounds at np 2; the checkpoints hold the BPE; kill -9 mid-round (and mid-SFT)
# then the same command again ends bit-identical to the uninterrupted run; `concord sample --prompt`
# prints decoded text; a run started from a checkpoint takes its BPE; and each bad tokenizer input
# is one clear error: kind bpe without files, files that do not load, files that differ from
# model.init's BPE, a resumed run whose tokenizer files changed, a JSONL line too long in tokens.
# Then one round judged by the Self-Rewarding judge (llm_judge in score mode), and its bad templates.
source "$(dirname "$0")/e2e/lib.sh"
TEXT=$SRC/configs/text-tiny.json
# the config names its files relative to the repository root; the runs name them absolutely
cp -r "$SRC/tests/text/bpe" "$WORK/bpe"
PATHS=(--set "task.prompts_file=\"$SRC/tests/text/prompts.jsonl\""
       --set "task.eval_file=\"$SRC/tests/text/eval.jsonl\""
       --set "task.sft_file=\"$SRC/tests/text/sft.jsonl\""
       --set "tokenizer.files=\"$WORK/bpe\"")

# trun NP DIR [args...]: concord run on the text config
trun() {
    local np=$1 dir=$2
    shift 2
    timeout 300 mpirun -np "$np" "$CONCORD" run "$TEXT" --run-dir "$dir" "${PATHS[@]}" "$@" \
        >"$dir.out" 2>"$dir.err"
}

# refused NAME NEEDLE [args...]: the run fails with exit 2 and NEEDLE in its message
refused() {
    local name=$1 needle=$2
    shift 2
    local D=$WORK/bad_$name st
    set +e
    trun 1 "$D" "$@"
    st=$?
    set -e
    check '[ "$st" -ne 0 ] && grep -qF -- "$needle" "$D.err"' \
        "$name: expected a failure with \"$needle\", got status $st: $(grep -v WARNING "$D.err" | head -3)"
    check '[ "$(grep -c "^error:" "$D.err")" -eq 1 ]' "$name: expected one error line: $(head -5 "$D.err")"
    check '[ ! -e "$D/ckpt/round_0000.h5" ]' "$name: a checkpoint was written"
}

REF=$WORK/ref
check 'trun 2 "$REF"' "reference run failed: $(tail -3 "$REF.err")"
check '[ "$(wc -l <"$REF/metrics.jsonl")" -eq 3 ]' "metrics.jsonl should have SFT + 2 rounds"
for r in 0000 0001 0002; do
    check 'h5dump -a /tokenizer/kind "$REF/ckpt/round_$r.h5" | grep -c gpt2_bpe >/dev/null' "round_$r.h5 holds no BPE"
done
h5dump -H "$REF/ckpt/round_0002.h5" >"$WORK/ref2.ddl"  # whole output: grep -q would cut the pipe
check 'grep -q "DATASET \"merges\"" "$WORK/ref2.ddl"' "the checkpoint lacks /tokenizer/merges"
check 'h5dump -d /tokenizer/token_offsets "$REF/ckpt/round_0002.h5" | grep -c "DATASPACE  SIMPLE { ( 272 )" >/dev/null' \
    "the stored BPE should have 271 tokens (272 offsets)"
check 'h5dump -a /config/vocab_size "$REF/ckpt/round_0002.h5" | grep -c "(0): 271" >/dev/null' \
    "the model's V should be the BPE's 271 tokens"
check 'h5dump -a /charset "$REF/prefs/round_0001.h5" | grep -c "(0): \"\"" >/dev/null' "a bpe run's round file should record charset \"\""

# kill -9 mid-round and mid-SFT, then the same command: bit-identical to the uninterrupted run
for p in phase.judge@1 train.step@3 sft.step@12; do
    D=$WORK/kill_${p//[@.]/_}
    set +e
    CONCORD_FAULT=$p trun 2 "$D"
    st=$?
    set -e
    check '[ "$st" -ne 0 ] && grep -q "fault injection" "$D.err"' "fault $p was not reached (status $st)"
    check 'trun 2 "$D"' "resume after $p failed: $(tail -3 "$D.err")"
    check 'same_ckpt "$REF/ckpt/round_0002.h5" "$D/ckpt/round_0002.h5"' "after $p the final checkpoint differs"
    check 'same_prefs "$REF/prefs/round_0002.h5" "$D/prefs/round_0002.h5"' "after $p round 2's file differs"
done

# concord sample --prompt: the prompt and the continuation, decoded through the stored BPE
OUT=$("$CONCORD" sample "$REF/ckpt/round_0002.h5" --prompt $'Question: What is 2 plus 3?\nAnswer:' \
      --greedy --max-new 8 --stop $'\n' 2>&1)
check '[ "$(printf "%s\n" "$OUT" | head -1)" = "Question: What is 2 plus 3?" ] && printf "%s\n" "$OUT" | sed -n 2p | grep -q "^Answer:"' \
    "sample should print decoded text, got: $OUT"
check '[ "$(printf "%s\n" "$OUT" | wc -l)" -eq 2 ]' "sample with --stop '\\n' should end at the newline: $OUT"
IDS=$("$CONCORD" sample "$REF/ckpt/round_0002.h5" --prompt "in the" --greedy --max-new 3 --print-ids)
check '[ "$(echo "$IDS" | wc -w)" -ge 1 ]' "sample --print-ids printed nothing"

# model.init holds a BPE: the run takes it (no tokenizer.files) and stores the same one
INIT=$WORK/from_init
check 'timeout 300 mpirun -np 1 "$CONCORD" run "$TEXT" --run-dir "$INIT" "${PATHS[@]:0:6}" \
       --set 'tokenizer.files=""' --set "model.init=\"$REF/ckpt/round_0000.h5\"" --set sft.steps=2 --set rounds.count=0 \
       >"$INIT.out" 2>"$INIT.err"' "a run from model.init without tokenizer.files failed: $(tail -3 "$INIT.err")"
check 'h5diff -q "$REF/ckpt/round_0000.h5" "$INIT/ckpt/round_0000.h5" /tokenizer' \
    "the run from model.init should store the checkpoint's BPE"

# bad inputs: one clear message each, no checkpoint
refused no_files 'tokenizer.kind "bpe" needs the BPE from model.init' --set 'tokenizer.files=""'
refused missing_files 'tokenizer.files: "'"$WORK"'/nowhere"' --set "tokenizer.files=\"$WORK/nowhere\""
printf '{"model": {}}\n' >"$WORK/broken.json"
refused broken_files "tokenizer.files" --set "tokenizer.files=\"$WORK/broken.json\""
cp -r "$WORK/bpe" "$WORK/bpe2"
printf 'Ġt h\n' >>"$WORK/bpe2/merges.txt"  # one more merge (and its token) than the model's
/usr/bin/python3 - "$WORK/bpe2/vocab.json" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1], encoding="utf-8"))
v["\u0120th"] = len(v)
json.dump(v, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False)
EOF
refused mismatch 'is not the tokenizer stored in model.init' \
    --set "model.init=\"$REF/ckpt/round_0000.h5\"" --set "tokenizer.files=\"$WORK/bpe2\""
printf '{"prompt": "%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)" >"$WORK/long.jsonl"
cat "$SRC/tests/text/prompts.jsonl" >>"$WORK/long.jsonl"
refused too_long "long.jsonl:1: \"prompt\": expected at most" --set "task.prompts_file=\"$WORK/long.jsonl\""
printf '{"prompt": "%s"}\n' "$(head -c 200 /dev/zero | tr '\0' x)" >"$WORK/long2.jsonl"
cat "$SRC/tests/text/prompts.jsonl" >>"$WORK/long2.jsonl"
refused too_many_tokens 'long2.jsonl:1: "prompt" of ' --set "task.prompts_file=\"$WORK/long2.jsonl\""
check 'grep -q "tokens is too long" "$WORK/bad_too_many_tokens.err"' "the length error should count tokens"

# the Self-Rewarding judge (llm_judge options.mode "score"): SFT teaches the judge prompt of
# tests/text/judge-score.txt to end in " 2" (right answer) or " 1" (wrong), then one round judged
# by the scores it writes; they reach the round file as N / 5
SC=$WORK/score
SCORE_JUDGE='judges=[{"name": "llm_judge", "options": {"mode": "score", "template": "'$SRC'/tests/text/judge-score.txt", "max_new_tokens": 4}}]'
check 'trun 2 "$SC" --set "task.sft_file=\"$SRC/tests/text/sft-score.jsonl\"" \
       --set "task.prompt_template=\"{prompt}\"" --set sft.steps=60 --set rounds.count=1 \
       --set "$SCORE_JUDGE" --set aggregate.mode=single --set aggregate.judge=llm_judge' \
    "the score-judge run failed: $(tail -3 "$WORK/score.err" 2>/dev/null)"
"$CONCORD" inspect "$SC/prefs/round_0001.h5" >"$SC.inspect" 2>&1 || true
check 'grep -Eq "scores: +llm_judge (0\.2|0\.4|0\.6|0\.8|1|0)/" "$SC.inspect"' \
    "the score judge's scores should be N/5: $(grep scores: "$SC.inspect" | head -3)"
check 'grep -Eq "^labels +PREFERRED [1-9]" "$SC.inspect"' "the score judge should give preferred pairs"
printf 'Q: {prompt}\nScore:' >"$WORK/no-response.txt"
refused score_template 'options.template: '"$WORK"'/no-response.txt: expected a judge prompt with {prompt} and {response}' \
    --set 'judges=[{"name": "llm_judge", "options": {"mode": "score", "template": "'"$WORK"'/no-response.txt"}}]' \
    --set aggregate.mode=single --set aggregate.judge=llm_judge
refused score_rubric_length 'the built-in rubric is' \
    --set 'judges=[{"name": "llm_judge", "options": {"mode": "score"}}]' \
    --set aggregate.mode=single --set aggregate.judge=llm_judge

# a resumed run whose tokenizer files changed under the same name
RES=$WORK/resume_changed
check 'trun 1 "$RES" --set rounds.count=0' "short run for the resume check failed"
cp "$WORK/bpe2/vocab.json" "$WORK/bpe2/merges.txt" "$WORK/bpe/"
set +e
trun 1 "$RES" --set rounds.count=1
st=$?
set -e
check '[ "$st" -ne 0 ] && grep -q "was written with another tokenizer" "$RES.err"' \
    "resume with changed tokenizer files: status $st, $(grep -v WARNING "$RES.err" | head -3)"
finish
