/* random_suite.c: random circuits checked against ngspice. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xb_base.h"
#include "xb_solver.h"
#include "xb_validation.h"

/* Value ranges of the suite. */
#define G_MIN 1e-6        /* siemens */
#define G_MAX 1e-4        /* siemens */
#define R_WIRE_MAX 10.0   /* ohms per segment */
#define R_TERM_MAX 1000.0 /* ohms, driver and sense */
#define R_ACCESS_MAX 1e4  /* ohms: a few kilohm is a typical access on-resistance */
#define V_IN_MAX 1.0      /* volts, input-source */
#define V_READ_MIN 0.05   /* volts, gate-input */
#define V_READ_MAX 0.5

static const int thin_shapes[][2] = {{1, 1}, {1, 64}, {64, 1}, {37, 5}, {5, 37}};
#define N_THIN ((int)(sizeof thin_shapes / sizeof thin_shapes[0]))

void xb_validate_options_init(xb_validate_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->count = 1000;
    opt->max_size = 128;
    opt->seed = 1;
    opt->tol = 1e-9;
}

static int clampi(int v, int hi) { return v > hi ? hi : v; }
static int uniform_int(gsl_rng *r, int lo, int hi) { return lo + (int)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1)); }

/* A handful of large squares at fixed positions of the suite (after the thin
 * shapes): count/200 at 64^2 and count/400 at 128^2. */
static int large_side(int index, int count)
{
    int n64 = count / 200, n128 = count / 400;
    int k = index - N_THIN;
    if (k < 0)
        return 0;
    if (k < n128)
        return 128;
    if (k < n128 + n64)
        return 64;
    return 0;
}

static double wire(gsl_rng *r, double max)
{
    /* One in five wires is an ideal (zero) wire. */
    return gsl_rng_uniform(r) < 0.2 ? 0.0 : max * gsl_rng_uniform(r);
}

static int fill_segments(gsl_rng *r, double **seg, size_t n, double *uniform, double max)
{
    if (gsl_rng_uniform(r) < 0.5) {
        *uniform = wire(r, max);
        return 0;
    }
    double *a = malloc(n * sizeof *a);
    if (!a)
        return -1;
    for (size_t k = 0; k < n; k++)
        a[k] = wire(r, max);
    *seg = a;
    *uniform = 0;
    return 0;
}

xb_circuit *xb_validate_random_circuit(unsigned long seed, int index, int count, int max_size, double **v,
                                       xb_error *err)
{
    *v = NULL;
    if (max_size < 1) {
        xb_error_set(err, XB_EINVAL, "max_size = %d: must be >= 1", max_size);
        return NULL;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        xb_error_set(err, XB_ENOMEM, "validation: out of memory for the random generator");
        return NULL;
    }
    gsl_rng_set(r, seed * 1000003UL + (unsigned long)index);
    int M, N, big = large_side(index, count);
    if (index < N_THIN) {
        M = clampi(thin_shapes[index][0], max_size);
        N = clampi(thin_shapes[index][1], max_size);
    } else if (big && big <= max_size) {
        M = N = big;
    } else {
        double u = gsl_rng_uniform(r);
        int hi = u < 0.55 ? 8 : u < 0.85 ? 16 : u < 0.97 ? 32 : 48;
        hi = clampi(hi, max_size);
        M = uniform_int(r, 1, hi);
        N = uniform_int(r, 1, hi);
    }
    xb_circuit *c = xb_circuit_new(M, N, err);
    double *vin = malloc((size_t)M * sizeof *vin);
    if (!c || !vin) {
        if (c)
            xb_error_set(err, XB_ENOMEM, "validation: out of memory");
        xb_circuit_free(c);
        free(vin);
        gsl_rng_free(r);
        return NULL;
    }
    size_t mn = (size_t)M * N;
    c->topology = gsl_rng_uniform(r) < 0.5 ? XB_TOPO_INPUT_SOURCE : XB_TOPO_GATE_INPUT;
    for (size_t k = 0; k < mn; k++)
        c->g[k] = G_MIN + (G_MAX - G_MIN) * gsl_rng_uniform(r);
    if (gsl_rng_uniform(r) < 0.5)
        c->r_access = R_ACCESS_MAX * gsl_rng_uniform(r);
    int fail = 0;
    if (c->topology == XB_TOPO_INPUT_SOURCE) {
        fail |= fill_segments(r, &c->r_row_seg, mn, &c->r_row, R_WIRE_MAX);
        fail |= fill_segments(r, &c->r_drv_row, (size_t)M, &c->r_drv, R_TERM_MAX);
        for (int i = 0; i < M; i++)
            vin[i] = V_IN_MAX * (2 * gsl_rng_uniform(r) - 1);
    } else {
        c->v_read = V_READ_MIN + (V_READ_MAX - V_READ_MIN) * gsl_rng_uniform(r);
        int any = 0;
        for (int i = 0; i < M; i++) {
            vin[i] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
            any |= vin[i] != 0;
        }
        if (!any)
            vin[uniform_int(r, 0, M - 1)] = 1.0; /* an all-off vector compares zeros */
    }
    fail |= fill_segments(r, &c->r_col_seg, mn, &c->r_col, R_WIRE_MAX);
    fail |= fill_segments(r, &c->r_sense_col, (size_t)N, &c->r_sense, R_TERM_MAX);
    gsl_rng_free(r);
    if (fail) {
        xb_circuit_free(c);
        free(vin);
        xb_error_set(err, XB_ENOMEM, "validation: out of memory");
        return NULL;
    }
    *v = vin;
    return c;
}

