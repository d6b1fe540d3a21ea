/* engine_ops.c: the non-matmul steps on channel-major ([C][N][...]) buffers.
 *
 * Single-threaded on purpose: OpenBLAS threads do the heavy work, and a
 * second thread pool spinning next to them costs more than these memory-bound
 * passes gain (measured on 2 cores). */
#include <math.h>
#include <string.h>

#include "model_impl.h"

void xb_engine_relu(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

void xb_engine_add(const float *a, const float *b, float *y, size_t n, int relu)
{
    for (size_t i = 0; i < n; i++) {
        float v = a[i] + b[i];
        y[i] = relu && v < 0.0f ? 0.0f : v;
    }
}

void xb_engine_add_const(const float *x, const float *c, float *y, int64_t lead, int batch,
                         int64_t rest, int relu)
{
    for (int64_t l = 0; l < lead; l++)
        for (int n = 0; n < batch; n++) {
            const float *cr = c + l * rest;
            size_t off = ((size_t)l * (size_t)batch + (size_t)n) * (size_t)rest;
            for (int64_t r = 0; r < rest; r++) {
                float v = x[off + (size_t)r] + cr[r];
                y[off + (size_t)r] = relu && v < 0.0f ? 0.0f : v;
            }
        }
}

void xb_engine_affine(const float *x, const float *a, const float *b, float *y, int64_t lead,
                      int64_t per_lead, int relu)
{
    for (int64_t l = 0; l < lead; l++) {
        const float al = a[l], bl = b[l];
        const float *xr = x + l * per_lead;
        float *yr = y + l * per_lead;
        for (int64_t i = 0; i < per_lead; i++) {
            float v = xr[i] * al + bl;
            yr[i] = relu && v < 0.0f ? 0.0f : v;
        }
    }
}

/* Max or average pooling of every [H][W] plane (C*N planes). */
void xb_engine_pool(const xb_step *s, const xb_value *in, const xb_value *out, const float *x,
                    float *y, int batch)
{
    const int H = (int)in->dims[2], W = (int)in->dims[3];
    const int OH = (int)out->dims[2], OW = (int)out->dims[3];
    const long planes = (long)in->dims[1] * batch;
    const int maxp = s->kind == XB_STEP_MAXPOOL;
    for (long pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * (long)H * W;
        float *yp = y + pl * (long)OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            const int h0 = oh * s->sh - s->pt;
            for (int ow = 0; ow < OW; ow++) {
                const int w0 = ow * s->sw - s->pl;
                if (maxp) {
                    float v = -INFINITY;
                    for (int ki = 0; ki < s->kh; ki++) {
                        int ih = h0 + ki * s->dh;
                        if (ih < 0 || ih >= H)
                            continue;
                        for (int kj = 0; kj < s->kw; kj++) {
                            int iw = w0 + kj * s->dw;
                            if (iw >= 0 && iw < W && xp[ih * W + iw] > v)
                                v = xp[ih * W + iw];
                        }
                    }
                    yp[oh * OW + ow] = v;
                } else {
                    /* PyTorch / ONNX divisor: with count_include_pad the window is
                     * clipped to the padded extent, else to the input. */
                    int hs = h0, he = h0 + s->kh, ws = w0, we = w0 + s->kw;
                    if (he > H + s->pb)
                        he = H + s->pb;
                    if (we > W + s->pr)
                        we = W + s->pr;
                    int pool = (he - hs) * (we - ws);
                    if (hs < 0)
                        hs = 0;
                    if (ws < 0)
                        ws = 0;
                    if (he > H)
                        he = H;
                    if (we > W)
                        we = W;
                    float sum = 0.0f;
                    for (int ih = hs; ih < he; ih++)
                        for (int iw = ws; iw < we; iw++)
                            sum += xp[ih * W + iw];
                    int div = s->count_include_pad ? pool : (he - hs) * (we - ws);
                    yp[oh * OW + ow] = div > 0 ? sum / (float)div : 0.0f;
                }
            }
        }
    }
}

void xb_engine_gap(const float *x, float *y, int64_t planes, int64_t hw)
{
    for (int64_t p = 0; p < planes; p++) {
        double sum = 0.0;
        const float *xp = x + p * hw;
        for (int64_t i = 0; i < hw; i++)
            sum += xp[i];
        y[p] = (float)(sum / (double)hw);
    }
}

/* Per image, element p of the logical shape moves from [p/ri][n][p%ri] to
 * [p/ro][n][p%ro]. */
void xb_engine_relayout(const float *x, float *y, int batch, int64_t per_image, int64_t rest_in,
                        int64_t rest_out)
{
    const size_t N = (size_t)batch;
    for (size_t n = 0; n < N; n++)
        for (int64_t p = 0; p < per_image; p++) {
            size_t src = (size_t)(p / rest_in) * N * (size_t)rest_in + n * (size_t)rest_in +
                         (size_t)(p % rest_in);
            size_t dst = (size_t)(p / rest_out) * N * (size_t)rest_out + n * (size_t)rest_out +
                         (size_t)(p % rest_out);
            y[dst] = x[src];
        }
}

/* QuantizeLinear (round half to even, saturate) or DequantizeLinear, with one
 * scale or one per lead row. */
void xb_engine_quant(const xb_step *s, const float *x, float *y, int64_t lead, int64_t per_lead,
                     int dequant)
{
    for (int64_t l = 0; l < lead; l++) {
        const float sc = s->qscale[s->nq > 1 ? l : 0], zp = s->qzero[s->nq > 1 ? l : 0];
        const float *xr = x + l * per_lead;
        float *yr = y + l * per_lead;
        if (dequant) {
            for (int64_t i = 0; i < per_lead; i++)
                yr[i] = (xr[i] - zp) * sc;
        } else {
            for (int64_t i = 0; i < per_lead; i++) {
                float v = nearbyintf(xr[i] / sc) + zp;
                yr[i] = v < s->qmin ? s->qmin : v > s->qmax ? s->qmax : v;
            }
        }
    }
}
