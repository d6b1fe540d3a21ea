/* ladder_linear.c: a linear gate-input array with a column source line.
 *
 * Driven at the sense end, it is the linear column model of an ideal source
 * line with each source-line segment added to the bit-line segment beside it:
 * segment i of both lines lies between rows i and i+1 (the last: to the
 * virtual ground and to the supply), and the current of the rows at and above
 * row i flows down the bit line and up the source line there, so the voltage
 * across cell i+1, u = s - c, is that across cell i plus (Rs + Rc) times that
 * current, the recurrence of an ideal supply with a wire of Rs + Rc; the
 * column current is that of the model.  So the column kernels (column.c) solve
 * it, many vectors per pass over G.
 *
 * Driven at the far end the source-line current is the column current minus
 * the current crossed above, and the two lines stay a 2-port: a block of
 * columns at once (the block path's gaps already made, see ladder_block.c),
 * built for AVX2 + FMA too, chosen at load time. */
#include <math.h>
#include <stdlib.h>

#include "ladder.h"
#include "solver_internal.h"

void *xb_ladder_folded_new(const xb_circuit *c, xb_error *err)
{
    if (c->topology != XB_TOPO_GATE_INPUT || c->source_line != XB_SL_COLUMN || c->sl_drive != XB_SL_NEAR ||
        xb_circuit_is_nonlinear(c))
        return NULL;
    xb_circuit *f = xb_circuit_copy(c, err);
    if (!f)
        return NULL;
    const int M = c->rows, N = c->cols;
    xb_status st = XB_OK;
    if (c->r_col_seg || c->r_sl_seg) {
        st = xb_circuit_use_col_segments(f, err);
        for (int i = 0; i < M && !st; i++)
            for (int j = 0; j < N; j++)
                f->r_col_seg[(size_t)i * N + j] = xb_circuit_r_col(c, i, j) + xb_circuit_r_sl(c, i, j);
    } else {
        f->r_col = c->r_col + c->r_sl;
    }
    f->source_line = XB_SL_IDEAL;
    void *m = st ? NULL : xb_column_new(f, err);
    xb_circuit_free(f);
    return m;
}

static size_t at(int k, int jj, int B) { return (size_t)k * B + jj; }

/* Rescale the linear 2-port's relation every this many rows (see linear_sl):
 * one row multiplies its entries by at most 1 + R_gap sum(g), far from 1e300
 * in this many rows for any array xbar can hold. */
#define LB_LINEAR_RESCALE 16

