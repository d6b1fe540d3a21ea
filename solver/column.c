/* column.c: the exact gate-input column path.
 *
 * In the gate-input topology the rows carry no resistance, so the columns
 * decouple.  Walking down column j from row 0, everything above node i (cells
 * and segments) is a Norton equivalent seen at node i.  Every enabled cell is a
 * source at the same V_read, so the Norton current is always V_read times the
 * Norton conductance Y, and one number per node suffices:
 *
 *   through segment (i-1,j) of r ohms:   Y <- Y / (1 + r Y)
 *   add cell (i,j) if row i is on:       Y <- Y + g_ij
 *   at the end, R = r_(M-1,j) + R_sense: I_j = V_read Y / (1 + R Y)
 *
 * Kept in projective form Y = y / w, the two steps have no division:
 *   w <- w + r y;   y <- y + g x_i w
 * and every quantity stays positive, so nothing cancels: the result is exact to
 * a few ulps, with no iteration and nothing to converge.  The pair (y, w) is
 * rescaled every few rows so w cannot overflow.
 *
 * The recurrence runs along the columns (SIMD), for a few vectors at a time so
 * that each row of conductances is read once per block, with OpenMP across
 * blocks of vectors and columns.
 *
 * A disabled row only adds its segment to the wire between two enabled rows, so
 * with the wire from row 0 precomputed per column (exact for uniform wires,
 * compensated sums otherwise) a vector costs its enabled rows, not all rows: the
 * sparse AVX2 kernel.  Bit planes of 8-bit activations are mostly sparse; nearly
 * full vectors go to the dense kernel, empty ones give exact zeros. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "solver_internal.h"

#define VEC_BLOCK 8   /* vectors sharing one pass over the conductances */
#define COL_CHUNK 128 /* columns per pass: y and w of a block (16 KiB) stay in L1 */
#define XB_COLUMN_PAR_WORK 4e6 /* cell-vector updates below which one thread runs */
#define XB_COLUMN_PAR_WORK_AVX2 1e8 /* the same for the AVX2 kernels, counting enabled cells */
/* The AVX2 kernel: RB_COLS columns x RB_VECS vectors held in registers over all
 * rows.  Each (column, 4 vectors) pair is one dependency chain of two FMAs per
 * row; 6 chains (12 of the 16 ymm registers) hide most of the FMA latency. */
#define RB_COLS 3
#define RB_VECS 8
/* The sparse AVX2 kernel: one vector, SP_COLS columns in registers, walking only
 * the enabled rows.  SP_COLS/4 chains of two FMAs per enabled row. */
#define SP_COLS 24
#define SP_VECS 32 /* vectors per work item: a strip of conductances is read once per item */

typedef struct {
    int rows, cols;
    double v_read;     /* volts */
    double *g;         /* M*N siemens: cell with its access resistance folded in */
    double *r;         /* M*N ohms: r[i*N+j] = column segment above row i+1 (i < M-1) */
    double *r_end;     /* N ohms: last segment plus sense resistance */
    int r_uniform;     /* 1 when every inner segment has the same resistance r_value */
    double r_value;    /* ohms */
    int renorm;        /* rows between rescalings of (y, w) */
    int renorm_enabled; /* enabled rows between rescalings when wire steps are batched */
    int nb;            /* register blocks of RB_COLS columns (AVX2 kernel) */
    double *gp;        /* nb*M*RB_COLS siemens: g packed [block][row][column]; padding 0 */
    double *rp;        /* nb*M*RB_COLS ohms: segment above row i, packed; row 0 and padding 0 */
    int ns;            /* strips of SP_COLS columns (sparse AVX2 kernel) */
    double *gs;        /* ns*M*SP_COLS siemens: g packed [strip][row][column]; padding 0 */
    double *rs;        /* ns*SP_COLS ohms: r_end, padded with 0 */
    double *ph, *pl;   /* ns*M*SP_COLS ohms, non-uniform wires only: the wire from row 0
                        * down to row i as an unevaluated sum ph + pl (packed like gs) */
} column_model;

