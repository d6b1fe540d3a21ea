/* onnx_impl.h: reading ONNX protobuf messages (private to inference/). */
#ifndef XB_ONNX_IMPL_H
#define XB_ONNX_IMPL_H

#include "model_impl.h"
#include "onnx.pb-c.h"

/* Decode a TensorProto (raw_data or typed fields) into a new constant.
 * `what` names the tensor in messages ("initializer 'conv1.weight'"). */
xb_status xb_onnx_tensor(const Onnx__TensorProto *t, const char *what, xb_const **out,
                         xb_error *err);

/* A new constant of dtype and shape with zeroed data; NULL if out of memory. */
xb_const *xb_const_new(xb_dtype dtype, int rank, const int64_t *dims);
xb_const *xb_const_copy(const xb_const *c);
size_t xb_dtype_size(xb_dtype t);
const char *xb_dtype_name(xb_dtype t);
/* Element i of any dtype, as double. */
double xb_const_get(const xb_const *c, int64_t i);

/* Attributes of a node.  Each getter returns XB_OK with the default when the
 * attribute is absent, and XB_EFORMAT when it has the wrong type. */
const Onnx__AttributeProto *xb_onnx_attr(const Onnx__NodeProto *n, const char *name);
xb_status xb_onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def,
                           int64_t *out, xb_error *err);
xb_status xb_onnx_attr_float(const Onnx__NodeProto *n, const char *name, float def, float *out,
                             xb_error *err);
/* Up to max ints; *count = -1 when absent. */
xb_status xb_onnx_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max,
                            int *count, xb_error *err);
/* String attribute into buf (empty when absent). */
xb_status xb_onnx_attr_string(const Onnx__NodeProto *n, const char *name, char *buf,
                              size_t size, xb_error *err);

#endif
