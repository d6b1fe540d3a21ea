/* ladder_pinned.c: Newton on a block of columns whose source line is ideal
 * (every s held at V_read), in two fused passes over the rows per iteration.
 *
 * The block path (ladder_block.c) runs the columns of a block side by side; with
 * an ideal source line the ladder is a 1-port and each Newton iteration is:
 *
 *   down, row k:  the rung linearized at the iterate (device, cell, the
 *                 internal node condensed out: i = jr - q c), and the
 *                 projective Norton state (J, y, w) of everything above
 *                 carried through the gap above and the rung:
 *                   w' = w + R_k-1 y;  y = y + q w';  J = J + jr w'
 *                 stored as the back-substitution c_k = A_k + B_k c_k+1 with
 *                 A_k = R_k J_k / (w_k + R_k y_k), B_k = w_k / (w_k + R_k y_k),
 *                 the division off the sweep's chain of dependences;
 *   up, row k:    c1 = A_k + B_k c1_k+1 (the bottom's c1_K: the virtual
 *                 ground, 0 V), the steps dc = c1 - c and da (the internal
 *                 node's update), the full step applied at once, and the
 *                 maxima that the step limit and the convergence test need.
 *
 * Before the first iteration a predictor (lp_predict) moves every column to
 * the solution of the linear ladder of its cells linearized at their last
 * solutions, so that two iterations converge where the warm start needed
 * three.
 *
 * A column whose step limit turns out below 1 is pulled back afterwards
 * (c -= (1 - alpha) dc, the steps kept where A and B were), so the common full
 * step costs no third pass.  The numbers are those of ladder.c and newton.c:
 * the same linearization, the same limits on each device's controlling
 * voltages, the same convergence test; a column that converges nowhere is left
 * for the one-column path, which adds source stepping.  Converged columns are
 * frozen, so a column's result does not depend on its block.
 *
 * The projective state grows along the column by at most 1 + R y / w a row;
 * it is scaled by a power of two (exact, no division on the chain) when w
 * passes 2^300. */
#include <math.h>

#include "ladder.h"
#include "solver_internal.h"

#define LP_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define LP_INLINE static inline __attribute__((always_inline))

/* Convergence and step limits: as ladder.c and newton.c. */
#define LP_RELTOL 1e-13
#define LP_VNTOL 1e-15
#define LP_MAXITER 100
#define LP_LIMIT_VGS 0.5  /* volts */
#define LP_LIMIT_VDS 1.0  /* volts */
#define LP_LIMIT_SINH 2.0 /* in units of V0 */

/* volts: V_read this far below vg - vto keeps a forward NMOS out of
 * saturation beyond any rounding (xb_mos1 decides on vgst <= vds). */
#define LP_TRIODE_MARGIN 1e-6

/* Early acceptance: see ladder.h. */
#define LP_QUADRATIC LADDER_QUADRATIC
#define LP_EARLY LADDER_EARLY

/* Scale the projective state by 2^-300 once w passes 2^300, by 2^300 once it
 * falls below 2^-300. */
#define LP_BIG 0x1p300
#define LP_SHRINK 0x1p-300

static size_t at(int k, int jj, int B) { return (size_t)k * B + jj; }

/* The device parameters a rung needs, copied out of the ladder once. */
typedef struct {
    double V, v0, iv0, beta, vto, lmb, vg, gacc;
} lp_dev;

/* The rung of one cell of conductance g at (c, a) with s = V, scaled by the
 * internal node's den (d(cell current)/da - d(device current)/da, > 0; 1
 * without an internal node): den i = nj - nq c1, and the internal node's
 * update den da = fa + gc dc.  An open cell (g = 0) is a rung of nothing.
 * kind and triode are constants after inlining. */
typedef struct {
    double den, nq, nj, fa, gc;
} lp_rung_t;

