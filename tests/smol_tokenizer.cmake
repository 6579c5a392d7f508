# SmolLM2-style tokenizers (digits split, ChatML specials) and the chat template. Label unit: a
# tiny tokenizer.json built in the test (tests/smol_tokenizer_fixture.h).
concord_test(NAME test_smol_tokenizer SOURCES test_smol_tokenizer.c LIBS concord_train LABELS unit)
