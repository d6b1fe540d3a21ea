/* xb_solver.h: exact nodal solution of one crossbar (see circuit/xb_circuit.h).
 *
 * The work is split like KLU's: xb_solver_new assembles the nodal matrix of the
 * circuit and analyzes its structure (ordering, symbolic factorization) once, and
 * factorizes it when the matrix does not depend on the inputs (input-source).
 * xb_solver_solve then handles a batch of K input vectors as dense right-hand-side
 * blocks that reuse that factorization.  Gate-input vectors change which cells
 * conduct, so each vector refactorizes numerically on the same symbolic analysis.
 *
 * Ideal wires (zero resistances) are merged into single nodes before assembly, so
 * nothing divides by zero.  With every wire, driver and sense resistance zero the
 * result is exactly the ideal product G^T v. */
#ifndef XB_SOLVER_H
#define XB_SOLVER_H

#include <stddef.h>

#include "xb_circuit.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    XB_BACKEND_AUTO = 0, /* ideal for linear arrays without parasitics; column for gate-input
                            with independent columns (no row source line), linear or not;
                            else newton for nonlinear devices, CHOLMOD for linear ones */
    XB_BACKEND_CHOLMOD,  /* supernodal Cholesky of the SPD nodal matrix */
    XB_BACKEND_KLU,      /* sparse LU of the same matrix (a cross-check; Newton's steps use its LU) */
    XB_BACKEND_IDEAL,    /* dense G^T v through OpenBLAS; refuses circuits with parasitics */
    XB_BACKEND_TRANSFER, /* input-source: extract the N x M transfer matrix T once (CHOLMOD),
                            then every batch of vectors is one GEMM */
    XB_BACKEND_COLUMN,   /* gate-input with an ideal or column source line: each column is a
                            chain solved exactly in O(M) per vector (linear cells on an ideal
                            supply), or by Newton on its ladder (nonlinear devices, source
                            lines; see docs/solver.md) */
    XB_BACKEND_NEWTON    /* nonlinear devices: Newton with KLU (analyze once, refactor per
                            step), step limiting, source stepping as a fallback */
} xb_backend;

typedef struct xb_tcache xb_tcache;

typedef enum {
    XB_ORDER_DEFAULT = 0, /* geometric nested dissection (CHOLMOD), KLU's own (KLU) */
    XB_ORDER_AMD,         /* approximate minimum degree */
    XB_ORDER_METIS,       /* METIS graph partitioning */
    XB_ORDER_GEOMETRIC,   /* nested dissection along the array's rows and columns */
    XB_ORDER_CHOLMOD      /* CHOLMOD's own choice (AMD, then METIS/NESDIS if AMD fills badly) */
} xb_ordering;

typedef struct {
    xb_backend backend;   /* which linear solver runs underneath */
    xb_ordering ordering; /* fill-reducing ordering (CHOLMOD) */
    size_t max_memory;    /* bytes the solver may use; 0 = the machine's physical RAM */
    int rhs_block;        /* input vectors per dense right-hand-side block; 0 = automatic */
    int refine;           /* refinement steps with an extended-precision KCL residual:
                             -1 = none, 0 = default (1 step) */
    xb_tcache *cache;     /* transfer backend: reuse T of an identical circuit (may be NULL) */
} xb_solver_options;

/* What the solver measured; valid after xb_solver_new and updated by every solve. */
typedef struct {
    const char *backend;  /* "cholmod", "klu", "ideal", "transfer", "column" or "newton" */
    int n_unknowns;       /* free node classes after merging ideal wires */
    long nnz_matrix;      /* stored entries of the (full, symmetric) nodal matrix */
    double nnz_factor;    /* entries of L (CHOLMOD) or L+U (KLU) */
    double flops_factor;  /* floating-point operations of one numeric factorization (KLU, newton:
                             of the last one that pivoted afresh) */
    size_t mem_estimate;  /* bytes the solver expects to hold at its peak */
    size_t mem_budget;    /* bytes it was allowed */
    long n_factor;        /* numeric factorizations done */
    long n_vectors;       /* input vectors solved */
    double t_assemble;    /* seconds: graph, numbering and matrix pattern */
    double t_analyze;     /* seconds: ordering and symbolic factorization */
    double t_factor;      /* seconds: numeric factorizations, accumulated */
    double t_solve;       /* seconds: triangular solves and output currents, accumulated */
    double t_transfer;    /* seconds: extracting T (transfer backend) */
    long n_newton_iters;  /* Newton iterations, accumulated (newton backend) */
    long n_source_steps;  /* source-stepping levels tried after plain Newton failed */
    int transfer_cached;  /* 1 when T came from the cache */
} xb_solver_stats;

