#!/usr/bin/env bash
# tests/bpe/install_hf_oracle.sh DIR — installs Hugging Face's JavaScript tokenizer,
# @huggingface/tokenizers 0.2.0 (pure JavaScript, no dependencies; it reads tokenizer.json files),
# into DIR/node_modules once; a second run only checks the version. Needs node, npm and the npm
# registry. Kept apart from tests/bpe/install_oracles.sh's directory so neither install prunes
# the other's packages.
set -euo pipefail
dir=${1:?usage: install_hf_oracle.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
want=0.2.0
have() { node -p "require('$dir/node_modules/@huggingface/tokenizers/package.json').version" 2>/dev/null || true; }
for tool in node npm; do
    if ! command -v $tool >/dev/null; then
        echo "error: $tool not found: the tokenizer parity tests need node and npm" \
             "(Debian: apt-get install nodejs npm, or run scripts/bootstrap.sh)" >&2
        exit 1
    fi
done
if [ "$(have)" = $want ]; then
    echo "oracle: @huggingface/tokenizers $want already in $dir"
    exit 0
fi
if ! npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
        "@huggingface/tokenizers@$want" >&2; then
    echo "error: npm install of @huggingface/tokenizers@$want into $dir failed (is the npm" \
         "registry reachable?)" >&2
    exit 1
fi
echo "oracle: installed @huggingface/tokenizers $(have) in $dir"
