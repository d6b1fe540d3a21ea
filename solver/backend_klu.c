/* backend_klu.c: sparse LU of the nodal matrix (KLU), analyze once, refactor
 * on every new set of values. */
#include <klu.h>
#include <stdlib.h>

#include "solver_internal.h"

typedef struct {
    klu_common kc;
    klu_symbolic *sym;
    klu_numeric *num;
} klu_state;

static xb_status klu_fail(klu_state *st, const char *phase, xb_error *err)
{
    switch (st->kc.status) {
    case KLU_OUT_OF_MEMORY: return xb_error_set(err, XB_ENOMEM, "klu %s: out of memory", phase);
    case KLU_SINGULAR: return xb_error_set(err, XB_ESINGULAR, "klu %s: nodal matrix is singular", phase);
    case KLU_TOO_LARGE: return xb_error_set(err, XB_ETOOBIG, "klu %s: integer overflow, problem too large", phase);
    default: return xb_error_set(err, XB_EINTERNAL, "klu %s failed with status %d", phase, st->kc.status);
    }
}

static xb_status k_analyze(xb_solver *s, xb_error *err)
{
    klu_state *st = calloc(1, sizeof *st);
    if (!st)
        return xb_error_set(err, XB_ENOMEM, "klu: out of memory");
    s->backend = st;
    klu_defaults(&st->kc);
    st->sym = klu_analyze(s->n, s->Ap, s->Ai, &st->kc);
    if (!st->sym)
        return klu_fail(st, "analyze", err);
    s->stats.nnz_factor = st->sym->lnz + st->sym->unz;
    s->stats.flops_factor = 0; /* KLU counts flops only after factorizing */
    return XB_OK;
}

static xb_status k_factor(xb_solver *s, xb_error *err)
{
    klu_state *st = s->backend;
    if (st->num) {
        if (klu_refactor(s->Ap, s->Ai, s->Ax, st->sym, st->num, &st->kc))
            return XB_OK;
        /* Refactoring keeps the old pivots; if they fail, pivot afresh. */
        klu_free_numeric(&st->num, &st->kc);
    }
    st->num = klu_factor(s->Ap, s->Ai, s->Ax, st->sym, &st->kc);
    if (!st->num || st->kc.status != KLU_OK)
        return klu_fail(st, "factor", err);
    if (klu_flops(st->sym, st->num, &st->kc))
        s->stats.flops_factor = st->kc.flops;
    return XB_OK;
}

static xb_status k_solve(xb_solver *s, double *b, int nrhs, xb_error *err)
{
    klu_state *st = s->backend;
    if (!klu_solve(st->sym, st->num, s->n, nrhs, b, &st->kc))
        return klu_fail(st, "solve", err);
    return XB_OK;
}

static void k_release(xb_solver *s)
{
    klu_state *st = s->backend;
    if (!st)
        return;
    if (st->num)
        klu_free_numeric(&st->num, &st->kc);
    if (st->sym)
        klu_free_symbolic(&st->sym, &st->kc);
    free(st);
    s->backend = NULL;
}

const xb_backend_ops xb_klu_ops = {"klu", k_analyze, k_factor, k_solve, k_release};
