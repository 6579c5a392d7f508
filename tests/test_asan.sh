#!/usr/bin/env bash
# Builds concord and the input-handling tests with AddressSanitizer + UBSan in a separate tree
# (BUILD/asan) and runs the bad-input cases there: config, JSONL, checkpoint, round-file, llm.c
# import, safetensors / Hugging Face import (tests/hf/test_hf.py and test_hf_llama.py --bad-only)
# and CLI. Leak checking is off: LeakSanitizer does not work under Open MPI here.
set -euo pipefail
SRC=${CONCORD_SOURCE_DIR:?}
B=${CONCORD_BUILD_DIR:?}/asan
cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Debug -DCONCORD_SANITIZE=ON -DCONCORD_WERROR=OFF >/dev/null
cmake --build "$B" -j "$(nproc)" --target concord test_config test_jsonl test_ckpt test_prefbuf \
    test_llmc test_safetensors >/dev/null
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
status=0
cd "$B/tests"
for t in test_config test_jsonl test_ckpt test_prefbuf test_llmc test_safetensors; do
    if ./"$t" >"$t.asan.log" 2>&1; then
        echo "asan: $t ok ($(tail -1 "$t.asan.log"))"
    else
        echo "asan: $t FAILED" >&2
        tail -20 "$t.asan.log" >&2
        status=1
    fi
done
CONCORD="$B/concord" bash "$SRC/tests/test_bad_input.sh" || status=1
if /usr/bin/python3 "$SRC/tests/hf/test_hf.py" --bad-only "$B/concord" "$B/tests/test_safetensors" \
    >test_hf.asan.log 2>&1; then
    echo "asan: import-hf/export-hf bad files ok ($(tail -1 test_hf.asan.log))"
else
    echo "asan: import-hf/export-hf bad files FAILED" >&2
    tail -20 test_hf.asan.log >&2
    status=1
fi
if /usr/bin/python3 "$SRC/tests/hf/test_hf_llama.py" --bad-only "$B/concord" \
    "$B/tests/test_safetensors" >test_hf_llama.asan.log 2>&1; then
    echo "asan: LLaMA import-hf/export-hf bad files ok ($(tail -1 test_hf_llama.asan.log))"
else
    echo "asan: LLaMA import-hf/export-hf bad files FAILED" >&2
    tail -20 test_hf_llama.asan.log >&2
    status=1
fi
exit $status
