/* model_impl.h: the loaded network as the engine sees it (private to inference/).
 *
 * Tensors are either constants (initializers and everything folded from them)
 * or activations, whose first dimension is the batch.  An activation of
 * logical shape [N, d1, d2, ...] is stored channel-major as [d1][N][d2 ...]:
 * "lead" = d1 rows of N blocks of "rest" = d2*d3*... floats.  A batch of
 * feature maps is then one matrix with d1 rows and N*rest columns. */
#ifndef XB_MODEL_IMPL_H
#define XB_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "xb_error.h"
#include "xb_model.h"

#define XB_MAX_RANK 8
/* Upper bound on the elements of one tensor (per image for activations), so
 * that no index of one plane or one weight matrix overflows an int. */
#define XB_MAX_ELEMS ((int64_t)1 << 31)
/* The batch size where a folded shape holds it (Shape of an activation):
 * known only when the network runs.  Reshape and Expand take it as "the
 * batch"; arithmetic on it is refused.  Exactly representable as a double,
 * as constants are read through doubles. */
#define XB_BATCH_DIM (-((int64_t)1 << 53))

typedef enum {
    XB_DT_FLOAT = 0,
    XB_DT_INT8,
    XB_DT_UINT8,
    XB_DT_INT32,
    XB_DT_INT64
} xb_dtype;

/* A constant tensor.  For a float tensor folded from DequantizeLinear of an
 * int8 tensor, q* keep the int8 values and their quantization. */
typedef struct {
    xb_dtype dtype;
    int rank;
    int64_t dims[XB_MAX_RANK];
    int64_t count;          /* product of dims (1 for rank 0) */
    void *data;             /* count elements of dtype */
    int8_t *q;              /* count int8 values, or NULL */
    float *q_scale;         /* q_nscale scales */
    int8_t *q_zero;         /* q_nscale zero points */
    int64_t q_nscale;       /* 1 (per tensor) or dims[q_axis] */
    int q_axis;             /* axis of the scales, -1 when per tensor */
} xb_const;

typedef enum { XB_VAL_CONST = 0, XB_VAL_ACT } xb_val_kind;

/* A named tensor of the graph. */
typedef struct {
    char *name;
    xb_val_kind kind;
    xb_const *c;            /* XB_VAL_CONST: owned */
    /* XB_VAL_ACT: */
    int rank;               /* including the batch dimension */
    int64_t dims[XB_MAX_RANK]; /* dims[0] unused (batch) */
    int64_t lead, rest;     /* storage [lead][N][rest] */
    int alias;              /* value this one is a view of, or -1 */
    int storage;            /* buffer index after planning, -1 before */
    int uses;               /* consumers among live steps (+1 if graph output) */
} xb_value;

typedef enum {
    XB_STEP_MATMUL = 0,  /* Conv, Gemm, MatMul (+ scale, bias, residual, relu) */
    XB_STEP_RELU,
    XB_STEP_ADD,         /* activation + activation (+ relu) */
    XB_STEP_ADD_CONST,   /* activation + broadcast constant (+ relu) */
    XB_STEP_AFFINE,      /* per-channel y = a*x + b (BatchNormalization) (+ relu) */
    XB_STEP_MAXPOOL,
    XB_STEP_AVGPOOL,
    XB_STEP_GAP,         /* GlobalAveragePool */
    XB_STEP_RELAYOUT,    /* Flatten / Reshape that moves data */
    XB_STEP_QUANT,       /* QuantizeLinear on an activation */
    XB_STEP_DEQUANT,     /* DequantizeLinear on an activation */
    XB_STEP_MOVE,        /* Concat, Split, Slice, Transpose, Pad, Expand, Gather: an index map */
    XB_STEP_UNARY,       /* Clip, Sigmoid, HardSigmoid, HardSwish, Erf, Sqrt, Pow, Gelu, Tanh */
    XB_STEP_BINARY,      /* Add, Sub, Mul, Div with broadcasting */
    XB_STEP_REDUCE,      /* ReduceMean over dimensions other than the batch */
    XB_STEP_SOFTMAX,     /* Softmax along one dimension */
    XB_STEP_LAYERNORM,   /* LayerNormalization over the trailing dimensions */
    XB_STEP_MATMUL_ACT,  /* MatMul of two activations (attention): digital */
    XB_STEP_BROADCAST    /* a constant repeated for every image (Expand over the batch) */
} xb_step_kind;

/* XB_STEP_UNARY's functions (p0, p1: their parameters). */
typedef enum {
    XB_UN_CLIP = 0,      /* min(max(x, p0), p1) */
    XB_UN_SIGMOID,
    XB_UN_HARDSIGMOID,   /* max(0, min(1, p0 x + p1)) */
    XB_UN_HARDSWISH,     /* x max(0, min(1, x/6 + 1/2)) */
    XB_UN_ERF,
    XB_UN_SQRT,
    XB_UN_POW,           /* x^p0 */
    XB_UN_GELU,          /* p0 = 0: x/2 (1 + erf(x/sqrt 2)); 1: the tanh approximation */
    XB_UN_TANH
} xb_unary_op;

/* XB_STEP_BINARY's operations. */
typedef enum { XB_BIN_ADD = 0, XB_BIN_SUB, XB_BIN_MUL, XB_BIN_DIV } xb_binary_op;

