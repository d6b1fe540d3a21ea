/* solver.c: xb_solver's entry points.  xb_solver_new validates the circuit and
 * the options, chooses a backend (xb_backend_ops, solver_internal.h), checks its
 * memory estimate against the budget, and lets the backend build itself;
 * xb_solver_solve checks the inputs and hands them to the backend. */
#include <stdlib.h>
#include <string.h>

#include "column_internal.h"
#include "ladder.h"

#define XB_GROUP_MAX 16 /* column models scanned together per pass */
#include "solver_internal.h"

void xb_solver_options_init(xb_solver_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->backend = XB_BACKEND_AUTO;
    opt->ordering = XB_ORDER_DEFAULT;
}

const char *xb_backend_name(xb_backend b)
{
    switch (b) {
    case XB_BACKEND_AUTO: return "auto";
    case XB_BACKEND_CHOLMOD: return "cholmod";
    case XB_BACKEND_KLU: return "klu";
    case XB_BACKEND_IDEAL: return "ideal";
    case XB_BACKEND_TRANSFER: return "transfer";
    case XB_BACKEND_COLUMN: return "column";
    case XB_BACKEND_NEWTON: return "newton";
    }
    return "unknown";
}

xb_status xb_backend_parse(const char *s, xb_backend *b, xb_error *err)
{
    static const xb_backend all[] = {XB_BACKEND_AUTO,     XB_BACKEND_CHOLMOD, XB_BACKEND_KLU,   XB_BACKEND_IDEAL,
                                     XB_BACKEND_TRANSFER, XB_BACKEND_COLUMN,  XB_BACKEND_NEWTON};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (s && !strcmp(s, xb_backend_name(all[k]))) {
            *b = all[k];
            return XB_OK;
        }
    return xb_error_set(err, XB_EINVAL, "backend '%s': must be auto, cholmod, klu, ideal, transfer, column or newton", s ? s : "(null)");
}

const char *xb_ordering_name(xb_ordering o)
{
    switch (o) {
    case XB_ORDER_DEFAULT: return "default";
    case XB_ORDER_AMD: return "amd";
    case XB_ORDER_METIS: return "metis";
    case XB_ORDER_GEOMETRIC: return "geometric";
    case XB_ORDER_CHOLMOD: return "cholmod";
    }
    return "unknown";
}

xb_status xb_ordering_parse(const char *s, xb_ordering *o, xb_error *err)
{
    static const xb_ordering all[] = {XB_ORDER_DEFAULT, XB_ORDER_AMD, XB_ORDER_METIS, XB_ORDER_GEOMETRIC,
                                      XB_ORDER_CHOLMOD};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (s && !strcmp(s, xb_ordering_name(all[k]))) {
            *o = all[k];
            return XB_OK;
        }
    return xb_error_set(err, XB_EINVAL, "ordering '%s': must be default, amd, metis, geometric or cholmod",
                        s ? s : "(null)");
}

static double gib(size_t b) { return (double)b / (1024.0 * 1024 * 1024); }

xb_backend xb_backend_choose(const xb_circuit *c)
{
    const int nonlinear = xb_circuit_is_nonlinear(c);
    if (!nonlinear && xb_circuit_is_ideal(c))
        return XB_BACKEND_IDEAL;
    /* gate-input columns are independent unless a source line runs along the rows */
    if (xb_ladder_applies(c))
        return XB_BACKEND_COLUMN;
    return nonlinear ? XB_BACKEND_NEWTON : XB_BACKEND_CHOLMOD;
}

/* The column backend's linear kernels need linear cells fed by an ideal
 * supply; the ladders (ladder.c) take every other independent-column circuit. */
static const xb_backend_ops *backend_ops(xb_backend b, const xb_circuit *c)
{
    switch (b) {
    case XB_BACKEND_CHOLMOD: return &xb_cholmod_backend;
    case XB_BACKEND_KLU: return &xb_klu_backend;
    case XB_BACKEND_IDEAL: return &xb_ideal_backend;
    case XB_BACKEND_TRANSFER: return &xb_transfer_backend;
    case XB_BACKEND_COLUMN:
        return xb_circuit_is_nonlinear(c) || c->source_line != XB_SL_IDEAL ? &xb_ladder_backend
                                                                          : &xb_column_backend;
    case XB_BACKEND_NEWTON: return &xb_newton_backend;
    case XB_BACKEND_AUTO: break;
    }
    return NULL;
}

