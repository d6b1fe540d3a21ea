/* random_suite.c: random circuits checked against ngspice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_base.h"
#include "xb_solver.h"
#include "xb_validation.h"

void xb_validate_options_init(xb_validate_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->count = 1000;
    opt->max_size = 128;
    opt->seed = 1;
    opt->tol = 1e-9;
}

static const char *const kind_names[XB_VALIDATE_KINDS] = {"input-source", "gate-input", "sl-column-near",
                                                          "sl-column-far", "sl-row"};

static int kind_of(const xb_circuit *c)
{
    if (c->topology == XB_TOPO_INPUT_SOURCE)
        return 0;
    if (c->source_line == XB_SL_ROW)
        return 4;
    if (c->source_line == XB_SL_COLUMN)
        return c->sl_drive == XB_SL_FAR ? 3 : 2;
    return 1;
}

/* The larger of two errors; a NaN (a path that produced NaN) wins. */
static double worse(double a, double b) { return isnan(a) || a > b ? a : b; }

static xb_status solve_with(const xb_circuit *c, const double *v, xb_backend b, double *out, xb_error *err)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = b;
    xb_solver *s = xb_solver_new(c, &opt, err);
    if (!s)
        return err->code;
    xb_status st = xb_solver_solve(s, v, 1, out, NULL, err);
    xb_solver_free(s);
    return st;
}

/* The structured path of c, if one applies: the column backend (recurrence or
 * ladders) whenever the columns are independent, the transfer matrix for
 * linear input-source arrays. */
static int structured_backend(const xb_circuit *c, int nonlinear, xb_backend *b)
{
    if (c->topology == XB_TOPO_GATE_INPUT && c->source_line != XB_SL_ROW) {
        *b = XB_BACKEND_COLUMN;
        return 1;
    }
    if (c->topology == XB_TOPO_INPUT_SOURCE && !nonlinear) {
        *b = XB_BACKEND_TRANSFER;
        return 1;
    }
    return 0;
}

/* What one circuit's comparison measured; relative errors of column currents. */
typedef struct {
    double err;                /* the worst path against ngspice */
    double err_general;        /* CHOLMOD (linear) or Newton/KLU (nonlinear) against ngspice */
    double err_klu_vs_general; /* linear: KLU against CHOLMOD; 0 otherwise */
    double err_structured;     /* the structured path against ngspice; -1 when none applies */
    double err_structured_vs_general; /* -1 when none applies */
    double err_auto;           /* the automatic choice against ngspice */
    double t_spice, t_general, t_structured; /* seconds */
} comparison;

/* Solve c with input v by ngspice and by every xbar path that applies. */
static xb_status compare(xb_spice *sp, const xb_circuit *c, const double *v, comparison *cmp, xb_error *err)
{
    const int N = c->cols, nonlinear = xb_circuit_is_nonlinear(c);
    double *ref = malloc(5 * (size_t)N * sizeof *ref);
    if (!ref)
        return xb_error_set(err, XB_ENOMEM, "validation: out of memory");
    double *gen = ref + N, *klu = ref + 2 * N, *fast = ref + 3 * N, *aut = ref + 4 * N;
    xb_backend fb = XB_BACKEND_AUTO;
    const int has_fast = structured_backend(c, nonlinear, &fb);
    double t0 = xb_clock_now();
    xb_status st = xb_spice_solve(sp, c, v, ref, err);
    double t1 = xb_clock_now();
    if (!st)
        st = solve_with(c, v, nonlinear ? XB_BACKEND_NEWTON : XB_BACKEND_CHOLMOD, gen, err);
    double t2 = xb_clock_now();
    if (!st && has_fast)
        st = solve_with(c, v, fb, fast, err);
    double t3 = xb_clock_now();
    if (!st && !nonlinear)
        st = solve_with(c, v, XB_BACKEND_KLU, klu, err);
    if (!st)
        st = solve_with(c, v, XB_BACKEND_AUTO, aut, err);
    if (!st) {
        cmp->t_spice = t1 - t0;
        cmp->t_general = t2 - t1;
        cmp->t_structured = has_fast ? t3 - t2 : 0;
        cmp->err_general = xb_max_rel_err(gen, ref, N);
        cmp->err_auto = xb_max_rel_err(aut, ref, N);
        cmp->err = worse(cmp->err_general, cmp->err_auto);
        cmp->err_klu_vs_general = 0;
        if (!nonlinear) {
            cmp->err = worse(cmp->err, xb_max_rel_err(klu, ref, N));
            cmp->err_klu_vs_general = xb_max_rel_err(klu, gen, N);
        }
        cmp->err_structured = cmp->err_structured_vs_general = -1;
        if (has_fast) {
            cmp->err_structured = xb_max_rel_err(fast, ref, N);
            cmp->err_structured_vs_general = xb_max_rel_err(fast, gen, N);
            cmp->err = worse(cmp->err, cmp->err_structured);
        }
    }
    free(ref);
    return st;
}

/* Fold one circuit's comparison into the report's totals. */
static void note_worst(xb_validate_report *rep, int idx, const comparison *cmp, double tol)
{
    if (!(cmp->err <= rep->max_rel_err)) {
        rep->max_rel_err = cmp->err;
        rep->worst_index = idx;
    }
    if (!(cmp->err <= tol))
        rep->n_above_tol++;
    rep->max_rel_err_general = worse(rep->max_rel_err_general, cmp->err_general);
    rep->max_rel_err_klu_vs_cholmod = worse(rep->max_rel_err_klu_vs_cholmod, cmp->err_klu_vs_general);
    rep->max_rel_err_auto = worse(rep->max_rel_err_auto, cmp->err_auto);
    if (cmp->err_structured >= 0 || isnan(cmp->err_structured)) {
        rep->max_rel_err_structured = worse(rep->max_rel_err_structured, cmp->err_structured);
        rep->max_rel_err_fast_vs_cholmod = worse(rep->max_rel_err_fast_vs_cholmod, cmp->err_structured_vs_general);
    }
}

