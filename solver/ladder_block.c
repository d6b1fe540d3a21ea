/* ladder_block.c: the ladders of a block of columns for one vector at once.
 *
 * Every column of a gate-input array sees the same enabled rows, so the chains
 * of all columns have the same shape: the per-row work of Newton (linearize
 * the rungs, sweep down, sweep back up, update) runs across the columns of a
 * block in the innermost loop, where the compiler vectorizes it.  Each column
 * keeps its own step limit and stops when it has converged (its iterate is
 * frozen from then on), so a column's result does not depend on the block it
 * was solved in, nor on the thread.  A column that does not converge here is
 * handed to the one-column path (ladder.c), which adds source stepping.
 *
 * With an ideal source line the ladder is a 1-port swept in projective form
 * (J, y, w: the Norton current J/w and conductance y/w of everything above),
 * which needs no division on the way down and one per row on the way back:
 *
 *   rung (i = j + p V - q c):  y += q w;  J += (j + p V) w
 *   through the gap R:         w += R y
 *   back up:                   c_k = (R J_k + w_k c_k+1) / (w_k + R y_k)
 *
 * A column source line makes it the 2-port of ladder.c, swept the same way
 * column by column. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "solver_internal.h"

/* Rescale (J, y, w) of the projective sweep before w passes this (doubles end
 * near 1.8e308). */
#define LB_RESCALE 1e100

/* The hot functions in two builds, AVX2 + FMA where the CPU has them (as the
 * column kernels do), chosen once at load time. */
#define LB_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))

/* Convergence and step limits: as ladder.c and newton.c. */
#define LB_RELTOL 1e-13
#define LB_VNTOL 1e-15
#define LB_MAXITER 100
#define LB_LIMIT_VGS 0.5
#define LB_LIMIT_VDS 1.0
#define LB_LIMIT_SINH 2.0

static size_t at(int k, int jj, int B) { return (size_t)k * B + jj; }

/* The gaps of the block's columns j0 .. j0+B-1 between consecutive enabled
 * rows, and the ends (see ladder.c's chain()).  Per-segment wires from the
 * prefix sums, uniform ones by multiplication. */
static void gaps(const xb_ladder *l, xb_ladder_work *w, int j0, int B)
{
    const int K = w->K, M = l->M, N = l->N;
    for (int k = 0; k < K; k++) {
        const int i0 = w->row[k], i1 = k + 1 < K ? w->row[k + 1] : M;
        for (int jj = 0; jj < B; jj++) {
            const int j = j0 + jj;
            double rc = l->pc ? l->pc[(size_t)i1 * N + j] - l->pc[(size_t)i0 * N + j] : (i1 - i0) * l->rc_value;
            if (k + 1 == K)
                rc += l->rsense[j];
            w->rc[at(k, jj, B)] = rc;
        }
    }
    if (!l->rsl)
        return;
    const int near = l->drive == XB_SL_NEAR;
    for (int k = 0; k < K; k++) {
        /* near: segments i0 .. i1-1 lie between rows i0 and i1 (the last gap runs
         * to the supply); far: segments i0+1 .. i1, and the first "gap" is the top */
        int i0, i1;
        if (near) {
            i0 = w->row[k];
            i1 = k + 1 < K ? w->row[k + 1] : M;
        } else {
            i0 = k == 0 ? 0 : w->row[k - 1] + 1;
            i1 = w->row[k] + 1;
        }
        for (int jj = 0; jj < B; jj++) {
            const int j = j0 + jj;
            w->rs[at(k, jj, B)] = l->ps[(size_t)i1 * N + j] - l->ps[(size_t)i0 * N + j];
        }
    }
}

/* max that keeps a NaN (fmax would drop it, and a NaN step must not pass as converged) */
static inline double dmax2(double a, double b) { return a > b || a != a ? a : b; }

/* One row of NMOS + linear-cell rungs (the common 1T1R case), every array its
 * own restrict parameter so the vectorizer knows they do not overlap. */
