/* cmd_bench.c: `xbar bench`: what exactness costs.
 *
 *   xbar bench mvm    per-vector cost of the exact parasitic MVM against the ideal
 *                     GEMM on the same tile, measured side by side in one run;
 *   xbar bench relax  the fixed-point relaxation baseline (solver/xb_relax.h) against
 *                     xbar's exact column path on a gate-input tile, over R̂p.
 *
 * The machine may be shared, so every timing is a ratio of two runs made next to
 * each other, repeated, and the median is reported. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli_util.h"
#include "commands.h"
#include "xb_relax.h"
#include "xb_solver.h"

/* The benchmark arrays, as in the reference study: conductances uniform in
 * [Gmin, Gmax] with Gmax = 1e-4 S (Rmin = 10 kOhm) and an On/Off ratio of 100;
 * wire resistance R̂p / Gmax per segment, so R̂p = 1e-4 is 1 ohm. */
#define BENCH_G_MAX 1e-4    /* siemens */
#define BENCH_ON_OFF 100.0  /* Gmax / Gmin */
#define BENCH_V_IN 0.2      /* volts: input-source inputs are uniform in [0, BENCH_V_IN] */
#define BENCH_V_READ 0.2    /* volts: gate-input read supply */
#define BENCH_BIT_DENSITY 0.5 /* probability that a gate-input bit is 1 */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
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

/* Seconds per vector for `inner` back-to-back solves of the batch. */
/* Time inner back-to-back products of K vectors: xb_solver_solve() on s, or,
 * with s NULL, the ideal product alpha v G of circuit ideal as one OpenBLAS
 * dgemm (the reference the exact paths are measured against). */
static xb_status time_solve(xb_solver *s, const xb_circuit *ideal, const double *v, size_t K, double *out,
                            int inner, double *per, xb_error *err)
{
    double a = now();
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
    *per = (now() - a) / ((double)K * inner);
    return XB_OK;
}

/* Back-to-back solves per timed sample so that one sample lasts at least this
 * long: a sample of a few milliseconds is at the mercy of the scheduler. */
#define BENCH_MIN_SAMPLE 0.1 /* seconds */

static int inner_count(double per_vector, size_t K)
{
    double batch = per_vector * (double)K;
    if (!(batch > 0))
        return 1;
    double n = ceil(BENCH_MIN_SAMPLE / batch);
    return n < 1 ? 1 : n > 10000 ? 10000 : (int)n;
}

/* A random M x N tile of the given topology with R̂p wires (row wires too for
 * input-source; gate-input rows carry none), no driver or sense resistance. */
static xb_circuit *make_tile(gsl_rng *r, int M, int N, xb_topology topo, double rhat, xb_error *err)
{
    xb_circuit *c = xb_circuit_new(M, N, err);
    if (!c)
        return NULL;
    c->topology = topo;
    c->v_read = BENCH_V_READ;
    const double gmin = BENCH_G_MAX / BENCH_ON_OFF;
    for (size_t q = 0; q < (size_t)M * N; q++)
        c->g[q] = gmin + (BENCH_G_MAX - gmin) * gsl_rng_uniform(r);
    c->r_col = rhat / BENCH_G_MAX;
    if (topo == XB_TOPO_INPUT_SOURCE)
        c->r_row = rhat / BENCH_G_MAX;
    return c;
}

static double *make_inputs(gsl_rng *r, int M, size_t K, xb_topology topo, double density)
{
    double *v = malloc(K * (size_t)M * sizeof *v);
    if (!v)
        return NULL;
    for (size_t q = 0; q < K * (size_t)M; q++)
        v[q] = topo == XB_TOPO_GATE_INPUT ? (gsl_rng_uniform(r) < density ? 1.0 : 0.0)
                                          : BENCH_V_IN * gsl_rng_uniform(r);
    return v;
}

/* The same tile with every resistance zero: the ideal product G^T v. */
static xb_circuit *ideal_copy(const xb_circuit *c, xb_error *err)
{
    xb_circuit *ci = xb_circuit_copy(c, err);
    if (ci)
        ci->r_row = ci->r_col = ci->r_drv = ci->r_sense = 0.0;
    return ci;
}

static void machine_line(void)
{
    char model[256] = "unknown CPU", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                char *p = strchr(line, ':');
                if (p) {
                    p += 1 + strspn(p + 1, " \t");
                    p[strcspn(p, "\n")] = 0;
                    snprintf(model, sizeof model, "%s", p);
                }
                break;
            }
        fclose(f);
    }
    double load[3] = {0, 0, 0};
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(f);
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("machine: %s, %ld cores online, %d OpenMP threads, load average %.2f %.2f %.2f\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), threads, load[0], load[1], load[2]);
}

