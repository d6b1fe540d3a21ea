/* engine_attn.c: Softmax, LayerNormalization, MatMul between two
 * activations and the broadcast of a constant over the batch: the steps of
 * attention blocks, on channel-major buffers.
 *
 * Element j of an image (its logical order) of a value stored [lead][N][rest]
 * is at ((j / rest) N + n) rest + j % rest.  Sums run in double, in order, so
 * the result does not depend on the batch. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "model_impl.h"

static size_t at(int64_t j, int64_t rest, int64_t n, int64_t N)
{
    return (size_t)(((j / rest) * N + n) * rest + j % rest);
}

void xb_engine_softmax(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const float *x = xb_value_data(m, s->in[0]);
    const int64_t R = m->vals[s->in[0]].rest, N = batch;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < s->g_outer; o++)
            for (int64_t in = 0; in < s->g_inner; in++) {
                const int64_t j0 = o * s->g_len * s->g_inner + in;
                float mx = -INFINITY;
                for (int64_t i = 0; i < s->g_len; i++)
                    mx = fmaxf(mx, x[at(j0 + i * s->g_inner, R, n, N)]);
                double sum = 0;
                for (int64_t i = 0; i < s->g_len; i++) {
                    size_t q = at(j0 + i * s->g_inner, R, n, N);
                    float e = expf(x[q] - mx);
                    y[q] = e;
                    sum += e;
                }
                const float inv = (float)(1.0 / sum);
                for (int64_t i = 0; i < s->g_len; i++)
                    y[at(j0 + i * s->g_inner, R, n, N)] *= inv;
            }
}

void xb_engine_layernorm(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const float *x = xb_value_data(m, s->in[0]);
    const int64_t R = m->vals[s->in[0]].rest, N = batch, L = s->g_len;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < s->g_outer; o++) {
            const int64_t j0 = o * L;
            double sum = 0, sq = 0;
            for (int64_t i = 0; i < L; i++)
                sum += x[at(j0 + i, R, n, N)];
            const double mean = sum / (double)L;
            for (int64_t i = 0; i < L; i++) {
                double d = x[at(j0 + i, R, n, N)] - mean;
                sq += d * d;
            }
            const double inv = 1.0 / sqrt(sq / (double)L + s->p0);
            for (int64_t i = 0; i < L; i++) {
                size_t q = at(j0 + i, R, n, N);
                float v = (float)((x[q] - mean) * inv);
                y[q] = v * (s->a ? s->a[i] : 1.0f) + (s->b ? s->b[i] : 0.0f);
            }
        }
}

void xb_engine_matmul_act(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const float *a = xb_value_data(m, s->in[0]), *b = xb_value_data(m, s->in[1]);
    const int64_t Ra = m->vals[s->in[0]].rest, Rb = m->vals[s->in[1]].rest, Ry = m->vals[s->out].rest;
    const int64_t N = batch, M = s->mm_m, K = s->mm_k, P = s->mm_p;
    for (int64_t n = 0; n < N; n++)
        for (int64_t g = 0; g < s->g_outer; g++)
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < P; j++) {
                    double acc = 0;
                    for (int64_t k = 0; k < K; k++)
                        acc += (double)a[at((g * M + i) * K + k, Ra, n, N)] * b[at((g * K + k) * P + j, Rb, n, N)];
                    y[at((g * M + i) * P + j, Ry, n, N)] = (float)acc;
                }
}

void xb_engine_broadcast(const xb_model *m, const xb_step *s, float *y, int batch)
{
    const xb_value *out = &m->vals[s->out];
    const int64_t L = out->lead, R = out->rest, N = batch;
    for (int64_t l = 0; l < L; l++)
        for (int64_t n = 0; n < N; n++)
            for (int64_t r = 0; r < R; r++)
                y[(l * N + n) * R + r] = s->b[l * R + r];
}