static void rungs_nmos_lin(int B, double beta, double vto, double lmb, double vg, const double *restrict g,
                           const double *restrict s, const double *restrict a, const double *restrict c,
                           double *restrict p, double *restrict qq, double *restrict jr, double *restrict fa,
                           double *restrict dsd, double *restrict ca, double *restrict iden)
{
    for (int jj = 0; jj < B; jj++) {
        double id, ds, dda;
        xb_mos1(beta, vto, lmb, vg, s[jj], a[jj], &id, &ds, &dda);
        const double ic = g[jj] * (a[jj] - c[jj]), dc = g[jj];
        const double open = g[jj] == 0.0 ? 1.0 : 0.0; /* no cell: den 1, nothing else */
        const double inv = 1.0 / ((dc - dda) + open);
        const double f = (id - ic) * (1 - open), d = ds * (1 - open);
        const double pp = dc * d * inv, q = -dc * dda * inv * (1 - open);
        fa[jj] = f;
        dsd[jj] = d;
        ca[jj] = dc;
        iden[jj] = inv;
        p[jj] = pp;
        qq[jj] = q;
        jr[jj] = ic + dc * f * inv - pp * s[jj] + q * c[jj];
    }
}

/* The rungs of row k, columns of the block, at the current iterate (as
 * xb_ladder_branch, in arrays).  Open cells give rungs of nothing. */
LB_CLONES static void linearize_row(const xb_ladder *l, xb_ladder_work *w, const double *g, size_t q0, int B, double lam)
{
    const double *restrict s = w->s + q0, *restrict a = w->a + q0, *restrict c = w->c + q0;
    double *restrict p = w->p + q0, *restrict qq = w->q + q0, *restrict jr = w->jr + q0;
    double *restrict fa = w->fa + q0, *restrict dsd = w->dsd + q0, *restrict ca = w->ca + q0;
    double *restrict iden = w->iden + q0;
    const double v0 = l->v0, vg = lam * l->nmos.v_gate, beta = l->beta, vto = l->nmos.vto, lmb = l->nmos.lambda;
    switch (l->kind) {
    case BR_LINEAR:
        for (int jj = 0; jj < B; jj++) {
            p[jj] = qq[jj] = g[jj];
            jr[jj] = 0;
        }
        return;
    case BR_SINH:
        for (int jj = 0; jj < B; jj++) {
            double u = (s[jj] - c[jj]) / v0, gd = g[jj] * cosh(u);
            p[jj] = qq[jj] = gd;
            jr[jj] = g[jj] * v0 * sinh(u) - gd * (s[jj] - c[jj]);
        }
        return;
    default:
        break;
    }
    /* One loop per device pair, no test inside: the vectorizer needs them apart. */
#define LB_RUNG_TAIL                                                                                     \
    const double open = g[jj] == 0.0 ? 1.0 : 0.0; /* no cell: den 1, nothing else */                    \
    const double inv = 1.0 / ((dc - dda) + open);                                                       \
    fa[jj] = (id - ic) * (1 - open);                                                                    \
    dsd[jj] = ds * (1 - open);                                                                          \
    ca[jj] = dc;                                                                                        \
    iden[jj] = inv;                                                                                     \
    p[jj] = dc * dsd[jj] * inv;                                                                         \
    qq[jj] = -dc * dda * inv * (1 - open);                                                              \
    jr[jj] = ic + dc * fa[jj] * inv - p[jj] * s[jj] + qq[jj] * c[jj];
    if (l->kind == BR_NMOS_LIN) {
        rungs_nmos_lin(B, beta, vto, lmb, vg, g, s, a, c, p, qq, jr, fa, dsd, ca, iden);
    } else if (l->kind == BR_NMOS_SINH) {
        for (int jj = 0; jj < B; jj++) {
            double id, ds, dda;
            xb_mos1(beta, vto, lmb, vg, s[jj], a[jj], &id, &ds, &dda);
            const double u = (a[jj] - c[jj]) / v0, ic = g[jj] * v0 * sinh(u), dc = g[jj] * cosh(u);
            LB_RUNG_TAIL
        }
    } else { /* BR_RES_SINH */
        const double ds = 1.0 / l->r_access, dda = -ds;
        for (int jj = 0; jj < B; jj++) {
            const double id = (s[jj] - a[jj]) * ds;
            const double u = (a[jj] - c[jj]) / v0, ic = g[jj] * v0 * sinh(u), dc = g[jj] * cosh(u);
            LB_RUNG_TAIL
        }
    }
#undef LB_RUNG_TAIL
}

