# Model kernels and the model, GPT-2 and LLaMA (train/ops, train/ops_llama, train/matmul, train/gpt,
# train/logprob).
concord_test(NAME test_gpt SOURCES test_gpt.c LIBS concord_train LABELS unit)
concord_test(NAME test_generate SOURCES test_generate.c LIBS concord_train LABELS unit)
concord_test(NAME test_prefstep SOURCES test_prefstep.c LIBS concord_train LABELS unit)
concord_test(NAME test_sft SOURCES test_sft.c LIBS concord_train LABELS unit)
concord_test(NAME test_llama SOURCES test_llama.c LIBS concord_train LABELS unit)
