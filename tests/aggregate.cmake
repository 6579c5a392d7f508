# train/aggregate: preference aggregation (modes, ties, CREAM weights, measurements).
concord_test(NAME test_aggregate SOURCES test_aggregate.c LIBS concord_train LABELS unit TIMEOUT 60)
concord_test(NAME test_consensus SOURCES test_consensus.c LIBS concord_train LABELS unit TIMEOUT 60)
