/* onnx_import.c: ONNX graph -> constants, activations and engine steps.
 *
 * Nodes are visited in file order (ONNX requires a topological order).  A
 * node whose inputs are all constants (Constant, Identity, Reshape, Flatten,
 * Quantize/DequantizeLinear, the moves, the element-wise ops, Shape, Cast,
 * ...) is evaluated here; every other node becomes a step.
 * Shapes are inferred from the input shape with the batch left free. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"

/* The ops, their importers, and the attributes each importer reads (or,
 * after '|', accepts and ignores because they do not change inference:
 * BatchNormalization's momentum, Dropout's ratio and seed, MaxPool's
 * storage_order of the absent Indices output).  Any other attribute is
 * refused with the node named, so none is silently dropped. */
typedef struct {
    const char *op;
    xb_status (*fn)(xb_onnx_node *x);
    const char *attrs; /* space-separated */
} op_entry;

static xb_status imp_gemm(xb_onnx_node *x) { return xb_onnx_import_gemm(x, 0); }
static xb_status imp_matmul(xb_onnx_node *x) { return xb_onnx_import_gemm(x, 1); }
static xb_status imp_maxpool(xb_onnx_node *x) { return xb_onnx_import_pool(x, XB_STEP_MAXPOOL); }
static xb_status imp_avgpool(xb_onnx_node *x) { return xb_onnx_import_pool(x, XB_STEP_AVGPOOL); }
static xb_status imp_quant(xb_onnx_node *x) { return xb_onnx_import_quant(x, 0); }
static xb_status imp_dequant(xb_onnx_node *x) { return xb_onnx_import_quant(x, 1); }
static xb_status imp_squeeze(xb_onnx_node *x) { return xb_onnx_import_squeeze(x, 0); }
static xb_status imp_unsqueeze(xb_onnx_node *x) { return xb_onnx_import_squeeze(x, 1); }

#define POOL "auto_pad ceil_mode kernel_shape pads strides"
static const op_entry ops[] = {
    {"Conv", xb_onnx_import_conv, "auto_pad dilations group kernel_shape pads strides"},
    {"Gemm", imp_gemm, "alpha beta transA transB"},
    {"MatMul", imp_matmul, ""},
    {"BatchNormalization", xb_onnx_import_bn, "epsilon training_mode | momentum"},
    {"Relu", xb_onnx_import_relu, ""},
    {"Add", xb_onnx_import_binary, ""},
    {"Sub", xb_onnx_import_binary, ""},
    {"Mul", xb_onnx_import_binary, ""},
    {"Div", xb_onnx_import_binary, ""},
    {"MaxPool", imp_maxpool, POOL " dilations | storage_order"},
    {"AveragePool", imp_avgpool, POOL " count_include_pad"},
    {"GlobalAveragePool", xb_onnx_import_gap, ""},
    {"ReduceMean", xb_onnx_import_reduce_mean, "axes keepdims noop_with_empty_axes"},
    {"Flatten", xb_onnx_import_flatten, "axis"},
    {"Reshape", xb_onnx_import_reshape, "allowzero"},
    {"Squeeze", imp_squeeze, "axes"},
    {"Unsqueeze", imp_unsqueeze, "axes"},
    {"Concat", xb_onnx_import_concat, "axis"},
    {"Split", xb_onnx_import_split, "axis split num_outputs"},
    {"Slice", xb_onnx_import_slice, "starts ends axes"},
    {"Transpose", xb_onnx_import_transpose, "perm"},
    {"Pad", xb_onnx_import_pad, "mode pads value"},
    {"Expand", xb_onnx_import_expand, ""},
    {"Gather", xb_onnx_import_gather, "axis"},
    {"Clip", xb_onnx_import_unary, "min max"},
    {"Sigmoid", xb_onnx_import_unary, ""},
    {"HardSigmoid", xb_onnx_import_unary, "alpha beta"},
    {"HardSwish", xb_onnx_import_unary, ""},
    {"Erf", xb_onnx_import_unary, ""},
    {"Sqrt", xb_onnx_import_unary, ""},
    {"Tanh", xb_onnx_import_unary, ""},
    {"Gelu", xb_onnx_import_unary, "approximate"},
    {"Pow", xb_onnx_import_unary, ""},
    {"Dropout", xb_onnx_import_dropout, "| ratio seed"},
    {"Cast", xb_onnx_import_cast, "to"},
    {"Shape", xb_onnx_import_shape, "start end"},
    {"ConstantOfShape", xb_onnx_import_shape, "value"},
    {"Identity", xb_onnx_import_identity, ""},
    {"Constant", xb_onnx_import_constant, "value value_float value_floats value_int value_ints"},
    {"QuantizeLinear", imp_quant, "axis"},
    {"DequantizeLinear", imp_dequant, "axis"},
    {"Softmax", xb_onnx_import_softmax, "axis"},
    {"LayerNormalization", xb_onnx_import_layernorm, "axis epsilon | stash_type"},
    {"Equal", xb_onnx_import_select, ""},
    {"Where", xb_onnx_import_select, ""},
};
#define N_OPS (sizeof ops / sizeof ops[0])