static void linearize(const xb_ladder *l, xb_ladder_work *w, int j0, int B, double lam)
{
    for (int k = 0; k < w->K; k++)
        linearize_row(l, w, l->g + (size_t)w->row[k] * l->N + j0, at(k, 0, B), B, lam);
}

/* The 1-port: an ideal source line holds every s at V. */
/* Row k of the 1-port going down: through the gap R from row k-1's state
 * (Jp, yp, wp), rescaled when w grows large, then row k's rungs. */
static void down1(int B, double V, const double *restrict R, const double *restrict Jp, const double *restrict yp,
                  const double *restrict wp, const double *restrict p, const double *restrict qq,
                  const double *restrict jr, double *restrict Jk, double *restrict yk, double *restrict wk)
{
    for (int jj = 0; jj < B; jj++) {
        const double wn = wp[jj] + R[jj] * yp[jj];
        const double sc = wn > LB_RESCALE ? 1.0 / wn : 1.0;
        const double w1 = wn * sc, y1 = yp[jj] * sc + qq[jj] * w1;
        wk[jj] = w1;
        yk[jj] = y1;
        Jk[jj] = Jp[jj] * sc + (jr[jj] + p[jj] * V) * w1;
    }
}

/* Row k going back up from row k+1's bit-line voltages cn. */
static void up1(int B, const double *restrict R, const double *restrict Jk, const double *restrict yk,
                const double *restrict wk, const double *restrict cn, double *restrict ck)
{
    for (int jj = 0; jj < B; jj++)
        ck[jj] = (R[jj] * Jk[jj] + wk[jj] * cn[jj]) / (wk[jj] + R[jj] * yk[jj]);
}

LB_CLONES static void sweep1(xb_ladder_work *w, int B, double V)
{
    const int K = w->K;
    double *J = w->st, *y = w->st + (size_t)K * B, *ww = w->st + 2 * (size_t)K * B;
    for (int jj = 0; jj < B; jj++) {
        const double w1 = 1.0;
        ww[jj] = w1;
        y[jj] = w->q[jj] * w1;
        J[jj] = (w->jr[jj] + w->p[jj] * V) * w1;
    }
    for (int k = 1; k < K; k++)
        down1(B, V, w->rc + at(k - 1, 0, B), J + at(k - 1, 0, B), y + at(k - 1, 0, B), ww + at(k - 1, 0, B),
              w->p + at(k, 0, B), w->q + at(k, 0, B), w->jr + at(k, 0, B), J + at(k, 0, B), y + at(k, 0, B),
              ww + at(k, 0, B));
    const double *Re = w->rc + at(K - 1, 0, B);
    double *cK = w->c1 + at(K - 1, 0, B);
    for (int jj = 0; jj < B; jj++) {
        size_t q = at(K - 1, jj, B);
        cK[jj] = Re[jj] * J[q] / (ww[q] + Re[jj] * y[q]);
    }
    for (int k = K - 2; k >= 0; k--)
        up1(B, w->rc + at(k, 0, B), J + at(k, 0, B), y + at(k, 0, B), ww + at(k, 0, B), w->c1 + at(k + 1, 0, B),
            w->c1 + at(k, 0, B));
    for (size_t q = 0; q < (size_t)K * B; q++)
        w->s1[q] = V;
}