/* The backend for c: AUTO resolved, an explicit choice checked against what
 * the circuit needs. */
static xb_status backend_resolve(const xb_circuit *c, xb_backend asked, xb_backend *b, xb_error *err)
{
    if (asked == XB_BACKEND_AUTO) {
        *b = xb_backend_choose(c);
        return XB_OK;
    }
    if (!backend_ops(asked, c))
        return xb_error_set(err, XB_EINVAL, "backend %d: not a backend", (int)asked);
    if (xb_circuit_is_nonlinear(c) && asked != XB_BACKEND_NEWTON && asked != XB_BACKEND_COLUMN)
        return xb_error_set(err, XB_EINVAL,
                            "backend %s: the circuit has nonlinear devices; use newton or column (or auto)",
                            xb_backend_name(asked));
    if (asked == XB_BACKEND_COLUMN && c->source_line == XB_SL_ROW)
        return xb_error_set(err, XB_EINVAL,
                            "backend column: a source line along the rows couples the columns; use cholmod, klu "
                            "or newton (or auto)");
    if ((asked == XB_BACKEND_TRANSFER && c->topology != XB_TOPO_INPUT_SOURCE) ||
        (asked == XB_BACKEND_COLUMN && c->topology != XB_TOPO_GATE_INPUT))
        return xb_error_set(err, XB_EINVAL, "backend %s: needs the %s topology, the circuit is %s",
                            xb_backend_name(asked), asked == XB_BACKEND_TRANSFER ? "input-source" : "gate-input",
                            xb_topology_name(c->topology));
    if (asked == XB_BACKEND_IDEAL && !xb_circuit_is_ideal(c))
        return xb_error_set(err, XB_EINVAL,
                            "backend ideal: the circuit has wire, driver or sense resistance; use cholmod or klu");
    *b = asked;
    return XB_OK;
}

xb_solver *xb_solver_new(const xb_circuit *c, const xb_solver_options *opt, xb_error *err)
{
    xb_error scratch; /* so that err->code can be read below even when the caller gave none */
    if (!err)
        err = &scratch;
    if (!c) {
        xb_error_set(err, XB_EINVAL, "solver: NULL circuit");
        return NULL;
    }
    xb_solver_options o;
    if (opt)
        o = *opt;
    else
        xb_solver_options_init(&o);
    xb_backend b = XB_BACKEND_AUTO;
    if (xb_circuit_validate(c, err) || backend_resolve(c, o.backend, &b, err))
        return NULL;
    const xb_backend_ops *ops = backend_ops(b, c);
    size_t budget = o.max_memory ? o.max_memory : xb_physical_memory();
    size_t need = ops->estimate_bytes(c, &o);
    if (budget && need > budget) {
        xb_error_set(err, XB_ETOOBIG,
                     "a %d x %d crossbar needs about %.3g GiB for the %s backend before its factorization, more "
                     "than the %.3g GiB budget (--max-memory)",
                     c->rows, c->cols, gib(need), ops->name, gib(budget));
        return NULL;
    }
    xb_solver *s = calloc(1, sizeof *s);
    if (!s) {
        xb_error_set(err, XB_ENOMEM, "solver: out of memory");
        return NULL;
    }
    xb_suitesparse_note_use();
    s->opt = o;
    s->opt.backend = b;
    s->ops = ops;
    s->refine = o.refine < 0 ? 0 : (o.refine == 0 ? 1 : o.refine);
    s->stats.backend = ops->name;
    s->stats.mem_budget = budget;
    s->stats.mem_estimate = need;
    s->circuit = xb_circuit_copy(c, err);
    if (!s->circuit || ops->new(s, err)) {
        xb_solver_free(s);
        return NULL;
    }
    if (ops->stats)
        ops->stats(s, &s->stats);
    return s;
}

