/* ladder.h: gate-input columns solved one ladder at a time (ladder.c).  Internal
 * to solver/.
 *
 * Covers what the linear column kernels do not: access transistors and sinh
 * cells (Newton on each column's ladder), and source lines beside the bit lines
 * (source_line = column, linear or not).  The columns stay independent, so each
 * is a chain of enabled rows: a 2x2 block-tridiagonal system (source-line and
 * bit-line node per row) after the cells' internal nodes are condensed out,
 * solved in O(enabled rows) per Newton step. */
#ifndef XB_LADDER_H
#define XB_LADDER_H

#include <stddef.h>

#include "xb_solver.h"

/* The branch of one cell, from its source-line node s to its bit-line node c. */
typedef enum {
    BR_LINEAR = 0, /* access resistance folded into the cell: I = g (s - c) */
    BR_SINH,       /* no access device: I = g V0 sinh((s - c) / V0) */
    BR_RES_SINH,   /* access resistance s-a, sinh cell a-c */
    BR_NMOS_LIN,   /* NMOS s-a (drain s, source a), linear cell a-c */
    BR_NMOS_SINH   /* NMOS s-a, sinh cell a-c */
} branch_kind;

/* The linearized rung of one enabled row and what the internal node's update needs. */
typedef struct {
    double p, q, j; /* rung current s -> c: j + p s - q c */
    double fa;      /* internal node: device current minus cell current (amperes) */
    double ds, ca;  /* d(device current)/ds, d(cell current)/da (siemens) */
    double den;     /* d(cell current)/da - d(device current)/da (siemens, > 0) */
} rung;

/* Norton 2-port of everything above a row, seen at its s and c nodes: the
 * current flowing on down is J - Y v.  pinned: s is held at the supply
 * through ideal wires; then only J[1] and Y[3] (the c part) mean anything. */
typedef struct {
    double J[2];
    double Y[4]; /* row-major: ss, sc, cs, cc */
    int pinned;
} norton;

typedef struct xb_ladder {
    int M, N;
    double v_read;      /* volts */
    xb_source_line sl;  /* XB_SL_IDEAL or XB_SL_COLUMN */
    xb_sl_drive drive;
    branch_kind kind;
    xb_nmos nmos;
    double beta;        /* A/V^2: KP W / L */
    double v0;          /* volts: sinh V0 */
    double r_access;    /* ohms (BR_RES_SINH) */
    double *g;          /* M*N siemens: the cell (BR_LINEAR: with its access resistance) */
    double *rc;         /* M*N ohms: bit-line segment (i,j), leaving cell (i,j) downward */
    double *rsense;     /* N ohms */
    double *rsl;        /* M*N ohms: source-line segment (i,j), or NULL (ideal) */
    double *warm;       /* 3*M*N volts: s, c, a of every cell at its last solve (warm start) */
    int *warm_ok;       /* M*N: 1 once the cell has been solved */
    long iters, src_steps;
    /* one column's work, M entries each */
    int *row;
    double *rs_gap, *rc_gap, *s, *c, *a, *ds, *dc, *da, *keep;
    rung *rg;
    norton *nt;
} xb_ladder;

/* 1 when the ladder path applies to c: gate-input with an ideal or column
 * source line. */
int xb_ladder_applies(const xb_circuit *c);
/* Copy what the solves need out of c.  NULL (err set) on failure. */
xb_ladder *xb_ladder_new(const xb_circuit *c, xb_error *err);
void xb_ladder_free(xb_ladder *l);
/* K gate bit-vectors x (K x M, entries 0/1, checked by the caller) into K x N
 * column currents.  d (may be NULL) receives node voltages and cell currents.
 * XB_ECONVERGE when Newton fails even with source stepping: no number is
 * returned for that vector then. */
xb_status xb_ladder_solve(xb_ladder *l, const double *x, size_t k, double *out, xb_solution *d,
                          xb_error *err);
/* Newton iterations and source-stepping levels so far. */
void xb_ladder_counts(const xb_ladder *l, long *iters, long *src_steps);
/* Bytes xb_ladder_new will hold for c. */
size_t xb_ladder_bytes(const xb_circuit *c);
/* Solve column j for the gate bits x (one vector): the chain's K enabled rows
 * (l->row) and their s, c, a hold the solution on return. */
xb_status xb_ladder_column(xb_ladder *l, int j, const double *x, int *K, xb_error *err);
/* The branch current of a cell of conductance g at (s, a, c), amperes into the bit line. */
double xb_ladder_branch_current(const xb_ladder *l, double g, double s, double a, double c);

#endif