/* Optional per-vector detail for IR-drop maps; any pointer may be NULL.
 * Arrays are caller-allocated, K blocks of the given size, row-major. */
typedef struct {
    double *v_row;  /* K*M*N volts at row node (i,j); gate-input: V_read when row i is on, else 0 */
    double *v_col;  /* K*M*N volts at column node (i,j) */
    double *i_cell; /* K*M*N amperes through cell (i,j), from its row side to its column node */
    double *i_src;  /* K*M amperes delivered into row i by its source (or by V_read, gate-input) */
} xb_solution;

typedef struct xb_solver xb_solver;

/* Defaults: AUTO backend, default ordering, budget = physical RAM. */
void xb_solver_options_init(xb_solver_options *opt);

/* Assemble and analyze (and factorize, for input-source).  opt may be NULL.
 * Refuses with XB_ETOOBIG, before the large allocations, when the estimated
 * memory exceeds the budget. */
xb_solver *xb_solver_new(const xb_circuit *c, const xb_solver_options *opt, xb_error *err);
void xb_solver_free(xb_solver *s);

/* Solve K input vectors v (K x M row-major: volts for input-source, 0/1 for
 * gate-input) into out (K x N row-major, amperes into each virtual ground).
 * detail may be NULL. */
xb_status xb_solver_solve(xb_solver *s, const double *v, size_t k, double *out, xb_solution *detail, xb_error *err);

const xb_solver_stats *xb_solver_get_stats(const xb_solver *s);

/* Scratch memory for xb_solver_solve_group: grown as needed and kept from one
 * call to the next, so that a thread solving many small batches does not
 * allocate per call.  One per thread; NULL where a work is optional. */
typedef struct xb_solver_work xb_solver_work;
xb_solver_work *xb_solver_work_new(xb_error *err);
void xb_solver_work_free(xb_solver_work *w);

/* 1 when several threads may solve on s at the same time through
 * xb_solver_solve_group: the backend keeps nothing from one vector to the next
 * and writes nothing of its own while solving (ideal, transfer, and column with
 * linear cells on an ideal supply).  0 for the backends that do (the Newton
 * paths warm-start from the previous vector; CHOLMOD and KLU solve in their
 * factor's workspace): one thread at a time on each of them. */
int xb_solver_concurrent(const xb_solver *s);

/* The same k input vectors v on n solvers whose circuits have the same rows and
 * topology, into out[0] .. out[n-1] (k x N of each).  The inputs are checked
 * once for all n and, on the column backend, scanned for their enabled rows
 * once (the G+ and G- arrays of a differential pair in one pass over the
 * inputs).  Every vector's currents are the bits xb_solver_solve gives for it.
 * On concurrent solvers (xb_solver_concurrent) several threads may call this at
 * once, each with its own work (NULL: allocated for the call), and the solvers'
 * statistics are not updated; on the others it is xb_solver_solve on each in
 * turn, statistics included. */
xb_status xb_solver_solve_group(xb_solver *const *s, int n, const double *v, size_t k, double *const *out,
                                xb_solver_work *w, xb_error *err);

