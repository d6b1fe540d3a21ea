/* column_noise.c: the column path (column_internal.h) with read noise
 * (read_noise.h): every vector walks its enabled rows only, as the sparse
 * kernel does, and draws the conductances of the cells it walks, fresh for its
 * read, right where the recurrence needs them.  Cells of disabled rows are
 * never drawn.
 *
 * Cost: the recurrence is two FMAs per enabled cell, as without noise; the
 * draw (a 64-bit hash, three gathers from the table and a parabola) is
 * independent of it, so the out-of-order core overlaps the two, and the draw's
 * instructions bound the time.  Dense vectors walk the same way (no register
 * blocks: their conductances differ from vector to vector).  The AVX-512
 * kernel reads strips packed like column_model.gs (the sigmas packed per
 * call), so that the scattered enabled rows are not a page each. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "read_noise.h"
#include "read_noise_avx512.h"
#include "xb_threads.h"

/* Enabled-cell updates from which two threads share a batch: the noiseless
 * kernels' threshold (XB_COLUMN_PAR_WORK_AVX2) in time, a noisy update costing
 * about 12 noiseless ones (measured: bench/read_noise, docs/solver.md). */
#define XB_COLUMN_PAR_WORK_NOISY (XB_COLUMN_PAR_WORK_AVX2 / 12)

/* Where a kernel reads the conductances and sigmas: row-major (M x N), or
 * packed in strips like column_model.gs, whose rows of one strip are
 * contiguous (enabled rows are scattered: row-major, each is another page). */
typedef struct {
    const double *g, *sd;
    int g_packed, sd_packed;
} noisy_src;

/* The strip sb (SP_COLS columns) of one vector, rows[0..cnt) enabled, on the
 * raw conductances g and sigmas sd (row-major M x N), stream s, access
 * resistance ra; currents into outk.  Portable: one row of noisy conductances
 * at a time (xb_rn_row), then the recurrence of column_sparse_avx2 in scalar
 * form, with the same operations. */
static void noisy_strip(const column_model *m, const double *g, const double *sd, double ra, uint64_t s, int sb,
                        const int *rows, int cnt, double *outk)
{
    const int M = m->rows, N = m->cols, j0 = sb * SP_COLS, nc = N - j0 < SP_COLS ? N - j0 : SP_COLS;
    double y[SP_COLS], w[SP_COLS], gn[SP_COLS];
    for (int c = 0; c < nc; c++)
        y[c] = 0.0, w[c] = 1.0;
    int last = 0, since = 0;
    const double *ph = m->ph ? m->ph + (size_t)sb * M * SP_COLS : NULL;
    const double *pl = m->ph ? m->pl + (size_t)sb * M * SP_COLS : NULL;
    for (int t = 0; t <= cnt; t++) {
        const int i = t < cnt ? rows[t] : M - 1; /* the last pass: the wire below */
        if (t < cnt)
            xb_rn_row(s, (uint64_t)i * (uint64_t)N + (uint64_t)j0, g + (size_t)i * N + j0, sd + (size_t)i * N + j0,
                      nc, ra, gn);
        for (int c = 0; c < nc; c++) {
            const size_t qi = (size_t)i * SP_COLS + c, ql = (size_t)last * SP_COLS + c;
            const double step = ph ? (ph[qi] - ph[ql]) + (pl[qi] - pl[ql]) : (double)(i - last) * m->r_value;
            w[c] = fma(step, y[c], w[c]);
            if (t < cnt)
                y[c] = fma(gn[c], w[c], y[c]);
        }
        last = i;
        if (t < cnt && ++since == m->renorm_enabled) {
            for (int c = 0; c < nc; c++)
                y[c] = y[c] / w[c], w[c] = 1.0;
            since = 0;
        }
    }
    for (int c = 0; c < nc; c++)
        outk[j0 + c] = m->v_read * y[c] / fma(m->rs[j0 + c], y[c], w[c]);
}

#if defined(__x86_64__)
/* The same strip with 8 columns a lane vector: three chains a row (named:
 * arrays of vectors end up on the stack), the draws of their 24 cells in
 * between. */
