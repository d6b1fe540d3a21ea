/* Read noise (xb_solver_solve_group_noisy, xb_read_normal): the generator's
 * statistics; the fast paths (column, ideal) against the generic fallback
 * (CHOLMOD on a drawn copy) and against a drawn circuit built here from
 * xb_read_normal; zero noise gives the noiseless bits; the same bits for any
 * batch split, order and thread; bad arguments are refused with a message. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_solver.h"
#include "xb_test.h"
#include "xb_threads.h"

/* ---- the generator ------------------------------------------------------------- */

/* Mean, variance, fourth moment, tails and the distribution function of 1e6
 * draws (1000 reads x 1000 cells), each against its sampling error (5 sigma),
 * and the correlation of neighbouring cells, reads and keys. */
static void test_generator(void)
{
    enum { R = 1000, C = 1000 };
    const double n = (double)R * C;
    const double xs[] = {-2.0, -1.0, -0.3, 0.0, 0.5, 1.5, 2.5};
    double s1 = 0, s2 = 0, s4 = 0, t3 = 0, t4 = 0, cc = 0, cr = 0, ck = 0, below[7] = {0};
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            const double z = xb_read_normal(12345, (unsigned long long)r, (unsigned long long)c);
            s1 += z, s2 += z * z, s4 += z * z * z * z;
            t3 += fabs(z) > 3.0, t4 += fabs(z) > 4.0;
            for (int q = 0; q < 7; q++)
                below[q] += z < xs[q];
            cc += z * xb_read_normal(12345, (unsigned long long)r, (unsigned long long)c + 1);
            cr += z * xb_read_normal(12345, (unsigned long long)r + 1, (unsigned long long)c);
            ck += z * xb_read_normal(12346, (unsigned long long)r, (unsigned long long)c);
        }
    const double mean = s1 / n, var = s2 / n - mean * mean;
    XB_CHECK_MSG(fabs(mean) < 5 / sqrt(n), "mean %g", mean);
    XB_CHECK_MSG(fabs(var - 1) < 5 * sqrt(2 / n), "variance %g", var);
    XB_CHECK_MSG(fabs(s4 / n - 3) < 5 * sqrt(96 / n), "E Z^4 %g", s4 / n);
    const double p3 = 0.0026997960632601866, p4 = 6.3342483666239957e-05; /* erfc(3/sqrt 2), erfc(4/sqrt 2) */
    XB_CHECK_MSG(fabs(t3 / n - p3) < 5 * sqrt(p3 * (1 - p3) / n), "P(|Z|>3) %g vs %g", t3 / n, p3);
    XB_CHECK_MSG(fabs(t4 / n - p4) < 5 * sqrt(p4 * (1 - p4) / n), "P(|Z|>4) %g vs %g", t4 / n, p4);
    for (int q = 0; q < 7; q++) {
        const double p = 0.5 * erfc(-xs[q] / sqrt(2.0));
        XB_CHECK_MSG(fabs(below[q] / n - p) < 5 * sqrt(p * (1 - p) / n), "P(Z<%g) %g vs %g", xs[q], below[q] / n, p);
    }
    XB_CHECK_MSG(fabs(cc / n) < 5 / sqrt(n), "neighbouring cells correlate: %g", cc / n);
    XB_CHECK_MSG(fabs(cr / n) < 5 / sqrt(n), "neighbouring reads correlate: %g", cr / n);
    XB_CHECK_MSG(fabs(ck / n) < 5 / sqrt(n), "neighbouring keys correlate: %g", ck / n);
    /* a pure function: the same arguments, the same bits */
    const double a = xb_read_normal(9, 8, 7), b = xb_read_normal(9, 8, 7);
    XB_CHECK(!memcmp(&a, &b, sizeof a));
    XB_CHECK(xb_read_normal(9, 8, 7) != xb_read_normal(9, 8, 6));
}

/* ---- circuits ------------------------------------------------------------------ */

typedef struct {
    double rwire, rsense, raccess;
    int per_segment;
} wires;

