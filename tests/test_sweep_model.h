/* test_sweep_model.h: a small Fashion-MNIST classifier written as ONNX, for
 * the sweep tests (included by them; not a test on its own).
 *
 *   input [N,1,32,32] -> Conv 1x1, 2 channels, weights (1, -1), int8 -> Relu
 *   -> Flatten [N,2048] -> Gemm [10,2048] (transB), int8 per row -> logits
 *
 * Relu(x) and Relu(-x) hold the positive and negative parts of the image, so
 * the Gemm rows (t_k, -t_k) score t_k . x: a nearest-class-mean classifier
 * whose templates t_k are the mean training image of class k minus the mean
 * of all classes.  Both layers have int8 weights, like the shipped model, and
 * the Gemm is deep enough (2048) to span two 1152-row arrays. */
#ifndef XB_TEST_SWEEP_MODEL_H
#define XB_TEST_SWEEP_MODEL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "xb_dataset.h"

#define TM_SIDE 32
#define TM_PIXELS (TM_SIDE * TM_SIDE)
#define TM_CLASSES 10
#define TM_TRAIN 2000 /* training images behind the templates */

/* Every allocation of the model, freed together. */
typedef struct {
    void *p[256];
    int n;
} tm_arena;

static void *tm_alloc(tm_arena *a, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p || a->n == 256) {
        fprintf(stderr, "test model: out of memory\n");
        exit(2);
    }
    a->p[a->n++] = p;
    return p;
}

static void tm_free(tm_arena *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->p[i]);
    a->n = 0;
}

static char *tm_str(tm_arena *a, const char *s)
{
    char *d = tm_alloc(a, strlen(s) + 1);
    memcpy(d, s, strlen(s) + 1);
    return d;
}

