/* cmd_bench.c: `xbar bench`: what exactness costs (study/include/xb_bench.h).
 *
 *   xbar bench mvm    per-vector cost of the exact parasitic MVM against the ideal
 *                     GEMM on the same tile, measured side by side in one run;
 *   xbar bench relax  the fixed-point relaxation baseline (solver/xb_relax.h) against
 *                     xbar's exact column path on a gate-input tile, over R̂p.
 *
 * Parses argv, runs the library's benchmarks and prints their tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_bench.h"

/* Vectors of the 1T1R comparisons (fewer than bench mvm: a nonlinear vector
 * costs milliseconds). */
#define XB_BENCH_DEVICE_VECTORS 32
#define CMD "bench"

static void machine_line(void)
{
    xb_bench_machine m;
    xb_bench_machine_get(&m);
    printf("machine: %s, %ld cores online, %d OpenMP threads, load average %.2f %.2f %.2f\n", m.cpu, m.cores,
           m.threads, m.load[0], m.load[1], m.load[2]);
}

/* ---- bench relax ------------------------------------------------------------------- */

static void relax_progress(const xb_bench_relax_options *o, int k)
{
    fprintf(stderr, "\rrelax: R̂p = %g (%d of %d) ...", o->rhat[k], k + 1, o->n_rhat);
}

/* Print each row as it is measured; the progress line names the next one. */
static int relax_row(void *user, const xb_bench_relax_row *row, int k, int n)
{
    const xb_bench_relax_options *o = user;
    char errbuf[32];
    if (row->n_failed == row->vectors)
        snprintf(errbuf, sizeof errbuf, "none converged");
    else
        snprintf(errbuf, sizeof errbuf, "%.3g", row->err_relax);
    printf("| %g | %g | %.3g | %.3g | %.0f | %s | %.1f (%d) | %.2f | %.4g | %zu/%zu (%.0f%%) | %.3g |\n", row->rhat,
           row->r_wire, row->t_relax, row->t_exact, row->t_relax / row->t_exact, errbuf, row->sweeps_mean,
           row->sweeps_max, row->attempts_mean, row->damping_end, row->n_failed, row->vectors,
           100.0 * (double)row->n_failed / (double)row->vectors, row->err_ideal);
    fflush(stdout);
    if (xb_cli_progress_enabled() && k + 1 < n)
        relax_progress(o, k + 1);
    return 0;
}

