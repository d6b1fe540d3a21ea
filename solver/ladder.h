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

typedef struct xb_ladder xb_ladder;

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

#endif
