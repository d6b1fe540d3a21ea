/* xb_relax.h: the fixed-point relaxation baseline for gate-input arrays.
 *
 * This is not one of xbar's solvers.  It is the fixed-point relaxation method of
 * the reference study's simulator (Xiao et al., IEEE CAS Magazine 22(4), 2022),
 * reimplemented from its published description so that xbar can be compared with
 * it: damped Jacobi-style updates of the voltages across the cells, at most 100
 * sweeps, a tolerance of 2e-4 of the read voltage, and a damping factor that
 * starts at 0.9 and is reduced whenever an attempt diverges or fails to converge.
 * xbar's exact answer for the same circuit is the column backend of xb_solver.h.
 *
 * A vector that does not converge gets NaN outputs and a flag in the report, and
 * the call returns XB_ECONVERGE: the method never hands back an unconverged
 * iterate as if it were an answer. */
#ifndef XB_RELAX_H
#define XB_RELAX_H

#include <stddef.h>

#include "xb_circuit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int max_iter;        /* sweeps per attempt (100) */
    double tol;          /* stop when max |target - estimate| of the cell voltages,
                            over the enabled cells, is below tol * |V_read| (2e-4) */
    double damping;      /* first damping factor alpha of the update, in (0, 2) (0.9) */
    double shrink;       /* after a failed attempt alpha <- shrink * alpha, in (0, 1) (0.5) */
    double damping_min;  /* no attempt runs with alpha below this; then the vector
                            has failed (0.01) */
    int keep_damping;    /* 1: each vector starts from the alpha with which the previous
                            converged vector finished, as the reference simulator keeps
                            its reduced factor in its parameters; 0: every vector starts
                            at `damping` (1) */
} xb_relax_options;

/* What happened; the per-vector arrays are the caller's (K entries each) and any
 * of them may be NULL. */
typedef struct {
    int *iterations;     /* K: sweeps of vector k over all its attempts */
    double *damping;     /* K: alpha of vector k's last attempt */
    int *converged;      /* K: 1 when vector k converged, 0 when it failed */
    double *residual;    /* K: last max |target - estimate| / |V_read| of vector k */
    size_t n_converged;  /* vectors that converged */
    size_t n_failed;     /* vectors that did not (their outputs are NaN) */
    long sweeps;         /* sweeps over all vectors and attempts */
    int max_sweeps;      /* most sweeps one vector used */
    long attempts;       /* attempts over all vectors (restarts with a smaller alpha) */
    double next_damping; /* alpha the next vector would start from */
    double seconds;      /* wall time of the whole call */
} xb_relax_report;

/* Defaults: 100 sweeps, 2e-4, 0.9, halved on failure, down to 0.01, kept. */
void xb_relax_options_init(xb_relax_options *opt);

/* Relax K gate-input bit-vectors x (K x M row-major, entries 0 or 1) on the
 * linear gate-input circuit c (XB_EUNSUPPORTED for an access transistor or a
 * nonlinear cell) into out (K x N row-major, amperes into each virtual
 * ground).  opt and rep may be NULL.  Returns XB_ECONVERGE (with NaN outputs for
 * the failed vectors and the first failure described in err) when any vector did
 * not converge; the other vectors' outputs are still valid. */
xb_status xb_relax_gate_input(const xb_circuit *c, const double *x, size_t k, double *out,
                              const xb_relax_options *opt, xb_relax_report *rep, xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
