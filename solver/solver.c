/* solver.c: the solver's phases (assemble, analyze, factor, solve) and outputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* Right-hand-side block: at most this many vectors, and at most this many bytes. */
#define XB_RHS_BLOCK_MAX 256
#define XB_RHS_BLOCK_BYTES ((size_t)256 << 20)

size_t xb_cholmod_factor_bytes(const xb_solver *s);

void xb_solver_options_init(xb_solver_options *opt)
{
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

static int rhs_block(const xb_solver *s)
{
    if (s->opt.rhs_block > 0)
        return s->opt.rhs_block;
    size_t per = (size_t)(s->n ? s->n : 1) * 2 * sizeof(double);
    size_t k = XB_RHS_BLOCK_BYTES / per;
    if (k < 1)
        k = 1;
    return (int)(k > XB_RHS_BLOCK_MAX ? XB_RHS_BLOCK_MAX : k);
}

static xb_status extract_transfer(xb_solver *s, xb_error *err);

xb_solver *xb_solver_new(const xb_circuit *c, const xb_solver_options *opt, xb_error *err)
{
    xb_suitesparse_allocator_install();
    if (xb_circuit_validate(c, err))
        return NULL;
    xb_solver *s = calloc(1, sizeof *s);
    if (!s) {
        xb_error_set(err, XB_ENOMEM, "solver: out of memory");
        return NULL;
    }
    if (opt)
        s->opt = *opt;
    else
        xb_solver_options_init(&s->opt);
    s->refine = s->opt.refine < 0 ? 0 : (s->opt.refine == 0 ? 1 : s->opt.refine);
    size_t budget = s->opt.max_memory ? s->opt.max_memory : xb_physical_memory();
    s->stats.mem_budget = budget;
    xb_backend b = s->opt.backend;
    if (xb_circuit_is_nonlinear(c) && b != XB_BACKEND_AUTO && b != XB_BACKEND_NEWTON) {
        xb_error_set(err, XB_EINVAL, "backend %s: the circuit has nonlinear devices; use newton (or auto)",
                     xb_backend_name(b));
        free(s);
        return NULL;
    }
    if (b == XB_BACKEND_AUTO)
        b = xb_circuit_is_nonlinear(c)             ? XB_BACKEND_NEWTON
            : xb_circuit_is_ideal(c)               ? XB_BACKEND_IDEAL
            : c->topology == XB_TOPO_GATE_INPUT && c->source_line == XB_SL_IDEAL ? XB_BACKEND_COLUMN
                                                   : XB_BACKEND_CHOLMOD;
    if (b == XB_BACKEND_COLUMN && c->source_line != XB_SL_IDEAL) {
        xb_error_set(err, XB_EUNSUPPORTED, "backend column: not yet for source lines; use cholmod or klu");
        free(s);
        return NULL;
    }
    if ((b == XB_BACKEND_TRANSFER && c->topology != XB_TOPO_INPUT_SOURCE) ||
        (b == XB_BACKEND_COLUMN && c->topology != XB_TOPO_GATE_INPUT)) {
        xb_error_set(err, XB_EINVAL, "backend %s: needs the %s topology, the circuit is %s", xb_backend_name(b),
                     b == XB_BACKEND_TRANSFER ? "input-source" : "gate-input", xb_topology_name(c->topology));
        free(s);
        return NULL;
    }
    if (b == XB_BACKEND_IDEAL && !xb_circuit_is_ideal(c)) {
        xb_error_set(err, XB_EINVAL,
                     "backend ideal: the circuit has wire, driver or sense resistance; use cholmod or klu");
        free(s);
        return NULL;
    }
    s->opt.backend = b;
    double t0 = xb_now();
    s->circuit = xb_circuit_copy(c, err);
    if (!s->circuit) {
        free(s);
        return NULL;
    }
    if (b == XB_BACKEND_IDEAL) {
        size_t need = (size_t)c->rows * c->cols * sizeof(double);
        s->stats.backend = "ideal";
        s->stats.mem_estimate = 2 * need;
        if (budget && 2 * need > budget) {
            xb_error_set(err, XB_ETOOBIG, "a %d x %d crossbar needs about %.3g GiB, more than the %.3g GiB budget",
                         c->rows, c->cols, gib(2 * need), gib(budget));
            xb_solver_free(s);
            return NULL;
        }
        /* Fold the access resistance into the cell conductances once. */
        for (int i = 0; i < c->rows; i++)
            for (int j = 0; j < c->cols; j++)
                s->circuit->g[(size_t)i * c->cols + j] = xb_circuit_cell_g(c, i, j);
        s->circuit->r_access = 0.0;
        s->stats.t_assemble = xb_now() - t0;
        return s;
    }
    if (b == XB_BACKEND_COLUMN) {
        size_t need = 3 * (size_t)c->rows * c->cols * sizeof(double);
        s->stats.backend = "column";
        s->stats.mem_estimate = need;
        if (budget && need > budget) {
            xb_error_set(err, XB_ETOOBIG, "a %d x %d crossbar needs about %.3g GiB, more than the %.3g GiB budget",
                         c->rows, c->cols, gib(need), gib(budget));
            xb_solver_free(s);
            return NULL;
        }
        s->column = xb_column_new(c, err);
        if (!s->column) {
            xb_solver_free(s);
            return NULL;
        }
        s->stats.t_assemble = xb_now() - t0;
        return s;
    }
    size_t pre = xb_estimate_assembly_bytes(c->rows, c->cols);
    if (budget && pre > budget) {
        xb_error_set(err, XB_ETOOBIG,
                     "a %d x %d crossbar needs about %.3g GiB just to assemble its nodal matrix, more than the "
                     "%.3g GiB budget (--max-memory)",
                     c->rows, c->cols, gib(pre), gib(budget));
        xb_solver_free(s);
        return NULL;
    }
    if (b == XB_BACKEND_NEWTON) {
        /* a nonlinear cell adds an internal node: twice the per-cell structures */
        if (budget && 2 * pre > budget) {
            xb_error_set(err, XB_ETOOBIG,
                         "a %d x %d nonlinear crossbar needs about %.3g GiB to assemble, more than the %.3g GiB "
                         "budget (--max-memory)",
                         c->rows, c->cols, gib(2 * pre), gib(budget));
            xb_solver_free(s);
            return NULL;
        }
        s->stats.backend = "newton";
        s->graph = xb_graph_new(c, err);
        s->fixed_v = s->graph ? calloc((size_t)s->graph->n_raw, sizeof *s->fixed_v) : NULL;
        if (s->graph && !s->fixed_v)
            xb_error_set(err, XB_ENOMEM, "newton: out of memory");
        if (!s->fixed_v || !(s->newton = xb_newton_new(s, err))) {
            xb_solver_free(s);
            return NULL;
        }
        s->stats.mem_estimate = 2 * pre;
        s->stats.t_assemble = xb_now() - t0;
        return s;
    }
    s->ops = b == XB_BACKEND_KLU ? &xb_klu_ops : &xb_cholmod_ops;
    if (b == XB_BACKEND_TRANSFER)
        pre += (size_t)c->rows * c->cols * sizeof(double);
    s->stats.backend = b == XB_BACKEND_TRANSFER ? "transfer" : s->ops->name;
    s->graph = xb_graph_new(c, err);
    if (!s->graph || xb_assemble_pattern(s, err)) {
        xb_solver_free(s);
        return NULL;
    }
    double t1 = xb_now();
    s->stats.t_assemble = t1 - t0;
    if (s->n > 0) {
        if (s->ops->analyze(s, err)) {
            xb_solver_free(s);
            return NULL;
        }
        size_t factor_bytes = b == XB_BACKEND_CHOLMOD
                                  ? xb_cholmod_factor_bytes(s)
                                  : (size_t)(s->stats.nnz_factor * (sizeof(double) + sizeof(int)) * 1.5);
        size_t rhs = (size_t)rhs_block(s) * (size_t)s->n * 2 * sizeof(double);
        s->stats.mem_estimate = pre + factor_bytes + rhs;
        if (budget && s->stats.mem_estimate > budget) {
            xb_error_set(err, XB_ETOOBIG,
                         "a %d x %d crossbar needs about %.3g GiB (%.3g GiB for the %s factor of %d unknowns), "
                         "more than the %.3g GiB budget (--max-memory)",
                         c->rows, c->cols, gib(s->stats.mem_estimate), gib(factor_bytes), s->ops->name, s->n,
                         gib(budget));
            xb_solver_free(s);
            return NULL;
        }
    } else {
        s->stats.mem_estimate = pre;
    }
    s->stats.t_analyze = xb_now() - t1;
    if (c->topology == XB_TOPO_INPUT_SOURCE && s->n > 0) {
        double t2 = xb_now();
        xb_assemble_values(s, NULL);
        if (s->ops->factor(s, err)) {
            xb_solver_free(s);
            return NULL;
        }
        s->factored = 1;
        s->stats.n_factor++;
        s->stats.t_factor += xb_now() - t2;
    }
    if (b == XB_BACKEND_TRANSFER && extract_transfer(s, err)) {
        xb_solver_free(s);
        return NULL;
    }
    return s;
}

void xb_solver_free(xb_solver *s)
{
    if (!s)
        return;
    if (s->ops && s->backend)
        s->ops->release(s);
    xb_circuit_free(s->circuit);
    xb_graph_free(s->graph);
    free(s->unknown);
    free(s->fixed_v);
    free(s->stamp);
    free(s->Ap);
    free(s->Ai);
    free(s->Ax);
    free(s->transfer);
    xb_column_free(s->column);
    xb_newton_free(s->newton);
    free(s);
}

const double *xb_solver_transfer(const xb_solver *s) { return s->transfer; }

const xb_solver_stats *xb_solver_get_stats(const xb_solver *s) { return &s->stats; }
const xb_circuit *xb_solver_circuit(const xb_solver *s) { return s->circuit; }

/* ---- ideal path --------------------------------------------------------------- */

static xb_status solve_ideal(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d)
{
    const xb_circuit *c = s->circuit;
    const int M = c->rows, N = c->cols;
    double alpha = c->topology == XB_TOPO_GATE_INPUT ? c->v_read : 1.0;
    /* out (K x N) = alpha * v (K x M) * G (M x N) */
    xb_gemm(k, M, N, alpha, v, c->g, out);
    if (!d)
        return XB_OK;
    for (size_t b = 0; b < k; b++)
        for (int i = 0; i < M; i++) {
            double x = v[b * M + i];
            double vr = c->topology == XB_TOPO_GATE_INPUT ? (x != 0.0 ? c->v_read : 0.0) : x;
            double src = 0;
            for (int j = 0; j < N; j++) {
                size_t p = b * (size_t)M * N + (size_t)i * N + j;
                double ic = c->g[(size_t)i * N + j] * vr;
                if (d->v_row)
                    d->v_row[p] = vr;
                if (d->v_col)
                    d->v_col[p] = 0.0;
                if (d->i_cell)
                    d->i_cell[p] = ic;
                src += ic;
            }
            if (d->i_src)
                d->i_src[b * M + i] = src;
        }
    return XB_OK;
}

/* ---- nodal path ------------------------------------------------------------------ */

static double node_value(const xb_solver *s, int raw, const double *x)
{
    int u = s->unknown[raw];
    return u >= 0 ? x[u] : s->fixed_v[s->graph->root[raw]];
}

static void set_fixed(xb_solver *s, const double *vin)
{
    const xb_graph *g = s->graph;
    const xb_circuit *c = s->circuit;
    if (c->topology == XB_TOPO_INPUT_SOURCE) {
        for (int i = 0; i < c->rows; i++)
            s->fixed_v[xb_graph_node(g, XB_NODE_IN, i, 0)] = vin[i];
    } else {
        s->fixed_v[xb_graph_node(g, XB_NODE_VREAD, 0, 0)] = c->v_read;
    }
    /* virtual grounds stay at 0 V (calloc) */
}

/* Stamp conductance for input vector vin (gate-input cells follow their row bit). */
static double y_of(const xb_solver *s, const xb_stamp *st, const double *vin)
{
    const xb_elem *e = &s->graph->elem[st->elem];
    if (s->circuit->topology == XB_TOPO_GATE_INPUT && e->kind == XB_ELEM_CELL && vin[e->i] == 0.0)
        return 0.0;
    return st->y;
}

static void build_rhs(xb_solver *s, const double *vin, double *rhs)
{
    memset(rhs, 0, (size_t)s->n * sizeof *rhs);
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        if ((st->ua >= 0) == (st->ub >= 0))
            continue;
        double y = y_of(s, st, vin);
        if (st->ua >= 0)
            rhs[st->ua] += y * s->fixed_v[st->fb];
        else
            rhs[st->ub] += y * s->fixed_v[st->fa];
    }
}

