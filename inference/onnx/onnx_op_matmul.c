/* onnx_op_matmul.c: Conv, Gemm and MatMul become matrix-multiply steps
 * with a float weight matrix (and its int8 form when the weight was folded
 * from an int8 DequantizeLinear). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"

/* Copy the int8 provenance of constant c to the step when it describes the
 * weight rows: per tensor, or per axis `row_axis` of c.  transpose: the
 * step's weight is c^T (c is 2-D [depth, rows]). */
static xb_status take_q(xb_onnx_node *x, xb_step *s, const xb_const *c, int row_axis, int transpose)
{
    if (!c->q) return XB_OK;
    int64_t rows = s->rows_total, depth = s->mm.depth;
    int per_row = c->q_axis == row_axis && c->q_nscale == rows;
    if (!(c->q_axis < 0 || per_row))
        return XB_OK; /* quantized along the input dimension: no per-row scales */
    s->w_q = malloc((size_t)(rows * depth) + 1);
    s->w_scale = malloc(sizeof(float) * (size_t)rows);
    s->w_zero = malloc((size_t)rows);
    if (!s->w_q || !s->w_scale || !s->w_zero)
        return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t k = 0; k < depth; k++)
            s->w_q[r * depth + k] = transpose ? c->q[k * rows + r] : c->q[r * depth + k];
        s->w_scale[r] = c->q_scale[per_row ? r : 0];
        s->w_zero[r] = c->q_zero[per_row ? r : 0];
    }
    return XB_OK;
}

xb_status xb_onnx_import_conv(xb_onnx_node *x)
{
    int xi, wi, bi;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    TRY(xb_onnx_need_const(x, 1, &wi, "the weight"));
    TRY(xb_onnx_input(x, 2, &bi));
    xb_value *in = xb_onnx_act(x, xi);
    const xb_const *w = xb_onnx_cval(x, wi);
    if (in->rank != 4)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "input has rank %d; only 2-D convolution on NCHW "
                                "(rank 4) input is supported",
                                in->rank);
    TRY(xb_onnx_need_float_const(x, wi, "weight", -1));
    if (w->rank != 4)
        return xb_onnx_node_err(x, XB_EINVAL, "weight has rank %d, expected 4", w->rank);
    int64_t group;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "group", 1, &group, x->err)));
    int64_t M = w->dims[0], C = in->dims[1];
    if (group < 1 || group > C || C % group || M % group || w->dims[1] != C / group)
        return xb_onnx_node_err(x, XB_EINVAL,
                                "weight %lldx%lldx%lldx%lld with group %lld does not fit "
                                "an input with %lld channels",
                                (long long)w->dims[0], (long long)w->dims[1], (long long)w->dims[2],
                                (long long)w->dims[3], (long long)group, (long long)C);
    int64_t ks[8];
    int nk;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "kernel_shape", ks, 8, &nk, x->err)));
    if (nk >= 0 && (nk != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3]))
        return xb_onnx_node_err(x, XB_EINVAL, "kernel_shape does not match the weight's %lldx%lld",
                                (long long)w->dims[2], (long long)w->dims[3]);
    xb_onnx_geom g;
    TRY(xb_onnx_read_geom(x, &g, w->dims + 2, 1));
    int64_t oh, ow;
    TRY(xb_onnx_out_size(x, &g, in->dims[2], in->dims[3], &oh, &ow));
    if (bi >= 0) {
        if (x->m->vals[bi].kind != XB_VAL_CONST)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the bias must be a constant");
        TRY(xb_onnx_need_float_const(x, bi, "bias", M));
    }
    int64_t depth = w->dims[1] * w->dims[2] * w->dims[3];
    if (depth > 1 << 30 || M > 1 << 30 || oh > 1 << 30 || ow > 1 << 30)
        return xb_onnx_node_err(x, XB_ETOOBIG, "layer too large");
    int64_t odims[4] = {0, M, oh, ow};
    int oid;
    int64_t in_c = C, in_h = in->dims[2], in_w = in->dims[3]; /* `in` moves on realloc */
    TRY(xb_onnx_out_act(x, 4, odims, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_MATMUL);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    xb_onnx_set_geom_step(s, &g);
    s->rows_total = M;
    s->w = xb_onnx_float_copy(w->data, w->count);
    s->bias = bi >= 0 ? xb_onnx_float_copy(xb_onnx_cval(x, bi)->data, M) : NULL;
    if (!s->w || (bi >= 0 && !s->bias)) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    xb_matmul_layer *L = &s->mm;
    L->kind = XB_MATMUL_CONV;
    L->groups = (int)group;
    L->rows = (int)(M / group);
    L->depth = (int)depth;
    L->in_channels = (int)in_c;
    L->in_h = (int)in_h;
    L->in_w = (int)in_w;
    L->out_channels = (int)M;
    L->out_h = (int)oh;
    L->out_w = (int)ow;
    L->kernel_h = s->kh;
    L->kernel_w = s->kw;
    L->stride_h = s->sh;
    L->stride_w = s->sw;
    L->dilation_h = s->dh;
    L->dilation_w = s->dw;
    L->pad_top = s->pt;
    L->pad_left = s->pl;
    L->pad_bottom = s->pb;
    L->pad_right = s->pr;
    return take_q(x, s, w, 0, 0);
}

