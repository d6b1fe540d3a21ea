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
            "usage: xbar validate [--nonlinear] [--full-size] [--count N] [--max-size S] [--seed S] [--tol T]\n\n"
            "Solve N random crossbars (both topologies; gate-input with an ideal supply or a\n"
            "column (near or far) or row source line, a third each; sizes 1x1 up to SxS skewed\n"
            "small, thin shapes 1x64, 64x1, 37x5; with and without access resistance; uniform,\n"
            "per-segment and zero wires) with ngspice (shared library, op) and with every xbar\n"
            "path that applies: CHOLMOD, KLU, the structured path (column backend for\n"
            "gate-input with independent columns, transfer matrix for input-source) and the\n"
            "automatic choice; compare the column currents.\n"
            "The error of a circuit is max|I_xbar - I_spice| / max|I_spice|.\n"
            "Prints a per-size and a per-kind table; the last line is `max_rel_err: <value>`.\n"
            "Exits 1 when any circuit is above the tolerance.\n\n"
            "  --nonlinear    circuits with level-1 NMOS access transistors and/or sinh cells,\n"
            "                 solved by Newton (KLU) and, with independent columns, by the\n"
            "                 column backend's ladders, against ngspice with tightened tolerances;\n"
            "                 defaults become --count 200 --max-size 64 --tol 1e-6\n"
            "  --full-size    also four 1152x4 gate-input tiles at R^p = 1e-4 (10 ohm segments,\n"
            "                 Gmax 1e-5 S), half the gate bits set, one per source line: ideal,\n"
            "                 column near, column far, row (NMOS access with --nonlinear);\n"
            "                 --count 0 runs only these\n"
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

/* An error that does not apply (-1) prints as "-". */
static const char *err_text(double e, char *buf, size_t n)
{
    if (e < 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.3e", e);
    return buf;
}

static void print_report(const xb_validate_options *opt, const xb_validate_report *rep)
{
    const char *general = opt->nonlinear ? "newton" : "cholmod";
    char a[32], b[32];
    if (rep->count) {
        printf("%-12s %8s %14s %14s %14s\n", "max side", "circuits", "max_rel_err", "ngspice s/op", "xbar s/op");
        int lo = 1;
        for (int k = 0; k < XB_VALIDATE_BUCKETS; k++) {
            const xb_validate_bucket *bk = &rep->bucket[k];
            if (bk->count) {
                char range[32];
                snprintf(range, sizeof range, "%d..%d", lo, bk->max_side);
                printf("%-12s %8d %14.3e %14.3e %14.3e\n", range, bk->count, bk->max_rel_err,
                       bk->t_spice / bk->count, bk->t_xbar / bk->count);
            }
            lo = bk->max_side + 1;
        }
        printf("\n%-15s %8s %14s %14s %14s\n", "kind", "circuits", "max_rel_err", general, "structured");
        for (int k = 0; k < XB_VALIDATE_KINDS; k++) {
            const xb_validate_kind *kd = &rep->kind[k];
            char c[32];
            printf("%-15s %8d %14s %14s %14s\n", kd->name, kd->count,
                   err_text(kd->count ? kd->max_rel_err : -1, a, sizeof a),
                   err_text(kd->count ? kd->max_rel_err_general : -1, c, sizeof c),
                   err_text(kd->max_rel_err_structured, b, sizeof b));
        }
    }
    if (rep->n_full) {
        printf("\n%-22s %12s %12s %12s %10s %10s %10s\n", "full-size", "max_rel_err", general, "structured",
               "ngspice s", "xbar s", "struct. s");
        for (int k = 0; k < rep->n_full; k++) {
            const xb_validate_full *f = &rep->full[k];
            char name[64];
            snprintf(name, sizeof name, "%dx%d sl-%s%s%s", f->rows, f->cols, xb_source_line_name(f->source_line),
                     f->source_line == XB_SL_COLUMN ? "-" : "",
                     f->source_line == XB_SL_COLUMN ? xb_sl_drive_name(f->sl_drive) : "");
            printf("%-22s %12.3e %12.3e %12s %10.3g %10.3g %10.3g\n", name, f->rel_err, f->rel_err_general,
                   err_text(f->rel_err_structured, a, sizeof a), f->t_spice, f->t_general, f->t_structured);
        }
    }
    printf("\ncircuits: %d%s%s, seed %lu, max size %d, tolerance %.3g\n", rep->count,
           opt->nonlinear ? " nonlinear" : "", rep->n_full ? " + full-size" : "", opt->seed, opt->max_size, opt->tol);
    printf("%s_max_rel_err: %.3e\n", general, rep->max_rel_err_general);
    if (!opt->nonlinear)
        printf("klu_vs_cholmod_max_rel_err: %.3e\n", rep->max_rel_err_klu_vs_cholmod);
    printf("fast_path_vs_%s_max_rel_err: %.3e\n", general, rep->max_rel_err_fast_vs_cholmod);
    printf("structured_path_max_rel_err: %.3e (%d random circuits%s)\n", rep->max_rel_err_structured,
           rep->n_structured, rep->n_full ? " and the full-size tiles" : "");
    printf("auto_backend_max_rel_err: %.3e\n", rep->max_rel_err_auto);
    printf("time: ngspice %.2f s, xbar %.2f s (%s timed, random circuits)\n", rep->t_spice, rep->t_xbar, general);
    if (rep->n_above_tol)
        printf("above tolerance: %d circuit(s), worst is %s %d\n", rep->n_above_tol,
               rep->worst_index >= rep->count ? "full-size case" : "circuit",
               rep->worst_index >= rep->count ? rep->worst_index - rep->count : rep->worst_index);
    printf("max_rel_err: %.3e\n", rep->max_rel_err);
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
            if (!xb_parse_long(argv[++i], &v) || v < 0 || v > 10000000)
                return xb_cli_fail(cmd, "--count '%s': expected a non-negative integer", argv[i]);
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
        } else if (!strcmp(argv[i], "--full-size")) {
            opt.full_size = 1;
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
    print_report(&opt, &rep);
    return rep.n_above_tol ? 1 : 0;
}
