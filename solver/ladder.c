/* ladder.c: gate-input columns with nonlinear cells or column source lines,
 * one column's ladder at a time.
 *
 * With an ideal or column-wise source line the columns of a gate-input array do
 * not interact, and in one column only the enabled rows carry current: a
 * disabled row's bit-line and source-line nodes only join the segments around
 * them in series.  So a column is a chain of K enabled rows, each with a
 * source-line node s and a bit-line node c joined by the row's cell branch
 * (access device, then the cell; a nonlinear branch has an internal node a
 * between them).
 *
 * Newton's method on that chain: the branch equations are linearized at the
 * current iterate and the internal node of each branch is condensed out (a 1x1
 * Schur complement per branch), leaving a linear ladder: series resistances
 * along both lines and, at every row, a linearized rung from s to c.  The ladder
 * is solved exactly by one sweep down the rows, carrying the Norton equivalent
 * of everything above as a 2-port (current J and conductance matrix Y seen at
 * the row's s and c nodes), and one sweep back up:
 *
 *   rung (i = j + p s - q c):        J += (-j, j);  Y += [[p, -q], [-p, q]]
 *   through the gap (R = diag(Rs, Rc)):  Y <- (I + Y R)^-1 Y,  J <- (I + Y R)^-1 J
 *   back up:                         v_k = (I + R Y_k)^-1 (v_k+1 + R J_k)
 *
 * The matrices inverted are I plus a resistance times a passive conductance
 * (det >= 1), so zero resistances (ideal wires) need nothing special, except a
 * source line held at V_read by an ideal wire: its s is then a known voltage
 * ("pinned") and only c is carried.  With an ideal source line every row is
 * pinned and the 2-port is a 1-port.  Linear circuits are solved by one sweep.
 *
 * The guarantees of newton.c hold: every step is limited on each device's
 * controlling voltages, source stepping (V_read and the gate voltage ramped
 * together) follows a plain failure, and a vector that does not converge is
 * XB_ECONVERGE, never a number. */
#include "ladder.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

/* Convergence and step limits: the same numbers as newton.c (see there). */
#define LD_RELTOL 1e-13
#define LD_VNTOL 1e-15
#define LD_MAXITER 100
#define LD_LIMIT_VGS 0.5  /* volts */
#define LD_LIMIT_VDS 1.0  /* volts */
#define LD_LIMIT_SINH 2.0 /* in units of V0 */
#define LD_SRC_STEP 0.1
#define LD_SRC_MIN_STEP 1e-4

int xb_ladder_applies(const xb_circuit *c)
{
    return c->topology == XB_TOPO_GATE_INPUT && c->source_line != XB_SL_ROW;
}

size_t xb_ladder_bytes(const xb_circuit *c)
{
    const int bw = c->cols < LADDER_BLOCK_COLS ? c->cols : LADDER_BLOCK_COLS;
    size_t mn = (size_t)c->rows * c->cols, m = (size_t)c->rows;
    size_t slab = (size_t)((c->cols + bw - 1) / bw) * bw * m; /* the warm start, padded */
    const int folded = c->source_line == XB_SL_COLUMN && c->sl_drive == XB_SL_NEAR && !xb_circuit_is_nonlinear(c);
    return mn * sizeof(double) * (3 + 2 * (c->source_line == XB_SL_COLUMN) + (c->r_col_seg != NULL) + 3 * folded) +
           (4 + (c->source_line == XB_SL_IDEAL) + 2 * (c->source_line == XB_SL_COLUMN && xb_circuit_is_nonlinear(c))) *
               slab * sizeof(double) + m * (sizeof(int) + 9 * sizeof(double) + sizeof(rung) + sizeof(norton));
}

void xb_ladder_free(xb_ladder *l)
{
    if (!l)
        return;
    free(l->g);
    free(l->rc);
    free(l->rsense);
    free(l->rsl);
    free(l->pc);
    free(l->ps);
    xb_ladder_work_free(l->work);
    xb_column_free(l->folded);
    free(l->blk_open);
    free(l->slabs);
    free(l->row);
    free(l->rs_gap);
    free(l->rc_gap);
    free(l->s);
    free(l->c);
    free(l->a);
    free(l->ds);
    free(l->dc);
    free(l->da);
    free(l->keep);
    free(l->rg);
    free(l->nt);
    free(l);
}