/* A MatMul of an [N, ..., K] activation ai: its transpose [N, K, ...]
 * (*src), and the product's [N, M, ...] (*oid), intermediates of the node. */
static xb_status tokens_in(xb_onnx_node *x, int ai, int r, const int64_t *pos, int64_t M, int *src, int *oid)
{
    char tin[300], tout[300];
    int perm[XB_MAX_RANK] = {0};
    int64_t odims[XB_MAX_RANK] = {0, M};
    snprintf(tin, sizeof tin, "%.280s#in", xb_onnx_out_name(x));
    snprintf(tout, sizeof tout, "%.280s#out", xb_onnx_out_name(x));
    perm[1] = r - 1;
    for (int i = 2; i < r; i++) {
        perm[i] = i - 1;
        odims[i] = pos[i - 1];
    }
    TRY(xb_onnx_permute_to(x, tin, ai, perm));
    *src = xb_model_find_value(x->m, tin);
    *oid = xb_onnx_add_act(x->m, tout, r, odims, x->err);
    return *oid < 0 ? xb_onnx_node_wrap(x, x->err->code) : XB_OK;
}

/* Gemm and MatMul: activation [N,K] times a constant. */
xb_status xb_onnx_import_gemm(xb_onnx_node *x, int is_matmul)
{
    int ai, bi, ci = -1;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &ai));
    TRY(xb_onnx_need_input(x, 1, &bi));
    if (x->m->vals[ai].kind != XB_VAL_ACT)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "the first operand '%s' is a constant; only "
                                "activation x constant products are supported",
                                x->n->input[0]);
    if (x->m->vals[bi].kind != XB_VAL_CONST) {
        if (is_matmul) return xb_onnx_import_matmul_act(x, ai, bi); /* attention: digital */
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "the second operand '%s' is computed at run time; "
                                "only products with a constant weight are supported",
                                x->n->input[1]);
    }
    xb_value *a = xb_onnx_act(x, ai);
    const xb_const *b = xb_onnx_cval(x, bi);
    /* [N, ..., K] x [K, M]: the same product at every position, run as a 1x1
     * convolution over the positions between two transposes. */
    const int r = a->rank, tokens = is_matmul && r >= 3;
    int64_t S = 1, pos[XB_MAX_RANK];
    for (int i = 1; i < r - 1; i++)
        S *= pos[i] = a->dims[i];
    if (r != 2 && !tokens)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "the first operand has rank %d; only [batch, "
                                "features] (rank 2) is supported",
                                a->rank);
    TRY(xb_onnx_need_float_const(x, bi, "weight", -1));
    if (b->rank != 2)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "the weight has rank %d; only rank 2 is supported", b->rank);
    int64_t transA = 0, transB = 0;
    float alpha = 1.0f, beta = 1.0f;
    if (!is_matmul) {
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "transA", 0, &transA, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "transB", 0, &transB, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "alpha", 1.0f, &alpha, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "beta", 1.0f, &beta, x->err)));
        TRY(xb_onnx_input(x, 2, &ci));
        if (transA)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "transA=1 is not supported (the first operand "
                                    "is [batch, features])");
    }
    int64_t K = a->dims[r - 1];
    int64_t Kb = transB ? b->dims[1] : b->dims[0], M = transB ? b->dims[0] : b->dims[1];
    if (Kb != K)
        return xb_onnx_node_err(x, XB_EINVAL,
                                "inner dimensions differ: input has %lld features, the "
                                "weight %lldx%lld%s expects %lld",
                                (long long)K, (long long)b->dims[0], (long long)b->dims[1],
                                transB ? " (transB)" : "", (long long)Kb);
    if (ci >= 0) {
        if (x->m->vals[ci].kind != XB_VAL_CONST)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "C (the bias) must be a constant");
        TRY(xb_onnx_need_float_const(x, ci, "C", -1));
        const xb_const *c = xb_onnx_cval(x, ci);
        int ok = c->count == 1 || c->count == M;
        if (c->count == M && c->rank >= 1 && c->dims[c->rank - 1] != M) ok = 0;
        if (!ok)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "C has shape with %lld elements; only a scalar or "
                                    "a per-output vector of %lld is supported",
                                    (long long)c->count, (long long)M);
    }
    int oid, src = ai;
    if (tokens)
        TRY(tokens_in(x, ai, r, pos, M, &src, &oid));
    else
        TRY(xb_onnx_out_act(x, 2, (int64_t[XB_MAX_RANK]){0, M}, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_MATMUL);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = src;
    s->out = oid;
    s->kh = s->kw = s->sh = s->sw = s->dh = s->dw = 1;
    s->rows_total = M;
    s->w = malloc(sizeof(float) * (size_t)(M * K));
    if (!s->w) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    const float *bd = b->data;
    for (int64_t q = 0; q < M; q++)
        for (int64_t k = 0; k < K; k++)
            s->w[q * K + k] = transB ? bd[q * K + k] : bd[k * M + q];
    if (alpha != 1.0f) {
        s->post_scale = malloc(sizeof(float) * (size_t)M);
        if (!s->post_scale) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t q = 0; q < M; q++)
            s->post_scale[q] = alpha;
    }
    if (ci >= 0 && beta != 0.0f) {
        const xb_const *c = xb_onnx_cval(x, ci);
        s->bias = malloc(sizeof(float) * (size_t)M);
        if (!s->bias) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t q = 0; q < M; q++)
            s->bias[q] = beta * ((const float *)c->data)[c->count == 1 ? 0 : q];
    }
    xb_matmul_layer *L = &s->mm;
    L->kind = tokens ? XB_MATMUL_CONV : is_matmul ? XB_MATMUL_MATMUL : XB_MATMUL_GEMM;
    L->groups = 1;
    L->rows = (int)M;
    L->depth = (int)K;
    L->in_channels = (int)K;
    L->out_channels = (int)M;
    L->in_h = L->in_w = L->out_h = L->out_w = 1;
    if (tokens) /* the positions as the rows of a 1x1 convolution's image */
        L->in_h = L->out_h = (int)S;
    L->kernel_h = L->kernel_w = L->stride_h = L->stride_w = L->dilation_h = L->dilation_w = 1;
    TRY(take_q(x, s, b, transB ? 0 : 1, !transB));
    if (!tokens) return XB_OK;
    int perm[XB_MAX_RANK] = {0}; /* [N, M, ...] -> [N, ..., M] */
    for (int i = 1; i < r - 1; i++)
        perm[i] = i + 1;
    perm[r - 1] = 1;
    return xb_onnx_permute_to(x, xb_onnx_out_name(x), oid, perm);
}
