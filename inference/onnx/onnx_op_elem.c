/* onnx_op_elem.c: element-wise ops (Clip, Sigmoid, HardSigmoid, HardSwish,
 * Erf, Sqrt, Pow, Gelu, Tanh; Add, Sub, Mul, Div with broadcasting),
 * ReduceMean, and the ops that only relabel a tensor (Squeeze, Unsqueeze,
 * Dropout, Cast, Shape, ConstantOfShape).  On constants they are evaluated
 * when the graph is loaded. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"

/* ---- relabelling -------------------------------------------------------------------- */

xb_status xb_onnx_import_squeeze(xb_onnx_node *x, int unsq)
{
    int xi, n;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_model *m = x->m;
    xb_value *v = &m->vals[xi];
    int act = v->kind == XB_VAL_ACT, rank = xb_onnx_rank_of(x->m, xi);
    int64_t in[XB_MAX_RANK], axes[XB_MAX_RANK];
    memcpy(in, xb_onnx_dims_of(x->m, xi), sizeof in);
    if (m->opset >= 13)
        TRY(xb_onnx_const_ints(x, 1, "axes", axes, XB_MAX_RANK, &n));
    else
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "axes", axes, XB_MAX_RANK, &n, x->err)));
    int orank = unsq ? rank + (n > 0 ? n : 0) : 0;
    if (unsq && (n < 1 || orank > XB_MAX_RANK))
        return xb_onnx_node_err(x, XB_EINVAL, "needs 1 to %d axes", XB_MAX_RANK - rank);
    int mark[XB_MAX_RANK] = {0};
    for (int q = 0; q < n; q++) {
        int a;
        TRY(xb_onnx_axis(x, axes[q], unsq ? orank : rank, act, "axis", &a));
        if (mark[a]++) return xb_onnx_node_err(x, XB_EINVAL, "axis %d appears twice", a);
        if (!unsq && in[a] != 1)
            return xb_onnx_node_err(x, XB_EINVAL, "axis %d has size %lld, not 1", a, (long long)in[a]);
    }
    int64_t od[XB_MAX_RANK] = {0};
    if (unsq) {
        for (int d = 0, s = 0; d < orank; d++)
            od[d] = mark[d] ? 1 : in[s++];
    } else {
        for (int d = 0; d < rank; d++) {
            int drop = n > 0 ? mark[d] : (in[d] == 1 && !(act && d == 0));
            if (!drop) od[orank++] = in[d];
        }
    }
    if (!act) return xb_onnx_reshape_const(x, xi, orank, od);
    od[0] = 0;
    return xb_onnx_reshape_act(x, xi, orank, od);
}

xb_status xb_onnx_import_dropout(xb_onnx_node *x)
{
    int xi, ti;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    TRY(xb_onnx_input(x, 2, &ti));
    if (ti >= 0 && (x->m->vals[ti].kind != XB_VAL_CONST || xb_const_get(x->m->vals[ti].c, 0) != 0))
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "training_mode must be absent or false (inference only)");
    return xb_onnx_out_alias(x, xi);
}

/* ONNX TensorProto data types to constants'; -1 for the rest. */
static int dtype_of(int64_t onnx)
{
    switch (onnx) {
    case 1: return XB_DT_FLOAT;
    case 2: return XB_DT_UINT8;
    case 3: return XB_DT_INT8;
    case 6: return XB_DT_INT32;
    case 7: return XB_DT_INT64;
    default: return -1;
    }
}

static void const_set(xb_const *c, int64_t i, double v)
{
    switch (c->dtype) {
    case XB_DT_FLOAT: ((float *)c->data)[i] = (float)v; break;
    case XB_DT_INT8: ((int8_t *)c->data)[i] = (int8_t)v; break;
    case XB_DT_UINT8: ((uint8_t *)c->data)[i] = (uint8_t)v; break;
    case XB_DT_INT32: ((int32_t *)c->data)[i] = (int32_t)v; break;
    case XB_DT_INT64: ((int64_t *)c->data)[i] = (int64_t)v; break;
    }
}

xb_status xb_onnx_import_cast(xb_onnx_node *x)
{
    int xi;
    int64_t to;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "to", -1, &to, x->err)));
    int dt = dtype_of(to);
    if (dt < 0) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "casting to ONNX type %lld is not supported", (long long)to);
    if (x->m->vals[xi].kind == XB_VAL_ACT) {
        if (dt != XB_DT_FLOAT)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "an activation can only be cast to float32");
        return xb_onnx_out_alias(x, xi);
    }
    const xb_const *c = x->m->vals[xi].c;
    xb_const *o = xb_const_new((xb_dtype)dt, c->rank, c->dims);
    if (!o) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t i = 0; i < c->count; i++) {
        double v = xb_const_get(c, i);
        if (v == (double)XB_BATCH_DIM && dt != XB_DT_INT64) {
            xb_const_free(o);
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "casting the batch size (known only when the network "
                                    "runs) is not supported");
        }
        const_set(o, i, dt == XB_DT_FLOAT ? v : trunc(v));
    }
    return xb_onnx_out_const(x, o);
}

/* Shape of a constant, or of an activation from dimension 1 on (the batch
 * size is known only when the network runs); ConstantOfShape. */
