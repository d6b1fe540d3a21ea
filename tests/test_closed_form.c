

/* Closed-form and conservation checks of the nodal solver, independent of SPICE:
 * a 1x1 series circuit, 1xN and Mx1 uniform ladders, the zero-parasitic limit,
 * KCL between drivers and sense amplifiers, and superposition. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_solver.h"
#include "xb_test.h"

static const xb_backend backends[] = {XB_BACKEND_CHOLMOD, XB_BACKEND_KLU};

static void solve_one(const xb_circuit *c, xb_backend b, const double *v, size_t k, double *out, xb_solution *d)
{
    xb_error err = {0};
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = b;
    xb_solver *s = xb_solver_new(c, &opt, &err);
    XB_CHECK_MSG(s != NULL, "%s", err.msg);
    if (!s)
        return;
    xb_status st = xb_solver_solve(s, v, k, out, d, &err);
    XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
    xb_solver_free(s);
}

static void test_single_cell(void)
{
    const double g = 3.7e-5, r_drv = 123.0, r_row = 4.5, r_acc = 2200.0, r_col = 6.25, r_sense = 77.0, v = 0.35;
    for (int topo = 0; topo < 2; topo++)
        for (size_t b = 0; b < 2; b++) {
            xb_circuit *c = xb_circuit_new(1, 1, NULL);
            c->g[0] = g;
            c->r_access = r_acc;
            c->r_col = r_col;
            c->r_sense = r_sense;
            double expect;
            if (topo == 0) {
                c->r_drv = r_drv;
                c->r_row = r_row;
                expect = v / (r_drv + r_row + r_acc + 1.0 / g + r_col + r_sense);
            } else {
                c->topology = XB_TOPO_GATE_INPUT;
                c->v_read = v;
                expect = v / (r_acc + 1.0 / g + r_col + r_sense);
            }
            double in = topo == 0 ? v : 1.0, out = 0;
            solve_one(c, backends[b], &in, 1, &out, NULL);
            XB_CHECK_REL(out, expect, expect, 1e-14);
            /* A disabled gate-input row conducts nothing. */
            if (topo == 1) {
                in = 0.0;
                solve_one(c, backends[b], &in, 1, &out, NULL);
                XB_CHECK(out == 0.0);
            }
            xb_circuit_free(c);
        }
}

/* One row of N cells, column ends ideal: the row is a uniform RC-free ladder with
 * series r and shunt g.  V_k = v cosh((N - 1/2 - k) t) / cosh((N + 1/2) t) with
 * cosh t = 1 + r g / 2 (node -1 is the source). */
static void test_row_ladder(void)
{
    const int N = 200;
    const double g = 8e-5, r = 2.5, v = 0.8;
    xb_circuit *c = xb_circuit_new(1, N, NULL);
    for (int j = 0; j < N; j++)
        c->g[j] = g;
    c->r_row = r;
    double theta = acosh(1.0 + r * g / 2.0);
    double *out = malloc(N * sizeof *out);
    double *vrow = malloc(N * sizeof *vrow);
    for (size_t b = 0; b < 2; b++) {
        xb_solution d = {vrow, NULL, NULL, NULL};
        solve_one(c, backends[b], &v, 1, out, &d);
        double worst = 0;
        for (int k = 0; k < N; k++) {
            double vk = v * cosh((N - 0.5 - k) * theta) / cosh((N + 0.5) * theta);
            XB_CHECK_REL(vrow[k], vk, v, 1e-12);
            worst = fmax(worst, fabs(out[k] - g * vk) / (g * v));
        }
        XB_CHECK_MSG(worst <= 1e-12, "row ladder current error %.3g", worst);
    }
    free(out);
    free(vrow);
    xb_circuit_free(c);
}

/* One column of M enabled gate-input cells: U_i = V_read - V_i satisfies the same
 * recurrence, U_i = V_read cosh((i + 1/2) t) / cosh((M + 1/2) t), and the output is
 * the current through the last segment, V_{M-1} / r. */
