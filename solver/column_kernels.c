/* column_kernels.c: the column recurrence (column_internal.h) over many vectors
 * in portable vector code, and the choice of kernel: the AVX2 kernels
 * (column_avx2.c) where the CPU has them. */
#include <stdlib.h>
#include <string.h>

#include "column_internal.h"
#include "xb_threads.h"


/* One block of up to VEC_BLOCK vectors over columns [j0, j1).  The state of
 * every (vector, column) chain is a pair (y, w); rows are walked once, each row
 * of conductances is read once for the whole block, and the updates run along
 * the columns (SIMD).  A vector's bit is a scalar: a disabled row costs only
 * the wire step. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static void column_block(const column_model *m, const double *x, size_t k0, int kn, int j0, int j1, double *out)
{
    const int M = m->rows, N = m->cols, W = j1 - j0;
    double y[VEC_BLOCK][COL_CHUNK], w[VEC_BLOCK][COL_CHUNK];
    for (int kk = 0; kk < kn; kk++)
        for (int j = 0; j < W; j++) {
            y[kk][j] = 0.0;
            w[kk][j] = 1.0;
        }
    if (m->r_uniform) {
        /* Between two enabled rows y does not change, so n wire steps add up to
         * w += n r y: the work is per enabled cell, not per row. */
        const double ru = m->r_value;
        int last[VEC_BLOCK];
        for (int kk = 0; kk < kn; kk++)
            last[kk] = 0;
        for (int i = 0; i < M; i++) {
            const double *restrict g = m->g + (size_t)i * N + j0;
            for (int kk = 0; kk < kn; kk++) {
                if (x[(k0 + (size_t)kk) * M + i] == 0.0)
                    continue;
                double *restrict yy = y[kk], *restrict ww = w[kk];
                const double step = (double)(i - last[kk]) * ru;
                if (step != 0.0)
                    for (int j = 0; j < W; j++) { /* one pass: y and w stay in registers */
                        double wj = ww[j] + step * yy[j];
                        ww[j] = wj;
                        yy[j] += g[j] * wj;
                    }
                else
                    for (int j = 0; j < W; j++)
                        yy[j] += g[j] * ww[j];
                last[kk] = i;
            }
            if ((i + 1) % m->renorm == 0)
                for (int kk = 0; kk < kn; kk++)
                    for (int j = 0; j < W; j++) {
                        double s = 1.0 / w[kk][j];
                        y[kk][j] *= s;
                        w[kk][j] = 1.0;
                    }
        }
        for (int kk = 0; kk < kn; kk++) { /* the segments below the last enabled row */
            const double step = (double)(M - 1 - last[kk]) * ru;
            if (step != 0.0)
                for (int j = 0; j < W; j++)
                    w[kk][j] += step * y[kk][j];
        }
    } else {
        for (int i = 0; i < M; i++) {
            const double *restrict g = m->g + (size_t)i * N + j0;
            const double *restrict r = i > 0 ? m->r + (size_t)(i - 1) * N + j0 : NULL;
            for (int kk = 0; kk < kn; kk++) {
                double *restrict yy = y[kk], *restrict ww = w[kk];
                const int on = x[(k0 + (size_t)kk) * M + i] != 0.0;
                if (r && on)
                    for (int j = 0; j < W; j++) {
                        double wj = ww[j] + r[j] * yy[j];
                        ww[j] = wj;
                        yy[j] += g[j] * wj;
                    }
                else if (r)
                    for (int j = 0; j < W; j++)
                        ww[j] += r[j] * yy[j];
                else if (on)
                    for (int j = 0; j < W; j++)
                        yy[j] += g[j] * ww[j];
            }
            if ((i + 1) % m->renorm == 0)
                for (int kk = 0; kk < kn; kk++)
                    for (int j = 0; j < W; j++) {
                        double s = 1.0 / w[kk][j];
                        y[kk][j] *= s;
                        w[kk][j] = 1.0;
                    }
        }
    }
    for (int kk = 0; kk < kn; kk++)
        for (int j = 0; j < W; j++) {
            const double re = m->r_end[j0 + j];
            out[(k0 + (size_t)kk) * N + j0 + j] = m->v_read * y[kk][j] / (w[kk][j] + re * y[kk][j]);
        }
}

/* Uniform wires, REG_COLS columns of one vector: y and w live in registers for
 * the whole walk down the column, so an enabled row costs one load of its
 * conductances and two FMAs per cell, and a disabled row nothing.  The
 * renormalization counts enabled rows: w only grows at them. */
#define REG_COLS 16
typedef double v4d __attribute__((vector_size(32)));

/* An unaligned load of 4 doubles.  A type, not a function: clang refuses a
 * function returning a 32-byte vector inside a target_clones default clone
 * (no AVX there: "changes the ABI"), even always_inline.  gcc emits the same
 * vmovupd / memory operand either way. */
typedef double v4d_u __attribute__((vector_size(32), aligned(8), may_alias));
#define load4(p) (*(const v4d_u *)(p))

