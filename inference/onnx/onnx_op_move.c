/* onnx_op_move.c: ops that only move elements -- Concat, Split, Slice,
 * Transpose, Pad (and, in onnx_op_gather.c, Expand and Gather) -- as one
 * index map each: made here, when
 * the graph is loaded, for one image (or evaluated at once when every input
 * is a constant), and applied by engine_elem.c to every image of a batch.
 *
 * Indices below are over the full ONNX rank; for an activation dimension 0
 * is the batch, which no op here may move: an axis 0 is refused with the
 * node named. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"


xb_status xb_onnx_out_act_k(xb_onnx_node *x, size_t k, int rank, const int64_t *dims, int *id)
{
    *id = xb_onnx_add_act(x->m, x->n->output[k], rank, dims, x->err);
    return *id < 0 ? xb_onnx_node_wrap(x, x->err->code) : XB_OK;
}

xb_status xb_onnx_move(xb_onnx_node *x, size_t k, const int *in_ids, int nin, int orank, const int64_t *odims,
                       xb_move_fn f, const void *ctx, float fill)
{
    return xb_onnx_move_to(x, x->n->output[k], in_ids, nin, orank, odims, f, ctx, fill);
}

/* The value `name`: rank/odims, each element taken through f from the
 * inputs in_ids (all activations or all constants of one dtype). */
xb_status xb_onnx_move_to(xb_onnx_node *x, const char *name, const int *in_ids, int nin, int orank,
                          const int64_t *odims, xb_move_fn f, const void *ctx, float fill)
{
    xb_model *m = x->m;
    const int act = m->vals[in_ids[0]].kind == XB_VAL_ACT;
    if (nin > 255)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%d inputs; at most 255 are supported", nin);
    for (int i = 1; i < nin; i++)
        if ((m->vals[in_ids[i]].kind == XB_VAL_ACT) != act ||
            (!act && m->vals[in_ids[i]].c->dtype != m->vals[in_ids[0]].c->dtype))
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "inputs mix activations and constants (or constant types)");
    const int first = act ? 1 : 0;
    int64_t per = 1;
    for (int d = first; d < orank; d++) {
        if (odims[d] < 0 || (odims[d] > 0 && per > XB_MAX_ELEMS / odims[d]))
            return xb_onnx_node_err(x, XB_ETOOBIG, "output dimension %d = %lld is out of range", d,
                                    (long long)odims[d]);
        per *= odims[d];
    }
    if (act && per == 0)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the output would be empty");
    int32_t *sl = NULL, *sr = NULL;
    uint8_t *si = NULL;
    xb_const *oc = NULL;
    size_t esz = 0;
    if (act) {
        sl = malloc(sizeof *sl * (size_t)per);
        sr = malloc(sizeof *sr * (size_t)per);
        si = nin > 1 ? malloc((size_t)per) : NULL;
        if (!sl || !sr || (nin > 1 && !si)) goto oom;
    } else {
        const xb_const *c0 = m->vals[in_ids[0]].c;
        oc = xb_const_new(c0->dtype, orank, odims);
        if (!oc) goto oom;
        esz = xb_dtype_size(c0->dtype);
    }
    int64_t oidx[XB_MAX_RANK] = {0}, iidx[XB_MAX_RANK];
    for (int64_t j = 0; j < per; j++) {
        int kin = 0;
        memset(iidx, 0, sizeof iidx);
        int have = f(ctx, oidx, &kin, iidx);
        if (have) {
            const int r = xb_onnx_rank_of(m, in_ids[kin]);
            const int64_t *dd = xb_onnx_dims_of(m, in_ids[kin]);
            int64_t flat = 0;
            for (int d = first; d < r; d++)
                flat = flat * dd[d] + iidx[d];
            if (act) {
                const int64_t rest = m->vals[in_ids[kin]].rest;
                sl[j] = (int32_t)(flat / rest);
                sr[j] = (int32_t)(flat % rest);
            } else {
                memcpy((char *)oc->data + (size_t)j * esz,
                       (const char *)m->vals[in_ids[kin]].c->data + (size_t)flat * esz, esz);
            }
        } else if (act) {
            sl[j] = -1;
            sr[j] = 0;
        } else if (oc->dtype == XB_DT_FLOAT) {
            ((float *)oc->data)[j] = fill;
        } else if (oc->dtype == XB_DT_INT64) {
            ((int64_t *)oc->data)[j] = (int64_t)fill;
        } else {
            memset((char *)oc->data + (size_t)j * esz, 0, esz);
        }
        if (si) si[j] = (uint8_t)kin;
        xb_onnx_next_index(oidx, odims, orank, first);
    }
    if (!act)
        return xb_onnx_add_const(m, name, oc, x->err) < 0 ? xb_onnx_node_wrap(x, x->err->code) : XB_OK;
    int oid = xb_onnx_add_act(m, name, orank, odims, x->err);
    xb_status st = oid < 0 ? xb_onnx_node_wrap(x, x->err->code) : XB_OK;
    xb_step *s = st == XB_OK ? xb_onnx_add_step(x, XB_STEP_MOVE) : NULL;
    if (!s) {
        free(sl);
        free(sr);
        free(si);
        return st != XB_OK ? st : xb_onnx_node_wrap(x, x->err->code);
    }
    s->src_lead = sl;
    s->src_rest = sr;
    s->src_in = si;
    s->fill = fill;
    s->in[0] = in_ids[0];
    s->in[1] = nin > 1 ? in_ids[1] : -1;
    s->out = oid;
    if (nin > 1) {
        s->ins = malloc(sizeof(int) * (size_t)nin);
        if (!s->ins) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        memcpy(s->ins, in_ids, sizeof(int) * (size_t)nin);
        s->nins = nin;
    }
    return XB_OK;