static void outputs(xb_solver *s, const double *vin, const double *x, double *out, xb_solution *d, size_t b)
{
    const xb_graph *g = s->graph;
    const xb_circuit *c = s->circuit;
    const int M = c->rows, N = c->cols;
    int in0 = xb_graph_node(g, XB_NODE_IN, 0, 0);
    memset(out, 0, (size_t)N * sizeof *out);
    double *isrc = d && d->i_src ? d->i_src + b * (size_t)M : NULL;
    if (isrc)
        memset(isrc, 0, (size_t)M * sizeof *isrc);
    /* A column's output is the sum of its cell currents (KCL over the column's
     * nodes).  Cells are the weakest conductances of the circuit, so their
     * currents are well conditioned, unlike the current through a milliohm wire
     * that node voltages would give only to a few digits.  Source currents are
     * taken across the cut around each source's node class. */
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        const xb_elem *e = &g->elem[st->elem];
        if (e->kind == XB_ELEM_CELL) {
            double y = y_of(s, st, vin);
            if (y == 0.0)
                continue;
            double ic = y * (node_value(s, e->a, x) - node_value(s, e->b, x));
            out[e->j] += ic;
            if (isrc && c->topology == XB_TOPO_GATE_INPUT)
                isrc[e->i] += ic;
        } else if (isrc && c->topology == XB_TOPO_INPUT_SOURCE && (st->fa >= 0 || st->fb >= 0)) {
            double i_ab = st->y * (node_value(s, e->a, x) - node_value(s, e->b, x));
            if (st->fa >= in0 && st->fa < in0 + M)
                isrc[st->fa - in0] += i_ab;
            if (st->fb >= in0 && st->fb < in0 + M)
                isrc[st->fb - in0] -= i_ab;
        }
    }
    if (!d)
        return;
    size_t base = b * (size_t)M * N;
    for (int i = 0; i < M; i++) {
        double on = c->topology == XB_TOPO_INPUT_SOURCE || vin[i] != 0.0;
        for (int j = 0; j < N; j++) {
            size_t p = base + (size_t)i * N + j;
            double vr = c->topology == XB_TOPO_INPUT_SOURCE ? node_value(s, xb_graph_node(g, XB_NODE_ROW, i, j), x)
                                                            : (on ? c->v_read : 0.0);
            double vc = node_value(s, xb_graph_node(g, XB_NODE_COL, i, j), x);
            double ic = on ? xb_circuit_cell_g(c, i, j) * (vr - vc) : 0.0;
            if (d->v_row)
                d->v_row[p] = vr;
            if (d->v_col)
                d->v_col[p] = vc;
            if (d->i_cell)
                d->i_cell[p] = ic;
        }
    }
}

