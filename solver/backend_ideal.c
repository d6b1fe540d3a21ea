/* backend_ideal.c: the ideal product, for circuits without parasitics.
 *
 * With every wire, driver and sense resistance zero each cell sees its full
 * input, so out = alpha v G (alpha = V_read for gate-input bits, 1 for volts):
 * one GEMM (gemm.c), exact to the rounding of the product. */
#include <stdlib.h>
#include <string.h>

#include "read_noise.h"

static xb_status ideal_new(xb_solver *s, xb_error *err)
{
    xb_circuit *c = s->circuit;
    double t0 = xb_clock_now();
    /* The raw conductances stay for read noise (read_noise.h), which perturbs
     * them before the access resistance folds in. */
    xb_ideal_state *st = calloc(1, sizeof *st);
    const size_t mn = (size_t)c->rows * c->cols;
    if (st && c->r_access != 0.0 && (st->g_raw = malloc(mn * sizeof *st->g_raw)))
        memcpy(st->g_raw, c->g, mn * sizeof *st->g_raw);
    s->state = st;
    if (!st || (c->r_access != 0.0 && !st->g_raw))
        return xb_error_set(err, XB_ENOMEM, "ideal backend: out of memory for %d x %d", c->rows, c->cols);
    st->r_access = c->r_access;
    /* Fold the access resistance into the cell conductances once. */
    for (int i = 0; i < c->rows; i++)
        for (int j = 0; j < c->cols; j++)
            c->g[(size_t)i * c->cols + j] = xb_circuit_cell_g(c, i, j);
    c->r_access = 0.0;
    s->stats.t_assemble = xb_clock_now() - t0;
    return XB_OK;
}

static xb_status ideal_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    const int M = c->rows, N = c->cols;
    double alpha = c->topology == XB_TOPO_GATE_INPUT ? c->v_read : 1.0;
    /* out (K x N) = alpha * v (K x M) * G (M x N) */
    xb_gemm(k, M, N, alpha, v, c->g, out);
    if (!d)
        return XB_OK;
    for (size_t b = 0; b < k; b++)
        for (int i = 0; i < M; i++) {
            double x = v[b * M + i];
            double vr = c->topology == XB_TOPO_GATE_INPUT ? (x != 0.0 ? c->v_read : 0.0) : x;
            double src = 0;
            for (int j = 0; j < N; j++) {
                size_t p = b * (size_t)M * N + (size_t)i * N + j;
                double ic = c->g[(size_t)i * N + j] * vr;
                if (d->v_row)
                    d->v_row[p] = vr;
                if (d->v_col)
                    d->v_col[p] = 0.0;
                if (d->i_cell)
                    d->i_cell[p] = ic;
                src += ic;
            }
            if (d->i_src)
                d->i_src[b * M + i] = src;
        }
    return XB_OK;
}

static void ideal_free(xb_solver *s)
{
    xb_ideal_state *st = s->state;
    if (st)
        free(st->g_raw);
    free(st);
    s->state = NULL;
}

/* The circuit's copy and the folded conductances (and the raw ones with an
 * access resistance). */
static size_t ideal_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    return (c->r_access != 0.0 ? 3 : 2) * (size_t)c->rows * c->cols * sizeof(double);
}

const xb_backend_ops xb_ideal_backend = {"ideal", ideal_estimate, ideal_new, ideal_solve, NULL, ideal_free};
