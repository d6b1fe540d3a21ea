/* engine_elem.c: the steps that move data by an index map (MOVE), apply a
 * function to every element (UNARY), combine two tensors with broadcasting
 * (BINARY) or average over dimensions (REDUCE), on channel-major buffers.
 *
 * An activation [N, d1, d2, ...] is stored [d1][N][d2 ...] ("lead" rows of N
 * blocks of "rest" floats), so element (l, r) of image n is at
 * (l N + n) rest + r.  The index maps are per image, made when the graph was
 * loaded; every loop writes the output in storage order.  Like
 * engine_ops.c, single-threaded and memory-bound. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model_impl.h"

void xb_engine_move(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const xb_value *out = &m->vals[s->out];
    const int nin = s->nins > 0 ? s->nins : 1;
    const float *x[256];
    int64_t rest[256];
    for (int k = 0; k < nin && k < 256; k++) {
        int v = s->nins > 0 ? s->ins[k] : s->in[0];
        x[k] = xb_value_data(m, v);
        rest[k] = m->vals[v].rest;
    }
    const int64_t L = out->lead, R = out->rest, N = batch;
    for (int64_t l = 0; l < L; l++)
        for (int64_t n = 0; n < N; n++) {
            float *yo = y + (l * N + n) * R;
            const int64_t j0 = l * R;
            for (int64_t r = 0; r < R; r++) {
                const int64_t j = j0 + r;
                const int32_t sl = s->src_lead[j];
                if (sl < 0) {
                    yo[r] = s->fill;
                    continue;
                }
                const int k = s->src_in ? s->src_in[j] : 0;
                yo[r] = x[k][((int64_t)sl * N + n) * rest[k] + s->src_rest[j]];
            }
        }
}

static float gelu(float x, float tanh_approx)
{
    if (tanh_approx != 0.0f) /* ONNX Gelu approximate="tanh" */
        return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
}

void xb_engine_unary(const xb_step *s, const float *x, float *y, size_t n)
{
    const float p0 = s->p0, p1 = s->p1;
    switch ((xb_unary_op)s->fn) {
    case XB_UN_CLIP:
        for (size_t i = 0; i < n; i++)
            y[i] = fminf(fmaxf(x[i], p0), p1);
        break;
    case XB_UN_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case XB_UN_HARDSIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = fmaxf(0.0f, fminf(1.0f, p0 * x[i] + p1));
        break;
    case XB_UN_HARDSWISH:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] * fmaxf(0.0f, fminf(1.0f, x[i] / 6.0f + 0.5f));
        break;
    case XB_UN_ERF:
        for (size_t i = 0; i < n; i++)
            y[i] = erff(x[i]);
        break;
    case XB_UN_SQRT:
        for (size_t i = 0; i < n; i++)
            y[i] = sqrtf(x[i]);
        break;
    case XB_UN_POW:
        for (size_t i = 0; i < n; i++)
            y[i] = p0 == 2.0f ? x[i] * x[i] : powf(x[i], p0);
        break;
    case XB_UN_GELU:
        for (size_t i = 0; i < n; i++)
            y[i] = gelu(x[i], p0);
        break;
    case XB_UN_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(x[i]);
        break;
    }
}

static float apply(int op, float a, float b)
{
    switch ((xb_binary_op)op) {
    case XB_BIN_ADD:
        return a + b;
    case XB_BIN_SUB:
        return a - b;
    case XB_BIN_MUL:
        return a * b;
    case XB_BIN_DIV:
        return a / b;
    }
    return a;
}

void xb_engine_binary(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const xb_value *out = &m->vals[s->out], *va = &m->vals[s->in[0]];
    const float *a = xb_value_data(m, s->in[0]);
    const float *b = s->in[1] >= 0 ? xb_value_data(m, s->in[1]) : NULL;
    const int64_t L = out->lead, R = out->rest, N = batch;
    const int64_t ra = va->rest, rb = s->in[1] >= 0 ? m->vals[s->in[1]].rest : 0;
    for (int64_t l = 0; l < L; l++)
        for (int64_t n = 0; n < N; n++) {
            const int64_t o0 = (l * N + n) * R, j0 = l * R;
            for (int64_t r = 0; r < R; r++) {
                const int64_t j = j0 + r;
                float av = s->src_lead ? a[((int64_t)s->src_lead[j] * N + n) * ra + s->src_rest[j]] : a[o0 + r];
                float bv = !b ? s->b[j]
                           : s->map2_lead ? b[((int64_t)s->map2_lead[j] * N + n) * rb + s->map2_rest[j]]
                                          : b[o0 + r];
                y[o0 + r] = s->const_first ? apply(s->fn, bv, av) : apply(s->fn, av, bv);
            }
        }
}

void xb_engine_reduce(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const xb_value *in = &m->vals[s->in[0]], *out = &m->vals[s->out];
    const float *x = xb_value_data(m, s->in[0]);
    const int64_t N = batch, Ro = out->rest;
    memset(y, 0, sizeof(float) * (size_t)(out->lead * N * Ro));
    for (int64_t l = 0; l < in->lead; l++)
        for (int64_t n = 0; n < N; n++) {
            const float *xi = x + (l * N + n) * in->rest;
            const int64_t j0 = l * in->rest;
            for (int64_t r = 0; r < in->rest; r++)
                y[((int64_t)s->src_lead[j0 + r] * N + n) * Ro + s->src_rest[j0 + r]] += xi[r];
        }
    const size_t total = (size_t)(out->lead * N * Ro);
    for (size_t i = 0; i < total; i++)
        y[i] *= s->p0;
}
