/* ladder_triode.c: the two passes of one Newton iteration (ladder_pinned.c),
 * and its predictor's, for the common 1T1R case, in explicit vectors: an NMOS
 * in triode (drain at V_read above its source, V_read below vg - vto) in
 * series with a linear cell, an ideal source line, a block without open cells.
 *
 * The numbers are those of ladder_pinned.c's lp_rung, lp_down_row, lp_up_row,
 * lp_pred_down_row and lp_pred_up_row for that case (the same formulas, the
 * device's rearranged for fewer operations: the same up to rounding); what
 * changes is the shape: LT_W columns (LT_G vectors of LT_V) walk all the rows
 * with their Norton state and their maxima in registers, the next rows'
 * cells fetched ahead, the state's scale checked every LT_RESCALE rows, the
 * reciprocal from the AVX-512 estimate.  GCC's vector extensions, built for
 * AVX-512 only: elsewhere the general passes run (as fast there, measured
 * with AVX2). */
#include <math.h>
#include <stdint.h>

#include "ladder.h"

#define LT_INLINE static inline __attribute__((always_inline))

#define LT_V 8            /* doubles per vector */
#define LT_G 4            /* vectors walked together (named in the kernels): independent chains */
#define LT_W (LT_G * LT_V) /* columns walked together */
/* Rows between checks of the projective state's scale (a power of two): the
 * state starts a stretch within 2^-300 .. 2^300 and no row moves it by 2^80
 * or more (xb_ladder_triode_safe), so it stays within the doubles' normal
 * range (2^-1022 .. 2^1024). */
#define LT_RESCALE 8

typedef double vd __attribute__((vector_size(LT_V * 8)));
typedef int64_t vl __attribute__((vector_size(LT_V * 8)));
/* Unaligned loads and stores: a type, not a function (see column_kernels.c). */
typedef double vd_u __attribute__((vector_size(LT_V * 8), aligned(8), may_alias));
#define LD(p) (*(const vd_u *)(p))
#define ST(p, v) (*(vd_u *)(p) = (v))

/* Rows ahead whose cells are fetched into cache: the enabled rows are spread
 * over the array, so no hardware prefetcher sees their stride. */
#define LT_AHEAD 6

/* The bounds of the projective state: as ladder_pinned.c's LP_BIG, LP_SHRINK. */
#define LT_BIG 0x1p300
#define LT_SHRINK 0x1p-300

/* Macros, not functions: a function passing 512-bit vectors needs the
 * AVX-512 target itself (clang refuses it otherwise; the ABI changes). */
#define vsel(m, a, b) ((vd)(((vl)(a) & (m)) | ((vl)(b) & ~(m))))
#define vabs(a) ((vd)((vl)(a) & ((vl){} + INT64_MAX)))

/* The running maxima of one vector of columns over the pass up, and the
 * column currents. */
typedef struct {
    vd mda, mdc, xm, above, cur;
} lt_acc;

/* A row multiplies w by (1 + R y / w) den: y / w is at most the column's
 * conductances summed (a rung's q is at most its g), den = g - d(id)/da lies
 * between beta (vg - vto - V_read) (gds in triode, a <= V_read) and
 * g + 2 beta (1 + lambda V_read) (vg - vto) (gm + gds, generously). */
int xb_ladder_triode_safe(const xb_ladder *l)
{
    const double vov = l->nmos.v_gate - l->nmos.vto, V = l->v_read, beta = l->beta, lmb = l->nmos.lambda;
    double gmax = 0, worst = 0;
    for (int j = 0; j < l->N; j++) {
        double gs = 0, rs = l->rsense[j];
        for (int i = 0; i < l->M; i++) {
            const double g = l->g[(size_t)i * l->N + j];
            gs += g;
            gmax = fmax(gmax, g);
            rs += l->rc[(size_t)i * l->N + j];
        }
        worst = fmax(worst, 1 + rs * gs);
    }
    const double lo = beta * (vov - V), hi = gmax + 2 * beta * (1 + fabs(lmb) * V) * vov;
    return lo > 0x1p-80 && hi * worst < 0x1p80 && lmb >= 0;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* AVX-512, where the divider takes 16 cycles a vector: the reciprocal from
 * its 14-bit estimate and two Newton-Raphson steps (the error squares at
 * each: 2^-14, 2^-28, then within an ulp or two of 1 / d), 5 instructions of
 * one or two cycles.  A relative error of 1e-16 in the back-substitution
 * moves the Newton iterate by that much of a node voltage, far below the
 * convergence tolerance (1e-13). */
__attribute__((target("arch=x86-64-v4"), always_inline)) static inline vd lt_recip512(vd d)
{
    const vd one = (vd){} + 1.0;
    vd r = (vd)_mm512_rcp14_pd((__m512d)d);
    r = r + r * (one - d * r);
    return r + r * (one - d * r);
}

#define LT_ATTR __attribute__((target("arch=x86-64-v4")))
#define LT_HATTR __attribute__((target("arch=x86-64-v4")))
#define LT_FN(name) name##_512
#define LT_RECIP(d) lt_recip512(d)
/* vmaxpd: a > b ? a : b, b when either is NaN, as the selects of lp_up_row */
#define LT_MAX(a, b) ((vd)_mm512_max_pd((__m512d)(a), (__m512d)(b)))
#include "ladder_triode_kern.h"
#undef LT_ATTR
#undef LT_HATTR
#undef LT_FN
#undef LT_RECIP
#undef LT_MAX

static int lt_has512(void)
{
    static int has = -1;
    if (has < 0)
        has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512cd");
    return has;
}

int xb_ladder_triode_fits(const xb_ladder *l, int j0, int B)
{
    return lt_has512() && l->triode_safe && B % LT_W == 0 && l->blk_open && !l->blk_open[j0 / l->bw];
}

void xb_ladder_triode_down(const xb_ladder *l, xb_ladder_work *w, int j0, int B) { lt_down_512(l, w, j0, B); }

void xb_ladder_triode_up(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live, xb_ladder_steps *m)
{
    lt_up_512(l, w, j0, B, live, m);
}

int xb_ladder_triode_predict(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live)
{
    return lt_predict_512(l, w, j0, B, live);
}
#else
int xb_ladder_triode_fits(const xb_ladder *l, int j0, int B) { return 0; }
void xb_ladder_triode_down(const xb_ladder *l, xb_ladder_work *w, int j0, int B) {}
void xb_ladder_triode_up(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live, xb_ladder_steps *m) {}
int xb_ladder_triode_predict(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live) { return 0; }
#endif
