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
 * With an ideal source line the ladder is a 1-port, and Newton runs in two
 * fused passes per iteration (ladder_pinned.c).  A column source line makes it
 * the 2-port of ladder.c, swept column by column. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "solver_internal.h"

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
    /* a uniform bit line on an ideal supply: the last row now, the others
     * when a pass needs them (xb_ladder_gaps_fill) */
    w->rc_lazy = !l->pc && !l->rsl;
    for (int k = w->rc_lazy ? K - 1 : 0; k < K; k++) {
        const int i0 = w->row[k], i1 = k + 1 < K ? w->row[k + 1] : M;
        double *restrict rc = w->rc + at(k, 0, B);
        if (l->pc) {
            const double *restrict p0 = l->pc + (size_t)i0 * N + j0, *restrict p1 = l->pc + (size_t)i1 * N + j0;
            for (int jj = 0; jj < B; jj++)
                rc[jj] = p1[jj] - p0[jj];
        } else {
            const double r = (i1 - i0) * l->rc_value;
            for (int jj = 0; jj < B; jj++)
                rc[jj] = r;
        }
        if (k + 1 == K)
            for (int jj = 0; jj < B; jj++)
                rc[jj] += l->rsense[j0 + jj];
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
        double *restrict rs = w->rs + at(k, 0, B);
        if (l->ps) {
            const double *restrict p0 = l->ps + (size_t)i0 * N + j0, *restrict p1 = l->ps + (size_t)i1 * N + j0;
            for (int jj = 0; jj < B; jj++)
                rs[jj] = p1[jj] - p0[jj];
        } else {
            const double r = (i1 - i0) * l->rs_value;
            for (int jj = 0; jj < B; jj++)
                rs[jj] = r;
        }
    }
}

void xb_ladder_gaps_fill(const xb_ladder *l, xb_ladder_work *w, int B)
{
    if (!w->rc_lazy)
        return;
    for (int k = 0; k + 1 < w->K; k++) {
        const double r = (w->row[k + 1] - w->row[k]) * l->rc_value;
        double *restrict rc = w->rc + at(k, 0, B);
        for (int jj = 0; jj < B; jj++)
            rc[jj] = r;
    }
    w->rc_lazy = 0;
}

/* max that keeps a NaN (fmax would drop it, and a NaN step must not pass as converged) */
static inline double dmax2(double a, double b) { return a > b || a != a ? a : b; }

/* One row of NMOS + linear-cell rungs (the common 1T1R case), every array its
 * own restrict parameter so the vectorizer knows they do not overlap. */
