/* onnx_op_shape.c: Flatten, Reshape, Identity and Constant: views of
 * activations, moves between storage orders, and folded constants. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_move.h"

/* Output of a reshape of activation xi to per-image dims odims[1..rank-1]. */
xb_status xb_onnx_reshape_act(xb_onnx_node *x, int xi, int rank, const int64_t *odims)
{
    int oid;
    TRY(xb_onnx_out_act(x, rank, odims, &oid));
    xb_value *in = xb_onnx_act(x, xi), *out = xb_onnx_act(x, oid);
    if (in->lead == out->lead) { /* same storage order: a view */
        out->alias = xi;
        return XB_OK;
    }
    xb_step *s = xb_onnx_add_step(x, XB_STEP_RELAYOUT);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    return XB_OK;
}

xb_status xb_onnx_reshape_const(xb_onnx_node *x, int ci, int rank, const int64_t *dims)
{
    xb_const *c = xb_const_copy(xb_onnx_cval(x, ci));
    if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
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
    return xb_onnx_out_const(x, c);
}

xb_status xb_onnx_import_flatten(xb_onnx_node *x)
{
    int xi;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    xb_value *v = &x->m->vals[xi];
    int rank = xb_onnx_rank_of(x->m, xi);
    const int64_t *dims = xb_onnx_dims_of(x->m, xi);
    int64_t axis;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", 1, &axis, x->err)));
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank)
        return xb_onnx_node_err(x, XB_EINVAL, "axis %lld is out of range for rank %d",
                                (long long)axis, rank);
    int64_t od[2] = {1, 1};
    for (int i = 0; i < rank; i++)
        od[i < axis ? 0 : 1] *= (v->kind == XB_VAL_ACT && i == 0) ? 1 : dims[i];
    if (v->kind == XB_VAL_CONST) return xb_onnx_reshape_const(x, xi, 2, od);
    if (axis == 0 || od[0] != 1)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "axis %lld would merge the batch dimension with "
                                "others; only flattening after the batch dimension is supported",
                                (long long)axis);
    int64_t odims[2] = {0, od[1]};
    return xb_onnx_reshape_act(x, xi, 2, odims);
}

