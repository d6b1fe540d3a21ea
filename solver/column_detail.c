/* column_detail.c: node voltages and cell currents of the column model
 * (column_internal.h), for IR-drop maps: one vector and column at a time. */
#include <stdlib.h>
#include <string.h>

#include "column_internal.h"


/* ohms of the column segment below row i (i < M-1) */
static double seg_r(const column_model *m, int i, int j)
{
    return m->r ? m->r[(size_t)i * m->cols + j] : m->r_value;
}

/* Node voltages and cell currents, one vector and column at a time: the forward
 * walk stores the Norton conductance Y_i at every node, then the backward walk
 * gets V_(M-1) = I R_end and V_i = (V_(i+1) + r_i Y_i V_read) / (1 + r_i Y_i). */
xb_status xb_column_detail(const void *p, const double *x, size_t K, double *out, xb_solution *d, xb_error *err)
{
    const column_model *m = p;
    const int M = m->rows, N = m->cols;
    const double vr = m->v_read;
    double *Y = malloc((size_t)M * sizeof *Y), *V = malloc((size_t)M * sizeof *V);
    if (!Y || !V) {
        free(Y);
        free(V);
        return xb_error_set(err, XB_ENOMEM, "column path: out of memory");
    }
    for (size_t k = 0; k < K; k++) {
        const double *xk = x + k * M;
        size_t base = k * (size_t)M * N;
        if (d && d->i_src)
            memset(d->i_src + k * M, 0, (size_t)M * sizeof *d->i_src);
        for (int j = 0; j < N; j++) {
            double Yc = 0;
            for (int i = 0; i < M; i++) {
                if (i > 0)
                    Yc = Yc / (1.0 + seg_r(m, i - 1, j) * Yc);
                if (xk[i] != 0.0)
                    Yc += m->g[(size_t)i * N + j];
                Y[i] = Yc;
            }
            double I = vr * Yc / (1.0 + m->r_end[j] * Yc);
            out[k * N + j] = I;
            V[M - 1] = I * m->r_end[j];
            for (int i = M - 2; i >= 0; i--) {
                double ri = seg_r(m, i, j);
                V[i] = (V[i + 1] + ri * Y[i] * vr) / (1.0 + ri * Y[i]);
            }
            if (!d)
                continue;
            for (int i = 0; i < M; i++) {
                size_t q = base + (size_t)i * N + j;
                int on = xk[i] != 0.0;
                double ic = on ? m->g[(size_t)i * N + j] * (vr - V[i]) : 0.0;
                if (d->v_row)
                    d->v_row[q] = on ? vr : 0.0;
                if (d->v_col)
                    d->v_col[q] = V[i];
                if (d->i_cell)
                    d->i_cell[q] = ic;
                if (d->i_src)
                    d->i_src[k * M + i] += ic;
            }
        }
    }
    free(Y);
    free(V);
    return XB_OK;
}
