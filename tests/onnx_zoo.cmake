# The full-size zoo (tools/make_onnx_zoo.py --large): too large for the
# repository, so written into the build tree by the script when Debian's torch,
# torchvision and onnx are installed (once; later runs reuse the files), then
# checked by test_onnx_zoo DIR.  Without them the test reports itself skipped,
# with the reason, rather than passing.
if(XB_FUZZ)
  return()
endif()
add_test(NAME onnx_zoo_large
         COMMAND sh -c "if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then echo 'onnx_zoo_large: skipped: the full-size networks are made by tools/make_onnx_zoo.py --large, which needs python3-torch, python3-torchvision and python3-onnx'; exit 77; fi; d=${CMAKE_BINARY_DIR}/zoo_large; if [ ! -f $d/.complete ]; then /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tools/make_onnx_zoo.py --large $d >$d.log 2>&1 || { cat $d.log; exit 1; }; touch $d/.complete; fi; exec $<TARGET_FILE:test_onnx_zoo> $d")
set_tests_properties(onnx_zoo_large PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 1200
                     ENVIRONMENT "XB_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
