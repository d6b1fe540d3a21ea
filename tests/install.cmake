# The installed library (tests/install_c_api.sh) and the API reference
# (tests/test_api_docs.sh).  Both look at the library as it is installed and
# linked by others, which a fuzzing build (-DXB_FUZZ=ON) does not produce.
if(NOT XB_FUZZ)
  string(JOIN " " _xb_san ${XB_SAN_FLAGS})
  add_test(NAME install_c_api
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install_c_api.sh ${CMAKE_BINARY_DIR}
                   ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER} "${_xb_san}")
  set_tests_properties(install_c_api PROPERTIES TIMEOUT 300 PASS_REGULAR_EXPRESSION "install_c_api: ok")
  add_test(NAME api_docs
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_api_docs.sh $<TARGET_FILE:xbar_shared> ${CMAKE_SOURCE_DIR})
  set_tests_properties(api_docs PROPERTIES TIMEOUT 60)
endif()
