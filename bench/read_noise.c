/* read_noise: what read noise costs the column and ideal paths, measured side
 * by side in one run: xb_solver_solve_group_noisy against
 * xb_solver_solve_group on the same array and the same input bits, timed in
 * alternation sample by sample (a change in the machine's load falls on both),
 * the median of the per-sample ratios reported.
 *
 * usage: read_noise [VECTORS [REPEAT [THREADS [DENSITY]]]]
 *   defaults 64 vectors (8 bit planes of 8 activations), 9 samples, 1 thread,
 *   30% of the bits on.  Times are CPU seconds of the process (with 1 thread,
 *   what one core spent), so that other processes on a shared machine do not
 *   count.
 * The array: gate-input 1152 x 256, G uniform in [Gmax/100, Gmax] with
 * Gmax = 1e-4 S (as xbar bench mvm), R̂p = 1e-5 (0.1 ohm per bit-line segment
 * and as sense resistance) for the column path, no wires for the ideal one;
 * sd = 5% of each G.  Prints 'ratio_read_noise_column <x>' and
 * 'ratio_read_noise_ideal <x>' (time with noise / time without). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xb_base.h"
#include "xb_solver.h"
#include "xb_threads.h"

#define M 1152
#define N 256
#define G_MAX 1e-4 /* siemens (xbar bench mvm's tile) */
#define RHAT 1e-5  /* normalized wire resistance R Gmax */

static unsigned long long rng = 88172645463325252ULL;
static double uniform(void) /* xorshift64: the bench's own inputs, nothing to do with the noise */
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    xb_solver *s;
    const xb_read_noise *nz;
    const double *v;
    size_t K;
    const unsigned long long *reads;
    double *out;
    xb_solver_work *w;
} job;

/* Seconds of this process's CPU time: on a shared machine, unlike the wall
 * clock, it does not count the time another process had the core (one thread:
 * the library's parallel loops are off). */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds per vector of `inner` back-to-back batches (noisy or not). */
static double run(const job *j, int noisy, int inner)
{
    double t0 = cpu_now();
    for (int r = 0; r < inner; r++) {
        xb_error err;
        xb_status st = noisy ? xb_solver_solve_group_noisy(&j->s, j->nz, 1, j->v, j->K, j->reads, &j->out, j->w, &err)
                             : xb_solver_solve_group(&j->s, 1, j->v, j->K, &j->out, j->w, &err);
        if (st) {
            fprintf(stderr, "read_noise: %s\n", err.msg);
            exit(1);
        }
    }
    return (cpu_now() - t0) / ((double)inner * (double)j->K);
}

/* The median ratio noisy / noiseless over `repeat` alternating samples. */
static double measure(const char *what, const job *j, int repeat)
{
    run(j, 1, 1), run(j, 0, 1); /* untimed: first-touch pages, the node table */
    const double per = run(j, 0, 1);
    int inner = (int)(0.05 / (per * (double)j->K)) + 1; /* samples of about 50 ms without noise */
    double *t = malloc(3 * (size_t)repeat * sizeof *t), *tn = t + repeat, *rt = t + 2 * repeat;
    for (int r = 0; r < repeat; r++) {
        tn[r] = run(j, 1, inner);
        t[r] = run(j, 0, inner);
        rt[r] = tn[r] / t[r];
    }
    qsort(t, (size_t)repeat, sizeof *t, cmp);
    qsort(tn, (size_t)repeat, sizeof *tn, cmp);
    qsort(rt, (size_t)repeat, sizeof *rt, cmp);
    printf("| %s | %.4g | %.4g | %.3g (%.3g-%.3g) |\n", what, 1e6 * t[repeat / 2], 1e6 * tn[repeat / 2],
           rt[repeat / 2], rt[0], rt[repeat - 1]);
    const double med = rt[repeat / 2];
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    long K = 64, repeat = 9, threads = 1;
    double density = 0.3;
    if ((argc > 1 && (!xb_parse_long(argv[1], &K) || K < 1)) ||
        (argc > 2 && (!xb_parse_long(argv[2], &repeat) || repeat < 1)) ||
        (argc > 3 && (!xb_parse_long(argv[3], &threads) || threads < 0)) ||
        (argc > 4 && (!xb_parse_double(argv[4], &density) || density < 0 || density > 1))) {
        fprintf(stderr, "usage: read_noise [VECTORS [REPEAT [THREADS [DENSITY]]]]\n");
        return 2;
    }
    xb_error err;
    if (xb_threads_set((int)threads, &err)) {
        fprintf(stderr, "read_noise: %s\n", err.msg);
        return 2;
    }
    xb_circuit *c = xb_circuit_new(M, N, &err), *ci = c ? xb_circuit_new(M, N, &err) : NULL;
    double *sd = malloc((size_t)M * N * sizeof *sd), *v = malloc((size_t)K * M * sizeof *v);
    double *out = malloc((size_t)K * N * sizeof *out);
    unsigned long long *reads = malloc((size_t)K * sizeof *reads);
    if (!c || !ci || !sd || !v || !out || !reads) {
        fprintf(stderr, "read_noise: out of memory\n");
        return 1;
    }
    c->topology = ci->topology = XB_TOPO_GATE_INPUT;
    c->v_read = ci->v_read = 0.2;
    for (int q = 0; q < M * N; q++) {
        c->g[q] = ci->g[q] = G_MAX / 100 + (G_MAX - G_MAX / 100) * uniform();
        sd[q] = 0.05 * c->g[q];
    }
    c->r_col = c->r_sense = RHAT / G_MAX;
    for (long q = 0; q < K * M; q++)
        v[q] = uniform() < density ? 1.0 : 0.0;
    for (long k = 0; k < K; k++)
        reads[k] = 1000 + (unsigned long long)k;
    xb_solver_options o;
    xb_solver_options_init(&o);
    o.backend = XB_BACKEND_COLUMN;
    xb_solver *sc = xb_solver_new(c, &o, &err);
    o.backend = XB_BACKEND_IDEAL;
    xb_solver *si = sc ? xb_solver_new(ci, &o, &err) : NULL;
    xb_solver_work *w = si ? xb_solver_work_new(&err) : NULL;
    if (!w) {
        fprintf(stderr, "read_noise: %s\n", err.msg);
        return 1;
    }
    printf("read_noise: gate-input %dx%d, %ld vectors of %.0f%% bits, R̂p = %g, sd = 5%% of G, %d thread(s), "
           "%ld samples (medians)\n\n| path | CPU us/vector without noise | with noise | ratio (min-max) |\n|---|---|---|---|\n",
           M, N, K, 100 * density, RHAT, xb_threads_get(), repeat);
    const xb_read_noise nc = {sd, 7}, ni = {sd, 8};
    const job jc = {sc, &nc, v, (size_t)K, reads, out, w}, ji = {si, &ni, v, (size_t)K, reads, out, w};
    const double rc = measure("column", &jc, (int)repeat), ri = measure("ideal", &ji, (int)repeat);
    printf("\nratio_read_noise_column %.3g\nratio_read_noise_ideal %.3g\n", rc, ri);
    xb_solver_work_free(w);
    xb_solver_free(sc);
    xb_solver_free(si);
    xb_circuit_free(c);
    xb_circuit_free(ci);
    free(sd);
    free(v);
    free(out);
    free(reads);
    return 0;
}
