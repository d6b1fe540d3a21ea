/* newton.c: circuits with nonlinear devices (level-1 NMOS access transistors,
 * sinh cells) solved by Newton's method with KLU.
 *
 * The wires come from the same element graph as the linear solver (ideal wires
 * merged).  A nonlinear cell gets an internal node between its access device and
 * the cell itself.  The Jacobian's pattern is fixed (one xb_csc, csc.c), so the
 * klu backend's LU (backend_klu.c) analyzes it once and every Newton step
 * refactorizes numerically on the same pivots.  Every step is
 * limited like SPICE limits junction voltages: the whole step is scaled so that
 * no device's controlling voltage moves by more than a device-specific amount.
 * When plain Newton fails, the sources are ramped from 0 to their values (source
 * stepping) with halving steps.  Failure is reported, never a wrong answer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* Convergence: the largest node-voltage step is below this fraction of the
 * largest node voltage, plus an absolute floor (volts). */
#define NT_RELTOL 1e-13
#define NT_VNTOL 1e-15
#define NT_MAXITER 100
/* Step limits on controlling voltages (volts; sinh in units of V0). */
#define NT_LIMIT_VGS 0.5
#define NT_LIMIT_VDS 1.0
#define NT_LIMIT_SINH 2.0
/* Source stepping: first step, smallest step. */
#define NT_SRC_STEP 0.1
#define NT_SRC_MIN_STEP 1e-4

typedef enum { NL_LINEAR = 0, NL_SINH, NL_NMOS } nl_kind;

typedef struct {
    nl_kind kind;
    int a, b;     /* unknown index of each end (-1 when fixed); NMOS: a = drain, b = source */
    int fa, fb;   /* fixed raw node of each end (-1 when free) */
    double y;     /* linear and sinh: siemens; NMOS: beta = KP W / L */
    int row;      /* row of a cell element (gate-input masking), -1 for wires */
    int cell;     /* i*N+j when this element is the cell itself (measured current), else -1 */
    long paa, pbb, pab, pba; /* positions of the four stamps in J (-1 when unused) */
} nl_elem;

typedef struct {
    int n;             /* unknowns */
    int n_raw;         /* graph raw nodes; internal node of cell q is n_raw + q */
    int *unknown;      /* (n_raw + M*N): unknown index or -1 */
    int n_elem;
    nl_elem *e;
    xb_csc J;          /* the Jacobian: pattern fixed, values per step */
    xb_klu *klu;       /* its LU: analyzed once, refactored per step */
    double *x;         /* current node voltages (warm start across vectors) */
    double *dx;        /* volts: the Newton step */
    long double *F;    /* amperes: net current leaving each unknown (the residual) */
    long iters, src_steps; /* Newton iterations and source-stepping levels, accumulated */
} newton_state;

static void add_elem(newton_state *t, const xb_graph *g, nl_kind kind, int ra, int rb, double y, int row, int cell)
{
    nl_elem *e = &t->e[t->n_elem++];
    e->kind = kind;
    e->y = y;
    e->row = row;
    e->cell = cell;
    e->a = t->unknown[ra];
    e->b = t->unknown[rb];
    e->fa = e->a < 0 ? ra : -1;
    e->fb = e->b < 0 ? rb : -1;
    e->paa = e->pbb = e->pab = e->pba = -1;
    (void)g;
}

/* Number the graph classes that an element touches, in the order of their first
 * element (as assemble.c does); returns the count. */
static int number_nodes(newton_state *t, const xb_graph *g)
{
    int n = 0;
    for (int k = 0; k < g->n_elem; k++) {
        const xb_elem *ge = &g->elem[k];
        int ra = g->root[ge->a], rb = g->root[ge->b];
        if (ra == rb || (ge->kind == XB_ELEM_CELL && ge->g == 0.0))
            continue;
        if (!xb_graph_node_is_fixed(g, ra) && t->unknown[ra] < 0)
            t->unknown[ra] = n++;
        if (!xb_graph_node_is_fixed(g, rb) && t->unknown[rb] < 0)
            t->unknown[rb] = n++;
    }
    return n;
}