static int run_relax_table(const xb_bench_relax_options *o)
{
    const xb_relax_options *ro = &o->relax;
    printf("\nrelaxation baseline: gate-input %dx%d, %zu random bit-vectors (density %.2g), seed %lu\n", o->rows,
           o->cols, o->vectors, o->density, o->seed);
    printf("relaxation: at most %d sweeps per attempt, tolerance %.3g of V_read, damping %.3g x %.3g per "
           "failure down to %.3g%s\n",
           ro->max_iter, ro->tol, ro->damping, ro->shrink, ro->damping_min,
           ro->keep_damping ? ", kept from one vector to the next" : "");
    printf("exact: xbar's column path; errors are max |I - I_exact| / |I_exact| over all columns of the "
           "converged vectors\n\n");
    printf("| R̂p | ohm/segment | relax s/vector | exact s/vector | relax/exact | relax max rel err | "
           "sweeps/vector mean (max) | attempts/vector | final damping | not converged | ideal max rel err |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    int progress = xb_cli_progress_enabled();
    if (progress)
        relax_progress(o, 0);
    xb_error err = {0};
    if (xb_bench_relax(o, NULL, relax_row, (void *)o, &err)) {
        if (progress)
            fputc('\n', stderr);
        return xb_cli_fail(CMD, "%s", err.msg);
    }
    if (progress)
        fprintf(stderr, "\r%60s\r", "");
    return 0;
}

/* ---- bench mvm ------------------------------------------------------------------ */

/* The real 1T1R array against the idealized one, on the gate-input tile.  The
 * nonlinear solves cost milliseconds a vector, so they get fewer vectors. */
static int run_device(const xb_bench_mvm_options *o)
{
    const size_t K = o->vectors < XB_BENCH_DEVICE_VECTORS ? o->vectors : XB_BENCH_DEVICE_VECTORS;
    xb_bench_device_result res[XB_BENCH_DEVICE_PAIRS];
    xb_error err = {0};
    if (xb_bench_device(o, K, res, &err))
        return xb_cli_fail(CMD, "%s", err.msg);
    printf("\n| gate-input %dx%d, %zu vectors | solved by | us/vector | idealized us/vector | ratio | Newton "
           "iterations per column |\n|---|---|---|---|---|---|\n",
           res[0].rows, res[0].cols, K);
    for (int t = 0; t < XB_BENCH_DEVICE_PAIRS; t++)
        printf("| %s | %s | %.4g | %.4g | %.3g | %.2f |\n", res[t].what, res[t].backend, 1e6 * res[t].t_new,
               1e6 * res[t].t_base, res[t].ratio, res[t].newton_iters);
    printf("\n");
    for (int t = 0; t < XB_BENCH_DEVICE_PAIRS; t++)
        printf("ratio_%s gate-input %dx%d: %.3g\n", res[t].what, res[t].rows, res[t].cols, res[t].ratio);
    fflush(stdout);
    return 0;
}

static int run_mvm(const xb_bench_mvm_options *o, double max_ratio, int *over)
{
    printf("bench mvm: %zu vectors per tile, %d repeats (medians), seed %lu, R̂p = %g (%g ohm per segment), "
           "G in [%g, %g] S\n\n",
           o->vectors, o->repeat, o->seed, o->rhat, o->rhat / XB_BENCH_G_MAX, XB_BENCH_G_MAX / XB_BENCH_ON_OFF,
           XB_BENCH_G_MAX);
    xb_bench_mvm_result res[XB_BENCH_MVM_TILES];
    xb_error err = {0};
    if (xb_bench_mvm(o, res, &err))
        return xb_cli_fail(CMD, "%s", err.msg);
    printf("| tile | exact backend | setup s | of it T extraction s | exact us/vector | ideal us/vector | "
           "ratio (min-max) | batches per sample exact/ideal | exact vs ideal rel RMS |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int t = 0; t < XB_BENCH_MVM_TILES; t++) {
        const xb_bench_mvm_result *r = &res[t];
        printf("| %s %dx%d | %s | %.3g | %.3g | %.3g | %.3g | %.2f (%.2f-%.2f) | %d/%d | %.3g |\n",
               xb_topology_name(r->topology), r->rows, r->cols, r->exact_backend, r->setup, r->extract,
               1e6 * r->t_exact, 1e6 * r->t_ideal, r->ratio, r->ratio_min, r->ratio_max, r->inner_exact,
               r->inner_ideal, r->dev);
    }
    printf("\n");
    *over = 0;
    for (int t = 0; t < XB_BENCH_MVM_TILES; t++) {
        printf("ratio_exact_vs_ideal %s %dx%d: %.3g\n", xb_topology_name(res[t].topology), res[t].rows, res[t].cols,
               res[t].ratio);
        if (max_ratio > 0 && res[t].ratio > max_ratio)
            *over = 1;
    }
    fflush(stdout);
    return run_device(o);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar bench mvm [--vectors K] [--repeat R] [--seed S] [--rhat X] [--baseline]\n"
            "       xbar bench relax [--vectors K] [--repeat R] [--seed S] [--rhat LIST] [--rows M] [--cols N]\n"
            "       xbar bench sweep [--threads T] ...   (xbar bench sweep --help)\n\n"
            "mvm: the per-vector cost of xbar's exact parasitic MVM against the ideal GEMM (G^T v, OpenBLAS)\n"
            "on the same tile, measured side by side in one run, R times; medians are reported:\n"
            "  input-source 256x256, K voltage vectors: exact = transfer matrix T (extracted once,\n"
            "    reported separately), then one GEMM per batch;\n"
            "  gate-input 1152x256, K bit-vectors: exact = the column path.\n"
            "Prints 'ratio_exact_vs_ideal <topology> <M>x<N>: <ratio>' per tile.\n"
            "Tiles: G uniform in [Gmax/100, Gmax], Gmax = 1e-4 S; R̂p/Gmax ohms per wire segment.\n\n"
            "relax: the fixed-point relaxation method of the reference study's simulator against\n"
            "xbar's exact column path on a gate-input tile, for each R̂p: time per vector, error,\n"
            "sweeps, and the vectors that do not converge.\n\n"
            "sweep: one small analog inference point with 1 thread and with T threads in turn;\n"
            "prints 'speedup_threads <T> vs 1: <ratio>'.\n\n"
            "options:\n"
            "  --vectors K      vectors per tile (mvm: 1000; relax: 100)\n"
            "  --repeat R       timed repetitions, median reported (5)\n"
            "  --seed S         random seed for G and the inputs (1)\n"
            "  --rhat X         mvm: normalized wire resistance (1e-4)\n"
            "  --rhat LIST      relax: comma-separated R̂p values (1e-6,1e-5,1e-4,1e-3)\n"
            "  --density P      probability of a 1 in a gate-input bit-vector (0.5)\n"
            "  --rows M, --cols N   relax: tile size (1152 x 256)\n"
            "  --baseline       mvm: also run the relax table (with --baseline-vectors, 100)\n"
            "  --baseline-vectors K\n"
            "  --max-iter N, --tol T, --damping A, --shrink F, --damping-min A, --fresh-damping\n"
            "                   relaxation settings (100, 2e-4, 0.9, 0.5, 0.01; by default a vector\n"
            "                   starts from the damping the previous converged vector ended with)\n"
            "  --max-ratio X    mvm: exit with status 1 when a ratio exceeds X\n");
}

