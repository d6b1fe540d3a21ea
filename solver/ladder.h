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

#include <math.h>

#include "device.h"
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
    double rc_value;    /* ohms: every bit-line segment, when pc is NULL */
    double *pc;         /* (M+1)*N ohms or NULL (uniform): bit-line segments 0 .. i-1 of column j summed */
    double *ps;         /* (M+1)*N ohms or NULL (ideal or uniform): the same along the source line */
    double rs_value;    /* ohms: every source-line segment, when rsl is set and ps is NULL */
    int bw;             /* columns per block of the block path: min(N, LADDER_BLOCK_COLS) */
    void *slabs;        /* the allocation of ws, wc, wa, gb and pe */
    double *ws, *wc, *wa; /* nblk*M*bw volts each: s, c, a of every cell at its last solve (warm
                             start; the first guess until then), block by block, cell (i, j) at
                             xb_ladder_warm(l, i, j): the block path works on them in place */
    long iters, src_steps;
    /* the block path's work area.  One thread: a parallel region per vector
     * cost more than it saved at these sizes on a busy machine (1152x256: 1.6 ms
     * alone, 11 ms on two threads beside other work); threads across tiles and
     * vectors belong to the caller. */
    struct xb_ladder_work *work;
    void *folded;       /* xb_ladder_folded_new's column model, or NULL */
    char *blk_open;     /* nblk: 1 when a block has an open cell (g = 0) */
    int triode_safe;    /* xb_ladder_triode_safe: the explicit-vector kernel's scale bounds hold */
    double *gb;         /* nblk*M*bw siemens: g in the layout of ws (padding 0), for the
                           block path's passes, which walk a block's rows many times */
    double *pe, *pes;   /* nblk*M*bw each or NULL, in the layout of ws: every cell's internal-node
                           slopes da/dc and da/ds (1; 0 without an internal node) as its last
                           Newton step linearized it; with the cell's last solution, the model
                           of the block path's predictors (ladder_pinned.c, ladder_block.c).
                           pe: nonlinear cells; pes: with a column source line */
    /* one column's work, M entries each */
    int *row;
    double *rs_gap, *rc_gap, *s, *c, *a, *ds, *dc, *da, *keep;
    rung *rg;
    norton *nt;
} xb_ladder;

/* Where cell (i, j) sits in ws, wc, wa: row-major slabs of M x bw, one per block. */
static inline size_t xb_ladder_warm(const xb_ladder *l, int i, int j)
{
    return ((size_t)(j / l->bw) * l->M + i) * l->bw + j % l->bw;
}

/* The work of one block of columns for one vector (ladder_block.c): every
 * array holds max_rows x B entries, row k of column jj at k*B + jj. */
/* Early acceptance on the block path: a full step d after a full step d' with
 * d <= LADDER_QUADRATIC d' is in Newton's quadratic regime, where the next
 * step would be about d (d / d')^2 = d^3 / d'^2 (the step's Lipschitz
 * estimate, as in Deuflhard, Newton Methods for Nonlinear Problems, 2004,
 * sec. 2.1); when that is below LADDER_EARLY times the convergence tolerance,
 * the iterate after d is accepted without the iteration that would only
 * confirm it. */
#define LADDER_QUADRATIC 1e-2
#define LADDER_EARLY 1e-3

/* Bytes beyond whole pages between the arrays that the block path's passes
 * walk side by side (the slabs, the work's rows): arrays a multiple of 4 KiB
 * apart make a load that follows a store to another of them at the same
 * offset wait on a false dependence (4K aliasing); measured on the bench
 * tile, about a quarter of the NMOS solve's time. */
#define LADDER_STAGGER 576

/* Columns per block of the block path: a block's per-row state stays in cache
 * while Newton sweeps it (64 columns x 8 doubles = 4 KiB a row). */
#define LADDER_BLOCK_COLS 32

