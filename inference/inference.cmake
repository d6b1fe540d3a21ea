# inference.cmake: the network front end (ONNX loader, digital engine, datasets).
# Included by the root CMakeLists.txt; appends to XB_SOURCES, XB_PUBLIC_HEADERS,
# XB_EXTRA_INCLUDES, XB_EXTRA_LIBS, XB_EXTRA_DEPS and XB_EXTRA_PC_REQUIRES.

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

file(GLOB _xb_inf_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/inference/*.c)
file(GLOB _xb_inf_hdr CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/inference/xb_*.h)
list(APPEND XB_SOURCES ${_xb_inf_src} ${XB_ONNX_GEN_C})
list(APPEND XB_PUBLIC_HEADERS ${_xb_inf_hdr})
list(APPEND XB_EXTRA_INCLUDES ${XB_ONNX_GEN_DIR})
list(APPEND XB_EXTRA_LIBS PkgConfig::PROTOBUFC PkgConfig::JPEG)
list(APPEND XB_EXTRA_DEPS xb_onnx_proto)
# A space-separated string: it lands verbatim in xbar.pc.
string(APPEND XB_EXTRA_PC_REQUIRES " libprotobuf-c libjpeg")

# The engine's inner loops (im2col, epilogue, pooling) need the vectorizer,
# which -O2 runs only in its cheapest mode.
set_source_files_properties(${CMAKE_SOURCE_DIR}/inference/engine_conv.c
                            ${CMAKE_SOURCE_DIR}/inference/engine_ops.c
                            PROPERTIES COMPILE_OPTIONS "$<$<NOT:$<CONFIG:Debug>>:-O3>")