oom:
    free(sl);
    free(sr);
    free(si);
    xb_const_free(oc);
    return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
}

/* An axis attribute or value normalized against rank; the batch refused. */
xb_status xb_onnx_axis(xb_onnx_node *x, int64_t axis, int rank, int act, const char *what, int *out)
{
    if (axis < -rank || axis >= rank)
        return xb_onnx_node_err(x, XB_EINVAL, "%s %lld is out of range for rank %d", what, (long long)axis,
                                rank);
    if (axis < 0) axis += rank;
    if (act && axis == 0)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%s 0 is the batch dimension, which this op may not move",
                                what);
    *out = (int)axis;
    return XB_OK;
}

/* A constant integer input (int64 or int32) as int64 values; NULL when the
 * input is absent. */
xb_status xb_onnx_const_ints(xb_onnx_node *x, size_t k, const char *role, int64_t *out, int max, int *n)
{
    int id;
    *n = -1;
    TRY(xb_onnx_input(x, k, &id));
    if (id < 0) return XB_OK;
    if (x->m->vals[id].kind != XB_VAL_CONST)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%s (input %zu) must be a constant", role, k);
    const xb_const *c = x->m->vals[id].c;
    if ((c->dtype != XB_DT_INT64 && c->dtype != XB_DT_INT32) || c->rank > 1)
        return xb_onnx_node_err(x, XB_EINVAL, "%s must be a 1-D int64 tensor", role);
    if (c->count > max)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%s has %lld values; at most %d are supported", role,
                                (long long)c->count, max);
    for (int64_t i = 0; i < c->count; i++) {
        out[i] = (int64_t)xb_const_get(c, i);
        if (out[i] == XB_BATCH_DIM) { /* an Expand keeps the batch: broadcasting-neutral there */
            if (strcmp(role, "shape"))
                return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%s holds the batch size, known only when the "
                                        "network runs", role);
            out[i] = 1;
        }
    }
    *n = (int)c->count;
    return XB_OK;
}

/* ---- Concat ---------------------------------------------------------------------- */

typedef struct {
    int axis, n;
    int64_t off[257];
} concat_ctx;

static int concat_map(const void *p, const int64_t *o, int *k, int64_t *i)
{
    const concat_ctx *c = p;
    int q = 0;
    while (q + 1 < c->n && o[c->axis] >= c->off[q + 1])
        q++;
    memcpy(i, o, sizeof(int64_t) * XB_MAX_RANK);
    i[c->axis] -= c->off[q];
    *k = q;
    return 1;
}

