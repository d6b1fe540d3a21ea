/* column.c: the column backend (gate-input), and the model it walks: the cell
 * conductances with their access resistance folded in, the bit-line segments,
 * and the same packed for the AVX2 kernels (see column_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "column_internal.h"

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

void xb_column_work_release(xb_solver_work *w)
{
    free(w->cnt);
    free(w->off);
    free(w->kd);
    free(w->ks);
    free(w->bits);
    free(w->rows);
    free(w->xp);
    free(w->sdp);
    memset(w, 0, sizeof *w);
}

int xb_column_work_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
    void **p = pp;
    if (need <= *cap && *p)
        return 0;
    size_t n = need > 2 * *cap ? need : 2 * *cap;
    void *q = malloc((n ? n : 1) * elem);
    if (!q)
        return -1;
    free(*p);
    *p = q;
    *cap = n;
    return 0;
}

xb_solver_work *xb_solver_work_new(xb_error *err)
{
    xb_solver_work *w = calloc(1, sizeof *w);
    if (!w)
        xb_error_set(err, XB_ENOMEM, "solver work: out of memory");
    return w;
}

void xb_solver_work_free(xb_solver_work *w)
{
    if (!w)
        return;
    xb_column_work_release(w);
    free(w);
}

static xb_status column_backend_new(xb_solver *s, xb_error *err)
{
    double t0 = xb_clock_now();
    s->state = xb_column_new(s->circuit, err);
    if (!s->state)
        return err->code;
    s->stats.t_assemble = xb_clock_now() - t0;
    return XB_OK;
}

static xb_status column_backend_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d,
                                      xb_error *err)
{
    return d ? xb_column_detail(s->state, v, k, out, d, err) : xb_column_solve(s->state, v, k, out, err);
}

static void column_backend_free(xb_solver *s)
{
    xb_column_free(s->state);
    s->state = NULL;
}

/* Conductances, segments and their packed copies: about three doubles a cell. */
static size_t column_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    return 3 * (size_t)c->rows * c->cols * sizeof(double);
}

const xb_backend_ops xb_column_backend = {"column",
                                          column_estimate,
                                          column_backend_new,
                                          column_backend_solve,
                                          NULL,
                                          column_backend_free};
