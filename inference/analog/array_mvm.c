/* array_mvm.c: an array MVM is an xb_solver over the programmed circuit, with
 * the backend taken from the configuration (see xb_array_mvm.h). */
#include "xb_array_mvm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct xb_array_mvm {
    xb_array_mvm_config cfg;
    xb_solver *solver; /* NULL until programmed */
    double *sd;        /* read noise: sigma of each cell (NULL: none) */
    size_t n_sd;       /* cells of sd */
    unsigned long long key;
};

void xb_array_mvm_config_init(xb_array_mvm_config *cfg)
{
    if (!cfg)
        return;
    cfg->backend = XB_BACKEND_AUTO;
    cfg->ideal_wires = 0;
}

xb_array_mvm *xb_array_mvm_new(const xb_array_mvm_config *cfg, xb_error *err)
{
    xb_array_mvm *a = calloc(1, sizeof *a);
    if (!a) {
        xb_error_set(err, XB_ENOMEM, "array: out of memory");
        return NULL;
    }
    if (cfg)
        a->cfg = *cfg;
    else
        xb_array_mvm_config_init(&a->cfg);
    return a;
}

/* An array answers many batches per programming, so for input-source with wires
 * the transfer matrix (extracted once) beats a CHOLMOD solve per batch. */
static xb_backend array_backend(const xb_array_mvm_config *cfg, const xb_circuit *c)
{
    if (cfg->backend != XB_BACKEND_AUTO)
        return cfg->backend;
    xb_backend b = xb_backend_choose(c);
    return b == XB_BACKEND_CHOLMOD && c->topology == XB_TOPO_INPUT_SOURCE ? XB_BACKEND_TRANSFER : b;
}

xb_status xb_array_mvm_program(xb_array_mvm *a, const xb_circuit *c, xb_error *err)
{
    xb_error local, *e = err ? err : &local; /* e->code is the status even when err is NULL */
    if (!a || !c)
        return xb_error_set(err, XB_EINVAL, "array: NULL argument");
    xb_solver_free(a->solver);
    a->solver = NULL;
    xb_circuit *ideal = NULL;
    if (a->cfg.ideal_wires) {
        if (!(ideal = xb_circuit_copy(c, e)))
            return e->code;
        xb_circuit_strip_parasitics(ideal);
        c = ideal;
    }
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = array_backend(&a->cfg, c);
    a->solver = xb_solver_new(c, &opt, e);
    xb_circuit_free(ideal);
    return a->solver ? XB_OK : e->code;
}

xb_status xb_array_mvm_run(xb_array_mvm *a, const double *x, size_t k, double *out, xb_error *err)
{
    if (!a || !a->solver)
        return xb_error_set(err, XB_EINVAL, "array: run before program");
    return xb_solver_solve(a->solver, x, k, out, NULL, err);
}

#define GROUP_MAX 16 /* arrays of one group call */

xb_status xb_array_mvm_run_group(xb_array_mvm *const *a, int n, const double *x, size_t k, double *const *out,
                                 xb_solver_work *w, xb_error *err)
{
    if (!a || n < 1 || n > GROUP_MAX)
        return xb_error_set(err, XB_EINVAL, "array group: %d arrays (1 to %d)", n, GROUP_MAX);
    xb_solver *s[GROUP_MAX];
    for (int q = 0; q < n; q++) {
        if (!a[q] || !a[q]->solver)
            return xb_error_set(err, XB_EINVAL, "array group: array %d is NULL or not programmed", q);
        s[q] = a[q]->solver;
    }
    return xb_solver_solve_group(s, n, x, k, out, w, err);
}

int xb_array_mvm_concurrent(const xb_array_mvm *a) { return a && xb_solver_concurrent(a->solver); }

void xb_array_mvm_free(xb_array_mvm *a)
{
    if (!a)
        return;
    xb_solver_free(a->solver);
    free(a->sd);
    free(a);
}

xb_status xb_array_mvm_set_read_noise(xb_array_mvm *a, const double *sd, unsigned long long key, xb_error *err)
{
    if (!a || !a->solver)
        return xb_error_set(err, XB_EINVAL, "array: read noise before program");
    free(a->sd);
    a->sd = NULL;
    a->n_sd = 0;
    if (!sd)
        return XB_OK;
    const xb_circuit *c = xb_solver_circuit(a->solver);
    const size_t n = (size_t)c->rows * c->cols;
    for (size_t q = 0; q < n; q++)
        if (!(sd[q] >= 0) || !isfinite(sd[q]))
            return xb_error_set(err, XB_EINVAL, "array: read noise sigma %g of cell (%zu, %zu): must be finite and >= 0",
                                sd[q], q / c->cols, q % c->cols);
    if (!(a->sd = malloc(n * sizeof *a->sd)))
        return xb_error_set(err, XB_ENOMEM, "array: out of memory for the read noise");
    memcpy(a->sd, sd, n * sizeof *a->sd);
    a->n_sd = n;
    a->key = key;
    return XB_OK;
}

int xb_array_mvm_noisy(const xb_array_mvm *a) { return a && a->sd; }

xb_status xb_array_mvm_run_group_reads(xb_array_mvm *const *a, int n, const double *x, size_t k,
                                       const unsigned long long *reads, double *const *out, xb_solver_work *w,
                                       xb_error *err)
{
    if (!a || n < 1 || n > GROUP_MAX)
        return xb_error_set(err, XB_EINVAL, "array group: %d arrays (1 to %d)", n, GROUP_MAX);
    xb_solver *s[GROUP_MAX];
    xb_read_noise nz[GROUP_MAX];
    int any = 0;
    for (int q = 0; q < n; q++) {
        if (!a[q] || !a[q]->solver)
            return xb_error_set(err, XB_EINVAL, "array group: array %d is NULL or not programmed", q);
        s[q] = a[q]->solver;
        nz[q].sd = a[q]->sd;
        nz[q].key = a[q]->key;
        any |= a[q]->sd != NULL;
    }
    if (!any)
        return xb_solver_solve_group(s, n, x, k, out, w, err);
    if (!reads)
        return xb_error_set(err, XB_EINVAL, "array group: arrays with read noise need the reads' numbers");
    return xb_solver_solve_group_noisy(s, nz, n, x, k, reads, out, w, err);
}
