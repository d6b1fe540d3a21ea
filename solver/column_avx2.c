/* column_avx2.c: the AVX2 kernels of the column recurrence (column_internal.h):
 * dense register blocks of RB_COLS columns x RB_VECS vectors, and the sparse walk
 * of one vector over its enabled rows, SP_COLS columns at a time. */
#include <stdlib.h>
#include <string.h>

#include "column_internal.h"
#include "xb_threads.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* One register block: columns RB_COLS*jb.. over the RB_VECS vectors kidx[0..kn)
 * (of out) whose bits are xp (M x RB_VECS masks: all ones for a 1 bit, zero for 0).  The projective
 * recurrence of column_internal.h, with g x as g AND mask and both steps as FMAs;
 * rows in chunks of `renorm` with no branch inside, so y and w stay in registers. */
__attribute__((target("avx2,fma")))
static void column_block_avx2(const column_model *m, const uint64_t *xp, int jb, const size_t *kidx, int kn,
                              double *out)
{
    const int M = m->rows, N = m->cols;
    const __m256d one = _mm256_set1_pd(1.0);
#define CB_DECL(c) __m256d y0_##c = _mm256_setzero_pd(), y1_##c = y0_##c, w0_##c = one, w1_##c = one;
#define CB_STEP(c)                                                                            \
    {                                                                                         \
        const __m256d g = _mm256_broadcast_sd(gp + c), r = _mm256_broadcast_sd(rp + c);       \
        w0_##c = _mm256_fmadd_pd(r, y0_##c, w0_##c);                                          \
        w1_##c = _mm256_fmadd_pd(r, y1_##c, w1_##c);                                          \
        y0_##c = _mm256_fmadd_pd(_mm256_and_pd(g, m0), w0_##c, y0_##c);                       \
        y1_##c = _mm256_fmadd_pd(_mm256_and_pd(g, m1), w1_##c, y1_##c);                       \
    }
#define CB_NORM(c)                                                                            \
    {                                                                                         \
        y0_##c = _mm256_div_pd(y0_##c, w0_##c);                                               \
        y1_##c = _mm256_div_pd(y1_##c, w1_##c);                                               \
        w0_##c = w1_##c = one;                                                                \
    }
    CB_DECL(0) CB_DECL(1) CB_DECL(2)
    const double *gp = m->gp + (size_t)jb * M * RB_COLS, *rp = m->rp + (size_t)jb * M * RB_COLS;
    const double *xr = (const double *)xp;
    for (int i0 = 0; i0 < M; i0 += m->renorm) {
        const int i1 = i0 + m->renorm < M ? i0 + m->renorm : M;
        for (int i = i0; i < i1; i++) {
            const __m256d m0 = _mm256_loadu_pd(xr), m1 = _mm256_loadu_pd(xr + 4);
            CB_STEP(0) CB_STEP(1) CB_STEP(2)
            gp += RB_COLS;
            rp += RB_COLS;
            xr += RB_VECS;
        }
        CB_NORM(0) CB_NORM(1) CB_NORM(2)
    }
#undef CB_DECL
#undef CB_STEP
#undef CB_NORM
    double yv[RB_COLS][RB_VECS]; /* w = 1 after the last rescaling */
    _mm256_storeu_pd(yv[0], y0_0), _mm256_storeu_pd(yv[0] + 4, y1_0);
    _mm256_storeu_pd(yv[1], y0_1), _mm256_storeu_pd(yv[1] + 4, y1_1);
    _mm256_storeu_pd(yv[2], y0_2), _mm256_storeu_pd(yv[2] + 4, y1_2);
    const int j0 = jb * RB_COLS;
    for (int c = 0; c < RB_COLS && j0 + c < N; c++) {
        const double re = m->r_end[j0 + c];
        for (int l = 0; l < kn; l++)
            out[kidx[l] * N + j0 + c] = m->v_read * yv[c][l] / (1.0 + re * yv[c][l]);
    }
}

