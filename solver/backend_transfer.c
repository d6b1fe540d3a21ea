/* backend_transfer.c: input-source arrays as their transfer matrix.
 *
 * Linear cells make the column currents linear in the row voltages, I = v T,
 * with T the M x N transfer matrix of the array with its parasitics.  T is
 * extracted once, with M unit-vector solves on one CHOLMOD factorization (the
 * nodal path, refinement included), or copied from a cache of identical
 * circuits; every batch of vectors is then one GEMM.  Node voltages
 * (xb_solution) still come from the nodal path. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* T = the currents for unit inputs: row i of T is the solve of e_i.  Blocks of
 * unit vectors share the factorization and the refinement of the nodal path. */
static xb_status extract(xb_solver *s, xb_error *err)
{
    const int M = s->circuit->rows, N = s->circuit->cols;
    int kb = xb_nodal_rhs_block(s);
    double *eye = calloc((size_t)kb * M, sizeof *eye);
    if (!eye)
        return xb_error_set(err, XB_ENOMEM, "transfer: out of memory");
    xb_status st = XB_OK;
    for (int i0 = 0; i0 < M && !st; i0 += kb) {
        int nb = M - i0 < kb ? M - i0 : kb;
        memset(eye, 0, (size_t)kb * M * sizeof *eye);
        for (int q = 0; q < nb; q++)
            eye[(size_t)q * M + i0 + q] = 1.0;
        st = xb_nodal_solve(s, eye, (size_t)nb, s->transfer + (size_t)i0 * N, NULL, err);
    }
    free(eye);
    return st;
}

static xb_status transfer_new(xb_solver *s, xb_error *err)
{
    const int M = s->circuit->rows, N = s->circuit->cols;
    xb_status st = xb_nodal_new(s, &xb_cholmod_factor, err);
    if (st)
        return st;
    double t0 = xb_clock_now();
    s->transfer = malloc((size_t)M * N * sizeof *s->transfer);
    if (!s->transfer)
        return xb_error_set(err, XB_ENOMEM, "transfer: out of memory for a %d x %d matrix", N, M);
    unsigned long long h = s->opt.cache ? xb_circuit_hash(s->circuit) : 0;
    if (s->opt.cache && xb_tcache_get(s->opt.cache, h, M, N, s->transfer)) {
        s->stats.transfer_cached = 1;
    } else {
        if ((st = extract(s, err)))
            return st;
        if (s->opt.cache)
            xb_tcache_put(s->opt.cache, h, M, N, s->transfer);
    }
    s->stats.t_transfer = xb_clock_now() - t0;
    return XB_OK;
}

static xb_status transfer_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d,
                                xb_error *err)
{
    if (d) /* node voltages need the nodal solve */
        return xb_nodal_solve(s, v, k, out, d, err);
    xb_gemm(k, s->circuit->rows, s->circuit->cols, 1.0, v, s->transfer, out);
    return XB_OK;
}

static void transfer_free(xb_solver *s)
{
    xb_nodal_free(s);
    free(s->transfer);
    s->transfer = NULL;
}

/* The assembly, plus T itself. */
static size_t transfer_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    return xb_estimate_assembly_bytes(c->rows, c->cols) + (size_t)c->rows * c->cols * sizeof(double);
}

const xb_backend_ops xb_transfer_backend = {"transfer",     transfer_estimate, transfer_new,
                                            transfer_solve, xb_nodal_stats,    transfer_free};
