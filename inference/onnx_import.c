/* onnx_import.c: ONNX graph -> constants, activations and engine steps.
 *
 * Nodes are visited in file order (ONNX requires a topological order).  A
 * node whose inputs are all constants and that only rearranges or converts
 * them (Constant, Identity, Reshape, Flatten, QuantizeLinear,
 * DequantizeLinear) is evaluated here; every other node becomes a step.
 * Shapes are inferred from the input shape with the batch left free. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_impl.h"

/* One node being imported. */
typedef struct {
    xb_model *m;
    const Onnx__NodeProto *n;
    const char *op;
    char name[160];   /* display name */
    xb_error *err;
} node_ctx;

#define TRY(expr) do { xb_status _s = (expr); if (_s != XB_OK) return _s; } while (0)

/* ---- values -------------------------------------------------------------------- */

xb_value *xb_model_value(xb_model *m, int id)
{
    return &m->vals[id];
}

int xb_model_find_value(const xb_model *m, const char *name)
{
    for (int i = m->nvals - 1; i >= 0; i--)
        if (!strcmp(m->vals[i].name, name))
            return i;
    return -1;
}

static int add_value(xb_model *m, const char *name, xb_error *err)
{
    if (xb_model_find_value(m, name) >= 0) {
        xb_error_set(err, XB_EFORMAT, "tensor '%s' is defined twice", name);
        return -1;
    }
    if (m->nvals == m->cap_vals) {
        int cap = m->cap_vals ? 2 * m->cap_vals : 64;
        xb_value *v = realloc(m->vals, sizeof *v * (size_t)cap);
        if (!v) {
            xb_error_set(err, XB_ENOMEM, "out of memory");
            return -1;
        }
        m->vals = v;
        m->cap_vals = cap;
    }
    xb_value *v = &m->vals[m->nvals];
    memset(v, 0, sizeof *v);
    v->name = strdup(name);
    if (!v->name) {
        xb_error_set(err, XB_ENOMEM, "out of memory");
        return -1;
    }
    v->alias = -1;
    v->storage = -1;
    return m->nvals++;
}

/* A constant value; takes ownership of c (freed on failure). */
static int add_const(xb_model *m, const char *name, xb_const *c, xb_error *err)
{
    int id = add_value(m, name, err);
    if (id < 0) {
        xb_const_free(c);
        return -1;
    }
    m->vals[id].kind = XB_VAL_CONST;
    m->vals[id].c = c;
    return id;
}

static void set_act_shape(xb_value *v, int rank, const int64_t *dims)
{
    v->kind = XB_VAL_ACT;
    v->rank = rank;
    v->dims[0] = 0;
    for (int i = 1; i < rank; i++)
        v->dims[i] = dims[i];
    v->lead = rank >= 2 ? dims[1] : 1;
    v->rest = 1;
    for (int i = 2; i < rank; i++)
        v->rest *= dims[i];
}

static int add_act(xb_model *m, const char *name, int rank, const int64_t *dims, xb_error *err)
{
    int64_t per = 1;
    for (int i = 1; i < rank; i++) {
        if (dims[i] <= 0 || per > XB_MAX_ELEMS / dims[i]) {
            xb_error_set(err, XB_EINVAL, "tensor '%s' would have dimension %d = %lld", name, i,
                         (long long)dims[i]);
            return -1;
        }
        per *= dims[i];
    }
    int id = add_value(m, name, err);
    if (id < 0)
        return -1;
    set_act_shape(&m->vals[id], rank, dims);
    return id;
}

static int resolve(const xb_model *m, int id)
{
    return xb_root(m, id);
}

static xb_step *add_step(node_ctx *x, xb_step_kind kind)
{
    xb_model *m = x->m;
    if (m->nsteps == m->cap_steps) {
        int cap = m->cap_steps ? 2 * m->cap_steps : 64;
        xb_step *s = realloc(m->steps, sizeof *s * (size_t)cap);
        if (!s) {
            xb_error_set(x->err, XB_ENOMEM, "out of memory");
            return NULL;
        }
        m->steps = s;
        m->cap_steps = cap;
    }
    xb_step *s = &m->steps[m->nsteps];
    memset(s, 0, sizeof *s);
    s->name = strdup(x->name);
    if (!s->name) {
        xb_error_set(x->err, XB_ENOMEM, "out of memory");
        return NULL;
    }
    m->nsteps++;
    s->kind = kind;
    s->op = x->op;
    s->in[0] = s->in[1] = -1;
    s->out = -1;
    s->residual = -1;
    s->live = 1;
    return s;
}

/* ---- node helpers ---------------------------------------------------------------- */