/* The element list: wires as they are, and every conducting cell as its access
 * device (to an internal node numbered from n on) in series with the cell
 * itself.  Returns the number of unknowns. */
static int add_elements(const xb_circuit *c, newton_state *t, const xb_graph *g, int n)
{
    const int N = c->cols;
    int internal = c->access == XB_ACCESS_NMOS || c->r_access > 0;
    for (int k = 0; k < g->n_elem; k++) {
        const xb_elem *ge = &g->elem[k];
        int ra = g->root[ge->a], rb = g->root[ge->b];
        if (ge->kind != XB_ELEM_CELL) {
            if (ra != rb)
                add_elem(t, g, NL_LINEAR, ra, rb, 1.0 / ge->r, -1, -1);
            continue;
        }
        if (ge->g == 0.0)
            continue; /* an open cell */
        int q = ge->i * N + ge->j;
        int mid = ra;
        if (internal) {
            mid = g->n_raw + q;
            t->unknown[mid] = n++;
            if (c->access == XB_ACCESS_NMOS)
                add_elem(t, g, NL_NMOS, ra, mid, c->nmos.kp * c->nmos.w / c->nmos.l, ge->i, -1);
            else
                add_elem(t, g, NL_LINEAR, ra, mid, 1.0 / c->r_access, ge->i, -1);
        }
        add_elem(t, g, c->cell == XB_CELL_SINH ? NL_SINH : NL_LINEAR, mid, rb, ge->g, ge->i, q);
    }
    return n;
}

/* The two unknowns of element k, for the Jacobian's pattern (csc.c). */
static void elem_pair(const void *ctx, long k, int *a, int *b)
{
    const nl_elem *e = &((const newton_state *)ctx)->e[k];
    *a = e->a;
    *b = e->b;
}

static xb_status build(xb_solver *s, newton_state *t, xb_error *err)
{
    const xb_circuit *c = s->circuit;
    const xb_graph *g = s->graph;
    const size_t cells = (size_t)c->rows * c->cols;
    t->n_raw = g->n_raw;
    size_t nn = (size_t)g->n_raw + cells;
    t->unknown = malloc(nn * sizeof *t->unknown);
    t->e = malloc((4 * cells + (size_t)c->rows + (size_t)c->cols + 1) * sizeof *t->e);
    if (!t->unknown || !t->e)
        return xb_error_set(err, XB_ENOMEM, "newton: out of memory");
    for (size_t k = 0; k < nn; k++)
        t->unknown[k] = -1;
    int n = add_elements(c, t, g, number_nodes(t, g));
    t->n = n;
    xb_status st = xb_csc_symmetric(&t->J, n, t->n_elem, elem_pair, t, err);
    if (st)
        return st;
    t->x = calloc((size_t)(n ? n : 1), sizeof *t->x);
    t->dx = calloc((size_t)(n ? n : 1), sizeof *t->dx);
    t->F = calloc((size_t)(n ? n : 1), sizeof *t->F);
    if (!t->x || !t->dx || !t->F)
        return xb_error_set(err, XB_ENOMEM, "newton: out of memory for %d unknowns", n);
    for (int k = 0; k < t->n_elem; k++) {
        nl_elem *e = &t->e[k];
        if (e->a >= 0)
            e->paa = xb_csc_find(&t->J, e->a, e->a);
        if (e->b >= 0)
            e->pbb = xb_csc_find(&t->J, e->b, e->b);
        if (e->a >= 0 && e->b >= 0) {
            e->pab = xb_csc_find(&t->J, e->a, e->b);
            e->pba = xb_csc_find(&t->J, e->b, e->a);
        }
    }
    if (n > 0 && (st = xb_klu_new(&t->klu, &t->J, err)))
        return st;
    s->stats.n_unknowns = n;
    s->stats.nnz_matrix = t->J.nnz;
    s->stats.nnz_factor = t->klu ? xb_klu_nnz(t->klu) : 0;
    return XB_OK;
}

typedef struct {
    const double *vin;  /* input vector */
    double lambda;      /* source level in [0, 1] */
} nt_input;

