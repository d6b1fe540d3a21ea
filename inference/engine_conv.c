/* engine_conv.c: Conv / Gemm / MatMul steps: im2col, the matmul hook, epilogue.
 *
 * Activations are [C][N][H][W], so channel c of the whole batch is one
 * contiguous row of N*H*W floats.  A 1x1 stride-1 unpadded convolution
 * therefore multiplies the input buffer directly; any other convolution
 * gathers im2col blocks of columns into the workspace first. */
#include <string.h>

#include <cblas.h>

#include "model_impl.h"

xb_status xb_matmul_sgemm(void *user, const xb_matmul_layer *L, const xb_matmul_call *c,
                          xb_error *err)
{
    (void)user;
    (void)err;
    if (c->cols <= 0)
        return XB_OK;
    const float *w = L->weight + (size_t)c->group * (size_t)L->rows * (size_t)L->depth;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L->rows, c->cols, L->depth, 1.0f, w,
                L->depth, c->x, (int)c->ldx, 0.0f, c->y, (int)c->ldy);
    return XB_OK;
}

/* Columns j0 .. j0+cols-1 of the im2col matrix of channels c0 .. c0+C-1,
 * written row-major with row stride cols.  Row index (c, ki, kj) matches
 * the ONNX weight layout [M][C][kh][kw]; column j = (n, oh, ow). */
static void im2col(const xb_step *s, const float *x, int batch, int c0, int C, long j0, int cols,
                   float *ws)
{
    const xb_matmul_layer *L = &s->mm;
    const int H = L->in_h, W = L->in_w, OH = L->out_h, OW = L->out_w;
    const long HW = (long)H * W, OHW = (long)OH * OW;
    const long plane_stride = (long)batch * HW; /* one channel of the whole batch */
    const int kh = s->kh, kw = s->kw, rows = C * kh * kw;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (rows >= 8 && (long)rows * cols >= 65536)
#endif
    for (int r = 0; r < rows; r++) {
        const int c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;
        const float *chan = x + (long)(c0 + c) * plane_stride;
        float *dst = ws + (long)r * cols;
        long j = j0;
        const long jend = j0 + cols;
        while (j < jend) {
            const long n = j / OHW, p = j % OHW;
            const int oh = (int)(p / OW), ow = (int)(p % OW);
            int seg = OW - ow;
            if (seg > jend - j)
                seg = (int)(jend - j);
            const int ih = oh * s->sh - s->pt + ki * s->dh;
            if (ih < 0 || ih >= H) {
                memset(dst, 0, sizeof(float) * (size_t)seg);
            } else {
                const float *src = chan + n * HW + (long)ih * W;
                const int iw0 = ow * s->sw - s->pl + kj * s->dw;
                /* t in [lo, hi) reads inside the row */
                int lo = 0, hi = seg;
                if (iw0 < 0)
                    lo = (-iw0 + s->sw - 1) / s->sw;
                if (lo > seg)
                    lo = seg;
                {
                    /* largest t with iw0 + t*sw <= W-1 */
                    long lim = W - 1 - (long)iw0;
                    int h2 = lim < 0 ? 0 : (int)(lim / s->sw) + 1;
                    if (h2 < hi)
                        hi = h2;
                }
                if (hi < lo)
                    hi = lo;
                for (int t = 0; t < lo; t++)
                    dst[t] = 0.0f;
                if (s->sw == 1) {
                    if (hi > lo)
                        memcpy(dst + lo, src + iw0 + lo, sizeof(float) * (size_t)(hi - lo));
                } else {
                    for (int t = lo; t < hi; t++)
                        dst[t] = src[iw0 + t * s->sw];
                }
                for (int t = hi; t < seg; t++)
                    dst[t] = 0.0f;
            }
            dst += seg;
            j += seg;
        }
    }
}

/* y = y*scale + bias (+ residual), then ReLU, on rows r0.. of a column block. */
static void epilogue(const xb_step *s, int r0, int rows, float *y, size_t ldy, const float *res,
                     int cols)
{
    const float *sc = s->post_scale, *b = s->bias;
    const int relu = s->relu;
    if (!sc && !b && !res && !relu)
        return;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if ((long)rows * cols >= 65536)
#endif
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * ldy;
        const float *rr = res ? res + (size_t)r * ldy : NULL;
        const float a = sc ? sc[r0 + r] : 1.0f, c = b ? b[r0 + r] : 0.0f;
        if (sc) {
            for (int j = 0; j < cols; j++)
                row[j] = row[j] * a + c;
        } else if (b) {
            for (int j = 0; j < cols; j++)
                row[j] += c;
        }
        if (rr)
            for (int j = 0; j < cols; j++)
                row[j] += rr[j];
        if (relu)
            for (int j = 0; j < cols; j++)
                row[j] = row[j] > 0.0f ? row[j] : 0.0f;
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
    long block = total;
    if (!direct) {
        block = m->ws_cols_max;
        if (block > total)
            block = total;
        if ((long)L->depth * block > (long)(m->ws_capacity))
            block = (long)(m->ws_capacity / (size_t)L->depth);
        if (block < 1)
            return xb_error_set(err, XB_EINTERNAL, "im2col workspace too small for layer '%s'",
                                s->name);
    }
    for (int g = 0; g < L->groups; g++) {
        float *yg = y + (size_t)g * L->rows * ldy;
        const float *rg = res ? res + (size_t)g * L->rows * ldy : NULL;
        c.group = g;
        for (long j0 = 0; j0 < total; j0 += block) {
            int cols = (int)(total - j0 < block ? total - j0 : block);
            if (direct) {
                c.x = x + (size_t)g * Cg * in_plane + j0;
                c.ldx = (size_t)in_plane;
            } else {
                im2col(s, x, batch, g * Cg, Cg, j0, cols, m->ws);
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
