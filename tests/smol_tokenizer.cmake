# SmolLM2-style tokenizers (digits split, ChatML specials) and the chat template. Label unit: a
# tiny tokenizer.json built in the test (tests/smol_tokenizer_fixture.h).
concord_test(NAME test_smol_tokenizer SOURCES test_smol_tokenizer.c LIBS concord_train LABELS unit)
# The same tokenizer in checkpoints and through export-hf's tokenizer files (HDF5, no MPI ranks).
concord_test(NAME test_hf_tokenizer SOURCES test_hf_tokenizer.c LIBS concord_io LABELS io)
