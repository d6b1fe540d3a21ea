/* read_noise.h: the read-noise generator (read_noise.c) and the noisy solve
 * paths (noisy_solve.c, column_noise.c).  Not installed.
 *
 * The draw of cell c of read r of stream key is a pure function of the three:
 *
 *   s = mix(mix(key ^ SALT_KEY) ^ mix(read ^ SALT_READ))     once per (array, read)
 *   h = mix(s ^ c * GAMMA)                                   64 bits per cell
 *
 * with mix Stafford's "Mix13", the output function of SplitMix64 (Steele, Lea
 * and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
 * the constants of Vigna's splitmix64.c), which passes BigCrush on a counter.
 * h becomes a normal by inversion: bit 0 is the sign, the top 53 bits with
 * the lowest set, q = (h >> 11) | 1, give p = q 2^-53, uniform on the midpoints
 * of 2^52 bins of (0, 1), and |Z| = Q(p), the point with P(|Z| > Q(p)) = p,
 * i.e. Q(p) = sqrt(2) erfcinv(p).  The tail is cut at p = 2^-53 (|Z| = 8.3, a
 * probability of 1e-16).
 *
 * Q comes from a table: each octave of q (53 of them, q in [2^e, 2^(e+1))) is
 * cut into RN_PIECES equal pieces, and on each piece Q is the parabola
 * a0 + a1 d + a2 d^2 in d = q - (the piece's start), through Q at the piece's
 * three Chebyshev points (computed at first use in long double, Newton on
 * erfcl, to well below a double's rounding).  The piece is the exponent and top
 * mantissa bits of q as a double, d its remaining mantissa bits (exact): no
 * division, no logarithm, two FMAs.  The interpolation error, measured against
 * Q in long double at 64 points of every piece: at most 2.3e-9 in |Z|
 * (largest near |Z| = 0.67, less in the tails), 1.5e-9 in the distribution
 * function, which a Kolmogorov-Smirnov test would need some 1e18 draws to
 * resolve.
 *
 * Every path (scalar here, AVX-512 in the kernels) does the same exact integer
 * and IEEE operations in the same order (fma where it says so), so a draw has
 * the same bits wherever it is computed. */
#ifndef XB_READ_NOISE_H
#define XB_READ_NOISE_H

#include <stdint.h>

#include "column_internal.h"

#define RN_BITS 7                    /* log2 of the pieces an octave */
#define RN_PIECES (1 << RN_BITS)
#define RN_OCTAVES 53                /* q < 2^53 has 53 octaves */
#define RN_NT (RN_OCTAVES * RN_PIECES) /* pieces */
#define RN_GAMMA 0x9e3779b97f4a7c15ULL /* 2^64 / golden ratio, odd: cells spread over the input of mix */
/* The piece of q as a double with bits b: (b >> 45) - RN_IDX_BIAS. */
#define RN_IDX_BIAS (1023LL * RN_PIECES)

static inline uint64_t xb_rn_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The stream of one read of one array. */
uint64_t xb_rn_seed(uint64_t key, uint64_t read);
/* The table: a0, a1 and a2 of every piece (3 x RN_NT doubles), built on first
 * call; thread-safe. */
const double *xb_rn_table(void);
/* The normal of cell `cell` on stream s (scalar). */
double xb_rn_normal(uint64_t s, uint64_t cell);
/* 1 when the AVX-512 kernels (F, DQ, VL) run on this CPU. */
int xb_rn_avx512(void);

/* out[j] = fold(max(g[j] + sd[j] z_j, 0)) for the n cells cell0 + j of stream s,
 * with fold(x) = x / (1 + r_access x) the series access resistance (none when
 * r_access is 0). */
void xb_rn_row(uint64_t s, uint64_t cell0, const double *g, const double *sd, int n, double r_access, double *out);

/* noisy_solve.c: the ideal backend's raw conductances (before the access
 * resistance is folded in) and that resistance. */
typedef struct {
    double r_access; /* ohms, as the circuit gave it */
    double *g_raw;   /* M*N siemens; NULL when r_access is 0 (the circuit's g is raw) */
} xb_ideal_state;

/* For r = 0 .. nr-1 in turn, acc[j] = fma(x[r], out_j, acc[j]) with out_j as
 * xb_rn_row's for the cells of row rows[r] of an n-column array (g and sd
 * n-column, row-major), without storing them: acc is read and written once
 * for all nr rows. */
void xb_rn_rows_acc(uint64_t s, int nr, const int *rows, const double *g, const double *sd, int n, double r_access,
                    const double *x, double *acc);

/* column_noise.c: the column backend (linear cells, ideal supply) with read noise:
 * solver q's model m[q] on its raw conductances g[q] (M*N, before its access
 * resistance r_access[q] folds in) with sd[q] and stream seeds seed[q*K + k].
 * Checks the inputs (XB_EINVAL, without naming the entry). */
xb_status xb_column_solve_noisy(const column_model *const *m, const double *const *g, const double *const *sd,
                                const double *r_access, int n, const double *x, size_t K, const uint64_t *seed,
                                double *const *out, xb_solver_work *w, xb_error *err);

#endif