/* ---- bench mvm ------------------------------------------------------------------ */

typedef struct {
    const char *topo;
    int M, N;
    size_t K;
    const char *exact_backend;
    double setup;      /* seconds: building the exact solver (transfer: with T) */
    double extract;    /* seconds: extracting T (transfer), 0 otherwise */
    double t_exact;    /* seconds per vector, median over repeats */
    double t_ideal;    /* seconds per vector, median over repeats */
    double ratio;      /* median over repeats of exact / ideal, each pair measured together */
    double ratio_min, ratio_max;
    double dev;        /* relative RMS difference exact vs ideal: what the wires change */
    int inner_exact, inner_ideal; /* batches per timed sample */
} mvm_result;

static xb_status bench_tile(xb_topology topo, int M, int N, size_t K, int R, double rhat, double density,
                            unsigned long seed, mvm_result *res, xb_error *err)
{
    memset(res, 0, sizeof *res);
    res->topo = xb_topology_name(topo);
    res->M = M;
    res->N = N;
    res->K = K;
    xb_backend eb = topo == XB_TOPO_GATE_INPUT ? XB_BACKEND_COLUMN : XB_BACKEND_TRANSFER;
    res->exact_backend = xb_backend_name(eb);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return xb_error_set(err, XB_ENOMEM, "bench: out of memory");
    gsl_rng_set(r, seed);
    xb_status st = XB_OK;
    xb_circuit *c = make_tile(r, M, N, topo, rhat, err), *ci = c ? ideal_copy(c, err) : NULL;
    double *v = make_inputs(r, M, K, topo, density);
    double *oe = malloc(K * (size_t)N * sizeof *oe), *oi = malloc(K * (size_t)N * sizeof *oi);
    double *ratio = malloc((size_t)R * sizeof *ratio), *te = malloc((size_t)R * sizeof *te),
           *ti = malloc((size_t)R * sizeof *ti);
    xb_solver *se = NULL;
    if (!c || !ci) {
        st = err->code;
        goto done;
    }
    if (!v || !oe || !oi || !ratio || !te || !ti) {
        st = xb_error_set(err, XB_ENOMEM, "bench: out of memory for %zu vectors of a %d x %d tile", K, M, N);
        goto done;
    }
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = eb;
    double t0 = now();
    se = xb_solver_new(c, &opt, err);
    res->setup = now() - t0;
    if (!se) {
        st = err->code;
        goto done;
    }
    res->extract = xb_solver_get_stats(se)->t_transfer;
    /* Warm up both (thread pools, page faults) and size the samples, then time
     * them side by side. */
    double pi, pe;
    if ((st = time_solve(NULL, ci, v, K, oi, 1, &pi, err)) || (st = time_solve(se, NULL, v, K, oe, 1, &pe, err)))
        goto done;
    res->inner_ideal = inner_count(pi, K);
    res->inner_exact = inner_count(pe, K);
    for (int q = 0; q < R; q++) {
        /* Alternate the order so neither always runs on a cache warmed by the other. */
        for (int h = 0; h < 2; h++) {
            int exact = (h + q) % 2;
            if ((st = time_solve(exact ? se : NULL, ci, v, K, exact ? oe : oi, exact ? res->inner_exact : res->inner_ideal,
                                 exact ? &te[q] : &ti[q], err)))
                goto done;
        }
        ratio[q] = te[q] / ti[q];
    }
    res->t_exact = median(te, R);
    res->t_ideal = median(ti, R);
    res->ratio = median(ratio, R);
    res->ratio_min = res->ratio_max = ratio[0];
    for (int q = 1; q < R; q++) {
        if (ratio[q] < res->ratio_min)
            res->ratio_min = ratio[q];
        if (ratio[q] > res->ratio_max)
            res->ratio_max = ratio[q];
    }
    double num = 0, den = 0;
    for (size_t q = 0; q < K * (size_t)N; q++) {
        num += (oe[q] - oi[q]) * (oe[q] - oi[q]);
        den += oi[q] * oi[q];
    }
    res->dev = den > 0 ? sqrt(num / den) : 0.0;
done:
    xb_solver_free(se);
    xb_circuit_free(c);
    xb_circuit_free(ci);
    free(v);
    free(oe);
    free(oi);
    free(ratio);
    free(te);
    free(ti);
    gsl_rng_free(r);
    return st;
}

/* ---- bench relax ------------------------------------------------------------------- */

