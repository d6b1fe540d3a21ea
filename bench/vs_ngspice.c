/* vs_ngspice: time xbar against ngspice on the same netlists.
 *
 * For each size, in a fresh child process (so peak memory is that case's own):
 *   ngspice: parse the netlist through the shared library and run op;
 *   xbar:    assemble, analyze, factor and solve one vector (CHOLMOD);
 *   batched: xbar solving K vectors with one factorization, per vector;
 *   ideal:   the dense G^T v product (OpenBLAS) for the same K vectors.
 * Prints a markdown table with the ratios measured in this run.
 *
 * usage: vs_ngspice [--spice-max S] [--xbar-max S] [--batch K] [--batch-size S]
 *   defaults: ngspice up to 128 (about a minute or two at 128^2), xbar up to 1024,
 *   K = 1000 vectors at 256^2. */
#define _DEFAULT_SOURCE
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xb_base.h"
#include "xb_netgen.h"
#include "xb_solver.h"
#include "xb_validation.h"

/* The benchmark array: R̂p = 1e-4 with Gmax = 1e-4 S means 1 ohm per segment. */
#define G_MIN 1e-6
#define G_MAX 1e-4
#define R_WIRE 1.0
#define R_TERM 100.0

static xb_circuit *make(int n, unsigned long seed, double **v, int k)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    xb_circuit *c = xb_circuit_new(n, n, NULL);
    for (int q = 0; q < n * n; q++)
        c->g[q] = G_MIN + (G_MAX - G_MIN) * gsl_rng_uniform(r);
    c->r_row = c->r_col = R_WIRE;
    c->r_drv = c->r_sense = R_TERM;
    *v = malloc((size_t)k * n * sizeof **v);
    for (size_t q = 0; q < (size_t)k * n; q++)
        (*v)[q] = gsl_rng_uniform(r);
    gsl_rng_free(r);
    return c;
}

/* Results a child sends back through a pipe. */
typedef struct {
    double seconds;   /* per op or per vector */
    double err;       /* relative difference to the reference (ngspice vs xbar) */
    int ok;
} result;

typedef enum { RUN_SPICE, RUN_XBAR, RUN_BATCH, RUN_IDEAL, RUN_TRANSFER } run_kind;

static result run_case(run_kind kind, int n, int k)
{
    result res = {0, 0, 0};
    double *v;
    xb_circuit *c = make(n, 1000 + (unsigned long)n, &v, kind == RUN_XBAR || kind == RUN_SPICE ? 1 : k);
    xb_error err = {0};
    if (kind == RUN_SPICE) {
        xb_spice *sp = xb_spice_open(&err);
        double *ref = malloc(n * sizeof *ref), *mine = malloc(n * sizeof *mine);
        double t0 = xb_clock_now();
        xb_status st = sp ? xb_spice_solve(sp, c, v, ref, &err) : err.code;
        res.seconds = xb_clock_now() - t0;
        if (!st) {
            xb_solver *s = xb_solver_new(c, NULL, &err);
            if (s && !xb_solver_solve(s, v, 1, mine, NULL, &err)) {
                res.err = xb_max_rel_err(mine, ref, n);
                res.ok = 1;
            }
            xb_solver_free(s);
        }
        if (!res.ok)
            fprintf(stderr, "ngspice %d: %s\n", n, err.msg);
        xb_spice_close(sp);
        free(ref);
        free(mine);
    } else if (kind == RUN_XBAR || kind == RUN_BATCH || kind == RUN_TRANSFER) {
        int kk = kind == RUN_XBAR ? 1 : k;
        double *out = malloc((size_t)kk * n * sizeof *out);
        xb_solver_options opt;
        xb_solver_options_init(&opt);
        opt.backend = kind == RUN_TRANSFER ? XB_BACKEND_TRANSFER : XB_BACKEND_CHOLMOD;
        double t0 = xb_clock_now();
        xb_solver *s = xb_solver_new(c, &opt, &err);
        double t1 = xb_clock_now();
        if (s && !xb_solver_solve(s, v, (size_t)kk, out, NULL, &err)) {
            double t2 = xb_clock_now();
            /* single op: everything; batched: the per-vector cost after factoring */
            res.seconds = kind == RUN_XBAR ? t2 - t0 : (t2 - t1) / kk;
            res.err = t1 - t0; /* setup: assemble, factor (and extract T) */
            res.ok = 1;
        } else {
            fprintf(stderr, "xbar %d: %s\n", n, err.msg);
        }
        xb_solver_free(s);
        free(out);
    } else {
        /* the ideal product on the same circuit with the wires removed */
        c->r_row = c->r_col = c->r_drv = c->r_sense = 0;
        double *out = malloc((size_t)k * n * sizeof *out);
        xb_solver *s = xb_solver_new(c, NULL, &err);
        double t0 = xb_clock_now();
        if (s && !xb_solver_solve(s, v, (size_t)k, out, NULL, &err)) {
            res.seconds = (xb_clock_now() - t0) / k;
            res.ok = 1;
        }
        xb_solver_free(s);
        free(out);
    }
    xb_circuit_free(c);
    free(v);
    return res;
}

