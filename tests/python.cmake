# The Python package's pytest suite (python/tests), run with Debian's python3
# against the package the build assembled in build/python (XB_PYTHON3 and the
# package: python/CMakeLists.txt).  python_layout prints the C structs' sizes
# and offsets for the ctypes mirrors to be checked against.
if(XB_FUZZ)
  return()
endif()
add_executable(python_layout ${CMAKE_CURRENT_SOURCE_DIR}/python_layout.c)
target_compile_options(python_layout PRIVATE ${XB_WARN})
target_link_libraries(python_layout PRIVATE xbar_static)
if(XB_SANITIZE)
  # An ASan libxbar.so cannot be loaded into an uninstrumented python: the
  # runtime must come first in the process (LD_PRELOAD of libasan), which the
  # interpreter's own leaks and allocator would then fail.  The regular build
  # runs this suite; here it reports itself skipped.
  add_test(NAME python COMMAND sh -c "echo 'python: skipped under XB_SANITIZE (an ASan libxbar.so cannot load into python)'; exit 77")
  set_tests_properties(python PROPERTIES SKIP_RETURN_CODE 77)
elseif(NOT XB_PYTHON3)
  add_test(NAME python COMMAND sh -c "echo 'python: /usr/bin/python3 not found: apt-get install python3-numpy python3-pytest' >&2; exit 1")
else()
  add_test(NAME python
           COMMAND ${XB_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/python/tests)
  # XBAR_LIBRARY is emptied so that the package finds the library the way a
  # user's does (its _paths.py); the tests that need it set it themselves.
  set_tests_properties(python PROPERTIES
    ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;PYTHONDONTWRITEBYTECODE=1;XBAR_LIBRARY=;XB_XBAR=$<TARGET_FILE:xbar>;XB_PYTHON_LAYOUT=$<TARGET_FILE:python_layout>;XB_SOURCE_DIR=${CMAKE_SOURCE_DIR};XB_BINARY_DIR=${CMAKE_BINARY_DIR}"
    TIMEOUT 600)
endif()
