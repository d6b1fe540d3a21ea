/* The relaxation baseline (solver/xb_relax.h): where it converges it agrees with
 * the exact column path to about its tolerance, its fixed point is the exact
 * solution, and where it cannot converge it says so instead of answering. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_relax.h"
#include "xb_solver.h"
#include "xb_test.h"

#define GMAX 1e-4 /* siemens */

static xb_circuit *tile(gsl_rng *r, int M, int N, double rhat)
{
    xb_circuit *c = xb_circuit_new(M, N, NULL);
    c->topology = XB_TOPO_GATE_INPUT;
    c->v_read = 0.2;
    for (int q = 0; q < M * N; q++)
        c->g[q] = GMAX / 100 + (GMAX - GMAX / 100) * gsl_rng_uniform(r);
    c->r_col = rhat / GMAX;
    return c;
}

static double *bits(gsl_rng *r, int M, size_t K)
{
    double *x = malloc(K * M * sizeof *x);
    for (size_t q = 0; q < K * M; q++)
        x[q] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
    return x;
}

static void exact(const xb_circuit *c, const double *x, size_t K, double *out)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_COLUMN;
    xb_error err = {0};
    xb_solver *s = xb_solver_new(c, &opt, &err);
    XB_CHECK_MSG(s != NULL, "%s", err.msg);
    XB_CHECK_MSG(xb_solver_solve(s, x, K, out, NULL, &err) == XB_OK, "%s", err.msg);
    xb_solver_free(s);
}

static double max_rel(const double *a, const double *b, size_t n)
{
    double e = 0;
    for (size_t q = 0; q < n; q++) {
        double d = b[q] != 0 ? fabs(a[q] - b[q]) / fabs(b[q]) : fabs(a[q]);
        if (!(d <= e))
            e = d;
    }
    return e;
}

/* Low R̂p, with an access resistance and a sense resistance: converges at the
 * first damping and agrees with the exact path to about the tolerance. */