LP_INLINE lp_rung_t lp_rung(branch_kind kind, int triode, lp_dev d, double g, double c, double a)
{
    if (kind == BR_LINEAR)
        return (lp_rung_t){1.0, g, g * d.V, 0.0, 0.0};
    if (kind == BR_SINH) {
        const double u = (d.V - c) * d.iv0, gd = g * cosh(u);
        return (lp_rung_t){1.0, gd, g * d.v0 * sinh(u) + gd * c, 0.0, 0.0};
    }
    double id, dsd, dda, ic, gc;
    if (kind == BR_RES_SINH) {
        id = (d.V - a) * d.gacc;
        dda = -d.gacc;
    } else if (triode) {
        /* xb_mos1 with the drain at V >= a and V < vg - vto: forward, on, triode */
        const double vgst = d.vg - a - d.vto, x = d.V - a, betap = d.beta * (1 + d.lmb * x);
        const double h = vgst - 0.5 * x, gm = betap * x;
        id = gm * h;
        dda = -(gm + betap * (vgst - x) + d.lmb * d.beta * x * h);
    } else {
        xb_mos1(d.beta, d.vto, d.lmb, d.vg, d.V, a, &id, &dsd, &dda);
    }
    if (kind == BR_NMOS_LIN) {
        ic = g * (a - c);
        gc = g;
    } else {
        const double u = (a - c) * d.iv0;
        ic = g * d.v0 * sinh(u);
        gc = g * cosh(u);
    }
    const double open = g == 0.0 ? 1.0 : 0.0; /* no cell: den 1, nothing else */
    const double den = (gc - dda) + open, fa = (id - ic) * (1 - open), nq = -gc * dda * (1 - open);
    return (lp_rung_t){den, nq, ic * den + gc * fa + nq * c, fa, gc};
}

/* Row k of the pass down: the gap above (Rp, not at the top), the rung, the
 * back-substitution coefficients A, Bc over the gap below (R) and the internal
 * node's update terms Ea, Eb.  (J, y, ww): the Norton state, carried, each
 * row's scaled by its den (the projective state takes any scale) and by a
 * power of two that keeps w within 2^-300 .. 2^300, so the row needs one
 * division: 1 / (den (w + R y)) gives both 1 / den and 1 / (w + R y). */
LP_INLINE void lp_down_row(branch_kind kind, int triode, lp_dev d, int B, double top, const double *restrict g,
                           const double *restrict c, const double *restrict a, const double *restrict Rp,
                           const double *restrict R, double *restrict J, double *restrict y, double *restrict ww,
                           double *restrict A, double *restrict Bc, double *restrict Ea, double *restrict Eb)
{
    for (int jj = 0; jj < B; jj++) {
        const lp_rung_t r = lp_rung(kind, triode, d, g[jj], c[jj], a[jj]);
        const double wn = ww[jj] + top * Rp[jj] * y[jj], w0 = wn * r.den;
        const double sc = w0 > LP_BIG ? LP_SHRINK : w0 < LP_SHRINK ? LP_BIG : 1.0;
        const double w1 = w0 * sc, y1 = (y[jj] * r.den + r.nq * wn) * sc, J1 = (J[jj] * r.den + r.nj * wn) * sc;
        ww[jj] = w1;
        y[jj] = y1;
        J[jj] = J1;
        const double P = w1 + R[jj] * y1, t = 1.0 / (r.den * P), inv = r.den * t, iden = P * t;
        A[jj] = R[jj] * J1 * inv;
        Bc[jj] = w1 * inv;
        Ea[jj] = r.fa * iden;
        Eb[jj] = r.gc * iden;
    }
}

