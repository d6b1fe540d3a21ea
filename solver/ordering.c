/* ordering.c: geometric nested dissection of the crossbar's nodal graph.
 *
 * The nodes of cell (i,j) are its row node r(i,j) and its column node c(i,j).
 * Row wires join r(i,j-1)-r(i,j), column wires c(i,j)-c(i+1,j), cells
 * r(i,j)-c(i,j).  So the row nodes of one column, {r(i,jm)}, separate the cells
 * left of jm from those right of it, and the column nodes of one row,
 * {c(im,j)}, separate the cells above im from those below: the graph is a 2-D
 * grid, and splitting the longer side of a box recursively (separators last) is
 * nested dissection with separators of one array side, the optimal order for
 * grids.  It costs O(MN log MN), against tens of seconds for a general-purpose
 * graph partitioner on the millions of nodes of a large array.  Driver outputs
 * and column terminals hang off a single array node each; they go first, where
 * they cause no fill.  Classes merged by ideal wires take the place of their
 * representative node; the order stays valid, it just fills more. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

#define ND_LEAF_CELLS 64 /* boxes this small are ordered row by row */

typedef struct {
    int rows, cols;
    const int *rnode, *cnode; /* M*N: unknown of r(i,j) / c(i,j) when it is its class root, else -1 */
    unsigned char *done;      /* n: already ordered */
    int *perm;
    int k;
} nd_state;

/* done[u]: 0 free, 1 ordered, 2 reserved for a separator being built */
static void put(nd_state *st, int u)
{
    if (u >= 0 && !st->done[u]) {
        st->done[u] = 1;
        st->perm[st->k++] = u;
    }
}

static void reserve(nd_state *st, int u)
{
    if (u >= 0 && !st->done[u])
        st->done[u] = 2;
}

static void put_reserved(nd_state *st, int u)
{
    if (u >= 0 && st->done[u] == 2) {
        st->done[u] = 1;
        st->perm[st->k++] = u;
    }
}

static void nd(nd_state *st, int i0, int i1, int j0, int j1)
{
    int h = i1 - i0, w = j1 - j0, N = st->cols;
    if (h <= 0 || w <= 0)
        return;
    if ((long)h * w <= ND_LEAF_CELLS) {
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++) {
                put(st, st->rnode[(size_t)i * N + j]);
                put(st, st->cnode[(size_t)i * N + j]);
            }
        return;
    }
    if (w >= h) {
        /* separator r(., jm); the column nodes c(., jm) stay in the right half */
        int jm = j0 + w / 2;
        for (int i = i0; i < i1; i++)
            reserve(st, st->rnode[(size_t)i * N + jm]);
        nd(st, i0, i1, j0, jm);
        nd(st, i0, i1, jm, j1);
        for (int i = i0; i < i1; i++)
            put_reserved(st, st->rnode[(size_t)i * N + jm]);
    } else {
        /* separator c(im, .); the row nodes r(im, .) stay in the lower half */
        int im = i0 + h / 2;
        for (int j = j0; j < j1; j++)
            reserve(st, st->cnode[(size_t)im * N + j]);
        nd(st, i0, im, j0, j1);
        nd(st, im, i1, j0, j1);
        for (int j = j0; j < j1; j++)
            put_reserved(st, st->cnode[(size_t)im * N + j]);
    }
}

/* Fill perm (length n) with the elimination order.  XB_ENOMEM on failure. */
xb_status xb_order_geometric(const xb_solver *s, int *perm, xb_error *err)
{
    const xb_graph *g = s->graph;
    const int M = g->rows, N = g->cols, n = s->n;
    size_t mn = (size_t)M * N;
    int *rnode = malloc(mn * sizeof *rnode), *cnode = malloc(mn * sizeof *cnode);
    unsigned char *done = calloc((size_t)(n ? n : 1), 1);
    if (!rnode || !cnode || !done) {
        free(rnode);
        free(cnode);
        free(done);
        return xb_error_set(err, XB_ENOMEM, "ordering: out of memory");
    }
    nd_state st = {M, N, rnode, cnode, done, perm, 0};
    /* a class is placed where its root node is */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int r = xb_graph_node(g, XB_NODE_ROW, i, j), c = xb_graph_node(g, XB_NODE_COL, i, j);
            rnode[(size_t)i * N + j] = g->root[r] == r ? s->unknown[r] : -1;
            cnode[(size_t)i * N + j] = g->root[c] == c ? s->unknown[c] : -1;
        }
    for (int i = 0; i < M; i++) {
        int d = xb_graph_node(g, XB_NODE_DRV, i, 0);
        if (g->root[d] == d)
            put(&st, s->unknown[d]);
    }
    for (int j = 0; j < N; j++) {
        int t = xb_graph_node(g, XB_NODE_TERM, 0, j);
        if (g->root[t] == t)
            put(&st, s->unknown[t]);
    }
    nd(&st, 0, M, 0, N);
    /* anything left (cannot happen: every class has a root node placed above) */
    for (int u = 0; u < n; u++) {
        put_reserved(&st, u);
        put(&st, u);
    }
    free(rnode);
    free(cnode);
    free(done);
    return XB_OK;
}
