/* assemble.c: node numbering and the sparse pattern of the nodal matrix.
 *
 * Unknowns are the node classes left after merging ideal wires that hold no fixed
 * node (source, read supply or virtual ground) and touch at least one element.
 * The matrix is stored in full (both triangles) in compressed columns (csc.c)
 * so that CHOLMOD (which reads the upper triangle) and KLU (which reads all of
 * it) share one copy.  Every element keeps the positions of its four stamps, so new values
 * (a new gate-input vector, a Newton step) are written without searching. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* The two unknowns of stamp k, for the pattern (csc.c). */
static void stamp_pair(const void *ctx, long k, int *a, int *b)
{
    const xb_stamp *st = &((const xb_solver *)ctx)->stamp[k];
    *a = st->ua;
    *b = st->ub;
}

xb_status xb_assemble_pattern(xb_solver *s, xb_error *err)
{
    const xb_graph *g = s->graph;
    s->unknown = malloc((size_t)g->n_raw * sizeof *s->unknown);
    s->fixed_v = calloc((size_t)g->n_raw, sizeof *s->fixed_v);
    s->stamp = malloc((size_t)(g->n_elem ? g->n_elem : 1) * sizeof *s->stamp);
    if (!s->unknown || !s->fixed_v || !s->stamp)
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory for %d nodes", g->n_raw);
    for (int k = 0; k < g->n_raw; k++)
        s->unknown[k] = -1;
    /* Number the free classes in the order of their first element, which keeps
     * neighbours close and the pattern banded before any ordering. */
    int n = 0;
    s->n_stamp = 0;
    for (int k = 0; k < g->n_elem; k++) {
        const xb_elem *e = &g->elem[k];
        int ra = g->root[e->a], rb = g->root[e->b];
        if (ra == rb)
            continue; /* an ideal wire, or an element shorted by ideal wires */
        int ends[2] = {ra, rb};
        for (int t = 0; t < 2; t++)
            if (!xb_graph_node_is_fixed(g, ends[t]) && s->unknown[ends[t]] < 0)
                s->unknown[ends[t]] = n++;
        xb_stamp *st = &s->stamp[s->n_stamp++];
        st->elem = k;
        st->ua = s->unknown[ra];
        st->ub = s->unknown[rb];
        st->fa = st->ua < 0 ? ra : -1;
        st->fb = st->ub < 0 ? rb : -1;
        st->paa = st->pbb = st->pab = st->pba = -1;
        st->y = xb_elem_conductance(e);
    }
    /* Let every raw node find its unknown through its class root. */
    for (int k = 0; k < g->n_raw; k++)
        if (g->root[k] != k)
            s->unknown[k] = s->unknown[g->root[k]];
    s->n = n;

    xb_status status = xb_csc_symmetric(&s->A, n, s->n_stamp, stamp_pair, s, err);
    if (status)
        return status;
    for (int k = 0; k < s->n_stamp; k++) {
        xb_stamp *st = &s->stamp[k];
        if (st->ua >= 0)
            st->paa = xb_csc_find(&s->A, st->ua, st->ua);
        if (st->ub >= 0)
            st->pbb = xb_csc_find(&s->A, st->ub, st->ub);
        if (st->ua >= 0 && st->ub >= 0) {
            st->pab = xb_csc_find(&s->A, st->ua, st->ub);
            st->pba = xb_csc_find(&s->A, st->ub, st->ua);
        }
    }
    s->stats.n_unknowns = n;
    s->stats.nnz_matrix = s->A.nnz;
    return XB_OK;
}

/* Conductance of a stamp for the row-enable mask x (gate-input cells only). */
static double stamp_y(const xb_solver *s, const xb_stamp *st, const double *x)
{
    const xb_elem *e = &s->graph->elem[st->elem];
    if (x && e->kind == XB_ELEM_CELL && x[e->i] == 0.0)
        return 0.0;
    return st->y;
}

void xb_assemble_values(xb_solver *s, const double *x)
{
    double *Ax = s->A.x;
    memset(Ax, 0, (size_t)(s->A.nnz ? s->A.nnz : 1) * sizeof *Ax);
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        double y = stamp_y(s, st, x);
        if (y == 0.0)
            continue;
        if (st->paa >= 0)
            Ax[st->paa] += y;
        if (st->pbb >= 0)
            Ax[st->pbb] += y;
        if (st->pab >= 0) {
            Ax[st->pab] -= y;
            Ax[st->pba] -= y;
        }
    }
}