/* The pass down over the block's rows. */
LP_INLINE void lp_down(branch_kind kind, int triode, const lp_dev *d, const xb_ladder *l, xb_ladder_work *w, int j0, int B)
{
    const int K = w->K;
    double J[LADDER_BLOCK_COLS], y[LADDER_BLOCK_COLS], ww[LADDER_BLOCK_COLS];
    for (int jj = 0; jj < B; jj++) {
        J[jj] = y[jj] = 0;
        ww[jj] = 1;
    }
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    for (int k = 0; k < K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw;
        lp_down_row(kind, triode, *d, B, k == 0 ? 0.0 : 1.0, l->gb + r, l->wc + r, l->wa + r,
                    w->rc + at(k > 0 ? k - 1 : 0, 0, B), w->rc + at(k, 0, B), J, y, ww, w->p + at(k, 0, B),
                    w->q + at(k, 0, B), w->fa + at(k, 0, B), w->iden + at(k, 0, B));
    }
}

typedef xb_ladder_steps lp_max;

/* Row k of the pass up (see lp_up); cn: the bit line below, carried. */
LP_INLINE void lp_up_row(int internal, int sinh_cell, double V, int B, const double *restrict live, double *restrict cn,
                         double *restrict c, double *restrict a, double *restrict A, double *restrict Bc,
                         const double *restrict Ea, const double *restrict Eb, lp_max *restrict m)
{
    for (int jj = 0; jj < B; jj++) {
        const double c1 = A[jj] + Bc[jj] * cn[jj];
        cn[jj] = c1;
        const double dc = c1 - c[jj], da = internal ? Ea[jj] + Eb[jj] * dc : 0.0;
        const int on = live[jj] != 0.0;
        const double c2 = on ? c1 : c[jj], a2 = on ? a[jj] + da : a[jj];
        c[jj] = c2;
        a[jj] = a2;
        A[jj] = dc;
        Bc[jj] = da;
        const double af = fabs(da), ae = fabs(dc);
        m->mda[jj] = af > m->mda[jj] ? af : m->mda[jj];
        m->mdc[jj] = ae > m->mdc[jj] ? ae : m->mdc[jj];
        if (sinh_cell) {
            const double ad = fabs(da - dc);
            m->mdd[jj] = ad > m->mdd[jj] ? ad : m->mdd[jj];
        }
        m->nan[jj] += dc + da; /* NaN or infinite once a step is not finite */
        const double x = fabs(c2) > fabs(a2) ? fabs(c2) : fabs(a2);
        m->xm[jj] = x > m->xm[jj] ? x : m->xm[jj];
        m->above[jj] += a2 <= V ? 0.0 : 1.0;
    }
}

/* The pass up: the new iterate of the live columns (live[jj] = 1), the steps
 * kept in A and Bc, the maxima into m. */
LP_INLINE void lp_up(branch_kind kind, double V, const xb_ladder *l, xb_ladder_work *w, int j0, int B,
                     const double *live, lp_max *m)
{
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    const int K = w->K, internal = kind != BR_LINEAR && kind != BR_SINH;
    double cn[LADDER_BLOCK_COLS];
    for (int jj = 0; jj < B; jj++) {
        cn[jj] = 0;
        m->mda[jj] = m->mdd[jj] = m->mdc[jj] = m->nan[jj] = m->xm[jj] = m->above[jj] = 0;
    }
    for (int k = K - 1; k >= 0; k--)
        lp_up_row(internal, kind == BR_RES_SINH || kind == BR_NMOS_SINH, V, B, live, cn, l->wc + slab + w->row[k] * bw, l->wa + slab + w->row[k] * bw, w->p + at(k, 0, B),
                  w->q + at(k, 0, B), w->fa + at(k, 0, B), w->iden + at(k, 0, B), m);
}

/* Pull the columns with back[jj] > 0 back to the step fraction 1 - back[jj]. */
LP_INLINE void lp_back_row(int B, const double *restrict back, double *restrict c, double *restrict a,
                           const double *restrict dc, const double *restrict da)
{
    for (int jj = 0; jj < B; jj++) {
        const int on = back[jj] > 0;
        c[jj] = on ? c[jj] - back[jj] * dc[jj] : c[jj];
        a[jj] = on ? a[jj] - back[jj] * da[jj] : a[jj];
    }
}

