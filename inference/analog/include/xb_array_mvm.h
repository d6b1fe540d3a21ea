/* xb_array_mvm.h: one crossbar array as a matrix-vector multiplier.
 *
 * A small interface with a table of operations: the analog inference core
 * programs an array once and then asks it for MVMs, without knowing whether the
 * product is ideal, an exact solve of the circuit with its wires (the column
 * recurrence for gate-input, the transfer matrix for input-source), or a Newton
 * solve of nonlinear devices.  The choice is made once, at creation. */
#ifndef XB_ARRAY_MVM_H
#define XB_ARRAY_MVM_H

#include <stddef.h>

#include "xb_circuit.h"
#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xb_array_mvm xb_array_mvm;

typedef struct {
    const char *name;
    /* Take the circuit (conductances with their programming errors, wires,
     * topology) and prepare: factorization, transfer matrix, column model. */
    xb_status (*program)(xb_array_mvm *a, const xb_circuit *c, xb_error *err);
    /* k input vectors x (k x rows: volts or 0/1 bits) -> out (k x cols, amperes). */
    xb_status (*run)(xb_array_mvm *a, const double *x, size_t k, double *out, xb_error *err);
    void (*release)(xb_array_mvm *a);
} xb_array_mvm_ops;

struct xb_array_mvm {
    const xb_array_mvm_ops *ops;
    void *state; /* the implementation's */
    int rows, cols;
};

extern const xb_array_mvm_ops xb_array_mvm_ideal; /* G^T v of the programmed cells, wires ignored */
extern const xb_array_mvm_ops xb_array_mvm_exact; /* the linear circuit with its parasitics */
extern const xb_array_mvm_ops xb_array_mvm_newton; /* nonlinear devices with wires */

xb_array_mvm *xb_array_mvm_new(const xb_array_mvm_ops *ops, xb_error *err);
xb_status xb_array_mvm_program(xb_array_mvm *a, const xb_circuit *c, xb_error *err);
xb_status xb_array_mvm_run(xb_array_mvm *a, const double *x, size_t k, double *out, xb_error *err);
void xb_array_mvm_free(xb_array_mvm *a);

#ifdef __cplusplus
}
#endif
#endif