/* A linear array with a column source line needs no Newton and no node
 * voltages: one sweep down each column carries the relation E_i i + E_v v = F
 * between the two lines' voltages v = (s, c) at a row and the currents i =
 * (i_s, i_c) flowing on down, and the bottom's boundary conditions close it.
 *
 *   rung g between s and c:   E_v[:,0] += g u,  E_v[:,1] -= g u,  u = E_i[:,0] - E_i[:,1]
 *   gap (Rs, Rc):             E_i[:,0] += Rs E_v[:,0],  E_i[:,1] += Rc E_v[:,1]
 *
 * No division until the end, ideal wires included; each of the two rows of
 * the relation is rescaled now and then (it is an equation: any scale holds).
 * The column current is i_c at the bottom, into the virtual ground. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
void xb_ladder_linear_sl(const xb_ladder *l, const xb_ladder_work *w, int j0, int B, double *out)
{
    const int K = w->K, near = l->drive == XB_SL_NEAR;
    const double V = l->v_read;
    /* the relation of every column of the block, in arrays of its own so the
     * compiler sees they do not overlap */
    double Ei00[LADDER_BLOCK_COLS], Ei01[LADDER_BLOCK_COLS], Ei10[LADDER_BLOCK_COLS], Ei11[LADDER_BLOCK_COLS];
    double Ev00[LADDER_BLOCK_COLS], Ev01[LADDER_BLOCK_COLS], Ev10[LADDER_BLOCK_COLS], Ev11[LADDER_BLOCK_COLS];
    double F0[LADDER_BLOCK_COLS], F1[LADDER_BLOCK_COLS];
    for (int jj = 0; jj < B; jj++) {
        /* top: both lines open (near), or the source line fed from the supply (far) */
        double Rt = near ? 0 : w->rs[at(0, jj, B)];
        Ei00[jj] = near ? 1 : Rt;
        Ei01[jj] = Ei10[jj] = 0;
        Ei11[jj] = 1;
        Ev00[jj] = near ? 0 : 1;
        Ev01[jj] = Ev10[jj] = Ev11[jj] = 0;
        F0[jj] = near ? 0 : V;
        F1[jj] = 0;
    }
    for (int k = 0; k < K; k++) {
        const double *restrict g = l->gb + (size_t)(j0 / l->bw) * l->M * l->bw + (size_t)w->row[k] * l->bw;
        for (int jj = 0; jj < B; jj++) {
            const double u0 = Ei00[jj] - Ei01[jj], u1 = Ei10[jj] - Ei11[jj];
            Ev00[jj] += g[jj] * u0;
            Ev01[jj] -= g[jj] * u0;
            Ev10[jj] += g[jj] * u1;
            Ev11[jj] -= g[jj] * u1;
        }
        if (k + 1 == K)
            break;
        /* the gap below row k: along the source line, its segments to row k+1
         * (near: w->rs row k; far: row k+1, whose entry is the gap above it) */
        const double *restrict Rs = w->rs + at(near ? k : k + 1, 0, B), *restrict Rc = w->rc + at(k, 0, B);
        for (int jj = 0; jj < B; jj++) {
            Ei00[jj] += Rs[jj] * Ev00[jj];
            Ei10[jj] += Rs[jj] * Ev10[jj];
            Ei01[jj] += Rc[jj] * Ev01[jj];
            Ei11[jj] += Rc[jj] * Ev11[jj];
        }
        if (k % LB_LINEAR_RESCALE == LB_LINEAR_RESCALE - 1)
            for (int jj = 0; jj < B; jj++) {
                double m0 = fabs(Ei00[jj]) + fabs(Ei01[jj]) + fabs(Ev00[jj]) + fabs(Ev01[jj]) + fabs(F0[jj]);
                double m1 = fabs(Ei10[jj]) + fabs(Ei11[jj]) + fabs(Ev10[jj]) + fabs(Ev11[jj]) + fabs(F1[jj]);
                double a0 = m0 > 0 ? 1.0 / m0 : 1.0, a1 = m1 > 0 ? 1.0 / m1 : 1.0;
                Ei00[jj] *= a0, Ei01[jj] *= a0, Ev00[jj] *= a0, Ev01[jj] *= a0, F0[jj] *= a0;
                Ei10[jj] *= a1, Ei11[jj] *= a1, Ev10[jj] *= a1, Ev11[jj] *= a1, F1[jj] *= a1;
            }
    }
    const double *Rend = w->rc + at(K - 1, 0, B);
    for (int jj = 0; jj < B; jj++) {
        const double Re = Rend[jj];
        double a00, a01, a10, a11, b0, b1;
        if (near) {
            /* s = V + Rb i_s (into the supply), c = Re i_c: unknowns i_s, i_c */
            const double Rb = w->rs[at(K - 1, jj, B)];
            a00 = Ei00[jj] + Ev00[jj] * Rb, a01 = Ei01[jj] + Ev01[jj] * Re;
            a10 = Ei10[jj] + Ev10[jj] * Rb, a11 = Ei11[jj] + Ev11[jj] * Re;
            b0 = F0[jj] - Ev00[jj] * V, b1 = F1[jj] - Ev10[jj] * V;
        } else {
            /* i_s = 0 (open), c = Re i_c: unknowns s, i_c */
            a00 = Ev00[jj], a01 = Ei01[jj] + Ev01[jj] * Re;
            a10 = Ev10[jj], a11 = Ei11[jj] + Ev11[jj] * Re;
            b0 = F0[jj], b1 = F1[jj];
        }
        out[jj] = (a00 * b1 - a10 * b0) / (a00 * a11 - a01 * a10);
    }
}

