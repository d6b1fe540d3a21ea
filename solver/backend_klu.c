/* backend_klu.c: sparse LU of one pattern (KLU): analyze once, refactor on every
 * new set of values.  The klu backend factors the nodal matrix with it, and
 * Newton (newton.c) its Jacobian at every step. */
#include <klu.h>
#include <stdlib.h>

#include "solver_internal.h"

struct xb_klu {
    klu_common kc;
    klu_symbolic *sym;
    klu_numeric *num;   /* NULL before the first factorization */
    const xb_csc *A;    /* the pattern analyzed */
    double flops;       /* of the last fresh factorization */
};

static xb_status klu_fail(const xb_klu *k, const char *phase, xb_error *err)
{
    switch (k->kc.status) {
    case KLU_OUT_OF_MEMORY: return xb_error_set(err, XB_ENOMEM, "klu %s: out of memory", phase);
    case KLU_SINGULAR: return xb_error_set(err, XB_ESINGULAR, "klu %s: the matrix is singular", phase);
    case KLU_TOO_LARGE: return xb_error_set(err, XB_ETOOBIG, "klu %s: integer overflow, problem too large", phase);
    default: return xb_error_set(err, XB_EINTERNAL, "klu %s failed with status %d", phase, k->kc.status);
    }
}

xb_status xb_klu_new(xb_klu **out, const xb_csc *A, xb_error *err)
{
    xb_klu *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return xb_error_set(err, XB_ENOMEM, "klu: out of memory");
    klu_defaults(&k->kc);
    k->A = A;
    k->sym = klu_analyze(A->n, A->p, A->i, &k->kc);
    if (!k->sym) {
        xb_status st = klu_fail(k, "analyze", err);
        xb_klu_free(k);
        return st;
    }
    *out = k;
    return XB_OK;
}

xb_status xb_klu_factor(xb_klu *k, const xb_csc *A, xb_error *err)
{
    if (k->num) {
        if (klu_refactor(A->p, A->i, A->x, k->sym, k->num, &k->kc) && k->kc.status == KLU_OK)
            return XB_OK;
        /* Refactoring keeps the old pivots; if they fail, pivot afresh. */
        klu_free_numeric(&k->num, &k->kc);
    }
    k->num = klu_factor(A->p, A->i, A->x, k->sym, &k->kc);
    if (!k->num || k->kc.status != KLU_OK)
        return klu_fail(k, "factor", err);
    if (klu_flops(k->sym, k->num, &k->kc))
        k->flops = k->kc.flops;
    return XB_OK;
}

xb_status xb_klu_solve(xb_klu *k, double *b, int nrhs, xb_error *err)
{
    if (!klu_solve(k->sym, k->num, k->A->n, nrhs, b, &k->kc))
        return klu_fail(k, "solve", err);
    return XB_OK;
}

double xb_klu_nnz(const xb_klu *k) { return k->sym->lnz + k->sym->unz; }
double xb_klu_flops(const xb_klu *k) { return k->flops; }

void xb_klu_free(xb_klu *k)
{
    if (!k)
        return;
    if (k->num)
        klu_free_numeric(&k->num, &k->kc);
    if (k->sym)
        klu_free_symbolic(&k->sym, &k->kc);
    free(k);
}

/* ---- the factorization of the klu backend's nodal path ---------------------------- */

static xb_status k_analyze(xb_solver *s, xb_error *err)
{
    xb_klu *k;
    xb_status st = xb_klu_new(&k, &s->A, err);
    s->factor_state = k;
    return st;
}

/* L+U values and row indices, with half again for KLU's workspace. */
#define XB_KLU_BYTES_SLACK 1.5

static size_t k_bytes(const xb_solver *s)
{
    return (size_t)(xb_klu_nnz(s->factor_state) * (sizeof(double) + sizeof(int)) * XB_KLU_BYTES_SLACK);
}

static xb_status k_factor(xb_solver *s, xb_error *err) { return xb_klu_factor(s->factor_state, &s->A, err); }

static xb_status k_solve(xb_solver *s, double *b, int nrhs, xb_error *err)
{
    return xb_klu_solve(s->factor_state, b, nrhs, err);
}

static void k_stats(const xb_solver *s, xb_solver_stats *st)
{
    if (!s->factor_state)
        return;
    st->nnz_factor = xb_klu_nnz(s->factor_state);
    st->flops_factor = xb_klu_flops(s->factor_state); /* KLU counts flops only after factorizing */
}

static void k_release(xb_solver *s)
{
    xb_klu_free(s->factor_state);
    s->factor_state = NULL;
}

const xb_factor_ops xb_klu_factor_ops = {"klu", k_analyze, k_bytes, k_factor, k_solve, k_stats, k_release};

static xb_status klu_backend_new(xb_solver *s, xb_error *err) { return xb_nodal_new(s, &xb_klu_factor_ops, err); }

static size_t klu_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    return xb_estimate_assembly_bytes(c->rows, c->cols);
}

const xb_backend_ops xb_klu_backend = {"klu",          klu_estimate,   klu_backend_new,
                                       xb_nodal_solve, xb_nodal_stats, xb_nodal_free};
