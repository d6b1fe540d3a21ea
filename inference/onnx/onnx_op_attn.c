/* onnx_op_attn.c: the ops of attention blocks -- Softmax,
 * LayerNormalization, MatMul between two activations (kept digital: its
 * operands are both computed, there is no weight to program) -- and the
 * comparison ops of the exporters' shape subgraphs (Equal, Where), which are
 * evaluated when the graph is loaded. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

static xb_status same_shape_out(xb_onnx_node *x, int xi, xb_step_kind kind, xb_step **out)
{
    int64_t dims[XB_MAX_RANK];
    int oid, rank = x->m->vals[xi].rank;
    memcpy(dims, x->m->vals[xi].dims, sizeof dims);
    TRY(xb_onnx_out_act(x, rank, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, kind);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    *out = s;
    return XB_OK;
}

xb_status xb_onnx_import_softmax(xb_onnx_node *x)
{
    int xi, a;
    int64_t axis;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    const int old = x->m->opset < 13, rank = x->m->vals[xi].rank;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", old ? 1 : -1, &axis, x->err)));
    TRY(xb_onnx_axis(x, axis, rank, 1, "axis", &a));
    int64_t d[XB_MAX_RANK];
    memcpy(d, x->m->vals[xi].dims, sizeof d);
    xb_step *s = NULL;
    TRY(same_shape_out(x, xi, XB_STEP_SOFTMAX, &s));
    s->g_outer = prod(d, 1, a);
    s->g_len = old ? prod(d, a, rank) : d[a]; /* before opset 13: over the flattened tail */
    s->g_inner = old ? 1 : prod(d, a + 1, rank);
    return XB_OK;
}

xb_status xb_onnx_import_layernorm(xb_onnx_node *x)
{
    int xi, si, bi, a;
    int64_t axis;
    float eps;
    TRY(xb_onnx_need_act(x, 0, &xi));
    for (size_t k = 1; k < x->n->n_output; k++)
        if (x->n->output[k] && x->n->output[k][0])
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the Mean and InvStdDev outputs are not supported");
    TRY(xb_onnx_need_const(x, 1, &si, "the scale"));
    TRY(xb_onnx_input(x, 2, &bi));
    const int rank = x->m->vals[xi].rank;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", -1, &axis, x->err)));
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "epsilon", 1e-5f, &eps, x->err)));
    TRY(xb_onnx_axis(x, axis, rank, 1, "axis", &a));
    int64_t d[XB_MAX_RANK];
    memcpy(d, x->m->vals[xi].dims, sizeof d);
    const int64_t len = prod(d, a, rank);
    TRY(xb_onnx_need_float_const(x, si, "scale", len));
    if (bi >= 0) {
        if (x->m->vals[bi].kind != XB_VAL_CONST)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the bias must be a constant");
        TRY(xb_onnx_need_float_const(x, bi, "bias", len));
    }
    xb_step *s = NULL;
    TRY(same_shape_out(x, xi, XB_STEP_LAYERNORM, &s));
    s->g_outer = prod(d, 1, a);
    s->g_len = len;
    s->g_inner = 1;
    s->p0 = eps;
    s->a = xb_onnx_float_copy(xb_onnx_cval(x, si)->data, len);
    s->b = bi >= 0 ? xb_onnx_float_copy(xb_onnx_cval(x, bi)->data, len) : NULL;
    if (!s->a || (bi >= 0 && !s->b)) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    return XB_OK;
}

/* MatMul of two activations [N, ..., M, K] x [N, ..., K, P], the same
 * leading dimensions. */
xb_status xb_onnx_import_matmul_act(xb_onnx_node *x, int ai, int bi)
{
    xb_value *A = &x->m->vals[ai], *B = &x->m->vals[bi];
    const int r = A->rank;
    if (r < 3 || B->rank != r)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "a product of activations of ranks %d and %d: both must "
                                "be [N, ..., M, K] and [N, ..., K, P] of the same rank, at least 3", A->rank,
                                B->rank);
    for (int i = 1; i < r - 2; i++)
        if (A->dims[i] != B->dims[i])
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "leading dimension %d differs (%lld vs %lld); "
                                    "broadcasting between activations is not supported", i,
                                    (long long)A->dims[i], (long long)B->dims[i]);
    if (A->dims[r - 1] != B->dims[r - 2])
        return xb_onnx_node_err(x, XB_EINVAL, "inner dimensions %lld and %lld differ", (long long)A->dims[r - 1],
                                (long long)B->dims[r - 2]);
    int64_t od[XB_MAX_RANK];
    memcpy(od, A->dims, sizeof od);
    od[r - 1] = B->dims[r - 1];
    const int64_t outer = prod(A->dims, 1, r - 2), M = A->dims[r - 2], K = A->dims[r - 1], P = B->dims[r - 1];
    int oid;
    TRY(xb_onnx_out_act(x, r, od, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_MATMUL_ACT);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = ai;
    s->in[1] = bi;
    s->out = oid;
    s->g_outer = outer;
    s->mm_m = M;
    s->mm_k = K;
    s->mm_p = P;
    return XB_OK;
}

/* ---- Equal and Where, on constants ------------------------------------------------ */

xb_status xb_onnx_import_select(xb_onnx_node *x)
{
    const int where = !strcmp(x->op, "Where"), n = where ? 3 : 2;
    const xb_const *c[3];
    TRY(xb_onnx_single_output(x));
    for (int k = 0; k < n; k++) {
        int id;
        TRY(xb_onnx_need_input(x, (size_t)k, &id));
        if (x->m->vals[id].kind != XB_VAL_CONST)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "on activations (only shape computations on constants, "
                                    "which are folded, are supported)");
        c[k] = x->m->vals[id].c;
    }
    int ro = c[0]->rank;
    int64_t od[XB_MAX_RANK] = {0}, o[XB_MAX_RANK] = {0};
    memcpy(od, c[0]->dims, sizeof od);
    for (int k = 1; k < n; k++) {
        int64_t prev[XB_MAX_RANK];
        memcpy(prev, od, sizeof prev);
        TRY(xb_onnx_bcast_shape(x, ro, prev, c[k]->rank, c[k]->dims, 0, &ro, od));
    }
    const xb_const *src = where ? c[1] : c[0];
    if (where && c[1]->dtype != c[2]->dtype)
        return xb_onnx_node_err(x, XB_EINVAL, "the two branches have different types");
    xb_const *out = xb_const_new(where ? src->dtype : XB_DT_UINT8, ro, od);
    if (!out) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    const size_t esz = xb_dtype_size(out->dtype);
    for (int64_t j = 0; j < out->count; j++) {
        if (where) {
            const xb_const *pick = xb_const_get(c[0], xb_onnx_bcast_index(o, ro, c[0]->dims, c[0]->rank, 0)) != 0 ? c[1] : c[2];
            memcpy((char *)out->data + (size_t)j * esz, (const char *)pick->data + (size_t)xb_onnx_bcast_index(o, ro, pick->dims, pick->rank, 0) * esz,
                   esz);
        } else {
            ((uint8_t *)out->data)[j] = xb_const_get(c[0], xb_onnx_bcast_index(o, ro, c[0]->dims, c[0]->rank, 0)) ==
                                        xb_const_get(c[1], xb_onnx_bcast_index(o, ro, c[1]->dims, c[1]->rank, 0));
        }
        xb_onnx_next_index(o, od, ro, 0);
    }
    return xb_onnx_out_const(x, out);
}
