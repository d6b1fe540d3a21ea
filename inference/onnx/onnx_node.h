/* onnx_node.h: importing ONNX nodes (private to inference/).
 *
 * onnx_import.c walks the graph; each op has an importer in onnx_op_*.c that
 * checks its inputs and attributes, infers the output shape and either adds
 * a constant (folded) or an engine step.  Errors name the node and op. */
#ifndef XB_ONNX_NODE_H
#define XB_ONNX_NODE_H

#include "onnx_impl.h"

/* One node being imported. */
typedef struct {
    xb_model *m;
    const Onnx__NodeProto *n;
    const char *op; /* op type */
    char name[160]; /* node name, or "<op>_<index>" when it has none */
    xb_error *err;
} xb_onnx_node;

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        xb_status _s = (expr);                                                                     \
        if (_s != XB_OK) return _s;                                                                \
    } while (0)

/* ---- values (onnx_node.c) ---- */
/* New value ids, or -1 with err set.  add_const takes ownership of c. */
int xb_onnx_add_value(xb_model *m, const char *name, xb_error *err);
int xb_onnx_add_const(xb_model *m, const char *name, xb_const *c, xb_error *err);
void xb_onnx_set_act_shape(xb_value *v, int rank, const int64_t *dims);
int xb_onnx_add_act(xb_model *m, const char *name, int rank, const int64_t *dims, xb_error *err);
xb_step *xb_onnx_add_step(xb_onnx_node *x, xb_step_kind kind);

/* ---- node helpers (onnx_node.c) ---- */
/* Fail with "node 'name' (op): <message>". */
xb_status xb_onnx_node_err(xb_onnx_node *x, xb_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix an error set by a helper with the node. */
xb_status xb_onnx_node_wrap(xb_onnx_node *x, xb_status s);
/* Value id of input k, -1 if absent (optional input); error if the name is unknown.
 * need_*: the input must exist (and be an activation / a constant). */
xb_status xb_onnx_input(xb_onnx_node *x, size_t k, int *id);
xb_status xb_onnx_need_input(xb_onnx_node *x, size_t k, int *id);
xb_status xb_onnx_need_act(xb_onnx_node *x, size_t k, int *id);
xb_status xb_onnx_need_const(xb_onnx_node *x, size_t k, int *id, const char *role);
const xb_const *xb_onnx_cval(xb_onnx_node *x, int id);
xb_value *xb_onnx_act(xb_onnx_node *x, int id);
/* The output (output 0; other outputs must be absent) as a new activation,
 * constant (takes ownership) or view of src. */
xb_status xb_onnx_single_output(xb_onnx_node *x);
const char *xb_onnx_out_name(xb_onnx_node *x);
xb_status xb_onnx_out_act(xb_onnx_node *x, int rank, const int64_t *dims, int *id);
xb_status xb_onnx_out_const(xb_onnx_node *x, xb_const *c);
xb_status xb_onnx_out_alias(xb_onnx_node *x, int src);
float *xb_onnx_float_copy(const float *src, int64_t n);
xb_status xb_onnx_need_float_const(xb_onnx_node *x, int id, const char *role, int64_t count);

/* ---- geometry (onnx_geom.c) ---- */
typedef struct {
    int64_t k[2], s[2], d[2], p[4]; /* kernel, stride, dilation, pads (top, left, bottom, right) */
    int ceil_mode;
} xb_onnx_geom;
xb_status xb_onnx_read_geom(xb_onnx_node *x, xb_onnx_geom *g, const int64_t *kernel,
                            int allow_dilation);
xb_status xb_onnx_out_size(xb_onnx_node *x, xb_onnx_geom *g, int64_t h, int64_t w, int64_t *oh,
                           int64_t *ow);
void xb_onnx_set_geom_step(xb_step *s, const xb_onnx_geom *g);

/* ---- op importers (onnx_op_*.c) ---- */
xb_status xb_onnx_import_conv(xb_onnx_node *x);
xb_status xb_onnx_import_gemm(xb_onnx_node *x, int is_matmul);
xb_status xb_onnx_import_bn(xb_onnx_node *x);
xb_status xb_onnx_import_relu(xb_onnx_node *x);
xb_status xb_onnx_import_add(xb_onnx_node *x);
xb_status xb_onnx_import_pool(xb_onnx_node *x, xb_step_kind kind);
xb_status xb_onnx_import_gap(xb_onnx_node *x);
xb_status xb_onnx_import_flatten(xb_onnx_node *x);
xb_status xb_onnx_import_reshape(xb_onnx_node *x);
xb_status xb_onnx_import_identity(xb_onnx_node *x);
xb_status xb_onnx_import_constant(xb_onnx_node *x);
xb_status xb_onnx_import_quant(xb_onnx_node *x, int dequant);

#endif
