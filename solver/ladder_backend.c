/* ladder_backend.c: the column backend for the circuits the linear kernels do
 * not cover (nonlinear devices, column source lines): every vector's columns
 * through ladder.c, node voltages and cell currents for the detail. */
#include <string.h>

#include "ladder.h"
#include "solver_internal.h"

/* Node voltages and cell currents of column j (vector b of the detail): the
 * disabled rows' nodes from the currents that pass them (KCL along each line). */
static void detail(const xb_ladder *l, int j, int K, const double *x, size_t b, xb_solution *d)
{
    const int M = l->M, N = l->N;
    const size_t base = b * (size_t)M * N;
    double cur = 0, total = 0; /* amperes: rung currents at and above the row; all of them */
    for (int k = 0; k < K; k++)
        total += xb_ladder_branch_current(l, l->g[(size_t)l->row[k] * N + j], l->s[k], l->a[k], l->c[k]);
    int k = 0;
    double c = K ? l->c[0] : 0; /* bit line above the first enabled row: no current, one voltage */
    double s = l->v_read;       /* source line, walked from the top */
    if (l->rsl && l->drive == XB_SL_NEAR && K)
        s = l->s[0];
    for (int i = 0; i < M; i++) {
        size_t q = (size_t)i * N + j;
        double icell = 0;
        if (k < K && l->row[k] == i) {
            c = l->c[k];
            icell = xb_ladder_branch_current(l, l->g[q], l->s[k], l->a[k], l->c[k]);
            s = l->s[k];
            cur += icell;
            k++;
        } else if (l->rsl && l->drive == XB_SL_FAR) {
            s -= l->rsl[q] * (total - cur); /* current still going down the source line */
        }
        if (d->v_col)
            d->v_col[base + q] = c;
        if (d->v_row)
            d->v_row[base + q] = x[i] != 0.0 ? (l->rsl ? s : l->v_read) : 0.0;
        if (d->i_cell)
            d->i_cell[base + q] = icell;
        if (d->i_src)
            d->i_src[b * (size_t)M + i] += icell;
        c -= l->rc[q] * cur;
        if (l->rsl && l->drive == XB_SL_NEAR)
            s += l->rsl[q] * cur; /* the current of the rows above comes up this segment */
    }
}

/* One column on the one-column path (source stepping included): its current
 * into out, its nodes into d (may be NULL) for vector b. */
static xb_status one_column(xb_ladder *l, const double *xb, int j, size_t b, double *out, xb_solution *d,
                            xb_error *err)
{
    int K;
    xb_status st = xb_ladder_column(l, j, xb, &K, err);
    if (st != XB_OK)
        return xb_error_prefix(err, "vector %zu", b);
    double sum = 0;
    for (int q = 0; q < K; q++)
        sum += xb_ladder_branch_current(l, l->g[(size_t)l->row[q] * l->N + j], l->s[q], l->a[q], l->c[q]);
    out[b * (size_t)l->N + j] = sum;
    if (d)
        detail(l, j, K, xb, b, d);
    return XB_OK;
}

xb_status xb_ladder_solve(xb_ladder *l, const double *x, size_t k, double *out, xb_solution *d, xb_error *err)
{
    const int M = l->M, N = l->N;
    if (d && d->i_src)
        memset(d->i_src, 0, k * (size_t)M * sizeof *d->i_src);
    if (d) { /* node voltages: every column on the one-column path */
        for (size_t b = 0; b < k; b++)
            for (int j = 0; j < N; j++) {
                xb_status st = one_column(l, x + b * (size_t)M, j, b, out, d, err);
                if (st != XB_OK)
                    return st;
            }
        return XB_OK;
    }
    if (l->folded) /* a linear column source line driven at the sense end */
        return xb_column_solve(l->folded, x, k, out, err);
    /* block by block, every vector: a block's conductances and warm starts stay
     * in cache from one vector to the next; a column that fails on the block
     * path is retried at once, so its next vector starts from its solution */
    const int B = LADDER_BLOCK_COLS < N ? LADDER_BLOCK_COLS : N, nblk = (N + B - 1) / B;
    xb_status st = XB_OK;
    xb_ladder_work *w = l->work;
    for (int blk = 0; blk < nblk && st == XB_OK; blk++) {
        const int j0 = blk * B, nb = j0 + B <= N ? B : N - j0;
        for (size_t b = 0; b < k && st == XB_OK; b++) {
            const double *xb = x + b * (size_t)M;
            xb_ladder_block(l, w, xb, j0, nb, out + b * (size_t)N + j0);
            for (int jj = 0; jj < nb && st == XB_OK; jj++)
                if (w->done[jj] != 1)
                    st = one_column(l, xb, j0 + jj, b, out, NULL, err);
        }
    }
    l->iters += l->work->iters;
    l->work->iters = 0;
    return st;
}

static xb_status ladder_backend_new(xb_solver *s, xb_error *err)
{
    double t0 = xb_clock_now();
    s->state = xb_ladder_new(s->circuit, err);
    if (!s->state)
        return err->code;
    s->stats.t_assemble = xb_clock_now() - t0;
    return XB_OK;
}

static xb_status ladder_backend_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d,
                                      xb_error *err)
{
    return xb_ladder_solve(s->state, v, k, out, d, err);
}

static void ladder_backend_stats(const xb_solver *s, xb_solver_stats *st)
{
    xb_ladder_counts(s->state, &st->n_newton_iters, &st->n_source_steps);
}

static void ladder_backend_free(xb_solver *s)
{
    xb_ladder_free(s->state);
    s->state = NULL;
}

static size_t ladder_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    (void)opt;
    return xb_ladder_bytes(c);
}

/* Reported as "column": to the user it is the column backend. */
const xb_backend_ops xb_ladder_backend = {"column",
                                          ladder_estimate,
                                          ladder_backend_new,
                                          ladder_backend_solve,
                                          ladder_backend_stats,
                                          ladder_backend_free};