static int elem_on(const xb_solver *s, const nl_elem *e, const nt_input *in)
{
    return !(s->circuit->topology == XB_TOPO_GATE_INPUT && e->row >= 0 && in->vin[e->row] == 0.0);
}

static double nval(const xb_solver *s, int u, int f, const double *x)
{
    return u >= 0 ? x[u] : s->fixed_v[f];
}

/* Element current from a to b and its derivatives at node voltages x. */
static void elem_eval(const xb_solver *s, const nl_elem *e, double va, double vb, double lambda, double *i,
                      double *di_da, double *di_db)
{
    const xb_circuit *c = s->circuit;
    switch (e->kind) {
    case NL_LINEAR:
        *i = e->y * (va - vb);
        *di_da = e->y;
        *di_db = -e->y;
        break;
    case NL_SINH: {
        double v0 = c->sinh_v0, u = (va - vb) / v0;
        *i = e->y * v0 * sinh(u);
        *di_da = e->y * cosh(u);
        *di_db = -*di_da;
        break;
    }
    case NL_NMOS:
    default: /* the only other kind */
        xb_mos1(e->y, c->nmos.vto, c->nmos.lambda, lambda * c->nmos.v_gate, va, vb, i, di_da, di_db);
        break;
    }
}

/* Residual (net current leaving each unknown, long double) and, when J, the
 * Jacobian values. */
static void assemble(xb_solver *s, newton_state *t, const nt_input *in, const double *x, int jac)
{
    double *Ax = t->J.x;
    if (jac)
        memset(Ax, 0, (size_t)t->J.nnz * sizeof *Ax);
    for (int u = 0; u < t->n; u++)
        t->F[u] = 0.0L;
    for (int k = 0; k < t->n_elem; k++) {
        const nl_elem *e = &t->e[k];
        if (!elem_on(s, e, in))
            continue;
        double va = nval(s, e->a, e->fa, x), vb = nval(s, e->b, e->fb, x);
        double i, da, db;
        elem_eval(s, e, va, vb, in->lambda, &i, &da, &db);
        /* wires: the difference in extended precision (see solver.c, refinement) */
        long double il = e->kind == NL_LINEAR ? (long double)e->y * ((long double)va - vb) : (long double)i;
        if (e->a >= 0)
            t->F[e->a] += il;
        if (e->b >= 0)
            t->F[e->b] -= il;
        if (!jac)
            continue;
        if (e->paa >= 0)
            Ax[e->paa] += da;
        if (e->pab >= 0)
            Ax[e->pab] += db;
        if (e->pba >= 0)
            Ax[e->pba] -= da;
        if (e->pbb >= 0)
            Ax[e->pbb] -= db;
    }
    /* An unknown that no active element touches (an internal node of a cell in a
     * disabled row) is pinned at 0 V by a unit diagonal. */
    if (jac)
        for (int u = 0; u < t->n; u++) {
            long p = xb_csc_find(&t->J, u, u);
            if (Ax[p] == 0.0) {
                Ax[p] = 1.0;
                t->F[u] = x[u];
            }
        }
}

static void set_sources(xb_solver *s, const double *vin, double lambda)
{
    const xb_circuit *c = s->circuit;
    const xb_graph *g = s->graph;
    if (c->topology == XB_TOPO_INPUT_SOURCE)
        for (int i = 0; i < c->rows; i++)
            s->fixed_v[xb_graph_node(g, XB_NODE_IN, i, 0)] = lambda * vin[i];
    else
        s->fixed_v[xb_graph_node(g, XB_NODE_VREAD, 0, 0)] = lambda * c->v_read;
}