static branch_kind kind_of(const xb_circuit *c)
{
    if (c->access == XB_ACCESS_NMOS)
        return c->cell == XB_CELL_SINH ? BR_NMOS_SINH : BR_NMOS_LIN;
    if (c->cell == XB_CELL_SINH)
        return c->r_access > 0 ? BR_RES_SINH : BR_SINH;
    return BR_LINEAR;
}

/* (M+1) x N: row i holds the sum of rows 0 .. i-1 of r, per column. */
static double *prefix(const double *r, int M, int N)
{
    double *p = malloc((size_t)(M + 1) * N * sizeof *p);
    if (!p)
        return NULL;
    for (int j = 0; j < N; j++)
        p[j] = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            p[(size_t)(i + 1) * N + j] = p[(size_t)i * N + j] + r[(size_t)i * N + j];
    return p;
}

xb_ladder *xb_ladder_new(const xb_circuit *c, xb_error *err)
{
    if (!xb_ladder_applies(c)) {
        xb_error_set(err, XB_EINVAL, "ladder path: needs gate-input with an ideal or column source line");
        return NULL;
    }
    const int M = c->rows, N = c->cols;
    const size_t mn = (size_t)M * N, m = (size_t)M;
    xb_ladder *l = calloc(1, sizeof *l);
    if (!l) {
        xb_error_set(err, XB_ENOMEM, "ladder path: out of memory");
        return NULL;
    }
    l->M = M;
    l->N = N;
    l->v_read = c->v_read;
    l->sl = c->source_line;
    l->drive = c->sl_drive;
    l->kind = kind_of(c);
    l->nmos = c->nmos;
    l->beta = c->nmos.kp * c->nmos.w / c->nmos.l;
    l->v0 = c->sinh_v0;
    l->r_access = c->r_access;
    l->g = malloc(mn * sizeof *l->g);
    l->rc = malloc(mn * sizeof *l->rc);
    l->rsense = malloc((size_t)N * sizeof *l->rsense);
    l->rsl = c->source_line == XB_SL_COLUMN ? malloc(mn * sizeof *l->rsl) : NULL;
    l->bw = N < LADDER_BLOCK_COLS ? N : LADDER_BLOCK_COLS;
    const size_t slab = (size_t)((N + l->bw - 1) / l->bw) * l->bw * M; /* the last block padded */
    /* ws, wc, wa, gb, pe and pes (where the predictors need them) in one allocation, zeroed (the
     * padding's g and slope), staggered as the block path's work is (see
     * xb_ladder_work_new): the passes walk them at the same row offsets */
    const size_t sstride = (slab * sizeof(double) + 4095) / 4096 * 4096 + LADDER_STAGGER;
    const int nslab = 4 + (!l->rsl || l->kind != BR_LINEAR) + (l->rsl && l->kind != BR_LINEAR);
    l->slabs = calloc(nslab * sstride + 64, 1);
    if (l->slabs) {
        double **sl[] = {&l->ws, &l->wc, &l->wa, &l->gb, &l->pe, &l->pes};
        char *base = (char *)l->slabs + (64 - (uintptr_t)l->slabs % 64) % 64;
        for (int q = 0; q < nslab; q++)
            *sl[q] = (double *)(void *)(base + q * sstride);
    }
    l->row = malloc(m * sizeof *l->row);
    l->rs_gap = malloc(m * sizeof(double));
    l->rc_gap = malloc(m * sizeof(double));
    l->s = malloc(m * sizeof(double));
    l->c = malloc(m * sizeof(double));
    l->a = malloc(m * sizeof(double));
    l->ds = malloc(m * sizeof(double));
    l->dc = malloc(m * sizeof(double));
    l->da = malloc(m * sizeof(double));
    l->keep = malloc(3 * m * sizeof(double));
    l->rg = malloc(m * sizeof *l->rg);
    l->nt = malloc(m * sizeof *l->nt);
    if (!l->g || !l->rc || !l->rsense || (c->source_line == XB_SL_COLUMN && !l->rsl) || !l->slabs || !l->row || !l->rs_gap || !l->rc_gap || !l->s || !l->c || !l->a || !l->ds || !l->dc ||
        !l->da || !l->keep || !l->rg || !l->nt) {
        xb_ladder_free(l);
        xb_error_set(err, XB_ENOMEM, "ladder path: out of memory for %d x %d", M, N);
        return NULL;
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            size_t q = (size_t)i * N + j;
            l->g[q] = l->kind == BR_LINEAR ? xb_circuit_cell_g(c, i, j) : c->g[q];
            l->rc[q] = xb_circuit_r_col(c, i, j);
            if (l->rsl)
                l->rsl[q] = xb_circuit_r_sl(c, i, j);
        }
    for (int j = 0; j < N; j++)
        l->rsense[j] = xb_circuit_r_sense(c, j);
    /* every cell starts from its first guess; the padding of the last block
     * from a cell of nothing */
    for (size_t q = 0; q < slab; q++) {
        l->ws[q] = l->v_read;
        l->wc[q] = l->wa[q] = 0;
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            size_t q = xb_ladder_warm(l, i, j);
            l->gb[q] = l->g[(size_t)i * N + j];
            xb_ladder_cell_reset(l, q, l->gb[q]);
        }
    l->work = xb_ladder_work_new(M, l->bw);
    if (l->kind == BR_LINEAR && l->rsl && l->drive == XB_SL_NEAR) {
        if (!(l->folded = xb_ladder_folded_new(c, err))) {
            xb_ladder_free(l);
            return NULL;
        }
    }
    l->blk_open = calloc((size_t)(N + l->bw - 1) / l->bw, 1);
    for (size_t q = 0; l->blk_open && q < mn; q++)
        if (l->g[q] == 0.0)
            l->blk_open[(q % N) / l->bw] = 1;
    l->triode_safe = l->kind == BR_NMOS_LIN && xb_ladder_triode_safe(l);
    if (!l->work || !l->blk_open) {
        xb_ladder_free(l);
        xb_error_set(err, XB_ENOMEM, "ladder path: out of memory for %d x %d", M, N);
        return NULL;
    }
    /* Prefix sums of the segments for the block path's gaps: a difference of
     * two sums is exact to a few ulps of the larger, far below what changes a
     * current at 1e-10. */
    l->rc_value = c->r_col;
    if (c->r_col_seg && !(l->pc = prefix(l->rc, M, N))) {
        xb_ladder_free(l);
        xb_error_set(err, XB_ENOMEM, "ladder path: out of memory for %d x %d", M, N);
        return NULL;
    }
    l->rs_value = c->r_sl;
    if (l->rsl && c->r_sl_seg && !(l->ps = prefix(l->rsl, M, N))) {
        xb_ladder_free(l);
        xb_error_set(err, XB_ENOMEM, "ladder path: out of memory for %d x %d", M, N);
        return NULL;
    }
    return l;
}