xb_circuit *xb_validate_random_nonlinear(unsigned long seed, int index, int count, int max_size, double **v,
                                         xb_error *err)
{
    xb_circuit *c = xb_validate_random_circuit(seed, index, count, max_size, v, err);
    if (!c)
        return NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        xb_circuit_free(c);
        free(*v);
        *v = NULL;
        xb_error_set(err, XB_ENOMEM, "validation: out of memory");
        return NULL;
    }
    gsl_rng_set(r, seed * 2000003UL + (unsigned long)index + 17);
    double u = gsl_rng_uniform(r);
    int nmos = u < 0.67, sinh_cell = u >= 0.33;
    if (nmos) {
        c->access = XB_ACCESS_NMOS;
        c->r_access = 0;
        c->nmos.kp = 1e-4 + 9e-4 * gsl_rng_uniform(r);
        c->nmos.vto = 0.2 + 0.4 * gsl_rng_uniform(r);
        c->nmos.lambda = 0.1 * gsl_rng_uniform(r);
        c->nmos.w = 0.5e-6 + 1.5e-6 * gsl_rng_uniform(r);
        c->nmos.l = 0.5e-6 + 1.5e-6 * gsl_rng_uniform(r);
        c->nmos.v_gate = 0.9 + 0.9 * gsl_rng_uniform(r);
    }
    if (sinh_cell) {
        c->cell = XB_CELL_SINH;
        c->sinh_v0 = 0.1 + 0.4 * gsl_rng_uniform(r);
    }
    if (c->topology == XB_TOPO_GATE_INPUT)
        c->v_read = 0.2 + 0.8 * gsl_rng_uniform(r);
    gsl_rng_free(r);
    return c;
}

static xb_status solve_with(const xb_circuit *c, const double *v, xb_backend b, double *out, xb_error *err)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = b;
    xb_solver *s = xb_solver_new(c, &opt, err);
    if (!s)
        return err->code;
    xb_status st = xb_solver_solve(s, v, 1, out, NULL, err);
    xb_solver_free(s);
    return st;
}