/* One strip: columns SP_COLS*sb.. of one vector whose enabled rows are rows[0..cnt)
 * (ascending), into outk (the vector's N outputs).  Between two enabled rows the
 * bit line is series wire only, so the wire steps of column_internal.h add up to
 * one: w <- w + (P_i - P_last) y, with P the wire from row 0 down to row i
 * (uniform wires: i r; else the compensated sums ph + pl, so the difference of
 * two of them is good to a few ulps of itself).  The work is per enabled cell;
 * the rescaling counts enabled rows (renorm_enabled bounds n skipped segments). */
__attribute__((target("avx2,fma")))
static void column_sparse_avx2(const column_model *m, int sb, const int *rows, int cnt, double *outk)
{
    const int M = m->rows, N = m->cols;
    enum { SC = SP_COLS / 4 };
    const double *gs = m->gs + (size_t)sb * M * SP_COLS;
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d y[SC], w[SC];
#pragma GCC unroll 8
    for (int c = 0; c < SC; c++)
        y[c] = _mm256_setzero_pd(), w[c] = one;
    int last = 0, since = 0;
    if (!m->ph) {
        const double ru = m->r_value;
        for (int t = 0; t < cnt; t++) {
            const int i = rows[t];
            const __m256d step = _mm256_set1_pd((double)(i - last) * ru);
            const double *g = gs + (size_t)i * SP_COLS;
#pragma GCC unroll 8
            for (int c = 0; c < SC; c++) {
                w[c] = _mm256_fmadd_pd(step, y[c], w[c]);
                y[c] = _mm256_fmadd_pd(_mm256_load_pd(g + 4 * c), w[c], y[c]);
            }
            last = i;
            if (++since == m->renorm_enabled) {
#pragma GCC unroll 8
                for (int c = 0; c < SC; c++)
                    y[c] = _mm256_div_pd(y[c], w[c]), w[c] = one;
                since = 0;
            }
        }
        const __m256d step = _mm256_set1_pd((double)(M - 1 - last) * ru);
#pragma GCC unroll 8
        for (int c = 0; c < SC; c++)
            w[c] = _mm256_fmadd_pd(step, y[c], w[c]);
    } else {
        const double *ph = m->ph + (size_t)sb * M * SP_COLS, *pl = m->pl + (size_t)sb * M * SP_COLS;
        for (int t = 0; t <= cnt; t++) {
            const int i = t < cnt ? rows[t] : M - 1; /* the last pass: the wire below */
            const double *hi = ph + (size_t)i * SP_COLS, *lo = pl + (size_t)i * SP_COLS;
            const double *hl = ph + (size_t)last * SP_COLS, *ll = pl + (size_t)last * SP_COLS;
            const double *g = gs + (size_t)i * SP_COLS;
#pragma GCC unroll 8
            for (int c = 0; c < SC; c++) {
                const __m256d step =
                    _mm256_add_pd(_mm256_sub_pd(_mm256_load_pd(hi + 4 * c), _mm256_load_pd(hl + 4 * c)),
                                  _mm256_sub_pd(_mm256_load_pd(lo + 4 * c), _mm256_load_pd(ll + 4 * c)));
                w[c] = _mm256_fmadd_pd(step, y[c], w[c]);
                if (t < cnt)
                    y[c] = _mm256_fmadd_pd(_mm256_load_pd(g + 4 * c), w[c], y[c]);
            }
            last = i;
            if (++since == m->renorm_enabled) {
#pragma GCC unroll 8
                for (int c = 0; c < SC; c++)
                    y[c] = _mm256_div_pd(y[c], w[c]), w[c] = one;
                since = 0;
            }
        }
    }
    /* I = V_read y / (w + R_end y), 4 columns a division */
    const int j0 = sb * SP_COLS;
    const __m256d vr = _mm256_set1_pd(m->v_read);
    const double *re = m->rs + (size_t)sb * SP_COLS;
    double iv[SP_COLS];
#pragma GCC unroll 8
    for (int c = 0; c < SC; c++)
        _mm256_storeu_pd(iv + 4 * c, _mm256_div_pd(_mm256_mul_pd(vr, y[c]),
                                                    _mm256_fmadd_pd(_mm256_load_pd(re + 4 * c), y[c], w[c])));
    const int nc = N - j0 < SP_COLS ? N - j0 : SP_COLS;
    memcpy(outk + j0, iv, (size_t)nc * sizeof *iv);
}

