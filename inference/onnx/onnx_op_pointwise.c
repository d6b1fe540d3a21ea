/* onnx_op_pointwise.c: BatchNormalization, Relu and Add. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

xb_status xb_onnx_import_bn(xb_onnx_node *x)
{
    int xi, ids[4];
    static const char *roles[4] = {"scale", "B", "mean", "var"};
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    if (xb_onnx_act(x, xi)->rank < 2)
        return xb_onnx_node_err(x, XB_EINVAL, "input has rank %d, expected at least 2",
                                xb_onnx_act(x, xi)->rank);
    int64_t C = xb_onnx_act(x, xi)->lead;
    for (int k = 0; k < 4; k++) {
        TRY(xb_onnx_need_const(x, (size_t)k + 1, &ids[k], roles[k]));
        TRY(xb_onnx_need_float_const(x, ids[k], roles[k], C));
    }
    float eps;
    int64_t training;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "epsilon", 1e-5f, &eps, x->err)));
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "training_mode", 0, &training, x->err)));
    if (training)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "training_mode=1 is not supported (inference only)");
    xb_value *in = xb_onnx_act(x, xi);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    int oid;
    TRY(xb_onnx_out_act(x, rank, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_AFFINE);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->a = malloc(sizeof(float) * (size_t)C);
    s->b = malloc(sizeof(float) * (size_t)C);
    if (!s->a || !s->b) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    const float *gam = xb_onnx_cval(x, ids[0])->data, *bet = xb_onnx_cval(x, ids[1])->data;
    const float *mean = xb_onnx_cval(x, ids[2])->data, *var = xb_onnx_cval(x, ids[3])->data;
    for (int64_t c = 0; c < C; c++) {
        if (!(var[c] + eps > 0))
            return xb_onnx_node_err(x, XB_EINVAL, "var[%lld] + epsilon = %g is not positive",
                                    (long long)c, (double)(var[c] + eps));
        s->a[c] = gam[c] / sqrtf(var[c] + eps);
        s->b[c] = bet[c] - mean[c] * s->a[c];
    }
    return XB_OK;
}

xb_status xb_onnx_import_relu(xb_onnx_node *x)
{
    int xi, oid;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    xb_value *in = xb_onnx_act(x, xi);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    TRY(xb_onnx_out_act(x, rank, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_RELU);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    return XB_OK;
}

xb_status xb_onnx_import_add(xb_onnx_node *x)
{
    int ai, bi, oid;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &ai));
    TRY(xb_onnx_need_input(x, 1, &bi));
    xb_model *m = x->m;
    if (m->vals[ai].kind == XB_VAL_CONST && m->vals[bi].kind == XB_VAL_CONST)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "adding two constants is not supported");
    if (m->vals[ai].kind == XB_VAL_ACT && m->vals[bi].kind == XB_VAL_ACT) {
        xb_value *a = xb_onnx_act(x, ai), *b = xb_onnx_act(x, bi);
        int same = a->rank == b->rank;
        for (int i = 1; same && i < a->rank; i++)
            same = a->dims[i] == b->dims[i];
        if (!same)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "the two activations have different shapes; "
                                    "broadcasting between activations is not supported");
        int rank = a->rank;
        int64_t dims[XB_MAX_RANK];
        memcpy(dims, a->dims, sizeof dims);
        TRY(xb_onnx_out_act(x, rank, dims, &oid));
        xb_step *s = xb_onnx_add_step(x, XB_STEP_ADD);
        if (!s) return xb_onnx_node_wrap(x, x->err->code);
        s->in[0] = ai;
        s->in[1] = bi;
        s->out = oid;
        return XB_OK;
    }
    int xi = m->vals[ai].kind == XB_VAL_ACT ? ai : bi;
    int ki = xi == ai ? bi : ai;
    TRY(xb_onnx_need_float_const(x, ki, "addend", -1));
    xb_value *in = xb_onnx_act(x, xi);
    const xb_const *c = xb_onnx_cval(x, ki);
    /* The constant must broadcast to the per-image shape without touching the batch. */
    int r = in->rank;
    if (c->rank > r || (c->rank == r && c->dims[0] != 1))
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "the constant addend (rank %d) would broadcast over "
                                "the batch dimension",
                                c->rank);
    for (int i = 0; i < c->rank; i++) {
        int64_t cd = c->dims[c->rank - 1 - i], ad = in->dims[r - 1 - i];
        if (r - 1 - i == 0) continue;
        if (cd != 1 && cd != ad)
            return xb_onnx_node_err(x, XB_EINVAL,
                                    "the constant addend does not broadcast to the input "
                                    "shape (dimension %d: %lld vs %lld)",
                                    r - 1 - i, (long long)cd, (long long)ad);
    }
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    int64_t per = in->lead * in->rest;
    TRY(xb_onnx_out_act(x, r, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_ADD_CONST);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->b = malloc(sizeof(float) * (size_t)per);
    if (!s->b) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    /* expand: per-image index p -> constant index by broadcasting */
    for (int64_t p = 0; p < per; p++) {
        int64_t rem = p, ci = 0, cstride = 1;
        for (int d = r - 1; d >= 1; d--) {
            int64_t idx = rem % dims[d];
            rem /= dims[d];
            int cd = d - (r - c->rank);
            if (cd >= 0) {
                if (c->dims[cd] != 1) ci += idx * cstride;
                cstride *= c->dims[cd];
            }
        }
        s->b[p] = ((const float *)c->data)[ci];
    }
    return XB_OK;
}
