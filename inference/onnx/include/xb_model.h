/* xb_model.h: ONNX networks and the digital reference engine.
 *
 * xb_model_load() parses an ONNX file (protobuf-c code generated from the
 * onnx.proto that libonnx-dev installs), folds its constant subgraphs
 * (Constant, Identity, DequantizeLinear / QuantizeLinear of initializers),
 * infers every tensor shape from the input shape (the batch dimension stays
 * free) and plans a float32 executor:
 *
 *   Conv                 im2col + one matrix multiply per column block
 *   Gemm, MatMul         one matrix multiply
 *   BatchNormalization   folded into the Conv/Gemm before it, else per channel
 *   Relu, Add            fused into the Conv/Gemm before them where possible
 *   MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape,
 *   QuantizeLinear, DequantizeLinear (on activations)
 *
 * Any other op, a tensor with external data, or a malformed file is refused
 * with a message that names the node (or tensor) and what is wrong.
 *
 * THE MATMUL HOOK.  Every matrix multiply of the network goes through one
 * function, xb_matmul_hook.  The default multiplies with OpenBLAS sgemm; the
 * analog core replaces it with tiled crossbar MVMs.  The hook computes
 *
 *     Y (rows x cols) = W (rows x depth) * X (depth x cols)
 *
 * for one group of one layer and one block of columns.  Every column of X
 * is one input vector: for a Conv, the im2col patch of one output pixel of
 * one image (column index = image * out_h * out_w + oh * out_w + ow); for a
 * Gemm/MatMul, the feature vector of one image.  Bias, folded BatchNorm
 * scale, residual Add and ReLU are applied by the engine afterwards, so the
 * hook sees the raw product only.
 *
 * Internally activations are stored channel-major ([C][N][H][W]) so that a
 * whole batch forms one wide matrix; xb_model_run() takes and returns
 * ordinary NCHW / [N][classes] arrays. */
#ifndef XB_MODEL_H
#define XB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xb_model xb_model;

/* Load an ONNX model.  NULL on error, with err filled in. */
xb_model *xb_model_load(const char *path, xb_error *err);
void xb_model_free(xb_model *m);

/* Input shape without the batch dimension: c, h, w (e.g. 1,32,32 or
 * 3,224,224).  A model whose input is [N, F] reports c = F, h = w = 1. */
xb_status xb_model_input_shape(const xb_model *m, int *c, int *h, int *w);
/* Number of outputs per image (the product of the output's non-batch dims). */
int xb_model_num_classes(const xb_model *m);

/* Run a batch.  x: batch*c*h*w floats, NCHW; logits: batch*num_classes
 * floats.  Buffers grow on the first call with a larger batch than before
 * (see xb_model_reserve); a run with a batch no larger allocates nothing. */
xb_status xb_model_run(xb_model *m, const float *x, int batch, float *logits, xb_error *err);

/* Preallocate every activation buffer and the im2col workspace for batches
 * of up to max_batch images. */
xb_status xb_model_reserve(xb_model *m, int max_batch, xb_error *err);

/* Bytes of activation + workspace memory currently allocated. */
size_t xb_model_buffer_bytes(const xb_model *m);

/* Rough cost of one image through the planned model: *floats, the activation
 * and im2col workspace floats; *ops, the multiply-adds (or window reads).
 * Both saturate at INT64_MAX, so a huge network can be refused before it runs. */
void xb_model_cost(const xb_model *m, int64_t *floats, int64_t *ops);

/* ---- the matrix-multiply hook ------------------------------------------------ */

typedef enum {
    XB_MATMUL_CONV = 0,   /* Conv, lowered by im2col */
    XB_MATMUL_GEMM = 1,   /* Gemm */
    XB_MATMUL_MATMUL = 2  /* MatMul with a constant right operand */
} xb_matmul_kind;

/* One matrix-multiply layer.  Fixed when the model is loaded; the pointers
 * stay valid until xb_model_free(). */
typedef struct {
    int index;             /* 0-based among the matmul layers, in run order */
    const char *name;      /* ONNX node name ("<op>_<node index>" when empty) */
    xb_matmul_kind kind;
    int groups;            /* conv groups; 1 for Gemm/MatMul */
    int rows;              /* outputs per group: out_channels/groups, or out features */
    int depth;             /* inputs per group: in_channels/groups*kernel_h*kernel_w,
                              or in features */
    /* Weights, groups*rows x depth, row-major; group g is rows g*rows .. */
    const float *weight;          /* float32 (dequantized when from int8) */
    const int8_t *weight_q;       /* the int8 values, or NULL if the weight was
                                     not int8 per-channel / per-tensor */
    const float *weight_scale;    /* groups*rows scales (one per output row), or NULL */
    const int8_t *weight_zero_point; /* groups*rows zero points, or NULL */
    /* Applied by the engine after the hook, given for information:
     * out = y * post_scale[r] + bias[r] (+ residual) (then ReLU). */
    const float *post_scale;      /* groups*rows, or NULL for 1 */
    const float *bias;            /* groups*rows, or NULL for 0 */
    int relu;                     /* 1 if a ReLU follows (fused) */
    int residual;                 /* 1 if an Add of another activation follows (fused) */
    /* Conv geometry (kind == XB_MATMUL_CONV).  Gemm/MatMul: in_channels =
     * depth, out_channels = rows, every spatial size and kernel 1, pads 0. */
    int in_channels, in_h, in_w;
    int out_channels, out_h, out_w;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_left, pad_bottom, pad_right;
} xb_matmul_layer;

/* One call: a block of columns of one group of one layer. */
typedef struct {
    int group;        /* 0 .. groups-1 */
    int batch;        /* images in this run */
    long col0;        /* first column of the block among batch*out_h*out_w */
    int cols;         /* columns in the block */
    const float *x;   /* depth x cols, row stride ldx floats */
    size_t ldx;
    float *y;         /* rows x cols, row stride ldy floats: write every entry */
    size_t ldy;
} xb_matmul_call;

/* Y = W[group] * X.  Return XB_OK, or a status with err filled in, which
 * aborts the run and is returned by xb_model_run().  The hook may be called
 * several times per layer per run, with disjoint column blocks in
 * increasing col0, and never concurrently for one model. */
typedef xb_status (*xb_matmul_hook)(void *user, const xb_matmul_layer *layer,
                                    const xb_matmul_call *call, xb_error *err);

/* Replace the hook; fn == NULL restores the default (xb_matmul_sgemm). */
void xb_model_set_matmul_hook(xb_model *m, xb_matmul_hook fn, void *user);

/* The default hook: OpenBLAS cblas_sgemm on layer->weight.  user is unused.
 * Custom hooks may call it for layers they do not handle. */
xb_status xb_matmul_sgemm(void *user, const xb_matmul_layer *layer, const xb_matmul_call *call,
                          xb_error *err);

int xb_model_num_matmul_layers(const xb_model *m);
/* Layer i (0 <= i < xb_model_num_matmul_layers), or NULL when out of range. */
const xb_matmul_layer *xb_model_matmul_layer(const xb_model *m, int i);

/* Number of executed steps after fusion, and a one-line description of step
 * i, for reports, e.g.
 *   "Conv 'conv1' 64x1x7x7 stride 2,2 pad 3,3,3,3 int8 +bias +relu -> [N,64,16,16]"
 * NULL when i is out of range. */
int xb_model_num_steps(const xb_model *m);
const char *xb_model_step_describe(const xb_model *m, int i);

/* Value of a metadata_props entry of the model, or NULL. */
const char *xb_model_metadata(const xb_model *m, const char *key);

#ifdef __cplusplus
}
#endif
#endif