typedef struct {
    double rhat;
    double t_relax;      /* seconds per vector */
    double t_exact;      /* seconds per vector (column path), median over repeats */
    double err_relax;    /* max |I_relax - I_exact| / |I_exact| over converged vectors */
    double err_ideal;    /* the same for the ideal product: how much the wires matter */
    double sweeps_mean;  /* sweeps per vector, all attempts */
    int sweeps_max;
    double attempts_mean;
    double damping_end;  /* damping the relaxation ended with */
    size_t n_failed, K;
} relax_row;

static double max_rel(const double *a, const double *b, size_t n, const int *use, int N)
{
    double e = 0;
    for (size_t q = 0; q < n; q++) {
        if (use && !use[q / (size_t)N])
            continue;
        double d = fabs(a[q] - b[q]);
        double rel = b[q] != 0.0 ? d / fabs(b[q]) : (d == 0.0 ? 0.0 : INFINITY);
        if (rel > e || isnan(rel))
            e = rel;
    }
    return e;
}

static xb_status bench_relax_point(int M, int N, size_t K, int R, double rhat, double density, unsigned long seed,
                                   const xb_relax_options *ro, relax_row *row, xb_error *err)
{
    memset(row, 0, sizeof *row);
    row->rhat = rhat;
    row->K = K;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return xb_error_set(err, XB_ENOMEM, "bench: out of memory");
    gsl_rng_set(r, seed);
    xb_status st = XB_OK;
    xb_circuit *c = make_tile(r, M, N, XB_TOPO_GATE_INPUT, rhat, err), *ci = c ? ideal_copy(c, err) : NULL;
    double *x = make_inputs(r, M, K, XB_TOPO_GATE_INPUT, density);
    size_t kn = K * (size_t)N;
    double *oe = malloc(kn * sizeof *oe), *oi = malloc(kn * sizeof *oi), *orl = malloc(kn * sizeof *orl);
    double *te = malloc((size_t)R * sizeof *te), *damp = malloc(K * sizeof *damp);
    int *iters = malloc(K * sizeof *iters), *conv = malloc(K * sizeof *conv);
    xb_solver *se = NULL, *si = NULL;
    if (!c || !ci) {
        st = err->code;
        goto done;
    }
    if (!x || !oe || !oi || !orl || !te || !damp || !iters || !conv) {
        st = xb_error_set(err, XB_ENOMEM, "bench: out of memory for %zu vectors of a %d x %d tile", K, M, N);
        goto done;
    }
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_COLUMN;
    if (!(se = xb_solver_new(c, &opt, err))) {
        st = err->code;
        goto done;
    }
    opt.backend = XB_BACKEND_IDEAL;
    if (!(si = xb_solver_new(ci, &opt, err))) {
        st = err->code;
        goto done;
    }
    double pe;
    if ((st = xb_solver_solve(si, x, K, oi, NULL, err)) || (st = time_solve(se, NULL, x, K, oe, 1, &pe, err)))
        goto done;
    for (int q = 0, inner = inner_count(pe, K); q < R; q++)
        if ((st = time_solve(se, NULL, x, K, oe, inner, &te[q], err)))
            goto done;
    row->t_exact = median(te, R);
    xb_relax_report rep;
    memset(&rep, 0, sizeof rep);
    rep.iterations = iters;
    rep.damping = damp;
    rep.converged = conv;
    xb_error rerr = {0};
    st = xb_relax_gate_input(c, x, K, orl, ro, &rep, &rerr);
    if (st && st != XB_ECONVERGE) {
        *err = rerr;
        goto done;
    }
    st = XB_OK;
    row->t_relax = rep.seconds / (double)K;
    row->err_relax = rep.n_converged ? max_rel(orl, oe, kn, conv, N) : NAN;
    row->err_ideal = max_rel(oi, oe, kn, NULL, N);
    row->sweeps_mean = (double)rep.sweeps / (double)K;
    row->sweeps_max = rep.max_sweeps;
    row->attempts_mean = (double)rep.attempts / (double)K;
    row->damping_end = damp[K - 1];
    row->n_failed = rep.n_failed;
done:
    xb_solver_free(se);
    xb_solver_free(si);
    xb_circuit_free(c);
    xb_circuit_free(ci);
    free(x);
    free(oe);
    free(oi);
    free(orl);
    free(te);
    free(damp);
    free(iters);
    free(conv);
    gsl_rng_free(r);
    return st;
}

#define MAX_RHAT 32