LP_INLINE void lp_back(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *back)
{
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    for (int k = 0; k < w->K; k++)
        lp_back_row(B, back, l->wc + slab + w->row[k] * bw, l->wa + slab + w->row[k] * bw, w->p + at(k, 0, B),
                    w->q + at(k, 0, B));
}

/* 1 when every internal node of the block's enabled rows is at or below V. */
LP_INLINE int lp_below(const xb_ladder *l, const xb_ladder_work *w, int j0, int B, double V)
{
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    double above[LADDER_BLOCK_COLS] = {0}, n = 0;
    for (int k = 0; k < w->K; k++) {
        const double *a = l->wa + slab + w->row[k] * bw;
        for (int jj = 0; jj < B; jj++)
            above[jj] += a[jj] <= V ? 0.0 : 1.0;
    }
    for (int jj = 0; jj < B; jj++)
        n += above[jj];
    return n == 0;
}

/* The cell itself (a to c; without an internal node V to c) at its last
 * solution: current and slope d/da, as lp_rung's ic and gc. */
LP_INLINE void lp_cell(branch_kind kind, lp_dev d, double g, double c, double a, double *ic, double *gc)
{
    if (kind == BR_NMOS_LIN) {
        *ic = g * (a - c);
        *gc = g;
        return;
    }
    const double u = ((kind == BR_SINH ? d.V : a) - c) * d.iv0;
    *ic = g * d.v0 * sinh(u);
    *gc = g * cosh(u);
}

/* The predictor's pass down, row k: each cell's rung linearized at its last
 * solution, with the slope e = da/dc of its last Newton step (the internal
 * node condensed out: i = ic - q (c' - c), q = gc (1 - e)), into the Norton
 * state as lp_down_row takes Newton's (unscaled), and the back-substitution
 * coefficients A, Bc. */
LP_INLINE void lp_pred_down_row(branch_kind kind, lp_dev d, int B, double top, const double *restrict g,
                                const double *restrict c, const double *restrict a, const double *restrict e,
                                const double *restrict Rp, const double *restrict R, double *restrict J,
                                double *restrict y, double *restrict ww, double *restrict A, double *restrict Bc)
{
    for (int jj = 0; jj < B; jj++) {
        double ic, gc;
        lp_cell(kind, d, g[jj], c[jj], a[jj], &ic, &gc);
        const double q = gc * (1.0 - e[jj]), jr = ic + q * c[jj];
        const double wn = ww[jj] + top * Rp[jj] * y[jj];
        const double sc = wn > LP_BIG ? LP_SHRINK : wn < LP_SHRINK ? LP_BIG : 1.0;
        const double w1 = wn * sc, y1 = (y[jj] + q * wn) * sc, J1 = (J[jj] + jr * wn) * sc;
        ww[jj] = w1;
        y[jj] = y1;
        J[jj] = J1;
        const double t = 1.0 / (w1 + R[jj] * y1);
        A[jj] = R[jj] * J1 * t;
        Bc[jj] = w1 * t;
    }
}

/* The predictor's pass up, row k: the live columns' bit-line nodes to the
 * predicted ones, their internal nodes moved along the stored slope. */
LP_INLINE void lp_pred_up_row(int B, double V, const double *restrict live, double *restrict cn, double *restrict c,
                              double *restrict a, const double *restrict A, const double *restrict Bc,
                              const double *restrict e, double *restrict above)
{
    for (int jj = 0; jj < B; jj++) {
        const double c1 = A[jj] + Bc[jj] * cn[jj];
        cn[jj] = c1;
        const int on = live[jj] != 0.0;
        const double a2 = on ? a[jj] + e[jj] * (c1 - c[jj]) : a[jj];
        c[jj] = on ? c1 : c[jj];
        a[jj] = a2;
        above[jj] += a2 <= V ? 0.0 : 1.0;
    }
}

