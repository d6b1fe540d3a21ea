/* The structured fast paths agree with the CHOLMOD nodal solve to 1e-12:
 * the gate-input column path and the input-source transfer matrix, on random
 * circuits from ideal wires up to wires far beyond any real array. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_solver.h"
#include "xb_test.h"

static xb_circuit *random_circuit(gsl_rng *r, int M, int N, xb_topology topo, double rwire, int per_segment)
{
    xb_circuit *c = xb_circuit_new(M, N, NULL);
    c->topology = topo;
    c->v_read = 0.1 + 0.4 * gsl_rng_uniform(r);
    for (int k = 0; k < M * N; k++)
        c->g[k] = gsl_rng_uniform(r) < 0.05 ? 0.0 : 1e-6 + 99e-6 * gsl_rng_uniform(r);
    c->r_access = gsl_rng_uniform(r) < 0.5 ? 0.0 : 3000 * gsl_rng_uniform(r);
    c->r_col = rwire;
    c->r_sense = 500 * gsl_rng_uniform(r);
    if (per_segment) {
        xb_circuit_use_col_segments(c, NULL);
        for (int k = 0; k < M * N; k++)
            c->r_col_seg[k] = gsl_rng_uniform(r) < 0.2 ? 0.0 : 2 * rwire * gsl_rng_uniform(r);
    }
    if (topo == XB_TOPO_INPUT_SOURCE) {
        c->r_row = rwire;
        c->r_drv = 500 * gsl_rng_uniform(r);
        if (per_segment) {
            xb_circuit_use_row_segments(c, NULL);
            for (int k = 0; k < M * N; k++)
                c->r_row_seg[k] = gsl_rng_uniform(r) < 0.2 ? 0.0 : 2 * rwire * gsl_rng_uniform(r);
        }
    }
    return c;
}

static xb_solver *make(const xb_circuit *c, xb_backend b, xb_tcache *cache)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = b;
    opt.cache = cache;
    xb_error err = {0};
    xb_solver *s = xb_solver_new(c, &opt, &err);
    XB_CHECK_MSG(s != NULL, "%s", err.msg);
    return s;
}

static double compare(xb_solver *a, xb_solver *b, const double *v, size_t K, int N, int detail)
{
    double *oa = malloc(K * N * sizeof *oa), *ob = malloc(K * N * sizeof *ob);
    const xb_circuit *c = xb_solver_circuit(a);
    size_t mnk = K * (size_t)c->rows * N;
    double *va = detail ? malloc(mnk * sizeof *va) : NULL, *vb = detail ? malloc(mnk * sizeof *vb) : NULL;
    xb_solution da = {NULL, va, NULL, NULL}, db = {NULL, vb, NULL, NULL};
    xb_error err = {0};
    XB_CHECK_MSG(xb_solver_solve(a, v, K, oa, detail ? &da : NULL, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(xb_solver_solve(b, v, K, ob, detail ? &db : NULL, &err) == XB_OK, "%s", err.msg);
    double num = 0, den = 0;
    for (size_t k = 0; k < K * N; k++) {
        num = fmax(num, fabs(oa[k] - ob[k]));
        den = fmax(den, fabs(ob[k]));
    }
    double e = den > 0 ? num / den : num;
    if (detail) {
        double vmax = 0, dv = 0;
        for (size_t q = 0; q < mnk; q++) {
            vmax = fmax(vmax, fabs(vb[q]));
            dv = fmax(dv, fabs(va[q] - vb[q]));
        }
        XB_CHECK_MSG(dv <= 1e-12 * (vmax > 0 ? vmax : 1), "node voltages differ by %.3g (max %.3g)", dv, vmax);
    }
    free(oa);
    free(ob);
    free(va);
    free(vb);
    return e;
}

static void test_column(gsl_rng *r)
{
    static const int shapes[][2] = {{1, 1}, {1, 40}, {200, 1}, {37, 5}, {64, 64}, {300, 17}};
    static const double wires[] = {0.0, 0.01, 1.0, 10.0, 100.0, 1e4};
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t w = 0; w < sizeof wires / sizeof wires[0]; w++)
            for (int seg = 0; seg < 2; seg++) {
                int M = shapes[s][0], N = shapes[s][1];
                xb_circuit *c = random_circuit(r, M, N, XB_TOPO_GATE_INPUT, wires[w], seg);
                const size_t K = 37;
                double *x = malloc(K * M * sizeof *x);
                for (size_t q = 0; q < K * M; q++)
                    x[q] = gsl_rng_uniform(r) < 0.5;
                for (int i = 0; i < M; i++) /* vector 0 all on, vector 1 all off */
                    x[i] = 1.0, x[M + i] = 0.0;
                xb_solver *col = make(c, XB_BACKEND_COLUMN, NULL), *ref = make(c, XB_BACKEND_CHOLMOD, NULL);
                if (col && ref) {
                    double e = compare(col, ref, x, K, N, 0);
                    worst = fmax(worst, e);
                    XB_CHECK_MSG(e <= 1e-12, "column %dx%d r=%g seg=%d: %.3g", M, N, wires[w], seg, e);
                    if (M * N <= 4096) {
                        e = compare(col, ref, x, 3, N, 1);
                        XB_CHECK_MSG(e <= 1e-12, "column detail %dx%d r=%g: %.3g", M, N, wires[w], e);
                    }
                }
                xb_solver_free(col);
                xb_solver_free(ref);
                xb_circuit_free(c);
                free(x);
            }
    printf("column path vs CHOLMOD: worst relative difference %.3g\n", worst);
}