static xb_status node_err(node_ctx *x, xb_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static xb_status node_err(node_ctx *x, xb_status code, const char *fmt, ...)
{
    char msg[XB_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return xb_error_set(x->err, code, "node '%s' (%s): %s", x->name, x->op, msg);
}

/* Re-raise an error from a helper with the node named. */
static xb_status node_wrap(node_ctx *x, xb_status s)
{
    if (s != XB_OK)
        xb_error_prefix(x->err, "node '%s' (%s)", x->name, x->op);
    return s;
}

/* Value id of input k (resolved), -1 if absent; error if named but unknown. */
static xb_status input(node_ctx *x, size_t k, int *id)
{
    *id = -1;
    if (k >= x->n->n_input || !x->n->input[k] || !x->n->input[k][0])
        return XB_OK;
    int v = xb_model_find_value(x->m, x->n->input[k]);
    if (v < 0)
        return node_err(x, XB_EFORMAT, "input %zu '%s' is not produced by any earlier node, "
                        "initializer or graph input", k, x->n->input[k]);
    /* aliases keep their own shape; plan.c maps them to their root's buffer */
    *id = x->m->vals[v].alias >= 0 && x->m->vals[v].kind == XB_VAL_ACT ? v : resolve(x->m, v);
    return XB_OK;
}

static xb_status need_input(node_ctx *x, size_t k, int *id)
{
    TRY(input(x, k, id));
    if (*id < 0)
        return node_err(x, XB_EFORMAT, "missing input %zu", k);
    return XB_OK;
}

static xb_status need_act(node_ctx *x, size_t k, int *id)
{
    TRY(need_input(x, k, id));
    if (x->m->vals[*id].kind != XB_VAL_ACT)
        return node_err(x, XB_EUNSUPPORTED, "input %zu '%s' is a constant; this op is only "
                        "supported on activations", k, x->n->input[k]);
    return XB_OK;
}

static xb_status need_const(node_ctx *x, size_t k, int *id, const char *role)
{
    TRY(need_input(x, k, id));
    if (x->m->vals[*id].kind != XB_VAL_CONST)
        return node_err(x, XB_EUNSUPPORTED, "%s (input %zu '%s') must be a constant "
                        "(initializer), it is computed at run time", role, k, x->n->input[k]);
    return XB_OK;
}

static const xb_const *cval(node_ctx *x, int id)
{
    return x->m->vals[id].c;
}

static xb_value *act(node_ctx *x, int id)
{
    return &x->m->vals[id];
}

/* Only output 0 may be used: later outputs (Indices, BN running stats, ...)
 * must be absent. */
static xb_status single_output(node_ctx *x)
{
    if (x->n->n_output < 1 || !x->n->output[0] || !x->n->output[0][0])
        return node_err(x, XB_EFORMAT, "has no output");
    for (size_t k = 1; k < x->n->n_output; k++)
        if (x->n->output[k] && x->n->output[k][0])
            return node_err(x, XB_EUNSUPPORTED, "output %zu ('%s') is not supported; only the "
                            "first output is", k, x->n->output[k]);
    return XB_OK;
}

static const char *out_name(node_ctx *x)
{
    return x->n->output[0];
}

static xb_status out_act(node_ctx *x, int rank, const int64_t *dims, int *id)
{
    *id = add_act(x->m, out_name(x), rank, dims, x->err);
    return *id < 0 ? node_wrap(x, x->err->code) : XB_OK;
}

static xb_status out_const(node_ctx *x, xb_const *c)
{
    if (!c)
        return node_err(x, XB_ENOMEM, "out of memory");
    return add_const(x->m, out_name(x), c, x->err) < 0 ? node_wrap(x, x->err->code) : XB_OK;
}

static xb_status out_alias(node_ctx *x, int src)
{
    int id = add_value(x->m, out_name(x), x->err);
    if (id < 0)
        return node_wrap(x, x->err->code);
    xb_value *v = &x->m->vals[id], *s = &x->m->vals[src];
    if (s->kind == XB_VAL_CONST) {
        v->kind = XB_VAL_CONST;
        v->c = xb_const_copy(s->c);
        if (!v->c)
            return node_err(x, XB_ENOMEM, "out of memory");
        return XB_OK;
    }
    set_act_shape(v, s->rank, s->dims);
    v->alias = src;
    return XB_OK;
}

static float *float_copy(const float *src, int64_t n)
{
    float *d = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (d && n > 0)
        memcpy(d, src, sizeof(float) * (size_t)n);
    return d;
}

static xb_status need_float_const(node_ctx *x, int id, const char *role, int64_t count)
{
    const xb_const *c = cval(x, id);
    if (c->dtype != XB_DT_FLOAT)
        return node_err(x, XB_EUNSUPPORTED, "%s '%s' has type %s, expected float32", role,
                        x->m->vals[id].name, xb_dtype_name(c->dtype));
    if (count >= 0 && c->count != count)
        return node_err(x, XB_EINVAL, "%s '%s' has %lld elements, expected %lld", role,
                        x->m->vals[id].name, (long long)c->count, (long long)count);
    return XB_OK;
}

/* ---- spatial geometry ------------------------------------------------------------ */

typedef struct {
    int64_t k[2], s[2], d[2], p[4]; /* kernel, stride, dilation, pads (t,l,b,r) */
    int ceil_mode;
} geom;

static xb_status read_geom(node_ctx *x, geom *g, const int64_t *kernel, int allow_dilation)
{
    int64_t v[8];
    int n;
    char autopad[32];
    g->k[0] = kernel[0];
    g->k[1] = kernel[1];
    TRY(node_wrap(x, xb_onnx_attr_ints(x->n, "strides", v, 8, &n, x->err)));
    g->s[0] = g->s[1] = 1;
    if (n >= 0) {
        if (n != 2)
            return node_err(x, XB_EUNSUPPORTED, "strides has %d values; only 2-D is supported", n);
        g->s[0] = v[0];
        g->s[1] = v[1];
    }
    TRY(node_wrap(x, xb_onnx_attr_ints(x->n, "dilations", v, 8, &n, x->err)));
    g->d[0] = g->d[1] = 1;
    if (n >= 0) {
        if (n != 2)
            return node_err(x, XB_EUNSUPPORTED, "dilations has %d values; only 2-D is supported", n);
        if (!allow_dilation && (v[0] != 1 || v[1] != 1))
            return node_err(x, XB_EUNSUPPORTED, "dilations other than 1 are not supported here");
        g->d[0] = v[0];
        g->d[1] = v[1];
    }
    TRY(node_wrap(x, xb_onnx_attr_ints(x->n, "pads", v, 8, &n, x->err)));
    g->p[0] = g->p[1] = g->p[2] = g->p[3] = 0;
    if (n >= 0) {
        if (n != 4)
            return node_err(x, XB_EUNSUPPORTED, "pads has %d values; only 2-D (4 values) is "
                            "supported", n);
        /* ONNX order: h_begin, w_begin, h_end, w_end */
        for (int i = 0; i < 4; i++)
            g->p[i] = v[i];
    }
    int64_t cm;
    TRY(node_wrap(x, xb_onnx_attr_int(x->n, "ceil_mode", 0, &cm, x->err)));
    g->ceil_mode = cm != 0;
    for (int i = 0; i < 2; i++) {
        if (g->k[i] < 1 || g->k[i] > 1 << 16)
            return node_err(x, XB_EINVAL, "kernel size %lld is invalid", (long long)g->k[i]);
        if (g->s[i] < 1 || g->s[i] > 1 << 16)
            return node_err(x, XB_EINVAL, "stride %lld is invalid", (long long)g->s[i]);
        if (g->d[i] < 1 || g->d[i] > 1 << 16)
            return node_err(x, XB_EINVAL, "dilation %lld is invalid", (long long)g->d[i]);
    }
    for (int i = 0; i < 4; i++)
        if (g->p[i] < 0 || g->p[i] > 1 << 16)
            return node_err(x, XB_EINVAL, "pad %lld is invalid", (long long)g->p[i]);
    TRY(node_wrap(x, xb_onnx_attr_string(x->n, "auto_pad", autopad, sizeof autopad, x->err)));
    if (autopad[0] && strcmp(autopad, "NOTSET")) {
        if (!strcmp(autopad, "VALID")) {
            g->p[0] = g->p[1] = g->p[2] = g->p[3] = 0;
        } else if (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) {
            g->p[0] = -1; /* resolved in out_size() from the input size */
            g->p[2] = !strcmp(autopad, "SAME_UPPER");
        } else {
            return node_err(x, XB_EUNSUPPORTED, "auto_pad '%s' is not supported", autopad);
        }
    }
    return XB_OK;
}

/* Output sizes for input h, w; resolves SAME padding.  Rules of ONNX, which
 * for ceil_mode drop a last window that would start in the end padding
 * (as PyTorch does). */
static xb_status out_size(node_ctx *x, geom *g, int64_t h, int64_t w, int64_t *oh, int64_t *ow)
{
    int64_t in[2] = {h, w}, out[2];
    if (g->p[0] == -1) {
        int upper = (int)g->p[2];
        for (int i = 0; i < 2; i++) {
            int64_t o = (in[i] + g->s[i] - 1) / g->s[i];
            int64_t total = (o - 1) * g->s[i] + (g->k[i] - 1) * g->d[i] + 1 - in[i];
            if (total < 0)
                total = 0;
            int64_t small = total / 2, big = total - small;
            g->p[i] = upper ? small : big;
            g->p[i + 2] = upper ? big : small;
        }
    }
    for (int i = 0; i < 2; i++) {
        int64_t span = in[i] + g->p[i] + g->p[i + 2] - (g->k[i] - 1) * g->d[i] - 1;
        if (span < 0)
            return node_err(x, XB_EINVAL, "the %s window (%lld with dilation %lld) is larger than "
                            "the padded input (%lld)", i ? "width" : "height",
                            (long long)g->k[i], (long long)g->d[i],
                            (long long)(in[i] + g->p[i] + g->p[i + 2]));
        out[i] = (g->ceil_mode ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i]) + 1;
        if (g->ceil_mode && (out[i] - 1) * g->s[i] >= in[i] + g->p[i])
            out[i]--;
    }
    *oh = out[0];
    *ow = out[1];
    return XB_OK;
}

static void set_geom_step(xb_step *s, const geom *g)
{
    s->kh = (int)g->k[0];
    s->kw = (int)g->k[1];
    s->sh = (int)g->s[0];
    s->sw = (int)g->s[1];
    s->dh = (int)g->d[0];
    s->dw = (int)g->d[1];
    s->pt = (int)g->p[0];
    s->pl = (int)g->p[1];
    s->pb = (int)g->p[2];
    s->pr = (int)g->p[3];
}

/* ---- matrix-multiply steps -------------------------------------------------------- */

/* Copy the int8 provenance of constant c to the step when it describes the
 * weight rows: per tensor, or per axis `row_axis` of c.  transpose: the
 * step's weight is c^T (c is 2-D [depth, rows]). */
static xb_status take_q(node_ctx *x, xb_step *s, const xb_const *c, int row_axis, int transpose)
{
    if (!c->q)
        return XB_OK;
    int64_t rows = s->rows_total, depth = s->mm.depth;
    int per_row = c->q_axis == row_axis && c->q_nscale == rows;
    if (!(c->q_axis < 0 || per_row))
        return XB_OK; /* quantized along the input dimension: no per-row scales */
    s->w_q = malloc((size_t)(rows * depth) + 1);
    s->w_scale = malloc(sizeof(float) * (size_t)rows);
    s->w_zero = malloc((size_t)rows);
    if (!s->w_q || !s->w_scale || !s->w_zero)
        return node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t k = 0; k < depth; k++)
            s->w_q[r * depth + k] = transpose ? c->q[k * rows + r] : c->q[r * depth + k];
        s->w_scale[r] = c->q_scale[per_row ? r : 0];
        s->w_zero[r] = c->q_zero[per_row ? r : 0];
    }
    return XB_OK;
}

