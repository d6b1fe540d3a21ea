# inference.cmake: the network front end (ONNX loader, digital engine, datasets).
# Included by the root CMakeLists.txt: three module targets and the generated
# protobuf-c code.

pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(JPEG REQUIRED IMPORTED_TARGET libjpeg)
find_program(PROTOC_C protoc-c REQUIRED)

# The ONNX schema as Debian's libonnx-dev installs it.  The C code is generated
# at build time, never committed.
set(XB_ONNX_PROTO "/usr/include/onnx/onnx.proto" CACHE FILEPATH "onnx.proto to generate the loader from")
if(NOT EXISTS ${XB_ONNX_PROTO})
  message(FATAL_ERROR "onnx.proto not found at ${XB_ONNX_PROTO} (install libonnx-dev)")
endif()
get_filename_component(_xb_proto_dir ${XB_ONNX_PROTO} DIRECTORY)
set(XB_ONNX_GEN_DIR ${CMAKE_BINARY_DIR}/generated/onnx)
set(XB_ONNX_GEN_C ${XB_ONNX_GEN_DIR}/onnx.pb-c.c)
set(XB_ONNX_GEN_H ${XB_ONNX_GEN_DIR}/onnx.pb-c.h)
file(MAKE_DIRECTORY ${XB_ONNX_GEN_DIR})
add_custom_command(
  OUTPUT ${XB_ONNX_GEN_C} ${XB_ONNX_GEN_H}
  COMMAND ${PROTOC_C} --proto_path=${_xb_proto_dir} --c_out=${XB_ONNX_GEN_DIR} ${XB_ONNX_PROTO}
  DEPENDS ${XB_ONNX_PROTO}
  COMMENT "Generating protobuf-c code from ${XB_ONNX_PROTO}"
  VERBATIM)
add_custom_target(xb_onnx_proto DEPENDS ${XB_ONNX_GEN_C} ${XB_ONNX_GEN_H})
# Generated code is not ours to warn about.
set_source_files_properties(${XB_ONNX_GEN_C} PROPERTIES GENERATED TRUE COMPILE_OPTIONS "-w")

# The generated code is an object library of its own, built without our warnings.
add_library(xb_onnx_pb OBJECT ${XB_ONNX_GEN_C})
target_include_directories(xb_onnx_pb PUBLIC ${XB_ONNX_GEN_DIR})
target_link_libraries(xb_onnx_pb PUBLIC PkgConfig::PROTOBUFC)
set_target_properties(xb_onnx_pb PROPERTIES POSITION_INDEPENDENT_CODE ON)
add_dependencies(xb_onnx_pb xb_onnx_proto)
list(APPEND XB_MODULE_TARGETS xb_onnx_pb)

# onnx: ONNX import, the planned model and the digital engine.
xb_module(xb_onnx inference/onnx USES xb_base)
target_link_libraries(xb_onnx PRIVATE xb_onnx_pb)
add_dependencies(xb_onnx xb_onnx_proto)
# data: datasets, labels, preprocessing, scoring.
xb_module(xb_data inference/data USES xb_onnx xb_base LIBS PkgConfig::JPEG PkgConfig::ZLIB)
# analog: mapping, tiles, ADC, calibration; arrays solved by solver/.
xb_module(xb_analog inference/analog USES xb_onnx xb_solver LIBS PkgConfig::GSL ${XB_OPENMP})
# A space-separated string: it lands verbatim in xbar.pc.
string(APPEND XB_EXTRA_PC_REQUIRES " libprotobuf-c libjpeg")

# The engine's inner loops (im2col, epilogue, pooling) need the vectorizer,
# which -O2 runs only in its cheapest mode.
set_source_files_properties(${CMAKE_SOURCE_DIR}/inference/onnx/engine_conv.c
                            ${CMAKE_SOURCE_DIR}/inference/onnx/engine_ops.c
                            PROPERTIES COMPILE_OPTIONS "$<$<NOT:$<CONFIG:Debug>>:-O3>")
