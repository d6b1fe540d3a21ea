/* ladder_sl.c: the linear 2-port ladder of a column source line (ladder.c's
 * xb_ladder_sweep) for every column of a block at once.
 *
 * Newton on a block with a column source line (ladder_block.c) linearizes the
 * rungs of all its columns in arrays; this sweeps them all, row by row, the
 * columns in the innermost loop: the same Norton 2-port down the rows and the
 * same back-substitution up, in the same order of operations as
 * xb_ladder_sweep.  The one branch there, whether the source line is still
 * held at the supply by ideal wires ("pinned"), is a per-column flag here:
 * both updates are computed and the column's own is kept. */
#include "ladder.h"

#define LS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define LS_INLINE static inline __attribute__((always_inline))

static size_t at(int k, int jj, int B) { return (size_t)k * B + jj; }

/* The Norton states of one row: J0, J1, Y0 .. Y3 and the pinned flag, each
 * a row of B in nt (7 x K x B). */
typedef struct {
    double *J0, *J1, *Y0, *Y1, *Y2, *Y3, *pin;
} ls_rows;

static ls_rows ls_at(double *nt, int K, int B, int k)
{
    const size_t n = (size_t)K * B, q = at(k, 0, B);
    return (ls_rows){nt + q, nt + n + q, nt + 2 * n + q, nt + 3 * n + q, nt + 4 * n + q, nt + 5 * n + q,
                     nt + 6 * n + q};
}

/* Row k going down: the state t (carried, B each) takes row k's rung (p, q,
 * j), is stored, then passes the gap below (Rs, Rc) unless last. */
LS_INLINE void ls_down_row(int B, int last, double vs, const double *restrict p, const double *restrict qq,
                           const double *restrict jr, const double *restrict Rs, const double *restrict Rc,
                           double *restrict J0, double *restrict J1, double *restrict Y0, double *restrict Y1,
                           double *restrict Y2, double *restrict Y3, double *restrict pin, double *restrict sJ0,
                           double *restrict sJ1, double *restrict sY0, double *restrict sY1, double *restrict sY2,
                           double *restrict sY3, double *restrict spin)
{
    for (int jj = 0; jj < B; jj++) {
        const int pd = pin[jj] != 0.0;
        /* the rung: pinned, only the c part; else all of it */
        double j0 = pd ? J0[jj] : J0[jj] - jr[jj];
        double j1 = pd ? J1[jj] + jr[jj] + p[jj] * vs : J1[jj] + jr[jj];
        double y0 = pd ? Y0[jj] : Y0[jj] + p[jj], y1 = pd ? Y1[jj] : Y1[jj] - qq[jj];
        double y2 = pd ? Y2[jj] : Y2[jj] - p[jj], y3 = Y3[jj] + qq[jj];
        sJ0[jj] = j0, sJ1[jj] = j1, sY0[jj] = y0, sY1[jj] = y1, sY2[jj] = y2, sY3[jj] = y3, spin[jj] = pin[jj];
        if (last)
            continue;
        const double rs = Rs[jj], rc = Rc[jj];
        /* pinned: the c part through Rc; the source line leaves the supply
         * where a segment is not ideal */
        const double d = 1 + rc * y3, pj1 = j1 / d, py3 = y3 / d;
        const int leave = rs > 0;
        /* unpinned: A = I + Y R; Y <- A^-1 Y, J <- A^-1 J */
        const double a00 = 1 + y0 * rs, a01 = y1 * rc, a10 = y2 * rs, a11 = 1 + y3 * rc;
        const double det = a00 * a11 - a01 * a10;
        const double u0 = (a11 * y0 - a01 * y2) / det, u1 = (a11 * y1 - a01 * y3) / det;
        const double u2 = (a00 * y2 - a10 * y0) / det, u3 = (a00 * y3 - a10 * y1) / det;
        const double uj0 = (a11 * j0 - a01 * j1) / det, uj1 = (a00 * j1 - a10 * j0) / det;
        J0[jj] = pd ? (leave ? vs / rs : j0) : uj0;
        J1[jj] = pd ? pj1 : uj1;
        Y0[jj] = pd ? (leave ? 1.0 / rs : y0) : u0;
        Y1[jj] = pd ? (leave ? 0.0 : y1) : u1;
        Y2[jj] = pd ? (leave ? 0.0 : y2) : u2;
        Y3[jj] = pd ? py3 : u3;
        pin[jj] = pd && !leave ? 1.0 : 0.0;
    }
}

/* Row k going up from row k+1's voltages (sn, cn); the gap below row k. */
LS_INLINE void ls_up_row(int B, double vs, const double *restrict Rs, const double *restrict Rc,
                         const double *restrict J0, const double *restrict J1, const double *restrict Y0,
                         const double *restrict Y1, const double *restrict Y2, const double *restrict Y3,
                         const double *restrict pin, const double *restrict sn, const double *restrict cn,
                         double *restrict s, double *restrict c)
{
    for (int jj = 0; jj < B; jj++) {
        const double rs = Rs[jj], rc = Rc[jj];
        const double pc = (cn[jj] + rc * J1[jj]) / (1 + rc * Y3[jj]);
        /* v_k = (I + R Y)^-1 (v_k+1 + R J) */
        const double b00 = 1 + rs * Y0[jj], b01 = rs * Y1[jj], b10 = rc * Y2[jj], b11 = 1 + rc * Y3[jj];
        const double r0 = sn[jj] + rs * J0[jj], r1 = cn[jj] + rc * J1[jj];
        const double det = b00 * b11 - b01 * b10;
        const int pd = pin[jj] != 0.0;
        s[jj] = pd ? vs : (r0 * b11 - b01 * r1) / det;
        c[jj] = pd ? pc : (b00 * r1 - b10 * r0) / det;
    }
}