/* The 2-port of a column source line: ladder.c's sweep for column jj of the block. */
static void sweep2(const xb_ladder *l, xb_ladder_work *w, int jj, int B, double V)
{
    const int K = w->K;
    for (int k = 0; k < K; k++) {
        size_t q = at(k, jj, B);
        w->rg_col[k] = (rung){w->p[q], w->q[q], w->jr[q], 0, 0, 0, 1};
        w->rc_col[k] = w->rc[at(k, jj, B)];
        /* ladder.c keeps the far end's top segment apart from the gaps */
        w->rs_col[k] = l->drive == XB_SL_FAR ? (k + 1 < K ? w->rs[at(k + 1, jj, B)] : 0) : w->rs[at(k, jj, B)];
    }
    double rc_end = w->rc_col[K - 1];
    double rs_end = l->drive == XB_SL_FAR ? w->rs[at(0, jj, B)] : w->rs_col[K - 1];
    xb_ladder_sweep(l, K, w->rg_col, w->rs_col, w->rc_col, rc_end, rs_end, V, w->nt, w->s_col, w->c_col);
    for (int k = 0; k < K; k++) {
        w->s1[at(k, jj, B)] = w->s_col[k];
        w->c1[at(k, jj, B)] = w->c_col[k];
    }
}

/* Step fraction per column from the device limits (as ladder.c), -1 when not
 * finite.  Each device pair has its own loop without tests, for the vectorizer. */
static void limits(const xb_ladder *l, xb_ladder_work *w, int B)
{
    double *restrict al = w->alpha;
    for (int jj = 0; jj < B; jj++)
        al[jj] = 1.0;
    if (l->kind == BR_LINEAR)
        return;
    const double iv0 = 1.0 / l->v0;
    for (int k = 0; k < w->K; k++) {
        const double *restrict ds = w->ds + at(k, 0, B), *restrict dc = w->dc + at(k, 0, B);
        const double *restrict da = w->da + at(k, 0, B);
        for (int jj = 0; jj < B; jj++) {
            double d, lim;
            if (l->kind == BR_SINH || l->kind == BR_RES_SINH) {
                d = fabs((l->kind == BR_SINH ? ds[jj] : da[jj]) - dc[jj]) * iv0;
                lim = LB_LIMIT_SINH;
            } else {
                /* the gate is fixed: vgs moves with the source (or drain), vds with both */
                d = dmax2(dmax2(fabs(ds[jj]), fabs(da[jj])) * (1.0 / LB_LIMIT_VGS), fabs(ds[jj] - da[jj]) * (1.0 / LB_LIMIT_VDS));
                if (l->kind == BR_NMOS_SINH)
                    d = dmax2(d, fabs(da[jj] - dc[jj]) * iv0 * (1.0 / LB_LIMIT_SINH));
                lim = 1.0;
            }
            const double r = d > lim ? lim / d : 1.0;
            const int bad = !(d <= 1e308); /* NaN or infinite */
            al[jj] = bad || al[jj] < 0 ? -1.0 : (r < al[jj] ? r : al[jj]);
        }
    }
}

/* With an ideal source line every s is the supply, so the steps in s are zero
 * and the device limits of limits() reduce to three maxima per column: of |da|,
 * |da - dc| and |dc|.  One pass computes the steps and those maxima, another
 * applies them: the same numbers as the general path (a scale >= 0 keeps a
 * maximum the maximum, and lim / max d is the smallest lim / d), with fewer
 * passes over the block. */
static void steps_pinned(int B, const double *restrict c1, const double *restrict c, const double *restrict fa,
                         const double *restrict ca, const double *restrict iden, double *restrict dc,
                         double *restrict da, double *restrict mda, double *restrict mdd, double *restrict mdc,
                         double *restrict nan, int internal)
{
    for (int jj = 0; jj < B; jj++) {
        const double e = c1[jj] - c[jj];
        const double f = internal ? (fa[jj] + ca[jj] * e) * iden[jj] : 0;
        dc[jj] = e;
        da[jj] = f;
        const double af = fabs(f), ad = fabs(f - e), ae = fabs(e);
        mda[jj] = af > mda[jj] ? af : mda[jj];
        mdd[jj] = ad > mdd[jj] ? ad : mdd[jj];
        mdc[jj] = ae > mdc[jj] ? ae : mdc[jj];
        nan[jj] += (e - e) + (f - f); /* 0, or NaN once a step is not finite */
    }
}