/* Net current leaving every free node for node voltages x and input vin,
 * accumulated in long double straight from the element stamps (not from the
 * assembled matrix, whose diagonal sums are already rounded).  res receives
 * minus that current: the right-hand side of the refinement step. */
static void kcl_residual(xb_solver *s, const double *vin, const double *x, double *res, long double *acc)
{
    const size_t n = (size_t)s->n;
    for (size_t u = 0; u < n; u++)
        acc[u] = 0.0L;
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        double y = y_of(s, st, vin);
        if (y == 0.0)
            continue;
        long double va = st->ua >= 0 ? x[st->ua] : s->fixed_v[st->fa];
        long double vb = st->ub >= 0 ? x[st->ub] : s->fixed_v[st->fb];
        long double i = (long double)y * (va - vb);
        if (st->ua >= 0)
            acc[st->ua] += i;
        if (st->ub >= 0)
            acc[st->ub] -= i;
    }
    for (size_t u = 0; u < n; u++)
        res[u] = (double)-acc[u];
}

/* Solve the block (right-hand sides in x on entry), then refine.  The nodal
 * matrix mixes wires of a few ohms (or milliohms) with cells of megaohms, so a
 * plain double-precision solve carries an error of about eps * cond, 1e-12 and
 * worse.  Each refinement step computes the KCL residual in extended precision
 * and solves for a correction with the same factorization, which brings the
 * node voltages to double-precision accuracy. */