void xb_ladder_counts(const xb_ladder *l, long *iters, long *src_steps)
{
    *iters = l->iters;
    *src_steps = l->src_steps;
}

/* ---- devices ------------------------------------------------------------------- */

/* The branch current at (s, a, c): what flows into the bit line. */
double xb_ladder_branch_current(const xb_ladder *l, double g, double s, double a, double c)
{
    double i, di;
    switch (l->kind) {
    case BR_LINEAR:
        return g * (s - c);
    case BR_SINH:
        return g * l->v0 * sinh((s - c) / l->v0);
    default:
        xb_ladder_cell(l, g, a, c, &i, &di);
        return i;
    }
}

static int has_internal(const xb_ladder *l)
{
    return l->kind == BR_RES_SINH || l->kind == BR_NMOS_LIN || l->kind == BR_NMOS_SINH;
}

/* ---- one column ------------------------------------------------------------------ */

/* The chain of column j for the gate bits x: its enabled rows and the
 * resistances between them.  rc_end: below the last enabled row to the virtual
 * ground; rs_end: from the last (near) or first (far) enabled row to the
 * supply.  Returns K. */
static int chain(xb_ladder *l, int j, const double *x, double *rc_end, double *rs_end)
{
    const int M = l->M, N = l->N;
    int K = 0;
    double rc = 0, rs = 0;
    *rs_end = 0;
    for (int i = 0; i < M; i++) {
        size_t q = (size_t)i * N + j;
        int on = x[i] != 0.0 && l->g[q] != 0.0;
        /* far: segment (i,j) joins the node above to s_i, so it lies before row i */
        if (l->rsl && l->drive == XB_SL_FAR)
            rs += l->rsl[q];
        if (on) {
            if (K > 0) {
                l->rc_gap[K - 1] = rc;
                l->rs_gap[K - 1] = rs;
            } else if (l->drive == XB_SL_FAR) {
                *rs_end = rs;
            }
            l->row[K++] = i;
            rc = rs = 0;
        }
        rc += l->rc[q];
        /* near: segment (i,j) joins s_i+1 (or the supply) to s_i, so it lies after row i */
        if (l->rsl && l->drive == XB_SL_NEAR)
            rs += l->rsl[q];
    }
    *rc_end = rc + l->rsense[j];
    if (l->drive == XB_SL_NEAR || !l->rsl)
        *rs_end = l->rsl ? rs : 0;
    return K;
}

