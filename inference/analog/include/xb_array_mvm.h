/* xb_array_mvm.h: one crossbar array as a matrix-vector multiplier.
 *
 * The analog inference core programs an array once and then asks it for MVMs,
 * without knowing what multiplies underneath: that is a configuration choice
 * (xb_array_mvm_config), not a branch in the caller.  Every array is an
 * xb_solver over the programmed circuit; the configuration picks the solver
 * backend and whether the wires count.  By default the solver's own choice is
 * taken, except that input-source arrays with wires use the transfer matrix (one
 * extraction per programming, then one GEMM per batch of vectors) instead of a
 * CHOLMOD solve per batch. */
#ifndef XB_ARRAY_MVM_H
#define XB_ARRAY_MVM_H

#include <stddef.h>

#include "xb_circuit.h"
#include "xb_error.h"
#include "xb_solver.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    xb_backend backend; /* solver backend; XB_BACKEND_AUTO (default): xb_backend_choose, with
                           transfer in place of cholmod */
    int ideal_wires;    /* 1: program the circuit with its wires, drivers and senses made ideal
                           (xb_circuit_strip_parasitics): with linear cells, the ideal product
                           G^T v of the programmed conductances; 0 (default): as given */
} xb_array_mvm_config;

typedef struct xb_array_mvm xb_array_mvm;

/* Defaults: AUTO backend, wires as given. */
void xb_array_mvm_config_init(xb_array_mvm_config *cfg);

/* An array that multiplies as cfg says (NULL: the defaults). */
xb_array_mvm *xb_array_mvm_new(const xb_array_mvm_config *cfg, xb_error *err);
/* Take the circuit (conductances with their programming errors, wires, topology)
 * and prepare: factorization, transfer matrix or column model.  Programming
 * again replaces the previous circuit. */
xb_status xb_array_mvm_program(xb_array_mvm *a, const xb_circuit *c, xb_error *err);
/* k input vectors x (k x rows: volts or 0/1 bits) -> out (k x cols, amperes). */
xb_status xb_array_mvm_run(xb_array_mvm *a, const double *x, size_t k, double *out, xb_error *err);
/* The same k input vectors on n arrays of the same rows and topology (the G+
 * and G- arrays of a differential pair, the slices of a weight): out[q] gets
 * array q's currents, the same bits as xb_array_mvm_run.  One pass over the
 * inputs where the backend allows it (xb_solver_solve_group); w: the calling
 * thread's scratch (may be NULL). */
xb_status xb_array_mvm_run_group(xb_array_mvm *const *a, int n, const double *x, size_t k, double *const *out,
                                 xb_solver_work *w, xb_error *err);
/* 1 when several threads may run the array at once (xb_solver_concurrent):
 * the linear column, transfer and ideal paths.  Run the others from one
 * thread at a time, in the same order, for the same bits. */
int xb_array_mvm_concurrent(const xb_array_mvm *a);
void xb_array_mvm_free(xb_array_mvm *a);

/* Read noise (xb_solver.h, xb_read_noise): from now on every vector the array
 * reads sees each cell's conductance plus sd * Z, Z drawn afresh for that read
 * from stream key and the read's number.  sd: rows x cols siemens (copied;
 * NULL: no read noise again).  Programming again keeps it. */
xb_status xb_array_mvm_set_read_noise(xb_array_mvm *a, const double *sd, unsigned long long key, xb_error *err);
/* 1 when the array has read noise. */
int xb_array_mvm_noisy(const xb_array_mvm *a);
/* xb_array_mvm_run_group with the numbers of the k reads (reads[r] for vector
 * r): the same read of the same array gives the same draws, whatever the
 * batch, the thread or the backend.  Arrays without read noise ignore them. */
xb_status xb_array_mvm_run_group_reads(xb_array_mvm *const *a, int n, const double *x, size_t k,
                                       const unsigned long long *reads, double *const *out, xb_solver_work *w,
                                       xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