void *xb_column_new(const xb_circuit *c, xb_error *err)
{
    const int M = c->rows, N = c->cols;
    column_model *m = calloc(1, sizeof *m);
    size_t mn = (size_t)M * N;
    if (m) {
        m->g = malloc(mn * sizeof *m->g);
        m->r = malloc(mn * sizeof *m->r);
        m->r_end = malloc((size_t)N * sizeof *m->r_end);
    }
    if (!m || !m->g || !m->r || !m->r_end) {
        xb_column_free(m);
        xb_error_set(err, XB_ENOMEM, "column path: out of memory for %d x %d", M, N);
        return NULL;
    }
    m->rows = M;
    m->cols = N;
    m->v_read = c->v_read;
    double rmax = 0, gsum_max = 0;
    for (int j = 0; j < N; j++) {
        double gs = 0;
        for (int i = 0; i < M; i++) {
            m->g[(size_t)i * N + j] = xb_circuit_cell_g(c, i, j);
            gs += m->g[(size_t)i * N + j];
            m->r[(size_t)i * N + j] = i < M - 1 ? xb_circuit_r_col(c, i, j) : 0.0;
            if (m->r[(size_t)i * N + j] > rmax)
                rmax = m->r[(size_t)i * N + j];
        }
        m->r_end[j] = xb_circuit_r_col(c, M - 1, j) + xb_circuit_r_sense(c, j);
        if (gs > gsum_max)
            gsum_max = gs;
    }
    m->r_uniform = 1;
    m->r_value = M > 1 ? m->r[0] : 0.0;
    for (size_t q = 0; q + (size_t)N < mn && m->r_uniform; q++)
        m->r_uniform = m->r[q] == m->r_value;
    if (m->r_uniform) { /* one number does: 8 bytes per cell saved */
        free(m->r);
        m->r = NULL;
    }
    /* w grows by at most (1 + rmax * sum g) per row; rescale before it passes
     * 1e200 (doubles reach 1.8e308). */
    double growth = log10(1.0 + rmax * gsum_max);
    int every = growth > 0 ? (int)(200.0 / growth) : 64;
    m->renorm = every < 1 ? 1 : every > 64 ? 64 : every;
    /* Batched wire steps: one enabled row multiplies w by at most 1 + n r Y with
     * n < M skipped segments, so count enabled rows against that bound. */
    double growth_batched = log10(1.0 + (double)M * rmax * gsum_max);
    int every_b = growth_batched > 0 ? (int)(200.0 / growth_batched) : 64;
    m->renorm_enabled = every_b < 1 ? 1 : every_b > 64 ? 64 : every_b;
    m->nb = (N + RB_COLS - 1) / RB_COLS;
    m->gp = calloc((size_t)m->nb * M * RB_COLS, sizeof *m->gp);
    m->rp = calloc((size_t)m->nb * M * RB_COLS, sizeof *m->rp);
    if (!m->gp || !m->rp) {
        xb_column_free(m);
        xb_error_set(err, XB_ENOMEM, "column path: out of memory for %d x %d", M, N);
        return NULL;
    }
    for (int j = 0; j < N; j++)
        for (int i = 0; i < M; i++) {
            size_t q = ((size_t)(j / RB_COLS) * M + i) * RB_COLS + j % RB_COLS;
            m->gp[q] = m->g[(size_t)i * N + j];
            m->rp[q] = i == 0 ? 0.0 : m->r ? m->r[(size_t)(i - 1) * N + j] : m->r_value;
        }
    m->ns = (N + SP_COLS - 1) / SP_COLS;
    size_t ssz = (size_t)m->ns * M * SP_COLS * sizeof(double); /* a multiple of 64 bytes */
    m->gs = aligned_alloc(64, ssz);
    m->rs = aligned_alloc(64, (size_t)m->ns * SP_COLS * sizeof(double));
    if (m->r) {
        m->ph = aligned_alloc(64, ssz);
        m->pl = aligned_alloc(64, ssz);
    }
    if (!m->gs || !m->rs || (m->r && (!m->ph || !m->pl))) {
        xb_column_free(m);
        xb_error_set(err, XB_ENOMEM, "column path: out of memory for %d x %d", M, N);
        return NULL;
    }
    memset(m->gs, 0, ssz);
    for (int j = 0; j < m->ns * SP_COLS; j++)
        m->rs[j] = j < N ? m->r_end[j] : 0.0;
    if (m->r)
        memset(m->ph, 0, ssz), memset(m->pl, 0, ssz);
    for (int j = 0; j < N; j++) {
        double hi = 0.0, lo = 0.0; /* the wire above row i, compensated (TwoSum) */
        for (int i = 0; i < M; i++) {
            size_t q = ((size_t)(j / SP_COLS) * M + i) * SP_COLS + j % SP_COLS;
            m->gs[q] = m->g[(size_t)i * N + j];
            if (!m->r)
                continue;
            m->ph[q] = hi;
            m->pl[q] = lo;
            const double r = m->r[(size_t)i * N + j], t = hi + r, bp = t - hi;
            lo += (hi - (t - bp)) + (r - bp);
            hi = t;
        }
    }
    return m;
}

void xb_column_free(void *p)
{
    column_model *m = p;
    if (!m)
        return;
    free(m->g);
    free(m->r);
    free(m->r_end);
    free(m->gp);
    free(m->rp);
    free(m->gs);
    free(m->rs);
    free(m->ph);
    free(m->pl);
    free(m);
}

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