xb_status xb_onnx_import_concat(xb_onnx_node *x)
{
    TRY(xb_onnx_single_output(x));
    int n = (int)x->n->n_input;
    if (n < 1 || n > 256) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%d inputs (1 to 256 are supported)", n);
    int ids[256];
    for (int i = 0; i < n; i++)
        TRY(xb_onnx_need_input(x, (size_t)i, &ids[i]));
    xb_model *m = x->m;
    int act = m->vals[ids[0]].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, ids[0]);
    int64_t a;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", INT64_MIN, &a, x->err)));
    if (a == INT64_MIN) return xb_onnx_node_err(x, XB_EFORMAT, "attribute 'axis' is required");
    concat_ctx c = {.n = n};
    TRY(xb_onnx_axis(x, a, rank, act, "axis", &c.axis));
    int64_t odims[XB_MAX_RANK];
    memcpy(odims, xb_onnx_dims_of(m, ids[0]), sizeof odims);
    odims[c.axis] = 0;
    for (int i = 0; i < n; i++) {
        const int64_t *d = xb_onnx_dims_of(m, ids[i]);
        if (xb_onnx_rank_of(m, ids[i]) != rank)
            return xb_onnx_node_err(x, XB_EINVAL, "input %d has rank %d, input 0 rank %d", i, xb_onnx_rank_of(m, ids[i]),
                                    rank);
        for (int q = act ? 1 : 0; q < rank; q++)
            if (q != c.axis && d[q] != odims[q])
                return xb_onnx_node_err(x, XB_EINVAL, "input %d has dimension %d = %lld, input 0 %lld", i, q,
                                        (long long)d[q], (long long)odims[q]);
        c.off[i] = odims[c.axis];
        odims[c.axis] += d[c.axis];
    }
    c.off[n] = odims[c.axis];
    return xb_onnx_move(x, 0, ids, n, rank, odims, concat_map, &c, 0.0f);
}

/* ---- Slice and Split ------------------------------------------------------------- */

typedef struct {
    int64_t start[XB_MAX_RANK], step[XB_MAX_RANK];
} slice_ctx;

static int slice_map(const void *p, const int64_t *o, int *k, int64_t *i)
{
    const slice_ctx *c = p;
    for (int d = 0; d < XB_MAX_RANK; d++)
        i[d] = c->start[d] + o[d] * c->step[d];
    *k = 0;
    return 1;
}

static void slice_init(slice_ctx *c)
{
    for (int d = 0; d < XB_MAX_RANK; d++) {
        c->start[d] = 0;
        c->step[d] = 1;
    }
}

xb_status xb_onnx_import_slice(xb_onnx_node *x)
{
    int xi;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_model *m = x->m;
    int act = m->vals[xi].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, xi);
    const int64_t *in = xb_onnx_dims_of(m, xi);
    int64_t st[XB_MAX_RANK], en[XB_MAX_RANK], ax[XB_MAX_RANK], sp[XB_MAX_RANK];
    int ns, ne, na, np;
    if (m->opset < 10) {
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "starts", st, XB_MAX_RANK, &ns, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "ends", en, XB_MAX_RANK, &ne, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "axes", ax, XB_MAX_RANK, &na, x->err)));
        np = -1;
    } else {
        TRY(xb_onnx_const_ints(x, 1, "starts", st, XB_MAX_RANK, &ns));
        TRY(xb_onnx_const_ints(x, 2, "ends", en, XB_MAX_RANK, &ne));
        TRY(xb_onnx_const_ints(x, 3, "axes", ax, XB_MAX_RANK, &na));
        TRY(xb_onnx_const_ints(x, 4, "steps", sp, XB_MAX_RANK, &np));
    }
    if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (np >= 0 && np != ns))
        return xb_onnx_node_err(x, XB_EINVAL, "starts, ends, axes and steps must have the same length");
    slice_ctx c;
    slice_init(&c);
    int64_t odims[XB_MAX_RANK];
    memcpy(odims, in, sizeof odims);
    int seen[XB_MAX_RANK] = {0};
    for (int q = 0; q < ns; q++) {
        int a;
        int64_t step = np >= 0 ? sp[q] : 1;
        TRY(xb_onnx_axis(x, na >= 0 ? ax[q] : q, rank, 0, "axis", &a));
        if (seen[a]++) return xb_onnx_node_err(x, XB_EINVAL, "axis %d appears twice", a);
        if (step == 0) return xb_onnx_node_err(x, XB_EINVAL, "step 0 on axis %d", a);
        if (act && a == 0) {
            if (st[q] == 0 && en[q] >= INT32_MAX && step == 1) continue; /* the whole batch */
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "slicing the batch dimension is not supported");
        }
        int64_t D = in[a], s0 = st[q], e0 = en[q];
        if (s0 < 0) s0 += D;
        if (e0 < 0) e0 += D;
        if (step > 0) {
            s0 = s0 < 0 ? 0 : s0 > D ? D : s0;
            e0 = e0 < 0 ? 0 : e0 > D ? D : e0;
        } else {
            s0 = s0 < 0 ? 0 : s0 > D - 1 ? D - 1 : s0;
            e0 = e0 < -1 ? -1 : e0 > D - 1 ? D - 1 : e0;
        }
        int64_t len = step > 0 ? (e0 - s0 + step - 1) / step : (s0 - e0 - step - 1) / -step;
        odims[a] = len > 0 ? len : 0;
        c.start[a] = s0;
        c.step[a] = step;
    }
    return xb_onnx_move(x, 0, &xi, 1, rank, odims, slice_map, &c, 0.0f);
}