/* Vectors with at least this fraction of their rows enabled go to the dense
 * register-block kernel, the others to the sparse one (measured: the sparse one
 * costs 0.65x the dense at half the rows, about the same at all rows); none
 * enabled: zero. */
#define XB_COLUMN_DENSE_FRACTION 0.9

/* The bits of one vector as words of 64 rows (row i: bit i % 64 of word i / 64);
 * returns the number of enabled rows.  *bad gets a bit for any entry that is
 * neither 0 nor 1 (NaN included): the inputs' check, in the same pass. */
__attribute__((target("avx2,popcnt")))
static int column_bits_avx2(const double *xk, int M, uint64_t *bits, int *bad)
{
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    int n = 0, wrong = 0;
    for (int w0 = 0; w0 < M; w0 += 64) {
        const int e = w0 + 64 < M ? w0 + 64 : M;
        uint64_t b = 0;
        int i = w0;
        for (; i + 4 <= e; i += 4) {
            const __m256d x = _mm256_loadu_pd(xk + i), nz = _mm256_cmp_pd(x, zero, _CMP_NEQ_UQ);
            b |= (uint64_t)_mm256_movemask_pd(nz) << (i - w0);
            wrong |= _mm256_movemask_pd(_mm256_and_pd(nz, _mm256_cmp_pd(x, one, _CMP_NEQ_UQ)));
        }
        for (; i < e; i++) {
            b |= (uint64_t)(xk[i] != 0.0) << (i - w0);
            wrong |= (xk[i] != 0.0) & (xk[i] != 1.0);
        }
        bits[w0 / 64] = b;
        n += __builtin_popcountll(b);
    }
    *bad |= wrong;
    return n;
}

/* The inputs' enabled rows, for every model with M rows: per vector its count,
 * the dense ones (kd, as masks in xp) and the sparse ones (ks, as row lists at
 * rows + off[s]).  -1: out of memory; -2: an entry is neither 0 nor 1. */
static int column_scan_avx2(const double *x, size_t K, int M, xb_solver_work *w, column_scan *sc)
{
    const int dense_min = (int)(XB_COLUMN_DENSE_FRACTION * M) + 1; /* enabled rows of a dense vector */
    const int nw = (M + 63) / 64;
    if (xb_column_work_grow(&w->cnt, &w->cap_k, K, sizeof *w->cnt) || xb_column_work_grow(&w->off, &w->cap_off, K + 1, sizeof *w->off) ||
        xb_column_work_grow(&w->kd, &w->cap_kd, K, sizeof *w->kd) || xb_column_work_grow(&w->ks, &w->cap_ks, K, sizeof *w->ks) ||
        xb_column_work_grow(&w->bits, &w->cap_bits, K * (size_t)nw, sizeof *w->bits))
        return -1;
    int bad = 0;
    for (size_t k = 0; k < K; k++)
        w->cnt[k] = column_bits_avx2(x + k * M, M, w->bits + k * nw, &bad);
    if (bad)
        return -2;
    size_t nd = 0, nsp = 0, tot = 0;
    double work = 0;
    for (size_t k = 0; k < K; k++) {
        if (w->cnt[k] >= dense_min) {
            w->kd[nd++] = k;
            work += M;
        } else if (w->cnt[k] > 0) {
            w->off[nsp] = tot;
            tot += (size_t)w->cnt[k];
            w->ks[nsp++] = k;
            work += w->cnt[k];
        }
    }
    w->off[nsp] = tot;
    sc->nd = nd;
    sc->nsp = nsp;
    sc->work = work;
    sc->ngd = (long)((nd + RB_VECS - 1) / RB_VECS);
    sc->ngs = (long)((nsp + SP_VECS - 1) / SP_VECS);
    if (xb_column_work_grow(&w->rows, &w->cap_rows, tot, sizeof *w->rows) ||
        xb_column_work_grow(&w->xp, &w->cap_xp, (size_t)sc->ngd * M * RB_VECS + 1, sizeof *w->xp))
        return -1;
    for (size_t s = 0; s < nsp; s++) {
        const uint64_t *b = w->bits + w->ks[s] * nw;
        int *r = w->rows + w->off[s];
        for (int q = 0; q < nw; q++)
            for (uint64_t v = b[q]; v; v &= v - 1)
                *r++ = 64 * q + __builtin_ctzll(v);
    }
    for (long kg = 0; kg < sc->ngd; kg++)
        for (int l = 0; l < RB_VECS; l++) {
            size_t q = (size_t)kg * RB_VECS + (size_t)l;
            uint64_t *dst = w->xp + (size_t)kg * M * RB_VECS + l;
            const uint64_t *b = q < nd ? w->bits + w->kd[q] * nw : NULL;
            for (int i = 0; i < M; i++)
                dst[(size_t)i * RB_VECS] = b ? (uint64_t)0 - ((b[i / 64] >> (i % 64)) & 1) : 0;
        }
    return 0;
}

