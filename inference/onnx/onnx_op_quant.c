/* onnx_op_quant.c: QuantizeLinear and DequantizeLinear, folded on
 * constants (keeping the int8 values for the analog core) or run as steps
 * on activations. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

/* Scale and zero point inputs: count 1 (per tensor) or `axis_len`. */
static xb_status quant_params(xb_onnx_node *x, int64_t axis_len, int *si, int *zi, int64_t *n)
{
    TRY(xb_onnx_need_const(x, 1, si, "the scale"));
    TRY(xb_onnx_input(x, 2, zi));
    const xb_const *s = xb_onnx_cval(x, *si);
    TRY(xb_onnx_need_float_const(x, *si, "scale", -1));
    *n = s->count;
    if (s->rank > 1 || (s->count != 1 && s->count != axis_len))
        return xb_onnx_node_err(x, XB_EINVAL, "the scale has %lld elements; expected 1 or %lld",
                                (long long)s->count, (long long)axis_len);
    for (int64_t i = 0; i < s->count; i++) {
        float v = ((const float *)s->data)[i];
        if (!(v > 0) || !isfinite(v))
            return xb_onnx_node_err(x, XB_EINVAL, "scale[%lld] = %g is not a positive number",
                                    (long long)i, (double)v);
    }
    if (*zi >= 0) {
        if (x->m->vals[*zi].kind != XB_VAL_CONST)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "the zero point must be a constant");
        const xb_const *z = xb_onnx_cval(x, *zi);
        if (z->count != s->count)
            return xb_onnx_node_err(x, XB_EINVAL,
                                    "the zero point has %lld elements, the scale %lld",
                                    (long long)z->count, (long long)s->count);
        if (z->dtype != XB_DT_INT8 && z->dtype != XB_DT_UINT8 && z->dtype != XB_DT_INT32)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "zero point of type %s is not supported",
                                    xb_dtype_name(z->dtype));
    }
    return XB_OK;
}

static xb_status quant_axis(xb_onnx_node *x, int rank, int64_t *axis)
{
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "axis", 1, axis, x->err)));
    if (*axis < 0) *axis += rank;
    if (rank > 0 && (*axis < 0 || *axis >= rank))
        return xb_onnx_node_err(x, XB_EINVAL, "axis is out of range for rank %d", rank);
    return XB_OK;
}

/* Round half to even, as ONNX QuantizeLinear specifies. */
static float round_even(float v)
{
    return v - remainderf(v, 1.0f);
}

static xb_status fold_quant(xb_onnx_node *x, int xi, int dequant)
{
    const xb_const *in = xb_onnx_cval(x, xi);
    int64_t axis;
    TRY(quant_axis(x, in->rank, &axis));
    int64_t axis_len = in->rank > 0 ? in->dims[axis] : 1;
    int si, zi;
    int64_t n;
    TRY(quant_params(x, axis_len, &si, &zi, &n));
    const float *scale = xb_onnx_cval(x, si)->data;
    const xb_const *z = zi >= 0 ? xb_onnx_cval(x, zi) : NULL;
    int64_t inner = 1;
    for (int i = (int)axis + 1; i < in->rank; i++)
        inner *= in->dims[i];
    if (dequant) {
        if (in->dtype == XB_DT_FLOAT || in->dtype == XB_DT_INT64)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "input of type %s: expected int8, uint8 or int32",
                                    xb_dtype_name(in->dtype));
        if (z && z->dtype != in->dtype)
            return xb_onnx_node_err(x, XB_EINVAL,
                                    "the zero point type %s differs from the input's %s",
                                    xb_dtype_name(z->dtype), xb_dtype_name(in->dtype));
        xb_const *c = xb_const_new(XB_DT_FLOAT, in->rank, in->dims);
        if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
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
                return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
            }
            memcpy(c->q, in->data, (size_t)in->count);
            for (int64_t i = 0; i < n; i++) {
                c->q_scale[i] = scale[i];
                c->q_zero[i] = z ? (int8_t)xb_const_get(z, i) : 0;
            }
            c->q_nscale = n;
            c->q_axis = n == 1 ? -1 : (int)axis;
        }
        return xb_onnx_out_const(x, c);
    }
    if (in->dtype != XB_DT_FLOAT)
        return xb_onnx_node_err(x, XB_EINVAL, "input of type %s: expected float32",
                                xb_dtype_name(in->dtype));
    xb_dtype ot = z ? z->dtype : XB_DT_UINT8;
    if (ot == XB_DT_INT32)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "quantizing to int32 is not supported");
    float lo = ot == XB_DT_INT8 ? -128.0f : 0.0f, hi = ot == XB_DT_INT8 ? 127.0f : 255.0f;
    xb_const *c = xb_const_new(ot, in->rank, in->dims);
    if (!c) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
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
    return xb_onnx_out_const(x, c);
}

xb_status xb_onnx_import_quant(xb_onnx_node *x, int dequant)
{
    int xi, oid;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_input(x, 0, &xi));
    if (x->m->vals[xi].kind == XB_VAL_CONST) return fold_quant(x, xi, dequant);
    xb_value *in = xb_onnx_act(x, xi);
    int64_t axis;
    TRY(quant_axis(x, in->rank, &axis));
    int si, zi;
    int64_t n;
    TRY(quant_params(x, in->rank > 1 ? in->dims[axis] : 1, &si, &zi, &n));
    if (n > 1 && axis != 1)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "per-axis quantization of an activation along axis "
                                "%lld: only the channel axis 1 is supported",
                                (long long)axis);
    in = xb_onnx_act(x, xi);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    TRY(xb_onnx_out_act(x, rank, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, dequant ? XB_STEP_DEQUANT : XB_STEP_QUANT);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    s->nq = (int)n;
    s->qscale = xb_onnx_float_copy(xb_onnx_cval(x, si)->data, n);
    s->qzero = calloc((size_t)n, sizeof(float));
    if (!s->qscale || !s->qzero) return xb_onnx_node_err(x, XB_ENOMEM, "out of memory");
    const xb_const *z = zi >= 0 ? xb_onnx_cval(x, zi) : NULL;
    for (int64_t i = 0; z && i < n; i++)
        s->qzero[i] = (float)xb_const_get(z, i);
    xb_dtype ot = z ? z->dtype : XB_DT_UINT8;
    if (!dequant && ot == XB_DT_INT32)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED, "quantizing to int32 is not supported");
    s->qmin = ot == XB_DT_INT8 ? -128.0f : 0.0f;
    s->qmax = ot == XB_DT_INT8 ? 127.0f : 255.0f;
    return XB_OK;
}