/* The predictor: the starting point of the live columns moved to the
 * solution of the linear ladder of their cells linearized at their last
 * solutions (lp_pred_down_row), for this vector's enabled rows.  That is
 * Newton's first step from the warm start, but for the devices' evaluations:
 * the IR-drop profile, which moves with the pattern of enabled rows, is a
 * nearly linear effect, so Newton starts where only the devices' curvature
 * is left to resolve.  Nothing is decided by it (Newton's test is
 * unchanged).  Returns 1 when every internal node of the block is at or
 * below V afterwards (as lp_below). */
LP_INLINE int lp_predict(branch_kind kind, const lp_dev *d, const xb_ladder *l, xb_ladder_work *w, int j0, int B,
                         const double *live)
{
    if (kind == BR_NMOS_LIN && xb_ladder_triode_fits(l, j0, B))
        return xb_ladder_triode_predict(l, w, j0, B, live);
    xb_ladder_gaps_fill(l, w, B);
    const int K = w->K;
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    double J[LADDER_BLOCK_COLS], y[LADDER_BLOCK_COLS], ww[LADDER_BLOCK_COLS], above[LADDER_BLOCK_COLS];
    for (int jj = 0; jj < B; jj++) {
        J[jj] = y[jj] = above[jj] = 0;
        ww[jj] = 1;
    }
    for (int k = 0; k < K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw;
        lp_pred_down_row(kind, *d, B, k == 0 ? 0.0 : 1.0, l->gb + r, l->wc + r, l->wa + r, l->pe + r,
                         w->rc + at(k > 0 ? k - 1 : 0, 0, B), w->rc + at(k, 0, B), J, y, ww, w->p + at(k, 0, B),
                         w->q + at(k, 0, B));
    }
    for (int jj = 0; jj < B; jj++)
        y[jj] = 0; /* now the bit line below, carried up */
    for (int k = K - 1; k >= 0; k--) {
        const size_t r = slab + (size_t)w->row[k] * bw;
        lp_pred_up_row(B, d->V, live, y, l->wc + r, l->wa + r, w->p + at(k, 0, B), w->q + at(k, 0, B), l->pe + r,
                       above);
    }
    double n = 0;
    for (int jj = 0; jj < B; jj++)
        n += above[jj];
    return n == 0;
}

/* Row k's cell currents, as xb_ladder_branch_current, added to sum where ok. */
LP_INLINE void lp_finish_row(branch_kind kind, lp_dev d, int B, const double *restrict ok,
                             const double *restrict g, const double *restrict c, const double *restrict a,
                             double *restrict sum)
{
    for (int jj = 0; jj < B; jj++) {
        double i;
        if (kind == BR_LINEAR)
            i = g[jj] * (d.V - c[jj]);
        else if (kind == BR_SINH)
            i = g[jj] * d.v0 * sinh((d.V - c[jj]) * d.iv0);
        else if (kind == BR_NMOS_LIN)
            i = g[jj] * (a[jj] - c[jj]);
        else
            i = g[jj] * d.v0 * sinh((a[jj] - c[jj]) * d.iv0);
        sum[jj] += ok[jj] != 0.0 ? i : 0.0;
    }
}

/* The column currents of the converged columns (the sum of their cells'
 * currents, as xb_ladder_branch_current), and the failed ones put back to
 * the first guess. */