/* The column path walks only the enabled rows of sparse vectors and all rows of
 * nearly full ones: bit patterns from empty to full, isolated rows at the top
 * and bottom, runs of adjacent rows, on tall columns with random per-segment
 * wires (prefix sums over up to 1152 segments), against CHOLMOD. */
static void test_column_patterns(gsl_rng *r)
{
    static const int shapes[][2] = {{1152, 7}, {513, 30}, {64, 25}, {2, 3}};
    static const double wires[] = {0.0, 1.0, 100.0, 1e4};
    static const double dens[] = {0.0, 0.002, 0.01, 0.05, 0.2, 0.5, 0.85, 0.9, 0.95, 0.999, 1.0};
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t w = 0; w < sizeof wires / sizeof wires[0]; w++)
            for (int seg = 0; seg < 2; seg++) {
                const int M = shapes[s][0], N = shapes[s][1];
                if (M > 600 && w == 0 && seg == 1)
                    continue; /* ideal wires once is enough for the tall shape */
                xb_circuit *c = random_circuit(r, M, N, XB_TOPO_GATE_INPUT, wires[w], seg);
                const size_t nd = sizeof dens / sizeof dens[0], K = nd + 8;
                double *x = calloc(K * M, sizeof *x);
                for (size_t k = 0; k < nd; k++)
                    for (int i = 0; i < M; i++)
                        x[k * M + i] = gsl_rng_uniform(r) < dens[k];
                double *e = x + nd * M;
                e[0] = 1.0;                         /* the top row only */
                e[M + M - 1] = 1.0;                 /* the bottom row only */
                e[2 * M] = e[2 * M + M - 1] = 1.0;  /* both ends */
                for (int i = M / 2; i < M; i++)     /* a run down to the bottom */
                    e[3 * M + i] = 1.0;
                for (int i = 0; i < M; i += 2)      /* every other row */
                    e[4 * M + i] = 1.0;
                for (int i = 0; i < M; i++)         /* all but the bottom row */
                    e[5 * M + i] = i < M - 1;
                for (int i = 0; i < M; i++)         /* all: dense kernel; all off */
                    e[6 * M + i] = 1.0;
                xb_solver *col = make(c, XB_BACKEND_COLUMN, NULL), *ref = make(c, XB_BACKEND_CHOLMOD, NULL);
                if (col && ref) {
                    double err = compare(col, ref, x, K, N, 0);
                    worst = fmax(worst, err);
                    XB_CHECK_MSG(err <= 1e-12, "column patterns %dx%d r=%g seg=%d: %.3g", M, N, wires[w], seg, err);
                    /* vectors one at a time give the same bits as in a batch */
                    double *ob = malloc(K * N * sizeof *ob), *o1 = malloc(N * sizeof *o1);
                    xb_error er = {0};
                    XB_CHECK(xb_solver_solve(col, x, K, ob, NULL, &er) == XB_OK);
                    for (size_t k = 0; k < K; k += 3) {
                        XB_CHECK(xb_solver_solve(col, x + k * M, 1, o1, NULL, &er) == XB_OK);
                        XB_CHECK_MSG(!memcmp(o1, ob + k * N, N * sizeof *o1), "vector %zu alone differs", k);
                    }
                    /* an empty vector gives exact zeros */
                    for (int j = 0; j < N; j++)
                        XB_CHECK(ob[0 * N + j] == 0.0 && ob[(nd + 7) * N + j] == 0.0);
                    free(ob);
                    free(o1);
                }
                xb_solver_free(col);
                xb_solver_free(ref);
                xb_circuit_free(c);
                free(x);
            }
    printf("column path, sparse and dense bit patterns vs CHOLMOD: worst relative difference %.3g\n", worst);
}