#if defined(__x86_64__)
/* One register block: columns RB_COLS*jb.. over the RB_VECS vectors kidx[0..kn)
 * (of out) whose bits are xp (M x RB_VECS masks: all ones for a 1 bit, zero for 0).  The projective
 * recurrence of the file comment, with g x as g AND mask and both steps as FMAs;
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
 * bit line is series wire only, so the wire steps of the file comment add up to
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
 * returns the number of enabled rows. */
__attribute__((target("avx2,popcnt")))
static int column_bits_avx2(const double *xk, int M, uint64_t *bits)
{
    const __m256d zero = _mm256_setzero_pd();
    int n = 0;
    for (int w0 = 0; w0 < M; w0 += 64) {
        const int e = w0 + 64 < M ? w0 + 64 : M;
        uint64_t b = 0;
        int i = w0;
        for (; i + 4 <= e; i += 4)
            b |= (uint64_t)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(xk + i), zero, _CMP_NEQ_UQ)) << (i - w0);
        for (; i < e; i++)
            b |= (uint64_t)(xk[i] != 0.0) << (i - w0);
        bits[w0 / 64] = b;
        n += __builtin_popcountll(b);
    }
    return n;
}

static xb_status column_solve_avx2(const column_model *m, const double *x, size_t K, double *out, xb_error *err)
{
    const int M = m->rows, N = m->cols;
    const int dense_min = (int)(XB_COLUMN_DENSE_FRACTION * M) + 1; /* enabled rows of a dense vector */
    int *cnt = malloc((K ? K : 1) * sizeof *cnt);
    size_t *off = malloc((K + 1) * sizeof *off), *kd = malloc((K ? K : 1) * sizeof *kd),
           *ks = malloc((K ? K : 1) * sizeof *ks);
    int *rows = NULL;
    uint64_t *xp = NULL, *bits = NULL;
    if (!cnt || !off || !kd || !ks)
        goto oom;
    /* the enabled rows of every vector, as bit words, then as lists */
    const int nw = (M + 63) / 64;
    bits = malloc((K ? K : 1) * (size_t)nw * sizeof *bits);
    if (!bits)
        goto oom;
    for (size_t k = 0; k < K; k++)
        cnt[k] = column_bits_avx2(x + k * M, M, bits + k * nw);
    size_t nd = 0, nsp = 0, tot = 0;
    double work = 0;
    for (size_t k = 0; k < K; k++) {
        if (cnt[k] >= dense_min) {
            kd[nd++] = k;
            work += M;
        } else if (cnt[k] > 0) {
            off[nsp] = tot;
            tot += (size_t)cnt[k];
            ks[nsp++] = k;
            work += cnt[k];
        } else
            memset(out + k * N, 0, (size_t)N * sizeof *out); /* exactly what the walk gives */
    }
    off[nsp] = tot;
    const long ngd = (long)((nd + RB_VECS - 1) / RB_VECS), ngs = (long)((nsp + SP_VECS - 1) / SP_VECS);
    rows = malloc((tot ? tot : 1) * sizeof *rows);
    xp = malloc(((size_t)ngd * M * RB_VECS + 1) * sizeof *xp);
    if (!rows || !xp)
        goto oom;
    for (size_t s = 0; s < nsp; s++) {
        const uint64_t *b = bits + ks[s] * nw;
        int *r = rows + off[s];
        for (int q = 0; q < nw; q++)
            for (uint64_t v = b[q]; v; v &= v - 1)
                *r++ = 64 * q + __builtin_ctzll(v);
    }
    for (long kg = 0; kg < ngd; kg++)
        for (int l = 0; l < RB_VECS; l++) {
            size_t q = (size_t)kg * RB_VECS + (size_t)l;
            uint64_t *dst = xp + (size_t)kg * M * RB_VECS + l;
            const uint64_t *b = q < nd ? bits + kd[q] * nw : NULL;
            for (int i = 0; i < M; i++)
                dst[(size_t)i * RB_VECS] = b ? (uint64_t)0 - ((b[i / 64] >> (i % 64)) & 1) : 0;
        }
    /* threads only for enough work: a parallel region costs a barrier, and a
     * spinning thread on a busy machine costs more than it saves (measured on 2
     * busy cores: 2 threads from 4e6 updates up made analog inference 1.6x
     * slower than 1 thread; from 1e8 up, 1.04x faster; idle, 3e6 would gain
     * only 10 %) */
    const int par = ngd * m->nb + ngs * m->ns > 1 && work * N >= XB_COLUMN_PAR_WORK_AVX2;
#pragma omp parallel if (par)
    {
#pragma omp for collapse(2) schedule(static) nowait
        for (long kg = 0; kg < ngd; kg++)
            for (int jb = 0; jb < m->nb; jb++) {
                size_t q0 = (size_t)kg * RB_VECS;
                int kn = nd - q0 < RB_VECS ? (int)(nd - q0) : RB_VECS;
                column_block_avx2(m, xp + (size_t)kg * M * RB_VECS, jb, kd + q0, kn, out);
            }
#pragma omp for collapse(2) schedule(static)
        for (long kg = 0; kg < ngs; kg++)
            for (int sb = 0; sb < m->ns; sb++) {
                size_t s1 = (size_t)(kg + 1) * SP_VECS < nsp ? (size_t)(kg + 1) * SP_VECS : nsp;
                for (size_t s = (size_t)kg * SP_VECS; s < s1; s++)
                    column_sparse_avx2(m, sb, rows + off[s], cnt[ks[s]], out + ks[s] * N);
            }
    }
    free(cnt);
    free(off);
    free(kd);
    free(ks);
    free(rows);
    free(xp);
    free(bits);
    return XB_OK;
oom:
    free(cnt);
    free(off);
    free(kd);
    free(ks);
    free(rows);
    free(xp);
    free(bits);
    return xb_error_set(err, XB_ENOMEM, "column path: out of memory for %zu x %d input bits", K, M);
}
#endif