/* Plain Newton from t->x at source level lambda.  1 on convergence. */
static int newton(xb_solver *s, newton_state *t, const nt_input *in, int maxiter, xb_error *err, xb_status *st)
{
    const int n = t->n;
    const xb_circuit *c = s->circuit;
    set_sources(s, in->vin, in->lambda);
    for (int it = 0; it < maxiter; it++) {
        t->iters++;
        assemble(s, t, in, t->x, 1);
        if ((*st = xb_klu_factor(t->klu, &t->J, err))) {
            xb_error_prefix(err, "newton: the Jacobian");
            return 0;
        }
        for (int u = 0; u < n; u++)
            t->dx[u] = (double)-t->F[u];
        if ((*st = xb_klu_solve(t->klu, t->dx, 1, err))) {
            xb_error_prefix(err, "newton: the Jacobian");
            return 0;
        }
        /* limit the step on every device's controlling voltage */
        double alpha = 1.0;
        for (int k = 0; k < t->n_elem; k++) {
            const nl_elem *e = &t->e[k];
            if (e->kind == NL_LINEAR || !elem_on(s, e, in))
                continue;
            double da = e->a >= 0 ? t->dx[e->a] : 0, db = e->b >= 0 ? t->dx[e->b] : 0;
            double lim, d;
            if (e->kind == NL_SINH) {
                d = fabs(da - db) / c->sinh_v0;
                lim = NT_LIMIT_SINH;
            } else { /* gate fixed: vgs moves by -db (or -da reversed), vds by da - db */
                d = fmax(fabs(da), fabs(db)) / NT_LIMIT_VGS;
                d = fmax(d, fabs(da - db) / NT_LIMIT_VDS);
                lim = 1.0;
            }
            if (!isfinite(d)) {
                *st = xb_error_set(err, XB_ECONVERGE, "newton: the step is not finite");
                return 0;
            }
            if (d > lim && lim / d < alpha)
                alpha = lim / d;
        }
        double dmax = 0, xmax = 0;
        for (int u = 0; u < n; u++) {
            t->x[u] += alpha * t->dx[u];
            dmax = fmax(dmax, fabs(alpha * t->dx[u]));
            xmax = fmax(xmax, fabs(t->x[u]));
        }
        if (!isfinite(dmax)) {
            *st = xb_error_set(err, XB_ECONVERGE, "newton: node voltages are not finite");
            return 0;
        }
        if (alpha == 1.0 && dmax <= NT_RELTOL * xmax + NT_VNTOL)
            return 1;
    }
    *st = xb_error_set(err, XB_ECONVERGE, "newton: no convergence in %d iterations", maxiter);
    return 0;
}

static xb_status solve_vector(xb_solver *s, newton_state *t, const double *vin, xb_error *err)
{
    nt_input in = {vin, 1.0};
    xb_status st = XB_OK;
    double *keep = malloc((size_t)(t->n ? t->n : 1) * sizeof *keep);
    if (!keep)
        return xb_error_set(err, XB_ENOMEM, "newton: out of memory");
    memcpy(keep, t->x, (size_t)t->n * sizeof *keep);
    if (newton(s, t, &in, NT_MAXITER, err, &st)) {
        free(keep);
        xb_error_clear(err);
        return XB_OK;
    }
    if (st == XB_ENOMEM) {
        free(keep);
        return st;
    }
    /* source stepping from zero */
    memset(t->x, 0, (size_t)t->n * sizeof *t->x);
    double level = 0.0, step = NT_SRC_STEP;
    memcpy(keep, t->x, (size_t)t->n * sizeof *keep);
    while (level < 1.0) {
        double next = fmin(1.0, level + step);
        in.lambda = next;
        t->src_steps++;
        if (newton(s, t, &in, NT_MAXITER, err, &st)) {
            level = next;
            memcpy(keep, t->x, (size_t)t->n * sizeof *keep);
            step *= 1.5;
        } else {
            memcpy(t->x, keep, (size_t)t->n * sizeof *keep);
            step *= 0.5;
            if (step < NT_SRC_MIN_STEP) {
                free(keep);
                return xb_error_set(err, XB_ECONVERGE,
                                    "newton: no convergence, even with source stepping (stuck at %.4g%% of the "
                                    "sources)",
                                    100 * level);
            }
        }
    }
    free(keep);
    xb_error_clear(err);
    return XB_OK;
}

static void newton_free(xb_solver *s)
{
    newton_state *t = s->state;
    if (!t)
        return;
    xb_klu_free(t->klu);
    free(t->unknown);
    free(t->e);
    xb_csc_free(&t->J);
    free(t->x);
    free(t->dx);
    free(t->F);
    free(t);
    s->state = NULL;
}

