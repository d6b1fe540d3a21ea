/* solver_internal.h: what the solver's files share.  Not installed. */
#ifndef XB_SOLVER_INTERNAL_H
#define XB_SOLVER_INTERNAL_H

#include "xb_graph.h"
#include "xb_solver.h"

/* A stamp of one element into the nodal system (see assemble.c). */
typedef struct {
    int elem;      /* index into graph->elem */
    int ua, ub;    /* unknown index of each end, -1 when the end is a fixed node */
    int fa, fb;    /* fixed raw node of each end, -1 when the end is free */
    long paa, pbb, pab, pba; /* positions in the matrix values (-1 when unused) */
    double y;      /* siemens; gate-input cells are scaled by their row bit */
} xb_stamp;

typedef struct xb_backend_ops xb_backend_ops;

struct xb_solver {
    xb_circuit *circuit;      /* own copy */
    xb_graph *graph;
    xb_solver_options opt;
    xb_solver_stats stats;

    int n;                    /* unknowns */
    int *unknown;             /* n_raw: unknown index of each raw node's class, -1 if fixed or unused */
    int n_stamp;
    xb_stamp *stamp;          /* every element that is not an internal short */
    long nnz;
    int *Ap, *Ai;             /* full symmetric pattern, CSC, sorted rows */
    double *Ax;               /* values for the current input (gate-input) */
    double *fixed_v;          /* n_raw: volts of fixed nodes for the current vector */

    const xb_backend_ops *ops;
    void *backend;            /* backend state */
    int factored;             /* values currently factorized */
    int refine;               /* iterative refinement steps per solve */
    double *transfer;         /* transfer backend: M x N, out = v T */
    void *column;             /* column backend: the per-column chain model */
    void *newton;             /* newton backend state */
};

struct xb_backend_ops {
    const char *name;
    xb_status (*analyze)(xb_solver *s, xb_error *err);
    xb_status (*factor)(xb_solver *s, xb_error *err);
    /* b: n x nrhs column-major, overwritten with the solution */
    xb_status (*solve)(xb_solver *s, double *b, int nrhs, xb_error *err);
    void (*release)(xb_solver *s);
};

extern const xb_backend_ops xb_cholmod_ops;
extern const xb_backend_ops xb_klu_ops;

/* gemm.c: out (K x N) = alpha * v (K x M) * B (M x N), row-major, with the
 * same bits for any thread count and any batch (see gemm.c). */
void xb_gemm(size_t K, int M, int N, double alpha, const double *v, const double *B, double *out);

/* column.c */
void *xb_column_new(const xb_circuit *c, xb_error *err);
void xb_column_free(void *cm);
xb_status xb_column_solve(const void *cm, const double *x, size_t k, double *out, xb_error *err);
xb_status xb_column_detail(const void *cm, const double *x, size_t k, double *out, xb_solution *d, xb_error *err);

/* newton.c */
void *xb_newton_new(xb_solver *s, xb_error *err);
void xb_newton_free(void *p);
xb_status xb_newton_solve(xb_solver *s, void *p, const double *v, size_t k, double *out, xb_solution *d,
                          xb_error *err);

/* ordering.c: geometric nested dissection of the unknowns (perm has n entries) */
xb_status xb_order_geometric(const xb_solver *s, int *perm, xb_error *err);

/* hugealloc.c: route SuiteSparse's allocations through huge-page mappings for
 * big blocks.  Installed once, before the first SuiteSparse call. */
void xb_suitesparse_allocator_install(void);

/* assemble.c */
xb_status xb_assemble_pattern(xb_solver *s, xb_error *err);
/* Fill Ax for the row-enable mask x (gate-input) or the fixed matrix (x NULL). */
void xb_assemble_values(xb_solver *s, const double *x);

/* memory.c: bytes of the structures built before the factorization. */
size_t xb_estimate_assembly_bytes(int rows, int cols);

/* Seconds from a monotonic clock. */
double xb_now(void);

#endif