__attribute__((target_clones("arch=x86-64-v3", "default")))
static void column_regs(const column_model *m, const double *xk, int j0, double *outk)
{
    const int M = m->rows, N = m->cols;
    const double ru = m->r_value;
    const v4d zero = {0, 0, 0, 0}, one = {1, 1, 1, 1};
    v4d y0 = zero, y1 = zero, y2 = zero, y3 = zero;
    v4d w0 = one, w1 = one, w2 = one, w3 = one;
    int last = 0, since = 0;
    for (int i = 0; i < M; i++) {
        if (xk[i] == 0.0)
            continue;
        const double *g = m->g + (size_t)i * N + j0;
        const double st = (double)(i - last) * ru;
        const v4d step = {st, st, st, st};
        w0 += step * y0;
        w1 += step * y1;
        w2 += step * y2;
        w3 += step * y3;
        y0 += load4(g) * w0;
        y1 += load4(g + 4) * w1;
        y2 += load4(g + 8) * w2;
        y3 += load4(g + 12) * w3;
        last = i;
        if (++since == m->renorm_enabled) {
            y0 /= w0;
            y1 /= w1;
            y2 /= w2;
            y3 /= w3;
            w0 = w1 = w2 = w3 = one;
            since = 0;
        }
    }
    const double st = (double)(M - 1 - last) * ru;
    const v4d step = {st, st, st, st};
    w0 += step * y0;
    w1 += step * y1;
    w2 += step * y2;
    w3 += step * y3;
    double y[REG_COLS], w[REG_COLS];
    __builtin_memcpy(y, &y0, 32);
    __builtin_memcpy(y + 4, &y1, 32);
    __builtin_memcpy(y + 8, &y2, 32);
    __builtin_memcpy(y + 12, &y3, 32);
    __builtin_memcpy(w, &w0, 32);
    __builtin_memcpy(w + 4, &w1, 32);
    __builtin_memcpy(w + 8, &w2, 32);
    __builtin_memcpy(w + 12, &w3, 32);
    for (int j = 0; j < REG_COLS; j++)
        outk[j0 + j] = m->v_read * y[j] / (w[j] + m->r_end[j0 + j] * y[j]);
}

xb_status xb_column_solve(const void *p, const double *x, size_t K, double *out, xb_error *err)
{
    const column_model *m = p;
    const int N = m->cols;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
        return xb_column_solve_avx2(m, x, K, out, err);
#endif
    (void)err;
    const long nvb = (long)((K + VEC_BLOCK - 1) / VEC_BLOCK);
    const int ncb = (N + COL_CHUNK - 1) / COL_CHUNK;
    /* threads only for enough work: a parallel region costs a barrier, and a
     * spinning thread on a busy machine costs more than it saves */
    const int par = nvb * ncb > 1 && (double)m->rows * N * (double)K >= XB_COLUMN_PAR_WORK && !xb_threads_in_task();
    if (m->r_uniform) {
        const int nreg = N / REG_COLS, tail = N - nreg * REG_COLS;
#pragma omp parallel for schedule(static) if (par)
        for (long k = 0; k < (long)K; k++) {
            const double *xk = x + (size_t)k * m->rows;
            for (int c = 0; c < nreg; c++)
                column_regs(m, xk, c * REG_COLS, out + (size_t)k * N);
        }
        if (tail) /* the last columns, by the general kernel */
            for (long vb = 0; vb < nvb; vb++) {
                size_t k0 = (size_t)vb * VEC_BLOCK;
                int kn = (int)((K - k0) < VEC_BLOCK ? (K - k0) : VEC_BLOCK);
                column_block(m, x, k0, kn, nreg * REG_COLS, N, out);
            }
        return XB_OK;
    }
#pragma omp parallel for collapse(2) schedule(static) if (par)
    for (long vb = 0; vb < nvb; vb++)
        for (int cb = 0; cb < ncb; cb++) {
            size_t k0 = (size_t)vb * VEC_BLOCK;
            int kn = (int)((K - k0) < VEC_BLOCK ? (K - k0) : VEC_BLOCK);
            int j0 = cb * COL_CHUNK, j1 = j0 + COL_CHUNK < N ? j0 + COL_CHUNK : N;
            column_block(m, x, k0, kn, j0, j1, out);
        }
    return XB_OK;
}

xb_status xb_column_solve_group(const column_model *const *m, int n, const double *x, size_t K, double *const *out,
                                xb_solver_work *w, xb_error *err)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
        return xb_column_solve_avx2_group(m, n, x, K, out, w, err);
#endif
    (void)w;
    const size_t nx = K * (size_t)m[0]->rows;
    int bad = 0;
    for (size_t q = 0; q < nx; q++)
        bad |= (x[q] != 0.0) & (x[q] != 1.0);
    if (bad)
        return xb_error_set(err, XB_EINVAL, "column path: an input is neither 0 nor 1");
    for (int q = 0; q < n; q++) {
        xb_status st = xb_column_solve(m[q], x, K, out[q], err);
        if (st)
            return st;
    }
    return XB_OK;
}
