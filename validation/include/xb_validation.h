/* xb_validation.h: xbar's solver checked against ngspice.
 *
 * xb_spice wraps ngspice's shared library (libngspice, sharedspice.h).  It is the
 * only place in xbar that talks to ngspice.  ngspice keeps global state, so one
 * process holds at most one open xb_spice at a time, used from one thread.
 *
 * xb_validate_random runs the randomized suite: random circuits of both
 * topologies are written by netgen/, solved by ngspice (op, vectors read at full
 * double precision) and by three xbar paths (CHOLMOD, KLU, and the structured fast
 * path of the topology: the column recurrence for gate-input, the transfer matrix
 * for input-source), and the column currents compared. */
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
 * [0, 1 kohm], with or without an access resistance.  v receives one input
 * vector (length rows, malloc'ed). */
xb_circuit *xb_validate_random_circuit(unsigned long seed, int index, int count, int max_size, double **v,
                                       xb_error *err);

/* The same, with nonlinear devices: a level-1 NMOS access transistor, a sinh
 * cell, or both (random parameters around xb_nmos_defaults and V0 in
 * [0.1, 0.5] V), inputs large enough to reach the nonlinear regions, and
 * reversed transistors (negative inputs) in input-source circuits. */
xb_circuit *xb_validate_random_nonlinear(unsigned long seed, int index, int count, int max_size, double **v,
                                         xb_error *err);

#define XB_VALIDATE_BUCKETS 8

typedef struct {
    int max_side;          /* bucket holds circuits with max(M,N) <= max_side */
    int count;             /* circuits in the bucket */
    double max_rel_err;    /* worst over the three paths */
    double t_spice;        /* seconds, summed: ngspice load + op */
    double t_xbar;         /* seconds, summed: xbar assemble + factor + solve (CHOLMOD) */
} xb_validate_bucket;

typedef struct {
    int count;             /* circuits checked */
    double max_rel_err;    /* worst over all circuits and the three paths */
    double max_rel_err_klu_vs_cholmod;
    double max_rel_err_fast_vs_cholmod; /* column (gate-input) and transfer (input-source) paths */
    int worst_index;       /* circuit with the worst error */
    int n_above_tol;       /* circuits above the tolerance */
    double t_spice, t_xbar;
    xb_validate_bucket bucket[XB_VALIDATE_BUCKETS];
} xb_validate_report;

typedef struct {
    int count;             /* circuits (default 1000) */
    int max_size;          /* largest side (default 128) */
    unsigned long seed;    /* GSL seed (default 1) */
    double tol;            /* tolerance on the relative error (default 1e-9) */
    int nonlinear;         /* 1: nonlinear circuits, Newton against ngspice (tolerance 1e-6) */
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