static xb_status import_conv(node_ctx *x)
{
    int xi, wi, bi;
    TRY(single_output(x));
    TRY(need_act(x, 0, &xi));
    TRY(need_const(x, 1, &wi, "the weight"));
    TRY(input(x, 2, &bi));
    xb_value *in = act(x, xi);
    const xb_const *w = cval(x, wi);
    if (in->rank != 4)
        return node_err(x, XB_EUNSUPPORTED, "input has rank %d; only 2-D convolution on NCHW "
                        "(rank 4) input is supported", in->rank);
    TRY(need_float_const(x, wi, "weight", -1));
    if (w->rank != 4)
        return node_err(x, XB_EINVAL, "weight has rank %d, expected 4", w->rank);
    int64_t group;
    TRY(node_wrap(x, xb_onnx_attr_int(x->n, "group", 1, &group, x->err)));
    int64_t M = w->dims[0], C = in->dims[1];
    if (group < 1 || group > C || C % group || M % group || w->dims[1] != C / group)
        return node_err(x, XB_EINVAL, "weight %lldx%lldx%lldx%lld with group %lld does not fit "
                        "an input with %lld channels", (long long)w->dims[0],
                        (long long)w->dims[1], (long long)w->dims[2], (long long)w->dims[3],
                        (long long)group, (long long)C);
    int64_t ks[8];
    int nk;
    TRY(node_wrap(x, xb_onnx_attr_ints(x->n, "kernel_shape", ks, 8, &nk, x->err)));
    if (nk >= 0 && (nk != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3]))
        return node_err(x, XB_EINVAL, "kernel_shape does not match the weight's %lldx%lld",
                        (long long)w->dims[2], (long long)w->dims[3]);
    geom g;
    TRY(read_geom(x, &g, w->dims + 2, 1));
    int64_t oh, ow;
    TRY(out_size(x, &g, in->dims[2], in->dims[3], &oh, &ow));
    if (bi >= 0) {
        if (x->m->vals[bi].kind != XB_VAL_CONST)
            return node_err(x, XB_EUNSUPPORTED, "the bias must be a constant");
        TRY(need_float_const(x, bi, "bias", M));
    }
    int64_t depth = w->dims[1] * w->dims[2] * w->dims[3];
    if (depth > 1 << 30 || M > 1 << 30 || oh > 1 << 30 || ow > 1 << 30)
        return node_err(x, XB_ETOOBIG, "layer too large");
    int64_t odims[4] = {0, M, oh, ow};
    int oid;
    int64_t in_c = C, in_h = in->dims[2], in_w = in->dims[3]; /* `in` moves on realloc */
    TRY(out_act(x, 4, odims, &oid));
    xb_step *s = add_step(x, XB_STEP_MATMUL);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    set_geom_step(s, &g);
    s->rows_total = M;
    s->w = float_copy(w->data, w->count);
    s->bias = bi >= 0 ? float_copy(cval(x, bi)->data, M) : NULL;
    if (!s->w || (bi >= 0 && !s->bias))
        return node_err(x, XB_ENOMEM, "out of memory");
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