xb_status xb_onnx_import_split(xb_onnx_node *x)
{
    int xi;
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_model *m = x->m;
    int act = m->vals[xi].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, xi), a;
    const int64_t *in = xb_onnx_dims_of(m, xi);
    int64_t axis, sizes[256];
    int n;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", 0, &axis, x->err)));
    TRY(xb_onnx_axis(x, axis, rank, act, "axis", &a));
    int nout = (int)x->n->n_output;
    if (nout < 1 || nout > 256) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%d outputs", nout);
    if (m->opset >= 13)
        TRY(xb_onnx_const_ints(x, 1, "split", sizes, 256, &n));
    else
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "split", sizes, 256, &n, x->err)));
    if (n < 0) { /* equal parts, the last one smaller (opset 18) */
        int64_t part = (in[a] + nout - 1) / nout;
        for (int q = 0; q < nout; q++)
            sizes[q] = q + 1 < nout ? part : in[a] - part * (nout - 1);
        n = nout;
    }
    int64_t total = 0;
    for (int q = 0; q < n; q++)
        total += sizes[q] >= 0 ? sizes[q] : -1;
    if (n != nout || total != in[a])
        return xb_onnx_node_err(x, XB_EINVAL, "split sizes do not add up to dimension %d (%lld) over %d outputs",
                                a, (long long)in[a], nout);
    int64_t off = 0;
    for (int q = 0; q < nout; q++) {
        slice_ctx c;
        slice_init(&c);
        c.start[a] = off;
        int64_t odims[XB_MAX_RANK];
        memcpy(odims, in, sizeof odims);
        odims[a] = sizes[q];
        off += sizes[q];
        if (!x->n->output[q] || !x->n->output[q][0]) continue;
        TRY(xb_onnx_move(x, (size_t)q, &xi, 1, rank, odims, slice_map, &c, 0.0f));
    }
    return XB_OK;
}

/* ---- Transpose ----------------------------------------------------------------- */

typedef struct {
    int perm[XB_MAX_RANK], rank;
} perm_ctx;

static int perm_map(const void *p, const int64_t *o, int *k, int64_t *i);

xb_status xb_onnx_permute_to(xb_onnx_node *x, const char *name, int xi, const int *perm)
{
    xb_model *m = x->m;
    perm_ctx c = {.rank = xb_onnx_rank_of(m, xi)};
    int64_t od[XB_MAX_RANK] = {0};
    for (int d = 0; d < c.rank; d++) {
        c.perm[d] = perm[d];
        od[d] = xb_onnx_dims_of(m, xi)[perm[d]];
    }
    return xb_onnx_move_to(x, name, &xi, 1, c.rank, od, perm_map, &c, 0.0f);
}

static int perm_map(const void *p, const int64_t *o, int *k, int64_t *i)
{
    const perm_ctx *c = p;
    for (int d = 0; d < c->rank; d++)
        i[c->perm[d]] = o[d];
    *k = 0;
    return 1;
}

xb_status xb_onnx_import_transpose(xb_onnx_node *x)
{
    int xi, n;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_model *m = x->m;
    int act = m->vals[xi].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, xi);
    const int64_t *in = xb_onnx_dims_of(m, xi);
    int64_t pv[XB_MAX_RANK];
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "perm", pv, XB_MAX_RANK, &n, x->err)));
    perm_ctx c = {.rank = rank};
    int used[XB_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++) {
        int64_t v = n < 0 ? rank - 1 - d : pv[d];
        if ((n >= 0 && n != rank) || v < 0 || v >= rank || used[v]++)
            return xb_onnx_node_err(x, XB_EINVAL, "perm is not a permutation of 0..%d", rank - 1);
        c.perm[d] = (int)v;
    }
    if (act && c.perm[0] != 0)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "perm moves the batch dimension (perm[0] = %d)", c.perm[0]);
    int64_t odims[XB_MAX_RANK] = {0};
    for (int d = 0; d < rank; d++)
        odims[d] = in[c.perm[d]];
    return xb_onnx_move(x, 0, &xi, 1, rank, odims, perm_map, &c, 0.0f);
}