typedef struct xb_ladder_work {
    int B;               /* columns in a block */
    int K;               /* enabled rows of the vector */
    int *row;            /* K: the enabled rows */
    double *rc, *rs;     /* gaps below row k (bit line; its last to the virtual ground) and along
                            the source line (near: below row k, the last to the supply; far:
                            above row k, the first from the supply) */
    double *s, *c, *a;   /* the iterate */
    double *s1, *c1;     /* the sweep's solution */
    double *ds, *dc, *da;
    double *nt;          /* 7 x: the 2-port's Norton states (xb_ladder_sweep_block) */
    void *mem;           /* the allocation of rc .. iden */
    int rc_lazy;         /* 1: rc holds only its last row (a uniform bit line, an ideal source
                            line); the triode kernels make the others from the rows, and
                            xb_ladder_gaps_fill fills them for the other passes */
    double *p, *q, *jr;  /* the rungs (see rung), one array per field */
    double *fa, *dsd, *ca, *iden; /* and the internal nodes' terms; iden = 1 / den */
    int *done;           /* B: 1 converged, -1 failed, 0 going on */
    double *alpha, *step, *dmax, *xmax; /* B */
    double *prev;        /* B: the column's last full step (early acceptance), or -1 */
    long iters;          /* column-iterations of Newton */
} xb_ladder_work;

/* The per-column maxima of one Newton pass up on a block (ladder_pinned.c):
 * of |da|, |da - dc|, |dc|, the steps summed (not finite once one is not),
 * the largest |c| and |a| after the step, the internal nodes above V_read;
 * and (ladder_triode.c's pass only) the column currents after the step. */
typedef struct {
    double mda[LADDER_BLOCK_COLS], mdd[LADDER_BLOCK_COLS], mdc[LADDER_BLOCK_COLS];
    double nan[LADDER_BLOCK_COLS], xm[LADDER_BLOCK_COLS], above[LADDER_BLOCK_COLS];
    double cur[LADDER_BLOCK_COLS];
} xb_ladder_steps;

/* ladder_triode.c: one Newton iteration's pass down and pass up on a block
 * (the internal nodes' Eb of lp_down_row kept in the slab pe, not in w->iden,
 * for the next vector's predictor; the pass up also sums the column currents
 * into m->cur),
 * for NMOS access in triode and linear cells (ladder_pinned.c decides when),
 * on blocks that xb_ladder_triode_fits: AVX-512, no open cell, a whole number
 * of its column groups, the scale bounds of xb_ladder_triode_safe. */
int xb_ladder_triode_fits(const xb_ladder *l, int j0, int B);
/* 1 when no row can move the kernel's projective state by 2^80 (set up once). */
int xb_ladder_triode_safe(const xb_ladder *l);
void xb_ladder_triode_down(const xb_ladder *l, xb_ladder_work *w, int j0, int B);
void xb_ladder_triode_up(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live,
                         xb_ladder_steps *m);
/* The predictor of ladder_pinned.c on such a block: 1 when every internal
 * node is at or below V_read afterwards. */
int xb_ladder_triode_predict(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live);

xb_ladder_work *xb_ladder_work_new(int max_rows, int B);
/* w->rc complete (see rc_lazy). */
void xb_ladder_gaps_fill(const xb_ladder *l, xb_ladder_work *w, int B);
void xb_ladder_work_free(xb_ladder_work *w);
/* Newton on columns j0 .. j0+B-1 for one vector x: out[jj] the column
 * currents of those that converged; w->done[jj] != 1 marks the others for
 * the one-column path.  Thread-safe for disjoint blocks (each its own w). */
void xb_ladder_block(xb_ladder *l, xb_ladder_work *w, const double *x, int j0, int B, double *out);
/* The linear ladder of rungs rg[0..K-1] (gaps rs_gap, rc_gap between rows k
 * and k+1; rc_end to the virtual ground, rs_end to the supply) into s and c;
 * nt: K states of work. */
