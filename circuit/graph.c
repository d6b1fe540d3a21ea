/* graph.c: the element list of the canonical crossbar and ideal-wire merging. */
#include "xb_graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Raw id layout: in[M] vread vg[N] d[M] r[M*N] c[M*N] t[N] (s[M*N]) */
static int base_in(const xb_graph *g) { (void)g; return 0; }
static int base_vread(const xb_graph *g) { return g->rows; }
static int base_vg(const xb_graph *g) { return g->rows + 1; }
static int base_drv(const xb_graph *g) { return g->rows + 1 + g->cols; }
static int base_row(const xb_graph *g) { return 2 * g->rows + 1 + g->cols; }
static int base_col(const xb_graph *g) { return base_row(g) + g->rows * g->cols; }
static int base_term(const xb_graph *g) { return base_col(g) + g->rows * g->cols; }
static int base_sl(const xb_graph *g) { return base_term(g) + g->cols; }

int xb_graph_node(const xb_graph *g, xb_node_kind kind, int i, int j)
{
    switch (kind) {
    case XB_NODE_IN: return base_in(g) + i;
    case XB_NODE_VREAD: return base_vread(g);
    case XB_NODE_VG: return base_vg(g) + j;
    case XB_NODE_DRV: return base_drv(g) + i;
    case XB_NODE_ROW: return base_row(g) + i * g->cols + j;
    case XB_NODE_COL: return base_col(g) + i * g->cols + j;
    case XB_NODE_TERM: return base_term(g) + j;
    case XB_NODE_SL: return base_sl(g) + i * g->cols + j;
    }
    return -1;
}

xb_node_kind xb_graph_node_kind(const xb_graph *g, int id, int *i, int *j)
{
    *i = -1;
    *j = -1;
    if (id < base_vread(g)) {
        *i = id;
        return XB_NODE_IN;
    }
    if (id == base_vread(g))
        return XB_NODE_VREAD;
    if (id < base_drv(g)) {
        *j = id - base_vg(g);
        return XB_NODE_VG;
    }
    if (id < base_row(g)) {
        *i = id - base_drv(g);
        return XB_NODE_DRV;
    }
    if (id < base_col(g)) {
        *i = (id - base_row(g)) / g->cols;
        *j = (id - base_row(g)) % g->cols;
        return XB_NODE_ROW;
    }
    if (id < base_term(g)) {
        *i = (id - base_col(g)) / g->cols;
        *j = (id - base_col(g)) % g->cols;
        return XB_NODE_COL;
    }
    if (id < base_sl(g)) {
        *j = id - base_term(g);
        return XB_NODE_TERM;
    }
    *i = (id - base_sl(g)) / g->cols;
    *j = (id - base_sl(g)) % g->cols;
    return XB_NODE_SL;
}

const char *xb_graph_node_name(const xb_graph *g, int id, char *buf, size_t len)
{
    int i, j;
    switch (xb_graph_node_kind(g, id, &i, &j)) {
    case XB_NODE_IN: snprintf(buf, len, "in%d", i); break;
    case XB_NODE_VREAD: snprintf(buf, len, "vread"); break;
    case XB_NODE_VG: snprintf(buf, len, "vg%d", j); break;
    case XB_NODE_DRV: snprintf(buf, len, "d%d", i); break;
    case XB_NODE_ROW: snprintf(buf, len, "r%d_%d", i, j); break;
    case XB_NODE_COL: snprintf(buf, len, "c%d_%d", i, j); break;
    case XB_NODE_TERM: snprintf(buf, len, "t%d", j); break;
    case XB_NODE_SL: snprintf(buf, len, "s%d_%d", i, j); break;
    }
    return buf;
}

int xb_graph_node_is_fixed(const xb_graph *g, int id)
{
    return id < base_drv(g);
}

double xb_elem_conductance(const xb_elem *e)
{
    if (e->kind == XB_ELEM_CELL) {
        if (e->g == 0.0)
            return 0.0;
        return e->r_access == 0.0 ? e->g : 1.0 / (1.0 / e->g + e->r_access);
    }
    return e->r == 0.0 ? INFINITY : 1.0 / e->r;
}

static int find(int *root, int x)
{
    while (root[x] != x) {
        root[x] = root[root[x]];
        x = root[x];
    }
    return x;
}

static void unite(int *root, int a, int b)
{
    a = find(root, a);
    b = find(root, b);
    if (a < b)
        root[b] = a;
    else if (b < a)
        root[a] = b;
}

static void add(xb_graph *g, int a, int b, xb_elem_kind kind, int i, int j, double r)
{
    xb_elem *e = &g->elem[g->n_elem++];
    e->a = a;
    e->b = b;
    e->kind = kind;
    e->i = i;
    e->j = j;
    e->r = r;
    e->g = 0.0;
    e->r_access = 0.0;
}

/* The source-line segments: each joins the supply (or the previous node on
 * the way from it) to the node of cell (i,j). */