LP_INLINE void lp_finish(branch_kind kind, const lp_dev *d, const xb_ladder *l, xb_ladder_work *w, int j0, int B,
                         double *out)
{
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    double ok[LADDER_BLOCK_COLS], sum[LADDER_BLOCK_COLS];
    int failed = 0;
    for (int jj = 0; jj < B; jj++) {
        ok[jj] = w->done[jj] == 1;
        sum[jj] = 0;
        failed += w->done[jj] != 1;
    }
    for (int k = 0; k < w->K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw;
        lp_finish_row(kind, *d, B, ok, l->gb + r, l->wc + r, l->wa + r, sum);
        /* the slopes da/dc of the last step, for the next vector's predictor */
        const double *restrict e = w->iden + at(k, 0, B);
        double *restrict pe = l->pe + r;
        for (int jj = 0; jj < B; jj++)
            pe[jj] = e[jj];
    }
    for (int jj = 0; jj < B; jj++)
        out[jj] = sum[jj];
    for (int k = 0; failed && k < w->K; k++)
        for (int jj = 0; jj < B; jj++)
            if (w->done[jj] != 1) {
                const size_t q = slab + w->row[k] * bw + jj;
                xb_ladder_cell_reset(l, q, l->g[(size_t)w->row[k] * l->N + j0 + jj]);
            }
}

/* lp_finish after a last iteration on ladder_triode.c's passes, whose pass
 * up summed the currents (m->cur) and whose pass down kept the slopes in pe. */
static void lp_finish_fast(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const lp_max *m, double *out)
{
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    int failed = 0;
    for (int jj = 0; jj < B; jj++) {
        out[jj] = w->done[jj] == 1 ? m->cur[jj] : 0.0;
        failed += w->done[jj] != 1;
    }
    for (int k = 0; failed && k < w->K; k++)
        for (int jj = 0; jj < B; jj++)
            if (w->done[jj] != 1)
                xb_ladder_cell_reset(l, slab + w->row[k] * bw + jj, l->g[(size_t)w->row[k] * l->N + j0 + jj]);
}

/* The step fraction of a column from its maxima (s does not move, so vgs and
 * vds move with a alone), as ladder.c's limits. */
static double lp_alpha(branch_kind kind, double v0, double mda, double mdd, double mdc)
{
    double d, lim;
    switch (kind) {
    case BR_LINEAR:
        return 1.0;
    case BR_SINH:
        d = mdc / v0;
        lim = LP_LIMIT_SINH;
        break;
    case BR_RES_SINH:
        d = mdd / v0;
        lim = LP_LIMIT_SINH;
        break;
    default:
        d = fmax(mda * (1.0 / LP_LIMIT_VGS), mda * (1.0 / LP_LIMIT_VDS));
        if (kind == BR_NMOS_SINH)
            d = fmax(d, mdd / v0 / LP_LIMIT_SINH);
        lim = 1.0;
        break;
    }
    return d > lim ? lim / d : 1.0;
}

/* After a pass up: each live column's step fraction, the pull-back of the
 * limited ones, the converged and the failed marked.  Returns the columns
 * still open. */
static int lp_settle(branch_kind kind, double v0, xb_ladder_work *w, int B, double *live, double *back,
                     const lp_max *m, int *any_back)
{
    int open = 0;
    *any_back = 0;
    for (int jj = 0; jj < B; jj++) {
        back[jj] = 0;
        if (w->done[jj])
            continue;
        const int bad = !(fabs(m->nan[jj]) <= 1e308) || !(m->mda[jj] <= 1e308) || !(m->mdc[jj] <= 1e308);
        const double al = bad ? -1.0 : lp_alpha(kind, v0, m->mda[jj], m->mdd[jj], m->mdc[jj]);
        if (al < 0) {
            w->done[jj] = -1; /* failed: the one-column path takes it */
            live[jj] = 0;
            continue;
        }
        const double dmax = fmax(m->mdc[jj], m->mda[jj]), tol = LP_RELTOL * m->xm[jj] + LP_VNTOL;
        const double prev = w->dmax[jj]; /* the full step before, or -1 */
        const int quadratic = al == 1.0 && prev > 0 && dmax <= LP_QUADRATIC * prev &&
                              dmax * dmax * dmax <= LP_EARLY * tol * prev * prev;
        w->dmax[jj] = al == 1.0 ? dmax : -1.0;
        if (kind == BR_LINEAR || (al == 1.0 && dmax <= tol) || quadratic) {
            w->done[jj] = 1;
            live[jj] = 0;
            continue;
        }
        if (al < 1.0) {
            back[jj] = 1.0 - al;
            *any_back = 1;
        }
        open++;
    }
    return open;
}

