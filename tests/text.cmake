# Text tasks with the GPT-2 BPE tokenizer: the tokenizer interface for both kinds, stop strings,
# prompt templates (unit); config keys and JSONL token lengths (io); a whole run (e2e, mpi).
concord_test(NAME test_text SOURCES test_text.c LIBS concord_train LABELS unit)
concord_script_test(NAME e2e_text SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_text_e2e.sh
                    LABELS mpi e2e TIMEOUT 300)
concord_test(NAME test_text_io SOURCES test_text_io.c LIBS concord_io LABELS io)
