#!/usr/bin/env bash
# The ChatML chat template through a whole run: configs/text-tiny.json with a tokenizer.json made
# from the small BPE of tests/text/bpe plus <|im_start|> and <|im_end|> as special tokens and
# digits split one by one (SmolLM2's structure), task.chat_template "chatml" with a system prompt:
# SFT + 1 round at np 2; the round file's prompts are the ChatML turns (they start with
# <|im_start|>, with <|im_end|> closing the system turn), the checkpoint keeps the
# digit setting and the specials, export-hf writes a tokenizer.json that loads back; a resume with
# another chat template or system prompt is refused naming the key; chatml on a vocabulary
# without the ChatML tokens, or with the character tokenizer, is one clear error.
source "$(dirname "$0")/e2e/lib.sh"
TEXT=$SRC/configs/text-tiny.json
mkdir -p "$WORK/chat"
read -r V IM_START IM_END < <(/usr/bin/python3 "$SRC/tests/text/make_chat_tokenizer.py" \
    "$SRC/tests/text/bpe" "$WORK/chat/tokenizer.json")
PATHS=(--set "task.prompts_file=\"$SRC/tests/text/prompts.jsonl\""
       --set "task.eval_file=\"$SRC/tests/text/eval.jsonl\""
       --set "task.sft_file=\"$SRC/tests/text/sft.jsonl\""
       --set "tokenizer.files=\"$WORK/chat\"")
CHAT=(--set 'task.chat_template="chatml"' --set 'task.system_prompt="Answer with a number."')

# trun NP DIR [args...]: concord run on the text config with the chat tokenizer
trun() {
    local np=$1 dir=$2
    shift 2
    timeout 300 mpirun -np "$np" "$CONCORD" run "$TEXT" --run-dir "$dir" "${PATHS[@]}" "$@" \
        >"$dir.out" 2>"$dir.err"
}

# refused NAME NEEDLE [args...]: the run fails with NEEDLE in its one error line
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
}

R=$WORK/run
check 'trun 2 "$R" "${CHAT[@]}" --set rounds.count=1' "the chatml run failed: $(tail -3 "$R.err" 2>/dev/null)"
CK=$R/ckpt/round_0001.h5
check 'h5dump -a /tokenizer/pre_split_digits "$CK" | grep -q "(0): 1"' \
    "the checkpoint should record pre_split_digits 1"
check 'h5dump -d /tokenizer/special_ids "$CK" | grep -q "DATASPACE  SIMPLE { ( 3 )"' \
    "the checkpoint should hold the 3 special tokens"
# the prompts the round generated from: ChatML turns, <|im_start|> first, <|im_end|> after the
# system turn, the user's text
h5dump -d /pairs/prompt -s "0,0" -c "1,40" "$R/prefs/round_0001.h5" >"$R.prompts" 2>&1 || true
check 'grep -q "(0,0): $IM_START, " "$R.prompts" && grep -q " $IM_END, 10, $IM_START, " "$R.prompts"' \
    "the round's first prompt should be ChatML turns ($IM_START ... $IM_END, 10, $IM_START): $(grep -A4 DATA "$R.prompts")"
# export-hf: the tokenizer.json beside the weights loads back with the specials and digits
EX=$WORK/export
check '"$CONCORD" export-hf "$CK" "$EX" >"$EX.out" 2>&1' "export-hf failed: $(tail -3 "$EX.out" 2>/dev/null)"
check 'grep -q "\"individual_digits\":true" "$EX/tokenizer.json" && grep -q "<|im_end|>" "$EX/tokenizer.json"' \
    "the exported tokenizer.json should split digits and hold <|im_end|>"

# resume with another template or system prompt: refused by name (the config is in the checkpoint)
refused_resume() {
    local name=$1 needle=$2
    shift 2
    set +e
    trun 1 "$R" "$@" --set rounds.count=2
    local st=$?
    set -e
    check '[ "$st" -ne 0 ] && grep -qF -- "$needle" "$R.err"' \
        "$name: expected \"$needle\", got status $st: $(grep -v WARNING "$R.err" | head -3)"
}
refused_resume template "these keys differ: task.chat_template" --set task.system_prompt='""'
refused_resume system "task.system_prompt" "${CHAT[@]:0:2}" --set 'task.system_prompt="Be brief."'

# chatml needs the ChatML tokens, and a BPE
refused no_chat_tokens 'needs the special tokens <|im_start|> and <|im_end|>' "${CHAT[@]}" \
    --set "tokenizer.files=\"$SRC/tests/text/bpe\""
refused char_kind 'task.chat_template: "chatml" needs tokenizer.kind "bpe"' "${CHAT[@]}" \
    --set 'tokenizer.kind="char"' --set 'tokenizer.files=""'
finish