xb_status xb_onnx_import_shape(xb_onnx_node *x)
{
    int xi;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_value *v = &x->m->vals[xi];
    if (!strcmp(x->op, "ConstantOfShape")) {
        if (v->kind != XB_VAL_CONST) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the shape must be a constant");
        int64_t d[XB_MAX_RANK];
        int n;
        TRY(xb_onnx_const_ints(x, 0, "the shape", d, XB_MAX_RANK, &n));
        const Onnx__AttributeProto *a = xb_onnx_attr(x->n, "value");
        xb_const *val = NULL;
        if (a && a->t) {
            char what[200];
            snprintf(what, sizeof what, "node '%s' (ConstantOfShape): value", x->name);
            TRY(xb_onnx_tensor(a->t, what, &val, x->err));
        }
        xb_const *o = xb_const_new(val ? val->dtype : XB_DT_FLOAT, n < 0 ? 0 : n, d);
        double fillv = val && val->count > 0 ? xb_const_get(val, 0) : 0.0;
        xb_const_free(val);
        if (!o) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < o->count; i++)
            const_set(o, i, fillv);
        return xb_onnx_out_const(x, o);
    }
    int act = v->kind == XB_VAL_ACT, rank = xb_onnx_rank_of(x->m, xi);
    const int64_t *dims = xb_onnx_dims_of(x->m, xi);
    int64_t s, e;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "start", 0, &s, x->err)));
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "end", rank, &e, x->err)));
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    s = s < 0 ? 0 : s > rank ? rank : s;
    e = e < 0 ? 0 : e > rank ? rank : e;
    int64_t n = e > s ? e - s : 0;
    xb_const *o = xb_const_new(XB_DT_INT64, 1, &n);
    if (!o) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++) /* an activation's batch size: known when it runs */
        ((int64_t *)o->data)[i] = act && s + i == 0 ? XB_BATCH_DIM : dims[s + i];
    return xb_onnx_out_const(x, o);
}

/* ---- unary -------------------------------------------------------------------------- */

static float unary1(int op, float a, float p0, float p1)
{
    xb_step s = {.fn = op, .p0 = p0, .p1 = p1};
    float y;
    xb_engine_unary(&s, &a, &y, 1);
    return y;
}

/* A float scalar constant input k, or def when absent. */
static xb_status scalar_input(xb_onnx_node *x, size_t k, const char *role, float def, float *out)
{
    int id;
    *out = def;
    TRY(xb_onnx_input(x, k, &id));
    if (id < 0) return XB_OK;
    if (x->m->vals[id].kind != XB_VAL_CONST || x->m->vals[id].c->count != 1)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%s (input %zu) must be a constant scalar", role, k);
    *out = (float)xb_const_get(x->m->vals[id].c, 0);
    return XB_OK;
}

xb_status xb_onnx_import_unary(xb_onnx_node *x)
{
    int xi, op;
    float p0 = 0.0f, p1 = 0.0f;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    const char *name = x->op;
    if (!strcmp(name, "Clip")) {
        op = XB_UN_CLIP;
        if (x->m->opset < 11) {
            TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "min", -FLT_MAX, &p0, x->err)));
            TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "max", FLT_MAX, &p1, x->err)));
        } else {
            TRY(scalar_input(x, 1, "min", -INFINITY, &p0));
            TRY(scalar_input(x, 2, "max", INFINITY, &p1));
        }
    } else if (!strcmp(name, "Sigmoid")) {
        op = XB_UN_SIGMOID;
    } else if (!strcmp(name, "HardSigmoid")) {
        op = XB_UN_HARDSIGMOID;
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "alpha", 0.2f, &p0, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "beta", 0.5f, &p1, x->err)));
    } else if (!strcmp(name, "HardSwish")) {
        op = XB_UN_HARDSWISH;
    } else if (!strcmp(name, "Erf")) {
        op = XB_UN_ERF;
    } else if (!strcmp(name, "Sqrt")) {
        op = XB_UN_SQRT;
    } else if (!strcmp(name, "Tanh")) {
        op = XB_UN_TANH;
    } else if (!strcmp(name, "Gelu")) {
        char ap[16];
        op = XB_UN_GELU;
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_string(x->n, "approximate", ap, sizeof ap, x->err)));
        if (ap[0] && strcmp(ap, "none") && strcmp(ap, "tanh"))
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "approximate='%s' is not supported (none, tanh)", ap);
        p0 = !strcmp(ap, "tanh") ? 1.0f : 0.0f;
    } else { /* Pow with a constant exponent */
        op = XB_UN_POW;
        int ei;
        TRY(xb_onnx_need_input(x, 1, &ei));
        if (x->m->vals[ei].kind != XB_VAL_CONST || x->m->vals[ei].c->count != 1)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the exponent must be a constant scalar");
        p0 = (float)xb_const_get(x->m->vals[ei].c, 0);
    }
    xb_value *v = &x->m->vals[xi];
    if (v->kind == XB_VAL_CONST) {
        if (v->c->dtype != XB_DT_FLOAT) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "a non-float constant input");
        xb_const *o = xb_const_copy(v->c);
        if (!o) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < o->count; i++)
            ((float *)o->data)[i] = unary1(op, ((float *)o->data)[i], p0, p1);
        return xb_onnx_out_const(x, o);
    }
    int64_t dims[XB_MAX_RANK];
    int rank = v->rank, oid;
    memcpy(dims, v->dims, sizeof dims);
    TRY(xb_onnx_out_act(x, rank, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_UNARY);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->fn = op;
    s->p0 = p0;
    s->p1 = p1;
    return XB_OK;
}