static void update_pinned(int B, const double *restrict st, const double *restrict dc, const double *restrict da,
                          double *restrict c, double *restrict a, double *restrict xm)
{
    for (int jj = 0; jj < B; jj++) {
        const double c2 = c[jj] + st[jj] * dc[jj], a2 = a[jj] + st[jj] * da[jj];
        c[jj] = c2;
        a[jj] = a2;
        const double x = fabs(c2) > fabs(a2) ? fabs(c2) : fabs(a2);
        xm[jj] = x > xm[jj] ? x : xm[jj];
    }
}

/* The step fraction of a column from its maxima, as limits() computes it. */
static double alpha_pinned(const xb_ladder *l, double mda, double mdd, double mdc)
{
    double d, lim;
    switch (l->kind) {
    case BR_LINEAR:
        return 1.0;
    case BR_SINH:
        d = mdc / l->v0;
        lim = LB_LIMIT_SINH;
        break;
    case BR_RES_SINH:
        d = mdd / l->v0;
        lim = LB_LIMIT_SINH;
        break;
    default: /* ds = 0: vgs and vds move with the source alone */
        d = dmax2(mda * (1.0 / LB_LIMIT_VGS), mda * (1.0 / LB_LIMIT_VDS));
        if (l->kind == BR_NMOS_SINH)
            d = dmax2(d, mdd * (1.0 / l->v0) * (1.0 / LB_LIMIT_SINH));
        lim = 1.0;
        break;
    }
    return d > lim ? lim / d : 1.0;
}

/* Newton on a block whose source line is ideal (see steps_pinned). */
LB_CLONES static void newton_pinned(const xb_ladder *l, xb_ladder_work *w, int j0, int B, long *iters)
{
    const int K = w->K, internal = l->kind == BR_RES_SINH || l->kind == BR_NMOS_LIN || l->kind == BR_NMOS_SINH;
    double mda[LADDER_BLOCK_COLS], mdd[LADDER_BLOCK_COLS], mdc[LADDER_BLOCK_COLS], nan[LADDER_BLOCK_COLS];
    int open = B;
    for (int it = 0; it < LB_MAXITER && open > 0; it++) {
        *iters += open;
        linearize(l, w, j0, B, 1.0);
        sweep1(w, B, l->v_read);
        for (int jj = 0; jj < B; jj++)
            mda[jj] = mdd[jj] = mdc[jj] = nan[jj] = w->xmax[jj] = 0;
        for (int k = 0; k < K; k++) {
            size_t q = at(k, 0, B);
            steps_pinned(B, w->c1 + q, w->c + q, w->fa + q, w->ca + q, w->iden + q, w->dc + q, w->da + q, mda, mdd,
                         mdc, nan, internal);
        }
        for (int jj = 0; jj < B; jj++) {
            const int bad = nan[jj] != 0 || !(mda[jj] <= 1e308) || !(mdc[jj] <= 1e308);
            w->alpha[jj] = bad ? -1.0 : alpha_pinned(l, mda[jj], mdd[jj], mdc[jj]);
            w->step[jj] = w->done[jj] || w->alpha[jj] < 0 ? 0 : w->alpha[jj];
        }
        for (int k = 0; k < K; k++) {
            size_t q = at(k, 0, B);
            update_pinned(B, w->step, w->dc + q, w->da + q, w->c + q, w->a + q, w->xmax);
        }
        for (int jj = 0; jj < B; jj++) {
            if (w->done[jj])
                continue;
            const double al = w->alpha[jj];
            if (al < 0) {
                w->done[jj] = -1; /* failed: the one-column path takes it */
                open--;
                continue;
            }
            const double dmax = al * (mdc[jj] > mda[jj] ? mdc[jj] : mda[jj]);
            if (l->kind == BR_LINEAR || (al == 1.0 && dmax <= LB_RELTOL * w->xmax[jj] + LB_VNTOL)) {
                w->done[jj] = 1;
                open--;
            }
        }
    }
}