static xb_status solve_refined(xb_solver *s, const double *v, size_t b0, double *x, double *r, long double *acc,
                               int nb, xb_error *err)
{
    const size_t n = (size_t)s->n;
    const int M = s->circuit->rows;
    xb_status st = s->ops->solve(s, x, nb, err);
    for (int step = 0; step < s->refine && !st; step++) {
        for (int q = 0; q < nb; q++) {
            const double *vin = v + (b0 + (size_t)q) * M;
            set_fixed(s, vin);
            kcl_residual(s, vin, x + q * n, r + q * n, acc);
        }
        if ((st = s->ops->solve(s, r, nb, err)))
            break;
        for (size_t k = 0; k < n * (size_t)nb; k++)
            x[k] += r[k];
    }
    return st;
}

xb_status xb_solver_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err)
{
    if (!s || (!v && k) || (!out && k))
        return xb_error_set(err, XB_EINVAL, "solve: NULL argument");
    const xb_circuit *c = s->circuit;
    xb_status st = xb_circuit_check_inputs(c, v, k, err);
    if (st)
        return st;
    if (k == 0)
        return XB_OK;
    double t0 = xb_now();
    if (s->opt.backend == XB_BACKEND_NEWTON) {
        st = xb_newton_solve(s, s->newton, v, k, out, d, err);
        s->stats.t_solve += xb_now() - t0;
        if (!st)
            s->stats.n_vectors += (long)k;
        return st;
    }
    if (s->opt.backend == XB_BACKEND_IDEAL || s->opt.backend == XB_BACKEND_COLUMN ||
        (s->opt.backend == XB_BACKEND_TRANSFER && !d && s->transfer)) {
        if (s->opt.backend == XB_BACKEND_IDEAL)
            st = solve_ideal(s, v, k, out, d);
        else if (s->opt.backend == XB_BACKEND_COLUMN)
            st = d ? xb_column_detail(s->column, v, k, out, d, err) : xb_column_solve(s->column, v, k, out, err);
        else
            xb_gemm(k, c->rows, c->cols, 1.0, v, s->transfer, out);
        s->stats.t_solve += xb_now() - t0;
        if (!st)
            s->stats.n_vectors += (long)k;
        return st;
    }
    const int M = c->rows, N = c->cols;
    int kb = c->topology == XB_TOPO_GATE_INPUT ? 1 : rhs_block(s);
    double *x = malloc((size_t)(s->n ? s->n : 1) * (size_t)kb * sizeof *x);
    double *r = malloc((size_t)(s->n ? s->n : 1) * (size_t)kb * sizeof *r);
    long double *acc = malloc((size_t)(s->n ? s->n : 1) * sizeof *acc);
    double *mask = c->topology == XB_TOPO_GATE_INPUT ? malloc((size_t)M * sizeof *mask) : NULL;
    if (!x || !r || !acc || (c->topology == XB_TOPO_GATE_INPUT && !mask)) {
        free(x);
        free(r);
        free(acc);
        free(mask);
        return xb_error_set(err, XB_ENOMEM, "solve: out of memory for a %d-vector block of %d unknowns", kb, s->n);
    }
    int have_mask = 0;
    for (size_t b0 = 0; b0 < k; b0 += (size_t)kb) {
        int nb = (int)((k - b0) < (size_t)kb ? (k - b0) : (size_t)kb);
        if (c->topology == XB_TOPO_GATE_INPUT && s->n > 0) {
            const double *vin = v + b0 * M;
            /* Refactorize only when the set of enabled rows changes. */
            if (!have_mask || memcmp(mask, vin, (size_t)M * sizeof *mask)) {
                double tf = xb_now();
                xb_assemble_values(s, vin);
                st = s->ops->factor(s, err);
                if (st)
                    break;
                memcpy(mask, vin, (size_t)M * sizeof *mask);
                have_mask = 1;
                s->stats.n_factor++;
                s->stats.t_factor += xb_now() - tf;
            }
        }
        for (int q = 0; q < nb; q++) {
            set_fixed(s, v + (b0 + q) * M);
            build_rhs(s, v + (b0 + q) * M, x + (size_t)q * s->n);
        }
        if (s->n > 0 && (st = solve_refined(s, v, b0, x, r, acc, nb, err)))
            break;
        for (int q = 0; q < nb; q++) {
            const double *vin = v + (b0 + q) * M;
            set_fixed(s, vin);
            outputs(s, vin, x + (size_t)q * s->n, out + (b0 + q) * N, d, b0 + q);
        }
    }
    free(x);
    free(r);
    free(acc);
    free(mask);
    s->stats.t_solve += xb_now() - t0;
    if (!st)
        s->stats.n_vectors += (long)k;
    return st;
}

