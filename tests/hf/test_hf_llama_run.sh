#!/usr/bin/env bash
# A LLaMA model from Hugging Face files through a whole self-rewarding run, as a user would do it:
# a small random LlamaForCausalLM directory (tests/parity/llama_ref.py weights, grouped key/value
# heads, a SmolLM2-style tokenizer.json with ChatML tokens and digits split) -> import-hf -> the
# config keys import-hf prints -> concord run (model.init, a context shorter than the file's
# max_position_embeddings, ChatML prompts, SFT + 2 rounds of DPO at np 2) -> a kill -9 inside
# round 1's training resumes to the same final checkpoint and metrics -> export-hf writes a
# LlamaForCausalLM directory whose weights are the run's final policy; `concord sample --chat`
# prompts it in ChatML turns.
source "$(dirname "$0")/../e2e/lib.sh"
TEXT=$SRC/configs/text-tiny.json
HF=$WORK/hf
mkdir -p "$HF"
read -r V IM_START IM_END < <(/usr/bin/python3 "$SRC/tests/text/make_chat_tokenizer.py" \
    "$SRC/tests/text/bpe" "$HF/tokenizer.json")
/usr/bin/python3 - "$SRC" "$HF" "$V" <<'PY'
import json, os, sys
src, d, V = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path[:0] = [os.path.join(src, "tests", "hf"), os.path.join(src, "tests", "parity")]
import llama_ref, test_hf
cfg = dict(V=V, C=32, L=2, NH=4, KV=2, F=48, theta=10000.0, eps=1e-5, tied=True)
w = llama_ref.random_weights(cfg, seed=3)
conf = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
        "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "rope_scaling": None, "tie_word_embeddings": True,
        "max_position_embeddings": 2048, "vocab_size": V}