/* Gemm and MatMul: activation [N,K] times a constant. */
static xb_status import_gemm(node_ctx *x, int is_matmul)
{
    int ai, bi, ci = -1;
    TRY(single_output(x));
    TRY(need_input(x, 0, &ai));
    TRY(need_input(x, 1, &bi));
    if (x->m->vals[ai].kind != XB_VAL_ACT)
        return node_err(x, XB_EUNSUPPORTED, "the first operand '%s' is a constant; only "
                        "activation x constant products are supported", x->n->input[0]);
    if (x->m->vals[bi].kind != XB_VAL_CONST)
        return node_err(x, XB_EUNSUPPORTED, "the second operand '%s' is computed at run time; "
                        "only products with a constant weight are supported", x->n->input[1]);
    xb_value *a = act(x, ai);
    const xb_const *b = cval(x, bi);
    if (a->rank != 2)
        return node_err(x, XB_EUNSUPPORTED, "the first operand has rank %d; only [batch, "
                        "features] (rank 2) is supported", a->rank);
    TRY(need_float_const(x, bi, "weight", -1));
    if (b->rank != 2)
        return node_err(x, XB_EUNSUPPORTED, "the weight has rank %d; only rank 2 is supported",
                        b->rank);
    int64_t transA = 0, transB = 0;
    float alpha = 1.0f, beta = 1.0f;
    if (!is_matmul) {
        TRY(node_wrap(x, xb_onnx_attr_int(x->n, "transA", 0, &transA, x->err)));
        TRY(node_wrap(x, xb_onnx_attr_int(x->n, "transB", 0, &transB, x->err)));
        TRY(node_wrap(x, xb_onnx_attr_float(x->n, "alpha", 1.0f, &alpha, x->err)));
        TRY(node_wrap(x, xb_onnx_attr_float(x->n, "beta", 1.0f, &beta, x->err)));
        TRY(input(x, 2, &ci));
        if (transA)
            return node_err(x, XB_EUNSUPPORTED, "transA=1 is not supported (the first operand "
                            "is [batch, features])");
    }
    int64_t K = a->dims[1];
    int64_t Kb = transB ? b->dims[1] : b->dims[0], M = transB ? b->dims[0] : b->dims[1];
    if (Kb != K)
        return node_err(x, XB_EINVAL, "inner dimensions differ: input has %lld features, the "
                        "weight %lldx%lld%s expects %lld", (long long)K, (long long)b->dims[0],
                        (long long)b->dims[1], transB ? " (transB)" : "", (long long)Kb);
    if (ci >= 0) {
        if (x->m->vals[ci].kind != XB_VAL_CONST)
            return node_err(x, XB_EUNSUPPORTED, "C (the bias) must be a constant");
        TRY(need_float_const(x, ci, "C", -1));
        const xb_const *c = cval(x, ci);
        int ok = c->count == 1 || c->count == M;
        if (c->count == M && c->rank >= 1 && c->dims[c->rank - 1] != M)
            ok = 0;
        if (!ok)
            return node_err(x, XB_EUNSUPPORTED, "C has shape with %lld elements; only a scalar or "
                            "a per-output vector of %lld is supported", (long long)c->count,
                            (long long)M);
    }
    int64_t odims[2] = {0, M};
    int oid;
    TRY(out_act(x, 2, odims, &oid));
    xb_step *s = add_step(x, XB_STEP_MATMUL);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = ai;
    s->out = oid;
    s->kh = s->kw = s->sh = s->sw = s->dh = s->dw = 1;
    s->rows_total = M;
    s->w = malloc(sizeof(float) * (size_t)(M * K));
    if (!s->w)
        return node_err(x, XB_ENOMEM, "out of memory");
    const float *bd = b->data;
    for (int64_t r = 0; r < M; r++)
        for (int64_t k = 0; k < K; k++)
            s->w[r * K + k] = transB ? bd[r * K + k] : bd[k * M + r];
    if (alpha != 1.0f) {
        s->post_scale = malloc(sizeof(float) * (size_t)M);
        if (!s->post_scale)
            return node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t r = 0; r < M; r++)
            s->post_scale[r] = alpha;
    }
    if (ci >= 0 && beta != 0.0f) {
        const xb_const *c = cval(x, ci);
        s->bias = malloc(sizeof(float) * (size_t)M);
        if (!s->bias)
            return node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t r = 0; r < M; r++)
            s->bias[r] = beta * ((const float *)c->data)[c->count == 1 ? 0 : r];
    }
    xb_matmul_layer *L = &s->mm;
    L->kind = is_matmul ? XB_MATMUL_MATMUL : XB_MATMUL_GEMM;
    L->groups = 1;
    L->rows = (int)M;
    L->depth = (int)K;
    L->in_channels = (int)K;
    L->out_channels = (int)M;
    L->in_h = L->in_w = L->out_h = L->out_w = 1;
    L->kernel_h = L->kernel_w = L->stride_h = L->stride_w = L->dilation_h = L->dilation_w = 1;
    return take_q(x, s, b, transB ? 0 : 1, !transB);
}

/* ---- per-channel and elementwise steps ------------------------------------------ */

static xb_status import_bn(node_ctx *x)
{
    int xi, ids[4];
    static const char *roles[4] = {"scale", "B", "mean", "var"};
    TRY(single_output(x));
    TRY(need_act(x, 0, &xi));
    if (act(x, xi)->rank < 2)
        return node_err(x, XB_EINVAL, "input has rank %d, expected at least 2", act(x, xi)->rank);
    int64_t C = act(x, xi)->lead;
    for (int k = 0; k < 4; k++) {
        TRY(need_const(x, (size_t)k + 1, &ids[k], roles[k]));
        TRY(need_float_const(x, ids[k], roles[k], C));
    }
    float eps;
    int64_t training;
    TRY(node_wrap(x, xb_onnx_attr_float(x->n, "epsilon", 1e-5f, &eps, x->err)));
    TRY(node_wrap(x, xb_onnx_attr_int(x->n, "training_mode", 0, &training, x->err)));
    if (training)
        return node_err(x, XB_EUNSUPPORTED, "training_mode=1 is not supported (inference only)");
    xb_value *in = act(x, xi);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    int oid;
    TRY(out_act(x, rank, dims, &oid));
    xb_step *s = add_step(x, XB_STEP_AFFINE);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->a = malloc(sizeof(float) * (size_t)C);
    s->b = malloc(sizeof(float) * (size_t)C);
    if (!s->a || !s->b)
        return node_err(x, XB_ENOMEM, "out of memory");
    const float *gam = cval(x, ids[0])->data, *bet = cval(x, ids[1])->data;
    const float *mean = cval(x, ids[2])->data, *var = cval(x, ids[3])->data;
    for (int64_t c = 0; c < C; c++) {
        if (!(var[c] + eps > 0))
            return node_err(x, XB_EINVAL, "var[%lld] + epsilon = %g is not positive",
                            (long long)c, (double)(var[c] + eps));
        s->a[c] = gam[c] / sqrtf(var[c] + eps);
        s->b[c] = bet[c] - mean[c] * s->a[c];
    }
    return XB_OK;
}

static xb_status import_relu(node_ctx *x)
{
    int xi, oid;
    TRY(single_output(x));
    TRY(need_act(x, 0, &xi));
    xb_value *in = act(x, xi);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    TRY(out_act(x, rank, dims, &oid));
    xb_step *s = add_step(x, XB_STEP_RELU);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    return XB_OK;
}