static xb_status newton_new(xb_solver *s, xb_error *err)
{
    double t0 = xb_clock_now();
    s->graph = xb_graph_new(s->circuit, err);
    if (!s->graph)
        return err->code;
    s->fixed_v = calloc((size_t)s->graph->n_raw, sizeof *s->fixed_v);
    newton_state *t = calloc(1, sizeof *t);
    s->state = t;
    if (!s->fixed_v || !t)
        return xb_error_set(err, XB_ENOMEM, "newton: out of memory");
    xb_status st = build(s, t, err);
    if (st)
        return st;
    s->stats.t_assemble = xb_clock_now() - t0;
    return XB_OK;
}

static void newton_stats(const xb_solver *s, xb_solver_stats *st)
{
    const newton_state *t = s->state;
    st->n_newton_iters = t->iters;
    st->n_source_steps = t->src_steps;
    if (t->klu)
        st->flops_factor = xb_klu_flops(t->klu);
}

/* A nonlinear cell adds an internal node: twice the per-cell structures of the
 * linear assembly. */
static size_t newton_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    return 2 * xb_estimate_assembly_bytes(c->rows, c->cols);
}

/* Each vector from the last one's node voltages (warm start); outputs from the
 * cell currents, as the nodal path does. */
static xb_status newton_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err)
{
    newton_state *t = s->state;
    const xb_circuit *c = s->circuit;
    const xb_graph *g = s->graph;
    const int M = c->rows, N = c->cols;
    for (size_t b = 0; b < k; b++) {
        const double *vin = v + b * M;
        long it0 = t->iters;
        xb_status st = t->n > 0 ? solve_vector(s, t, vin, err) : XB_OK;
        if (st) {
            xb_error_prefix(err, "vector %zu", b);
            return st;
        }
        s->stats.n_factor += t->iters - it0;
        set_sources(s, vin, 1.0);
        nt_input in = {vin, 1.0};
        double *o = out + b * N;
        memset(o, 0, (size_t)N * sizeof *o);
        size_t base = b * (size_t)M * N;
        if (d) {
            if (d->i_cell)
                memset(d->i_cell + base, 0, (size_t)M * N * sizeof *d->i_cell);
            if (d->i_src)
                memset(d->i_src + b * M, 0, (size_t)M * sizeof *d->i_src);
        }
        for (int q = 0; q < t->n_elem; q++) {
            const nl_elem *e = &t->e[q];
            if (e->cell < 0 || !elem_on(s, e, &in))
                continue;
            double va = nval(s, e->a, e->fa, t->x), vb = nval(s, e->b, e->fb, t->x), i, da, db;
            elem_eval(s, e, va, vb, 1.0, &i, &da, &db);
            o[e->cell % N] += i;
            if (d && d->i_cell)
                d->i_cell[base + (size_t)e->cell] = i;
            if (d && d->i_src)
                d->i_src[b * M + e->cell / N] += i;
        }
        for (int j = 0; j < N; j++)
            if (!isfinite(o[j]))
                return xb_error_set(err, XB_ECONVERGE,
                                    "vector %zu: the current of column %d is not finite (%g): a device current "
                                    "overflows double precision",
                                    b, j, o[j]);
        if (d && (d->v_row || d->v_col))
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    size_t q = base + (size_t)i * N + j;
                    if (d->v_row) {
                        if (c->topology == XB_TOPO_GATE_INPUT)
                            d->v_row[q] = vin[i] != 0.0 ? c->v_read : 0.0;
                        else {
                            int r = g->root[xb_graph_node(g, XB_NODE_ROW, i, j)];
                            d->v_row[q] = nval(s, t->unknown[r], r, t->x);
                        }
                    }
                    if (d->v_col) {
                        int r = g->root[xb_graph_node(g, XB_NODE_COL, i, j)];
                        d->v_col[q] = nval(s, t->unknown[r], r, t->x);
                    }
                }
    }
    return XB_OK;
}

const xb_backend_ops xb_newton_backend = {"newton",     newton_estimate, newton_new,
                                          newton_solve, newton_stats,    newton_free};
