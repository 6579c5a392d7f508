# Text tasks with the GPT-2 BPE tokenizer: the tokenizer interface for both kinds, stop strings,
# prompt templates (unit); config keys and JSONL token lengths (io); a whole run (e2e, mpi).
concord_test(NAME test_text SOURCES test_text.c LIBS concord_train LABELS unit)