xb_status xb_validate_random(const xb_validate_options *opt, xb_validate_report *rep, xb_error *err)
{
    xb_validate_options defaults;
    if (!opt) {
        xb_validate_options_init(&defaults);
        opt = &defaults;
    }
    if (opt->count < 1)
        return xb_error_set(err, XB_EINVAL, "count = %d: must be >= 1", opt->count);
    if (opt->max_size < 1)
        return xb_error_set(err, XB_EINVAL, "max_size = %d: must be >= 1", opt->max_size);
    memset(rep, 0, sizeof *rep);
    static const int edges[XB_VALIDATE_BUCKETS] = {1, 4, 8, 16, 32, 48, 64, 128};
    for (int b = 0; b < XB_VALIDATE_BUCKETS; b++)
        rep->bucket[b].max_side = edges[b];
    rep->worst_index = -1;
    xb_spice *sp = xb_spice_open(err);
    if (!sp)
        return err->code;
    xb_status st = XB_OK;
    for (int idx = 0; idx < opt->count && !st; idx++) {
        double *v = NULL;
        xb_circuit *c = opt->nonlinear
                            ? xb_validate_random_nonlinear(opt->seed, idx, opt->count, opt->max_size, &v, err)
                            : xb_validate_random_circuit(opt->seed, idx, opt->count, opt->max_size, &v, err);
        if (!c) {
            st = err->code;
            break;
        }
        int N = c->cols;
        double *ref = malloc(4 * (size_t)N * sizeof *ref);
        if (!ref) {
            xb_circuit_free(c);
            free(v);
            st = xb_error_set(err, XB_ENOMEM, "validation: out of memory");
            break;
        }
        double *chol = ref + N, *klu = ref + 2 * N, *fast = ref + 3 * N;
        double t0 = xb_clock_now();
        st = xb_spice_solve(sp, c, v, ref, err);
        double t1 = xb_clock_now();
        if (!st)
            st = solve_with(c, v, opt->nonlinear ? XB_BACKEND_NEWTON : XB_BACKEND_CHOLMOD, chol, err);
        double t2 = xb_clock_now();
        if (opt->nonlinear) { /* one nonlinear path: compare it three times */
            memcpy(klu, chol, (size_t)N * sizeof *klu);
            memcpy(fast, chol, (size_t)N * sizeof *fast);
        } else {
            if (!st)
                st = solve_with(c, v, XB_BACKEND_KLU, klu, err);
            if (!st)
                st = solve_with(c, v, c->topology == XB_TOPO_GATE_INPUT ? XB_BACKEND_COLUMN : XB_BACKEND_TRANSFER,
                                fast, err);
        }
        if (st) {
            xb_error_prefix(err, "circuit %d (%d x %d, %s)", idx, c->rows, N, xb_topology_name(c->topology));
        } else {
            double e1 = xb_max_rel_err(chol, ref, N), e2 = xb_max_rel_err(klu, ref, N);
            double e3 = xb_max_rel_err(fast, ref, N);
            double e = isnan(e1) || e1 > e2 ? e1 : e2;
            if (isnan(e3) || e3 > e)
                e = e3;
            double ekc = xb_max_rel_err(klu, chol, N), efc = xb_max_rel_err(fast, chol, N);
            if (ekc > rep->max_rel_err_klu_vs_cholmod || isnan(ekc))
                rep->max_rel_err_klu_vs_cholmod = ekc;
            if (efc > rep->max_rel_err_fast_vs_cholmod || isnan(efc))
                rep->max_rel_err_fast_vs_cholmod = efc;
            if (!(e <= rep->max_rel_err)) {
                rep->max_rel_err = e;
                rep->worst_index = idx;
            }
            if (!(e <= opt->tol))
                rep->n_above_tol++;
            int side = c->rows > N ? c->rows : N;
            int b = 0;
            while (b < XB_VALIDATE_BUCKETS - 1 && side > edges[b])
                b++;
            xb_validate_bucket *bk = &rep->bucket[b];
            bk->count++;
            if (!(e <= bk->max_rel_err))
                bk->max_rel_err = e;
            bk->t_spice += t1 - t0;
            bk->t_xbar += t2 - t1;
            rep->t_spice += t1 - t0;
            rep->t_xbar += t2 - t1;
            rep->count++;
            if (opt->progress)
                opt->progress(opt->progress_ctx, idx + 1, opt->count, c->rows, N, e);
        }
        free(ref);
        free(v);
        xb_circuit_free(c);
    }
    xb_spice_close(sp);
    return st;
}
