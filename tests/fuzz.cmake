# The fuzz targets' seed corpora (and any regression inputs kept with them) as
# ordinary tests: every fuzz/fuzz_<t>.c linked with fuzz/replay.c instead of
# libFuzzer runs once over fuzz/corpus/<t>, with the target's property checks,
# under whatever sanitizers the build has.  A fuzzing build (-DXB_FUZZ=ON) runs
# the real targets over the same corpora instead (-runs=0: the seeds only).
file(GLOB _xb_fuzz_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${_xb_fuzz_sources})
  get_filename_component(t ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" t ${t})
  set(_corpus ${CMAKE_SOURCE_DIR}/fuzz/corpus/${t})
  if(XB_FUZZ)
    add_test(NAME fuzz_seeds_${t} COMMAND fuzz_${t} -runs=0 ${_corpus})
  else()
    add_executable(fuzz_replay_${t} ${src} ${CMAKE_SOURCE_DIR}/fuzz/replay.c)
    target_compile_options(fuzz_replay_${t} PRIVATE ${XB_WARN} ${XB_SAN_FLAGS})
    target_link_libraries(fuzz_replay_${t} PRIVATE xbar_static)
    add_test(NAME fuzz_seeds_${t} COMMAND fuzz_replay_${t} ${_corpus})
    set_tests_properties(fuzz_seeds_${t} PROPERTIES PASS_REGULAR_EXPRESSION "replayed [1-9][0-9]* input")
  endif()
  set_tests_properties(fuzz_seeds_${t} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()