RN_TARGET static void noisy_strip512(const column_model *m, const noisy_src *src, double ra, uint64_t s, int sb,
                                     const int *rows, int cnt, double *outk, const double *tab)
{
    const int M = m->rows, N = m->cols, j0 = sb * SP_COLS, nc = N - j0 < SP_COLS ? N - j0 : SP_COLS;
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512i sv = _mm512_set1_epi64((long long)s), gam = _mm512_set1_epi64((long long)RN_GAMMA);
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const double ru = m->r_value;
    const __mmask8 k0 = nc >= 8 ? 0xff : (__mmask8)((1u << nc) - 1), /* the columns that exist */
        k1 = nc >= 16 ? 0xff : nc > 8 ? (__mmask8)((1u << (nc - 8)) - 1) : 0,
                   k2 = nc >= 24 ? 0xff : nc > 16 ? (__mmask8)((1u << (nc - 16)) - 1) : 0;
    const __m512i cg0 = _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64(j0), lane), gam), /* column * GAMMA */
        cg1 = _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64(j0 + 8), lane), gam),
                  cg2 = _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64(j0 + 16), lane), gam);
    const double *gc = src->g + (src->g_packed ? (size_t)sb * M * SP_COLS : (size_t)j0);
    const double *sc = src->sd + (src->sd_packed ? (size_t)sb * M * SP_COLS : (size_t)j0);
    const size_t gstep = src->g_packed ? SP_COLS : (size_t)N, sstep = src->sd_packed ? SP_COLS : (size_t)N;
    const double *ph = m->ph ? m->ph + (size_t)sb * M * SP_COLS : NULL;
    const double *pl = m->ph ? m->pl + (size_t)sb * M * SP_COLS : NULL;
    __m512d y0 = _mm512_setzero_pd(), y1 = y0, y2 = y0, w0 = one, w1 = one, w2 = one;
    int last = 0, since = 0;
#define NS_STEP(c)                                                                                                 \
    (ph ? _mm512_add_pd(_mm512_sub_pd(_mm512_load_pd(ph + (size_t)i * SP_COLS + 8 * c),                              \
                                      _mm512_load_pd(ph + (size_t)last * SP_COLS + 8 * c)),                          \
                        _mm512_sub_pd(_mm512_load_pd(pl + (size_t)i * SP_COLS + 8 * c),                              \
                                      _mm512_load_pd(pl + (size_t)last * SP_COLS + 8 * c)))                          \
        : su)
