/* engine_conv.c: Conv / Gemm / MatMul steps: im2col, the matmul hook, epilogue.
 *
 * Activations are [C][N][H][W], so channel c of the whole batch is one
 * contiguous row of N*H*W floats.  A 1x1 stride-1 unpadded convolution
 * therefore multiplies the input buffer directly; any other convolution
 * gathers im2col blocks of columns into the workspace first. */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "model_impl.h"

/* Output maps at most this wide take the per-pixel im2col (measured on
 * ResNet50 at 32x32: maps of 8 pixels and less). */
#define XB_IM2COL_SMALL_WIDTH 8

xb_status xb_matmul_sgemm(void *user, const xb_matmul_layer *L, const xb_matmul_call *c,
                          xb_error *err)
{
    (void)user;
    if (!L || !c || c->group < 0 || c->group >= L->groups)
        return xb_error_set(err, XB_EINVAL, "matmul: no layer, no call or group %d outside 0..%d",
                            c ? c->group : -1, L ? L->groups - 1 : -1);
    if (c->cols <= 0)
        return XB_OK;
    const float *w = L->weight + (size_t)c->group * (size_t)L->rows * (size_t)L->depth;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L->rows, c->cols, L->depth, 1.0f, w,
                L->depth, c->x, (int)c->ldx, 0.0f, c->y, (int)c->ldy);
    return XB_OK;
}

/* The im2col matrix of channels c0 .. c0+C-1 for output rows u0 .. u1-1,
 * where output row u = n * out_h + oh (image n, output line oh), written
 * row-major with row stride (u1-u0)*out_w.  Row index (c, ki, kj) matches
 * the ONNX weight layout [M][C][kh][kw]; column j = (n, oh, ow). */
static void im2col(const xb_step *s, const float *x, int batch, int c0, int C, long u0, long u1,
                   float *ws)
{
    const xb_matmul_layer *L = &s->mm;
    const int H = L->in_h, W = L->in_w, OH = L->out_h, OW = L->out_w;
    const long HW = (long)H * W;
    const long plane_stride = (long)batch * HW; /* one channel of the whole batch */
    const int kh = s->kh, kw = s->kw, sw = s->sw, rows = C * kh * kw;
    const long cols = (u1 - u0) * OW;
    for (int r = 0; r < rows; r++) {
        const int c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
        const float *chan = x + (long)(c0 + c) * plane_stride;
        float *dst = ws + (long)r * cols;
        /* output columns ow in [lo, hi) read inside the input row */
        const int iw0 = kj * s->dw - s->pl;
        int lo = iw0 < 0 ? (-iw0 + sw - 1) / sw : 0;
        int hi = iw0 > W - 1 ? 0 : (W - 1 - iw0) / sw + 1;
        if (lo > OW)
            lo = OW;
        if (hi > OW)
            hi = OW;
        if (hi < lo)
            hi = lo;
        long n = u0 / OH;
        int oh = (int)(u0 % OH);
        for (long u = u0; u < u1; u++, dst += OW) {
            const int ih = oh * s->sh - s->pt + ki * s->dh;
            if (ih < 0 || ih >= H) {
                for (int t = 0; t < OW; t++)
                    dst[t] = 0.0f;
            } else {
                const float *src = chan + n * HW + (long)ih * W + iw0;
                for (int t = 0; t < lo; t++)
                    dst[t] = 0.0f;
                if (sw == 1) {
                    for (int t = lo; t < hi; t++)
                        dst[t] = src[t];
                } else {
                    for (int t = lo; t < hi; t++)
                        dst[t] = src[(long)t * sw];
                }
                for (int t = hi; t < OW; t++)
                    dst[t] = 0.0f;
            }
            if (++oh == OH) {
                oh = 0;
                n++;
            }
        }
    }
}

/* The same matrix for whole images n0 .. n1-1, for small output maps: for
 * each kernel tap and output pixel, whether the tap falls in the padding is
 * decided once, and the batch is gathered with a stride.  Output lines of a
 * few pixels would otherwise cost more in loop overhead than in copying. */
static void im2col_small(const xb_step *s, const float *x, int batch, int c0, int C, long n0,
                         long n1, float *ws)
{
    const xb_matmul_layer *L = &s->mm;
    const int H = L->in_h, W = L->in_w, OH = L->out_h, OW = L->out_w;
    const long HW = (long)H * W, OHW = (long)OH * OW, nimg = n1 - n0;
    const long plane_stride = (long)batch * HW;
    const int kh = s->kh, kw = s->kw, rows = C * kh * kw;
    const long cols = nimg * OHW;
    for (int r = 0; r < rows; r++) {
        const int c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
        const float *chan = x + (long)(c0 + c) * plane_stride + n0 * HW;
        float *dst = ws + (long)r * cols;
        for (int oh = 0; oh < OH; oh++) {
            const int ih = oh * s->sh - s->pt + ki * s->dh;
            for (int ow = 0; ow < OW; ow++) {
                const int iw = ow * s->sw - s->pl + kj * s->dw;
                float *d = dst + (long)oh * OW + ow;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                    for (long n = 0; n < nimg; n++)
                        d[n * OHW] = 0.0f;
                } else {
                    const float *src = chan + (long)ih * W + iw;
                    for (long n = 0; n < nimg; n++)
                        d[n * OHW] = src[n * HW];
                }
            }
        }
    }
}