static xb_circuit *make_circuit(gsl_rng *r, int M, int N, xb_topology topo, wires wi)
{
    xb_circuit *c = xb_circuit_new(M, N, NULL);
    if (!c)
        return NULL;
    c->topology = topo;
    c->v_read = 0.2;
    for (int q = 0; q < M * N; q++)
        c->g[q] = 1e-6 + 99e-6 * gsl_rng_uniform(r);
    c->r_access = wi.raccess;
    c->r_col = wi.rwire;
    c->r_sense = wi.rsense;
    if (topo == XB_TOPO_INPUT_SOURCE)
        c->r_row = wi.rwire, c->r_drv = wi.rsense;
    if (wi.per_segment) {
        xb_circuit_use_col_segments(c, NULL);
        for (int q = 0; q < M * N; q++)
            c->r_col_seg[q] = 2 * wi.rwire * gsl_rng_uniform(r);
    }
    return c;
}

static xb_solver *make_solver(const xb_circuit *c, xb_backend b)
{
    xb_solver_options o;
    xb_solver_options_init(&o);
    o.backend = b;
    xb_error err = {0};
    xb_solver *s = xb_solver_new(c, &o, &err);
    XB_CHECK_MSG(s != NULL, "%s: %s", xb_backend_name(b), err.msg);
    return s;
}

/* K vectors: bits of every density from empty to full (gate-input), or volts
 * with some rows at zero (input-source). */
static double *make_inputs(gsl_rng *r, int M, size_t K, xb_topology topo)
{
    double *v = malloc(K * (size_t)M * sizeof *v);
    for (size_t k = 0; k < K; k++) {
        const double dens = (double)(k % 6) / 5.0;
        for (int i = 0; i < M; i++) {
            const int on = gsl_rng_uniform(r) < dens;
            v[k * M + i] = topo == XB_TOPO_GATE_INPUT ? on : on ? 0.3 * gsl_rng_uniform(r) - 0.1 : 0.0;
        }
    }
    return v;
}

static double *make_sd(gsl_rng *r, const xb_circuit *c, double frac)
{
    const size_t mn = (size_t)c->rows * c->cols;
    double *sd = malloc(mn * sizeof *sd);
    for (size_t q = 0; q < mn; q++) /* some cells without noise, some whose draw clips at 0 */
        sd[q] = q % 7 == 3 ? 0.0 : q % 11 == 5 ? 2.0 * c->g[q] : frac * c->g[q] * gsl_rng_uniform(r);
    return sd;
}

/* max over vectors of max_j |a - b| / max_j |b| */
static double max_rel(const double *a, const double *b, size_t K, int N)
{
    double worst = 0;
    for (size_t k = 0; k < K; k++) {
        double d = 0, s = 0;
        for (int j = 0; j < N; j++) {
            d = fmax(d, fabs(a[k * N + j] - b[k * N + j]));
            s = fmax(s, fabs(b[k * N + j]));
        }
        worst = fmax(worst, s > 0 ? d / s : d > 0 ? INFINITY : 0);
    }
    return worst;
}

static xb_status noisy1(xb_solver *s, const double *sd, unsigned long long key, const double *v, size_t K,
                        const unsigned long long *reads, double *out, xb_error *err)
{
    xb_read_noise nz = {sd, key};
    return xb_solver_solve_group_noisy(&s, &nz, 1, v, K, reads, &out, NULL, err);
}

/* The fast path of backend `fast` against CHOLMOD's fallback on the same
 * circuit, key and reads, and against a drawn circuit solved plainly. */