/* Run one case in a child; return its result and peak resident memory (MiB). */
static result in_child(run_kind kind, int n, int k, double *peak_mib)
{
    int fd[2];
    result res = {0, 0, 0};
    *peak_mib = 0;
    if (pipe(fd))
        return res;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        result r = run_case(kind, n, k);
        if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (read(fd[0], &res, sizeof res) != (ssize_t)sizeof res)
        res.ok = 0;
    close(fd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) == pid)
        *peak_mib = ru.ru_maxrss / 1024.0;
    return res;
}

int main(int argc, char **argv)
{
    int spice_max = 128, xbar_max = 1024, batch = 1000, batch_size = 256;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--spice-max"))
            spice_max = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--xbar-max"))
            xbar_max = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch-size"))
            batch_size = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    printf("One op, input-source array, 1 ohm wires, 100 ohm driver and sense, G in [1e-6, 1e-4] S.\n\n");
    printf("| size | ngspice s/op | ngspice peak MiB | xbar s/op | xbar peak MiB | speed-up | rel. diff |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|\n");
    static const int sizes[] = {16, 32, 64, 128, 256, 512, 1024};
    double spice_t[16] = {0};
    for (size_t q = 0; q < sizeof sizes / sizeof sizes[0]; q++) {
        int n = sizes[q];
        if (n > xbar_max && n > spice_max)
            break;
        double pm_s = 0, pm_x = 0;
        result s = {0, 0, 0}, x = {0, 0, 0};
        if (n <= spice_max)
            s = in_child(RUN_SPICE, n, 1, &pm_s);
        if (n <= xbar_max)
            x = in_child(RUN_XBAR, n, 1, &pm_x);
        spice_t[q] = s.ok ? s.seconds : 0;
        if (s.ok)
            printf("| %d² | %.3g | %.0f | %.3g | %.0f | %.0f× | %.1e |\n", n, s.seconds, pm_s, x.seconds, pm_x,
                   s.seconds / x.seconds, s.err);
        else
            printf("| %d² | – | – | %.3g | %.0f | – | – |\n", n, x.seconds, pm_x);
        fflush(stdout);
    }
    printf("\nBatched: %d vectors on one factorization (CHOLMOD: dense right-hand-side blocks; transfer:\n"
           "T extracted once, then one GEMM), per-vector cost after the setup.\n\n", batch);
    printf("| size | CHOLMOD s/vector | transfer setup s | transfer s/vector | ideal GEMM s/vector | transfer/ideal | "
           "ngspice s/op (same size) | ngspice/CHOLMOD per vector | ngspice/transfer per vector |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    static const int bsizes[] = {64, 128, 256};
    for (size_t q = 0; q < sizeof bsizes / sizeof bsizes[0]; q++) {
        int n = bsizes[q];
        if (n > batch_size)
            break;
        double pm_b, pm_i, pm_t;
        result b = in_child(RUN_BATCH, n, batch, &pm_b);
        result tr = in_child(RUN_TRANSFER, n, batch, &pm_t);
        result id = in_child(RUN_IDEAL, n, batch, &pm_i);
        double st = 0;
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
            if (sizes[z] == n)
                st = spice_t[z];
        if (st > 0)
            printf("| %d² | %.3g | %.3g | %.3g | %.3g | %.2f | %.3g | %.2g× | %.2g× |\n", n, b.seconds, tr.err, tr.seconds,
                   id.seconds, tr.seconds / id.seconds, st, st / b.seconds, st / tr.seconds);
        else
            printf("| %d² | %.3g | %.3g | %.3g | %.3g | %.2f | not run | – | – |\n", n, b.seconds, tr.err, tr.seconds,
                   id.seconds, tr.seconds / id.seconds);
        fflush(stdout);
    }
    return 0;
}