/* y = max(y*scale + bias (+ residual), floor) on rows r0.. of a column block,
 * floor = 0 with a fused ReLU, else -inf. */
static void epilogue(const xb_step *s, int r0, int rows, float *y, size_t ldy, const float *res,
                     int cols)
{
    const float *sc = s->post_scale, *b = s->bias;
    if (!sc && !b && !res && !s->relu)
        return;
    const float floor = s->relu ? 0.0f : -INFINITY;
    for (int r = 0; r < rows; r++) {
        float *restrict row = y + (size_t)r * ldy;
        const float a = sc ? sc[r0 + r] : 1.0f, c = b ? b[r0 + r] : 0.0f;
        if (res) {
            const float *restrict rr = res + (size_t)r * ldy;
            for (int j = 0; j < cols; j++) {
                float v = row[j] * a + c + rr[j];
                row[j] = v > floor ? v : floor;
            }
        } else {
            for (int j = 0; j < cols; j++) {
                float v = row[j] * a + c;
                row[j] = v > floor ? v : floor;
            }
        }
    }
}

static xb_status call_hook(xb_model *m, const xb_step *s, xb_matmul_call *c, xb_error *err)
{
    xb_status st = m->hook(m->hook_user, &s->mm, c, err);
    if (st != XB_OK) {
        if (err && err->code == XB_OK)
            xb_error_set(err, st, "matmul hook failed");
        xb_error_prefix(err, "layer %d '%s'", s->mm.index, s->name);
    }
    return st;
}

xb_status xb_engine_matmul(xb_model *m, xb_step *s, int batch, xb_error *err)
{
    const xb_matmul_layer *L = &s->mm;
    const xb_value *in = &m->vals[s->in[0]];
    const float *x = m->bufs[in->storage].data;
    float *y = m->bufs[m->vals[s->out].storage].data;
    const float *res = s->residual >= 0 ? m->bufs[m->vals[s->residual].storage].data : NULL;
    const long total = (long)batch * L->out_h * L->out_w;
    const size_t ldy = (size_t)total;
    xb_matmul_call c;
    memset(&c, 0, sizeof c);
    c.batch = batch;
    c.ldy = ldy;

    if (L->kind != XB_MATMUL_CONV) { /* input [K][N]: already the X matrix */
        c.x = x;
        c.ldx = (size_t)batch;
        c.cols = batch;
        c.y = y;
        xb_status st = call_hook(m, s, &c, err);
        if (st == XB_OK)
            epilogue(s, 0, L->rows, y, ldy, res, batch);
        return st;
    }
    const int Cg = L->in_channels / L->groups;
    const long in_plane = (long)batch * L->in_h * L->in_w;
    const int direct = s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && !s->pt && !s->pl &&
                       !s->pb && !s->pr;
    /* im2col blocks are whole output lines: as many as fit the workspace */
    const long units = (long)batch * L->out_h;
    long block_units = units;
    if (!direct) {
        block_units = (long)(m->ws_capacity / ((size_t)L->depth * (size_t)L->out_w));
        if (block_units > units)
            block_units = units;
        if (block_units >= L->out_h)
            block_units -= block_units % L->out_h; /* whole images */
        if (block_units < 1)
            return xb_error_set(err, XB_EINTERNAL, "im2col workspace too small for layer '%s'",
                                s->name);
    }
    const int small = L->out_w <= XB_IM2COL_SMALL_WIDTH && block_units % L->out_h == 0;
    for (int g = 0; g < L->groups; g++) {
        float *yg = y + (size_t)g * L->rows * ldy;
        const float *rg = res ? res + (size_t)g * L->rows * ldy : NULL;
        c.group = g;
        for (long u0 = 0; u0 < units; u0 += block_units) {
            long u1 = u0 + block_units < units ? u0 + block_units : units;
            long j0 = u0 * L->out_w;
            int cols = (int)((u1 - u0) * L->out_w);
            if (direct) {
                c.x = x + (size_t)g * Cg * in_plane + j0;
                c.ldx = (size_t)in_plane;
            } else {
                if (small)
                    im2col_small(s, x, batch, g * Cg, Cg, u0 / L->out_h, u1 / L->out_h, m->ws);
                else
                    im2col(s, x, batch, g * Cg, Cg, u0, u1, m->ws);
                c.x = m->ws;
                c.ldx = (size_t)cols;
            }
            c.col0 = j0;
            c.cols = cols;
            c.y = yg + j0;
            xb_status st = call_hook(m, s, &c, err);
            if (st != XB_OK)
                return st;
            epilogue(s, g * L->rows, L->rows, yg + j0, ldy, rg ? rg + j0 : NULL, cols);
        }
    }
    return XB_OK;
}