static xb_status import_add(node_ctx *x)
{
    int ai, bi, oid;
    TRY(single_output(x));
    TRY(need_input(x, 0, &ai));
    TRY(need_input(x, 1, &bi));
    xb_model *m = x->m;
    if (m->vals[ai].kind == XB_VAL_CONST && m->vals[bi].kind == XB_VAL_CONST)
        return node_err(x, XB_EUNSUPPORTED, "adding two constants is not supported");
    if (m->vals[ai].kind == XB_VAL_ACT && m->vals[bi].kind == XB_VAL_ACT) {
        xb_value *a = act(x, ai), *b = act(x, bi);
        int same = a->rank == b->rank;
        for (int i = 1; same && i < a->rank; i++)
            same = a->dims[i] == b->dims[i];
        if (!same)
            return node_err(x, XB_EUNSUPPORTED, "the two activations have different shapes; "
                            "broadcasting between activations is not supported");
        int rank = a->rank;
        int64_t dims[XB_MAX_RANK];
        memcpy(dims, a->dims, sizeof dims);
        TRY(out_act(x, rank, dims, &oid));
        xb_step *s = add_step(x, XB_STEP_ADD);
        if (!s)
            return node_wrap(x, x->err->code);
        s->in[0] = ai;
        s->in[1] = bi;
        s->out = oid;
        return XB_OK;
    }
    int xi = m->vals[ai].kind == XB_VAL_ACT ? ai : bi;
    int ki = xi == ai ? bi : ai;
    TRY(need_float_const(x, ki, "addend", -1));
    xb_value *in = act(x, xi);
    const xb_const *c = cval(x, ki);
    /* The constant must broadcast to the per-image shape without touching the batch. */
    int r = in->rank;
    if (c->rank > r || (c->rank == r && c->dims[0] != 1))
        return node_err(x, XB_EUNSUPPORTED, "the constant addend (rank %d) would broadcast over "
                        "the batch dimension", c->rank);
    for (int i = 0; i < c->rank; i++) {
        int64_t cd = c->dims[c->rank - 1 - i], ad = in->dims[r - 1 - i];
        if (r - 1 - i == 0)
            continue;
        if (cd != 1 && cd != ad)
            return node_err(x, XB_EINVAL, "the constant addend does not broadcast to the input "
                            "shape (dimension %d: %lld vs %lld)", r - 1 - i, (long long)cd,
                            (long long)ad);
    }
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    int64_t per = in->lead * in->rest;
    TRY(out_act(x, r, dims, &oid));
    xb_step *s = add_step(x, XB_STEP_ADD_CONST);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->b = malloc(sizeof(float) * (size_t)per);
    if (!s->b)
        return node_err(x, XB_ENOMEM, "out of memory");
    /* expand: per-image index p -> constant index by broadcasting */
    for (int64_t p = 0; p < per; p++) {
        int64_t rem = p, ci = 0, cstride = 1;
        for (int d = r - 1; d >= 1; d--) {
            int64_t idx = rem % dims[d];
            rem /= dims[d];
            int cd = d - (r - c->rank);
            if (cd >= 0) {
                if (c->dims[cd] != 1)
                    ci += idx * cstride;
                cstride *= c->dims[cd];
            }
        }
        s->b[p] = ((const float *)c->data)[ci];
    }
    return XB_OK;
}

static xb_status import_pool(node_ctx *x, xb_step_kind kind)
{
    int xi, oid;
    TRY(single_output(x));
    TRY(need_act(x, 0, &xi));
    xb_value *in = act(x, xi);
    if (in->rank != 4)
        return node_err(x, XB_EUNSUPPORTED, "input has rank %d; only 2-D pooling on NCHW "
                        "(rank 4) input is supported", in->rank);
    int64_t k[8];
    int nk;
    TRY(node_wrap(x, xb_onnx_attr_ints(x->n, "kernel_shape", k, 8, &nk, x->err)));
    if (nk != 2)
        return node_err(x, nk < 0 ? XB_EFORMAT : XB_EUNSUPPORTED,
                        nk < 0 ? "kernel_shape is missing" : "kernel_shape has %d values; only "
                        "2-D is supported", nk);
    geom g;
    TRY(read_geom(x, &g, k, kind == XB_STEP_MAXPOOL));
    int64_t cip = 0;
    if (kind == XB_STEP_AVGPOOL)
        TRY(node_wrap(x, xb_onnx_attr_int(x->n, "count_include_pad", 0, &cip, x->err)));
    int64_t oh, ow;
    TRY(out_size(x, &g, in->dims[2], in->dims[3], &oh, &ow));
    int64_t dims[4] = {0, in->dims[1], oh, ow};
    TRY(out_act(x, 4, dims, &oid));
    xb_step *s = add_step(x, kind);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    set_geom_step(s, &g);
    s->count_include_pad = cip != 0;
    return XB_OK;
}

static xb_status import_gap(node_ctx *x)
{
    int xi, oid;
    TRY(single_output(x));
    TRY(need_act(x, 0, &xi));
    xb_value *in = act(x, xi);
    if (in->rank < 3)
        return node_err(x, XB_EINVAL, "input has rank %d, expected at least 3", in->rank);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    for (int i = 2; i < rank; i++)
        dims[i] = 1;
    TRY(out_act(x, rank, dims, &oid));
    xb_step *s = add_step(x, XB_STEP_GAP);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    return XB_OK;
}

/* ---- shape-only ops ------------------------------------------------------------- */

/* Output of a reshape of activation xi to per-image dims odims[1..rank-1]. */
static xb_status reshape_act(node_ctx *x, int xi, int rank, const int64_t *odims)
{
    int oid;
    TRY(out_act(x, rank, odims, &oid));
    xb_value *in = act(x, xi), *out = act(x, oid);
    if (in->lead == out->lead) { /* same storage order: a view */
        out->alias = xi;
        return XB_OK;
    }
    xb_step *s = add_step(x, XB_STEP_RELAYOUT);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    return XB_OK;
}

static xb_status reshape_const(node_ctx *x, int ci, int rank, const int64_t *dims)
{
    xb_const *c = xb_const_copy(cval(x, ci));
    if (!c)
        return node_err(x, XB_ENOMEM, "out of memory");
    c->rank = rank;
    for (int i = 0; i < rank; i++)
        c->dims[i] = dims[i];
    /* the quantization axis loses its meaning unless per tensor */
    if (c->q && c->q_axis >= 0) {
        free(c->q);
        free(c->q_scale);
        free(c->q_zero);
        c->q = NULL;
        c->q_scale = NULL;
        c->q_zero = NULL;
        c->q_axis = -1;
    }
    return out_const(x, c);
}

static xb_status import_flatten(node_ctx *x)
{
    int xi;
    TRY(single_output(x));
    TRY(need_input(x, 0, &xi));
    xb_value *v = &x->m->vals[xi];
    int rank = v->kind == XB_VAL_ACT ? v->rank : v->c->rank;
    const int64_t *dims = v->kind == XB_VAL_ACT ? v->dims : v->c->dims;
    int64_t axis;
    TRY(node_wrap(x, xb_onnx_attr_int(x->n, "axis", 1, &axis, x->err)));
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis > rank)
        return node_err(x, XB_EINVAL, "axis %lld is out of range for rank %d", (long long)axis,
                        rank);
    int64_t od[2] = {1, 1};
    for (int i = 0; i < rank; i++)
        od[i < axis ? 0 : 1] *= (v->kind == XB_VAL_ACT && i == 0) ? 1 : dims[i];
    if (v->kind == XB_VAL_CONST)
        return reshape_const(x, xi, 2, od);
    if (axis == 0 || od[0] != 1)
        return node_err(x, XB_EUNSUPPORTED, "axis %lld would merge the batch dimension with "
                        "others; only flattening after the batch dimension is supported",
                        (long long)axis);
    int64_t odims[2] = {0, od[1]};
    return reshape_act(x, xi, 2, odims);
}