static void check_paths(gsl_rng *r, int M, int N, xb_topology topo, wires wi, xb_backend fast, const char *what)
{
    enum { K = 24 };
    xb_error err = {0};
    xb_circuit *c = make_circuit(r, M, N, topo, wi);
    double *v = make_inputs(r, M, K, topo), *sd = make_sd(r, c, 0.3);
    unsigned long long reads[K];
    for (int k = 0; k < K; k++)
        reads[k] = 1000003ULL * (unsigned long long)k + 17;
    double *a = malloc(3 * (size_t)K * N * sizeof *a), *b = a + (size_t)K * N, *ref = b + (size_t)K * N;
    xb_solver *sf = make_solver(c, fast), *sc = make_solver(c, XB_BACKEND_CHOLMOD);
    if (!sf || !sc)
        goto done;
    XB_CHECK_MSG(noisy1(sf, sd, 77, v, K, reads, a, &err) == XB_OK, "%s: %s", what, err.msg);
    XB_CHECK_MSG(noisy1(sc, sd, 77, v, K, reads, b, &err) == XB_OK, "%s: %s", what, err.msg);
    double e = max_rel(a, b, K, N);
    XB_CHECK_MSG(e < 1e-10, "%s: %s vs cholmod fallback: %.3g", what, xb_backend_name(fast), e);
    /* the reference: each vector's circuit drawn here, solved by a plain solver */
    xb_circuit *p = xb_circuit_copy(c, &err);
    for (int k = 0; k < K && p; k++) {
        for (int q = 0; q < M * N; q++)
            p->g[q] = fmax(fma(sd[q], xb_read_normal(77, reads[k], (unsigned long long)q), c->g[q]), 0.0);
        xb_solver *t = make_solver(p, XB_BACKEND_CHOLMOD);
        XB_CHECK(t && xb_solver_solve(t, v + (size_t)k * M, 1, ref + (size_t)k * N, NULL, &err) == XB_OK);
        xb_solver_free(t);
    }
    xb_circuit_free(p);
    e = max_rel(a, ref, K, N);
    XB_CHECK_MSG(e < 1e-10, "%s: %s vs the drawn circuit: %.3g", what, xb_backend_name(fast), e);
    /* the noise is there: the noisy currents differ from the noiseless ones */
    XB_CHECK(xb_solver_solve(sf, v, K, b, NULL, &err) == XB_OK);
    XB_CHECK_MSG(max_rel(a, b, K, N) > 1e-3, "%s: no noise seen", what);
done:
    xb_solver_free(sf);
    xb_solver_free(sc);
    xb_circuit_free(c);
    free(v);
    free(sd);
    free(a);
}

static void test_paths(gsl_rng *r)
{
    const wires ideal = {0, 0, 0, 0}, wired = {2.0, 50.0, 0, 0}, access = {1.0, 20.0, 3000.0, 0};
    const wires seg = {3.0, 40.0, 0, 1}, ideal_access = {0, 0, 3000.0, 0};
    check_paths(r, 40, 30, XB_TOPO_GATE_INPUT, ideal, XB_BACKEND_COLUMN, "gate-input, ideal wires");
    check_paths(r, 40, 30, XB_TOPO_GATE_INPUT, ideal, XB_BACKEND_IDEAL, "gate-input, ideal wires");
    check_paths(r, 40, 30, XB_TOPO_GATE_INPUT, ideal_access, XB_BACKEND_IDEAL, "gate-input, access resistance");
    check_paths(r, 33, 50, XB_TOPO_INPUT_SOURCE, ideal, XB_BACKEND_IDEAL, "input-source, ideal wires");
    check_paths(r, 70, 53, XB_TOPO_GATE_INPUT, wired, XB_BACKEND_COLUMN, "gate-input, uniform wires");
    check_paths(r, 70, 26, XB_TOPO_GATE_INPUT, access, XB_BACKEND_COLUMN, "gate-input, wires and access");
    check_paths(r, 50, 49, XB_TOPO_GATE_INPUT, seg, XB_BACKEND_COLUMN, "gate-input, per-segment wires");
    check_paths(r, 20, 12, XB_TOPO_INPUT_SOURCE, wired, XB_BACKEND_TRANSFER, "input-source, transfer");
    check_paths(r, 20, 12, XB_TOPO_INPUT_SOURCE, wired, XB_BACKEND_KLU, "input-source, klu");
}

/* One enabled row, ideal wires: every current is V_read times one drawn
 * conductance, so the fast paths' draws (vectorized) must be the bits of
 * xb_read_normal (scalar). */
