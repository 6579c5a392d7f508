# train/task: built-in arithmetic task, splits, answer extraction, verifiers, judge prompts, SFT data.
concord_test(NAME test_task SOURCES test_task.c LIBS concord_train LABELS unit)
# io/jsonl: the run's Task from the config and users' JSONL files, with every kind of bad line.
concord_test(NAME test_jsonl SOURCES test_jsonl.c LIBS concord_io LABELS io)
concord_test(NAME test_evaluate SOURCES test_evaluate.c LIBS concord_train LABELS unit)
concord_test(NAME test_task_levels SOURCES test_task_levels.c LIBS concord_train LABELS unit)