/* ---- transfer matrix ---------------------------------------------------------- */

typedef struct tc_entry {
    unsigned long long hash;
    int rows, cols;
    double *t;
    struct tc_entry *next;
} tc_entry;

struct xb_tcache {
    size_t max_bytes, bytes;
    tc_entry *head; /* newest first */
    long hits, misses;
};

xb_tcache *xb_tcache_new(size_t max_bytes, xb_error *err)
{
    xb_tcache *tc = calloc(1, sizeof *tc);
    if (!tc)
        xb_error_set(err, XB_ENOMEM, "transfer cache: out of memory");
    else
        tc->max_bytes = max_bytes;
    return tc;
}

void xb_tcache_free(xb_tcache *tc)
{
    if (!tc)
        return;
    for (tc_entry *e = tc->head, *n; e; e = n) {
        n = e->next;
        free(e->t);
        free(e);
    }
    free(tc);
}

void xb_tcache_stats(const xb_tcache *tc, long *hits, long *misses)
{
    *hits = tc ? tc->hits : 0;
    *misses = tc ? tc->misses : 0;
}

static const tc_entry *tc_find(xb_tcache *tc, unsigned long long h, int rows, int cols)
{
    for (tc_entry *e = tc->head; e; e = e->next)
        if (e->hash == h && e->rows == rows && e->cols == cols)
            return e;
    return NULL;
}