static xb_status import_reshape(node_ctx *x)
{
    int xi, si;
    TRY(single_output(x));
    TRY(need_input(x, 0, &xi));
    TRY(need_const(x, 1, &si, "the shape"));
    const xb_const *sc = cval(x, si);
    if (sc->dtype != XB_DT_INT64 || sc->rank != 1)
        return node_err(x, XB_EINVAL, "the shape must be a 1-D int64 tensor");
    if (sc->count < 1 || sc->count > XB_MAX_RANK)
        return node_err(x, XB_EUNSUPPORTED, "target rank %lld is not supported (1..%d)",
                        (long long)sc->count, XB_MAX_RANK);
    int64_t allowzero;
    TRY(node_wrap(x, xb_onnx_attr_int(x->n, "allowzero", 0, &allowzero, x->err)));
    xb_value *v = &x->m->vals[xi];
    int is_act = v->kind == XB_VAL_ACT;
    int rank = is_act ? v->rank : v->c->rank;
    int64_t in_dims[XB_MAX_RANK];
    memcpy(in_dims, is_act ? v->dims : v->c->dims, sizeof in_dims);
    int64_t total = 1; /* elements, per image for activations */
    for (int i = is_act ? 1 : 0; i < rank; i++)
        total *= in_dims[i];
    int orank = (int)sc->count;
    const int64_t *shape = sc->data;
    int64_t od[XB_MAX_RANK];
    int neg = -1;
    for (int i = 0; i < orank; i++) {
        od[i] = shape[i];
        if (shape[i] == 0 && !allowzero) {
            if (i >= rank)
                return node_err(x, XB_EINVAL, "shape[%d] = 0 copies a dimension the input does "
                                "not have", i);
            od[i] = in_dims[i];
        } else if (shape[i] == -1) {
            if (neg >= 0)
                return node_err(x, XB_EINVAL, "the shape has more than one -1");
            neg = i;
        } else if (shape[i] < 0 || (shape[i] == 0 && allowzero)) {
            return node_err(x, XB_EUNSUPPORTED, "shape[%d] = %lld is not supported", i,
                            (long long)shape[i]);
        }
    }
    if (is_act) {
        /* Dimension 0 is the batch whatever the file says (0, -1 or a fixed size). */
        if (shape[0] == -1)
            neg = -1;
        od[0] = 1;
        if (shape[0] == -1) {
            for (int i = 1; i < orank; i++)
                if (shape[i] == -1)
                    return node_err(x, XB_EUNSUPPORTED, "only one of the batch and another "
                                    "dimension may be -1");
        }
    }
    int64_t known = 1;
    for (int i = 0; i < orank; i++)
        if (i != neg)
            known *= od[i];
    if (neg >= 0) {
        if (known <= 0 || total % known)
            return node_err(x, XB_EINVAL, "cannot reshape %lld elements%s to the given shape",
                            (long long)total, is_act ? " per image" : "");
        od[neg] = total / known;
        known *= od[neg];
    }
    if (known != total)
        return node_err(x, XB_EINVAL, "cannot reshape %lld elements%s into %lld",
                        (long long)total, is_act ? " per image" : "", (long long)known);
    if (!is_act)
        return reshape_const(x, xi, orank, od);
    if (orank < 2)
        return node_err(x, XB_EUNSUPPORTED, "reshaping an activation to rank 1 would merge "
                        "the batch dimension");
    od[0] = 0;
    return reshape_act(x, xi, orank, od);
}

static xb_status import_identity(node_ctx *x)
{
    int xi;
    TRY(single_output(x));
    TRY(need_input(x, 0, &xi));
    return out_alias(x, xi);
}

static xb_status import_constant(node_ctx *x)
{
    TRY(single_output(x));
    if (x->n->n_attribute != 1)
        return node_err(x, XB_EFORMAT, "needs exactly one attribute, has %zu",
                        x->n->n_attribute);
    const Onnx__AttributeProto *a = x->n->attribute[0];
    const char *an = a->name ? a->name : "";
    xb_const *c = NULL;
    if (!strcmp(an, "value")) {
        if (!a->t)
            return node_err(x, XB_EFORMAT, "attribute 'value' holds no tensor");
        char what[200];
        snprintf(what, sizeof what, "node '%s' (Constant): value", x->name);
        TRY(xb_onnx_tensor(a->t, what, &c, x->err));
    } else if (!strcmp(an, "value_float") || !strcmp(an, "value_int")) {
        c = xb_const_new(an[6] == 'f' ? XB_DT_FLOAT : XB_DT_INT64, 0, NULL);
        if (!c)
            return node_err(x, XB_ENOMEM, "out of memory");
        if (an[6] == 'f')
            *(float *)c->data = a->f;
        else
            *(int64_t *)c->data = a->i;
    } else if (!strcmp(an, "value_floats") || !strcmp(an, "value_ints")) {
        int fl = an[6] == 'f';
        int64_t n = fl ? (int64_t)a->n_floats : (int64_t)a->n_ints;
        c = xb_const_new(fl ? XB_DT_FLOAT : XB_DT_INT64, 1, &n);
        if (!c)
            return node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < n; i++) {
            if (fl)
                ((float *)c->data)[i] = a->floats[i];
            else
                ((int64_t *)c->data)[i] = a->ints[i];
        }
    } else {
        return node_err(x, XB_EUNSUPPORTED, "attribute '%s' is not supported", an);
    }
    return out_const(x, c);
}

/* ---- quantization ------------------------------------------------------------- */

/* Scale and zero point inputs: count 1 (per tensor) or `axis_len`. */
static xb_status quant_params(node_ctx *x, int64_t axis_len, int *si, int *zi, int64_t *n)
{
    TRY(need_const(x, 1, si, "the scale"));
    TRY(input(x, 2, zi));
    const xb_const *s = cval(x, *si);
    TRY(need_float_const(x, *si, "scale", -1));
    *n = s->count;
    if (s->rank > 1 || (s->count != 1 && s->count != axis_len))
        return node_err(x, XB_EINVAL, "the scale has %lld elements; expected 1 or %lld",
                        (long long)s->count, (long long)axis_len);
    for (int64_t i = 0; i < s->count; i++) {
        float v = ((const float *)s->data)[i];
        if (!(v > 0) || !isfinite(v))
            return node_err(x, XB_EINVAL, "scale[%lld] = %g is not a positive number",
                            (long long)i, (double)v);
    }
    if (*zi >= 0) {
        if (x->m->vals[*zi].kind != XB_VAL_CONST)
            return node_err(x, XB_EUNSUPPORTED, "the zero point must be a constant");
        const xb_const *z = cval(x, *zi);
        if (z->count != s->count)
            return node_err(x, XB_EINVAL, "the zero point has %lld elements, the scale %lld",
                            (long long)z->count, (long long)s->count);
        if (z->dtype != XB_DT_INT8 && z->dtype != XB_DT_UINT8 && z->dtype != XB_DT_INT32)
            return node_err(x, XB_EUNSUPPORTED, "zero point of type %s is not supported",
                            xb_dtype_name(z->dtype));
    }
    return XB_OK;
}