/* ---- Pad -------------------------------------------------------------------------- */

typedef struct {
    int64_t begin[XB_MAX_RANK], in[XB_MAX_RANK];
    int rank, mode; /* 0 constant, 1 reflect, 2 edge */
} pad_ctx;

static int pad_map(const void *p, const int64_t *o, int *k, int64_t *i)
{
    const pad_ctx *c = p;
    *k = 0;
    for (int d = 0; d < c->rank; d++) {
        int64_t v = o[d] - c->begin[d], D = c->in[d];
        if (v < 0 || v >= D) {
            if (c->mode == 0) return 0;
            if (c->mode == 2) {
                v = v < 0 ? 0 : D - 1;
            } else { /* reflect without repeating the edge; period 2(D-1) */
                int64_t per = 2 * (D - 1);
                v = per > 0 ? ((v % per) + per) % per : 0;
                if (v >= D) v = per - v;
            }
        }
        i[d] = v;
    }
    return 1;
}

xb_status xb_onnx_import_pad(xb_onnx_node *x)
{
    int xi, np, na = -1;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_model *m = x->m;
    int act = m->vals[xi].kind == XB_VAL_ACT, rank = xb_onnx_rank_of(m, xi);
    char mode[32];
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_string(x->n, "mode", mode, sizeof mode, x->err)));
    pad_ctx c = {.rank = rank};
    if (!mode[0] || !strcmp(mode, "constant"))
        c.mode = 0;
    else if (!strcmp(mode, "reflect"))
        c.mode = 1;
    else if (!strcmp(mode, "edge"))
        c.mode = 2;
    else
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "mode '%s' is not supported (constant, reflect, edge)", mode);
    int64_t pads[2 * XB_MAX_RANK], axes[XB_MAX_RANK];
    float value = 0.0f;
    if (m->opset < 11) {
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "pads", pads, 2 * XB_MAX_RANK, &np, x->err)));
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_float(x->n, "value", 0.0f, &value, x->err)));
    } else {
        int vi;
        TRY(xb_onnx_const_ints(x, 1, "pads", pads, 2 * XB_MAX_RANK, &np));
        TRY(xb_onnx_input(x, 2, &vi));
        if (vi >= 0) {
            if (m->vals[vi].kind != XB_VAL_CONST || m->vals[vi].c->count != 1)
                return xb_onnx_node_err(x, XB_EUNSUPPORTED, "constant_value must be a constant scalar");
            value = (float)xb_const_get(m->vals[vi].c, 0);
        }
        TRY(xb_onnx_const_ints(x, 3, "axes", axes, XB_MAX_RANK, &na));
    }
    int nax = na >= 0 ? na : rank;
    if (np != 2 * nax) return xb_onnx_node_err(x, XB_EINVAL, "pads has %d values, expected %d", np, 2 * nax);
    const int64_t *in = xb_onnx_dims_of(m, xi);
    int64_t odims[XB_MAX_RANK];
    memcpy(odims, in, sizeof odims);
    memcpy(c.in, in, sizeof c.in);
    if (act) c.in[0] = 1; /* the batch: index 0 of one image */
    for (int q = 0; q < nax; q++) {
        int a;
        TRY(xb_onnx_axis(x, na >= 0 ? axes[q] : q, rank, 0, "axis", &a));
        int64_t b = pads[q], e = pads[q + nax];
        if (act && a == 0) {
            if (b || e) return xb_onnx_node_err(x, XB_EUNSUPPORTED, "padding the batch dimension is not supported");
            continue;
        }
        if (c.mode == 1 && (b >= in[a] || e >= in[a]))
            return xb_onnx_node_err(x, XB_EINVAL, "reflect pads of %lld, %lld on a dimension of %lld",
                                    (long long)b, (long long)e, (long long)in[a]);
        c.begin[a] = b;
        odims[a] = in[a] + b + e;
        if (odims[a] < 1 && !(act && a == 0))
            return xb_onnx_node_err(x, XB_EINVAL, "pads leave dimension %d empty", a);
    }
    return xb_onnx_move(x, 0, &xi, 1, rank, odims, pad_map, &c, value);
}

