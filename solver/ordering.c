/* ordering.c: geometric nested dissection of the crossbar's nodal graph.
 *
 * Every wire node sits at a cell position (i,j) and runs in one of two
 * directions.  Row-direction nodes join their neighbours in the same row: the
 * row wire's r(i,j) (input-source) and a row source line's s(i,j).
 * Column-direction nodes join their neighbours in the same column: the bit
 * line's c(i,j) and a column source line's s(i,j).  Cells join the nodes of
 * one position.  So the row-direction nodes of one column jm separate the
 * positions left of jm from those right of it, and the column-direction nodes
 * of one row im separate the positions above im from those below: the graph is
 * a 2-D grid (a set of independent ladders when nothing runs along the rows,
 * gate-input without a row source line), and splitting the longer side of a box
 * recursively (separators last) is nested dissection with separators of one
 * array side, the optimal order for grids.  It costs O(MN log MN), against tens
 * of seconds for a general-purpose graph partitioner on the millions of nodes of
 * a large array.
 *
 * Ideal wires merge nodes into classes, and a class is one unknown wherever its
 * members sit.  A class that holds a node of a separator is part of that
 * separator (the first one the recursion meets, the outermost): the classes
 * wholly on either side then still touch only the separator, so every separator
 * stays one of the contracted graph and the fill stays that of the grid.
 * (Placing a class at one member's position only, say its smallest node, lets
 * a run of ideal segments cross a separator: at 128^2 with 10 % of the
 * segments ideal, that filled L 5 times more than the array without them.)
 * Driver outputs and column terminals hang off a single array node each; their
 * classes go first, where they cause no fill, unless an ideal segment merged
 * them into the array's wires, whose position then places them. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

#define ND_LEAF_CELLS 64 /* boxes this small are ordered position by position */
#define COL_DIR_SLOTS 2  /* column-direction nodes per position: bit line, column source line */

/* owner[u] of an unknown: OWN_FREE, OWN_DONE, or the id (> 0) of the separator
 * that reserved it and will order it after both of its halves */
#define OWN_FREE 0
#define OWN_DONE (-1)

typedef struct {
    int rows, cols;
    const int *hnode; /* M*N: unknown of the row-direction node at (i,j), -1 when none */
    const int *vnode; /* M*N*COL_DIR_SLOTS: unknowns of the column-direction nodes, -1 when none */
    int *owner;       /* n: see OWN_FREE */
    int next_sep;     /* id of the next separator */
    int *perm;
    int k;            /* entries of perm filled */
} nd_state;

static void put(nd_state *st, int u)
{
    if (u >= 0 && st->owner[u] == OWN_FREE) {
        st->owner[u] = OWN_DONE;
        st->perm[st->k++] = u;
    }
}

static void reserve(nd_state *st, int u, int sep)
{
    if (u >= 0 && st->owner[u] == OWN_FREE)
        st->owner[u] = sep;
}

static void put_reserved(nd_state *st, int u, int sep)
{
    if (u >= 0 && st->owner[u] == sep) {
        st->owner[u] = OWN_DONE;
        st->perm[st->k++] = u;
    }
}

static const int *vslots(const nd_state *st, int i, int j)
{
    return st->vnode + ((size_t)i * st->cols + j) * COL_DIR_SLOTS;
}