/* Newton on the block; returns the number of columns still not converged
 * (their done[] is 0). */
static int newton(const xb_ladder *l, xb_ladder_work *w, int j0, int B, long *iters)
{
    const int K = w->K, internal = l->kind == BR_RES_SINH || l->kind == BR_NMOS_LIN || l->kind == BR_NMOS_SINH;
    const double V = l->v_read;
    int open = B;
    for (int it = 0; it < LB_MAXITER && open > 0; it++) {
        *iters += open;
        linearize(l, w, j0, B, 1.0);
        if (l->rsl) {
            for (int jj = 0; jj < B; jj++)
                if (!w->done[jj])
                    sweep2(l, w, jj, B, V);
        } else {
            sweep1(w, B, V);
        }
        {
            const size_t n = (size_t)K * B;
            double *restrict ds = w->ds, *restrict dc = w->dc, *restrict da = w->da;
            const double *restrict fa = w->fa, *restrict dsd = w->dsd, *restrict ca = w->ca;
            const double *restrict iden = w->iden;
            for (size_t q = 0; q < n; q++) {
                ds[q] = w->s1[q] - w->s[q];
                dc[q] = w->c1[q] - w->c[q];
                da[q] = internal ? (fa[q] + dsd[q] * ds[q] + ca[q] * dc[q]) * iden[q] : 0;
            }
        }
        limits(l, w, B);
        for (int jj = 0; jj < B; jj++) {
            w->dmax[jj] = 0;
            w->xmax[jj] = 0;
            /* a finished or failed column takes no step */
            w->step[jj] = w->done[jj] || w->alpha[jj] < 0 ? 0 : w->alpha[jj];
        }
        const int carry_s = l->rsl != NULL;
        for (int k = 0; k < K; k++) {
            double *restrict s = w->s + at(k, 0, B), *restrict c = w->c + at(k, 0, B);
            double *restrict a = w->a + at(k, 0, B);
            const double *restrict ds = w->ds + at(k, 0, B), *restrict dc = w->dc + at(k, 0, B);
            const double *restrict da = w->da + at(k, 0, B), *restrict st = w->step;
            double *restrict dm = w->dmax, *restrict xm = w->xmax;
            for (int jj = 0; jj < B; jj++) {
                const double al = st[jj], es = al * ds[jj], ec = al * dc[jj], ea = al * da[jj];
                s[jj] += es;
                c[jj] += ec;
                a[jj] += ea;
                double d = dmax2(fabs(ec), dmax2(fabs(es), fabs(ea)));
                double x = dmax2(fabs(c[jj]), dmax2(carry_s ? fabs(s[jj]) : 0, internal ? fabs(a[jj]) : 0));
                dm[jj] = dmax2(dm[jj], d);
                xm[jj] = dmax2(xm[jj], x);
            }
        }
        for (int jj = 0; jj < B; jj++) {
            if (w->done[jj])
                continue;
            if (w->alpha[jj] < 0 || !isfinite(w->dmax[jj])) {
                w->done[jj] = -1; /* failed: the one-column path takes it */
                open--;
            } else if (l->kind == BR_LINEAR ||
                       (w->alpha[jj] == 1.0 && w->dmax[jj] <= LB_RELTOL * w->xmax[jj] + LB_VNTOL)) {
                w->done[jj] = 1;
                open--;
            }
        }
    }
    int failed = 0;
    for (int jj = 0; jj < B; jj++)
        failed += w->done[jj] != 1;
    return failed;
}