xb_status xb_column_solve(const void *p, const double *x, size_t K, double *out, xb_error *err)
{
    const column_model *m = p;
    const int N = m->cols;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
        return column_solve_avx2(m, x, K, out, err);
#endif
    (void)err;
    const long nvb = (long)((K + VEC_BLOCK - 1) / VEC_BLOCK);
    const int ncb = (N + COL_CHUNK - 1) / COL_CHUNK;
    /* threads only for enough work: a parallel region costs a barrier, and a
     * spinning thread on a busy machine costs more than it saves */
    const int par = nvb * ncb > 1 && (double)m->rows * N * (double)K >= XB_COLUMN_PAR_WORK;
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

/* ohms of the column segment below row i (i < M-1) */
static double seg_r(const column_model *m, int i, int j)
{
    return m->r ? m->r[(size_t)i * m->cols + j] : m->r_value;
}

/* Node voltages and cell currents, one vector and column at a time: the forward
 * walk stores the Norton conductance Y_i at every node, then the backward walk
 * gets V_(M-1) = I R_end and V_i = (V_(i+1) + r_i Y_i V_read) / (1 + r_i Y_i). */
xb_status xb_column_detail(const void *p, const double *x, size_t K, double *out, xb_solution *d, xb_error *err)
{
    const column_model *m = p;
    const int M = m->rows, N = m->cols;
    const double vr = m->v_read;
    double *Y = malloc((size_t)M * sizeof *Y), *V = malloc((size_t)M * sizeof *V);
    if (!Y || !V) {
        free(Y);
        free(V);
        return xb_error_set(err, XB_ENOMEM, "column path: out of memory");
    }
    for (size_t k = 0; k < K; k++) {
        const double *xk = x + k * M;
        size_t base = k * (size_t)M * N;
        if (d && d->i_src)
            memset(d->i_src + k * M, 0, (size_t)M * sizeof *d->i_src);
        for (int j = 0; j < N; j++) {
            double Yc = 0;
            for (int i = 0; i < M; i++) {
                if (i > 0)
                    Yc = Yc / (1.0 + seg_r(m, i - 1, j) * Yc);
                if (xk[i] != 0.0)
                    Yc += m->g[(size_t)i * N + j];
                Y[i] = Yc;
            }
            double I = vr * Yc / (1.0 + m->r_end[j] * Yc);
            out[k * N + j] = I;
            V[M - 1] = I * m->r_end[j];
            for (int i = M - 2; i >= 0; i--) {
                double ri = seg_r(m, i, j);
                V[i] = (V[i + 1] + ri * Y[i] * vr) / (1.0 + ri * Y[i]);
            }
            if (!d)
                continue;
            for (int i = 0; i < M; i++) {
                size_t q = base + (size_t)i * N + j;
                int on = xk[i] != 0.0;
                double ic = on ? m->g[(size_t)i * N + j] * (vr - V[i]) : 0.0;
                if (d->v_row)
                    d->v_row[q] = on ? vr : 0.0;
                if (d->v_col)
                    d->v_col[q] = V[i];
                if (d->i_cell)
                    d->i_cell[q] = ic;
                if (d->i_src)
                    d->i_src[k * M + i] += ic;
            }
        }
    }
    free(Y);
    free(V);
    return XB_OK;
}