static void nd(nd_state *st, int i0, int i1, int j0, int j1)
{
    int h = i1 - i0, w = j1 - j0, N = st->cols;
    if (h <= 0 || w <= 0)
        return;
    if ((long)h * w <= ND_LEAF_CELLS) {
        for (int i = i0; i < i1; i++)
            for (int j = j0; j < j1; j++) {
                put(st, st->hnode[(size_t)i * N + j]);
                for (int q = 0; q < COL_DIR_SLOTS; q++)
                    put(st, vslots(st, i, j)[q]);
            }
        return;
    }
    int sep = st->next_sep++;
    if (w >= h) {
        /* separator: the row-direction nodes of column jm; its column-direction
         * nodes stay in the right half */
        int jm = j0 + w / 2;
        for (int i = i0; i < i1; i++)
            reserve(st, st->hnode[(size_t)i * N + jm], sep);
        nd(st, i0, i1, j0, jm);
        nd(st, i0, i1, jm, j1);
        for (int i = i0; i < i1; i++)
            put_reserved(st, st->hnode[(size_t)i * N + jm], sep);
    } else {
        /* separator: the column-direction nodes of row im; its row-direction
         * nodes stay in the lower half */
        int im = i0 + h / 2;
        for (int j = j0; j < j1; j++)
            for (int q = 0; q < COL_DIR_SLOTS; q++)
                reserve(st, vslots(st, im, j)[q], sep);
        nd(st, i0, im, j0, j1);
        nd(st, im, i1, j0, j1);
        for (int j = j0; j < j1; j++)
            for (int q = 0; q < COL_DIR_SLOTS; q++)
                put_reserved(st, vslots(st, im, j)[q], sep);
    }
}

/* The unknown of raw node id (-1 when fixed or unused); every member of a class
 * has its class's unknown (assemble.c). */
static int unknown_of(const xb_solver *s, int id) { return s->unknown[id]; }

/* Fill perm (length n) with the elimination order.  XB_ENOMEM on failure. */
xb_status xb_order_geometric(const xb_solver *s, int *perm, xb_error *err)
{
    const xb_graph *g = s->graph;
    const xb_circuit *c = s->circuit;
    const int M = g->rows, N = g->cols, n = s->n;
    size_t mn = (size_t)M * N;
    int *hnode = malloc(mn * sizeof *hnode), *vnode = malloc(mn * COL_DIR_SLOTS * sizeof *vnode);
    int *owner = calloc((size_t)(n ? n : 1), sizeof *owner);
    unsigned char *on_grid = calloc((size_t)(n ? n : 1), 1); /* 1: the class holds a wire node */
    if (!hnode || !vnode || !owner || !on_grid) {
        free(hnode);
        free(vnode);
        free(owner);
        free(on_grid);
        return xb_error_set(err, XB_ENOMEM, "ordering: out of memory for %d unknowns", n);
    }
    int sl_row = g->has_sl && c->source_line == XB_SL_ROW, sl_col = g->has_sl && c->source_line == XB_SL_COLUMN;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            size_t q = (size_t)i * N + j;
            int sl = g->has_sl ? unknown_of(s, xb_graph_node(g, XB_NODE_SL, i, j)) : -1;
            /* input-source has row wires and no source line; gate-input the reverse */
            hnode[q] = sl_row ? sl : unknown_of(s, xb_graph_node(g, XB_NODE_ROW, i, j));
            vnode[q * COL_DIR_SLOTS] = unknown_of(s, xb_graph_node(g, XB_NODE_COL, i, j));
            vnode[q * COL_DIR_SLOTS + 1] = sl_col ? sl : -1;
            if (hnode[q] >= 0)
                on_grid[hnode[q]] = 1;
            for (int t = 0; t < COL_DIR_SLOTS; t++)
                if (vnode[q * COL_DIR_SLOTS + t] >= 0)
                    on_grid[vnode[q * COL_DIR_SLOTS + t]] = 1;
        }
    nd_state st = {M, N, hnode, vnode, owner, 1, perm, 0};
    for (int i = 0; i < M; i++) {
        int u = unknown_of(s, xb_graph_node(g, XB_NODE_DRV, i, 0));
        if (u >= 0 && !on_grid[u])
            put(&st, u);
    }
    for (int j = 0; j < N; j++) {
        int u = unknown_of(s, xb_graph_node(g, XB_NODE_TERM, 0, j));
        if (u >= 0 && !on_grid[u])
            put(&st, u);
    }
    nd(&st, 0, M, 0, N);
    /* anything left (cannot happen: every unknown is a driver, a terminal or on
     * the grid, and every separator orders what it reserved) */
    for (int u = 0; u < n; u++)
        if (owner[u] != OWN_DONE) {
            owner[u] = OWN_DONE;
            perm[st.k++] = u;
        }
    free(hnode);
    free(vnode);
    free(owner);
    free(on_grid);
    return XB_OK;
}
