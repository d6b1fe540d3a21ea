/* bench_tile.c: random tiles, the timing loop and the machine line of the
 * benchmarks (xb_bench.h). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "bench_tile.h"
#include "xb_base.h"
#include "xb_threads.h"

/* Back-to-back solves per timed sample so that one sample lasts at least this
 * long: a sample of a few milliseconds is at the mercy of the scheduler. */
#define BENCH_MIN_SAMPLE 0.1     /* seconds */
#define BENCH_MAX_INNER 10000    /* batches per sample, whatever the speed */

void xb_bench_machine_get(xb_bench_machine *m)
{
    if (!m)
        return;
    memset(m, 0, sizeof *m);
    snprintf(m->cpu, sizeof m->cpu, "unknown CPU");
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                char *p = strchr(line, ':');
                if (p) {
                    p += 1 + strspn(p + 1, " \t");
                    p[strcspn(p, "\n")] = 0;
                    snprintf(m->cpu, sizeof m->cpu, "%s", p);
                }
                break;
            }
        fclose(f);
    }
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &m->load[0], &m->load[1], &m->load[2]) != 3)
            m->load[0] = m->load[1] = m->load[2] = 0;
        fclose(f);
    }
    m->cores = sysconf(_SC_NPROCESSORS_ONLN);
    m->threads = xb_threads_get();
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(const double *v, int n)
{
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        return NAN;
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    double m = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    free(t);
    return m;
}

xb_status bench_time(xb_solver *s, const xb_circuit *ideal, const double *v, size_t K, double *out, int inner,
                     double *per, xb_error *err)
{
    double a = xb_clock_now();
    for (int q = 0; q < inner; q++) {
        if (!s) {
            const int M = ideal->rows, N = ideal->cols;
            double alpha = ideal->topology == XB_TOPO_GATE_INPUT ? ideal->v_read : 1.0;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)K, N, M, alpha, v, M, ideal->g, N, 0.0,
                        out, N);
            continue;
        }
        xb_status st = xb_solver_solve(s, v, K, out, NULL, err);
        if (st)
            return st;
    }
    *per = (xb_clock_now() - a) / ((double)K * inner);
    return XB_OK;
}

int bench_inner_count(double per_vector, size_t K)
{
    double batch = per_vector * (double)K;
    if (!(batch > 0))
        return 1;
    double n = ceil(BENCH_MIN_SAMPLE / batch);
    return n < 1 ? 1 : n > BENCH_MAX_INNER ? BENCH_MAX_INNER : (int)n;
}

static xb_circuit *tile_new(gsl_rng *r, int M, int N, xb_topology topo, double rhat, xb_error *err)
{
    xb_circuit *c = xb_circuit_new(M, N, err);
    if (!c)
        return NULL;
    c->topology = topo;
    c->v_read = XB_BENCH_V_READ;
    const double gmin = XB_BENCH_G_MAX / XB_BENCH_ON_OFF;
    for (size_t q = 0; q < (size_t)M * N; q++)
        c->g[q] = gmin + (XB_BENCH_G_MAX - gmin) * gsl_rng_uniform(r);
    c->r_col = rhat / XB_BENCH_G_MAX;
    if (topo == XB_TOPO_INPUT_SOURCE)
        c->r_row = rhat / XB_BENCH_G_MAX;
    return c;
}

static double *inputs_new(gsl_rng *r, int M, size_t K, xb_topology topo, double density)
{
    double *v = malloc(K * (size_t)M * sizeof *v);
    if (!v)
        return NULL;
    for (size_t q = 0; q < K * (size_t)M; q++)
        v[q] = topo == XB_TOPO_GATE_INPUT ? (gsl_rng_uniform(r) < density ? 1.0 : 0.0)
                                          : XB_BENCH_V_IN * gsl_rng_uniform(r);
    return v;
}

static xb_circuit *tile_ideal(const xb_circuit *c, xb_error *err)
{
    xb_circuit *ci = xb_circuit_copy(c, err);
    if (ci)
        ci->r_row = ci->r_col = ci->r_drv = ci->r_sense = 0.0;
    return ci;
}

xb_status bench_tile_make(unsigned long seed, int M, int N, xb_topology topo, double rhat, size_t K, double density,
                          xb_circuit **c, xb_circuit **ci, double **v, xb_error *err)
{
    *c = *ci = NULL;
    *v = NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return xb_error_set(err, XB_ENOMEM, "bench: out of memory");
    gsl_rng_set(r, seed);
    *c = tile_new(r, M, N, topo, rhat, err);
    *ci = *c ? tile_ideal(*c, err) : NULL;
    *v = inputs_new(r, M, K, topo, density);
    gsl_rng_free(r);
    if (!*c || !*ci)
        return err->code;
    if (!*v)
        return xb_error_set(err, XB_ENOMEM, "bench: out of memory for %zu vectors of a %d x %d tile", K, M, N);
    return XB_OK;
}
