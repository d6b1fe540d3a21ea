/* ladder_triode_kern.h: the kernels of ladder_triode.c, included for its
 * AVX-512 build with LT_ATTR (the function attributes), LT_HATTR (those of
 * the inline helpers), LT_FN (a name suffix), LT_RECIP (1 / d) and LT_MAX
 * (a > b ? a : b) defined.  Not a header of its own. */
/* The device and its row: as lp_rung (NMOS_LIN, triode, no open cell), then
 * lp_down_row's state update, for one vector of columns; A, Bc, Ea, Eb (the
 * ratios of lp_down_row, whatever the state's scale) stored.  xb_mos1's
 * triode formulas with the drain at V, vds = x = V - a and the gate overdrive
 * vgst = vov + x (vov = vg - vto - V): id = beta (1 + lambda x) (vov + x/2) x,
 * -d(id)/da = gm + gds = beta' x + beta' vov + lambda beta x (vov + x/2),
 * rearranged for fewer operations (the same up to rounding). */
LT_HATTR LT_INLINE void LT_FN(lt_down1)(vd g, vd c, vd a, vd R, vd Rp, vd *J, vd *y, vd *w, double V, double vov,
                                        double beta, double lb, double *pA, double *pB, double *pE, double *pF)
{
    const vd x = V - a, betap = beta + lb * x, h = vov + 0.5 * x, gm = betap * x;
    const vd id = gm * h, gd = (gm + betap * vov) + (lb * x) * h; /* gd = -d(id)/da */
    const vd ic = g * (a - c);
    const vd den = g + gd, fa = id - ic, nq = g * gd;
    const vd nj = ic * den + g * fa + nq * c;
    const vd wn = *w + Rp * *y, w1 = wn * den, y1 = *y * den + nq * wn, J1 = *J * den + nj * wn;
    *w = w1;
    *y = y1;
    *J = J1;
    const vd P = w1 + R * y1, t = LT_RECIP(den * P), inv = den * t, iden = P * t;
    ST(pA, R * J1 * inv);
    ST(pB, w1 * inv);
    ST(pE, fa * iden);
    ST(pF, g * iden);
}

/* The state's scale brought back within 2^-300 .. 2^300 (a power of two:
 * exact). */
LT_HATTR LT_INLINE void LT_FN(lt_rescale)(vd *J, vd *y, vd *w)
{
    const vd sc = vsel(*w > LT_BIG, (vd){} + LT_SHRINK, vsel(*w < LT_SHRINK, (vd){} + LT_BIG, (vd){} + 1.0));
    *w *= sc;
    *y *= sc;
    *J *= sc;
}

LT_ATTR static void LT_FN(lt_down)(const xb_ladder *l, xb_ladder_work *w, int j0, int B)
{
    /* every pointer in a local: the stores (may_alias) would otherwise make
     * the compiler reload them from l and w after each one */
    const int K = w->K;
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    const double V = l->v_read, vov = l->nmos.v_gate - l->nmos.vto - V, beta = l->beta, lb = l->nmos.lambda * beta;
    const int *const row = w->row;
    const double *const gs = l->gb + slab, *const cs = l->wc + slab, *const as = l->wa + slab, *const rc = w->rc;
    double *const pA = w->p, *const pB = w->q, *const pE = w->fa, *const es = l->pe + slab;
    const int lazy = w->rc_lazy;
    const double ru = l->rc_value;
    for (int off = 0; off < B; off += LT_W) {
        /* the four vectors' states, named: arrays of vectors end up on the stack */
        vd J0 = {}, J1 = {}, J2 = {}, J3 = {}, y0 = {}, y1 = {}, y2 = {}, y3 = {};
        vd w0 = (vd){} + 1.0, w1 = w0, w2 = w0, w3 = w0, R0 = {}, R1 = {}, R2 = {}, R3 = {};
        for (int k = 0; k < K; k++) {
            if (k + LT_AHEAD < K) {
                const size_t i = (size_t)row[k + LT_AHEAD] * bw + off;
                for (int v = 0; v < LT_W; v += LT_V) {
                    __builtin_prefetch(gs + i + v);
                    __builtin_prefetch(cs + i + v);
                    __builtin_prefetch(as + i + v);
                }
            }
            const size_t r = (size_t)row[k] * bw + off, q = (size_t)k * B + off;
            const double *g = gs + r, *c = cs + r, *a = as + r;
            const int uni = lazy && k + 1 < K; /* the gap below from the rows (gaps()'s product) */
            const vd Ru = (vd){} + (uni ? (row[k + 1] - row[k]) * ru : 0.0);
#define LT_DOWN(v)                                                                                          \
    do {                                                                                                    \
        const int o = v * LT_V;                                                                             \
        const vd R = uni ? Ru : (vd)LD(rc + q + o);                                                         \
        LT_FN(lt_down1)(LD(g + o), LD(c + o), LD(a + o), R, R##v, &J##v, &y##v, &w##v, V, vov, beta, lb,      \
                        pA + q + o, pB + q + o, pE + q + o, es + r + o);                                    \
        R##v = R;                                                                                           \
    } while (0)
            LT_DOWN(0);
            LT_DOWN(1);
#if LT_G == 4
            LT_DOWN(2);
            LT_DOWN(3);
#endif
#undef LT_DOWN
            if ((k & (LT_RESCALE - 1)) == LT_RESCALE - 1) {
                LT_FN(lt_rescale)(&J0, &y0, &w0);
                LT_FN(lt_rescale)(&J1, &y1, &w1);
#if LT_G == 4
                LT_FN(lt_rescale)(&J2, &y2, &w2);
                LT_FN(lt_rescale)(&J3, &y3, &w3);
#endif
            }
        }
    }
}