static void test_draw_bits(gsl_rng *r)
{
    enum { M = 9, N = 37, K = M };
    const xb_backend bs[] = {XB_BACKEND_IDEAL, XB_BACKEND_COLUMN};
    xb_error err = {0};
    const wires none = {0, 0, 0, 0};
    xb_circuit *c = make_circuit(r, M, N, XB_TOPO_GATE_INPUT, none);
    double *sd = make_sd(r, c, 0.5), v[K * M] = {0};
    static double out[K * N];
    unsigned long long reads[K];
    for (int k = 0; k < K; k++)
        v[k * M + k] = 1.0, reads[k] = 99 + (unsigned long long)k * k;
    for (size_t t = 0; t < 2; t++) {
        xb_solver *s = make_solver(c, bs[t]);
        if (!s || noisy1(s, sd, 4242, v, K, reads, out, &err) != XB_OK) {
            XB_CHECK_MSG(0, "%s", err.msg);
            xb_solver_free(s);
            continue;
        }
        int same = 1;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) {
                const int q = k * N + j;
                const double z = xb_read_normal(4242, reads[k], (unsigned long long)q);
                const double want = c->v_read * fmax(fma(sd[q], z, c->g[q]), 0.0);
                same &= !memcmp(&want, &out[k * N + j], sizeof want);
            }
        XB_CHECK_MSG(same, "%s: the drawn conductances are not xb_read_normal's", xb_backend_name(bs[t]));
        xb_solver_free(s);
    }
    xb_circuit_free(c);
    free(sd);
}

/* ---- zero noise, batches, order, threads ---------------------------------------- */

/* sd zero everywhere, an sd of NULL and nz NULL: the bits of xb_solver_solve_group. */
static void test_zero(gsl_rng *r)
{
    enum { M = 36, N = 20, K = 12 };
    const xb_backend bs[] = {XB_BACKEND_IDEAL, XB_BACKEND_COLUMN, XB_BACKEND_CHOLMOD, XB_BACKEND_TRANSFER};
    xb_error err = {0};
    for (size_t t = 0; t < sizeof bs / sizeof bs[0]; t++) {
        const xb_topology topo = bs[t] == XB_BACKEND_TRANSFER ? XB_TOPO_INPUT_SOURCE : XB_TOPO_GATE_INPUT;
        const wires wi = {bs[t] == XB_BACKEND_IDEAL ? 0.0 : 1.5, bs[t] == XB_BACKEND_IDEAL ? 0.0 : 30.0, 0, 0};
        xb_circuit *c = make_circuit(r, M, N, topo, wi);
        double *v = make_inputs(r, M, K, topo), *zero = calloc((size_t)M * N, sizeof *zero);
        static double want[K * N], got[K * N];
        unsigned long long reads[K];
        for (int k = 0; k < K; k++)
            reads[k] = (unsigned long long)k;
        xb_solver *s = make_solver(c, bs[t]);
        double *o = want, *g = got;
        if (s) {
            XB_CHECK(xb_solver_solve_group(&s, 1, v, K, &o, NULL, &err) == XB_OK);
            xb_read_noise nz = {zero, 5};
            memset(got, 0xff, sizeof got);
            XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, K, reads, &g, NULL, &err) == XB_OK);
            XB_CHECK_MSG(!memcmp(want, got, sizeof got), "%s: sd = 0 changed the bits", xb_backend_name(bs[t]));
            nz.sd = NULL;
            memset(got, 0xff, sizeof got);
            XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, K, reads, &g, NULL, &err) == XB_OK);
            XB_CHECK(!memcmp(want, got, sizeof got));
            memset(got, 0xff, sizeof got);
            XB_CHECK(xb_solver_solve_group_noisy(&s, NULL, 1, v, K, reads, &g, NULL, &err) == XB_OK);
            XB_CHECK(!memcmp(want, got, sizeof got));
        }
        xb_solver_free(s);
        xb_circuit_free(c);
        free(v);
        free(zero);
    }
}