void xb_solver_free(xb_solver *s)
{
    if (!s)
        return;
    s->ops->free(s);
    xb_circuit_free(s->circuit);
    xb_graph_free(s->graph);
    free(s->unknown);
    free(s->fixed_v);
    free(s->stamp);
    xb_csc_free(&s->A);
    free(s);
}

xb_status xb_solver_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err)
{
    xb_error scratch; /* so that backends can read err->code even when the caller gave none */
    if (!err)
        err = &scratch;
    if (!s || (!v && k) || (!out && k))
        return xb_error_set(err, XB_EINVAL, "solve: NULL argument");
    xb_status st = xb_circuit_check_inputs(s->circuit, v, k, err);
    if (st || k == 0)
        return st;
    double t0 = xb_clock_now();
    st = s->ops->solve(s, v, k, out, d, err);
    s->stats.t_solve += xb_clock_now() - t0;
    if (!st)
        s->stats.n_vectors += (long)k;
    if (s->ops->stats)
        s->ops->stats(s, &s->stats);
    return st;
}

int xb_solver_concurrent(const xb_solver *s)
{
    return s && (s->ops == &xb_column_backend || s->ops == &xb_ideal_backend || s->ops == &xb_transfer_backend);
}

xb_status xb_solver_solve_group(xb_solver *const *s, int n, const double *v, size_t k, double *const *out,
                                xb_solver_work *w, xb_error *err)
{
    xb_error scratch; /* so that backends can read err->code even when the caller gave none */
    if (!err)
        err = &scratch;
    if (!s || n < 1 || (!v && k) || !out)
        return xb_error_set(err, XB_EINVAL, "solve group: NULL argument or n = %d", n);
    for (int q = 0; q < n; q++) {
        if (!s[q] || (!out[q] && k))
            return xb_error_set(err, XB_EINVAL, "solve group: solver or output %d is NULL", q);
        if (s[q]->ops != s[0]->ops || s[q]->circuit->rows != s[0]->circuit->rows ||
            s[q]->circuit->topology != s[0]->circuit->topology)
            return xb_error_set(err, XB_EINVAL,
                                "solve group: solver %d (%s, %d rows) differs from solver 0 (%s, %d rows)", q,
                                s[q]->ops->name, s[q]->circuit->rows, s[0]->ops->name, s[0]->circuit->rows);
    }
    if (!xb_solver_concurrent(s[0])) {
        for (int q = 0; q < n; q++) {
            xb_status st = xb_solver_solve(s[q], v, k, out[q], NULL, err);
            if (st)
                return st;
        }
        return XB_OK;
    }
    if (k == 0)
        return XB_OK;
    xb_status st = XB_OK;
    if (s[0]->ops == &xb_column_backend) { /* the scan of the inputs checks them */
        const column_model *m[XB_GROUP_MAX];
        for (int q0 = 0; q0 < n && !st; q0 += XB_GROUP_MAX) {
            int nq = n - q0 < XB_GROUP_MAX ? n - q0 : XB_GROUP_MAX;
            for (int q = 0; q < nq; q++)
                m[q] = s[q0 + q]->state;
            st = xb_column_solve_group(m, nq, v, k, out + q0, w, err);
        }
        if (st == XB_EINVAL) /* name the entry */
            return xb_circuit_check_inputs(s[0]->circuit, v, k, err);
        return st;
    }
    if ((st = xb_circuit_check_inputs(s[0]->circuit, v, k, err)))
        return st;
    for (int q = 0; q < n && !st; q++)
        st = s[q]->ops->solve(s[q], v, k, out[q], NULL, err);
    return st;
}

const double *xb_solver_transfer(const xb_solver *s) { return s ? s->transfer : NULL; }
const xb_solver_stats *xb_solver_get_stats(const xb_solver *s) { return s ? &s->stats : NULL; }
const xb_circuit *xb_solver_circuit(const xb_solver *s) { return s ? s->circuit : NULL; }