/* One row of lp_up_row (NMOS_LIN: no |da - dc|) for one vector of columns,
 * and the cell's current after the step summed into cur (lp_finish's), which
 * also serves as lp_up_row's nan: with no open cell, a step that is not
 * finite leaves a node and so the sum not finite. */
LT_HATTR LT_INLINE void LT_FN(lt_up1)(double *c, double *a, double *A, double *Bc, const double *Ea, const double *Eb,
                                      const double *g, vl live, double V, vd *cn, lt_acc *m)
{
    const vd c0 = LD(c), a0 = LD(a), eb = LD(Eb);
    const vd c1 = LD(A) + LD(Bc) * *cn;
    *cn = c1;
    const vd dc = c1 - c0, da = LD(Ea) + eb * dc;
    const vd c2 = vsel(live, c1, c0), a2 = vsel(live, a0 + da, a0);
    ST(c, c2);
    ST(a, a2);
    ST(A, dc);
    ST(Bc, da);
    m->cur += LD(g) * (a2 - c2);
    m->mda = LT_MAX(vabs(da), m->mda);
    m->mdc = LT_MAX(vabs(dc), m->mdc);
    m->xm = LT_MAX(LT_MAX(vabs(c2), vabs(a2)), m->xm);
    m->above += (vd)((vl)((vd){} + 1.0) & ~(a2 <= V));
}