/* A batch big enough for the threads gives the same bits as the vectors alone. */
static void test_column_threads(gsl_rng *r)
{
    const int M = 1152, N = 256;
    const size_t K = 900;
    xb_circuit *c = random_circuit(r, M, N, XB_TOPO_GATE_INPUT, 1.0, 0);
    double *x = malloc(K * M * sizeof *x), *ob = malloc(K * N * sizeof *ob), *o1 = malloc(N * sizeof *o1);
    for (size_t k = 0; k < K; k++) {
        double d = k % 3 == 0 ? 0.95 : (double)(k % 100) / 100.0; /* dense, sparse and empty */
        for (int i = 0; i < M; i++)
            x[k * M + i] = gsl_rng_uniform(r) < d;
    }
    xb_solver *col = make(c, XB_BACKEND_COLUMN, NULL);
    xb_error er = {0};
    XB_CHECK(col && xb_solver_solve(col, x, K, ob, NULL, &er) == XB_OK);
    for (size_t k = 0; col && k < K; k += 7) {
        XB_CHECK(xb_solver_solve(col, x + k * M, 1, o1, NULL, &er) == XB_OK);
        XB_CHECK_MSG(!memcmp(o1, ob + k * N, N * sizeof *o1), "vector %zu of the big batch differs", k);
    }
    xb_solver_free(col);
    xb_circuit_free(c);
    free(x);
    free(ob);
    free(o1);
}

static void test_transfer(gsl_rng *r)
{
    static const int shapes[][2] = {{1, 1}, {1, 40}, {60, 1}, {37, 5}, {48, 48}};
    static const double wires[] = {0.0, 0.01, 1.0, 10.0};
    xb_tcache *cache = xb_tcache_new(0, NULL);
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t w = 0; w < sizeof wires / sizeof wires[0]; w++) {
            int M = shapes[s][0], N = shapes[s][1];
            xb_circuit *c = random_circuit(r, M, N, XB_TOPO_INPUT_SOURCE, wires[w], (int)(w & 1));
            const size_t K = 23;
            double *v = malloc(K * M * sizeof *v);
            for (size_t q = 0; q < K * M; q++)
                v[q] = 2 * gsl_rng_uniform(r) - 1;
            xb_solver *t = make(c, XB_BACKEND_TRANSFER, cache), *ref = make(c, XB_BACKEND_CHOLMOD, NULL);
            if (t && ref) {
                double e = compare(t, ref, v, K, N, 0);
                worst = fmax(worst, e);
                XB_CHECK_MSG(e <= 1e-12, "transfer %dx%d r=%g: %.3g", M, N, wires[w], e);
                XB_CHECK(xb_solver_get_stats(t)->transfer_cached == 0);
                /* the same circuit again comes from the cache, bit for bit */
                xb_solver *t2 = make(c, XB_BACKEND_TRANSFER, cache);
                XB_CHECK(t2 && xb_solver_get_stats(t2)->transfer_cached == 1);
                XB_CHECK(t2 && !memcmp(xb_solver_transfer(t2), xb_solver_transfer(t), (size_t)M * N * sizeof(double)));
                xb_solver_free(t2);
            }
            xb_solver_free(t);
            xb_solver_free(ref);
            xb_circuit_free(c);
            free(v);
        }
    long hits, misses;
    xb_tcache_stats(cache, &hits, &misses);
    XB_CHECK(hits == 20 && misses == 20);
    xb_tcache_free(cache);
    printf("transfer path vs CHOLMOD: worst relative difference %.3g\n", worst);
}

static void test_wrong_topology(gsl_rng *r)
{
    xb_circuit *c = random_circuit(r, 4, 4, XB_TOPO_INPUT_SOURCE, 1.0, 0);
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_COLUMN;
    xb_error err = {0};
    XB_CHECK(xb_solver_new(c, &opt, &err) == NULL && err.code == XB_EINVAL);
    c->topology = XB_TOPO_GATE_INPUT;
    c->r_row = c->r_drv = 0;
    opt.backend = XB_BACKEND_TRANSFER;
    XB_CHECK(xb_solver_new(c, &opt, &err) == NULL && err.code == XB_EINVAL);
    xb_circuit_free(c);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    test_column(r);
    test_column_patterns(r);
    test_column_threads(r);
    test_transfer(r);
    test_wrong_topology(r);
    gsl_rng_free(r);
    XB_TEST_DONE();
}
