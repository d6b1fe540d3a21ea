/* onnx_op_binary.c: Add, Sub, Mul and Div with ONNX (NumPy) broadcasting,
 * and ReduceMean.
 *
 * Between an activation and a constant that varies only along dimension 1
 * (a per-channel constant) Mul and Sub become the affine step that folds
 * into a preceding matmul; Add keeps its own steps (the residual fusion);
 * everything else is a BINARY step whose operands are read through
 * per-image index maps.  Broadcasting over the batch dimension is refused:
 * a constant has no batch. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"

static int binop_of(const char *op)
{
    return !strcmp(op, "Sub") ? XB_BIN_SUB : !strcmp(op, "Mul") ? XB_BIN_MUL : !strcmp(op, "Div") ? XB_BIN_DIV
                                                                                                 : XB_BIN_ADD;
}

xb_status xb_onnx_bcast_shape(xb_onnx_node *x, int ra, const int64_t *a, int rb, const int64_t *b, int skip0, int *ro,
                       int64_t *o)
{
    int r = ra > rb ? ra : rb;
    for (int d = 0; d < r; d++) {
        int64_t da = d - (r - ra) >= 0 ? a[d - (r - ra)] : 1, db = d - (r - rb) >= 0 ? b[d - (r - rb)] : 1;
        if (skip0 && d == 0) {
            o[d] = 0;
            continue;
        }
        if (da != db && da != 1 && db != 1)
            return xb_onnx_node_err(x, XB_EINVAL, "shapes do not broadcast (dimension %d: %lld vs %lld)", d,
                                    (long long)da, (long long)db);
        o[d] = da > db ? da : db;
    }
    *ro = r;
    return XB_OK;
}

static double binop(int op, double a, double b, int is_int)
{
    switch (op) {
    case XB_BIN_SUB: return a - b;
    case XB_BIN_MUL: return a * b;
    case XB_BIN_DIV: return is_int ? (b != 0 ? trunc(a / b) : 0) : a / b;
    default: return a + b;
    }
}

static xb_status fold(xb_onnx_node *x, int op, const xb_const *a, const xb_const *b)
{
    int ro;
    int64_t od[XB_MAX_RANK] = {0}, o[XB_MAX_RANK] = {0};
    TRY(xb_onnx_bcast_shape(x, a->rank, a->dims, b->rank, b->dims, 0, &ro, od));
    int fl = a->dtype == XB_DT_FLOAT || b->dtype == XB_DT_FLOAT;
    xb_const *c = xb_const_new(fl ? XB_DT_FLOAT : XB_DT_INT64, ro, od);
    if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t j = 0; j < c->count; j++) {
        double va = xb_const_get(a, xb_onnx_bcast_index(o, ro, a->dims, a->rank, 0));
        double vb = xb_const_get(b, xb_onnx_bcast_index(o, ro, b->dims, b->rank, 0));
        if (!fl && (va == (double)XB_BATCH_DIM || vb == (double)XB_BATCH_DIM)) {
            xb_const_free(c);
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "arithmetic on the batch size (known only when the "
                                    "network runs) is not supported");
        }
        double v = binop(op, va, vb, !fl);
        if (fl)
            ((float *)c->data)[j] = (float)v;
        else
            ((int64_t *)c->data)[j] = (int64_t)v;
        xb_onnx_next_index(o, od, ro, 0);
    }
    return xb_onnx_out_const(x, c);
}

/* Per-image map from the output's elements to activation v's (lead, rest). */
static xb_status act_map(xb_onnx_node *x, const xb_value *v, int ro, const int64_t *od, int64_t per, int32_t **pl,
                         int32_t **pr)
{
    int32_t *l = malloc(sizeof *l * (size_t)per), *r = malloc(sizeof *r * (size_t)per);
    if (!l || !r) {
        free(l);
        free(r);
        return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    }
    int64_t o[XB_MAX_RANK] = {0};
    for (int64_t j = 0; j < per; j++) {
        int64_t f = xb_onnx_bcast_index(o, ro, v->dims, v->rank, 1);
        l[j] = (int32_t)(f / v->rest);
        r[j] = (int32_t)(f % v->rest);
        xb_onnx_next_index(o, od, ro, 1);
    }
    *pl = l;
    *pr = r;
    return XB_OK;
}

