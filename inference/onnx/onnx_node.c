/* onnx_node.c: values of the graph being imported, and the helpers every
 * op importer uses (inputs, outputs, errors that name the node). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

xb_value *xb_model_value(xb_model *m, int id)
{
    return &m->vals[id];
}

int xb_model_find_value(const xb_model *m, const char *name)
{
    for (int i = m->nvals - 1; i >= 0; i--)
        if (!strcmp(m->vals[i].name, name)) return i;
    return -1;
}

int xb_onnx_add_value(xb_model *m, const char *name, xb_error *err)
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
int xb_onnx_add_const(xb_model *m, const char *name, xb_const *c, xb_error *err)
{
    int id = xb_onnx_add_value(m, name, err);
    if (id < 0) {
        xb_const_free(c);
        return -1;
    }
    m->vals[id].kind = XB_VAL_CONST;
    m->vals[id].c = c;
    return id;
}

void xb_onnx_set_act_shape(xb_value *v, int rank, const int64_t *dims)
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

int xb_onnx_add_act(xb_model *m, const char *name, int rank, const int64_t *dims, xb_error *err)
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
    int id = xb_onnx_add_value(m, name, err);
    if (id < 0) return -1;
    xb_onnx_set_act_shape(&m->vals[id], rank, dims);
    return id;
}

xb_step *xb_onnx_add_step(xb_onnx_node *x, xb_step_kind kind)
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

/* ---- node helpers ------------------------------------------------------------ */

xb_status xb_onnx_node_err(xb_onnx_node *x, xb_status code, const char *fmt, ...)
{
    char msg[XB_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return xb_error_set(x->err, code, "node '%s' (%s): %s", x->name, x->op, msg);
}

/* Re-raise an error from a helper with the node named. */
xb_status xb_onnx_node_wrap(xb_onnx_node *x, xb_status s)
{
    if (s != XB_OK) xb_error_prefix(x->err, "node '%s' (%s)", x->name, x->op);
    return s;
}

/* Value id of input k, -1 if absent; error if named but unknown. */
xb_status xb_onnx_input(xb_onnx_node *x, size_t k, int *id)
{
    *id = -1;
    if (k >= x->n->n_input || !x->n->input[k] || !x->n->input[k][0]) return XB_OK;
    int v = xb_model_find_value(x->m, x->n->input[k]);
    if (v < 0)
        return xb_onnx_node_err(x, XB_EFORMAT,
                                "input %zu '%s' is not produced by any earlier node, "
                                "initializer or graph input",
                                k, x->n->input[k]);
    /* aliases keep their own shape; plan.c maps them to their root's buffer */
    *id = x->m->vals[v].alias >= 0 && x->m->vals[v].kind == XB_VAL_ACT ? v : xb_root(x->m, v);
    return XB_OK;
}

xb_status xb_onnx_need_input(xb_onnx_node *x, size_t k, int *id)
{
    TRY(xb_onnx_input(x, k, id));
    if (*id < 0) return xb_onnx_node_err(x, XB_EFORMAT, "missing input %zu", k);
    return XB_OK;
}

xb_status xb_onnx_need_act(xb_onnx_node *x, size_t k, int *id)
{
    TRY(xb_onnx_need_input(x, k, id));
    if (x->m->vals[*id].kind != XB_VAL_ACT)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "input %zu '%s' is a constant; this op is only "
                                "supported on activations",
                                k, x->n->input[k]);
    return XB_OK;
}

xb_status xb_onnx_need_const(xb_onnx_node *x, size_t k, int *id, const char *role)
{
    TRY(xb_onnx_need_input(x, k, id));
    if (x->m->vals[*id].kind != XB_VAL_CONST)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "%s (input %zu '%s') must be a constant "
                                "(initializer), it is computed at run time",
                                role, k, x->n->input[k]);
    return XB_OK;
}

const xb_const *xb_onnx_cval(xb_onnx_node *x, int id)
{
    return x->m->vals[id].c;
}

xb_value *xb_onnx_act(xb_onnx_node *x, int id)
{
    return &x->m->vals[id];
}

/* Only output 0 may be used: later outputs (Indices, BN running stats, ...)
 * must be absent. */
xb_status xb_onnx_single_output(xb_onnx_node *x)
{
    if (x->n->n_output < 1 || !x->n->output[0] || !x->n->output[0][0])
        return xb_onnx_node_err(x, XB_EFORMAT, "has no output");
    for (size_t k = 1; k < x->n->n_output; k++)
        if (x->n->output[k] && x->n->output[k][0])
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "output %zu ('%s') is not supported; only the "
                                    "first output is",
                                    k, x->n->output[k]);
    return XB_OK;
}

const char *xb_onnx_out_name(xb_onnx_node *x)
{
    return x->n->output[0];
}

xb_status xb_onnx_out_act(xb_onnx_node *x, int rank, const int64_t *dims, int *id)
{
    *id = xb_onnx_add_act(x->m, xb_onnx_out_name(x), rank, dims, x->err);
    return *id < 0 ? xb_onnx_node_wrap(x, x->err->code) : XB_OK;
}

xb_status xb_onnx_out_const(xb_onnx_node *x, xb_const *c)
{
    if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    return xb_onnx_add_const(x->m, xb_onnx_out_name(x), c, x->err) < 0
               ? xb_onnx_node_wrap(x, x->err->code)
               : XB_OK;
}

xb_status xb_onnx_out_alias(xb_onnx_node *x, int src)
{
    int id = xb_onnx_add_value(x->m, xb_onnx_out_name(x), x->err);
    if (id < 0) return xb_onnx_node_wrap(x, x->err->code);
    xb_value *v = &x->m->vals[id], *s = &x->m->vals[src];
    if (s->kind == XB_VAL_CONST) {
        v->kind = XB_VAL_CONST;
        v->c = xb_const_copy(s->c);
        if (!v->c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        return XB_OK;
    }
    xb_onnx_set_act_shape(v, s->rank, s->dims);
    v->alias = src;
    return XB_OK;
}

float *xb_onnx_float_copy(const float *src, int64_t n)
{
    float *d = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (d && n > 0) memcpy(d, src, sizeof(float) * (size_t)n);
    return d;
}

xb_status xb_onnx_need_float_const(xb_onnx_node *x, int id, const char *role, int64_t count)
{
    const xb_const *c = xb_onnx_cval(x, id);
    if (c->dtype != XB_DT_FLOAT)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "%s '%s' has type %s, expected float32", role,
                                x->m->vals[id].name, xb_dtype_name(c->dtype));
    if (count >= 0 && c->count != count)
        return xb_onnx_node_err(x, XB_EINVAL, "%s '%s' has %lld elements, expected %lld", role,
                                x->m->vals[id].name, (long long)c->count, (long long)count);
    return XB_OK;
}