void xb_ladder_sweep(const xb_ladder *l, int K, const rung *rg, const double *rs_gap, const double *rc_gap,
                     double rc_end, double rs_end, double vs, norton *nt, double *s_out, double *c_out)
{
    const int column_sl = l->rsl != NULL, near = l->drive == XB_SL_NEAR;
    norton t = {{0, 0}, {0, 0, 0, 0}, 1};
    if (column_sl && near)
        t.pinned = 0; /* the top of the source line is open */
    else if (column_sl && rs_end > 0) {
        t.pinned = 0; /* far: the supply through the segments above the first row */
        t.J[0] = vs / rs_end;
        t.Y[0] = 1.0 / rs_end;
    }
    for (int k = 0; k < K; k++) {
        const rung *r = &rg[k];
        if (t.pinned) {
            t.J[1] += r->j + r->p * vs;
            t.Y[3] += r->q;
        } else {
            t.J[0] -= r->j;
            t.J[1] += r->j;
            t.Y[0] += r->p;
            t.Y[1] -= r->q;
            t.Y[2] -= r->p;
            t.Y[3] += r->q;
        }
        nt[k] = t;
        if (k == K - 1)
            break;
        double Rs = column_sl ? rs_gap[k] : 0, Rc = rc_gap[k];
        if (t.pinned) {
            double d = 1 + Rc * t.Y[3];
            t.J[1] /= d;
            t.Y[3] /= d;
            if (Rs > 0) { /* the source line leaves the supply: s is carried from here */
                t.pinned = 0;
                t.J[0] = vs / Rs;
                t.Y[0] = 1.0 / Rs;
                t.Y[1] = t.Y[2] = 0;
            }
        } else {
            /* A = I + Y R; Y <- A^-1 Y, J <- A^-1 J */
            double a00 = 1 + t.Y[0] * Rs, a01 = t.Y[1] * Rc, a10 = t.Y[2] * Rs, a11 = 1 + t.Y[3] * Rc;
            double det = a00 * a11 - a01 * a10;
            double Y0 = (a11 * t.Y[0] - a01 * t.Y[2]) / det, Y1 = (a11 * t.Y[1] - a01 * t.Y[3]) / det;
            double Y2 = (a00 * t.Y[2] - a10 * t.Y[0]) / det, Y3 = (a00 * t.Y[3] - a10 * t.Y[1]) / det;
            double J0 = (a11 * t.J[0] - a01 * t.J[1]) / det, J1 = (a00 * t.J[1] - a10 * t.J[0]) / det;
            t.Y[0] = Y0, t.Y[1] = Y1, t.Y[2] = Y2, t.Y[3] = Y3, t.J[0] = J0, t.J[1] = J1;
        }
    }
    /* the last row: the bit line to the virtual ground, the source line to the
     * supply (near) or open (far) */
    const norton *e = &nt[K - 1];
    double s, c;
    if (e->pinned) {
        s = vs;
        c = rc_end * e->J[1] / (1 + rc_end * e->Y[3]);
    } else {
        double m00, m01, b0;
        if (near) {
            m00 = 1 + rs_end * e->Y[0];
            m01 = rs_end * e->Y[1];
            b0 = vs + rs_end * e->J[0];
        } else {
            m00 = e->Y[0];
            m01 = e->Y[1];
            b0 = e->J[0];
        }
        double m10 = rc_end * e->Y[2], m11 = 1 + rc_end * e->Y[3], b1 = rc_end * e->J[1];
        double det = m00 * m11 - m01 * m10;
        s = (b0 * m11 - m01 * b1) / det;
        c = (m00 * b1 - m10 * b0) / det;
    }
    s_out[K - 1] = s;
    c_out[K - 1] = c;
    for (int k = K - 2; k >= 0; k--) {
        const norton *n = &nt[k];
        double Rs = column_sl ? rs_gap[k] : 0, Rc = rc_gap[k];
        if (n->pinned) {
            s_out[k] = vs;
            c_out[k] = (c_out[k + 1] + Rc * n->J[1]) / (1 + Rc * n->Y[3]);
            continue;
        }
        /* v_k = (I + R Y)^-1 (v_k+1 + R J) */
        double b00 = 1 + Rs * n->Y[0], b01 = Rs * n->Y[1], b10 = Rc * n->Y[2], b11 = 1 + Rc * n->Y[3];
        double r0 = s_out[k + 1] + Rs * n->J[0], r1 = c_out[k + 1] + Rc * n->J[1];
        double det = b00 * b11 - b01 * b10;
        s_out[k] = (r0 * b11 - b01 * r1) / det;
        c_out[k] = (b00 * r1 - b10 * r0) / det;
    }
}

