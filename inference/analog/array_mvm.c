/* array_mvm.c: the three array MVM implementations, all over xb_solver. */
#include "xb_array_mvm.h"

#include <stdlib.h>

#include "xb_solver.h"

xb_array_mvm *xb_array_mvm_new(const xb_array_mvm_ops *ops, xb_error *err)
{
    xb_array_mvm *a = calloc(1, sizeof *a);
    if (!a) {
        xb_error_set(err, XB_ENOMEM, "array: out of memory");
        return NULL;
    }
    a->ops = ops;
    return a;
}

xb_status xb_array_mvm_program(xb_array_mvm *a, const xb_circuit *c, xb_error *err)
{
    if (a->state)
        a->ops->release(a);
    a->rows = c->rows;
    a->cols = c->cols;
    return a->ops->program(a, c, err);
}

xb_status xb_array_mvm_run(xb_array_mvm *a, const double *x, size_t k, double *out, xb_error *err)
{
    if (!a->state)
        return xb_error_set(err, XB_EINVAL, "array %s: run before program", a->ops->name);
    return a->ops->run(a, x, k, out, err);
}

void xb_array_mvm_free(xb_array_mvm *a)
{
    if (!a)
        return;
    if (a->state)
        a->ops->release(a);
    free(a);
}

static xb_status program_with(xb_array_mvm *a, const xb_circuit *c, xb_backend b, int strip_wires, xb_error *err)
{
    xb_circuit *copy = NULL;
    if (strip_wires) {
        copy = xb_circuit_copy(c, err);
        if (!copy)
            return err->code;
        free(copy->r_row_seg);
        free(copy->r_col_seg);
        free(copy->r_drv_row);
        free(copy->r_sense_col);
        copy->r_row_seg = copy->r_col_seg = copy->r_drv_row = copy->r_sense_col = NULL;
        copy->r_row = copy->r_col = copy->r_drv = copy->r_sense = 0;
        c = copy;
    }
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = b;
    a->state = xb_solver_new(c, &opt, err);
    xb_circuit_free(copy);
    return a->state ? XB_OK : err->code;
}

static xb_status run_solver(xb_array_mvm *a, const double *x, size_t k, double *out, xb_error *err)
{
    return xb_solver_solve(a->state, x, k, out, NULL, err);
}

static void release_solver(xb_array_mvm *a)
{
    xb_solver_free(a->state);
    a->state = NULL;
}

static xb_status program_ideal(xb_array_mvm *a, const xb_circuit *c, xb_error *err)
{
    if (xb_circuit_is_nonlinear(c))
        return xb_error_set(err, XB_EINVAL, "array ideal: nonlinear devices need the newton array");
    return program_with(a, c, XB_BACKEND_IDEAL, 1, err);
}

static xb_status program_exact(xb_array_mvm *a, const xb_circuit *c, xb_error *err)
{
    if (xb_circuit_is_nonlinear(c))
        return xb_error_set(err, XB_EINVAL, "array exact: nonlinear devices need the newton array");
    xb_backend b = xb_circuit_is_ideal(c)                ? XB_BACKEND_IDEAL
                   : c->topology == XB_TOPO_GATE_INPUT ? XB_BACKEND_COLUMN
                                                         : XB_BACKEND_TRANSFER;
    return program_with(a, c, b, 0, err);
}

static xb_status program_newton(xb_array_mvm *a, const xb_circuit *c, xb_error *err)
{
    return program_with(a, c, XB_BACKEND_NEWTON, 0, err);
}

const xb_array_mvm_ops xb_array_mvm_ideal = {"ideal", program_ideal, run_solver, release_solver};
const xb_array_mvm_ops xb_array_mvm_exact = {"exact", program_exact, run_solver, release_solver};
const xb_array_mvm_ops xb_array_mvm_newton = {"newton", program_newton, run_solver, release_solver};