static int parse_list(const char *s, double *v, int max)
{
    int n = 0;
    char buf[64];
    for (;;) {
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof buf || n == max)
            return -1;
        memcpy(buf, s, len);
        buf[len] = 0;
        if (!xb_parse_double(buf, &v[n]) || !(v[n] >= 0))
            return -1;
        n++;
        s += len;
        if (!*s)
            return n;
        s++; /* the comma: another value must follow */
    }
}

static int run_relax_table(const char *cmd, int M, int N, size_t K, int R, const double *rhat, int nr,
                           double density, unsigned long seed, const xb_relax_options *ro)
{
    printf("\nrelaxation baseline: gate-input %dx%d, %zu random bit-vectors (density %.2g), seed %lu\n", M, N, K,
           density, seed);
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
    for (int p = 0; p < nr; p++) {
        if (progress)
            fprintf(stderr, "\rrelax: R̂p = %g (%d of %d) ...", rhat[p], p + 1, nr);
        relax_row row;
        xb_error err = {0};
        if (bench_relax_point(M, N, K, R, rhat[p], density, seed, ro, &row, &err)) {
            if (progress)
                fputc('\n', stderr);
            return xb_cli_fail(cmd, "%s", err.msg);
        }
        char errbuf[32];
        if (row.n_failed == K)
            snprintf(errbuf, sizeof errbuf, "none converged");
        else
            snprintf(errbuf, sizeof errbuf, "%.3g", row.err_relax);
        printf("| %g | %g | %.3g | %.3g | %.0f | %s | %.1f (%d) | %.2f | %.4g | %zu/%zu (%.0f%%) | %.3g |\n", row.rhat,
               row.rhat / BENCH_G_MAX, row.t_relax, row.t_exact, row.t_relax / row.t_exact, errbuf,
               row.sweeps_mean, row.sweeps_max, row.attempts_mean, row.damping_end, row.n_failed, K,
               100.0 * (double)row.n_failed / (double)K, row.err_ideal);
        fflush(stdout);
    }
    if (progress)
        fprintf(stderr, "\r%60s\r", "");
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar bench mvm [--vectors K] [--repeat R] [--seed S] [--rhat X] [--baseline]\n"
            "       xbar bench relax [--vectors K] [--repeat R] [--seed S] [--rhat LIST] [--rows M] [--cols N]\n\n"
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

int xb_cmd_bench(int argc, char **argv)
{
    const char *cmd = "bench";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *which = argv[1];
    int is_mvm = !strcmp(which, "mvm"), is_relax = !strcmp(which, "relax");
    if (!is_mvm && !is_relax) {
        usage(stderr);
        return xb_cli_fail(cmd, "unknown benchmark '%s' (mvm or relax)", which);
    }
    long K = is_mvm ? 1000 : 100, R = 5, seed = 1, M = 1152, N = 256, KB = 100;
    double rhat_mvm = 1e-4, density = BENCH_BIT_DENSITY, max_ratio = 0;
    double rhat[MAX_RHAT] = {1e-6, 1e-5, 1e-4, 1e-3};
    int nr = 4, baseline = is_relax;
    xb_relax_options ro;
    xb_relax_options_init(&ro);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        long lv;
        double dv;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--baseline") && is_mvm) {
            baseline = 1;
        } else if (!strcmp(a, "--fresh-damping")) {
            ro.keep_damping = 0;
        } else if (!val) {
            usage(stderr);
            return xb_cli_fail(cmd, "unknown or incomplete option '%s'", a);
        } else if (!strcmp(a, "--vectors") || !strcmp(a, "--repeat") || !strcmp(a, "--seed") ||
                   !strcmp(a, "--rows") || !strcmp(a, "--cols") || !strcmp(a, "--baseline-vectors") ||
                   !strcmp(a, "--max-iter")) {
            if (!xb_parse_long(val, &lv) || lv < (strcmp(a, "--seed") ? 1 : 0) || lv > 100000000)
                return xb_cli_fail(cmd, "%s '%s': must be an integer >= %d", a, val, strcmp(a, "--seed") ? 1 : 0);
            if (!strcmp(a, "--vectors")) K = lv;
            else if (!strcmp(a, "--repeat")) R = lv;
            else if (!strcmp(a, "--seed")) seed = lv;
            else if (!strcmp(a, "--rows")) M = lv;
            else if (!strcmp(a, "--cols")) N = lv;
            else if (!strcmp(a, "--baseline-vectors")) KB = lv;
            else ro.max_iter = (int)lv;
            i++;
        } else if (!strcmp(a, "--rhat")) {
            if (is_mvm) {
                if (!xb_parse_double(val, &rhat_mvm) || rhat_mvm < 0)
                    return xb_cli_fail(cmd, "--rhat '%s': must be a number >= 0", val);
            } else if ((nr = parse_list(val, rhat, MAX_RHAT)) < 1) {
                return xb_cli_fail(cmd, "--rhat '%s': must be up to %d comma-separated numbers >= 0", val,
                                   MAX_RHAT);
            }
            i++;
        } else if (!strcmp(a, "--density") || !strcmp(a, "--tol") || !strcmp(a, "--damping") ||
                   !strcmp(a, "--shrink") || !strcmp(a, "--damping-min") || !strcmp(a, "--max-ratio")) {
            if (!xb_parse_double(val, &dv) || dv < 0)
                return xb_cli_fail(cmd, "%s '%s': must be a number >= 0", a, val);
            if (!strcmp(a, "--density")) {
                if (dv > 1)
                    return xb_cli_fail(cmd, "--density '%s': must be in [0, 1]", val);
                density = dv;
            } else if (!strcmp(a, "--tol")) ro.tol = dv;
            else if (!strcmp(a, "--damping")) ro.damping = dv;
            else if (!strcmp(a, "--shrink")) ro.shrink = dv;
            else if (!strcmp(a, "--damping-min")) ro.damping_min = dv;
            else max_ratio = dv;
            i++;
        } else {
            usage(stderr);
            return xb_cli_fail(cmd, "unknown or incomplete option '%s'", a);
        }
    }
    if (ro.damping_min > ro.damping)
        ro.damping_min = ro.damping;
    if (!(ro.damping > 0 && ro.damping < 2))
        return xb_cli_fail(cmd, "--damping %g: must be in (0, 2)", ro.damping);
    if (!(ro.shrink > 0 && ro.shrink < 1))
        return xb_cli_fail(cmd, "--shrink %g: must be in (0, 1)", ro.shrink);
    if (!(ro.tol > 0) || !(ro.damping_min > 0))
        return xb_cli_fail(cmd, "--tol and --damping-min must be > 0");
    machine_line();
    if (is_relax)
        return run_relax_table(cmd, (int)M, (int)N, (size_t)K, (int)R, rhat, nr, density, (unsigned long)seed, &ro);

    printf("bench mvm: %ld vectors per tile, %ld repeats (medians), seed %ld, R̂p = %g (%g ohm per segment), "
           "G in [%g, %g] S\n\n",
           K, R, seed, rhat_mvm, rhat_mvm / BENCH_G_MAX, BENCH_G_MAX / BENCH_ON_OFF, BENCH_G_MAX);
    mvm_result res[2];
    const struct { xb_topology topo; int M, N; } tiles[2] = {{XB_TOPO_INPUT_SOURCE, 256, 256},
                                                             {XB_TOPO_GATE_INPUT, 1152, 256}};
    for (int t = 0; t < 2; t++) {
        xb_error err = {0};
        if (bench_tile(tiles[t].topo, tiles[t].M, tiles[t].N, (size_t)K, (int)R, rhat_mvm, density,
                       (unsigned long)seed, &res[t], &err))
            return xb_cli_fail(cmd, "%s %dx%d: %s", xb_topology_name(tiles[t].topo), tiles[t].M, tiles[t].N,
                               err.msg);
    }
    printf("| tile | exact backend | setup s | of it T extraction s | exact us/vector | ideal us/vector | "
           "ratio (min-max) | batches per sample exact/ideal | exact vs ideal rel RMS |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int t = 0; t < 2; t++)
        printf("| %s %dx%d | %s | %.3g | %.3g | %.3g | %.3g | %.2f (%.2f-%.2f) | %d/%d | %.3g |\n", res[t].topo,
               res[t].M, res[t].N, res[t].exact_backend, res[t].setup, res[t].extract, 1e6 * res[t].t_exact,
               1e6 * res[t].t_ideal, res[t].ratio, res[t].ratio_min, res[t].ratio_max, res[t].inner_exact,
               res[t].inner_ideal, res[t].dev);
    printf("\n");
    int over = 0;
    for (int t = 0; t < 2; t++) {
        printf("ratio_exact_vs_ideal %s %dx%d: %.3g\n", res[t].topo, res[t].M, res[t].N, res[t].ratio);
        if (max_ratio > 0 && res[t].ratio > max_ratio)
            over = 1;
    }
    fflush(stdout);
    if (baseline && run_relax_table(cmd, (int)M, (int)N, (size_t)KB, (int)R, rhat, nr, density,
                                    (unsigned long)seed, &ro))
        return 1;
    if (over)
        return xb_cli_fail(cmd, "a ratio exceeds --max-ratio %g", max_ratio);
    return 0;
}
