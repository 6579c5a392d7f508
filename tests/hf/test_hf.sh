#!/usr/bin/env bash
# Runs tests/hf/test_hf.py (import-hf / export-hf end to end) with the Debian Python that has torch.
# Usage: test_hf.sh CONCORD TEST_SAFETENSORS [--bad-only]
exec /usr/bin/python3 "$(dirname "$0")/test_hf.py" "$@"