/* Linearize every rung of the chain at the current iterate. */
static void linearize(xb_ladder *l, int j, int K, double lam)
{
    for (int k = 0; k < K; k++)
        xb_ladder_branch(l, l->g[(size_t)l->row[k] * l->N + j], lam, l->s[k], l->a[k], l->c[k], &l->rg[k]);
}

/* The largest step fraction (<= 1) that keeps every device's controlling
 * voltages within their limits, as newton.c limits them; -1 when the step is
 * not finite. */
static double step_limit(const xb_ladder *l, int K)
{
    double alpha = 1.0;
    for (int k = 0; k < K; k++) {
        double d, lim;
        switch (l->kind) {
        case BR_LINEAR:
            continue;
        case BR_SINH:
            d = fabs(l->ds[k] - l->dc[k]) / l->v0;
            lim = LD_LIMIT_SINH;
            break;
        case BR_RES_SINH:
            d = fabs(l->da[k] - l->dc[k]) / l->v0;
            lim = LD_LIMIT_SINH;
            break;
        default: /* the gate is fixed: vgs moves with the source (or drain), vds with both */
            d = fmax(fabs(l->ds[k]), fabs(l->da[k])) / LD_LIMIT_VGS;
            d = fmax(d, fabs(l->ds[k] - l->da[k]) / LD_LIMIT_VDS);
            if (l->kind == BR_NMOS_SINH)
                d = fmax(d, fabs(l->da[k] - l->dc[k]) / l->v0 / LD_LIMIT_SINH);
            lim = 1.0;
            break;
        }
        if (!isfinite(d))
            return -1;
        if (d > lim && lim / d < alpha)
            alpha = lim / d;
    }
    return alpha;
}

/* Plain Newton on the chain from the current iterate, sources at level lam.
 * 1 on convergence, 0 when it fails (iterate left as it is). */
static int newton(xb_ladder *l, int j, int K, double lam, double rc_end, double rs_end)
{
    const double vs = lam * l->v_read;
    const int internal = has_internal(l), carry_s = l->rsl != NULL;
    for (int it = 0; it < LD_MAXITER; it++) {
        l->iters++;
        linearize(l, j, K, lam);
        for (int k = 0; k < K; k++) {
            l->ds[k] = l->s[k];
            l->dc[k] = l->c[k];
        }
        xb_ladder_sweep(l, K, l->rg, l->rs_gap, l->rc_gap, rc_end, rs_end, vs, l->nt, l->s, l->c);
        for (int k = 0; k < K; k++) {
            double s1 = l->s[k], c1 = l->c[k];
            l->s[k] = l->ds[k];
            l->c[k] = l->dc[k];
            l->ds[k] = s1 - l->s[k];
            l->dc[k] = c1 - l->c[k];
            if (internal) {
                const rung *r = &l->rg[k];
                l->da[k] = (r->fa + r->ds * l->ds[k] + r->ca * l->dc[k]) / r->den;
            }
        }
        double alpha = step_limit(l, K);
        if (alpha < 0)
            return 0;
        double dmax = 0, xmax = 0;
        for (int k = 0; k < K; k++) {
            l->s[k] += alpha * l->ds[k];
            l->c[k] += alpha * l->dc[k];
            dmax = fmax(dmax, fabs(alpha * l->dc[k]));
            xmax = fmax(xmax, fabs(l->c[k]));
            if (carry_s) {
                dmax = fmax(dmax, fabs(alpha * l->ds[k]));
                xmax = fmax(xmax, fabs(l->s[k]));
            }
            if (internal) {
                l->a[k] += alpha * l->da[k];
                dmax = fmax(dmax, fabs(alpha * l->da[k]));
                xmax = fmax(xmax, fabs(l->a[k]));
            }
        }
        if (!isfinite(dmax))
            return 0;
        if (alpha == 1.0 && dmax <= LD_RELTOL * xmax + LD_VNTOL)
            return 1;
    }
    return 0;
}

