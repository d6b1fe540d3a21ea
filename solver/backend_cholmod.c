/* backend_cholmod.c: supernodal Cholesky of the SPD nodal matrix (CHOLMOD), the
 * factorization of the cholmod and transfer backends. */
#include <cholmod.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

typedef struct {
    cholmod_common cm;
    cholmod_sparse *A;  /* upper triangle is read; a copy of the pattern of s->A */
    cholmod_factor *L;  /* symbolic after analyze, numeric after factor */
    int started;
    double lnz, fl;     /* entries of L and flops of one factorization, from the analysis */
} chol_state;

static xb_status chol_fail(chol_state *st, const char *phase, xb_error *err)
{
    int status = st->cm.status;
    if (status == CHOLMOD_OUT_OF_MEMORY)
        return xb_error_set(err, XB_ENOMEM, "cholmod %s: out of memory", phase);
    if (status == CHOLMOD_NOT_POSDEF)
        return xb_error_set(err, XB_ESINGULAR, "cholmod %s: nodal matrix is not positive definite (column %d)", phase,
                            st->L ? (int)st->L->minor : -1);
    return xb_error_set(err, XB_EINTERNAL, "cholmod %s failed with status %d", phase, status);
}

static xb_status chol_analyze(xb_solver *s, xb_error *err)
{
    chol_state *st = calloc(1, sizeof *st);
    if (!st)
        return xb_error_set(err, XB_ENOMEM, "cholmod: out of memory");
    s->factor_state = st;
    cholmod_start(&st->cm);
    st->started = 1;
    st->cm.print = 0;            /* library code never prints */
    st->cm.error_handler = NULL;
    st->cm.supernodal = CHOLMOD_SUPERNODAL;
    int *perm = NULL;
    switch (s->opt.ordering) {
    case XB_ORDER_DEFAULT:
    case XB_ORDER_GEOMETRIC:
        perm = malloc((size_t)(s->n ? s->n : 1) * sizeof *perm);
        if (!perm)
            return xb_error_set(err, XB_ENOMEM, "cholmod: out of memory for the ordering");
        xb_status status = xb_order_geometric(s, perm, err);
        if (status) {
            free(perm);
            return status;
        }
        st->cm.nmethods = 1;
        st->cm.method[0].ordering = CHOLMOD_GIVEN;
        st->cm.postorder = 1;
        break;
    case XB_ORDER_AMD:
        st->cm.nmethods = 1;
        st->cm.method[0].ordering = CHOLMOD_AMD;
        st->cm.postorder = 1;
        break;
    case XB_ORDER_METIS:
        st->cm.nmethods = 1;
        st->cm.method[0].ordering = CHOLMOD_METIS;
        st->cm.postorder = 1;
        break;
    case XB_ORDER_CHOLMOD:
        break;
    }
    st->A = cholmod_allocate_sparse((size_t)s->n, (size_t)s->n, (size_t)s->A.nnz, 1, 1, 1, CHOLMOD_REAL, &st->cm);
    if (!st->A) {
        free(perm);
        return chol_fail(st, "allocate", err);
    }
    memcpy(st->A->p, s->A.p, ((size_t)s->n + 1) * sizeof(int));
    memcpy(st->A->i, s->A.i, (size_t)s->A.nnz * sizeof(int));
    st->L = perm ? cholmod_analyze_p(st->A, perm, NULL, 0, &st->cm) : cholmod_analyze(st->A, &st->cm);
    free(perm);
    if (!st->L || st->cm.status < CHOLMOD_OK)
        return chol_fail(st, "analyze", err);
    st->lnz = st->cm.lnz;
    st->fl = st->cm.fl;
    return XB_OK;
}

static size_t chol_bytes(const xb_solver *s)
{
    const chol_state *st = s->factor_state;
    /* Supernodal values plus integer structure; lnz as a floor for simplicial. */
    double vals = st->L->is_super ? (double)st->L->xsize : st->cm.lnz;
    if (vals < st->cm.lnz)
        vals = st->cm.lnz;
    return (size_t)(vals * sizeof(double) + st->cm.lnz * sizeof(int) + (double)s->n * 8 * sizeof(int));
}

static xb_status chol_factor(xb_solver *s, xb_error *err)
{
    chol_state *st = s->factor_state;
    memcpy(st->A->x, s->A.x, (size_t)s->A.nnz * sizeof(double));
    if (!cholmod_factorize(st->A, st->L, &st->cm) || st->cm.status != CHOLMOD_OK)
        return chol_fail(st, "factorize", err);
    return XB_OK;
}

static xb_status chol_solve(xb_solver *s, double *b, int nrhs, xb_error *err)
{
    chol_state *st = s->factor_state;
    cholmod_dense B;
    memset(&B, 0, sizeof B);
    B.nrow = (size_t)s->n;
    B.ncol = (size_t)nrhs;
    B.nzmax = (size_t)s->n * (size_t)nrhs;
    B.d = (size_t)s->n;
    B.x = b;
    B.xtype = CHOLMOD_REAL;
    B.dtype = CHOLMOD_DOUBLE;
    cholmod_dense *X = cholmod_solve(CHOLMOD_A, st->L, &B, &st->cm);
    if (!X)
        return chol_fail(st, "solve", err);
    memcpy(b, X->x, (size_t)s->n * (size_t)nrhs * sizeof(double));
    cholmod_free_dense(&X, &st->cm);
    return XB_OK;
}

static void chol_release(xb_solver *s)
{
    chol_state *st = s->factor_state;
    if (!st)
        return;
    if (st->started) {
        cholmod_free_factor(&st->L, &st->cm);
        cholmod_free_sparse(&st->A, &st->cm);
        cholmod_finish(&st->cm);
    }
    free(st);
    s->factor_state = NULL;
}

static void chol_stats(const xb_solver *s, xb_solver_stats *out)
{
    const chol_state *st = s->factor_state;
    if (!st || !st->L)
        return;
    out->nnz_factor = st->lnz;
    out->flops_factor = st->fl;
}

const xb_factor_ops xb_cholmod_factor = {"cholmod",  chol_analyze, chol_bytes,  chol_factor,
                                         chol_solve, chol_stats,   chol_release};

static xb_status cholmod_new(xb_solver *s, xb_error *err) { return xb_nodal_new(s, &xb_cholmod_factor, err); }

static size_t cholmod_estimate(const xb_circuit *c, const xb_solver_options *opt)
{
    return xb_estimate_assembly_bytes(c->rows, c->cols);
}

const xb_backend_ops xb_cholmod_backend = {"cholmod",      cholmod_estimate, cholmod_new,
                                           xb_nodal_solve, xb_nodal_stats,   xb_nodal_free};