static int same_dims(const xb_value *v, int ro, const int64_t *od)
{
    if (v->rank != ro) return 0;
    for (int d = 1; d < ro; d++)
        if (v->dims[d] != od[d]) return 0;
    return 1;
}

/* An activation a and a constant c (c_first: c is the first operand). */
static xb_status act_const(xb_onnx_node *x, int op, int ai, const xb_const *c, int c_first)
{
    xb_value *a = &x->m->vals[ai];
    if (c->dtype != XB_DT_FLOAT) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the constant operand is not float32");
    if (c->rank > a->rank || (c->rank == a->rank && c->dims[0] != 1))
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the constant (rank %d) would broadcast over the batch", c->rank);
    int ro, oid;
    int64_t od[XB_MAX_RANK] = {0}, o[XB_MAX_RANK] = {0};
    TRY(xb_onnx_bcast_shape(x, a->rank, a->dims, c->rank, c->dims, 1, &ro, od));
    int same = same_dims(a, ro, od);
    if (op == XB_BIN_ADD && same) return xb_onnx_import_add(x);
    int64_t per = 1;
    for (int d = 1; d < ro; d++)
        per *= od[d];
    float *e = malloc(sizeof(float) * (size_t)per);
    if (!e) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t j = 0; j < per; j++) {
        e[j] = ((const float *)c->data)[xb_onnx_bcast_index(o, ro, c->dims, c->rank, 0)];
        xb_onnx_next_index(o, od, ro, 1);
    }
    int64_t lead = ro >= 2 ? od[1] : 1, rest = per / lead;
    int per_lead = same && (op == XB_BIN_MUL || op == XB_BIN_SUB);
    for (int64_t j = 0; per_lead && j < per; j++)
        per_lead = e[j] == e[(j / rest) * rest];
    xb_status st = xb_onnx_out_act(x, ro, od, &oid);
    xb_step *s = st == XB_OK ? xb_onnx_add_step(x, per_lead ? XB_STEP_AFFINE : XB_STEP_BINARY) : NULL;
    if (!s) {
        free(e);
        return st != XB_OK ? st : xb_onnx_node_wrap(x, x->err->code);
    }
    s->in[0] = ai;
    s->out = oid;
    if (!per_lead) {
        s->fn = op;
        s->b = e;
        s->const_first = c_first;
        return same ? XB_OK : act_map(x, &x->m->vals[ai], ro, od, per, &s->src_lead, &s->src_rest);
    }
    s->a = malloc(sizeof(float) * (size_t)lead);
    s->b = malloc(sizeof(float) * (size_t)lead);
    if (!s->a || !s->b) {
        free(e);
        return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    }
    for (int64_t l = 0; l < lead; l++) { /* x * c, x - c, c - x */
        float v = e[l * rest];
        s->a[l] = op == XB_BIN_MUL ? v : c_first ? -1.0f : 1.0f;
        s->b[l] = op == XB_BIN_MUL ? 0.0f : c_first ? v : -v;
    }
    free(e);
    return XB_OK;
}