typedef struct {
    xb_solver *const *s;
    const xb_read_noise *nz;
    const double *v;
    const unsigned long long *reads;
    double *out[2];
    int M, N, half;
    int failed;
} split_ctx;

/* Task t solves vectors [t half, ...) of the batch with its own work. */
static void split_task(void *ctx, long t, int thread)
{
    split_ctx *x = ctx;
    const size_t k0 = (size_t)t * x->half, kn = (size_t)x->half;
    double *o[2] = {x->out[0] + k0 * x->N, x->out[1] + k0 * x->N};
    xb_solver_work *w = xb_solver_work_new(NULL);
    if (xb_solver_solve_group_noisy(x->s, x->nz, 2, x->v + k0 * x->M, kn, x->reads + k0, o, w, NULL))
        x->failed = 1;
    xb_solver_work_free(w);
}

/* A differential pair (noisy + noiseless, noisy + noisy with another key) in
 * one call, in batches of other sizes, in reverse order and on two threads:
 * the same bits. */
static void test_batches(gsl_rng *r)
{
    enum { M = 64, N = 40, K = 30 };
    const wires wi = {1.0, 25.0, 0, 0};
    xb_error err = {0};
    xb_circuit *c0 = make_circuit(r, M, N, XB_TOPO_GATE_INPUT, wi), *c1 = make_circuit(r, M, N, XB_TOPO_GATE_INPUT, wi);
    xb_solver *s[2] = {make_solver(c0, XB_BACKEND_COLUMN), make_solver(c1, XB_BACKEND_COLUMN)};
    double *v = make_inputs(r, M, K, XB_TOPO_GATE_INPUT), *sd0 = make_sd(r, c0, 0.2), *sd1 = make_sd(r, c1, 0.2);
    static double all[2][K * N], part[2][K * N], rev[2][K * N], vr[K * M];
    unsigned long long reads[K], rreads[K];
    for (int k = 0; k < K; k++)
        reads[k] = 5000 + 3 * (unsigned long long)k;
    const xb_read_noise nz[2] = {{sd0, 1}, {sd1, 2}};
    if (!s[0] || !s[1])
        goto done;
    double *o[2] = {all[0], all[1]};
    XB_CHECK_MSG(xb_solver_solve_group_noisy(s, nz, 2, v, K, reads, o, NULL, &err) == XB_OK, "%s", err.msg);
    xb_solver_work *w = xb_solver_work_new(&err);
    for (size_t k0 = 0; k0 < K; k0 += 7) { /* batches of 7 */
        const size_t kn = K - k0 < 7 ? K - k0 : 7;
        double *op[2] = {part[0] + k0 * N, part[1] + k0 * N};
        XB_CHECK(xb_solver_solve_group_noisy(s, nz, 2, v + k0 * M, kn, reads + k0, op, w, &err) == XB_OK);
    }
    XB_CHECK_MSG(!memcmp(all, part, sizeof all), "batches of 7 differ from one batch");
    for (int k = 0; k < K; k++) { /* reverse order */
        memcpy(vr + (size_t)k * M, v + (size_t)(K - 1 - k) * M, M * sizeof *v);
        rreads[k] = reads[K - 1 - k];
    }
    double *orv[2] = {rev[0], rev[1]};
    XB_CHECK(xb_solver_solve_group_noisy(s, nz, 2, vr, K, rreads, orv, w, &err) == XB_OK);
    int same = 1;
    for (int q = 0; q < 2; q++)
        for (int k = 0; k < K; k++)
            same &= !memcmp(rev[q] + (size_t)(K - 1 - k) * N, all[q] + (size_t)k * N, N * sizeof(double));
    XB_CHECK_MSG(same, "reverse order differs");
    xb_solver_work_free(w);
    /* two threads of the pool, half the batch each */
    XB_CHECK(xb_threads_set(2, &err) == XB_OK);
    memset(part, 0, sizeof part);
    split_ctx x = {s, nz, v, reads, {part[0], part[1]}, M, N, K / 2, 0};
    xb_threads_run(2, split_task, &x);
    XB_CHECK(!x.failed);
    XB_CHECK_MSG(!memcmp(all, part, sizeof all), "two threads differ from one call");
    XB_CHECK(xb_threads_set(0, &err) == XB_OK);
    /* the noisy arrays differ from their noiseless solve */
    double *plain = part[0];
    XB_CHECK(xb_solver_solve(s[0], v, K, plain, NULL, &err) == XB_OK);
    XB_CHECK(max_rel(all[0], plain, K, N) > 1e-3);
    /* a pair with one array noiseless (sd NULL): its bits are the plain solve's,
     * the noisy one's unchanged */
    const xb_read_noise mixed[2] = {{NULL, 1}, {sd1, 2}};
    double *om[2] = {rev[0], rev[1]};
    XB_CHECK(xb_solver_solve_group_noisy(s, mixed, 2, v, K, reads, om, NULL, &err) == XB_OK);
    XB_CHECK_MSG(!memcmp(rev[0], plain, sizeof rev[0]), "sd NULL in a pair: not the noiseless bits");
    XB_CHECK_MSG(!memcmp(rev[1], all[1], sizeof rev[1]), "the noisy one of a mixed pair changed");
done:
    xb_solver_free(s[0]);
    xb_solver_free(s[1]);
    xb_circuit_free(c0);
    xb_circuit_free(c1);
    free(v);
    free(sd0);
    free(sd1);
}

