# SmolLM2-style tokenizers (digits split, ChatML specials) and the chat template. Label unit: a
# tiny tokenizer.json built in the test (tests/smol_tokenizer_fixture.h).
concord_test(NAME test_smol_tokenizer SOURCES test_smol_tokenizer.c LIBS concord_train LABELS unit)
# The same tokenizer in checkpoints and through export-hf's tokenizer files (HDF5, no MPI ranks).
concord_test(NAME test_hf_tokenizer SOURCES test_hf_tokenizer.c LIBS concord_io LABELS io)
# A whole run with task.chat_template "chatml" (e2e, mpi).
concord_script_test(NAME e2e_chat SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_chat_e2e.sh
                    LABELS mpi e2e TIMEOUT 300)