tok = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))
test_hf.write_hf_dir(d, conf, test_hf.entries_of({k: v.float() for k, v in w.items()}, "F32"))
json.dump(tok, open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
PY
CK=$WORK/llama.h5
check '"$CONCORD" import-hf "$HF" "$CK" --vocab-pad-to 64 >"$CK.out" 2>&1' "import-hf failed: $(tail -3 "$CK.out")"
check 'grep -q "\"arch\": \"llama\", \"n_layer\": 2, \"n_head\": 4, \"n_embd\": 32, \"n_kv_head\": 2, \"ffn_hidden\": 48" "$CK.out"' \
    "import-hf should print the model keys: $(cat "$CK.out")"
PATHS=(--set "task.prompts_file=\"$SRC/tests/text/prompts.jsonl\""
       --set "task.eval_file=\"$SRC/tests/text/eval.jsonl\""
       --set "task.sft_file=\"$SRC/tests/text/sft.jsonl\""
       --set 'tokenizer.files=""' --set "model.init=\"$CK\"")
MODEL=(--set 'model.arch="llama"' --set model.n_layer=2 --set model.n_head=4 --set model.n_embd=32
       --set model.n_kv_head=2 --set model.ffn_hidden=48 --set model.vocab_pad_to=64
       --set model.max_seq_len=128)
RUN=(--set 'task.chat_template="chatml"' --set sft.steps=12 --set checkpoint.every=2)

lrun() { # lrun DIR [args...]: the run at np 2
    local dir=$1
    shift
    timeout 300 mpirun -np 2 "$CONCORD" run "$TEXT" --run-dir "$dir" "${PATHS[@]}" "${MODEL[@]}" \
        "${RUN[@]}" "$@" >"$dir.out" 2>"$dir.err"
}
R=$WORK/ref
check 'lrun "$R"' "the llama run failed: $(tail -3 "$R.err" 2>/dev/null)"
check '[ "$(wc -l <"$R/metrics.jsonl" 2>/dev/null)" -eq 3 ]' "expected SFT + 2 rounds in metrics.jsonl"
check 'grep -q "\"train_steps\":[1-9]" "$R/metrics.jsonl"' "the rounds should train: $(tail -1 "$R/metrics.jsonl")"
check 'h5dump -a /config/arch "$R/ckpt/round_0002.h5" | grep -q "llama"' "the run's checkpoints should record arch llama"
# kill -9 inside round 1's training, resume: the same final checkpoint and metrics
K=$WORK/kill
set +e
CONCORD_FAULT=train.step@3 lrun "$K"
st=$?
set -e
check '[ "$st" -ne 0 ] && grep -q "fault injection" "$K.err"' "fault train.step@3 not reached (status $st)"
check 'lrun "$K"' "resume failed: $(tail -3 "$K.err")"
check 'same_ckpt "$R/ckpt/round_0002.h5" "$K/ckpt/round_0002.h5"' "after the kill the final checkpoint differs"
check 'same_metrics "$R/metrics.jsonl" "$K/metrics.jsonl"' "after the kill metrics.jsonl differs"
# concord sample --chat wraps a prompt in the same ChatML turns (and refuses --system alone)
S=$WORK/sample
check '"$CONCORD" sample "$R/ckpt/round_0002.h5" --prompt "2+3" --chat --system "Be brief." \
    --greedy --max-new 4 >"$S.out" 2>&1' "sample --chat failed: $(tail -3 "$S.out")"
check 'grep -q "^<|im_start|>system" "$S.out" && grep -q "<|im_start|>user" "$S.out" && grep -q "<|im_start|>assistant" "$S.out"' \
    "sample --chat should show the ChatML turns: $(head -c 300 "$S.out")"
check '! "$CONCORD" sample "$R/ckpt/round_0002.h5" --prompt x --system y >"$S.bad" 2>&1 && grep -q "needs --chat" "$S.bad"' \
    "--system without --chat should be refused: $(cat "$S.bad")"
# a config of the wrong architecture is refused by name before anything runs
set +e
timeout 120 mpirun -np 1 "$CONCORD" run "$TEXT" --run-dir "$WORK/gpt2" "${PATHS[@]}" \
    --set model.n_layer=2 --set model.n_head=4 --set model.n_embd=32 --set model.vocab_pad_to=64 \
    >"$WORK/gpt2.out" 2>"$WORK/gpt2.err"
st=$?
set -e
check '[ "$st" -ne 0 ] && grep -q "architecture is '"'"'llama'"'"', the config'"'"'s model.arch is '"'"'gpt2'"'"'" "$WORK/gpt2.err"' \
    "a gpt2 config on the llama checkpoint should be refused: $(tail -3 "$WORK/gpt2.err")"
# export-hf: a LlamaForCausalLM directory holding the final policy
EX=$WORK/export
check '"$CONCORD" export-hf "$R/ckpt/round_0002.h5" "$EX" >"$EX.out" 2>&1' "export-hf failed: $(tail -3 "$EX.out")"
check '/usr/bin/python3 - "$SRC" "$EX" "$R/ckpt/round_0002.h5" <<'"'"'PY'"'"'
import json, os, sys
import h5py, torch
src, ex, ck = sys.argv[1:4]
sys.path[:0] = [os.path.join(src, "tests", "hf"), os.path.join(src, "tests", "parity")]
import llama_ref, test_hf
conf = json.load(open(os.path.join(ex, "config.json")))
assert conf["model_type"] == "llama" and conf["num_key_value_heads"] == 2, conf
_, w, problems = test_hf.read_safetensors(os.path.join(ex, "model.safetensors"))
assert not problems, problems
cfg = dict(V=conf["vocab_size"], C=32, L=2, NH=4, KV=2, F=48, theta=10000.0, eps=1e-5, tied=True)
with h5py.File(ck, "r") as f:
    back = llama_ref.to_concord(cfg, w, Vp=f["model/wte"].shape[0])
    for k, v in back.items():
        assert (v.numpy() == f["model"][k][()]).all(), k
PY' "the exported weights should equal the final checkpoint's /model"
finish
