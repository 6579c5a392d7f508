# libFuzzer harnesses of every input format (tests/fuzz/, see tests/fuzz/README.md). Built only in
# a clang tree configured with -DCONCORD_FUZZ=ON (scripts/fuzz.sh makes one); a normal build skips
# this file. Each harness gets two tests, label fuzz:
#   fuzz_<name>_regress  every seed and regression input once (-runs=0): a fixed bug stays fixed
#   fuzz_<name>          CONCORD_FUZZ_SECONDS of fuzzing from the seeds (new inputs are kept in
#                        <build>/tests/fuzz/corpus/<name>, crashes in <build>/tests/fuzz/artifacts)
#   fuzz_<name>_known    (disabled) the inputs of known, unfixed findings in regressions/known/<name>
#                        with CONCORD_FUZZ_KNOWN=1; enable it to check a fix (README.md)
if(NOT CONCORD_FUZZ)
  return()
endif()

set(CONCORD_FUZZ_SECONDS 15 CACHE STRING "Seconds each fuzz_<name> ctest runs its harness")
set(FUZZ_SRC ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(FUZZ_OUT ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
# UBSan findings stop the run like ASan's; leak checking stays on (fuzz_common.h).
set(FUZZ_ENV ${CONCORD_TEST_ENV} "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
add_custom_target(fuzz_harnesses)

# concord_fuzz(NAME n SOURCES a.c... [DICT file] [MAX_LEN bytes] [FULL_LEN])
# FULL_LEN: inputs may be MAX_LEN long from the start (-len_control=0), for the slow HDF5
# harnesses whose inputs are short edit programs.
function(concord_fuzz)
  cmake_parse_arguments(F "FULL_LEN" "NAME;DICT;MAX_LEN" "SOURCES" ${ARGN})
  set(exe fuzz_${F_NAME})
  add_executable(${exe} ${F_SOURCES})
  target_include_directories(${exe} PRIVATE ${FUZZ_SRC} ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${exe} PRIVATE concord_io)
  target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzz_harnesses ${exe})

  set(inputs "")
  foreach(dir seeds/${F_NAME} regressions/${F_NAME})
    if(EXISTS ${FUZZ_SRC}/${dir})
      list(APPEND inputs ${FUZZ_SRC}/${dir})
    endif()
  endforeach()
  set(opts -rss_limit_mb=2048 -timeout=20)
  if(F_DICT)
    list(APPEND opts -dict=${FUZZ_SRC}/${F_DICT})
  endif()
  if(F_MAX_LEN)
    list(APPEND opts -max_len=${F_MAX_LEN})
  endif()
  if(F_FULL_LEN)
    list(APPEND opts -len_control=0)
  endif()
  file(MAKE_DIRECTORY ${FUZZ_OUT}/corpus/${F_NAME} ${FUZZ_OUT}/artifacts)

  add_test(NAME ${exe}_regress COMMAND ${exe} -runs=0 ${opts} ${inputs})
  add_test(NAME ${exe}
           COMMAND ${exe} -max_total_time=${CONCORD_FUZZ_SECONDS} -print_final_stats=1 ${opts}
                   -artifact_prefix=${FUZZ_OUT}/artifacts/${F_NAME}-
                   ${FUZZ_OUT}/corpus/${F_NAME} ${inputs})
  if(EXISTS ${FUZZ_SRC}/regressions/known/${F_NAME})
    add_test(NAME ${exe}_known COMMAND ${exe} -runs=0 ${opts} ${FUZZ_SRC}/regressions/known/${F_NAME})
    set_tests_properties(${exe}_known PROPERTIES LABELS fuzz DISABLED TRUE
                         ENVIRONMENT "${FUZZ_ENV};CONCORD_FUZZ_KNOWN=1"
                         WORKING_DIRECTORY ${FUZZ_OUT})
  endif()
  math(EXPR limit "${CONCORD_FUZZ_SECONDS} + 120")
  set_tests_properties(${exe}_regress ${exe} PROPERTIES LABELS fuzz TIMEOUT ${limit}
                       ENVIRONMENT "${FUZZ_ENV}" WORKING_DIRECTORY ${FUZZ_OUT})
endfunction()

concord_fuzz(NAME config SOURCES fuzz/fuzz_config.c DICT config.dict)
concord_fuzz(NAME jsonl SOURCES fuzz/fuzz_jsonl.c DICT jsonl.dict)
concord_fuzz(NAME llmc SOURCES fuzz/fuzz_llmc.c MAX_LEN 8192)
concord_fuzz(NAME ckpt SOURCES fuzz/fuzz_ckpt.c fuzz/h5mutate.c MAX_LEN 128 FULL_LEN)
concord_fuzz(NAME prefbuf SOURCES fuzz/fuzz_prefbuf.c fuzz/h5mutate.c MAX_LEN 128 FULL_LEN)
concord_fuzz(NAME safetensors SOURCES fuzz/fuzz_safetensors.c)
concord_fuzz(NAME bpe SOURCES fuzz/fuzz_bpe.c MAX_LEN 16384)
concord_fuzz(NAME hf_config SOURCES fuzz/fuzz_hf_config.c DICT hf_config.dict MAX_LEN 4096)
concord_fuzz(NAME small SOURCES fuzz/fuzz_small.c DICT small.dict MAX_LEN 4096)
