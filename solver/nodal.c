/* nodal.c: the nodal path of the cholmod, klu and transfer backends.
 *
 * Assemble the nodal matrix of the circuit (assemble.c), analyze it once with
 * the factorization underneath (xb_factor_ops), factorize it once (input-source)
 * or per distinct set of enabled rows (gate-input), and solve the input vectors
 * in dense right-hand-side blocks, each refined once with an extended-precision
 * KCL residual. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* Right-hand-side block: at most this many vectors, and at most this many bytes. */
#define XB_RHS_BLOCK_MAX 256
#define XB_RHS_BLOCK_BYTES ((size_t)256 << 20)

static double gib(size_t b) { return (double)b / (1024.0 * 1024 * 1024); }

int xb_nodal_rhs_block(const xb_solver *s)
{
    if (s->opt.rhs_block > 0)
        return s->opt.rhs_block;
    size_t per = (size_t)(s->n ? s->n : 1) * 2 * sizeof(double);
    size_t k = XB_RHS_BLOCK_BYTES / per;
    if (k < 1)
        k = 1;
    return (int)(k > XB_RHS_BLOCK_MAX ? XB_RHS_BLOCK_MAX : k);
}

/* Analyze, then check the factor's size (known only now) against the budget. */
static xb_status analyze(xb_solver *s, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    xb_status st = s->factor->analyze(s, err);
    if (st)
        return st;
    s->factor->stats(s, &s->stats);
    size_t factor_bytes = s->factor->bytes(s);
    size_t rhs = (size_t)xb_nodal_rhs_block(s) * (size_t)s->n * 2 * sizeof(double);
    size_t budget = s->stats.mem_budget;
    s->stats.mem_estimate += factor_bytes + rhs;
    if (budget && s->stats.mem_estimate > budget)
        return xb_error_set(err, XB_ETOOBIG,
                            "a %d x %d crossbar needs about %.3g GiB (%.3g GiB for the %s factor of %d unknowns), "
                            "more than the %.3g GiB budget (--max-memory)",
                            c->rows, c->cols, gib(s->stats.mem_estimate), gib(factor_bytes), s->factor->name, s->n,
                            gib(budget));
    return XB_OK;
}

xb_status xb_nodal_new(xb_solver *s, const xb_factor_ops *f, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    s->factor = f;
    double t0 = xb_clock_now();
    s->graph = xb_graph_new(c, err);
    if (!s->graph)
        return err->code;
    xb_status st = xb_assemble_pattern(s, err);
    if (st)
        return st;
    double t1 = xb_clock_now();
    s->stats.t_assemble = t1 - t0;
    if (s->n > 0 && (st = analyze(s, err)))
        return st;
    s->stats.t_analyze = xb_clock_now() - t1;
    if (c->topology == XB_TOPO_INPUT_SOURCE && s->n > 0) {
        double t2 = xb_clock_now();
        xb_assemble_values(s, NULL);
        if ((st = f->factor(s, err)))
            return st;
        s->stats.n_factor++;
        s->stats.t_factor += xb_clock_now() - t2;
    }
    return XB_OK;
}

void xb_nodal_stats(const xb_solver *s, xb_solver_stats *st)
{
    if (s->factor && s->factor_state)
        s->factor->stats(s, st);
}

void xb_nodal_free(xb_solver *s)
{
    if (s->factor && s->factor_state)
        s->factor->release(s);
}

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
    xb_status st = s->factor->solve(s, x, nb, err);
    for (int step = 0; step < s->refine && !st; step++) {
        for (int q = 0; q < nb; q++) {
            const double *vin = v + (b0 + (size_t)q) * M;
            set_fixed(s, vin);
            kcl_residual(s, vin, x + q * n, r + q * n, acc);
        }
        if ((st = s->factor->solve(s, r, nb, err)))
            break;
        for (size_t k = 0; k < n * (size_t)nb; k++)
            x[k] += r[k];
    }
    return st;
}

xb_status xb_nodal_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    xb_status st = XB_OK;
    const int M = c->rows, N = c->cols;
    int kb = c->topology == XB_TOPO_GATE_INPUT ? 1 : xb_nodal_rhs_block(s);
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
                double tf = xb_clock_now();
                xb_assemble_values(s, vin);
                st = s->factor->factor(s, err);
                if (st)
                    break;
                memcpy(mask, vin, (size_t)M * sizeof *mask);
                have_mask = 1;
                s->stats.n_factor++;
                s->stats.t_factor += xb_clock_now() - tf;
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
    return st;
}