#define NS_CELL(c)                                                                                                 \
    {                                                                                                              \
        const __m512i x = _mm512_xor_si512(sv, _mm512_add_epi64(rg, cg##c));                                       \
        const __m512d gn = rn_g8(_mm512_maskz_loadu_pd(k##c, gc + (size_t)i * gstep + 8 * c),                      \
                                 _mm512_maskz_loadu_pd(k##c, sc + (size_t)i * sstep + 8 * c), x, tab, ra);           \
        y##c = _mm512_fmadd_pd(gn, w##c, y##c);                                                                    \
    }
    for (int t = 0; t <= cnt; t++) {
        const int i = t < cnt ? rows[t] : M - 1; /* the last pass: the wire below */
        const __m512d su = _mm512_set1_pd((double)(i - last) * ru);
        w0 = _mm512_fmadd_pd(NS_STEP(0), y0, w0);
        w1 = _mm512_fmadd_pd(NS_STEP(1), y1, w1);
        w2 = _mm512_fmadd_pd(NS_STEP(2), y2, w2);
        if (t == cnt)
            break;
        const __m512i rg = _mm512_set1_epi64((long long)((uint64_t)i * (uint64_t)N * RN_GAMMA));
        NS_CELL(0) NS_CELL(1) NS_CELL(2)
        last = i;
        if (++since == m->renorm_enabled) {
            y0 = _mm512_div_pd(y0, w0), y1 = _mm512_div_pd(y1, w1), y2 = _mm512_div_pd(y2, w2);
            w0 = w1 = w2 = one;
            since = 0;
        }
    }
#undef NS_STEP
#undef NS_CELL
    const __m512d vr = _mm512_set1_pd(m->v_read);
    const double *re = m->rs + j0;
    _mm512_mask_storeu_pd(outk + j0, k0, _mm512_div_pd(_mm512_mul_pd(vr, y0), _mm512_fmadd_pd(_mm512_loadu_pd(re), y0, w0)));
    _mm512_mask_storeu_pd(outk + j0 + 8, k1,
                          _mm512_div_pd(_mm512_mul_pd(vr, y1), _mm512_fmadd_pd(_mm512_loadu_pd(re + 8), y1, w1)));
    _mm512_mask_storeu_pd(outk + j0 + 16, k2,
                          _mm512_div_pd(_mm512_mul_pd(vr, y2), _mm512_fmadd_pd(_mm512_loadu_pd(re + 16), y2, w2)));
}
#endif

/* Every vector's enabled rows (w->cnt, w->off, w->rows); -1: out of memory, -2:
 * an entry is neither 0 nor 1. */
static int noisy_scan(const double *x, size_t K, int M, xb_solver_work *w)
{
    if (xb_column_work_grow(&w->cnt, &w->cap_k, K, sizeof *w->cnt) ||
        xb_column_work_grow(&w->off, &w->cap_off, K + 1, sizeof *w->off))
        return -1;
    size_t tot = 0;
    int bad = 0;
    for (size_t k = 0; k < K; k++) {
        int n = 0;
        for (int i = 0; i < M; i++) {
            const double v = x[k * M + i];
            n += v != 0.0;
            bad |= (v != 0.0) & (v != 1.0);
        }
        w->cnt[k] = n;
        w->off[k] = tot;
        tot += (size_t)n;
    }
    w->off[K] = tot;
    if (bad)
        return -2;
    if (xb_column_work_grow(&w->rows, &w->cap_rows, tot, sizeof *w->rows))
        return -1;
    for (size_t k = 0; k < K; k++) {
        int *r = w->rows + w->off[k];
        for (int i = 0; i < M; i++)
            if (x[k * M + i] != 0.0)
                *r++ = i;
    }
    return 0;
}

/* sd (row-major) packed like m->gs into p, padding zero. */
static void noisy_pack(const column_model *m, const double *sd, double *p)
{
    const int M = m->rows, N = m->cols;
    for (int sb = 0; sb < m->ns; sb++) {
        const int j0 = sb * SP_COLS, nc = N - j0 < SP_COLS ? N - j0 : SP_COLS;
        for (int i = 0; i < M; i++) {
            double *d = p + ((size_t)sb * M + i) * SP_COLS;
            memcpy(d, sd + (size_t)i * N + j0, (size_t)nc * sizeof *d);
            for (int c = nc; c < SP_COLS; c++)
                d[c] = 0.0;
        }
    }
}

/* One model over the scanned vectors: (group of SP_VECS vectors, strip) pairs,
 * so that a strip of conductances and sigmas is read once per group. */
static void noisy_model(const column_model *m, const double *g, const double *sd, double ra, const noisy_src *src,
                        const xb_solver_work *w, size_t K, const uint64_t *seed, double *out)
{
    const int N = m->cols;
    const long ngs = (long)((K + SP_VECS - 1) / SP_VECS);
    double work = 0;
    for (size_t k = 0; k < K; k++)
        work += w->cnt[k];
    /* the noiseless kernels' threshold in time (column_avx2.c), and never inside a pool task */
    const int par = ngs * m->ns > 1 && work * N >= XB_COLUMN_PAR_WORK_NOISY && !xb_threads_in_task();
#if defined(__x86_64__)
    const double *tab = xb_rn_avx512() ? xb_rn_table() : NULL;
#endif
#pragma omp parallel for collapse(2) schedule(static) if (par)
    for (long kg = 0; kg < ngs; kg++)
        for (int sb = 0; sb < m->ns; sb++) {
            const size_t k1 = (size_t)(kg + 1) * SP_VECS < K ? (size_t)(kg + 1) * SP_VECS : K;
            for (size_t k = (size_t)kg * SP_VECS; k < k1; k++) {
                const int *rows = w->rows + w->off[k];
#if defined(__x86_64__)
                if (tab) {
                    noisy_strip512(m, src, ra, seed[k], sb, rows, w->cnt[k], out + k * N, tab);
                    continue;
                }
#endif
                noisy_strip(m, g, sd, ra, seed[k], sb, rows, w->cnt[k], out + k * N);
            }
        }
}

xb_status xb_column_solve_noisy(const column_model *const *m, const double *const *g, const double *const *sd,
                                const double *r_access, int n, const double *x, size_t K, const uint64_t *seed,
                                double *const *out, xb_solver_work *w, xb_error *err)
{
    xb_solver_work local = {0};
    xb_solver_work *ws = w ? w : &local;
    xb_status st = XB_OK;
    const int scan = noisy_scan(x, K, m[0]->rows, ws);
    if (scan == -2)
        st = xb_error_set(err, XB_EINVAL, "column path: an input is neither 0 nor 1");
    else if (scan)
        st = xb_error_set(err, XB_ENOMEM, "column path: out of memory for %zu x %d input bits", K, m[0]->rows);
    for (int q = 0; q < n && !st; q++) {
        /* the AVX-512 kernel reads strips: the sigmas packed for the call, and
         * the model's packed conductances, which are the raw ones without an
         * access resistance */
        noisy_src src = {g[q], sd[q], 0, 0};
        if (xb_rn_avx512()) {
            const size_t sz = (size_t)m[q]->ns * m[q]->rows * SP_COLS;
            if (xb_column_work_grow(&ws->sdp, &ws->cap_sdp, sz, sizeof *ws->sdp)) {
                st = xb_error_set(err, XB_ENOMEM, "column path: out of memory for %zu sigmas", sz);
                break;
            }
            noisy_pack(m[q], sd[q], ws->sdp);
            src.sd = ws->sdp, src.sd_packed = 1;
            if (r_access[q] == 0.0)
                src.g = m[q]->gs, src.g_packed = 1;
        }
        noisy_model(m[q], g[q], sd[q], r_access[q], &src, ws, K, seed + (size_t)q * K, out[q]);
    }
    if (!w)
        xb_column_work_release(&local);
    return st;
}
