# MPI sweeps (tests/mpi_sweep.c): `mpirun -np 2 --oversubscribe xbar sweep`
# against a single process, with one rank SIGKILLed.  Registered when xbar is
# built with MPI and a launcher is found.
if(XB_MPI AND MPI_C_FOUND AND MPIEXEC_EXECUTABLE)
  add_executable(mpi_sweep ${CMAKE_CURRENT_SOURCE_DIR}/mpi_sweep.c ${CMAKE_CURRENT_SOURCE_DIR}/xb_test.c)
  target_include_directories(mpi_sweep PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(mpi_sweep PRIVATE ${XB_WARN} ${XB_SAN_FLAGS})
  target_link_libraries(mpi_sweep PRIVATE xbar_static)
  add_test(NAME mpi_sweep COMMAND mpi_sweep ${MPIEXEC_EXECUTABLE})
  set_tests_properties(mpi_sweep PROPERTIES
    ENVIRONMENT "XB_SOURCE_DIR=${CMAKE_SOURCE_DIR};XB_BINARY_DIR=${CMAKE_BINARY_DIR};XB_XBAR=$<TARGET_FILE:xbar>"
    LABELS mpi TIMEOUT 600)
  if(XB_SANITIZE)
    # Open MPI's plugins are unloaded before LeakSanitizer reports, so what they
    # keep for the life of the process shows up from "<unknown module>" and no
    # suppression can name it.  Leak checking stays on for the same sweep code
    # in one process (test_sweep_resume); ASan and UBSan still check the ranks.
    set_property(TEST mpi_sweep APPEND PROPERTY ENVIRONMENT
                 "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:strict_string_checks=1")
  endif()
endif()
