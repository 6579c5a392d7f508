# Hugging Face import/export: io/safetensors (test_safetensors: conversions, writer, bad headers)
# and concord import-hf / export-hf end to end: GPT-2 against a PyTorch GPT-2 written in the test
# (tests/hf/test_hf.py), LLaMA against tests/parity/llama_ref.py (tests/hf/test_hf_llama.py); the
# bad-file cases of both also run under ASan (tests/test_asan.sh).
concord_test(NAME test_safetensors SOURCES test_safetensors.c LIBS concord_io LABELS io TIMEOUT 60)
concord_script_test(NAME test_hf SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/hf/test_hf.sh
                    ARGS $<TARGET_FILE:concord> $<TARGET_FILE:test_safetensors> LABELS io
                    TIMEOUT 300)
concord_script_test(NAME test_hf_llama SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/hf/test_hf_llama.sh
                    ARGS $<TARGET_FILE:concord> $<TARGET_FILE:test_safetensors> LABELS io
                    TIMEOUT 300)
# A LLaMA from Hugging Face files through a whole run: import-hf, SFT + 2 rounds at np 2 with
# ChatML prompts, a kill -9 mid-round resumed identically, export-hf of the final policy.
concord_script_test(NAME e2e_hf_llama SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/hf/test_hf_llama_run.sh
                    LABELS e2e mpi TIMEOUT 600)