static xb_status quant_axis(node_ctx *x, int rank, int64_t *axis)
{
    TRY(node_wrap(x, xb_onnx_attr_int(x->n, "axis", 1, axis, x->err)));
    if (*axis < 0)
        *axis += rank;
    if (rank > 0 && (*axis < 0 || *axis >= rank))
        return node_err(x, XB_EINVAL, "axis is out of range for rank %d", rank);
    return XB_OK;
}

/* Round half to even, as ONNX QuantizeLinear specifies. */
static float round_even(float v)
{
    return v - remainderf(v, 1.0f);
}

static xb_status fold_quant(node_ctx *x, int xi, int dequant)
{
    const xb_const *in = cval(x, xi);
    int64_t axis;
    TRY(quant_axis(x, in->rank, &axis));
    int64_t axis_len = in->rank > 0 ? in->dims[axis] : 1;
    int si, zi;
    int64_t n;
    TRY(quant_params(x, axis_len, &si, &zi, &n));
    const float *scale = cval(x, si)->data;
    const xb_const *z = zi >= 0 ? cval(x, zi) : NULL;
    int64_t inner = 1;
    for (int i = (int)axis + 1; i < in->rank; i++)
        inner *= in->dims[i];
    if (dequant) {
        if (in->dtype == XB_DT_FLOAT || in->dtype == XB_DT_INT64)
            return node_err(x, XB_EUNSUPPORTED, "input of type %s: expected int8, uint8 or int32",
                            xb_dtype_name(in->dtype));
        if (z && z->dtype != in->dtype)
            return node_err(x, XB_EINVAL, "the zero point type %s differs from the input's %s",
                            xb_dtype_name(z->dtype), xb_dtype_name(in->dtype));
        xb_const *c = xb_const_new(XB_DT_FLOAT, in->rank, in->dims);
        if (!c)
            return node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < in->count; i++) {
            int64_t ch = n == 1 ? 0 : (i / inner) % axis_len;
            float zp = z ? (float)xb_const_get(z, ch) : 0.0f;
            ((float *)c->data)[i] = ((float)xb_const_get(in, i) - zp) * scale[ch];
        }
        if (in->dtype == XB_DT_INT8) { /* keep the int8 form for the analog core */
            c->q = malloc((size_t)in->count + 1);
            c->q_scale = malloc(sizeof(float) * (size_t)n);
            c->q_zero = malloc((size_t)n);
            if (!c->q || !c->q_scale || !c->q_zero) {
                xb_const_free(c);
                return node_err(x, XB_ENOMEM, "out of memory");
            }
            memcpy(c->q, in->data, (size_t)in->count);
            for (int64_t i = 0; i < n; i++) {
                c->q_scale[i] = scale[i];
                c->q_zero[i] = z ? (int8_t)xb_const_get(z, i) : 0;
            }
            c->q_nscale = n;
            c->q_axis = n == 1 ? -1 : (int)axis;
        }
        return out_const(x, c);
    }
    if (in->dtype != XB_DT_FLOAT)
        return node_err(x, XB_EINVAL, "input of type %s: expected float32",
                        xb_dtype_name(in->dtype));
    xb_dtype ot = z ? z->dtype : XB_DT_UINT8;
    if (ot == XB_DT_INT32)
        return node_err(x, XB_EUNSUPPORTED, "quantizing to int32 is not supported");
    float lo = ot == XB_DT_INT8 ? -128.0f : 0.0f, hi = ot == XB_DT_INT8 ? 127.0f : 255.0f;
    xb_const *c = xb_const_new(ot, in->rank, in->dims);
    if (!c)
        return node_err(x, XB_ENOMEM, "out of memory");
    for (int64_t i = 0; i < in->count; i++) {
        int64_t ch = n == 1 ? 0 : (i / inner) % axis_len;
        float zp = z ? (float)xb_const_get(z, ch) : 0.0f;
        float v = round_even(((const float *)in->data)[i] / scale[ch]) + zp;
        v = v < lo ? lo : v > hi ? hi : v;
        if (ot == XB_DT_INT8)
            ((int8_t *)c->data)[i] = (int8_t)v;
        else
            ((uint8_t *)c->data)[i] = (uint8_t)v;
    }
    return out_const(x, c);
}

static xb_status import_quant(node_ctx *x, int dequant)
{
    int xi, oid;
    TRY(single_output(x));
    TRY(need_input(x, 0, &xi));
    if (x->m->vals[xi].kind == XB_VAL_CONST)
        return fold_quant(x, xi, dequant);
    xb_value *in = act(x, xi);
    int64_t axis;
    TRY(quant_axis(x, in->rank, &axis));
    int si, zi;
    int64_t n;
    TRY(quant_params(x, in->rank > 1 ? in->dims[axis] : 1, &si, &zi, &n));
    if (n > 1 && axis != 1)
        return node_err(x, XB_EUNSUPPORTED, "per-axis quantization of an activation along axis "
                        "%lld: only the channel axis 1 is supported", (long long)axis);
    in = act(x, xi);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    TRY(out_act(x, rank, dims, &oid));
    xb_step *s = add_step(x, dequant ? XB_STEP_DEQUANT : XB_STEP_QUANT);
    if (!s)
        return node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->nq = (int)n;
    s->qscale = float_copy(cval(x, si)->data, n);
    s->qzero = calloc((size_t)n, sizeof(float));
    if (!s->qscale || !s->qzero)
        return node_err(x, XB_ENOMEM, "out of memory");
    const xb_const *z = zi >= 0 ? cval(x, zi) : NULL;
    for (int64_t i = 0; z && i < n; i++)
        s->qzero[i] = (float)xb_const_get(z, i);
    xb_dtype ot = z ? z->dtype : XB_DT_UINT8;
    if (!dequant && ot == XB_DT_INT32)
        return node_err(x, XB_EUNSUPPORTED, "quantizing to int32 is not supported");
    s->qmin = ot == XB_DT_INT8 ? -128.0f : 0.0f;
    s->qmax = ot == XB_DT_INT8 ? 127.0f : 255.0f;
    return XB_OK;
}

/* ---- the graph ---------------------------------------------------------------- */

static xb_status import_node(node_ctx *x)
{
    const char *op = x->op;
    if (!strcmp(op, "Conv")) return import_conv(x);
    if (!strcmp(op, "Gemm")) return import_gemm(x, 0);
    if (!strcmp(op, "MatMul")) return import_gemm(x, 1);
    if (!strcmp(op, "BatchNormalization")) return import_bn(x);
    if (!strcmp(op, "Relu")) return import_relu(x);
    if (!strcmp(op, "Add")) return import_add(x);
    if (!strcmp(op, "MaxPool")) return import_pool(x, XB_STEP_MAXPOOL);
    if (!strcmp(op, "AveragePool")) return import_pool(x, XB_STEP_AVGPOOL);
    if (!strcmp(op, "GlobalAveragePool")) return import_gap(x);
    if (!strcmp(op, "Flatten")) return import_flatten(x);
    if (!strcmp(op, "Reshape")) return import_reshape(x);
    if (!strcmp(op, "Identity")) return import_identity(x);
    if (!strcmp(op, "Constant")) return import_constant(x);
    if (!strcmp(op, "QuantizeLinear")) return import_quant(x, 0);
    if (!strcmp(op, "DequantizeLinear")) return import_quant(x, 1);
    return node_err(x, XB_EUNSUPPORTED, "unsupported op type '%s' (supported: Conv, "
                    "BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool, Add, "
                    "Flatten, Reshape, Gemm, MatMul, DequantizeLinear, QuantizeLinear, Constant, "
                    "Identity)", op);
}