xb_status xb_onnx_import_binary(xb_onnx_node *x)
{
    int ai, bi;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &ai));
    TRY(xb_onnx_need_input(x, 1, &bi));
    xb_model *m = x->m;
    int op = binop_of(x->op);
    int ca = m->vals[ai].kind == XB_VAL_CONST, cb = m->vals[bi].kind == XB_VAL_CONST;
    if (ca && cb) return fold(x, op, m->vals[ai].c, m->vals[bi].c);
    if (ca || cb) return act_const(x, op, ca ? bi : ai, m->vals[ca ? ai : bi].c, ca);
    xb_value *a = &m->vals[ai], *b = &m->vals[bi];
    if (a->rank != b->rank)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "activations of ranks %d and %d (both must have the batch first)",
                                a->rank, b->rank);
    int ro, oid;
    int64_t od[XB_MAX_RANK] = {0};
    TRY(xb_onnx_bcast_shape(x, a->rank, a->dims, b->rank, b->dims, 1, &ro, od));
    int sa = same_dims(a, ro, od), sb = same_dims(b, ro, od);
    if (op == XB_BIN_ADD && sa && sb) return xb_onnx_import_add(x);
    int64_t per = 1;
    for (int d = 1; d < ro; d++)
        per *= od[d];
    TRY(xb_onnx_out_act(x, ro, od, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_BINARY);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = ai;
    s->in[1] = bi;
    s->out = oid;
    s->fn = op;
    if (!sa) TRY(act_map(x, &m->vals[ai], ro, od, per, &s->src_lead, &s->src_rest));
    if (!sb) TRY(act_map(x, &m->vals[bi], ro, od, per, &s->map2_lead, &s->map2_rest));
    return XB_OK;
}

/* ---- ReduceMean ------------------------------------------------------------------- */

xb_status xb_onnx_import_reduce_mean(xb_onnx_node *x)
{
    int xi, n, oid;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    xb_model *m = x->m;
    xb_value *v = &m->vals[xi];
    int rank = v->rank;
    int64_t axes[XB_MAX_RANK], keep, noop;
    if (m->opset >= 18)
        TRY(xb_onnx_const_ints(x, 1, "axes", axes, XB_MAX_RANK, &n));
    else
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "axes", axes, XB_MAX_RANK, &n, x->err)));
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "keepdims", 1, &keep, x->err)));
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "noop_with_empty_axes", 0, &noop, x->err)));
    if (n <= 0 && noop) return xb_onnx_out_alias(x, xi);
    if (n <= 0)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "reducing every dimension would average over the batch");
    int red[XB_MAX_RANK] = {0};
    for (int q = 0; q < n; q++) {
        int a;
        TRY(xb_onnx_axis(x, axes[q], rank, 1, "axis", &a));
        red[a] = 1;
    }
    int64_t kd[XB_MAX_RANK] = {0}, od[XB_MAX_RANK] = {0}, count = 1, in_dims[XB_MAX_RANK];
    int orank = 0, tail = 1; /* tail: every dimension from 2 on is reduced, dimension 1 is not */
    memcpy(in_dims, v->dims, sizeof in_dims);
    for (int d = 0; d < rank; d++) {
        kd[d] = red[d] ? 1 : in_dims[d];
        if (red[d]) count *= in_dims[d];
        if (!red[d] || keep) od[orank++] = kd[d];
        tail &= d < 2 ? !red[d] : red[d];
    }
    TRY(xb_onnx_out_act(x, orank, od, &oid));
    xb_value *out = &m->vals[oid];
    v = &m->vals[xi];
    xb_step *s = xb_onnx_add_step(x, tail && rank > 2 ? XB_STEP_GAP : XB_STEP_REDUCE);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    if (s->kind == XB_STEP_GAP) return XB_OK;
    int64_t per = v->lead * v->rest, o[XB_MAX_RANK] = {0};
    s->p0 = (float)(1.0 / (double)count);
    s->src_lead = malloc(sizeof(int32_t) * (size_t)per);
    s->src_rest = malloc(sizeof(int32_t) * (size_t)per);
    if (!s->src_lead || !s->src_rest) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t j = 0; j < per; j++) { /* input element -> its output element */
        int64_t f = 0;
        for (int d = 1; d < rank; d++)
            f = f * kd[d] + (red[d] ? 0 : o[d]);
        s->src_lead[j] = (int32_t)(f / out->rest);
        s->src_rest[j] = (int32_t)(f % out->rest);
        xb_onnx_next_index(o, in_dims, rank, 1);
    }
    return XB_OK;
}
