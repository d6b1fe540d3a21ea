/* onnx_op_pool.c: MaxPool, AveragePool and GlobalAveragePool. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

xb_status xb_onnx_import_pool(xb_onnx_node *x, xb_step_kind kind)
{
    int xi, oid;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    xb_value *in = xb_onnx_act(x, xi);
    if (in->rank != 4)
        return xb_onnx_node_err(x, XB_EUNSUPPORTED,
                                "input has rank %d; only 2-D pooling on NCHW "
                                "(rank 4) input is supported",
                                in->rank);
    int64_t k[8];
    int nk;
    TRY(xb_onnx_node_wrap(x, xb_onnx_attr_ints(x->n, "kernel_shape", k, 8, &nk, x->err)));
    if (nk != 2)
        return xb_onnx_node_err(x, nk < 0 ? XB_EFORMAT : XB_EUNSUPPORTED,
                                nk < 0 ? "kernel_shape is missing"
                                       : "kernel_shape has %d values; only "
                                         "2-D is supported",
                                nk);
    xb_onnx_geom g;
    TRY(xb_onnx_read_geom(x, &g, k, kind == XB_STEP_MAXPOOL));
    int64_t cip = 0;
    if (kind == XB_STEP_AVGPOOL)
        TRY(xb_onnx_node_wrap(x, xb_onnx_attr_int(x->n, "count_include_pad", 0, &cip, x->err)));
    int64_t oh, ow;
    TRY(xb_onnx_out_size(x, &g, in->dims[2], in->dims[3], &oh, &ow));
    int64_t dims[4] = {0, in->dims[1], oh, ow};
    TRY(xb_onnx_out_act(x, 4, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, kind);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    xb_onnx_set_geom_step(s, &g);
    s->count_include_pad = cip != 0;
    return XB_OK;
}

xb_status xb_onnx_import_gap(xb_onnx_node *x)
{
    int xi, oid;
    TRY(xb_onnx_single_output(x));
    TRY(xb_onnx_need_act(x, 0, &xi));
    xb_value *in = xb_onnx_act(x, xi);
    if (in->rank < 3)
        return xb_onnx_node_err(x, XB_EINVAL, "input has rank %d, expected at least 3", in->rank);
    int rank = in->rank;
    int64_t dims[XB_MAX_RANK];
    memcpy(dims, in->dims, sizeof dims);
    for (int i = 2; i < rank; i++)
        dims[i] = 1;
    TRY(xb_onnx_out_act(x, rank, dims, &oid));
    xb_step *s = xb_onnx_add_step(x, XB_STEP_GAP);
    if (!s) return xb_onnx_node_wrap(x, x->err->code);
    s->in[0] = xi;
    s->out = oid;
    return XB_OK;
}