static void save(xb_ladder *l, int K)
{
    memcpy(l->keep, l->s, (size_t)K * sizeof *l->s);
    memcpy(l->keep + K, l->c, (size_t)K * sizeof *l->c);
    memcpy(l->keep + 2 * K, l->a, (size_t)K * sizeof *l->a);
}

static void restore(xb_ladder *l, int K)
{
    memcpy(l->s, l->keep, (size_t)K * sizeof *l->s);
    memcpy(l->c, l->keep + K, (size_t)K * sizeof *l->c);
    memcpy(l->a, l->keep + 2 * K, (size_t)K * sizeof *l->a);
}

/* siemens: the access device's small-signal conductance at zero drain-source
 * voltage with its source at V_read (0 without one). */
static double access_g0(const xb_ladder *l)
{
    if (l->kind == BR_RES_SINH)
        return 1.0 / l->r_access;
    if (l->kind == BR_NMOS_LIN || l->kind == BR_NMOS_SINH)
        return fmax(0.0, l->beta * (l->nmos.v_gate - l->nmos.vto - l->v_read));
    return 0;
}

/* A starting point for a cell never solved before: the supply on s, 0 V on the
 * bit line, and the internal node where a device of its small-signal
 * conductance at zero drain-source voltage would put it. */
void xb_ladder_first_guess(const xb_ladder *l, double g, double *s, double *a, double *c)
{
    *s = l->v_read;
    *c = 0;
    const double gd = access_g0(l);
    *a = gd + g > 0 ? gd * *s / (gd + g) : 0;
}

/* The slope da/dc of the first guess is that of the same two conductances in
 * series: the predictor's first model of the cell (any slope would do; this
 * one is close and costs no device evaluation per cell). */
void xb_ladder_cell_reset(const xb_ladder *l, size_t q, double g)
{
    xb_ladder_first_guess(l, g, &l->ws[q], &l->wa[q], &l->wc[q]);
    if (!l->pe)
        return;
    const double gd = access_g0(l), in = has_internal(l) && g + gd > 0;
    l->pe[q] = in ? g / (g + gd) : 0.0;
    if (l->pes)
        l->pes[q] = in ? gd / (g + gd) : 0.0;
}

/* Column j for the gate bits x: Newton from the cells' last solutions, then
 * source stepping; the chain's s, c, a hold the solution on success. */
xb_status xb_ladder_column(xb_ladder *l, int j, const double *x, int *K_out, xb_error *err)
{
    double rc_end, rs_end;
    const int K = chain(l, j, x, &rc_end, &rs_end);
    *K_out = K;
    if (K == 0)
        return XB_OK;
    for (int k = 0; k < K; k++) {
        size_t q = xb_ladder_warm(l, l->row[k], j);
        l->s[k] = l->ws[q];
        l->c[k] = l->wc[q];
        l->a[k] = l->wa[q];
    }
    if (l->kind == BR_LINEAR) { /* a linear ladder: one sweep is the answer */
        linearize(l, j, K, 1.0);
        xb_ladder_sweep(l, K, l->rg, l->rs_gap, l->rc_gap, rc_end, rs_end, l->v_read, l->nt, l->s, l->c);
        return XB_OK;
    }
    if (newton(l, j, K, 1.0, rc_end, rs_end))
        goto done;
    /* source stepping from zero, V_read and the gates ramped together */
    for (int k = 0; k < K; k++)
        l->s[k] = l->c[k] = l->a[k] = 0;
    save(l, K);
    double level = 0, step = LD_SRC_STEP;
    while (level < 1.0) {
        double next = fmin(1.0, level + step);
        l->src_steps++;
        if (newton(l, j, K, next, rc_end, rs_end)) {
            level = next;
            save(l, K);
            step *= 1.5;
        } else {
            restore(l, K);
            step *= 0.5;
            if (step < LD_SRC_MIN_STEP)
                return xb_error_set(err, XB_ECONVERGE,
                                    "column %d: no convergence, even with source stepping (stuck at %.4g%% of "
                                    "the sources)",
                                    j, 100 * level);
        }
    }
done:
    for (int k = 0; k < K; k++) {
        size_t q = xb_ladder_warm(l, l->row[k], j);
        l->ws[q] = l->s[k];
        l->wc[q] = l->c[k];
        l->wa[q] = l->a[k];
    }
    return XB_OK;
}