LT_ATTR static void LT_FN(lt_up)(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live,
                                 xb_ladder_steps *m)
{
    const int K = w->K;
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    const double V = l->v_read;
    const int *const row = w->row;
    double *const cs = l->wc + slab, *const as = l->wa + slab;
    const double *const gs = l->gb + slab;
    double *const pA = w->p, *const pB = w->q;
    const double *const pE = w->fa, *const es = l->pe + slab;
    for (int off = 0; off < B; off += LT_W) {
        /* the vectors' states named, as in lt_down: arrays of them end up on the stack */
        const vl on0 = LD(live + off) != 0.0, on1 = LD(live + off + LT_V) != 0.0;
        lt_acc acc0 = {}, acc1 = {};
        vd cn0 = {}, cn1 = {};
#if LT_G == 4
        const vl on2 = LD(live + off + 2 * LT_V) != 0.0, on3 = LD(live + off + 3 * LT_V) != 0.0;
        lt_acc acc2 = {}, acc3 = {};
        vd cn2 = {}, cn3 = {};
#endif
        for (int k = K - 1; k >= 0; k--) {
            if (k >= LT_AHEAD) {
                const size_t i = (size_t)row[k - LT_AHEAD] * bw + off;
                for (int v = 0; v < LT_W; v += LT_V) {
                    __builtin_prefetch(cs + i + v, 1);
                    __builtin_prefetch(as + i + v, 1);
                }
            }
            const size_t r = (size_t)row[k] * bw + off;
            double *c = cs + r, *a = as + r;
            const size_t q = (size_t)k * B + off;
#define LT_UP(v)                                                                                            \
    LT_FN(lt_up1)(c + v * LT_V, a + v * LT_V, pA + q + v * LT_V, pB + q + v * LT_V, pE + q + v * LT_V,        \
                  es + r + v * LT_V, gs + r + v * LT_V, on##v, V, &cn##v, &acc##v)
            LT_UP(0);
            LT_UP(1);
#if LT_G == 4
            LT_UP(2);
            LT_UP(3);
#endif
#undef LT_UP
        }
#define LT_UP_OUT(v)                                                                                        \
    do {                                                                                                    \
        const int o = off + v * LT_V;                                                                       \
        ST(m->mda + o, acc##v.mda);                                                                         \
        ST(m->mdc + o, acc##v.mdc);                                                                         \
        ST(m->nan + o, acc##v.cur); /* not finite once a step is not (no open cell here) */                 \
        ST(m->xm + o, acc##v.xm);                                                                           \
        ST(m->above + o, acc##v.above);                                                                     \
        ST(m->cur + o, acc##v.cur);                                                                         \
    } while (0)
        LT_UP_OUT(0);
        LT_UP_OUT(1);
#if LT_G == 4
        LT_UP_OUT(2);
        LT_UP_OUT(3);
#endif
#undef LT_UP_OUT
        for (int jj = off; jj < off + LT_W; jj++)
            m->mdd[jj] = 0;
    }
}

/* The predictor's row going down (ladder_pinned.c's lp_pred_down_row for
 * NMOS_LIN): the rung from the cell's last solution and slope e, the
 * unscaled Norton state, A and Bc stored at pA, pB. */
LT_HATTR LT_INLINE void LT_FN(lt_pred1)(vd g, vd c, vd a, vd e, vd R, vd Rp, vd *J, vd *y, vd *w, double *pA,
                                        double *pB)
{
    const vd q = g * (1.0 - e), jr = g * (a - c) + q * c;
    const vd wn = *w + Rp * *y, y1 = *y + q * wn, J1 = *J + jr * wn;
    *w = wn;
    *y = y1;
    *J = J1;
    const vd t = LT_RECIP(wn + R * y1);
    ST(pA, R * J1 * t);
    ST(pB, wn * t);
}

/* The predictor (lp_predict) on a block that xb_ladder_triode_fits: 1 when
 * every internal node is at or below V_read afterwards. */
LT_ATTR static int LT_FN(lt_predict)(const xb_ladder *l, xb_ladder_work *w, int j0, int B, const double *live)
{
    const int K = w->K;
    const size_t bw = l->bw, slab = (size_t)(j0 / l->bw) * l->M * bw;
    const double V = l->v_read;
    const int *const row = w->row;
    const double *const gs = l->gb + slab, *const es = l->pe + slab, *const rc = w->rc;
    const int lazy = w->rc_lazy;
    const double ru = l->rc_value;
    double *const cs = l->wc + slab, *const as = l->wa + slab, *const pA = w->p, *const pB = w->q;
    vd above = {};
    for (int off = 0; off < B; off += LT_W) {
        vd J0 = {}, J1 = {}, J2 = {}, J3 = {}, y0 = {}, y1 = {}, y2 = {}, y3 = {};
        vd w0 = (vd){} + 1.0, w1 = w0, w2 = w0, w3 = w0, R0 = {}, R1 = {}, R2 = {}, R3 = {};
        for (int k = 0; k < K; k++) {
            if (k + LT_AHEAD < K) {
                const size_t i = (size_t)row[k + LT_AHEAD] * bw + off;
                for (int v = 0; v < LT_W; v += LT_V) {
                    __builtin_prefetch(gs + i + v);
                    __builtin_prefetch(cs + i + v);
                    __builtin_prefetch(as + i + v);
                    __builtin_prefetch(es + i + v);
                }
            }
            const size_t r = (size_t)row[k] * bw + off, q = (size_t)k * B + off;
            const int uni = lazy && k + 1 < K; /* as lt_down */
            const vd Ru = (vd){} + (uni ? (row[k + 1] - row[k]) * ru : 0.0);
#define LT_PRED(v)                                                                                          \
    do {                                                                                                    \
        const int o = v * LT_V;                                                                             \
        const vd R = uni ? Ru : (vd)LD(rc + q + o);                                                         \
        LT_FN(lt_pred1)(LD(gs + r + o), LD(cs + r + o), LD(as + r + o), LD(es + r + o), R, R##v, &J##v, &y##v, \
                        &w##v, pA + q + o, pB + q + o);                                                     \
        R##v = R;                                                                                           \
    } while (0)
            LT_PRED(0);
            LT_PRED(1);
#if LT_G == 4
            LT_PRED(2);
            LT_PRED(3);
#endif
#undef LT_PRED
            if ((k & (LT_RESCALE - 1)) == LT_RESCALE - 1) {
                LT_FN(lt_rescale)(&J0, &y0, &w0);
                LT_FN(lt_rescale)(&J1, &y1, &w1);
#if LT_G == 4
                LT_FN(lt_rescale)(&J2, &y2, &w2);
                LT_FN(lt_rescale)(&J3, &y3, &w3);
#endif
            }
        }
        vl on[LT_G];
        vd cn[LT_G];
        for (int v = 0; v < LT_G; v++) {
            on[v] = LD(live + off + v * LT_V) != 0.0;
            cn[v] = (vd){};
        }
        for (int k = K - 1; k >= 0; k--) {
            const size_t r = (size_t)row[k] * bw + off, q = (size_t)k * B + off;
            for (int v = 0; v < LT_G; v++) {
                const int o = v * LT_V;
                const vd c0 = LD(cs + r + o), a0 = LD(as + r + o);
                const vd c1 = LD(pA + q + o) + LD(pB + q + o) * cn[v];
                cn[v] = c1;
                const vd a2 = vsel(on[v], a0 + LD(es + r + o) * (c1 - c0), a0);
                ST(cs + r + o, vsel(on[v], c1, c0));
                ST(as + r + o, a2);
                above += (vd)((vl)((vd){} + 1.0) & ~(a2 <= V));
            }
        }
    }
    double n = 0;
    for (int v = 0; v < LT_V; v++)
        n += above[v];
    return n == 0;
}
