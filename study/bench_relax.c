/* bench_relax.c: the relaxation baseline of xb_relax.h against xbar's exact
 * column path, over R̂p (xb_bench.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_tile.h"
#include "xb_base.h"

/* The reference study's gate-input tile: 1152 rows (3 x 3 x 128 inputs of a
 * ResNet layer) by 256 columns. */
#define RELAX_ROWS 1152
#define RELAX_COLS 256
#define RELAX_VECTORS 100   /* the relaxation is slow: fewer vectors than bench mvm */
#define RELAX_REPEAT 5
#define BIT_DENSITY 0.5     /* probability that a gate-input bit is 1 */

void xb_bench_relax_options_init(xb_bench_relax_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->rows = RELAX_ROWS;
    o->cols = RELAX_COLS;
    o->vectors = RELAX_VECTORS;
    o->repeat = RELAX_REPEAT;
    o->seed = 1;
    o->density = BIT_DENSITY;
    /* A decade apart, from wires that barely matter to wires the relaxation
     * starts to struggle with. */
    static const double rhat[] = {1e-6, 1e-5, 1e-4, 1e-3};
    o->n_rhat = (int)(sizeof rhat / sizeof rhat[0]);
    o->rhat = rhat;
    o->own_rhat = NULL;
    xb_relax_options_init(&o->relax);
}

void xb_bench_relax_options_release(xb_bench_relax_options *o)
{
    if (!o || !o->own_rhat)
        return;
    if (o->rhat == o->own_rhat) {
        o->rhat = NULL;
        o->n_rhat = 0;
    }
    free(o->own_rhat);
    o->own_rhat = NULL;
}

/* ---- options from text -------------------------------------------------------------
 * Every message starts with the option's name, so that a caller can prefix it
 * ("--" on the command line). */

#define INT_OPTION_MAX 100000000L /* no count or seed of a benchmark is larger */
#define RHAT_TEXT_MAX 64          /* bytes of one number of the R̂p list */

