/* noisy_solve.c: xb_solver_solve_group_noisy (xb_solver.h): checks, the
 * solvers without noise as one xb_solver_solve_group, and the noisy ones by
 * their backend's path:
 *
 *   column (linear cells, ideal supply)  column_noise.c: the walk over enabled
 *       rows with the draw inside; about the noiseless sparse walk plus one
 *       draw per enabled cell (see docs/solver.md for the measured ratio).
 *   ideal   out_j = alpha sum_i x_i max(g_ij + sd_ij z_ij, 0) over the rows
 *       with x_i != 0: one draw and one FMA per cell of a nonzero row.
 *   every other backend (cholmod, klu, transfer, newton, the ladders)   per
 *       vector, a copy of the circuit with the drawn conductances, a solver of
 *       the same kind built on it (transfer: cholmod, since one vector does
 *       not pay for extracting T), one solve, free: the cost of xb_solver_new
 *       (a numeric factorization, or a Newton start) per vector. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "read_noise.h"

#define RN_ROWS 4 /* nonzero rows summed per pass over the accumulators */

/* The ideal path for one solver (inputs checked). */
static xb_status noisy_ideal(const xb_solver *s, const xb_read_noise *nz, const double *v, size_t K,
                             const unsigned long long *reads, double *out, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    const xb_ideal_state *st = s->state;
    const int M = c->rows, N = c->cols;
    const double *g = st->g_raw ? st->g_raw : c->g;
    const double alpha = c->topology == XB_TOPO_GATE_INPUT ? c->v_read : 1.0;
    double *acc = malloc((size_t)N * sizeof *acc);
    if (!acc)
        return xb_error_set(err, XB_ENOMEM, "read noise: out of memory for %d columns", N);
    for (size_t k = 0; k < K; k++) {
        const uint64_t seed = xb_rn_seed(nz->key, reads[k]);
        memset(acc, 0, (size_t)N * sizeof *acc);
        int rows[RN_ROWS], nr = 0;
        double xs[RN_ROWS];
        for (int i = 0; i < M; i++) {
            const double x = v[k * M + i];
            if (x != 0.0)
                rows[nr] = i, xs[nr++] = x;
            if (nr == RN_ROWS || (i == M - 1 && nr)) {
                xb_rn_rows_acc(seed, nr, rows, g, nz->sd, N, st->r_access, xs, acc);
                nr = 0;
            }
        }
        for (int j = 0; j < N; j++)
            out[k * N + j] = alpha * acc[j];
    }
    free(acc);
    return XB_OK;
}

/* The generic path for one solver (inputs checked): a perturbed copy and a
 * solver of the same kind per vector.  Gate-input cells of disabled rows are
 * open whatever their conductance: not drawn. */
static xb_status noisy_generic(const xb_solver *s, const xb_read_noise *nz, const double *v, size_t K,
                               const unsigned long long *reads, double *out, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    const int M = c->rows, N = c->cols, gate = c->topology == XB_TOPO_GATE_INPUT;
    xb_solver_options o = s->opt;
    if (o.backend == XB_BACKEND_TRANSFER)
        o.backend = XB_BACKEND_CHOLMOD;
    o.cache = NULL; /* a drawn circuit is never seen again */
    xb_circuit *p = xb_circuit_copy(c, err);
    if (!p)
        return err->code;
    xb_status st = XB_OK;
    for (size_t k = 0; k < K && !st; k++) {
        const uint64_t seed = xb_rn_seed(nz->key, reads[k]);
        for (int i = 0; i < M; i++) {
            const size_t r = (size_t)i * N;
            if (gate && v[k * M + i] == 0.0)
                memcpy(p->g + r, c->g + r, (size_t)N * sizeof *p->g);
            else
                xb_rn_row(seed, r, c->g + r, nz->sd + r, N, 0.0, p->g + r);
        }
        xb_solver *t = xb_solver_new(p, &o, err);
        st = t ? xb_solver_solve(t, v + k * M, 1, out + k * N, NULL, err) : err->code;
        xb_solver_free(t);
    }
    xb_circuit_free(p);
    return st;
}

/* sd of one solver: XB_EINVAL unless every entry is finite and >= 0; *any = 1
 * when one is not zero. */
static xb_status check_sd(const double *sd, size_t mn, int q, int *any, xb_error *err)
{
    int bad = 0, nonzero = 0;
    for (size_t p = 0; p < mn; p++) {
        bad |= !(sd[p] >= 0.0 && sd[p] <= DBL_MAX);
        nonzero |= sd[p] != 0.0;
    }
    if (bad)
        for (size_t p = 0; p < mn; p++)
            if (!(sd[p] >= 0.0 && sd[p] <= DBL_MAX))
                return xb_error_set(err, XB_EINVAL, "read noise %d: sd[%zu] = %g is not a finite sigma >= 0", q, p,
                                    sd[p]);
    *any = nonzero;
    return XB_OK;
}

