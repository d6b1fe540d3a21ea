/* solver_internal.h: what the solver's files share.  Not installed.
 *
 * Two tables of operations, in the manner of SUNDIALS' SUNLinearSolver:
 *
 *   xb_backend_ops  one per backend of xb_solver.h (ideal, column, cholmod, klu,
 *                   transfer, newton): estimate its memory, build, solve batches,
 *                   report its counters, free.  xb_solver_new only validates,
 *                   chooses a table, checks the budget and calls it.
 *   xb_factor_ops   the sparse factorization under the nodal path (nodal.c),
 *                   in KLU's phases: analyze once, factor per set of values,
 *                   solve many right-hand sides.  CHOLMOD and KLU provide one.
 *
 * Inside the solver err is never NULL: xb_solver_new and xb_solver_solve pass
 * their own when the caller gives none, so err->code can be read after a call
 * that failed. */
#ifndef XB_SOLVER_INTERNAL_H
#define XB_SOLVER_INTERNAL_H

#include "xb_base.h"
#include "device.h"
#include "xb_graph.h"
#include "xb_solver.h"

/* ---- compressed sparse columns (csc.c) --------------------------------------- */

/* A square sparse matrix, both triangles stored, rows sorted in each column. */
typedef struct {
    int n;     /* rows = columns */
    long nnz;  /* stored entries */
    int *p;    /* n+1: start of each column in i and x */
    int *i;    /* nnz: row of each entry */
    double *x; /* nnz: values */
} xb_csc;

/* The two unknowns joined by pair k (-1 for an end that is not an unknown). */
typedef void (*xb_csc_pair_fn)(const void *ctx, long k, int *a, int *b);

/* The pattern of n unknowns: every diagonal, plus (a,b) and (b,a) for each pair
 * of two unknowns; values zeroed.  On failure A holds what was allocated
 * (xb_csc_free releases it). */
xb_status xb_csc_symmetric(xb_csc *A, int n, long n_pairs, xb_csc_pair_fn pair, const void *ctx, xb_error *err);
/* Position of entry (row, col) in A->i and A->x, -1 when it is not stored. */
long xb_csc_find(const xb_csc *A, int row, int col);
/* Free the arrays (not A itself) and zero A. */
void xb_csc_free(xb_csc *A);

/* ---- KLU on one pattern (backend_klu.c), shared by the klu backend and Newton -- */

typedef struct xb_klu xb_klu;
/* klu_analyze of A's pattern into *k (NULL on failure).  A must outlive *k. */
xb_status xb_klu_new(xb_klu **k, const xb_csc *A, xb_error *err);
/* Factor A's values: refactor on the previous pivots, or pivot afresh when
 * there are none or they fail. */
xb_status xb_klu_factor(xb_klu *k, const xb_csc *A, xb_error *err);
/* b: n x nrhs column-major, overwritten with the solution. */
xb_status xb_klu_solve(xb_klu *k, double *b, int nrhs, xb_error *err);
/* Entries of L+U from the analysis, and flops of the last fresh factorization (0 before). */
double xb_klu_nnz(const xb_klu *k);
double xb_klu_flops(const xb_klu *k);
void xb_klu_free(xb_klu *k);

/* ---- the solver ------------------------------------------------------------------ */

/* A stamp of one element into the nodal system (see assemble.c). */
typedef struct {
    int elem;      /* index into graph->elem */
    int ua, ub;    /* unknown index of each end, -1 when the end is a fixed node */
    int fa, fb;    /* fixed raw node of each end, -1 when the end is free */
    long paa, pbb, pab, pba; /* positions in the matrix values (-1 when unused) */
    double y;      /* siemens; gate-input cells are scaled by their row bit */
} xb_stamp;

typedef struct xb_backend_ops xb_backend_ops;
typedef struct xb_factor_ops xb_factor_ops;

struct xb_solver {
    xb_circuit *circuit;      /* own copy */
    xb_solver_options opt;    /* as given, with the backend resolved (never AUTO) */
    xb_solver_stats stats;
    const xb_backend_ops *ops;
    void *state;              /* the backend's own (column model, Newton state) */

    /* The nodal system, shared by the nodal backends and Newton. */
    xb_graph *graph;
    int n;                    /* unknowns */
    int *unknown;             /* n_raw: unknown index of each raw node's class, -1 if fixed or unused */
    int n_stamp;
    xb_stamp *stamp;          /* every element that is not an internal short */
    xb_csc A;                 /* the nodal matrix: full symmetric pattern, values of the current input */
    double *fixed_v;          /* n_raw: volts of fixed nodes for the current vector */

    /* The nodal path (nodal.c) and its factorization. */
    const xb_factor_ops *factor;
    void *factor_state;       /* the factorization's own */
    int refine;               /* iterative refinement steps per solve */
    double *transfer;         /* transfer backend: M x N, out = v T */
};