static const char *op_static(const char *op)
{
    static const char *known[] = {"Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "Add",
                                  "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten",
                                  "Reshape", "Identity", "Constant", "QuantizeLinear",
                                  "DequantizeLinear"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(op, known[i]))
            return known[i];
    return "?";
}

static xb_status import_input(xb_model *m, const Onnx__GraphProto *g, xb_error *err)
{
    const Onnx__ValueInfoProto *vi = NULL;
    int count = 0;
    for (size_t i = 0; i < g->n_input; i++) {
        const char *nm = g->input[i]->name;
        if (!nm || !nm[0])
            return xb_error_set(err, XB_EFORMAT, "graph input %zu has no name", i);
        int id = xb_model_find_value(m, nm);
        if (id >= 0 && m->vals[id].kind == XB_VAL_CONST)
            continue; /* an initializer listed as input (IR < 4) */
        vi = g->input[i];
        count++;
    }
    if (count != 1)
        return xb_error_set(err, XB_EUNSUPPORTED, "the graph has %d inputs besides the "
                            "initializers; exactly one (the image batch) is supported", count);
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s' is not a tensor", vi->name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type && tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s' has element type %d; only "
                            "float32 is supported", vi->name, (int)tt->elem_type);
    if (!tt->shape)
        return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s' has no shape", vi->name);
    size_t r = tt->shape->n_dim;
    if (r != 4 && r != 2)
        return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s' has rank %zu; [N,C,H,W] or "
                            "[N,F] is supported", vi->name, r);
    int64_t dims[4] = {0, 1, 1, 1};
    for (size_t i = 1; i < r; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
            d->dim_value <= 0 || d->dim_value > 1 << 20)
            return xb_error_set(err, XB_EUNSUPPORTED, "graph input '%s': dimension %zu is not a "
                                "fixed positive size; only the batch dimension may vary",
                                vi->name, i);
        dims[i] = d->dim_value;
    }
    int id = add_act(m, vi->name, (int)r, dims, err);
    if (id < 0)
        return err->code;
    m->input = id;
    m->in_c = (int)dims[1];
    m->in_h = (int)dims[2];
    m->in_w = (int)dims[3];
    return XB_OK;
}

xb_status xb_onnx_import(xb_model *m, const uint8_t *bytes, size_t len, xb_error *err)
{
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, bytes);
    if (!mp)
        return xb_error_set(err, XB_EFORMAT, "not a valid ONNX file: the protobuf could not be "
                            "parsed (%zu bytes; truncated or corrupt?)", len);
    xb_status st = XB_OK;
    const Onnx__GraphProto *g = mp->graph;
    m->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain;
        if ((!d || !d[0] || !strcmp(d, "ai.onnx")) && mp->opset_import[i]->has_version)
            m->opset = (int)mp->opset_import[i]->version;
    }
    if (!g || g->n_node == 0) {
        st = xb_error_set(err, XB_EFORMAT, "not a valid ONNX model: no graph%s",
                          g ? " nodes" : "");
        goto done;
    }
    if (m->opset < 0) {
        st = xb_error_set(err, XB_EFORMAT, "not a valid ONNX model: no opset_import for the "
                          "default domain (truncated file?)");
        goto done;
    }
    if (m->opset < 7) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "opset %d is too old (7 or later is supported)",
                          m->opset);
        goto done;
    }
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (!e->key || !e->value)
            continue;
        char **k = realloc(m->meta_keys, sizeof *k * (size_t)(m->nmeta + 1));
        if (k)
            m->meta_keys = k;
        char **v = realloc(m->meta_vals, sizeof *v * (size_t)(m->nmeta + 1));
        if (v)
            m->meta_vals = v;
        if (!k || !v) {
            st = xb_error_set(err, XB_ENOMEM, "out of memory");
            goto done;
        }
        m->meta_keys[m->nmeta] = strdup(e->key);
        m->meta_vals[m->nmeta] = strdup(e->value);
        m->nmeta++;
        if (!m->meta_keys[m->nmeta - 1] || !m->meta_vals[m->nmeta - 1]) {
            st = xb_error_set(err, XB_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        if (!t->name || !t->name[0]) {
            st = xb_error_set(err, XB_EFORMAT, "initializer %zu has no name", i);
            goto done;
        }
        char what[300];
        snprintf(what, sizeof what, "initializer '%.200s'", t->name);
        xb_const *c;
        if ((st = xb_onnx_tensor(t, what, &c, err)) != XB_OK)
            goto done;
        if (add_const(m, t->name, c, err) < 0) {
            st = err->code;
            goto done;
        }
    }
    if (g->n_sparse_initializer) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "sparse initializers are not supported");
        goto done;
    }
    if ((st = import_input(m, g, err)) != XB_OK)
        goto done;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        node_ctx x = {m, n, op_static(n->op_type ? n->op_type : ""), "", err};
        const char *op = n->op_type ? n->op_type : "";
        if (n->name && n->name[0])
            snprintf(x.name, sizeof x.name, "%s", n->name);
        else
            snprintf(x.name, sizeof x.name, "%.100s_%zu", op, i);
        if (x.op[0] == '?')
            x.op = op;
        if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx")) {
            st = xb_error_set(err, XB_EUNSUPPORTED, "node '%s': op '%s' of domain '%s' is not "
                              "supported (only the default ONNX domain is)", x.name, op,
                              n->domain);
            goto done;
        }
        if ((st = import_node(&x)) != XB_OK)
            goto done;
    }
    if (g->n_output != 1) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "the graph has %zu outputs; exactly one is "
                          "supported", g->n_output);
        goto done;
    }
    const char *on = g->output[0]->name ? g->output[0]->name : "";
    int oid = xb_model_find_value(m, on);
    if (oid < 0) {
        st = xb_error_set(err, XB_EFORMAT, "graph output '%s' is not produced by any node", on);
        goto done;
    }
    oid = resolve(m, oid);
    if (m->vals[oid].kind != XB_VAL_ACT) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "graph output '%s' is a constant", on);
        goto done;
    }
    m->output = oid;
    m->out_per_image = m->vals[oid].lead * m->vals[oid].rest;
    if (oid == m->input) {
        st = xb_error_set(err, XB_EUNSUPPORTED, "the graph output is its input");
        goto done;
    }
done:
    onnx__model_proto__free_unpacked(mp, NULL);
    return st;
}