/* The last row: the bit line to the virtual ground through rc_end, the source
 * line to the supply through rs_end (near) or open (far). */
LS_INLINE void ls_bottom(int B, int near, double vs, const double *restrict rc_end, const double *restrict rs_end,
                         const double *restrict J0, const double *restrict J1, const double *restrict Y0,
                         const double *restrict Y1, const double *restrict Y2, const double *restrict Y3,
                         const double *restrict pin, double *restrict s, double *restrict c)
{
    for (int jj = 0; jj < B; jj++) {
        const double re = rc_end[jj], rb = rs_end[jj];
        const double pc = re * J1[jj] / (1 + re * Y3[jj]);
        const double m00 = near ? 1 + rb * Y0[jj] : Y0[jj], m01 = near ? rb * Y1[jj] : Y1[jj];
        const double b0 = near ? vs + rb * J0[jj] : J0[jj];
        const double m10 = re * Y2[jj], m11 = 1 + re * Y3[jj], b1 = re * J1[jj];
        const double det = m00 * m11 - m01 * m10;
        const int pd = pin[jj] != 0.0;
        s[jj] = pd ? vs : (b0 * m11 - m01 * b1) / det;
        c[jj] = pd ? pc : (m00 * b1 - m10 * b0) / det;
    }
}

/* w's rungs (p, q, jr) and gaps (rc, rs) of the block's K rows into the
 * ladder's voltages s1, c1, every column; nt: 7 x K x B of work. */
LS_CLONES void xb_ladder_sweep_block(const xb_ladder *l, xb_ladder_work *w, int B, double vs, double *nt)
{
    const int K = w->K, near = l->drive == XB_SL_NEAR;
    double J0[LADDER_BLOCK_COLS], J1[LADDER_BLOCK_COLS], Y0[LADDER_BLOCK_COLS], Y1[LADDER_BLOCK_COLS];
    double Y2[LADDER_BLOCK_COLS], Y3[LADDER_BLOCK_COLS], pin[LADDER_BLOCK_COLS];
    double rs_gap[LADDER_BLOCK_COLS], rs_end[LADDER_BLOCK_COLS], zero[LADDER_BLOCK_COLS];
    for (int jj = 0; jj < B; jj++) {
        /* near: the top of the source line is open; far: the supply through
         * the segments above the first row (w->rs row 0), pinned if ideal */
        const double rt = near ? 0.0 : w->rs[at(0, jj, B)];
        J0[jj] = !near && rt > 0 ? vs / rt : 0.0;
        Y0[jj] = !near && rt > 0 ? 1.0 / rt : 0.0;
        J1[jj] = Y1[jj] = Y2[jj] = Y3[jj] = 0.0;
        pin[jj] = !near && !(rt > 0) ? 1.0 : 0.0;
        rs_end[jj] = near ? w->rs[at(K - 1, jj, B)] : 0.0;
        zero[jj] = 0.0;
    }
    for (int k = 0; k < K; k++) {
        const ls_rows r = ls_at(nt, K, B, k);
        /* the gap below row k along the source line: near, w->rs row k; far,
         * row k+1 (each far entry is the gap above its row) */
        const double *Rs = k + 1 < K ? w->rs + at(near ? k : k + 1, 0, B) : zero;
        if (k + 1 < K)
            ls_down_row(B, 0, vs, w->p + at(k, 0, B), w->q + at(k, 0, B), w->jr + at(k, 0, B), Rs,
                        w->rc + at(k, 0, B), J0, J1, Y0, Y1, Y2, Y3, pin, r.J0, r.J1, r.Y0, r.Y1, r.Y2, r.Y3, r.pin);
        else
            ls_down_row(B, 1, vs, w->p + at(k, 0, B), w->q + at(k, 0, B), w->jr + at(k, 0, B), Rs,
                        w->rc + at(k, 0, B), J0, J1, Y0, Y1, Y2, Y3, pin, r.J0, r.J1, r.Y0, r.Y1, r.Y2, r.Y3, r.pin);
    }
    const ls_rows e = ls_at(nt, K, B, K - 1);
    ls_bottom(B, near, vs, w->rc + at(K - 1, 0, B), rs_end, e.J0, e.J1, e.Y0, e.Y1, e.Y2, e.Y3, e.pin,
              w->s1 + at(K - 1, 0, B), w->c1 + at(K - 1, 0, B));
    for (int k = K - 2; k >= 0; k--) {
        const ls_rows r = ls_at(nt, K, B, k);
        for (int jj = 0; jj < B; jj++)
            rs_gap[jj] = w->rs[at(near ? k : k + 1, jj, B)];
        ls_up_row(B, vs, rs_gap, w->rc + at(k, 0, B), r.J0, r.J1, r.Y0, r.Y1, r.Y2, r.Y3, r.pin,
                  w->s1 + at(k + 1, 0, B), w->c1 + at(k + 1, 0, B), w->s1 + at(k, 0, B), w->c1 + at(k, 0, B));
    }
}
