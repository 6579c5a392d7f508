# Unit tests of the small train/ modules: rng, adamw, tokenizer, sample.
concord_test(NAME test_rng SOURCES test_rng.c LIBS concord_train LABELS unit)
concord_test(NAME test_adamw SOURCES test_adamw.c LIBS concord_train LABELS unit)
concord_test(NAME test_tokenizer SOURCES test_tokenizer.c LIBS concord_train LABELS unit)
concord_test(NAME test_sample SOURCES test_sample.c LIBS concord_train LABELS unit)
concord_test(NAME test_enums SOURCES test_enums.c LIBS concord_train LABELS unit)
concord_test(NAME test_fs SOURCES test_fs.c LIBS concord_util LABELS unit)
concord_test(NAME test_plan SOURCES test_plan.c ../ranks/plan.c LIBS concord_util LABELS unit)