/* A count >= 1 or a number >= 0 of mvm's own options: 0, or the exit status. */
static int parse_count(const char *a, const char *val, size_t *out)
{
    long lv;
    if (!xb_parse_long(val, &lv) || lv < 1 || lv > 100000000)
        return xb_cli_fail(CMD, "%s '%s': must be an integer >= 1", a, val);
    *out = (size_t)lv;
    return 0;
}

static int parse_number(const char *a, const char *val, double *out)
{
    if (!xb_parse_double(val, out) || *out < 0)
        return xb_cli_fail(CMD, "%s '%s': must be a number >= 0", a, val);
    return 0;
}

/* argv[2..] into m and r (relax's options also hold what both share): -1 to go
 * on, else the exit status. */
static int parse_args(int argc, char **argv, int is_mvm, xb_bench_mvm_options *m, xb_bench_relax_options *r,
                      int *baseline, double *max_ratio)
{
    xb_relax_options *ro = &r->relax;
    size_t unused; /* relax: --baseline-vectors */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        xb_error err = {0};
        xb_status st = XB_OK;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--baseline") && is_mvm) {
            *baseline = 1;
            continue;
        } else if (!strcmp(a, "--fresh-damping")) {
            ro->keep_damping = 0;
            continue;
        } else if (val && (!strcmp(a, "--baseline-vectors") || (is_mvm && !strcmp(a, "--vectors")))) {
            rc = parse_count(a, val, !strcmp(a, "--vectors") ? &m->vectors : is_mvm ? &r->vectors : &unused);
        } else if (val && (!strcmp(a, "--max-ratio") || (is_mvm && !strcmp(a, "--rhat")))) {
            rc = parse_number(a, val, !strcmp(a, "--rhat") ? &m->rhat : max_ratio);
        } else if (!val || strncmp(a, "--", 2) ||
                   (st = xb_bench_relax_options_set(r, a + 2, val, &err)) == XB_EUNSUPPORTED) {
            usage(stderr);
            return xb_cli_fail(CMD, "unknown or incomplete option '%s'", a);
        } else if (st) {
            return xb_cli_fail(CMD, "--%s", err.msg);
        }
        if (rc)
            return rc;
        i++; /* the value */
    }
    m->repeat = r->repeat;
    m->seed = r->seed;
    m->density = r->density;
    if (ro->damping_min > ro->damping)
        ro->damping_min = ro->damping;
    if (!(ro->damping > 0 && ro->damping < 2))
        return xb_cli_fail(CMD, "--damping %g: must be in (0, 2)", ro->damping);
    if (!(ro->shrink > 0 && ro->shrink < 1))
        return xb_cli_fail(CMD, "--shrink %g: must be in (0, 1)", ro->shrink);
    if (!(ro->tol > 0) || !(ro->damping_min > 0))
        return xb_cli_fail(CMD, "--tol and --damping-min must be > 0");
    return -1;
}

int xb_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "sweep"))
        return xb_cmd_bench_sweep(argc, argv);
    int is_mvm = !strcmp(argv[1], "mvm"), baseline = 0;
    if (!is_mvm && strcmp(argv[1], "relax")) {
        usage(stderr);
        return xb_cli_fail(CMD, "unknown benchmark '%s' (mvm, relax or sweep)", argv[1]);
    }
    xb_bench_mvm_options m;
    xb_bench_relax_options r;
    xb_bench_mvm_options_init(&m);
    xb_bench_relax_options_init(&r);
    double max_ratio = 0;
    int rc = parse_args(argc, argv, is_mvm, &m, &r, &baseline, &max_ratio);
    if (rc < 0) {
        machine_line();
        int over = 0;
        if (!is_mvm)
            rc = run_relax_table(&r);
        else if (run_mvm(&m, max_ratio, &over) || (baseline && run_relax_table(&r)))
            rc = 1;
        else
            rc = over ? xb_cli_fail(CMD, "a ratio exceeds --max-ratio %g", max_ratio) : 0;
    }
    xb_bench_relax_options_release(&r);
    return rc;
}