/* Read noise: every vector solved sees the conductances g + sd * Z of its own
 * draw (clipped at 0: a conductance is not negative), Z ~ N(0,1) per cell and
 * per read, a pure function of (key, read, cell index i*N+j): the same read of
 * the same array gives the same numbers on every backend, in any order, on any
 * thread, and cells that carry no current (disabled rows) need not be drawn.
 * g is the cell's own conductance (xb_circuit.g), before a series access
 * resistance; the draw is exact in distribution to well below any sampling
 * error (a counter-based SplitMix64 hash, inverted through a tabulated normal
 * quantile good to 3e-9; solver/read_noise.h). */
typedef struct {
    const double *sd;       /* M*N siemens, row-major like xb_circuit.g: sigma of each cell (not copied) */
    unsigned long long key; /* the array's stream */
} xb_read_noise;
/* xb_solver_solve_group with read noise: nz[q] for solver s[q] (nz NULL or
 * nz[q].sd NULL: that solver reads without noise, bit-identical to
 * xb_solver_solve_group; so does an sd that is zero everywhere); reads[r] is
 * vector r's read number.  Every sd must be finite and >= 0 (XB_EINVAL).
 * Cost per vector, by backend:
 *   column (linear cells, ideal supply): the walk over the enabled rows, with
 *     each enabled cell drawn where the recurrence uses it (no other cell is
 *     drawn); measured 1152x256 at 30% bits: see docs/solver.md;
 *   ideal: one draw and one multiply-add per cell of each nonzero row;
 *   every other backend: per vector, a copy of the circuit with drawn
 *     conductances and a new solver of the same kind (transfer: cholmod), that
 *     is a numeric factorization (or a Newton solve from scratch) per vector.
 * Same thread-safety as xb_solver_solve_group; the solvers' statistics are not
 * updated by the noisy solves. */
xb_status xb_solver_solve_group_noisy(xb_solver *const *s, const xb_read_noise *nz, int n, const double *v,
                                      size_t k, const unsigned long long *reads, double *const *out,
                                      xb_solver_work *w, xb_error *err);
/* One standard normal, the draw of cell `cell` of read `read` of stream `key`
 * (what the solvers use; for tests and for users who want the realization). */
double xb_read_normal(unsigned long long key, unsigned long long read, unsigned long long cell);

/* The circuit the solver was built for (its own copy). */
const xb_circuit *xb_solver_circuit(const xb_solver *s);

/* Opt-in, process-wide: point SuiteSparse's allocator hooks (SuiteSparse_config)
 * at an allocator that maps blocks of 32 MiB and more directly and advises
 * transparent huge pages for them, so a factor of gigabytes is not touched in
 * page faults of 4 KiB.  Call before the first xb_solver_new and before any other
 * use of CHOLMOD or KLU in the process (XB_EINVAL after a solver was made);
 * calling it again does nothing.  See docs/solver.md for what it gains. */
xb_status xb_solver_huge_pages_enable(xb_error *err);

/* Bytes of physical memory on this machine (0 if unknown). */
size_t xb_physical_memory(void);

/* The transfer matrix (transfer backend): M x N row-major, T[i*N+j] = amperes into
 * column j per volt on row i, so out = v T.  NULL for other backends. */
const double *xb_solver_transfer(const xb_solver *s);

/* A cache of transfer matrices keyed by xb_circuit_hash, shared by solvers that
 * are given it in their options.  Holds at most max_bytes (0 = no limit); the
 * oldest entries leave first. */
xb_tcache *xb_tcache_new(size_t max_bytes, xb_error *err);
void xb_tcache_free(xb_tcache *tc);
/* Hits and misses so far. */
void xb_tcache_stats(const xb_tcache *tc, long *hits, long *misses);

const char *xb_ordering_name(xb_ordering o);
xb_status xb_ordering_parse(const char *s, xb_ordering *o, xb_error *err);

const char *xb_backend_name(xb_backend b);
/* The backend XB_BACKEND_AUTO picks for c: ideal for a linear array without
 * parasitics; column for gate-input unless a source line runs along the rows;
 * else newton for nonlinear devices and cholmod for linear ones. */
xb_backend xb_backend_choose(const xb_circuit *c);
xb_status xb_backend_parse(const char *s, xb_backend *b, xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