static void tc_put(xb_tcache *tc, unsigned long long h, int rows, int cols, const double *t)
{
    size_t bytes = (size_t)rows * cols * sizeof *t;
    if (tc->max_bytes && bytes > tc->max_bytes)
        return;
    tc_entry *e = malloc(sizeof *e);
    double *copy = malloc(bytes);
    if (!e || !copy) { /* a cache that cannot grow just misses */
        free(e);
        free(copy);
        return;
    }
    memcpy(copy, t, bytes);
    *e = (tc_entry){h, rows, cols, copy, tc->head};
    tc->head = e;
    tc->bytes += bytes;
    while (tc->max_bytes && tc->bytes > tc->max_bytes) { /* drop the oldest */
        tc_entry **pp = &tc->head;
        while ((*pp)->next)
            pp = &(*pp)->next;
        tc->bytes -= (size_t)(*pp)->rows * (*pp)->cols * sizeof(double);
        free((*pp)->t);
        free(*pp);
        *pp = NULL;
    }
}

/* T = the currents for unit inputs: row i of T is the solve of e_i.  Blocks of
 * unit vectors share the factorization and the refinement of the nodal path. */
static xb_status extract_transfer(xb_solver *s, xb_error *err)
{
    const int M = s->circuit->rows, N = s->circuit->cols;
    double t0 = xb_now();
    unsigned long long h = s->opt.cache ? xb_circuit_hash(s->circuit) : 0;
    s->transfer = malloc((size_t)M * N * sizeof *s->transfer);
    if (!s->transfer)
        return xb_error_set(err, XB_ENOMEM, "transfer: out of memory for a %d x %d matrix", N, M);
    if (s->opt.cache) {
        const tc_entry *e = tc_find(s->opt.cache, h, M, N);
        if (e) {
            memcpy(s->transfer, e->t, (size_t)M * N * sizeof *s->transfer);
            s->opt.cache->hits++;
            s->stats.transfer_cached = 1;
            s->stats.t_transfer = xb_now() - t0;
            return XB_OK;
        }
        s->opt.cache->misses++;
    }
    int kb = rhs_block(s);
    double *eye = calloc((size_t)kb * M, sizeof *eye);
    if (!eye)
        return xb_error_set(err, XB_ENOMEM, "transfer: out of memory");
    /* The nodal path runs while the backend still reads as the factorization's. */
    xb_backend keep = s->opt.backend;
    s->opt.backend = XB_BACKEND_CHOLMOD;
    xb_status st = XB_OK;
    for (int i0 = 0; i0 < M && !st; i0 += kb) {
        int nb = M - i0 < kb ? M - i0 : kb;
        memset(eye, 0, (size_t)kb * M * sizeof *eye);
        for (int q = 0; q < nb; q++)
            eye[(size_t)q * M + i0 + q] = 1.0;
        st = xb_solver_solve(s, eye, (size_t)nb, s->transfer + (size_t)i0 * N, NULL, err);
    }
    s->opt.backend = keep;
    s->stats.n_vectors = 0;
    free(eye);
    if (st)
        return st;
    if (s->opt.cache)
        tc_put(s->opt.cache, h, M, N, s->transfer);
    s->stats.t_transfer = xb_now() - t0;
    return XB_OK;
}
