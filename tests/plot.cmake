# concord plot (gnuplot charts of metrics.jsonl).
concord_script_test(NAME test_plot SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_plot.sh LABELS io)
