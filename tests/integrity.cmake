# Integrity of the files concord writes (io/h5util.h checksums, full-disk handling).
#   test_checksum  crc32 on every dataset of a checkpoint and a round file (independent of the
#                  number of writers); one damaged byte in any dataset is refused on load naming
#                  the dataset, and `concord inspect --verify` reports it (io)
#   test_enospc    a full disk (a small tmpfs, root only; skipped otherwise) ends a run with one
#                  message and a non-zero status, LATEST and the previous checkpoint intact, and
#                  the run resumes bit-identically once space is freed (io, e2e)
concord_script_test(NAME test_checksum SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_checksum.sh
                    ARGS $<TARGET_FILE:concord> $<TARGET_FILE:test_ckpt_tool>
                         $<TARGET_FILE:test_prefbuf> ${MPIEXEC_EXECUTABLE}
                    LABELS io TIMEOUT 300)
concord_script_test(NAME test_enospc SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/test_enospc.sh
                    ARGS $<TARGET_FILE:concord> LABELS io e2e TIMEOUT 600)
set_tests_properties(test_enospc PROPERTIES SKIP_RETURN_CODE 77)
