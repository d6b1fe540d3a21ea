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
 * The recurrence runs across K vectors at once (SIMD over vectors), over blocks
 * of columns (so each row of input bits is read once per block), with OpenMP
 * across column blocks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

#define COL_BLOCK 8   /* columns sharing one pass over the input bits */
#define VEC_CHUNK 256 /* vectors per pass: y and w of a block stay in L1/L2 */

typedef struct {
    int rows, cols;
    double v_read;     /* volts */
    double *g;         /* M*N siemens: cell with its access resistance folded in */
    double *r;         /* M*N ohms: r[i*N+j] = column segment above row i+1 (i < M-1) */
    double *r_end;     /* N ohms: last segment plus sense resistance */
    int renorm;        /* rows between rescalings of (y, w) */
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
    /* w grows by at most (1 + rmax * sum g) per row; rescale before it passes
     * 1e200 (doubles reach 1.8e308). */
    double growth = log10(1.0 + rmax * gsum_max);
    int every = growth > 0 ? (int)(200.0 / growth) : 64;
    m->renorm = every < 1 ? 1 : every > 64 ? 64 : every;
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
    free(m);
}

/* One block of up to COL_BLOCK columns over up to VEC_CHUNK vectors.
 * xt: M x K bits transposed (row i of all vectors contiguous). */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static void column_block(const column_model *m, const double *xt, size_t K, size_t k0, int kn, int j0, int jn,
                         double *out)
{
    const int M = m->rows, N = m->cols;
    double y[COL_BLOCK][VEC_CHUNK], w[COL_BLOCK][VEC_CHUNK];
    for (int jj = 0; jj < jn; jj++)
        for (int k = 0; k < kn; k++) {
            y[jj][k] = 0.0;
            w[jj][k] = 1.0;
        }
    for (int i = 0; i < M; i++) {
        const double *xr = xt + (size_t)i * K + k0;
        for (int jj = 0; jj < jn; jj++) {
            const double g = m->g[(size_t)i * N + j0 + jj];
            const double r = i > 0 ? m->r[(size_t)(i - 1) * N + j0 + jj] : 0.0;
            double *restrict yy = y[jj], *restrict ww = w[jj];
            for (int k = 0; k < kn; k++) {
                double wk = ww[k] + r * yy[k];
                ww[k] = wk;
                yy[k] += g * xr[k] * wk;
            }
        }
        if ((i + 1) % m->renorm == 0)
            for (int jj = 0; jj < jn; jj++)
                for (int k = 0; k < kn; k++) {
                    double s = 1.0 / w[jj][k];
                    y[jj][k] *= s;
                    w[jj][k] = 1.0;
                }
    }
    for (int jj = 0; jj < jn; jj++) {
        const double re = m->r_end[j0 + jj];
        for (int k = 0; k < kn; k++)
            out[(k0 + (size_t)k) * N + j0 + jj] = m->v_read * y[jj][k] / (w[jj][k] + re * y[jj][k]);
    }
}

xb_status xb_column_solve(const void *p, const double *x, size_t K, double *out, xb_error *err)
{
    const column_model *m = p;
    const int M = m->rows, N = m->cols;
    double *xt = malloc((size_t)M * K * sizeof *xt);
    if (!xt)
        return xb_error_set(err, XB_ENOMEM, "column path: out of memory for %zu x %d input bits", K, M);
    for (size_t k = 0; k < K; k++)
        for (int i = 0; i < M; i++)
            xt[(size_t)i * K + k] = x[k * M + i];
    const int nblk = (N + COL_BLOCK - 1) / COL_BLOCK;
    const long nchunk = (long)((K + VEC_CHUNK - 1) / VEC_CHUNK);
#pragma omp parallel for collapse(2) schedule(dynamic)
    for (long kc = 0; kc < nchunk; kc++)
        for (int b = 0; b < nblk; b++) {
            size_t k0 = (size_t)kc * VEC_CHUNK;
            int kn = (int)((K - k0) < VEC_CHUNK ? (K - k0) : VEC_CHUNK);
            int j0 = b * COL_BLOCK, jn = N - j0 < COL_BLOCK ? N - j0 : COL_BLOCK;
            column_block(m, xt, K, k0, kn, j0, jn, out);
        }
    free(xt);
    return XB_OK;
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
                    Yc = Yc / (1.0 + m->r[(size_t)(i - 1) * N + j] * Yc);
                if (xk[i] != 0.0)
                    Yc += m->g[(size_t)i * N + j];
                Y[i] = Yc;
            }
            double I = vr * Yc / (1.0 + m->r_end[j] * Yc);
            out[k * N + j] = I;
            V[M - 1] = I * m->r_end[j];
            for (int i = M - 2; i >= 0; i--) {
                double ri = m->r[(size_t)i * N + j];
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
