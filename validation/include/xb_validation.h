/* xb_validation.h: xbar's solver checked against ngspice.
 *
 * xb_spice wraps ngspice's shared library (libngspice, sharedspice.h).  It is the
 * only place in xbar that talks to ngspice.  ngspice keeps global state, so one
 * process holds at most one open xb_spice at a time, used from one thread.
 *
 * xb_validate_random runs the randomized suite: random circuits of both
 * topologies (gate-input with an ideal supply or a column or row source line)
 * are written by netgen/, solved by ngspice (op, vectors read at full double
 * precision) and by every xbar path that applies, and the column currents
 * compared.  Linear circuits: CHOLMOD, KLU, the structured path (the column
 * backend for gate-input with independent columns, the transfer matrix for
 * input-source) and the automatic choice.  Nonlinear circuits: Newton/KLU, the
 * column backend's ladders (gate-input with independent columns) and the
 * automatic choice.  Optionally, full-size gate-input tiles (1152 rows) with
 * each source-line orientation. */
#ifndef XB_VALIDATION_H
#define XB_VALIDATION_H

#include <stddef.h>

#include "xb_circuit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xb_spice xb_spice;

/* Initialize ngspice (once per process) and return the handle. */
xb_spice *xb_spice_open(xb_error *err);
void xb_spice_close(xb_spice *sp);

/* Load a netlist ('\n'-separated lines, .op or .control-free) and run op.  Reads
 * the currents i(VOUT<j>) for j < n_out into out.  The circuit is removed
 * afterwards, so memory does not grow across calls. */
xb_status xb_spice_op(xb_spice *sp, const char *netlist, int n_out, double *out, xb_error *err);

/* Run op on circuit c with input vector v through netgen/ and ngspice. */
xb_status xb_spice_solve(xb_spice *sp, const xb_circuit *c, const double *v, double *out, xb_error *err);

/* Relative error of a against reference b (n values): max |a-b| / max |b|.
 * 0 when both are all zero; INFINITY when b is all zero and a is not. */
double xb_max_rel_err(const double *a, const double *b, int n);

/* ---- randomized suite -------------------------------------------------------- */

/* Draw random circuit number `index` of a suite (deterministic in seed and index):
 * sizes from 1x1 up to max_size^2 skewed small (and the thin shapes 1x64, 64x1 and
 * 37x5 among the first ones), both topologies, G in [1e-6, 1e-4] S, wires in
 * [0, 10] ohms (uniform or per segment, some zero), driver and sense in
 * [0, 1 kohm], with or without an access resistance.  A third of the gate-input
 * circuits have an ideal supply, a third a column source line (driven near or
 * far, one in two each), a third a row source line; source-line segments in
 * [0, 10] ohms, uniform or per segment, some zero.  v receives one input vector
 * (length rows, malloc'ed). */
xb_circuit *xb_validate_random_circuit(unsigned long seed, int index, int count, int max_size, double **v,
                                       xb_error *err);

/* The same, with nonlinear devices: a level-1 NMOS access transistor, a sinh
 * cell, or both (random parameters around xb_nmos_defaults and V0 in
 * [0.1, 0.5] V), inputs large enough to reach the nonlinear regions, and
 * reversed transistors (negative inputs) in input-source circuits. */
xb_circuit *xb_validate_random_nonlinear(unsigned long seed, int index, int count, int max_size, double **v,
                                         xb_error *err);

/* Full-size cases: gate-input tiles of XB_VALIDATE_FULL_ROWS x XB_VALIDATE_FULL_COLS
 * at the reference study's R^p = 1e-4 (10 ohm segments with Gmax = 1e-5 S, G in
 * [1e-6, 1e-5] S), half the gate bits set.  Case k is source line ideal, column
 * near, column far (per-segment, one in five ideal), row.  nonlinear: NMOS access
 * at xb_nmos_defaults, else a linear access resistance of a few kilohms.  v
 * receives the gate bits (length rows, malloc'ed). */
