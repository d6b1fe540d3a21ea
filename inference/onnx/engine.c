/* engine.c: run the planned steps on a batch. */
#include <string.h>

#include "model_impl.h"

xb_status xb_engine_run(xb_model *m, const float *x, int batch, float *logits, xb_error *err)
{
    const size_t N = (size_t)batch;
    /* NCHW -> [C][N][HW] */
    const xb_value *iv = &m->vals[m->input];
    const size_t C = (size_t)iv->lead, HW = (size_t)iv->rest;
    float *xin = xb_value_data(m, m->input);
    for (size_t c = 0; c < C; c++)
        for (size_t n = 0; n < N; n++)
            memcpy(xin + (c * N + n) * HW, x + (n * C + c) * HW, sizeof(float) * HW);

    for (int li = 0; li < m->nlive; li++) {
        xb_step *s = &m->steps[m->live_steps[li]];
        const xb_value *in = s->in[0] >= 0 ? &m->vals[s->in[0]] : NULL, *out = &m->vals[s->out];
        float *y = xb_value_data(m, s->out);
        const float *a = s->in[0] >= 0 ? xb_value_data(m, s->in[0]) : NULL; /* NULL: BROADCAST */
        const size_t total = (size_t)out->lead * N * (size_t)out->rest;
        switch (s->kind) {
        case XB_STEP_MATMUL: {
            xb_status st = xb_engine_matmul(m, s, batch, err);
            if (st != XB_OK)
                return st;
            break;
        }
        case XB_STEP_RELU:
            if (y != a)
                memcpy(y, a, sizeof(float) * total);
            xb_engine_relu(y, total);
            break;
        case XB_STEP_ADD:
            xb_engine_add(a, xb_value_data(m, s->in[1]), y, total, s->relu);
            break;
        case XB_STEP_ADD_CONST:
            xb_engine_add_const(a, s->b, y, out->lead, batch, out->rest, s->relu);
            break;
        case XB_STEP_AFFINE:
            xb_engine_affine(a, s->a, s->b, y, out->lead, (int64_t)N * out->rest, s->relu);
            break;
        case XB_STEP_MAXPOOL:
        case XB_STEP_AVGPOOL:
            xb_engine_pool(s, in, out, a, y, batch);
            break;
        case XB_STEP_GAP:
            xb_engine_gap(a, y, in->lead * (int64_t)N, in->rest);
            break;
        case XB_STEP_RELAYOUT:
            xb_engine_relayout(a, y, batch, in->lead * in->rest, in->rest, out->rest);
            break;
        case XB_STEP_MOVE:
            xb_engine_move(m, s, y, batch);
            break;
        case XB_STEP_UNARY:
            xb_engine_unary(s, a, y, total);
            break;
        case XB_STEP_BINARY:
            xb_engine_binary(m, s, y, batch);
            break;
        case XB_STEP_REDUCE:
            xb_engine_reduce(m, s, y, batch);
            break;
        case XB_STEP_SOFTMAX:
            xb_engine_softmax(m, s, y, batch);
            break;
        case XB_STEP_LAYERNORM:
            xb_engine_layernorm(m, s, y, batch);
            break;
        case XB_STEP_MATMUL_ACT:
            xb_engine_matmul_act(m, s, y, batch);
            break;
        case XB_STEP_BROADCAST:
            xb_engine_broadcast(m, s, y, batch);
            break;
        case XB_STEP_QUANT:
        case XB_STEP_DEQUANT:
            xb_engine_quant(s, a, y, out->lead, (int64_t)N * out->rest,
                            s->kind == XB_STEP_DEQUANT);
            break;
        }
    }
    /* [lead][N][rest] -> [N][lead*rest] */
    const xb_value *ov = &m->vals[m->output];
    const float *yo = xb_value_data(m, m->output);
    const size_t L = (size_t)ov->lead, R = (size_t)ov->rest;
    for (size_t l = 0; l < L; l++)
        for (size_t n = 0; n < N; n++)
            memcpy(logits + n * L * R + l * R, yo + (l * N + n) * R, sizeof(float) * R);
    return XB_OK;
}