/* Newton for one device kind (a constant after inlining). */
LP_INLINE void lp_newton(branch_kind kind, const xb_ladder *l, xb_ladder_work *w, int j0, int B, double *out)
{
    long *iters = &w->iters;
    const lp_dev d = {l->v_read, l->v0, 1.0 / l->v0, l->beta, l->nmos.vto, l->nmos.lambda, l->nmos.v_gate,
                      l->r_access > 0 ? 1.0 / l->r_access : 0.0};
    double live[LADDER_BLOCK_COLS], back[LADDER_BLOCK_COLS];
    lp_max m;
    int open = 0;
    for (int jj = 0; jj < B; jj++) {
        w->dmax[jj] = -1.0;
        live[jj] = w->done[jj] ? 0.0 : 1.0;
        open += !w->done[jj];
    }
    /* The NMOS at its usual operating point (drain at V_read above its source,
     * V_read clear of vg - vto by far more than rounding): triode, on, forward,
     * as long as every internal node of the block stays at or below V_read. */
    const int nmos = kind == BR_NMOS_LIN || kind == BR_NMOS_SINH;
    const int below = kind == BR_LINEAR ? lp_below(l, w, j0, B, d.V) : lp_predict(kind, &d, l, w, j0, B, live);
    int triode = nmos && d.vg - d.vto - d.V > LP_TRIODE_MARGIN && below;
    const int fast = xb_ladder_triode_fits(l, j0, B); /* ladder_triode.c */
    int fast_last = 0; /* the last iteration on ladder_triode.c's passes */
    for (int it = 0; it < LP_MAXITER && open > 0; it++) {
        *iters += open;
        fast_last = kind == BR_NMOS_LIN && triode && fast;
        if (fast_last) {
            xb_ladder_triode_down(l, w, j0, B);
            xb_ladder_triode_up(l, w, j0, B, live, &m);
        } else {
            xb_ladder_gaps_fill(l, w, B);
            if (triode)
                lp_down(kind, 1, &d, l, w, j0, B);
            else
                lp_down(kind, 0, &d, l, w, j0, B);
            lp_up(kind, d.V, l, w, j0, B, live, &m);
        }
        double above = 0;
        for (int jj = 0; jj < B; jj++)
            above += m.above[jj];
        triode = nmos && d.vg - d.vto - d.V > LP_TRIODE_MARGIN && above == 0;
        int any_back;
        open = lp_settle(kind, l->v0, w, B, live, back, &m, &any_back);
        if (any_back) {
            lp_back(l, w, j0, B, back);
            triode = triode && lp_below(l, w, j0, B, d.V);
        }
    }
    if (fast_last)
        lp_finish_fast(l, w, j0, B, &m, out);
    else
        lp_finish(kind, &d, l, w, j0, B, out);
}

LP_CLONES void xb_ladder_newton_pinned(const xb_ladder *l, xb_ladder_work *w, int j0, int B, double *out)
{
    switch (l->kind) {
    case BR_LINEAR:
        lp_newton(BR_LINEAR, l, w, j0, B, out);
        break;
    case BR_SINH:
        lp_newton(BR_SINH, l, w, j0, B, out);
        break;
    case BR_RES_SINH:
        lp_newton(BR_RES_SINH, l, w, j0, B, out);
        break;
    case BR_NMOS_LIN:
        lp_newton(BR_NMOS_LIN, l, w, j0, B, out);
        break;
    case BR_NMOS_SINH:
        lp_newton(BR_NMOS_SINH, l, w, j0, B, out);
        break;
    }
}
