/* cmd_validate.c: `xbar validate`: the randomized suite against ngspice. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_validation.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar validate [--nonlinear] [--count N] [--max-size S] [--seed S] [--tol T]\n\n"
            "Solve N random crossbars (both topologies, sizes 1x1 up to SxS skewed small,\n"
            "thin shapes 1x64, 64x1, 37x5; with and without access resistance; uniform,\n"
            "per-segment and zero wires) with ngspice (shared library, op) and with three\n"
            "xbar paths (CHOLMOD, KLU, and the fast path of the topology: column recurrence\n"
            "for gate-input, transfer matrix for input-source); compare the column currents.\n"
            "The error of a circuit is max|I_xbar - I_spice| / max|I_spice|.\n"
            "Prints a per-size table; the last line is `max_rel_err: <value>`.\n"
            "Exits 1 when any circuit is above the tolerance.\n\n"
            "  --nonlinear    circuits with level-1 NMOS access transistors and/or sinh cells,\n"
            "                 solved by Newton (KLU) against ngspice with tightened tolerances;\n"
            "                 defaults become --count 200 --max-size 64 --tol 1e-6\n"
            "  --count N      circuits (default 1000)\n"
            "  --max-size S   largest side (default 128; ngspice needs about a minute at 128^2)\n"
            "  --seed S       random seed (default 1)\n"
            "  --tol T        tolerance on the relative error (default 1e-9)\n");
}

static void progress(void *ctx, int done, int total, int rows, int cols, double e)
{
    (void)ctx;
    fprintf(stderr, "\rvalidate: %d/%d circuits, last %dx%d err %.2e   ", done, total, rows, cols, e);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

int xb_cmd_validate(int argc, char **argv)
{
    const char *cmd = "validate";
    xb_validate_options opt;
    xb_validate_options_init(&opt);
    int set_count = 0, set_size = 0, set_tol = 0;
    for (int i = 1; i < argc; i++) {
        long v;
        double d;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--count")) {
            if (!xb_parse_long(argv[++i], &v) || v < 1 || v > 10000000)
                return xb_cli_fail(cmd, "--count '%s': expected a positive integer", argv[i]);
            opt.count = (int)v;
            set_count = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--max-size")) {
            if (!xb_parse_long(argv[++i], &v) || v < 1 || v > 4096)
                return xb_cli_fail(cmd, "--max-size '%s': expected an integer in 1..4096", argv[i]);
            opt.max_size = (int)v;
            set_size = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
            if (!xb_parse_long(argv[++i], &v) || v < 0)
                return xb_cli_fail(cmd, "--seed '%s': expected a non-negative integer", argv[i]);
            opt.seed = (unsigned long)v;
        } else if (i + 1 < argc && !strcmp(argv[i], "--tol")) {
            if (!xb_parse_double(argv[++i], &d) || d <= 0)
                return xb_cli_fail(cmd, "--tol '%s': expected a positive number", argv[i]);
            opt.tol = d;
            set_tol = 1;
        } else if (!strcmp(argv[i], "--nonlinear")) {
            opt.nonlinear = 1;
        } else {
            usage(stderr);
            return xb_cli_fail(cmd, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (opt.nonlinear) {
        if (!set_count)
            opt.count = 200;
        if (!set_size)
            opt.max_size = 64;
        if (!set_tol)
            opt.tol = 1e-6;
    }
    if (xb_cli_progress_enabled())
        opt.progress = progress;
    xb_validate_report rep;
    xb_error err = {0};
    if (xb_validate_random(&opt, &rep, &err))
        return xb_cli_fail(cmd, "%s", err.msg);
    printf("%-12s %8s %14s %14s %14s\n", "max side", "circuits", "max_rel_err", "ngspice s/op", "xbar s/op");
    int lo = 1;
    for (int b = 0; b < XB_VALIDATE_BUCKETS; b++) {
        const xb_validate_bucket *bk = &rep.bucket[b];
        if (bk->count) {
            char range[32];
            snprintf(range, sizeof range, "%d..%d", lo, bk->max_side);
            printf("%-12s %8d %14.3e %14.3e %14.3e\n", range, bk->count, bk->max_rel_err, bk->t_spice / bk->count,
                   bk->t_xbar / bk->count);
        }
        lo = bk->max_side + 1;
    }
    printf("circuits: %d%s, seed %lu, max size %d, tolerance %.3g\n", rep.count, opt.nonlinear ? " nonlinear" : "",
           opt.seed, opt.max_size, opt.tol);
    printf("klu_vs_cholmod_max_rel_err: %.3e\n", rep.max_rel_err_klu_vs_cholmod);
    printf("fast_path_vs_cholmod_max_rel_err: %.3e\n", rep.max_rel_err_fast_vs_cholmod);
    printf("time: ngspice %.2f s, xbar %.2f s (CHOLMOD timed)\n", rep.t_spice, rep.t_xbar);
    if (rep.n_above_tol)
        printf("above tolerance: %d circuit(s), worst is circuit %d\n", rep.n_above_tol, rep.worst_index);
    printf("max_rel_err: %.3e\n", rep.max_rel_err);
    return rep.n_above_tol ? 1 : 0;
}