static void test_column_ladder(void)
{
    const int M = 150;
    const double g = 6e-5, r = 3.0, vread = 0.25;
    xb_circuit *c = xb_circuit_new(M, 1, NULL);
    c->topology = XB_TOPO_GATE_INPUT;
    c->v_read = vread;
    c->r_col = r;
    for (int i = 0; i < M; i++)
        c->g[i] = g;
    double *x = malloc(M * sizeof *x), *vcol = malloc(M * sizeof *vcol);
    for (int i = 0; i < M; i++)
        x[i] = 1.0;
    double theta = acosh(1.0 + r * g / 2.0);
    double expect = (vread - vread * cosh((M - 0.5) * theta) / cosh((M + 0.5) * theta)) / r;
    for (size_t b = 0; b < 2; b++) {
        double out;
        xb_solution d = {NULL, vcol, NULL, NULL};
        solve_one(c, backends[b], x, 1, &out, &d);
        XB_CHECK_REL(out, expect, expect, 1e-12);
        for (int i = 0; i < M; i += 37)
            XB_CHECK_REL(vcol[i], vread - vread * cosh((i + 0.5) * theta) / cosh((M + 0.5) * theta), vread, 1e-12);
    }
    free(x);
    free(vcol);
    xb_circuit_free(c);
}

static xb_circuit *random_circuit(gsl_rng *r, int M, int N, xb_topology topo, int parasitics)
{
    xb_circuit *c = xb_circuit_new(M, N, NULL);
    c->topology = topo;
    c->v_read = 0.3;
    for (int k = 0; k < M * N; k++)
        c->g[k] = 1e-6 + 99e-6 * gsl_rng_uniform(r);
    if (parasitics) {
        xb_circuit_use_col_segments(c, NULL);
        xb_circuit_use_sense_cols(c, NULL);
        for (int k = 0; k < M * N; k++)
            c->r_col_seg[k] = 10 * gsl_rng_uniform(r);
        for (int j = 0; j < N; j++)
            c->r_sense_col[j] = 1000 * gsl_rng_uniform(r);
        c->r_access = 5000 * gsl_rng_uniform(r);
        if (topo == XB_TOPO_INPUT_SOURCE) {
            xb_circuit_use_row_segments(c, NULL);
            xb_circuit_use_driver_rows(c, NULL);
            for (int k = 0; k < M * N; k++)
                c->r_row_seg[k] = 10 * gsl_rng_uniform(r);
            for (int i = 0; i < M; i++)
                c->r_drv_row[i] = 1000 * gsl_rng_uniform(r);
        }
    }
    return c;
}

/* Zero parasitics: every backend returns G^T v to 1e-14 relative. */
static void test_ideal_limit(gsl_rng *r)
{
    const int M = 50, N = 40;
    for (int topo = 0; topo < 2; topo++) {
        xb_circuit *c = random_circuit(r, M, N, (xb_topology)topo, 0);
        double v[M], ref[N], out[N];
        for (int i = 0; i < M; i++)
            v[i] = topo ? (gsl_rng_uniform(r) < 0.5) : 2 * gsl_rng_uniform(r) - 1;
        double scale = 0;
        for (int j = 0; j < N; j++) {
            long double s = 0;
            for (int i = 0; i < M; i++)
                s += (long double)c->g[i * N + j] * (topo ? v[i] * c->v_read : v[i]);
            ref[j] = (double)s;
            scale = fmax(scale, fabs(ref[j]));
        }
        const xb_backend all[] = {XB_BACKEND_CHOLMOD, XB_BACKEND_KLU, XB_BACKEND_IDEAL, XB_BACKEND_AUTO};
        for (size_t b = 0; b < 4; b++) {
            solve_one(c, all[b], v, 1, out, NULL);
            for (int j = 0; j < N; j++)
                XB_CHECK_REL(out[j], ref[j], scale, 1e-14);
        }
        /* The ideal backend must refuse a circuit that has parasitics. */
        c->r_col = 1.0;
        xb_solver_options opt;
        xb_solver_options_init(&opt);
        opt.backend = XB_BACKEND_IDEAL;
        xb_error err = {0};
        xb_solver *s = xb_solver_new(c, &opt, &err);
        XB_CHECK(s == NULL && err.code == XB_EINVAL);
        xb_solver_free(s);
        xb_circuit_free(c);
    }
}

/* KCL: what the drivers deliver equals what the sense amplifiers receive. */
static void test_kcl(gsl_rng *r)
{
    const int M = 33, N = 47;
    for (int topo = 0; topo < 2; topo++) {
        xb_circuit *c = random_circuit(r, M, N, (xb_topology)topo, 1);
        double v[M], out[N], isrc[M];
        for (int i = 0; i < M; i++)
            v[i] = topo ? (gsl_rng_uniform(r) < 0.5) : 2 * gsl_rng_uniform(r) - 1;
        for (size_t b = 0; b < 2; b++) {
            xb_solution d = {NULL, NULL, NULL, isrc};
            solve_one(c, backends[b], v, 1, out, &d);
            double sin = 0, sout = 0, mag = 0;
            for (int i = 0; i < M; i++) {
                sin += isrc[i];
                mag = fmax(mag, fabs(isrc[i]));
            }
            for (int j = 0; j < N; j++)
                sout += out[j];
            XB_CHECK_REL(sin, sout, fmax(fabs(sout), mag), 1e-12);
        }
        xb_circuit_free(c);
    }
}

