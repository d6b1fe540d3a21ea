/* onnx_op_gather.c: Expand and Gather as index maps (onnx_op_move.c), and a
 * constant expanded over the batch (a class token) as a broadcast step. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"


/* ---- Expand and Gather ----------------------------------------------------------- */

typedef struct {
    int rank, in_rank;
    int64_t in[XB_MAX_RANK];
} bcast_ctx;

static int bcast_map(const void *p, const int64_t *o, int *k, int64_t *i)
{
    const bcast_ctx *c = p;
    int off = c->rank - c->in_rank;
    for (int d = 0; d < c->in_rank; d++)
        i[d] = c->in[d] == 1 ? 0 : o[d + off];
    *k = 0;
    return 1;
}

/* A constant [1, ...] expanded to [batch, ...]: an activation that holds
 * the constant for every image (a class token). */
static xb_status expand_over_batch(xb_onnx_node *x, int ci, const int64_t *shape)
{
    const xb_const *c = x->m->vals[ci].c;
    if (c->dtype != XB_DT_FLOAT || c->dims[0] != 1)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "expanding a constant over the batch needs a float32 "
                                "constant whose dimension 0 is 1");
    int64_t od[XB_MAX_RANK] = {0}, o[XB_MAX_RANK] = {0}, per = 1;
    for (int d = 1; d < c->rank; d++) {
        if (c->dims[d] != 1 && shape[d] != 1 && c->dims[d] != shape[d])
            return xb_onnx_node_err(x, XB_EINVAL, "dimension %d: %lld does not broadcast to %lld", d,
                                    (long long)c->dims[d], (long long)shape[d]);
        od[d] = c->dims[d] > shape[d] ? c->dims[d] : shape[d];
        per *= od[d];
    }
    float *v = malloc(sizeof(float) * (size_t)per);
    if (!v) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t j = 0; j < per; j++) {
        v[j] = ((const float *)c->data)[xb_onnx_bcast_index(o, c->rank, c->dims, c->rank, 1)];
        xb_onnx_next_index(o, od, c->rank, 1);
    }
    int oid;
    xb_status st = xb_onnx_out_act(x, c->rank, od, &oid);
    xb_step *s = st == XB_OK ? xb_onnx_add_step(x, XB_STEP_BROADCAST) : NULL;
    if (!s) {
        free(v);
        return st != XB_OK ? st : xb_onnx_node_wrap(x, x->err->code);
    }
    s->out = oid;
    s->b = v;
    return XB_OK;
}

xb_status xb_onnx_import_expand(xb_onnx_node *x)
{
    int xi, ns;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_model *m = x->m;
    int act = m->vals[xi].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, xi);
    int64_t shape[XB_MAX_RANK];
    int si;
    TRY(xb_onnx_const_ints(x, 1, "shape", shape, XB_MAX_RANK, &ns));
    if (ns < 0) return xb_onnx_node_err(x, XB_EFORMAT, "missing input 1 (the shape)");
    TRY(xb_onnx_input(x, 1, &si));
    if (!act && ns == rank && xb_const_get(m->vals[si].c, 0) == (double)XB_BATCH_DIM)
        return expand_over_batch(x, xi, shape);
    int orank = ns > rank ? ns : rank;
    if (act && ns > rank)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "expanding an activation to a higher rank would move the batch");
    bcast_ctx c = {.rank = orank, .in_rank = rank};
    memcpy(c.in, xb_onnx_dims_of(m, xi), sizeof c.in);
    int64_t odims[XB_MAX_RANK] = {0};
    for (int d = 0; d < orank; d++) {
        int64_t a = d - (orank - rank) >= 0 ? c.in[d - (orank - rank)] : 1;
        int64_t b = d - (orank - ns) >= 0 ? shape[d - (orank - ns)] : 1;
        if (act && d == 0) continue;
        if (a != b && a != 1 && b != 1)
            return xb_onnx_node_err(x, XB_EINVAL, "dimension %d: %lld does not broadcast to %lld", d, (long long)a,
                                    (long long)b);
        odims[d] = a > b ? a : b;
    }
    if (act) c.in[0] = 1;
    return xb_onnx_move(x, 0, &xi, 1, orank, odims, bcast_map, &c, 0.0f);
}

typedef struct {
    int axis, ri;
    int64_t ind_dims[XB_MAX_RANK];
    const int64_t *ind;
} gather_ctx;

static int gather_map(const void *p, const int64_t *o, int *k, int64_t *i)
{
    const gather_ctx *c = p;
    int64_t f = 0;
    for (int d = 0; d < c->ri; d++)
        f = f * c->ind_dims[d] + o[c->axis + d];
    for (int d = 0; d < c->axis; d++)
        i[d] = o[d];
    i[c->axis] = c->ind[f];
    for (int d = c->axis + 1; d + c->ri - 1 < XB_MAX_RANK && d < XB_MAX_RANK; d++)
        i[d] = o[d + c->ri - 1];
    *k = 0;
    return 1;
}

xb_status xb_onnx_import_gather(xb_onnx_node *x)
{
    int xi, ii, a;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    TRY(xb_onnx_need_const(x, 1, &ii, "the indices"));
    xb_model *m = x->m;
    int act = m->vals[xi].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, xi);
    const int64_t *in = xb_onnx_dims_of(m, xi);
    const xb_const *ic = m->vals[ii].c;
    if (ic->dtype != XB_DT_INT64 && ic->dtype != XB_DT_INT32)
        return xb_onnx_node_err(x, XB_EINVAL, "the indices must be int64 or int32");
    int64_t axis;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", 0, &axis, x->err)));
    TRY(xb_onnx_axis(x, axis, rank, act, "axis", &a));
    int orank = rank + ic->rank - 1;
    if (orank > XB_MAX_RANK || (act && orank < 1))
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the output would have rank %d", orank);
    int64_t *ind = malloc(sizeof(int64_t) * (size_t)(ic->count > 0 ? ic->count : 1));
    if (!ind) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t q = 0; q < ic->count; q++) {
        int64_t v = (int64_t)xb_const_get(ic, q);
        if (v < -in[a] || v >= in[a]) {
            free(ind);
            return xb_onnx_node_err(x, XB_EINVAL, "index %lld is out of range for dimension %d of %lld",
                                    (long long)v, a, (long long)in[a]);
        }
        ind[q] = v < 0 ? v + in[a] : v;
    }
    gather_ctx c = {.axis = a, .ri = ic->rank, .ind = ind};
    memcpy(c.ind_dims, ic->dims, sizeof c.ind_dims);
    int64_t odims[XB_MAX_RANK] = {0};
    for (int d = 0; d < a; d++)
        odims[d] = in[d];
    for (int d = 0; d < ic->rank; d++)
        odims[a + d] = ic->dims[d];
    for (int d = a + 1; d < rank; d++)
        odims[d + ic->rank - 1] = in[d];
    xb_status st = xb_onnx_move(x, 0, &xi, 1, orank, odims, gather_map, &c, 0.0f);
    free(ind);
    return st;
}