/* Is name one of the space-separated words of list? */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '|')
            p++;
        size_t k = strcspn(p, " |");
        if (k == n && !strncmp(p, name, n)) return 1;
        p += k;
    }
    return 0;
}

static xb_status import_node(xb_onnx_node *x)
{
    for (size_t i = 0; i < N_OPS; i++) {
        if (strcmp(x->op, ops[i].op)) continue;
        for (size_t a = 0; a < x->n->n_attribute; a++) {
            const char *an = x->n->attribute[a]->name ? x->n->attribute[a]->name : "";
            if (!listed(ops[i].attrs, an))
                return xb_onnx_node_err(x, XB_EUNSUPPORTED, "attribute '%s' is not supported (%s takes: %s)", an,
                                        ops[i].op, ops[i].attrs[0] ? ops[i].attrs : "none");
        }
        return ops[i].fn(x);
    }
    char list[1024];
    size_t n = 0;
    for (size_t i = 0; i < N_OPS && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", ops[i].op);
    return xb_onnx_node_err(x, XB_EUNSUPPORTED, "unsupported op type '%s' (supported: %s)", x->op, list);
}

/* The op's name as a static string (steps keep it), or "?". */
static const char *op_static(const char *op)
{
    for (size_t i = 0; i < N_OPS; i++)
        if (!strcmp(op, ops[i].op)) return ops[i].op;
    return "?";
}

static xb_status import_input(xb_model *m, const Onnx__GraphProto *g, xb_error *err)
{
    const Onnx__ValueInfoProto *vi = NULL;
    int count = 0;
    for (size_t i = 0; i < g->n_input; i++) {
        const char *nm = g->input[i]->name;
        if (!nm || !nm[0]) return xb_error_set(err, XB_EFORMAT, "graph input %zu has no name", i);
        int id = xb_model_find_value(m, nm);
        if (id >= 0 && m->vals[id].kind == XB_VAL_CONST)
            continue; /* an initializer listed as input (IR < 4) */
        vi = g->input[i];
        count++;
    }
    if (count != 1)
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "the graph has %d inputs besides the "
                            "initializers; exactly one (the image batch) is supported",
                            count);
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s' is not a tensor", vi->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type && tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "graph input '%s' has element type %d; only "
                            "float32 is supported",
                            vi->name, (int)tt->elem_type);
    if (!tt->shape)
        return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s' has no shape", vi->name);
    size_t r = tt->shape->n_dim;
    if (r != 4 && r != 2)
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "graph input '%s' has rank %zu; [N,C,H,W] or "
                            "[N,F] is supported",
                            vi->name, r);
    int64_t dims[4] = {0, 1, 1, 1};
    for (size_t i = 1; i < r; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            d->dim_value <= 0 || d->dim_value > 1 << 20)
            return xb_error_set(err, XB_EUNSUPPORTED,
                                "graph input '%s': dimension %zu is not a "
                                "fixed positive size; only the batch dimension may vary",
                                vi->name, i);
        dims[i] = d->dim_value;
    }
    int id = xb_onnx_add_act(m, vi->name, (int)r, dims, err);
    if (id < 0) return err->code;
    m->input = id;
    m->in_c = (int)dims[1];
    m->in_h = (int)dims[2];
    m->in_w = (int)dims[3];
    return XB_OK;
}