#define XB_VALIDATE_FULL_CASES 4
#define XB_VALIDATE_FULL_ROWS 1152
#define XB_VALIDATE_FULL_COLS 4
xb_circuit *xb_validate_full_size_circuit(unsigned long seed, int k, int nonlinear, double **v, xb_error *err);

#define XB_VALIDATE_BUCKETS 8

typedef struct {
    int max_side;          /* bucket holds circuits with max(M,N) <= max_side */
    int count;             /* circuits in the bucket */
    double max_rel_err;    /* worst over every path compared */
    double t_spice;        /* seconds, summed: ngspice load + op */
    double t_xbar;         /* seconds, summed: xbar assemble + factor + solve (CHOLMOD, or Newton) */
} xb_validate_bucket;

/* The kinds of circuit the suite draws, reported one by one so that a run shows
 * it covered each: input-source; gate-input with an ideal supply, a column
 * source line driven near or far, a row source line. */
#define XB_VALIDATE_KINDS 5

typedef struct {
    const char *name;      /* "input-source", "gate-input", "sl-column-near", "sl-column-far", "sl-row" */
    int count;             /* circuits of this kind */
    double max_rel_err;    /* worst over every path compared */
    double max_rel_err_general; /* CHOLMOD (linear) or Newton/KLU (nonlinear) against ngspice */
    double max_rel_err_structured; /* the structured path against ngspice; -1 when it never applied */
} xb_validate_kind;

/* One full-size case. */
typedef struct {
    int rows, cols;
    xb_source_line source_line;
    xb_sl_drive sl_drive;
    double rel_err;        /* worst over every path compared */
    double rel_err_general; /* CHOLMOD (linear) or Newton/KLU (nonlinear) against ngspice */
    double rel_err_structured; /* column backend against ngspice; -1 for a row source line */
    double t_spice;        /* seconds: ngspice load + op */
    double t_general;      /* seconds: xbar CHOLMOD or Newton, new + solve */
    double t_structured;   /* seconds: xbar column backend, new + solve; 0 when not run */
} xb_validate_full;

typedef struct {
    int count;             /* random circuits checked */
    double max_rel_err;    /* worst over all circuits (full-size ones too) and every path */
    double max_rel_err_general; /* CHOLMOD (linear) or Newton/KLU (nonlinear) against ngspice */
    double max_rel_err_klu_vs_cholmod; /* linear only */
    /* The structured path against the general one: linear, the column backend
     * (gate-input with independent columns) and the transfer matrix
     * (input-source) against CHOLMOD; nonlinear, the column backend's ladders
     * against Newton/KLU. */
    double max_rel_err_fast_vs_cholmod;
    double max_rel_err_structured; /* the structured path against ngspice */
    int n_structured;      /* random circuits the structured path solved */
    double max_rel_err_auto; /* the automatic backend choice against ngspice */
    int worst_index;       /* circuit with the worst error: full-size case k is count + k */
    int n_above_tol;       /* circuits above the tolerance, full-size ones included */
    double t_spice, t_xbar; /* random circuits only */
    xb_validate_bucket bucket[XB_VALIDATE_BUCKETS];
    xb_validate_kind kind[XB_VALIDATE_KINDS];
    int n_full;            /* full-size cases checked (0 unless asked) */
    xb_validate_full full[XB_VALIDATE_FULL_CASES];
} xb_validate_report;

typedef struct {
    int count;             /* random circuits (default 1000; 0 allowed with full_size) */
    int max_size;          /* largest side (default 128) */
    unsigned long seed;    /* GSL seed (default 1) */
    double tol;            /* tolerance on the relative error (default 1e-9) */
    int nonlinear;         /* 1: nonlinear circuits, Newton against ngspice (tolerance 1e-6) */
    int full_size;         /* 1: also the XB_VALIDATE_FULL_CASES full-size tiles, after the random ones */
    /* Called after each circuit (may be NULL): progress reporting is the caller's. */
    void (*progress)(void *ctx, int done, int total, int rows, int cols, double rel_err);
    void *progress_ctx;
} xb_validate_options;

void xb_validate_options_init(xb_validate_options *opt);
xb_status xb_validate_random(const xb_validate_options *opt, xb_validate_report *rep, xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