/* The noisy solvers idx[0..nn) of s, all of s[0]'s backend; seeds has room for nn * K. */
static xb_status solve_noisy(xb_solver *const *s, const xb_read_noise *nz, const int *idx, int nn, const double *v,
                             size_t K, const unsigned long long *reads, double *const *out, xb_solver_work *w,
                             uint64_t *seeds, xb_error *err)
{
    if (s[idx[0]]->ops == &xb_column_backend) { /* the scan of the inputs checks them */
        const column_model **m = malloc((size_t)nn * (sizeof *m + 3 * sizeof(double *) + sizeof(double)));
        if (!m)
            return xb_error_set(err, XB_ENOMEM, "read noise: out of memory for %d solvers", nn);
        const double **g = (const double **)(m + nn), **sd = g + nn;
        double **o = (double **)(sd + nn), *ra = (double *)(o + nn);
        for (int a = 0; a < nn; a++) {
            const int q = idx[a];
            m[a] = s[q]->state;
            g[a] = s[q]->circuit->g;
            sd[a] = nz[q].sd;
            ra[a] = s[q]->circuit->r_access;
            o[a] = out[q];
            for (size_t k = 0; k < K; k++)
                seeds[(size_t)a * K + k] = xb_rn_seed(nz[q].key, reads[k]);
        }
        xb_status st = xb_column_solve_noisy(m, g, sd, ra, nn, v, K, seeds, o, w, err);
        free(m);
        if (st == XB_EINVAL) /* name the entry */
            return xb_circuit_check_inputs(s[idx[0]]->circuit, v, K, err);
        return st;
    }
    xb_status st = xb_circuit_check_inputs(s[idx[0]]->circuit, v, K, err);
    for (int a = 0; a < nn && !st; a++) {
        const int q = idx[a];
        st = s[q]->ops == &xb_ideal_backend ? noisy_ideal(s[q], &nz[q], v, K, reads, out[q], err)
                                            : noisy_generic(s[q], &nz[q], v, K, reads, out[q], err);
    }
    return st;
}

/* The arguments, as xb_solver_solve_group checks them, and each sd. */
static xb_status check_args(xb_solver *const *s, const xb_read_noise *nz, int n, const double *v, size_t k,
                            const unsigned long long *reads, double *const *out, int *noisy, xb_error *err)
{
    if (!s || n < 1 || (!v && k) || !out || (!reads && k))
        return xb_error_set(err, XB_EINVAL, "solve group noisy: NULL argument (solvers, v, reads or out) or n = %d",
                            n);
    for (int q = 0; q < n; q++) {
        if (!s[q] || (!out[q] && k))
            return xb_error_set(err, XB_EINVAL, "solve group noisy: solver or output %d is NULL", q);
        if (s[q]->ops != s[0]->ops || s[q]->circuit->rows != s[0]->circuit->rows ||
            s[q]->circuit->topology != s[0]->circuit->topology)
            return xb_error_set(err, XB_EINVAL,
                                "solve group noisy: solver %d (%s, %d rows) differs from solver 0 (%s, %d rows)", q,
                                s[q]->ops->name, s[q]->circuit->rows, s[0]->ops->name, s[0]->circuit->rows);
        noisy[q] = 0;
        if (nz && nz[q].sd) {
            xb_status st = check_sd(nz[q].sd, (size_t)s[q]->circuit->rows * s[q]->circuit->cols, q, &noisy[q], err);
            if (st)
                return st;
        }
    }
    return XB_OK;
}

xb_status xb_solver_solve_group_noisy(xb_solver *const *s, const xb_read_noise *nz, int n, const double *v,
                                      size_t k, const unsigned long long *reads, double *const *out,
                                      xb_solver_work *w, xb_error *err)
{
    xb_error scratch; /* so that err->code can be read even when the caller gave none */
    if (!err)
        err = &scratch;
    int *noisy = n > 0 ? malloc((size_t)n * 2 * sizeof *noisy) : NULL;
    if (n > 0 && !noisy)
        return xb_error_set(err, XB_ENOMEM, "solve group noisy: out of memory");
    xb_status st = check_args(s, nz, n, v, k, reads, out, noisy, err);
    int *idx = noisy + n, nn = 0, nq = 0;
    for (int q = 0; q < n && !st; q++)
        nn += noisy[q];
    if (!st && nn < n) { /* the solvers without noise: the bits of xb_solver_solve_group */
        xb_solver **sq = malloc((size_t)(n - nn) * (sizeof *sq + sizeof(double *)));
        double **oq = (double **)(sq + (n - nn));
        if (!sq)
            st = xb_error_set(err, XB_ENOMEM, "solve group noisy: out of memory");
        for (int q = 0; q < n && sq; q++)
            if (!noisy[q])
                sq[nq] = s[q], oq[nq++] = out[q];
        if (sq)
            st = xb_solver_solve_group(sq, nq, v, k, oq, w, err);
        free(sq);
    }
    if (!st && nn && k) {
        uint64_t *seeds = malloc((size_t)nn * k * sizeof *seeds);
        for (int q = 0, a = 0; q < n; q++)
            if (noisy[q])
                idx[a++] = q;
        st = seeds ? solve_noisy(s, nz, idx, nn, v, k, reads, out, w, seeds, err)
                   : xb_error_set(err, XB_ENOMEM, "solve group noisy: out of memory for %zu vectors", k);
        free(seeds);
    }
    free(noisy);
    return st;
}
