# One valgrind memcheck run of a representative subset of the command
# (tests/valgrind_subset.sh): solve on every backend, netlist, infer.  Not in
# sanitizer or fuzzing builds, whose instrumentation valgrind cannot run.
if(NOT XB_SANITIZE AND NOT XB_FUZZ)
  add_test(NAME valgrind_subset
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/valgrind_subset.sh $<TARGET_FILE:xbar>
                   ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/valgrind_subset)
  set_tests_properties(valgrind_subset PROPERTIES
    LABELS valgrind TIMEOUT 900 PASS_REGULAR_EXPRESSION "valgrind_subset: all clean")
endif()