/* Comma-separated numbers >= 0 into v (at most max); -1 when malformed. */
static int parse_list(const char *s, double *v, int max)
{
    int n = 0;
    char buf[RHAT_TEXT_MAX];
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

xb_status xb_bench_relax_options_set(xb_bench_relax_options *o, const char *key, const char *value, xb_error *err)
{
    if (!o || !key || !value)
        return xb_error_set(err, XB_EINVAL, "bench options: NULL argument");
    static const char *const ints[] = {"rows", "cols", "vectors", "repeat", "seed", "max-iter"};
    static const char *const reals[] = {"density", "tol", "damping", "shrink", "damping-min"};
    int *int_to[] = {&o->rows, &o->cols, NULL, &o->repeat, NULL, &o->relax.max_iter};
    double *real_to[] = {&o->density, &o->relax.tol, &o->relax.damping, &o->relax.shrink, &o->relax.damping_min};
    if (!strcmp(key, "rhat")) {
        double *v = malloc(XB_BENCH_MAX_RHAT * sizeof *v);
        if (!v)
            return xb_error_set(err, XB_ENOMEM, "rhat: out of memory");
        int n = parse_list(value, v, XB_BENCH_MAX_RHAT);
        if (n < 1) {
            free(v);
            return xb_error_set(err, XB_EINVAL, "rhat '%s': must be up to %d comma-separated numbers >= 0", value,
                                XB_BENCH_MAX_RHAT);
        }
        free(o->own_rhat);
        o->own_rhat = v;
        o->rhat = v;
        o->n_rhat = n;
        return XB_OK;
    }
    for (int k = 0; k < (int)(sizeof ints / sizeof ints[0]); k++) {
        if (strcmp(key, ints[k]))
            continue;
        long lv, min = strcmp(key, "seed") ? 1 : 0;
        if (!xb_parse_long(value, &lv) || lv < min || lv > INT_OPTION_MAX)
            return xb_error_set(err, XB_EINVAL, "%s '%s': must be an integer >= %ld", key, value, min);
        if (int_to[k])
            *int_to[k] = (int)lv;
        else if (!strcmp(key, "vectors"))
            o->vectors = (size_t)lv;
        else
            o->seed = (unsigned long)lv;
        return XB_OK;
    }
    for (int k = 0; k < (int)(sizeof reals / sizeof reals[0]); k++) {
        if (strcmp(key, reals[k]))
            continue;
        double dv;
        if (!xb_parse_double(value, &dv) || dv < 0)
            return xb_error_set(err, XB_EINVAL, "%s '%s': must be a number >= 0", key, value);
        if (real_to[k] == &o->density && dv > 1)
            return xb_error_set(err, XB_EINVAL, "density '%s': must be in [0, 1]", value);
        *real_to[k] = dv;
        return XB_OK;
    }
    return xb_error_set(err, XB_EUNSUPPORTED, "%s: unknown option", key);
}

/* ---- one row ------------------------------------------------------------------------ */

/* max |a - b| / |b| over the n entries (rows of N) whose row `use` marks. */
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

/* The buffers of one row. */
typedef struct {
    xb_circuit *c, *ci;           /* the tile, and its ideal copy */
    double *x, *oe, *oi, *orl;    /* K x M bits; K x N exact, ideal and relaxed outputs */
    double *te, *damp;            /* R exact timings; K final dampings */
    int *iters, *conv;            /* K sweeps and converged flags */
    xb_solver *se, *si;           /* the column path and the ideal product */
} relax_work;

static void relax_work_free(relax_work *w)
{
    xb_solver_free(w->se);
    xb_solver_free(w->si);
    xb_circuit_free(w->c);
    xb_circuit_free(w->ci);
    free(w->x);
    free(w->oe);
    free(w->oi);
    free(w->orl);
    free(w->te);
    free(w->damp);
    free(w->iters);
    free(w->conv);
}

/* The tile, its inputs, the buffers and both reference solvers. */
static xb_status relax_setup(relax_work *w, const xb_bench_relax_options *o, double rhat, xb_error *e)
{
    const int M = o->rows, N = o->cols;
    const size_t K = o->vectors, kn = K * (size_t)N;
    xb_status st = bench_tile_make(o->seed, M, N, XB_TOPO_GATE_INPUT, rhat, K, o->density, &w->c, &w->ci, &w->x, e);
    if (st)
        return st;
    w->oe = malloc(kn * sizeof *w->oe);
    w->oi = malloc(kn * sizeof *w->oi);
    w->orl = malloc(kn * sizeof *w->orl);
    w->te = malloc((size_t)o->repeat * sizeof *w->te);
    w->damp = malloc(K * sizeof *w->damp);
    w->iters = malloc(K * sizeof *w->iters);
    w->conv = malloc(K * sizeof *w->conv);
    if (!w->oe || !w->oi || !w->orl || !w->te || !w->damp || !w->iters || !w->conv)
        return xb_error_set(e, XB_ENOMEM, "bench: out of memory for %zu vectors of a %d x %d tile", K, M, N);
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_COLUMN;
    if (!(w->se = xb_solver_new(w->c, &opt, e)))
        return e->code;
    opt.backend = XB_BACKEND_IDEAL;
    if (!(w->si = xb_solver_new(w->ci, &opt, e)))
        return e->code;
    return XB_OK;
}

/* The ideal outputs, then the exact path timed R times. */
static xb_status relax_time_exact(relax_work *w, const xb_bench_relax_options *o, xb_bench_relax_row *row,
                                  xb_error *e)
{
    const size_t K = o->vectors;
    double pe;
    xb_status st;
    if ((st = xb_solver_solve(w->si, w->x, K, w->oi, NULL, e)) ||
        (st = bench_time(w->se, NULL, w->x, K, w->oe, 1, &pe, e)))
        return st;
    for (int q = 0, inner = bench_inner_count(pe, K); q < o->repeat; q++)
        if ((st = bench_time(w->se, NULL, w->x, K, w->oe, inner, &w->te[q], e)))
            return st;
    row->t_exact = bench_median(w->te, o->repeat);
    return XB_OK;
}

/* Relax the same vectors; vectors that do not converge are counted, not fatal. */
static xb_status relax_run(relax_work *w, const xb_bench_relax_options *o, xb_bench_relax_row *row, xb_error *e)
{
    const size_t K = o->vectors, kn = K * (size_t)o->cols;
    xb_relax_report rep;
    memset(&rep, 0, sizeof rep);
    rep.iterations = w->iters;
    rep.damping = w->damp;
    rep.converged = w->conv;
    xb_error rerr = {0};
    xb_status st = xb_relax_gate_input(w->c, w->x, K, w->orl, &o->relax, &rep, &rerr);
    if (st && st != XB_ECONVERGE) {
        *e = rerr;
        return st;
    }
    row->t_relax = rep.seconds / (double)K;
    row->err_relax = rep.n_converged ? max_rel(w->orl, w->oe, kn, w->conv, o->cols) : NAN;
    row->err_ideal = max_rel(w->oi, w->oe, kn, NULL, o->cols);
    row->sweeps_mean = (double)rep.sweeps / (double)K;
    row->sweeps_max = rep.max_sweeps;
    row->attempts_mean = (double)rep.attempts / (double)K;
    row->damping_end = w->damp[K - 1];
    row->n_failed = rep.n_failed;
    return XB_OK;
}

static xb_status relax_check(const xb_bench_relax_options *o, xb_error *err)
{
    if (!o)
        return xb_error_set(err, XB_EINVAL, "bench relax: NULL options");
    if (o->rows < 1 || o->cols < 1 || o->vectors < 1 || o->repeat < 1)
        return xb_error_set(err, XB_EINVAL, "bench relax: %d x %d tile, %zu vectors, %d repeats: need at least 1 each",
                            o->rows, o->cols, o->vectors, o->repeat);
    if (!(o->density >= 0 && o->density <= 1))
        return xb_error_set(err, XB_EINVAL, "bench relax: density %g: must be in [0, 1]", o->density);
    if (o->n_rhat < 1 || o->n_rhat > XB_BENCH_MAX_RHAT || !o->rhat)
        return xb_error_set(err, XB_EINVAL, "bench relax: %d R̂p values: need 1..%d", o->n_rhat, XB_BENCH_MAX_RHAT);
    for (int k = 0; k < o->n_rhat; k++)
        if (!(o->rhat[k] >= 0 && isfinite(o->rhat[k])))
            return xb_error_set(err, XB_EINVAL, "bench relax: rhat[%d] = %g: must be finite and >= 0", k, o->rhat[k]);
    return XB_OK;
}

xb_status xb_bench_relax_point(const xb_bench_relax_options *o, double rhat, xb_bench_relax_row *row, xb_error *err)
{
    xb_status st = relax_check(o, err);
    if (st)
        return st;
    if (!row || !(rhat >= 0 && isfinite(rhat)))
        return xb_error_set(err, XB_EINVAL, "bench relax: R̂p = %g: must be finite and >= 0 (and a row given)", rhat);
    memset(row, 0, sizeof *row);
    row->rhat = rhat;
    row->r_wire = rhat / XB_BENCH_G_MAX;
    row->vectors = o->vectors;
    xb_error local = {0}, *e = err ? err : &local;
    relax_work w = {0};
    if (!(st = relax_setup(&w, o, rhat, e)) && !(st = relax_time_exact(&w, o, row, e)))
        st = relax_run(&w, o, row, e);
    relax_work_free(&w);
    return st;
}

xb_status xb_bench_relax(const xb_bench_relax_options *o, xb_bench_relax_row *rows, xb_bench_relax_row_fn on_row,
                         void *user, xb_error *err)
{
    xb_status st = relax_check(o, err);
    for (int k = 0; !st && k < o->n_rhat; k++) {
        xb_bench_relax_row row;
        if ((st = xb_bench_relax_point(o, o->rhat[k], &row, err)))
            break;
        if (rows)
            rows[k] = row;
        if (on_row && on_row(user, &row, k, o->n_rhat))
            st = xb_error_set(err, XB_EINVAL, "bench relax: cancelled");
    }
    return st;
}
