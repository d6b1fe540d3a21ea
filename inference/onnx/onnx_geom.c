/* onnx_geom.c: kernel, stride, dilation and padding attributes of Conv and
 * the pools, and the output sizes they give. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

xb_status xb_onnx_read_geom(xb_onnx_node *x, xb_onnx_geom *g, const int64_t *kernel,
                            int allow_dilation)
{
    int64_t v[8];
    int n;
    char autopad[32];
    g->k[0] = kernel[0];
    g->k[1] = kernel[1];
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "strides", v, 8, &n, x->err)));
    g->s[0] = g->s[1] = 1;
    if (n >= 0) {
        if (n != 2)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "strides has %d values; only 2-D is supported", n);
        g->s[0] = v[0];
        g->s[1] = v[1];
    }
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "dilations", v, 8, &n, x->err)));
    g->d[0] = g->d[1] = 1;
    if (n >= 0) {
        if (n != 2)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "dilations has %d values; only 2-D is supported", n);
        if (!allow_dilation && (v[0] != 1 || v[1] != 1))
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "dilations other than 1 are not supported here");
        g->d[0] = v[0];
        g->d[1] = v[1];
    }
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "pads", v, 8, &n, x->err)));
    g->p[0] = g->p[1] = g->p[2] = g->p[3] = 0;
    if (n >= 0) {
        if (n != 4)
            return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                    "pads has %d values; only 2-D (4 values) is "
                                    "supported",
                                    n);
        /* ONNX order: h_begin, w_begin, h_end, w_end */
        for (int i = 0; i < 4; i++)
            g->p[i] = v[i];
    }
    int64_t cm;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "ceil_mode", 0, &cm, x->err)));
    g->ceil_mode = cm != 0;
    for (int i = 0; i < 2; i++) {
        if (g->k[i] < 1 || g->k[i] > 1 << 16)
            return xb_onnx_node_err(x, XB_EINVAL, "kernel size %lld is invalid",
                                    (long long)g->k[i]);
        if (g->s[i] < 1 || g->s[i] > 1 << 16)
            return xb_onnx_node_err(x, XB_EINVAL, "stride %lld is invalid", (long long)g->s[i]);
        if (g->d[i] < 1 || g->d[i] > 1 << 16)
            return xb_onnx_node_err(x, XB_EINVAL, "dilation %lld is invalid", (long long)g->d[i]);
    }
    for (int i = 0; i < 4; i++)
        if (g->p[i] < 0 || g->p[i] > 1 << 16)
            return xb_onnx_node_err(x, XB_EINVAL, "pad %lld is invalid", (long long)g->p[i]);
    TRY(xb_onnx_node_wrap(x,
                          xb_onnx_attr_string(x->n, "auto_pad", autopad, sizeof autopad, x->err)));
    if (autopad[0] && strcmp(autopad, "NOTSET")) {
        if (!strcmp(autopad, "VALID")) {
            g->p[0] = g->p[1] = g->p[2] = g->p[3] = 0;
        } else if (!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) {
            g->p[0] = -1; /* resolved in xb_onnx_out_size() from the input size */
            g->p[2] = !strcmp(autopad, "SAME_UPPER");
        } else {
            return xb_onnx_node_err(x, XB_EUNSUPPORTED, "auto_pad '%s' is not supported", autopad);
        }
    }
    return XB_OK;
}

/* Output sizes for input h, w; resolves SAME padding.  Rules of ONNX, which
 * for ceil_mode drop a last window that would start in the end padding
 * (as PyTorch does). */
xb_status xb_onnx_out_size(xb_onnx_node *x, xb_onnx_geom *g, int64_t h, int64_t w, int64_t *oh,
                           int64_t *ow)
{
    int64_t in[2] = {h, w}, out[2];
    if (g->p[0] == -1) {
        int upper = (int)g->p[2];
        for (int i = 0; i < 2; i++) {
            int64_t o = (in[i] + g->s[i] - 1) / g->s[i];
            int64_t total = (o - 1) * g->s[i] + (g->k[i] - 1) * g->d[i] + 1 - in[i];
            if (total < 0) total = 0;
            int64_t small = total / 2, big = total - small;
            g->p[i] = upper ? small : big;
            g->p[i + 2] = upper ? big : small;
        }
    }
    for (int i = 0; i < 2; i++) {
        int64_t span = in[i] + g->p[i] + g->p[i + 2] - (g->k[i] - 1) * g->d[i] - 1;
        if (span < 0)
            return xb_onnx_node_err(x, XB_EINVAL,
                                    "the %s window (%lld with dilation %lld) is larger than "
                                    "the padded input (%lld)",
                                    i ? "width" : "height", (long long)g->k[i], (long long)g->d[i],
                                    (long long)(in[i] + g->p[i] + g->p[i + 2]));
        out[i] = (g->ceil_mode ? (span + g->s[i] - 1) / g->s[i] : span / g->s[i]) + 1;
        if (g->ceil_mode && (out[i] - 1) * g->s[i] >= in[i] + g->p[i]) out[i]--;
    }
    *oh = out[0];
    *ow = out[1];
    return XB_OK;
}

void xb_onnx_set_geom_step(xb_step *s, const xb_onnx_geom *g)
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
