/* assemble.c: node numbering and the sparse pattern of the nodal matrix.
 *
 * Unknowns are the node classes left after merging ideal wires that hold no fixed
 * node (source, read supply or virtual ground) and touch at least one element.
 * The matrix is stored in full (both triangles) in compressed columns so that
 * CHOLMOD (which reads the upper triangle) and KLU (which reads all of it) share
 * one copy.  Every element keeps the positions of its four stamps, so new values
 * (a new gate-input vector, a Newton step) are written without searching. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static long find_pos(const xb_solver *s, int row, int col)
{
    int lo = s->Ap[col], hi = s->Ap[col + 1] - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->Ai[mid] == row)
            return mid;
        if (s->Ai[mid] < row)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
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

    /* Column counts: the diagonal plus both off-diagonals of each free-free stamp. */
    s->Ap = calloc((size_t)n + 1, sizeof *s->Ap);
    if (!s->Ap)
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory");
    for (int c = 0; c < n; c++)
        s->Ap[c + 1] = 1;
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        if (st->ua >= 0 && st->ub >= 0) {
            s->Ap[st->ua + 1]++;
            s->Ap[st->ub + 1]++;
        }
    }
    for (int c = 0; c < n; c++)
        s->Ap[c + 1] += s->Ap[c];
    long cap = s->Ap[n];
    s->Ai = malloc((size_t)(cap ? cap : 1) * sizeof *s->Ai);
    int *fill = malloc((size_t)(n ? n : 1) * sizeof *fill);
    if (!s->Ai || !fill) {
        free(fill);
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory for %ld matrix entries", cap);
    }
    for (int c = 0; c < n; c++) {
        s->Ai[s->Ap[c]] = c;
        fill[c] = s->Ap[c] + 1;
    }
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        if (st->ua >= 0 && st->ub >= 0) {
            s->Ai[fill[st->ua]++] = st->ub;
            s->Ai[fill[st->ub]++] = st->ua;
        }
    }
    /* Sort each column and drop duplicates (parallel elements), compacting. */
    long w = 0;
    int start = 0;
    for (int c = 0; c < n; c++) {
        int end = s->Ap[c + 1];
        qsort(s->Ai + start, (size_t)(end - start), sizeof *s->Ai, cmp_int);
        long col_start = w;
        for (int p = start; p < end; p++)
            if (w == col_start || s->Ai[w - 1] != s->Ai[p])
                s->Ai[w++] = s->Ai[p];
        start = end;
        s->Ap[c + 1] = (int)w;
        s->Ap[c] = (int)col_start;
    }
    free(fill);
    s->nnz = w;
    s->Ax = calloc((size_t)(w ? w : 1), sizeof *s->Ax);
    if (!s->Ax)
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory for %ld matrix values", w);
    for (int k = 0; k < s->n_stamp; k++) {
        xb_stamp *st = &s->stamp[k];
        if (st->ua >= 0)
            st->paa = find_pos(s, st->ua, st->ua);
        if (st->ub >= 0)
            st->pbb = find_pos(s, st->ub, st->ub);
        if (st->ua >= 0 && st->ub >= 0) {
            st->pab = find_pos(s, st->ua, st->ub);
            st->pba = find_pos(s, st->ub, st->ua);
        }
    }
    s->stats.n_unknowns = n;
    s->stats.nnz_matrix = w;
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
    memset(s->Ax, 0, (size_t)(s->nnz ? s->nnz : 1) * sizeof *s->Ax);
    for (int k = 0; k < s->n_stamp; k++) {
        const xb_stamp *st = &s->stamp[k];
        double y = stamp_y(s, st, x);
        if (y == 0.0)
            continue;
        if (st->paa >= 0)
            s->Ax[st->paa] += y;
        if (st->pbb >= 0)
            s->Ax[st->pbb] += y;
        if (st->pab >= 0) {
            s->Ax[st->pab] -= y;
            s->Ax[st->pba] -= y;
        }
    }
}