xb_ladder_work *xb_ladder_work_new(int max_rows, int B)
{
    xb_ladder_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    const size_t n = (size_t)(max_rows > 0 ? max_rows : 1) * B, m = (size_t)(max_rows > 0 ? max_rows : 1);
    w->B = B;
    w->row = malloc(m * sizeof *w->row);
    double **d[] = {&w->rc, &w->rs, &w->s, &w->c, &w->a, &w->s1, &w->c1, &w->ds, &w->dc, &w->da,
                    &w->p, &w->q, &w->jr, &w->fa, &w->dsd, &w->ca, &w->iden};
    int ok = w->row != NULL;
    for (size_t q = 0; q < sizeof d / sizeof d[0]; q++)
        ok &= (*d[q] = malloc(n * sizeof(double))) != NULL;
    ok &= (w->st = malloc(3 * n * sizeof(double))) != NULL; /* the 1-port's J, y, w per row */
    ok &= (w->done = malloc((size_t)B * sizeof *w->done)) != NULL;
    ok &= (w->alpha = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->step = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->dmax = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->xmax = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->rg_col = malloc(m * sizeof *w->rg_col)) != NULL;
    double **e[] = {&w->rs_col, &w->rc_col, &w->s_col, &w->c_col};
    for (size_t q = 0; q < sizeof e / sizeof e[0]; q++)
        ok &= (*e[q] = malloc(m * sizeof(double))) != NULL;
    ok &= (w->nt = malloc(m * sizeof *w->nt)) != NULL;
    if (!ok) {
        xb_ladder_work_free(w);
        return NULL;
    }
    return w;
}

void xb_ladder_work_free(xb_ladder_work *w)
{
    if (!w)
        return;
    void *all[] = {w->row, w->rc, w->rs, w->s, w->c, w->a, w->s1, w->c1, w->ds, w->dc, w->da, w->st,
                   w->p, w->q, w->jr, w->fa, w->dsd, w->ca, w->iden, w->done, w->alpha, w->step, w->dmax,
                   w->xmax, w->rg_col, w->rs_col, w->rc_col, w->s_col, w->c_col, w->nt};
    for (size_t q = 0; q < sizeof all / sizeof all[0]; q++)
        free(all[q]);
    free(w);
}

void xb_ladder_block(xb_ladder *l, xb_ladder_work *w, const double *x, int j0, int B, double *out)
{
    const int M = l->M, N = l->N;
    const size_t mn = (size_t)M * N;
    int K = 0;
    for (int i = 0; i < M; i++)
        if (x[i] != 0.0)
            w->row[K++] = i;
    w->K = K;
    for (int jj = 0; jj < B; jj++) {
        out[jj] = 0;
        w->done[jj] = 1;
    }
    if (K == 0)
        return;
    gaps(l, w, j0, B);
    if (l->kind == BR_LINEAR && l->rsl) {
        xb_ladder_linear_sl(l, w, j0, B, out);
        return;
    }
    for (int k = 0; k < K; k++)
        for (int jj = 0; jj < B; jj++) {
            size_t q = at(k, jj, B), cell = (size_t)w->row[k] * N + j0 + jj;
            if (l->warm_ok[cell]) {
                w->s[q] = l->warm[cell];
                w->c[q] = l->warm[mn + cell];
                w->a[q] = l->warm[2 * mn + cell];
            } else {
                xb_ladder_first_guess(l, l->g[cell], &w->s[q], &w->a[q], &w->c[q]);
            }
        }
    for (int jj = 0; jj < B; jj++)
        w->done[jj] = 0;
    if (l->rsl)
        newton(l, w, j0, B, &w->iters);
    else
        newton_pinned(l, w, j0, B, &w->iters);
    for (int k = 0; k < K; k++)
        for (int jj = 0; jj < B; jj++) {
            if (w->done[jj] != 1)
                continue;
            size_t q = at(k, jj, B), cell = (size_t)w->row[k] * N + j0 + jj;
            out[jj] += xb_ladder_branch_current(l, l->g[cell], w->s[q], w->a[q], w->c[q]);
            l->warm[cell] = w->s[q];
            l->warm[mn + cell] = w->c[q];
            l->warm[2 * mn + cell] = w->a[q];
            l->warm_ok[cell] = 1;
        }
}
