/* column_internal.h: the gate-input column model, shared by column.c (building
 * it), column_kernels.c and column_avx2.c (the recurrence over many vectors) and
 * column_detail.c (node voltages).  Not installed.
 *
 * In the gate-input topology the rows carry no resistance, so the columns
 * decouple.  Walking down column j from row 0, everything above node i (cells
 * and segments) is a Norton equivalent seen at node i.  Every enabled cell is a
 * source at the same V_read, so the Norton current is always V_read times the
 * Norton conductance Y, and one number per node suffices:
 *
 *   through segment (i-1,j) of r ohms:   Y <- Y / (1 + r Y)
 *   add cell (i,j) if row i is on:       Y <- Y + g_ij
 *   at the end, R = r_(M-1,j) + R_sense: I_j = V_read Y / (1 + R Y)
 *
 * Kept in projective form Y = y / w, the two steps have no division:
 *   w <- w + r y;   y <- y + g x_i w
 * and every quantity stays positive, so nothing cancels: the result is exact to
 * a few ulps, with no iteration and nothing to converge.  The pair (y, w) is
 * rescaled every few rows so w cannot overflow.
 *
 * The recurrence runs along the columns (SIMD), for a few vectors at a time so
 * that each row of conductances is read once per block, with OpenMP across
 * blocks of vectors and columns.
 *
 * A disabled row only adds its segment to the wire between two enabled rows, so
 * with the wire from row 0 precomputed per column (exact for uniform wires,
 * compensated sums otherwise) a vector costs its enabled rows, not all rows: the
 * sparse AVX2 kernel.  Bit planes of 8-bit activations are mostly sparse; nearly
 * full vectors go to the dense kernel, empty ones give exact zeros. */
#ifndef XB_COLUMN_INTERNAL_H
#define XB_COLUMN_INTERNAL_H

#include <stdint.h>

#include "solver_internal.h"

#define VEC_BLOCK 8   /* vectors sharing one pass over the conductances */
#define COL_CHUNK 128 /* columns per pass: y and w of a block (16 KiB) stay in L1 */
#define XB_COLUMN_PAR_WORK 4e6 /* cell-vector updates below which one thread runs */
#define XB_COLUMN_PAR_WORK_AVX2 1e8 /* the same for the AVX2 kernels, counting enabled cells */
/* The AVX2 kernel: RB_COLS columns x RB_VECS vectors held in registers over all
 * rows.  Each (column, 4 vectors) pair is one dependency chain of two FMAs per
 * row; 6 chains (12 of the 16 ymm registers) hide most of the FMA latency. */
#define RB_COLS 3
#define RB_VECS 8
/* The sparse AVX2 kernel: one vector, SP_COLS columns in registers, walking only
 * the enabled rows.  SP_COLS/4 chains of two FMAs per enabled row. */
#define SP_COLS 24
#define SP_VECS 32 /* vectors per work item: a strip of conductances is read once per item */

typedef struct {
    int rows, cols;
    double v_read;     /* volts */
    double *g;         /* M*N siemens: cell with its access resistance folded in */
    double *r;         /* M*N ohms: r[i*N+j] = column segment above row i+1 (i < M-1) */
    double *r_end;     /* N ohms: last segment plus sense resistance */
    int r_uniform;     /* 1 when every inner segment has the same resistance r_value */
    double r_value;    /* ohms */
    int renorm;        /* rows between rescalings of (y, w) */
    int renorm_enabled; /* enabled rows between rescalings when wire steps are batched */
    int nb;            /* register blocks of RB_COLS columns (AVX2 kernel) */
    double *gp;        /* nb*M*RB_COLS siemens: g packed [block][row][column]; padding 0 */
    double *rp;        /* nb*M*RB_COLS ohms: segment above row i, packed; row 0 and padding 0 */
    int ns;            /* strips of SP_COLS columns (sparse AVX2 kernel) */
    double *gs;        /* ns*M*SP_COLS siemens: g packed [strip][row][column]; padding 0 */
    double *rs;        /* ns*SP_COLS ohms: r_end, padded with 0 */
    double *ph, *pl;   /* ns*M*SP_COLS ohms, non-uniform wires only: the wire from row 0
                        * down to row i as an unevaluated sum ph + pl (packed like gs) */
} column_model;

/* The column path's scratch (xb_solver.h), kept between calls: per vector its
 * enabled rows (count, bit words, list) and the dense vectors' row masks. */
struct xb_solver_work {
    int *cnt;          /* K: enabled rows of each vector */
    size_t *off;       /* K+1: start of each sparse vector's list in rows */
    size_t *kd, *ks;   /* K: the dense vectors, the sparse ones */
    uint64_t *bits;    /* K x words of 64 rows */
    int *rows;         /* the sparse vectors' enabled rows, concatenated */
    uint64_t *xp;      /* dense groups: M x RB_VECS masks each */
    double *sdp;       /* read noise: the sigmas packed like column_model.gs */
    size_t cap_k, cap_off, cap_kd, cap_ks, cap_bits, cap_rows, cap_xp, cap_sdp; /* elements allocated */
};
/* Free a work's buffers (not the struct). */
void xb_column_work_release(xb_solver_work *w);
/* Room for need elements of size elem in *pp, a buffer of the work whose
 * capacity is *cap (kept and grown, contents not kept); -1 when out of memory. */
int xb_column_work_grow(void *pp, size_t *cap, size_t need, size_t elem);

/* The scan of a batch: dense and sparse vectors, groups, and the work in
 * enabled-cell updates per column. */
typedef struct {
    size_t nd, nsp; /* dense and sparse vectors */
    long ngd, ngs;  /* their groups (RB_VECS, SP_VECS vectors) */
    double work;    /* enabled rows summed over vectors (dense ones count all rows) */
} column_scan;

/* n column models with the same rows on the same inputs (column_kernels.c picks
 * the AVX2 kernels where the CPU has them; w may be NULL).  Checks the inputs
 * (XB_EINVAL, without naming the entry, when one is neither 0 nor 1). */
xb_status xb_column_solve_group(const column_model *const *m, int n, const double *x, size_t K, double *const *out,
                                xb_solver_work *w, xb_error *err);

#if defined(__x86_64__)
/* column_avx2.c: every vector through the AVX2 kernels (dense register blocks for
 * nearly full vectors, the sparse walk over enabled rows for the others); the
 * inputs scanned once for the n models of a group. */
xb_status xb_column_solve_avx2(const column_model *m, const double *x, size_t K, double *out, xb_error *err);
xb_status xb_column_solve_avx2_group(const column_model *const *m, int n, const double *x, size_t K,
                                     double *const *out, xb_solver_work *w, xb_error *err);
#endif

#endif