typedef struct {
    xb_step_kind kind;
    char *name;             /* node name (owned) */
    const char *op;         /* op type (static string) */
    int in[2];              /* activation inputs (value ids), -1 if unused */
    int out;                /* output value id */
    int live;               /* 0 once fused into another step */
    int relu;               /* fused ReLU */
    int residual;           /* MATMUL: value id added before the ReLU, or -1 */
    char *desc;             /* one-line description (owned), set when planning */

    /* MATMUL */
    xb_matmul_layer mm;     /* pointers below */
    float *w, *bias, *post_scale, *w_scale;
    int8_t *w_q, *w_zero;
    int64_t rows_total;     /* groups * rows */

    /* pools: kernel, stride, dilation, pads (top, left, bottom, right) */
    int kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int count_include_pad;  /* AveragePool */

    /* AFFINE: a, b per channel (lead).  ADD_CONST: b is lead*rest. */
    float *a, *b;

    /* QUANT / DEQUANT: scale and zero point, one (per tensor) or lead each. */
    float *qscale, *qzero;
    int nq;
    float qmin, qmax;       /* QUANT saturation range */

    /* Every activation input when there are more than two (Concat); in[0],
     * in[1] are the first two. */
    int *ins;
    int nins;
    /* MOVE: element j of an output image (in its logical order) is element
     * (src_lead[j], src_rest[j]) of the image in input src_in[j] (an index
     * into ins, or 0 for in[0]), or `fill` when src_lead[j] < 0.
     * BINARY: src_lead/src_rest map output elements to operand in[0]'s, and
     * map2_lead/map2_rest to in[1]'s (NULL: the same element); a constant
     * second operand is b, expanded to the output's shape per image.
     * REDUCE: src_lead/src_rest map each INPUT element to its output element. */
    int32_t *src_lead, *src_rest, *map2_lead, *map2_rest;
    uint8_t *src_in;
    float fill;
    int fn;                 /* UNARY: xb_unary_op; BINARY: xb_binary_op */
    float p0, p1;           /* UNARY parameters; REDUCE: p0 = 1 / elements per output */
    int const_first;        /* BINARY: the constant is the first operand (c - x, c / x) */
    /* SOFTMAX, LAYERNORM: per image, g_outer groups of g_len elements g_inner
     * apart (logical order); LAYERNORM: g_inner = 1, a and b (or NULL) the
     * scale and bias of a group, p0 epsilon.  MATMUL_ACT: per image g_outer
     * products of in[0]'s mm_m x mm_k blocks by in[1]'s mm_k x mm_p blocks.
     * BROADCAST: b holds one image. */
    int64_t g_outer, g_len, g_inner;
    int64_t mm_m, mm_k, mm_p;
} xb_step;

/* A reusable activation buffer. */
typedef struct {
    int64_t per_image;      /* floats per image it must hold */
    float *data;
    size_t capacity;        /* floats allocated */
} xb_buffer;

struct xb_model {
    char *path;
    xb_value *vals;
    int nvals, cap_vals;
    xb_step *steps;
    int nsteps, cap_steps;
    int input;              /* value id of the graph input */
    int output;             /* value id of the graph output (resolved alias) */
    int in_c, in_h, in_w;
    int64_t out_per_image;
    int opset;
    char **meta_keys, **meta_vals;
    int nmeta;

    /* planning */
    xb_buffer *bufs;
    int nbufs;
    int *live_steps;        /* indices of live steps in run order */
    int nlive;
    xb_matmul_layer **mm_layers; /* pointers into steps, in run order */
    int nmm;
    float *ws;
    size_t ws_capacity;
    int max_batch;          /* buffers sized for this many images */

    xb_matmul_hook hook;
    void *hook_user;
};

/* onnx_import.c: protobuf -> values and steps (no fusion, no buffers). */
xb_status xb_onnx_import(xb_model *m, const uint8_t *bytes, size_t len, xb_error *err);

/* model_plan.c: fusion, liveness, buffer assignment, matmul layer table. */
xb_status xb_model_plan(xb_model *m, xb_error *err);

/* engine.c */
xb_status xb_engine_run(xb_model *m, const float *x, int batch, float *logits, xb_error *err);

/* engine_conv.c */
xb_status xb_engine_matmul(xb_model *m, xb_step *s, int batch, xb_error *err);

/* engine_ops.c */
void xb_engine_relu(float *y, size_t n);
void xb_engine_add(const float *a, const float *b, float *y, size_t n, int relu);
void xb_engine_add_const(const float *x, const float *c, float *y, int64_t lead, int batch,
                         int64_t rest, int relu);
void xb_engine_affine(const float *x, const float *a, const float *b, float *y, int64_t lead,
                      int64_t per_lead, int relu);
void xb_engine_pool(const xb_step *s, const xb_value *in, const xb_value *out, const float *x,
                    float *y, int batch);
void xb_engine_gap(const float *x, float *y, int64_t planes, int64_t hw);
void xb_engine_relayout(const float *x, float *y, int batch, int64_t per_image, int64_t rest_in,
                        int64_t rest_out);
void xb_engine_move(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_unary(const xb_step *s, const float *x, float *y, size_t n);
void xb_engine_binary(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_reduce(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_softmax(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_layernorm(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_matmul_act(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_broadcast(const xb_model *m, const xb_step *s, float *y, int batch);
void xb_engine_quant(const xb_step *s, const float *x, float *y, int64_t lead, int64_t per_lead,
                     int dequant);

/* Follow Identity / no-op reshape aliases to the value that owns the data. */
static inline int xb_root(const xb_model *m, int id)
{
    while (id >= 0 && m->vals[id].alias >= 0)
        id = m->vals[id].alias;
    return id;
}

/* The buffer that holds value v's activations (after planning). */
static inline float *xb_value_data(const xb_model *m, int v)
{
    return m->bufs[m->vals[v].storage].data;
}

/* Helpers shared by the import code. */
void xb_const_free(xb_const *c);
xb_value *xb_model_value(xb_model *m, int id);
int xb_model_find_value(const xb_model *m, const char *name);

#endif