struct xb_backend_ops {
    const char *name;  /* as reported in xb_solver_stats.backend */
    /* Bytes the backend needs before anything is built, from the circuit alone;
     * xb_solver_new refuses with XB_ETOOBIG when they exceed the budget. */
    size_t (*estimate_bytes)(const xb_circuit *c, const xb_solver_options *opt);
    /* Build the backend's state; s->circuit, s->opt and s->stats.mem_* are set.
     * On failure xb_solver_new calls free. */
    xb_status (*new)(xb_solver *s, xb_error *err);
    /* K input vectors into K x N currents; d may be NULL.  Inputs are checked. */
    xb_status (*solve)(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err);
    /* Copy the backend's own counters into st (NULL when it keeps none). */
    void (*stats)(const xb_solver *s, xb_solver_stats *st);
    /* Release the backend's state (safe on a partly built one). */
    void (*free)(xb_solver *s);
};

extern const xb_backend_ops xb_ideal_backend;
extern const xb_backend_ops xb_column_backend;
extern const xb_backend_ops xb_cholmod_backend;
extern const xb_backend_ops xb_klu_backend;
extern const xb_backend_ops xb_transfer_backend;
extern const xb_backend_ops xb_newton_backend;
/* ladder_backend.c: the column backend for nonlinear devices and column source lines */
extern const xb_backend_ops xb_ladder_backend;

struct xb_factor_ops {
    const char *name;
    /* Ordering and symbolic factorization of s->A's pattern. */
    xb_status (*analyze)(xb_solver *s, xb_error *err);
    /* Bytes of the numeric factor, known after analyze. */
    size_t (*bytes)(const xb_solver *s);
    /* Numeric factorization of s->A's values. */
    xb_status (*factor)(xb_solver *s, xb_error *err);
    /* b: n x nrhs column-major, overwritten with the solution */
    xb_status (*solve)(xb_solver *s, double *b, int nrhs, xb_error *err);
    /* nnz and flops of the factor, into st */
    void (*stats)(const xb_solver *s, xb_solver_stats *st);
    void (*release)(xb_solver *s);
};

extern const xb_factor_ops xb_cholmod_factor;
extern const xb_factor_ops xb_klu_factor_ops;

/* nodal.c: the nodal path over the factorization f: assemble, analyze, check the
 * factor against the budget, and factorize when the matrix does not depend on
 * the inputs (input-source). */
xb_status xb_nodal_new(xb_solver *s, const xb_factor_ops *f, xb_error *err);
xb_status xb_nodal_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *d, xb_error *err);
void xb_nodal_stats(const xb_solver *s, xb_solver_stats *st);
void xb_nodal_free(xb_solver *s);
/* Input vectors per dense right-hand-side block. */
int xb_nodal_rhs_block(const xb_solver *s);

/* gemm.c: out (K x N) = alpha * v (K x M) * B (M x N), row-major, with the
 * same bits for any thread count and any batch (see gemm.c). */
void xb_gemm(size_t K, int M, int N, double alpha, const double *v, const double *B, double *out);

/* column.c, column_kernels.c, column_detail.c: the gate-input column model
 * (column_internal.h): build, free, solve K vectors, and with node detail. */
void *xb_column_new(const xb_circuit *c, xb_error *err);
void xb_column_free(void *cm);
xb_status xb_column_solve(const void *cm, const double *x, size_t k, double *out, xb_error *err);
xb_status xb_column_detail(const void *cm, const double *x, size_t k, double *out, xb_solution *d, xb_error *err);

/* tcache.c: the transfer-matrix cache.  Copies T of an M x N circuit with hash h
 * into t and returns 1 on a hit; counts the miss and returns 0 otherwise. */
int xb_tcache_get(xb_tcache *tc, unsigned long long h, int rows, int cols, double *t);
void xb_tcache_put(xb_tcache *tc, unsigned long long h, int rows, int cols, const double *t);

/* hugealloc.c: called before a backend may use SuiteSparse, after which its
 * allocator can no longer be replaced (xb_solver_huge_pages_enable). */
void xb_suitesparse_note_use(void);

/* ordering.c: geometric nested dissection of the unknowns (perm has n entries) */
xb_status xb_order_geometric(const xb_solver *s, int *perm, xb_error *err);

/* assemble.c */
xb_status xb_assemble_pattern(xb_solver *s, xb_error *err);
/* Fill s->A.x for the row-enable mask x (gate-input) or the fixed matrix (x NULL). */
void xb_assemble_values(xb_solver *s, const double *x);

/* memory.c: bytes of the structures built before the factorization. */
size_t xb_estimate_assembly_bytes(int rows, int cols);

#endif