xb_status xb_onnx_import_reshape(xb_onnx_node *x)
{
    int xi, si;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    TRY(xb_onnx_need_const(x, 1, &si, "the shape"));
    const xb_const *sc = xb_onnx_cval(x, si);
    if (sc->dtype != XB_DT_INT64 || sc->rank != 1)
        return xb_onnx_node_err(x, XB_EINVAL, "the shape must be a 1-D int64 tensor");
    if (sc->count < 1 || sc->count > XB_MAX_RANK)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "target rank %lld is not supported (1..%d)",
                                (long long)sc->count, XB_MAX_RANK);
    int64_t allowzero;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "allowzero", 0, &allowzero, x->err)));
    xb_value *v = &x->m->vals[xi];
    int is_act = v->kind == XB_VAL_ACT;
    int rank = xb_onnx_rank_of(x->m, xi);
    int64_t in_dims[XB_MAX_RANK];
    memcpy(in_dims, xb_onnx_dims_of(x->m, xi), sizeof in_dims);
    int64_t total = 1; /* elements, per image for activations */
    for (int i = is_act ? 1 : 0; i < rank; i++)
        total *= in_dims[i];
    int orank = (int)sc->count;
    const int64_t *shape = sc->data;
    int64_t od[XB_MAX_RANK];
    int neg = -1;
    for (int i = 0; i < orank; i++) {
        od[i] = shape[i];
        if (shape[i] == XB_BATCH_DIM) { /* the batch size from a Shape: only as dimension 0 */
            if (i != 0 || !is_act)
                return xb_onnx_node_err(x, XB_EUNSUPPORTED, "shape[%d] is the batch size, which may only be "
                                        "dimension 0 of an activation", i);
            od[i] = 1;
            continue;
        }
        if (shape[i] == 0 && !allowzero) {
            if (i >= rank)
                return xb_onnx_node_err(x, XB_EINVAL,
                                        "shape[%d] = 0 copies a dimension the input does "
                                        "not have",
                                        i);
            od[i] = in_dims[i];
        } else if (shape[i] == -1) {
            if (neg >= 0) return xb_onnx_node_err(x, XB_EINVAL, "the shape has more than one -1");
            neg = i;
        } else if (shape[i] < 0 || (shape[i] == 0 && allowzero)) {
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "shape[%d] = %lld is not supported", i,
                                    (long long)shape[i]);
        }
    }
    if (is_act) {
        /* Dimension 0 is the batch whatever the file says (0, -1 or a fixed size). */
        if (shape[0] == -1) neg = -1;
        od[0] = 1;
        if (shape[0] == -1) {
            for (int i = 1; i < orank; i++)
                if (shape[i] == -1)
                    return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                            "only one of the batch and another "
                                            "dimension may be -1");
        }
    }
    int64_t known = 1;
    for (int i = 0; i < orank; i++)
        if (i != neg) known *= od[i];
    if (neg >= 0) {
        if (known <= 0 || total % known)
            return xb_onnx_node_err(x, XB_EINVAL,
                                    "cannot reshape %lld elements%s to the given shape",
                                    (long long)total, is_act ? " per image" : "");
        od[neg] = total / known;
        known *= od[neg];
    }
    if (known != total)
        return xb_onnx_node_err(x, XB_EINVAL, "cannot reshape %lld elements%s into %lld",
                                (long long)total, is_act ? " per image" : "", (long long)known);
    if (!is_act) return xb_onnx_reshape_const(x, xi, orank, od);
    if (orank < 2)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "reshaping an activation to rank 1 would merge "
                                "the batch dimension");
    od[0] = 0;
    return xb_onnx_reshape_act(x, xi, orank, od);
}

xb_status xb_onnx_import_identity(xb_onnx_node *x)
{
    int xi;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    return xb_onnx_out_alias(x, xi);
}

xb_status xb_onnx_import_constant(xb_onnx_node *x)
{
    TRY(xb_onnx_single_output(x));
    if (x->n->n_attribute != 1)
        return xb_onnx_node_err(x, XB_EFORMAT, "needs exactly one attribute, has %zu",
                                x->n->n_attribute);
    const Onnx__AttributeProto *a = x->n->attribute[0];
    const char *an = a->name ? a->name : "";
    xb_const *c = NULL;
    if (!strcmp(an, "value")) {
        if (!a->t) return xb_onnx_node_err(x, XB_EFORMAT, "attribute 'value' holds no tensor");
        char what[200];
        snprintf(what, sizeof what, "node '%s' (Constant): value", x->name);
        TRY(xb_onnx_tensor(a->t, what, &c, x->err));
    } else if (!strcmp(an, "value_float") || !strcmp(an, "value_int")) {
        c = xb_const_new(an[6] == 'f' ? XB_DT_FLOAT : XB_DT_INT64, 0, NULL);
        if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        if (an[6] == 'f')
            *(float *)c->data = a->f;
        else
            *(int64_t *)c->data = a->i;
    } else if (!strcmp(an, "value_floats") || !strcmp(an, "value_ints")) {
        int fl = an[6] == 'f';
        int64_t n = fl ? (int64_t)a->n_floats : (int64_t)a->n_ints;
        c = xb_const_new(fl ? XB_DT_FLOAT : XB_DT_INT64, 1, &n);
        if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
        for (int64_t i = 0; i < n; i++) {
            if (fl)
                ((float *)c->data)[i] = a->floats[i];
            else
                ((int64_t *)c->data)[i] = a->ints[i];
        }
    } else {
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "attribute '%s' is not supported", an);
    }
    return xb_onnx_out_const(x, c);
}