/* Superposition (input-source is linear in v), and batched == one by one. */
static void test_superposition_and_batching(gsl_rng *r)
{
    const int M = 40, N = 30, K = 7;
    xb_circuit *c = random_circuit(r, M, N, XB_TOPO_INPUT_SOURCE, 1);
    double v[3 * M], out[3 * N];
    for (int i = 0; i < M; i++) {
        v[i] = 2 * gsl_rng_uniform(r) - 1;
        v[M + i] = 2 * gsl_rng_uniform(r) - 1;
        v[2 * M + i] = v[i] + v[M + i];
    }
    for (size_t b = 0; b < 2; b++) {
        solve_one(c, backends[b], v, 3, out, NULL);
        double scale = 0;
        for (int j = 0; j < N; j++)
            scale = fmax(scale, fabs(out[2 * N + j]));
        for (int j = 0; j < N; j++)
            XB_CHECK_REL(out[2 * N + j], out[j] + out[N + j], scale, 1e-12);
    }
    double vk[K * M], batched[K * N], single[N];
    for (int k = 0; k < K * M; k++)
        vk[k] = 2 * gsl_rng_uniform(r) - 1;
    xb_error err = {0};
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.rhs_block = 3; /* blocks of 3, 3 and 1 */
    xb_solver *s = xb_solver_new(c, &opt, &err);
    XB_CHECK(s != NULL);
    XB_CHECK(xb_solver_solve(s, vk, K, batched, NULL, &err) == XB_OK);
    XB_CHECK(xb_solver_get_stats(s)->n_factor == 1);
    for (int k = 0; k < K; k++) {
        XB_CHECK(xb_solver_solve(s, vk + k * M, 1, single, NULL, &err) == XB_OK);
        for (int j = 0; j < N; j++)
            XB_CHECK_REL(batched[k * N + j], single[j], fabs(single[j]) + 1e-30, 1e-13);
    }
    XB_CHECK(xb_solver_get_stats(s)->n_factor == 1);
    xb_solver_free(s);
    xb_circuit_free(c);
}

/* CHOLMOD and KLU agree on random circuits of both topologies, several vectors. */
static void test_backends_agree(gsl_rng *r)
{
    const int M = 24, N = 19, K = 4;
    for (int topo = 0; topo < 2; topo++) {
        xb_circuit *c = random_circuit(r, M, N, (xb_topology)topo, 1);
        double v[K * M], a[K * N], b[K * N];
        for (int k = 0; k < K * M; k++)
            v[k] = topo ? (gsl_rng_uniform(r) < 0.5) : 2 * gsl_rng_uniform(r) - 1;
        solve_one(c, XB_BACKEND_CHOLMOD, v, K, a, NULL);
        solve_one(c, XB_BACKEND_KLU, v, K, b, NULL);
        double scale = 0;
        for (int k = 0; k < K * N; k++)
            scale = fmax(scale, fabs(a[k]));
        for (int k = 0; k < K * N; k++)
            XB_CHECK_REL(a[k], b[k], scale, 1e-12);
        xb_circuit_free(c);
    }
}

/* The memory budget is enforced before the factorization. */
static void test_memory_budget(gsl_rng *r)
{
    xb_circuit *c = random_circuit(r, 64, 64, XB_TOPO_INPUT_SOURCE, 1);
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.max_memory = 1 << 20;
    xb_error err = {0};
    xb_solver *s = xb_solver_new(c, &opt, &err);
    XB_CHECK(s == NULL);
    XB_CHECK(err.code == XB_ETOOBIG);
    XB_CHECK_MSG(strstr(err.msg, "budget") != NULL, "%s", err.msg);
    xb_solver_free(s);
    xb_circuit_free(c);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    test_single_cell();
    test_row_ladder();
    test_column_ladder();
    test_ideal_limit(r);
    test_kcl(r);
    test_superposition_and_batching(r);
    test_backends_agree(r);
    test_memory_budget(r);
    gsl_rng_free(r);
    XB_TEST_DONE();
}