static void add_source_line(xb_graph *g, const xb_circuit *c)
{
    const int M = c->rows, N = c->cols, vread = xb_graph_node(g, XB_NODE_VREAD, 0, 0);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int prev;
            if (c->source_line == XB_SL_ROW)
                prev = j == 0 ? vread : xb_graph_node(g, XB_NODE_SL, i, j - 1);
            else if (c->sl_drive == XB_SL_FAR)
                prev = i == 0 ? vread : xb_graph_node(g, XB_NODE_SL, i - 1, j);
            else
                prev = i == M - 1 ? vread : xb_graph_node(g, XB_NODE_SL, i + 1, j);
            add(g, prev, xb_graph_node(g, XB_NODE_SL, i, j), XB_ELEM_SL, i, j, xb_circuit_r_sl(c, i, j));
        }
}

xb_graph *xb_graph_new(const xb_circuit *c, xb_error *err)
{
    xb_status st = xb_circuit_validate(c, err);
    if (st)
        return NULL;
    xb_graph *g = calloc(1, sizeof *g);
    if (!g) {
        xb_error_set(err, XB_ENOMEM, "graph: out of memory");
        return NULL;
    }
    const int M = c->rows, N = c->cols;
    g->rows = M;
    g->cols = N;
    g->topology = c->topology;
    g->has_sl = c->topology == XB_TOPO_GATE_INPUT && c->source_line != XB_SL_IDEAL;
    g->n_raw = base_sl(g) + (g->has_sl ? M * N : 0);
    size_t max_elem = 4 * (size_t)M * N + (size_t)M + (size_t)N;
    g->elem = malloc(max_elem * sizeof *g->elem);
    g->root = malloc((size_t)g->n_raw * sizeof *g->root);
    if (!g->elem || !g->root) {
        xb_graph_free(g);
        xb_error_set(err, XB_ENOMEM, "graph: out of memory for %zu elements", max_elem);
        return NULL;
    }
    const int is = c->topology == XB_TOPO_INPUT_SOURCE;
    if (is) {
        for (int i = 0; i < M; i++) {
            add(g, xb_graph_node(g, XB_NODE_IN, i, 0), xb_graph_node(g, XB_NODE_DRV, i, 0), XB_ELEM_DRIVER, i, -1,
                xb_circuit_r_drv(c, i));
            for (int j = 0; j < N; j++) {
                int prev = j == 0 ? xb_graph_node(g, XB_NODE_DRV, i, 0) : xb_graph_node(g, XB_NODE_ROW, i, j - 1);
                add(g, prev, xb_graph_node(g, XB_NODE_ROW, i, j), XB_ELEM_ROW, i, j, xb_circuit_r_row(c, i, j));
            }
        }
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int from = is ? xb_graph_node(g, XB_NODE_ROW, i, j)
                       : g->has_sl ? xb_graph_node(g, XB_NODE_SL, i, j)
                                   : xb_graph_node(g, XB_NODE_VREAD, 0, 0);
            add(g, from, xb_graph_node(g, XB_NODE_COL, i, j), XB_ELEM_CELL, i, j, 0.0);
            g->elem[g->n_elem - 1].g = c->g[(size_t)i * N + j];
            g->elem[g->n_elem - 1].r_access = c->r_access;
        }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int next = i == M - 1 ? xb_graph_node(g, XB_NODE_TERM, 0, j) : xb_graph_node(g, XB_NODE_COL, i + 1, j);
            add(g, xb_graph_node(g, XB_NODE_COL, i, j), next, XB_ELEM_COL, i, j, xb_circuit_r_col(c, i, j));
        }
    for (int j = 0; j < N; j++)
        add(g, xb_graph_node(g, XB_NODE_TERM, 0, j), xb_graph_node(g, XB_NODE_VG, 0, j), XB_ELEM_SENSE, -1, j,
            xb_circuit_r_sense(c, j));
    if (g->has_sl)
        add_source_line(g, c);

    for (int k = 0; k < g->n_raw; k++)
        g->root[k] = k;
    for (int k = 0; k < g->n_elem; k++) {
        const xb_elem *e = &g->elem[k];
        if (e->kind != XB_ELEM_CELL && e->r == 0.0)
            unite(g->root, e->a, e->b);
    }
    for (int k = 0; k < g->n_raw; k++)
        g->root[k] = find(g->root, k);
    /* Two fixed nodes in one class would short two ideal sources together.  The
     * canonical topology cannot do that (cells are never ideal wires), so this
     * is an invariant check. */
    for (int k = 0; k < g->n_raw; k++)
        if (xb_graph_node_is_fixed(g, k) && g->root[k] != k) {
            char a[32], b[32];
            xb_error_set(err, XB_EINTERNAL, "graph: ideal wires short fixed node %s to %s",
                         xb_graph_node_name(g, k, a, sizeof a), xb_graph_node_name(g, g->root[k], b, sizeof b));
            xb_graph_free(g);
            return NULL;
        }
    return g;
}

void xb_graph_free(xb_graph *g)
{
    if (!g)
        return;
    free(g->elem);
    free(g->root);
    free(g);
}
