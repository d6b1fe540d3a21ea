/* bench_device.c: what the real 1T1R array costs over the idealized one, on
 * the gate-input tile of bench mvm: NMOS access against a linear access
 * resistance, and a source line beside every bit line against an ideal
 * supply.  Both sides of a ratio are timed in alternation, sample by sample,
 * so that a change in the machine's load falls on both. */
#include <stdlib.h>

#include "bench_tile.h"

/* The linear stand-in for the transistor: its channel resistance at zero
 * drain-source voltage with the source at V_read, 1 / (KP W/L (V_gate - V_read
 * - VTO)), ohms; with xbar's default level-1 parameters (xb_nmos_defaults) it
 * is 8.3 kilohms. */
static double nmos_on_resistance(const xb_nmos *m, double v_read)
{
    return 1.0 / (m->kp * m->w / m->l * (m->v_gate - v_read - m->vto));
}

/* Seconds per vector of a and b on the same inputs, medians over R samples,
 * and the median of their per-sample ratios. */
static xb_status time_pair(const xb_circuit *a, const xb_circuit *b, const double *v, size_t K, int R,
                           xb_bench_device_result *res, xb_error *err)
{
    xb_solver *sa = xb_solver_new(a, NULL, err), *sb = sa ? xb_solver_new(b, NULL, err) : NULL;
    double *out = malloc(K * (size_t)a->cols * sizeof *out);
    double *ta = malloc((size_t)R * 3 * sizeof *ta), *tb = ta + R, *rt = ta + 2 * R;
    xb_status st = !sa || !sb ? err->code : !out || !ta ? xb_error_set(err, XB_ENOMEM, "bench: out of memory") : XB_OK;
    /* one untimed pass each: first-touch pages and warm starts */
    if (!st)
        st = xb_solver_solve(sa, v, K, out, NULL, err);
    if (!st)
        st = xb_solver_solve(sb, v, K, out, NULL, err);
    int inner_b = 1;
    if (!st) {
        double per;
        st = bench_time(sb, NULL, v, K, out, 1, &per, err);
        inner_b = bench_inner_count(per, K);
    }
    for (int r = 0; r < R && !st; r++) {
        st = bench_time(sa, NULL, v, K, out, 1, &ta[r], err);
        if (!st)
            st = bench_time(sb, NULL, v, K, out, inner_b, &tb[r], err);
        if (!st)
            rt[r] = ta[r] / tb[r];
    }
    if (!st) {
        res->t_new = bench_median(ta, R);
        res->t_base = bench_median(tb, R);
        res->ratio = bench_median(rt, R);
        res->backend = xb_solver_get_stats(sa)->backend;
        res->newton_iters = (double)xb_solver_get_stats(sa)->n_newton_iters /
                            ((double)xb_solver_get_stats(sa)->n_vectors * a->cols);
    }
    xb_solver_free(sa);
    xb_solver_free(sb);
    free(out);
    free(ta);
    return st;
}

xb_status xb_bench_device(const xb_bench_mvm_options *o, size_t vectors,
                          xb_bench_device_result res[XB_BENCH_DEVICE_PAIRS], xb_error *err)
{
    xb_error local;
    if (!err)
        err = &local;
    if (!o || !res || vectors < 1 || o->repeat < 1 || !(o->rhat >= 0) || !(o->density >= 0 && o->density <= 1))
        return xb_error_set(err, XB_EINVAL, "bench device: bad options (vectors >= 1, repeat >= 1, R̂p >= 0, "
                                            "density in [0, 1])");
    const int M = XB_BENCH_DEVICE_ROWS, N = XB_BENCH_DEVICE_COLS;
    xb_circuit *c = NULL, *ci = NULL, *lin = NULL, *sl = NULL;
    double *v = NULL;
    xb_status st = bench_tile_make(o->seed, M, N, XB_TOPO_GATE_INPUT, o->rhat, vectors, o->density, &c, &ci, &v, err);
    if (!st) {
        /* NMOS access against the resistor of its on-resistance */
        lin = xb_circuit_copy(c, err);
        st = lin ? XB_OK : err->code;
    }
    if (!st) {
        lin->r_access = nmos_on_resistance(&c->nmos, c->v_read);
        c->access = XB_ACCESS_NMOS;
        res[0] = (xb_bench_device_result){"nonlinear_vs_linear", M, N, vectors, 0, 0, 0, NULL, 0};
        st = time_pair(c, lin, v, vectors, o->repeat, &res[0], err);
    }
    if (!st) {
        /* a source line of the bit line's resistance against the ideal supply */
        sl = xb_circuit_copy(lin, err);
        st = sl ? XB_OK : err->code;
    }
    if (!st) {
        sl->source_line = XB_SL_COLUMN;
        sl->r_sl = sl->r_col;
        res[1] = (xb_bench_device_result){"source_line_column_vs_ideal", M, N, vectors, 0, 0, 0, NULL, 0};
        st = time_pair(sl, lin, v, vectors, o->repeat, &res[1], err);
    }
    xb_circuit_free(c);
    xb_circuit_free(ci);
    xb_circuit_free(lin);
    xb_circuit_free(sl);
    free(v);
    return st;
}