void xb_ladder_sweep(const xb_ladder *l, int K, const rung *rg, const double *rs_gap, const double *rc_gap,
                     double rc_end, double rs_end, double vs, norton *nt, double *s_out, double *c_out);
/* Newton on the block's columns j0 .. j0+B-1 with an ideal source line
 * (ladder_pinned.c), in place on the block's warm-start slabs: w's enabled
 * rows and gaps made, done[] 0; out[jj] the currents of the columns that
 * converged, done[] as xb_ladder_block says.  A column that fails is put back
 * to the first guess for the one-column path. */
void xb_ladder_newton_pinned(const xb_ladder *l, xb_ladder_work *w, int j0, int B, double *out);
/* The 2-port ladders of the block's columns (ladder_sl.c): w's rungs p, q, jr
 * (the internal nodes condensed out) and gaps into s1, c1; nt: 7 x K x B. */
void xb_ladder_sweep_block(const xb_ladder *l, xb_ladder_work *w, int B, double vs, double *nt);
/* A linear array with a column source line: the column currents of the block
 * (w's enabled rows and gaps made) in one sweep down, no iteration. */
void xb_ladder_linear_sl(const xb_ladder *l, const xb_ladder_work *w, int j0, int B, double *out);
/* The column model (column.c) of a linear array whose column source line is
 * driven at the sense end, the source line folded into the bit line (see
 * ladder_linear.c); NULL for any other circuit, or on failure (err set). */
void *xb_ladder_folded_new(const xb_circuit *c, xb_error *err);
/* A starting point for a cell never solved before. */
void xb_ladder_first_guess(const xb_ladder *l, double g, double *s, double *a, double *c);
/* Cell q of the slabs back to its first guess, and its predictor slope (pe,
 * when set) to that guess's; g: its conductance. */
void xb_ladder_cell_reset(const xb_ladder *l, size_t q, double g);

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
/* ---- the devices of a branch (inline: every cell of every Newton step) ---- */

/* The cell itself from a to c: current and d/da (d/dc is its negative). */
static inline void xb_ladder_cell(const xb_ladder *l, double g, double a, double c, double *i, double *di)
{
    if (l->kind == BR_NMOS_LIN) {
        *i = g * (a - c);
        *di = g;
        return;
    }
    double u = (a - c) / l->v0;
    *i = g * l->v0 * sinh(u);
    *di = g * cosh(u);
}

/* Linearize the branch of conductance g at (s, a, c), sources at level lam.
 * An open cell (g = 0) is a rung of nothing. */
static inline void xb_ladder_branch(const xb_ladder *l, double g, double lam, double s, double a, double c, rung *r)
{
    if (g == 0.0) {
        r->p = r->q = r->j = r->fa = r->ds = r->ca = 0;
        r->den = 1;
        return;
    }
    switch (l->kind) {
    case BR_LINEAR:
        r->p = r->q = g;
        r->j = 0;
        return;
    case BR_SINH: {
        double u = (s - c) / l->v0, i = g * l->v0 * sinh(u), gd = g * cosh(u);
        r->p = r->q = gd;
        r->j = i - gd * (s - c);
        return;
    }
    default:
        break;
    }
    double id, ds, dda, ic, ca;
    if (l->kind == BR_RES_SINH) {
        id = (s - a) / l->r_access;
        ds = 1.0 / l->r_access;
        dda = -ds;
    } else {
        xb_mos1(l->beta, l->nmos.vto, l->nmos.lambda, lam * l->nmos.v_gate, s, a, &id, &ds, &dda);
    }
    xb_ladder_cell(l, g, a, c, &ic, &ca);
    r->fa = id - ic;
    r->ds = ds;
    r->ca = ca;
    r->den = ca - dda;
    r->p = ca * ds / r->den;
    r->q = -ca * dda / r->den;
    r->j = ic + ca * r->fa / r->den - r->p * s + r->q * c;
}

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
