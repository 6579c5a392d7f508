#!/usr/bin/env bash
# `concord inspect` on a checkpoint and a round file written by test_inspect_tool (known norms,
# labels and statistics: see tests/test_inspect_tool.c), checking key lines of the output; bad
# files (missing, not HDF5, empty, truncated, foreign format, no format, incomplete checkpoint,
# wrong usage) must exit 2 with exactly one line starting with "error:" and no HDF5 stack.
# Usage: test_inspect.sh CONCORD TEST_INSPECT_TOOL
set -u
concord=$1
tool=$2
work=$PWD/test_inspect.d
rm -rf "$work" && mkdir -p "$work"
source "$(dirname "$0")/check.sh"
# has FILE REGEX: the output file has a line matching the extended regex.
has() { expect "grep -Eq -- '$2' '$1'" "$(basename "$1"): no line matches '$2'"; }

# ---- checkpoint ----
"$tool" ckpt "$work/ckpt.h5" || bad "writing the checkpoint failed"
"$concord" inspect "$work/ckpt.h5" >"$work/ckpt.out" 2>"$work/ckpt.err"
rc=$?
expect "[ $rc -eq 0 ]" "inspect checkpoint exited $rc: $(cat "$work/ckpt.err")"
o=$work/ckpt.out
has "$o" '^kind +checkpoint$'
has "$o" '^format +concord\.ckpt \(version 1\)$'
has "$o" '^created_by +concord '
has "$o" '^complete +yes$'
has "$o" '^round +2$'
has "$o" '^phase +train$'
has "$o" '^step +40 \(round_step 7\)$'
has "$o" '^seed +9$'
has "$o" '^world size +3$'
has "$o" '^cursors +sft_example=123$'
has "$o" '^model +V=20 Vp=24 T=8 C=8 L=2 NH=2 \('
has "$o" '^tokenizer +charset "0123456789\+-\*=\?YN " \(18 characters'
has "$o" '^optimizer +adamw, step 40$'
has "$o" 'lr 0\.0003, lr_min_ratio 0\.1, warmup_steps 5, total_steps 100'
has "$o" 'beta1 0\.9, beta2 0\.95, eps 1e-08, weight_decay 0\.1, grad_clip 1$'
# tensor i has norm i+1; the total is sqrt(1^2 + ... + 16^2) = sqrt(1496)
has "$o" '^  wte +\(24, 8\) +\(Vp, C\) +1$'
has "$o" '^  qkv_w +\(2, 24, 8\) +\(L, 3\*C, C\) +5$'
has "$o" '^  fc_proj_w +\(2, 8, 32\) +\(L, C, 4\*C\) +13$'
has "$o" '^  lnf_b +\(8\) +\(C\) +16$'
has "$o" '^  total +38\.678'
has "$o" '^/ref +present: L2 norm 77\.356[0-9]*, L2 distance to /model 38\.678'
has "$o" '^/prev +present: L2 norm 38\.678[0-9]*, L2 distance to /model 0$'
has "$o" '^moments +L2 norm of m '
has "$o" '^config json \(60 lines\):$'
has "$o" '^    "key_00": 0,$'
has "$o" '^  \.\.\. \(20 more lines; all of it: h5dump -d /config/json '
expect "! grep -q 'key_57' '$o'" "config json was not cut after 40 lines"

# ---- round file ----
mkdir -p "$work/run"
"$tool" prefs "$work/run" || bad "writing the round file failed"
"$concord" inspect "$work/run/prefs/round_0003.h5" >"$work/prefs.out" 2>"$work/prefs.err"
rc=$?
expect "[ $rc -eq 0 ]" "inspect round file exited $rc: $(cat "$work/prefs.err")"
o=$work/prefs.out
has "$o" '^kind +preference round file$'
has "$o" '^round +3$'
has "$o" '^pairs +10$'
has "$o" '^judges +llm_judge self_consistency$'
has "$o" '^aggregation +unanimous$'
has "$o" '^statistics \(3 stored\)$'
has "$o" '^  kept_fraction +0\.8$'
has "$o" '^  mean_kendall_tau +0\.375$'
has "$o" '^  llm_judge +1\.0000 +0\.6250$'
has "$o" '^  self_consistency +0\.6250 +1\.0000$'
has "$o" '^kept +8 of 10 pairs \(fraction 0\.8000; label != DROPPED\)$'
has "$o" '^labels +PREFERRED 7, TIE 1, DROPPED 2$'
has "$o" '^kept labels right +0\.7500 \(3 of 4 kept rows with ground truth; statistic label_accuracy\)$'
has "$o" '^all candidates right +0\.7500 \(3 of 4 rows with ground truth, DROPPED included\)$'
has "$o" '^examples \(3\)$'
has "$o" '^  row 1: pair_id 12884901889, prompt_id 1, label PREFERRED'
has "$o" '^  row 2: '
has "$o" '^  row 3: '
expect "! grep -q '^  row 0:' '$o'" "a DROPPED row was shown while kept rows exist"
has "$o" '^    prompt: +"<bos>12\+34=" \(7 tokens\)$'
has "$o" '^    chosen: +"46<eos>" \(3 tokens\)$'
has "$o" '^    rejected: +"47<eos>" \(3 tokens\)$'
has "$o" '^    scores: +llm_judge 0\.75/0\.25 self_consistency 0\.75/nan'

# ---- bad files ----
# bad_case NAME MESSAGE-REGEX ARGS...: exit 2, exactly one "error:" line matching, no HDF5 stack.
bad_case() {
    local name=$1 want=$2 rc
    shift 2
    "$concord" inspect "$@" >"$work/$name.out" 2>"$work/$name.err"
    rc=$?
    expect "[ $rc -eq 2 ]" "$name: exit code $rc, expected 2"
    expect "[ \$(grep -c '^error:' '$work/$name.err') -eq 1 ]" \
        "$name: expected one 'error:' line, got: $(cat "$work/$name.err")"
    expect "grep -Eq -- '$want' '$work/$name.err'" \
        "$name: message does not match '$want': $(cat "$work/$name.err")"
    expect "! grep -q HDF5-DIAG '$work/$name.err'" "$name: HDF5 error stack printed"
}
echo "not hdf5 at all" >"$work/text.h5"
: >"$work/empty.h5"
size=$(stat -c %s "$work/ckpt.h5")
head -c $((size / 2)) "$work/ckpt.h5" >"$work/trunc.h5"
"$tool" foreign "$work/foreign.h5" || bad "writing foreign.h5 failed"
"$tool" noformat "$work/noformat.h5" || bad "writing noformat.h5 failed"
"$tool" incomplete "$work/incomplete.h5" || bad "writing incomplete.h5 failed"
bad_case missing 'cannot open .*missing\.h5: No such file' "$work/missing.h5"
bad_case text 'not an HDF5 file' "$work/text.h5"
bad_case empty 'empty' "$work/empty.h5"
bad_case truncated 'truncated' "$work/trunc.h5"
bad_case foreign 'format "other\.format", which concord inspect does not know' "$work/foreign.h5"
bad_case noformat "not a concord file: the root attribute .format. is missing" "$work/noformat.h5"
bad_case incomplete 'incomplete checkpoint' "$work/incomplete.h5"
bad_case directory 'not a regular file' "$work"
bad_case usage 'expected 1 argument' "$work/ckpt.h5" extra

check_finish