/* ---- bad arguments -------------------------------------------------------------- */

static void test_errors(gsl_rng *r)
{
    enum { M = 8, N = 6 };
    xb_error err = {0};
    const wires wi = {1.0, 10.0, 0, 0};
    xb_circuit *c = make_circuit(r, M, N, XB_TOPO_GATE_INPUT, wi);
    xb_circuit *ci = make_circuit(r, M, N, XB_TOPO_INPUT_SOURCE, wi);
    xb_solver *s = make_solver(c, XB_BACKEND_COLUMN), *si = make_solver(ci, XB_BACKEND_CHOLMOD);
    double v[M] = {1, 0, 1, 1, 0, 0, 1, 0}, out[N], *o = out, sd[M * N] = {0};
    sd[7] = 1e-6;
    unsigned long long read = 3;
    xb_read_noise nz = {sd, 1};
    if (!s || !si)
        goto done;
    XB_CHECK(xb_solver_solve_group_noisy(NULL, &nz, 1, v, 1, &read, &o, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "NULL"));
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 0, v, 1, &read, &o, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "n = 0"));
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, 1, NULL, &o, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "reads"));
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, NULL, 1, &read, &o, NULL, &err) == XB_EINVAL);
    xb_solver *pair[2] = {s, si};
    double *outs[2] = {out, out};
    xb_read_noise nzs[2] = {nz, nz};
    XB_CHECK(xb_solver_solve_group_noisy(pair, nzs, 2, v, 1, &read, outs, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "differs"));
    sd[5] = NAN;
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, 1, &read, &o, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "sd[5]"));
    sd[5] = -1e-6;
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, 1, &read, &o, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "sd[5]"));
    sd[5] = 0;
    v[2] = 0.5; /* not a bit */
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, 1, &read, &o, NULL, &err) == XB_EINVAL &&
             strstr(err.msg, "0.5"));
    v[2] = 1;
    XB_CHECK_MSG(xb_solver_solve_group_noisy(&s, &nz, 1, v, 1, &read, &o, NULL, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(xb_solver_solve_group_noisy(&s, &nz, 1, v, 0, NULL, &o, NULL, &err) == XB_OK); /* nothing to do */
done:
    xb_solver_free(s);
    xb_solver_free(si);
    xb_circuit_free(c);
    xb_circuit_free(ci);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2024);
    test_generator();
    test_paths(r);
    test_draw_bits(r);
    test_zero(r);
    test_batches(r);
    test_errors(r);
    gsl_rng_free(r);
    XB_TEST_DONE();
}