static Onnx__TensorProto *tm_tensor(tm_arena *a, const char *name, int type, int nd,
                                    const int64_t *dims, const void *data, size_t bytes)
{
    Onnx__TensorProto *t = tm_alloc(a, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = tm_str(a, name);
    t->n_dims = (size_t)nd;
    t->dims = tm_alloc(a, sizeof *t->dims * (size_t)nd);
    memcpy(t->dims, dims, sizeof *t->dims * (size_t)nd);
    t->has_data_type = 1;
    t->data_type = type;
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = tm_alloc(a, bytes);
    memcpy(t->raw_data.data, data, bytes); /* little-endian hosts, as ONNX stores them */
    return t;
}

static Onnx__AttributeProto *tm_ints(tm_arena *a, const char *name, int n, const int64_t *v)
{
    Onnx__AttributeProto *at = tm_alloc(a, sizeof *at);
    onnx__attribute_proto__init(at);
    at->name = tm_str(a, name);
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    at->n_ints = (size_t)n;
    at->ints = tm_alloc(a, sizeof *at->ints * (size_t)n);
    memcpy(at->ints, v, sizeof *at->ints * (size_t)n);
    return at;
}

static Onnx__AttributeProto *tm_int(tm_arena *a, const char *name, int64_t v)
{
    Onnx__AttributeProto *at = tm_alloc(a, sizeof *at);
    onnx__attribute_proto__init(at);
    at->name = tm_str(a, name);
    at->has_type = 1;
    at->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    at->has_i = 1;
    at->i = v;
    return at;
}

static Onnx__NodeProto *tm_node(tm_arena *a, const char *op, const char *name, int ni,
                                const char *const *in, const char *out, int na,
                                Onnx__AttributeProto **attrs)
{
    Onnx__NodeProto *n = tm_alloc(a, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = tm_str(a, op);
    n->name = tm_str(a, name);
    n->n_input = (size_t)ni;
    n->input = tm_alloc(a, sizeof *n->input * (size_t)ni);
    for (int i = 0; i < ni; i++)
        n->input[i] = tm_str(a, in[i]);
    n->n_output = 1;
    n->output = tm_alloc(a, sizeof *n->output);
    n->output[0] = tm_str(a, out);
    n->n_attribute = (size_t)na;
    n->attribute = tm_alloc(a, sizeof *n->attribute * (size_t)(na ? na : 1));
    for (int i = 0; i < na; i++)
        n->attribute[i] = attrs[i];
    return n;
}

/* A float tensor [N, d1, ...] value with a free batch dimension. */
static Onnx__ValueInfoProto *tm_value(tm_arena *a, const char *name, int nd, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = tm_alloc(a, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = tm_str(a, name);
    Onnx__TypeProto *tp = tm_alloc(a, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = tm_alloc(a, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    Onnx__TensorShapeProto *sh = tm_alloc(a, sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)nd;
    sh->dim = tm_alloc(a, sizeof *sh->dim * (size_t)nd);
    for (int i = 0; i < nd; i++) {
        Onnx__TensorShapeProto__Dimension *d = tm_alloc(a, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] < 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = tm_str(a, "N");
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        sh->dim[i] = d;
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    return v;
}

/* Symmetric int8 per output row: scale = max|w| / 127. */
static void tm_quantize(const float *w, int rows, int cols, int8_t *q, float *scale)
{
    for (int r = 0; r < rows; r++) {
        float m = 0;
        for (int c = 0; c < cols; c++)
            m = fmaxf(m, fabsf(w[(size_t)r * cols + c]));
        scale[r] = m > 0 ? m / 127.0f : 1.0f;
        for (int c = 0; c < cols; c++)
            q[(size_t)r * cols + c] = (int8_t)lrintf(w[(size_t)r * cols + c] / scale[r]);
    }
}

/* Write the model to path; 0 on success.  Reads TM_TRAIN training images. */
static int tm_write_model(const char *path)
{
    xb_error err = {0};
    xb_dataset *d = NULL;
    if (xb_dataset_open_fmnist(NULL, XB_SPLIT_TRAIN, &d, &err) != XB_OK) {
        fprintf(stderr, "test model: %s\n", err.msg);
        return -1;
    }
    float *x = malloc(sizeof *x * TM_PIXELS * TM_TRAIN);
    int *labels = malloc(sizeof *labels * TM_TRAIN);
    double *mean = calloc((size_t)TM_CLASSES * TM_PIXELS, sizeof *mean), all[TM_PIXELS] = {0};
    int count[TM_CLASSES] = {0};
    if (!x || !labels || !mean || xb_dataset_read_batch(d, 0, TM_TRAIN, x, labels, &err)) {
        fprintf(stderr, "test model: %s\n", err.msg[0] ? err.msg : "out of memory");
        free(x);
        free(labels);
        free(mean);
        xb_dataset_free(d);
        return -1;
    }
    xb_dataset_free(d);
    for (int i = 0; i < TM_TRAIN; i++) {
        count[labels[i]]++;
        for (int p = 0; p < TM_PIXELS; p++)
            mean[(size_t)labels[i] * TM_PIXELS + p] += x[(size_t)i * TM_PIXELS + p];
    }
    for (int k = 0; k < TM_CLASSES; k++)
        for (int p = 0; p < TM_PIXELS; p++) {
            mean[(size_t)k * TM_PIXELS + p] /= count[k] ? count[k] : 1;
            all[p] += mean[(size_t)k * TM_PIXELS + p] / TM_CLASSES;
        }
    /* Gemm rows (t_k, -t_k) over the two Relu channels, flattened channel-major. */
    static float w[TM_CLASSES * 2 * TM_PIXELS], scale[TM_CLASSES], bias[TM_CLASSES];
    static int8_t q[TM_CLASSES * 2 * TM_PIXELS], zero[TM_CLASSES];
    for (int k = 0; k < TM_CLASSES; k++) {
        double norm = 0;
        for (int p = 0; p < TM_PIXELS; p++) {
            float t = (float)(mean[(size_t)k * TM_PIXELS + p] - all[p]);
            w[(size_t)k * 2 * TM_PIXELS + p] = t;
            w[(size_t)k * 2 * TM_PIXELS + TM_PIXELS + p] = -t;
            norm += (double)t * t;
        }
        /* nearest mean: argmax t_k.x - |t_k|^2 / 2 */
        bias[k] = (float)(-0.5 * norm);
    }
    tm_quantize(w, TM_CLASSES, 2 * TM_PIXELS, q, scale);
    free(x);
    free(labels);
    free(mean);

    tm_arena a = {0};
    const float cw[2] = {1, -1}, cscale[2] = {1.0f / 127, 1.0f / 127}, cbias[2] = {0, 0};
    const int8_t cq[2] = {127, -127}, czero[2] = {0, 0};
    const int64_t d_cw[4] = {2, 1, 1, 1}, d_two[1] = {2}, d_gw[2] = {TM_CLASSES, 2 * TM_PIXELS},
                  d_cls[1] = {TM_CLASSES};
    (void)cw;
    Onnx__TensorProto *init[8] = {
        tm_tensor(&a, "conv.w_q", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 4, d_cw, cq, sizeof cq),
        tm_tensor(&a, "conv.w_scale", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d_two, cscale, sizeof cscale),
        tm_tensor(&a, "conv.w_zero", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, d_two, czero, sizeof czero),
        tm_tensor(&a, "conv.b", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d_two, cbias, sizeof cbias),
        tm_tensor(&a, "fc.w_q", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 2, d_gw, q, sizeof q),
        tm_tensor(&a, "fc.w_scale", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d_cls, scale, sizeof scale),
        tm_tensor(&a, "fc.w_zero", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, d_cls, zero, sizeof zero),
        tm_tensor(&a, "fc.b", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d_cls, bias, sizeof bias),
    };
    const int64_t one[2] = {1, 1}, pads0[4] = {0, 0, 0, 0};
    Onnx__AttributeProto *conv_attrs[4] = {tm_ints(&a, "kernel_shape", 2, one), tm_ints(&a, "strides", 2, one),
                                           tm_ints(&a, "pads", 4, pads0), tm_ints(&a, "dilations", 2, one)};
    Onnx__AttributeProto *axis0[1] = {tm_int(&a, "axis", 0)};
    Onnx__AttributeProto *axis0b[1] = {tm_int(&a, "axis", 0)};
    Onnx__AttributeProto *flat[1] = {tm_int(&a, "axis", 1)};
    Onnx__AttributeProto *gemm[1] = {tm_int(&a, "transB", 1)};
    const char *const dq1[3] = {"conv.w_q", "conv.w_scale", "conv.w_zero"};
    const char *const conv_in[3] = {"input", "conv.w", "conv.b"};
    const char *const relu_in[1] = {"conv"};
    const char *const flat_in[1] = {"relu"};
    const char *const dq2[3] = {"fc.w_q", "fc.w_scale", "fc.w_zero"};
    const char *const gemm_in[3] = {"flat", "fc.w", "fc.b"};
    Onnx__NodeProto *nodes[6] = {
        tm_node(&a, "DequantizeLinear", "conv.dq", 3, dq1, "conv.w", 1, axis0),
        tm_node(&a, "Conv", "conv", 3, conv_in, "conv", 4, conv_attrs),
        tm_node(&a, "Relu", "relu", 1, relu_in, "relu", 0, NULL),
        tm_node(&a, "Flatten", "flatten", 1, flat_in, "flat", 1, flat),
        tm_node(&a, "DequantizeLinear", "fc.dq", 3, dq2, "fc.w", 1, axis0b),
        tm_node(&a, "Gemm", "fc", 3, gemm_in, "logits", 1, gemm),
    };
    const int64_t d_in[4] = {-1, 1, TM_SIDE, TM_SIDE}, d_out[2] = {-1, TM_CLASSES};
    Onnx__ValueInfoProto *in[1] = {tm_value(&a, "input", 4, d_in)};
    Onnx__ValueInfoProto *out[1] = {tm_value(&a, "logits", 2, d_out)};
    Onnx__GraphProto g;
    onnx__graph_proto__init(&g);
    g.name = "sweep_test";
    g.n_node = 6;
    g.node = nodes;
    g.n_initializer = 8;
    g.initializer = init;
    g.n_input = 1;
    g.input = in;
    g.n_output = 1;
    g.output = out;
    Onnx__OperatorSetIdProto op;
    onnx__operator_set_id_proto__init(&op);
    op.domain = "";
    op.has_version = 1;
    op.version = 13;
    Onnx__OperatorSetIdProto *ops[1] = {&op};
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 7;
    m.n_opset_import = 1;
    m.opset_import = ops;
    m.producer_name = "test_sweep";
    m.graph = &g;
    size_t n = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = tm_alloc(&a, n);
    onnx__model_proto__pack(&m, buf);
    FILE *f = fopen(path, "wb");
    int rc = !f || fwrite(buf, 1, n, f) != n;
    if (f)
        rc |= fclose(f) != 0;
    tm_free(&a);
    if (rc)
        fprintf(stderr, "test model: cannot write %s\n", path);
    return rc ? -1 : 0;
}

#endif