static void test_low_rhat(gsl_rng *r)
{
    const int M = 96, N = 20;
    const size_t K = 12;
    xb_circuit *c = tile(r, M, N, 1e-6);
    c->r_access = 500;
    c->r_sense = 5;
    double *x = bits(r, M, K);
    double *ref = malloc(K * N * sizeof *ref), *out = malloc(K * N * sizeof *out);
    exact(c, x, K, ref);
    int iters[12], conv[12];
    double damp[12], res[12];
    xb_relax_report rep;
    memset(&rep, 0, sizeof rep);
    rep.iterations = iters;
    rep.converged = conv;
    rep.damping = damp;
    rep.residual = res;
    xb_error err = {0};
    XB_CHECK_MSG(xb_relax_gate_input(c, x, K, out, NULL, &rep, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(rep.n_converged == K && rep.n_failed == 0);
    for (size_t q = 0; q < K; q++) {
        XB_CHECK(conv[q] == 1);
        XB_CHECK(iters[q] >= 1 && iters[q] <= 100);
        XB_CHECK(res[q] < 2e-4);
        XB_CHECK(damp[q] == 0.9);
    }
    double e = max_rel(out, ref, K * N);
    printf("low R̂p: max rel err %.3g after %ld sweeps\n", e, rep.sweeps);
    XB_CHECK_MSG(e < 1e-3, "relaxation vs exact: %g", e);

    /* Its fixed point is the exact solution: a tight tolerance gets there. */
    xb_relax_options opt;
    xb_relax_options_init(&opt);
    opt.tol = 1e-13;
    XB_CHECK_MSG(xb_relax_gate_input(c, x, K, out, &opt, &rep, &err) == XB_OK, "%s", err.msg);
    e = max_rel(out, ref, K * N);
    printf("low R̂p, tol 1e-13: max rel err %.3g\n", e);
    XB_CHECK_MSG(e < 1e-10, "relaxation (tight) vs exact: %g", e);
    xb_circuit_free(c);
    free(x);
    free(ref);
    free(out);
}

/* Where 0.9 diverges, the damping is reduced, the answer still agrees, and the
 * next vector starts from the reduced damping (keep_damping). */
static void test_reduced_damping(gsl_rng *r)
{
    const int M = 256, N = 8;
    const size_t K = 4;
    xb_circuit *c = tile(r, M, N, 2e-4);
    double *x = malloc(K * M * sizeof *x);
    for (size_t q = 0; q < K * M; q++)
        x[q] = 1.0; /* every row on: the heaviest load */
    double *ref = malloc(K * N * sizeof *ref), *out = malloc(K * N * sizeof *out);
    exact(c, x, K, ref);
    int iters[4], conv[4];
    double damp[4];
    xb_relax_report rep;
    memset(&rep, 0, sizeof rep);
    rep.iterations = iters;
    rep.converged = conv;
    rep.damping = damp;
    xb_error err = {0};
    xb_status st = xb_relax_gate_input(c, x, K, out, NULL, &rep, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    XB_CHECK(damp[0] < 0.9);
    XB_CHECK(rep.attempts > (long)K);
    for (size_t q = 1; q < K; q++)
        XB_CHECK(damp[q] == damp[0]);
    double e = max_rel(out, ref, K * N);
    printf("reduced damping %.4g: max rel err %.3g, attempts %ld, sweeps %ld\n", damp[0], e, rep.attempts,
           rep.sweeps);
    XB_CHECK_MSG(e < 2e-3, "relaxation vs exact: %g", e);

    /* Without keep_damping every vector starts over at 0.9 and fails first. */
    xb_relax_options opt;
    xb_relax_options_init(&opt);
    opt.keep_damping = 0;
    long before = rep.attempts;
    XB_CHECK_MSG(xb_relax_gate_input(c, x, K, out, &opt, &rep, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(rep.attempts >= 2 * (long)K);
    XB_CHECK(rep.attempts >= before);
    xb_circuit_free(c);
    free(x);
    free(ref);
    free(out);
}

/* Extreme R̂p: no damping converges, and the method says so: XB_ECONVERGE,
 * NaN outputs, flags, while a vector that needs no relaxation still answers. */
static void test_extreme_rhat(gsl_rng *r)
{
    const int M = 128, N = 8;
    const size_t K = 3;
    xb_circuit *c = tile(r, M, N, 1.0);
    double *x = bits(r, M, K);
    memset(x + M, 0, (size_t)M * sizeof *x); /* vector 1: every row off, nothing flows */
    double *out = malloc(K * N * sizeof *out);
    int conv[3], iters[3];
    double damp[3];
    xb_relax_report rep;
    memset(&rep, 0, sizeof rep);
    rep.converged = conv;
    rep.iterations = iters;
    rep.damping = damp;
    xb_error err = {0};
    xb_status st = xb_relax_gate_input(c, x, K, out, NULL, &rep, &err);
    printf("extreme R̂p: %s\n", err.msg);
    XB_CHECK(st == XB_ECONVERGE);
    XB_CHECK(strstr(err.msg, "did not converge") != NULL);
    XB_CHECK(rep.n_failed == 2 && rep.n_converged == 1);
    XB_CHECK(conv[0] == 0 && conv[1] == 1 && conv[2] == 0);
    for (int j = 0; j < N; j++) {
        XB_CHECK(isnan(out[j]));
        XB_CHECK(out[N + j] == 0.0);
        XB_CHECK(isnan(out[2 * N + j]));
    }
    XB_CHECK(damp[0] < 0.02 && damp[0] >= 0.01);
    XB_CHECK(iters[0] >= 7);
    /* A larger budget does not rescue it: still a failure, never an answer. */
    xb_relax_options opt;
    xb_relax_options_init(&opt);
    opt.max_iter = 1000;
    opt.shrink = 0.8;
    st = xb_relax_gate_input(c, x, 1, out, &opt, &rep, &err);
    XB_CHECK(st == XB_ECONVERGE);
    XB_CHECK(isnan(out[0]));
    xb_circuit_free(c);
    free(x);
    free(out);
}

/* Ideal wires: the first sweep has no drop, so the answer is the ideal product. */
static void test_ideal_wires(gsl_rng *r)
{
    const int M = 16, N = 5;
    xb_circuit *c = tile(r, M, N, 0.0);
    double *x = bits(r, M, 2), out[10], ref[10];
    exact(c, x, 2, ref);
    xb_relax_report rep;
    memset(&rep, 0, sizeof rep);
    xb_error err = {0};
    XB_CHECK_MSG(xb_relax_gate_input(c, x, 2, out, NULL, &rep, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(rep.sweeps == 2);
    for (int q = 0; q < 10; q++)
        XB_CHECK_REL(out[q], ref[q], ref[q], 1e-14);
    xb_circuit_free(c);
    free(x);
}

static void test_bad_input(gsl_rng *r)
{
    xb_circuit *c = tile(r, 4, 3, 1e-5);
    double x[4] = {1, 0, 1, 1}, out[3];
    xb_error err = {0};
    xb_relax_options opt;
    xb_relax_options_init(&opt);
    opt.damping = 2.5;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, &opt, NULL, &err) == XB_EINVAL);
    XB_CHECK(strstr(err.msg, "damping") != NULL);
    xb_relax_options_init(&opt);
    opt.max_iter = 0;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, &opt, NULL, &err) == XB_EINVAL);
    xb_relax_options_init(&opt);
    opt.tol = -1;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, &opt, NULL, &err) == XB_EINVAL);
    x[1] = 0.5;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, NULL, NULL, &err) == XB_EINVAL);
    XB_CHECK(strstr(err.msg, "0 or 1") != NULL);
    x[1] = 0;
    c->topology = XB_TOPO_INPUT_SOURCE;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, NULL, NULL, &err) == XB_EINVAL);
    XB_CHECK(strstr(err.msg, "gate-input") != NULL);
    c->topology = XB_TOPO_GATE_INPUT;
    c->cell = XB_CELL_SINH;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, NULL, NULL, &err) == XB_EUNSUPPORTED);
    c->cell = XB_CELL_LINEAR;
    c->g[2] = -1;
    XB_CHECK(xb_relax_gate_input(c, x, 1, out, NULL, NULL, &err) == XB_EINVAL);
    xb_circuit_free(c);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20220901);
    test_low_rhat(r);
    test_reduced_damping(r);
    test_extreme_rhat(r);
    test_ideal_wires(r);
    test_bad_input(r);
    gsl_rng_free(r);
    XB_TEST_DONE();
}