static inline __attribute__((always_inline)) void rungs_nmos_lin(int B, double beta, double vto, double lmb, double vg, const double *restrict g,
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

#define LB_INLINE static inline __attribute__((always_inline))

/* Row k's device-limit ratios (as ladder.c; kind a constant after inlining)
 * folded into each column's step fraction al, -1 once one is not finite. */
LB_INLINE void limits_row(branch_kind kind, int B, double iv0, const double *restrict ds, const double *restrict dc,
                          const double *restrict da, double *restrict al)
{
    for (int jj = 0; jj < B; jj++) {
        double d, lim;
        if (kind == BR_SINH || kind == BR_RES_SINH) {
            d = fabs((kind == BR_SINH ? ds[jj] : da[jj]) - dc[jj]) * iv0;
            lim = LB_LIMIT_SINH;
        } else {
            /* the gate is fixed: vgs moves with the source (or drain), vds with both */
            d = dmax2(dmax2(fabs(ds[jj]), fabs(da[jj])) * (1.0 / LB_LIMIT_VGS), fabs(ds[jj] - da[jj]) * (1.0 / LB_LIMIT_VDS));
            if (kind == BR_NMOS_SINH)
                d = dmax2(d, fabs(da[jj] - dc[jj]) * iv0 * (1.0 / LB_LIMIT_SINH));
            lim = 1.0;
        }
        const double r = d > lim ? lim / d : 1.0;
        const int bad = !(d <= 1e308); /* NaN or infinite */
        al[jj] = bad || al[jj] < 0 ? -1.0 : (r < al[jj] ? r : al[jj]);
    }
}

LB_INLINE void limits_kind(branch_kind kind, const xb_ladder *l, xb_ladder_work *w, int B)
{
    const double iv0 = 1.0 / l->v0;
    for (int k = 0; k < w->K; k++)
        limits_row(kind, B, iv0, w->ds + at(k, 0, B), w->dc + at(k, 0, B), w->da + at(k, 0, B), w->alpha);
}

/* Step fraction per column from the device limits (as ladder.c), -1 when not
 * finite; one loop per device pair, without tests, for the vectorizer. */
LB_INLINE void limits(const xb_ladder *l, xb_ladder_work *w, int B)
{
    for (int jj = 0; jj < B; jj++)
        w->alpha[jj] = 1.0;
    switch (l->kind) {
    case BR_LINEAR:
        break;
    case BR_SINH:
        limits_kind(BR_SINH, l, w, B);
        break;
    case BR_RES_SINH:
        limits_kind(BR_RES_SINH, l, w, B);
        break;
    case BR_NMOS_LIN:
        limits_kind(BR_NMOS_LIN, l, w, B);
        break;
    case BR_NMOS_SINH:
        limits_kind(BR_NMOS_SINH, l, w, B);
        break;
    }
}

/* Row k's steps from the sweep's solution (the internal node's from its
 * condensed equation). */
LB_INLINE void steps_row(int B, int internal, const double *restrict s1, const double *restrict c1,
                         const double *restrict s, const double *restrict c, const double *restrict fa,
                         const double *restrict dsd, const double *restrict ca, const double *restrict iden,
                         double *restrict ds, double *restrict dc, double *restrict da)
{
    for (int jj = 0; jj < B; jj++) {
        ds[jj] = s1[jj] - s[jj];
        dc[jj] = c1[jj] - c[jj];
        da[jj] = internal ? (fa[jj] + dsd[jj] * ds[jj] + ca[jj] * dc[jj]) * iden[jj] : 0;
    }
}

/* Row k's update by each column's step fraction st, and the maxima of the
 * step and of the node voltages after it. */
LB_INLINE void update_row(int B, int internal, const double *restrict st, const double *restrict ds,
                          const double *restrict dc, const double *restrict da, double *restrict s,
                          double *restrict c, double *restrict a, double *restrict dm, double *restrict xm)
{
    for (int jj = 0; jj < B; jj++) {
        const double al = st[jj], es = al * ds[jj], ec = al * dc[jj], ea = al * da[jj];
        s[jj] += es;
        c[jj] += ec;
        a[jj] += ea;
        double d = dmax2(fabs(ec), dmax2(fabs(es), fabs(ea)));
        double x = dmax2(fabs(c[jj]), dmax2(fabs(s[jj]), internal ? fabs(a[jj]) : 0));
        dm[jj] = dmax2(dm[jj], d);
        xm[jj] = dmax2(xm[jj], x);
    }
}

/* Newton on a block with a column source line; returns the number of columns still not converged
 * (their done[] is 0). */
LB_CLONES static int newton(const xb_ladder *l, xb_ladder_work *w, int j0, int B, long *iters)
{
    const int K = w->K, internal = l->kind == BR_RES_SINH || l->kind == BR_NMOS_LIN || l->kind == BR_NMOS_SINH;
    const double V = l->v_read;
    int open = B;
    for (int jj = 0; jj < B; jj++)
        w->prev[jj] = -1.0;
    for (int it = 0; it < LB_MAXITER && open > 0; it++) {
        *iters += open;
        linearize(l, w, j0, B, 1.0);
        xb_ladder_sweep_block(l, w, B, V, w->nt);
        for (int k = 0; k < K; k++) {
            const size_t q = at(k, 0, B);
            steps_row(B, internal, w->s1 + q, w->c1 + q, w->s + q, w->c + q, w->fa + q, w->dsd + q, w->ca + q,
                      w->iden + q, w->ds + q, w->dc + q, w->da + q);
        }
        limits(l, w, B);
        for (int jj = 0; jj < B; jj++) {
            w->dmax[jj] = 0;
            w->xmax[jj] = 0;
            /* a finished or failed column takes no step */
            w->step[jj] = w->done[jj] || w->alpha[jj] < 0 ? 0 : w->alpha[jj];
        }
        for (int k = 0; k < K; k++) {
            const size_t q = at(k, 0, B);
            update_row(B, internal, w->step, w->ds + q, w->dc + q, w->da + q, w->s + q, w->c + q, w->a + q,
                       w->dmax, w->xmax);
        }
        for (int jj = 0; jj < B; jj++) {
            if (w->done[jj])
                continue;
            if (w->alpha[jj] < 0 || !isfinite(w->dmax[jj])) {
                w->done[jj] = -1; /* failed: the one-column path takes it */
                open--;
                continue;
            }
            const double al = w->alpha[jj], d = w->dmax[jj], tol = LB_RELTOL * w->xmax[jj] + LB_VNTOL;
            const double prev = w->prev[jj];
            const int quadratic = al == 1.0 && prev > 0 && d <= LADDER_QUADRATIC * prev &&
                                  d * d * d <= LADDER_EARLY * tol * prev * prev;
            w->prev[jj] = al == 1.0 ? d : -1.0;
            if (l->kind == BR_LINEAR || (al == 1.0 && d <= tol) || quadratic) {
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

/* The predictor of ladder_pinned.c for a column source line: the block's
 * starting point (w's s, c, a, the warm start) moved to the solution of the
 * 2-port ladders of its cells linearized at their last solutions, with the
 * slopes da/ds, da/dc of each cell's last Newton step (pes, pe): Newton's
 * first step from the warm start without the device evaluations. */
LB_CLONES static void predict(const xb_ladder *l, xb_ladder_work *w, int j0, int B)
{
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    const int internal = l->kind != BR_SINH;
    for (int k = 0; k < w->K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw, q0 = at(k, 0, B);
        for (int jj = 0; jj < B; jj++) {
            const double g = l->gb[r + jj], s = w->s[q0 + jj], c = w->c[q0 + jj], a = w->a[q0 + jj];
            double i, gc;
            if (l->kind == BR_NMOS_LIN) {
                i = g * (a - c);
                gc = g;
            } else {
                const double u = ((internal ? a : s) - c) / l->v0;
                i = g * l->v0 * sinh(u);
                gc = g * cosh(u);
            }
            /* the rung s -> c: jr + p s - q c (xb_ladder_branch), the internal
             * node condensed out: p = gc da/ds, q = gc (1 - da/dc) */
            const double p = internal ? gc * l->pes[r + jj] : gc, qq = internal ? gc * (1 - l->pe[r + jj]) : gc;
            w->p[q0 + jj] = p;
            w->q[q0 + jj] = qq;
            w->jr[q0 + jj] = i - p * s + qq * c;
        }
    }
    xb_ladder_sweep_block(l, w, B, l->v_read, w->nt);
    for (int k = 0; k < w->K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw, q0 = at(k, 0, B);
        for (int jj = 0; jj < B; jj++) {
            const size_t q = q0 + jj;
            if (internal)
                w->a[q] += l->pes[r + jj] * (w->s1[q] - w->s[q]) + l->pe[r + jj] * (w->c1[q] - w->c[q]);
            w->s[q] = w->s1[q];
            w->c[q] = w->c1[q];
        }
    }
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
    const size_t nd = sizeof d / sizeof d[0];
    /* one allocation, the arrays LADDER_STAGGER bytes more than whole pages apart */
    const size_t stride = (n * sizeof(double) + 4095) / 4096 * 4096 + LADDER_STAGGER;
    int ok = w->row != NULL && (w->mem = malloc(nd * stride + 64)) != NULL;
    for (size_t q = 0; ok && q < nd; q++)
        *d[q] = (double *)(void *)((char *)w->mem + (64 - (uintptr_t)w->mem % 64) % 64 + q * stride);
    ok &= (w->done = malloc((size_t)B * sizeof *w->done)) != NULL;
    ok &= (w->alpha = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->step = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->dmax = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->xmax = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->prev = malloc((size_t)B * sizeof(double))) != NULL;
    ok &= (w->nt = malloc(7 * n * sizeof(double))) != NULL; /* the 2-port's states */
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
    void *all[] = {w->row, w->mem, w->done, w->alpha, w->step, w->dmax, w->xmax, w->prev, w->nt};
    for (size_t q = 0; q < sizeof all / sizeof all[0]; q++)
        free(all[q]);
    free(w);
}

void xb_ladder_block(xb_ladder *l, xb_ladder_work *w, const double *x, int j0, int B, double *out)
{
    const int M = l->M;
    int K = 0;
    for (int i = 0; i < M; i++) { /* without a branch: the bits are as good as random */
        w->row[K] = i;
        K += x[i] != 0.0;
    }
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
    for (int jj = 0; jj < B; jj++)
        w->done[jj] = 0;
    if (!l->rsl) {
        xb_ladder_newton_pinned(l, w, j0, B, out);
        return;
    }
    /* the block's warm starts in (rows of its slabs, B contiguous each), the
     * converged columns' back out with their currents */
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    for (int k = 0; k < K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw, q = at(k, 0, B);
        for (int jj = 0; jj < B; jj++) {
            w->s[q + jj] = l->ws[r + jj];
            w->c[q + jj] = l->wc[r + jj];
            w->a[q + jj] = l->wa[r + jj];
        }
    }
    predict(l, w, j0, B);
    newton(l, w, j0, B, &w->iters);
    const int internal = l->kind != BR_SINH;
    for (int k = 0; k < K; k++) {
        const size_t r = slab + (size_t)w->row[k] * bw, q = at(k, 0, B);
        const double *g = l->gb + r;
        for (int jj = 0; jj < B; jj++) {
            if (w->done[jj] != 1)
                continue;
            out[jj] += xb_ladder_branch_current(l, g[jj], w->s[q + jj], w->a[q + jj], w->c[q + jj]);
            l->ws[r + jj] = w->s[q + jj];
            l->wc[r + jj] = w->c[q + jj];
            l->wa[r + jj] = w->a[q + jj];
            if (internal) { /* the last step's slopes, for the next vector's predictor */
                l->pes[r + jj] = w->dsd[q + jj] * w->iden[q + jj];
                l->pe[r + jj] = w->ca[q + jj] * w->iden[q + jj];
            }
        }
    }
}