xb_status xb_onnx_import(xb_model *m, const uint8_t *bytes, size_t len, xb_error *err)
{
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, bytes);
    if (!mp)
        return xb_error_set(err, XB_EFORMAT,
                            "not a valid ONNX file: the protobuf could not be "
                            "parsed (%zu bytes; truncated or corrupt?)",
                            len);
    xb_status st = XB_OK;
    const Onnx__GraphProto *g = mp->graph;
    m->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain;
        if ((!d || !d[0] || !strcmp(d, "ai.onnx")) && mp->opset_import[i]->has_version)
            m->opset = (int)mp->opset_import[i]->version;
    }
    if (!g || g->n_node == 0) {
        st = xb_error_set(err, XB_EFORMAT, "not a valid ONNX model: no graph%s", g ? " nodes" : "");
        goto done;
    }
    if (m->opset < 0) {
        st = xb_error_set(err, XB_EFORMAT,
                          "not a valid ONNX model: no opset_import for the "
                          "default domain (truncated file?)");
        goto done;
    }
    if (m->opset < 7) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "opset %d is too old (7 or later is supported)",
                          m->opset);
        goto done;
    }
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (!e->key || !e->value) continue;
        char **k = realloc(m->meta_keys, sizeof *k * (size_t)(m->nmeta + 1));
        if (k) m->meta_keys = k;
        char **v = realloc(m->meta_vals, sizeof *v * (size_t)(m->nmeta + 1));
        if (v) m->meta_vals = v;
        if (!k || !v) {
            st = xb_error_set(err, XB_ENOMEM, "out of memory");
            goto done;
        }
        m->meta_keys[m->nmeta] = strdup(e->key);
        m->meta_vals[m->nmeta] = strdup(e->value);
        m->nmeta++;
        if (!m->meta_keys[m->nmeta - 1] || !m->meta_vals[m->nmeta - 1]) {
            st = xb_error_set(err, XB_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        if (!t->name || !t->name[0]) {
            st = xb_error_set(err, XB_EFORMAT, "initializer %zu has no name", i);
            goto done;
        }
        char what[300];
        snprintf(what, sizeof what, "initializer '%.200s'", t->name);
        xb_const *c;
        if ((st = xb_onnx_tensor(t, what, &c, err)) != XB_OK) goto done;
        if (xb_onnx_add_const(m, t->name, c, err) < 0) {
            st = err->code;
            goto done;
        }
    }
    if (g->n_sparse_initializer) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "sparse initializers are not supported");
        goto done;
    }
    if ((st = import_input(m, g, err)) != XB_OK) goto done;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        xb_onnx_node x = {m, n, op_static(n->op_type ? n->op_type : ""), "", err};
        const char *op = n->op_type ? n->op_type : "";
        if (n->name && n->name[0])
            snprintf(x.name, sizeof x.name, "%s", n->name);
        else
            snprintf(x.name, sizeof x.name, "%.100s_%zu", op, i);
        if (x.op[0] == '?') x.op = op;
        if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) {
            st = xb_error_set(err, XB_EUNSUPPORTED,
                              "node '%s': op '%s' of domain '%s' is not "
                              "supported (only the default ONNX domain is)",
                              x.name, op, n->domain);
            goto done;
        }
        if ((st = import_node(&x)) != XB_OK) goto done;
    }
    if (g->n_output != 1) {
        st = xb_error_set(err, XB_EUNSUPPORTED,
                          "the graph has %zu outputs; exactly one is "
                          "supported",
                          g->n_output);
        goto done;
    }
    const char *on = g->output[0]->name ? g->output[0]->name : "";
    int oid = xb_model_find_value(m, on);
    if (oid < 0) {
        st = xb_error_set(err, XB_EFORMAT, "graph output '%s' is not produced by any node", on);
        goto done;
    }
    oid = xb_root(m, oid);
    if (m->vals[oid].kind != XB_VAL_ACT) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "graph output '%s' is a constant", on);
        goto done;
    }
    m->output = oid;
    m->out_per_image = m->vals[oid].lead * m->vals[oid].rest;
    if (oid == m->input) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "the graph output is its input");
        goto done;
    }
done:
    onnx__model_proto__free_unpacked(mp, NULL);
    return st;
}
