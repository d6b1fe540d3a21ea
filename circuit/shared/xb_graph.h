/* xb_graph.h: the canonical crossbar as a list of two-terminal elements.
 *
 * netgen/ writes these elements as SPICE lines and solver/ stamps them into the
 * nodal matrix, so both see exactly one circuit.  Zero resistances are ideal wires:
 * xb_graph_new merges their two nodes (union-find) and every node class is named
 * by its smallest raw node id.  Fixed nodes have the smallest ids, so a class that
 * holds a fixed node is named by it.
 *
 * Raw nodes (M rows, N columns), in id order:
 *   in<i>     i < M   ideal input source of row i (input-source), fixed at v_i
 *   vread             ideal read supply (gate-input), fixed at V_read
 *   vg<j>     j < N   virtual ground of column j, fixed at 0 V
 *   d<i>      i < M   driver output of row i (after R_drv)
 *   r<i>_<j>          row wire node of cell (i,j)
 *   c<i>_<j>          column wire node of cell (i,j)
 *   t<j>              column terminal (before R_sense)
 *   s<i>_<j>          source-line node of cell (i,j) (gate-input with a source line only)
 */
#ifndef XB_GRAPH_H
#define XB_GRAPH_H

#include "xb_circuit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XB_NODE_IN = 0, XB_NODE_VREAD, XB_NODE_VG, XB_NODE_DRV, XB_NODE_ROW, XB_NODE_COL, XB_NODE_TERM,
    XB_NODE_SL
} xb_node_kind;

typedef enum {
    XB_ELEM_DRIVER = 0, /* in<i> - d<i>, R_drv[i] */
    XB_ELEM_ROW,        /* d<i> or r<i>_<j-1> - r<i>_<j>, row segment (i,j) */
    XB_ELEM_CELL,       /* r<i>_<j> (or vread, or s<i>_<j>) - c<i>_<j>: access resistance + G[i][j] */
    XB_ELEM_COL,        /* c<i>_<j> - c<i+1>_<j> (or t<j>), column segment (i,j) */
    XB_ELEM_SENSE,      /* t<j> - vg<j>, R_sense[j] */
    XB_ELEM_SL          /* vread or the previous s node - s<i>_<j>, source-line segment (i,j) */
} xb_elem_kind;

typedef struct {
    int a, b;           /* raw node ids; current is counted from a to b */
    xb_elem_kind kind;
    int i, j;           /* row and column the element belongs to (-1 where none) */
    double r;           /* ohms for wires, driver and sense; 0 = ideal wire */
    double g;           /* cells only: siemens of the cell itself; 0 = open */
    double r_access;    /* cells only: ohms of the series access device */
} xb_elem;

typedef struct {
    int rows, cols;
    xb_topology topology;
    int n_raw;          /* number of raw node ids */
    int n_elem;         /* number of elements */
    int has_sl;         /* 1: gate-input with a source line (the s<i>_<j> nodes exist) */
    xb_elem *elem;      /* n_elem elements: drivers, row segments, cells, column segments, sense,
                           source-line segments */
    int *root;          /* n_raw: class representative (smallest raw id of the class) */
} xb_graph;

/* Build the element list of a validated circuit and merge ideal wires. */
xb_graph *xb_graph_new(const xb_circuit *c, xb_error *err);
void xb_graph_free(xb_graph *g);

/* Raw node id of a node kind with its indices (unused indices ignored). */
int xb_graph_node(const xb_graph *g, xb_node_kind kind, int i, int j);
/* Kind and indices of a raw node id. */
xb_node_kind xb_graph_node_kind(const xb_graph *g, int id, int *i, int *j);
/* SPICE-safe name of a raw node ("r3_7").  buf of at least 32 bytes. */
const char *xb_graph_node_name(const xb_graph *g, int id, char *buf, size_t len);
/* 1 for in<i>, vread and vg<j>: nodes held by ideal sources. */
int xb_graph_node_is_fixed(const xb_graph *g, int id);

/* Conductance (siemens) of element e in the linear circuit: 1/r for resistors,
 * the series combination for cells; INFINITY for an ideal wire. */
double xb_elem_conductance(const xb_elem *e);

#ifdef __cplusplus
}
#endif
#endif