static const int bucket_edges[XB_VALIDATE_BUCKETS] = {1, 4, 8, 16, 32, 48, 64, 128};

static void record_random(xb_validate_report *rep, int idx, const xb_circuit *c, const comparison *cmp, double tol)
{
    note_worst(rep, idx, cmp, tol);
    int side = c->rows > c->cols ? c->rows : c->cols;
    int b = 0;
    while (b < XB_VALIDATE_BUCKETS - 1 && side > bucket_edges[b])
        b++;
    xb_validate_bucket *bk = &rep->bucket[b];
    bk->count++;
    bk->max_rel_err = worse(bk->max_rel_err, cmp->err);
    bk->t_spice += cmp->t_spice;
    bk->t_xbar += cmp->t_general;
    xb_validate_kind *kd = &rep->kind[kind_of(c)];
    kd->count++;
    kd->max_rel_err = worse(kd->max_rel_err, cmp->err);
    kd->max_rel_err_general = worse(kd->max_rel_err_general, cmp->err_general);
    if (cmp->err_structured >= 0 || isnan(cmp->err_structured)) {
        kd->max_rel_err_structured = worse(kd->max_rel_err_structured, cmp->err_structured);
        rep->n_structured++;
    }
    rep->t_spice += cmp->t_spice;
    rep->t_xbar += cmp->t_general;
    rep->count++;
}

static void record_full(xb_validate_report *rep, int k, const xb_circuit *c, const comparison *cmp, double tol)
{
    note_worst(rep, rep->count + k, cmp, tol);
    xb_validate_full *f = &rep->full[rep->n_full++];
    f->rows = c->rows;
    f->cols = c->cols;
    f->source_line = c->source_line;
    f->sl_drive = c->sl_drive;
    f->rel_err = cmp->err;
    f->rel_err_general = cmp->err_general;
    f->rel_err_structured = cmp->err_structured;
    f->t_spice = cmp->t_spice;
    f->t_general = cmp->t_general;
    f->t_structured = cmp->t_structured;
}

static void report_init(xb_validate_report *rep)
{
    memset(rep, 0, sizeof *rep);
    for (int b = 0; b < XB_VALIDATE_BUCKETS; b++)
        rep->bucket[b].max_side = bucket_edges[b];
    for (int k = 0; k < XB_VALIDATE_KINDS; k++) {
        rep->kind[k].name = kind_names[k];
        rep->kind[k].max_rel_err_structured = -1;
    }
    rep->worst_index = -1;
}

xb_status xb_validate_random(const xb_validate_options *opt, xb_validate_report *rep, xb_error *err)
{
    xb_error scratch; /* err->code is read below even when the caller gave none */
    if (!err)
        err = &scratch;
    xb_validate_options defaults;
    if (!opt) {
        xb_validate_options_init(&defaults);
        opt = &defaults;
    }
    if (!rep)
        return xb_error_set(err, XB_EINVAL, "validation: NULL report");
    if (opt->count < 0 || (opt->count == 0 && !opt->full_size))
        return xb_error_set(err, XB_EINVAL, "count = %d: must be >= 1 (>= 0 with the full-size cases)",
                            opt->count);
    if (opt->max_size < 1)
        return xb_error_set(err, XB_EINVAL, "max_size = %d: must be >= 1", opt->max_size);
    report_init(rep);
    xb_spice *sp = xb_spice_open(err);
    if (!sp)
        return err->code;
    const int n_full = opt->full_size ? XB_VALIDATE_FULL_CASES : 0, total = opt->count + n_full;
    xb_status st = XB_OK;
    for (int idx = 0; idx < total && !st; idx++) {
        double *v = NULL;
        const int full = idx >= opt->count, k = idx - opt->count;
        xb_circuit *c;
        if (full)
            c = xb_validate_full_size_circuit(opt->seed, k, opt->nonlinear, &v, err);
        else if (opt->nonlinear)
            c = xb_validate_random_nonlinear(opt->seed, idx, opt->count, opt->max_size, &v, err);
        else
            c = xb_validate_random_circuit(opt->seed, idx, opt->count, opt->max_size, &v, err);
        if (!c) {
            st = err->code;
            break;
        }
        comparison cmp = {0};
        st = compare(sp, c, v, &cmp, err);
        if (st && full)
            xb_error_prefix(err, "full-size case %d (%d x %d, source line %s %s)", k, c->rows, c->cols,
                            xb_source_line_name(c->source_line), xb_sl_drive_name(c->sl_drive));
        else if (st)
            xb_error_prefix(err, "circuit %d (%d x %d, %s, source line %s)", idx, c->rows, c->cols,
                            xb_topology_name(c->topology), xb_source_line_name(c->source_line));
        else {
            if (full)
                record_full(rep, k, c, &cmp, opt->tol);
            else
                record_random(rep, idx, c, &cmp, opt->tol);
            if (opt->progress)
                opt->progress(opt->progress_ctx, idx + 1, total, c->rows, c->cols, cmp.err);
        }
        free(v);
        xb_circuit_free(c);
    }
    xb_spice_close(sp);
    return st;
}
