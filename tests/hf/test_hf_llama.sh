#!/usr/bin/env bash
# Runs tests/hf/test_hf_llama.py (import-hf / export-hf of LLaMA models end to end) with the Debian
# Python that has torch and h5py.
# Usage: test_hf_llama.sh CONCORD TEST_SAFETENSORS [--bad-only]
exec /usr/bin/python3 "$(dirname "$0")/test_hf_llama.py" "$@"