/* The kernels of one model over the scanned vectors. */
static void column_kernels_avx2(const column_model *m, const xb_solver_work *w, const column_scan *sc, size_t K,
                                double *out)
{
    const int M = m->rows, N = m->cols;
    for (size_t k = 0; k < K; k++)
        if (w->cnt[k] == 0)
            memset(out + k * N, 0, (size_t)N * sizeof *out); /* exactly what the walk gives */
    const long ngd = sc->ngd, ngs = sc->ngs;
    const size_t nd = sc->nd, nsp = sc->nsp;
    /* threads only for enough work, and never inside a task of the library's
     * pool (which already keeps every thread busy): a parallel region costs a
     * barrier, and a spinning thread on a busy machine costs more than it
     * saves (measured on 2 busy cores: 2 threads from 4e6 updates up made
     * analog inference 1.6x slower than 1 thread; from 1e8 up, 1.04x faster) */
    const int par = ngd * m->nb + ngs * m->ns > 1 && sc->work * N >= XB_COLUMN_PAR_WORK_AVX2 && !xb_threads_in_task();
#pragma omp parallel if (par)
    {
#pragma omp for collapse(2) schedule(static) nowait
        for (long kg = 0; kg < ngd; kg++)
            for (int jb = 0; jb < m->nb; jb++) {
                size_t q0 = (size_t)kg * RB_VECS;
                int kn = nd - q0 < RB_VECS ? (int)(nd - q0) : RB_VECS;
                column_block_avx2(m, w->xp + (size_t)kg * M * RB_VECS, jb, w->kd + q0, kn, out);
            }
#pragma omp for collapse(2) schedule(static)
        for (long kg = 0; kg < ngs; kg++)
            for (int sb = 0; sb < m->ns; sb++) {
                size_t s1 = (size_t)(kg + 1) * SP_VECS < nsp ? (size_t)(kg + 1) * SP_VECS : nsp;
                for (size_t s = (size_t)kg * SP_VECS; s < s1; s++)
                    column_sparse_avx2(m, sb, w->rows + w->off[s], w->cnt[w->ks[s]], out + w->ks[s] * N);
            }
    }
}

xb_status xb_column_solve_avx2_group(const column_model *const *m, int n, const double *x, size_t K,
                                     double *const *out, xb_solver_work *w, xb_error *err)
{
    xb_solver_work local = {0};
    xb_solver_work *ws = w ? w : &local;
    column_scan sc;
    xb_status st = XB_OK;
    int scan = column_scan_avx2(x, K, m[0]->rows, ws, &sc);
    if (scan == -2)
        st = xb_error_set(err, XB_EINVAL, "column path: an input is neither 0 nor 1");
    else if (scan)
        st = xb_error_set(err, XB_ENOMEM, "column path: out of memory for %zu x %d input bits", K, m[0]->rows);
    else
        for (int q = 0; q < n; q++)
            column_kernels_avx2(m[q], ws, &sc, K, out[q]);
    if (!w)
        xb_column_work_release(&local);
    return st;
}

xb_status xb_column_solve_avx2(const column_model *m, const double *x, size_t K, double *out, xb_error *err)
{
    return xb_column_solve_avx2_group(&m, 1, x, K, &out, NULL, err);
}
#endif
