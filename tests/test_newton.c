/* The Newton path against independent references: single cells solved by
 * bisection on the device equations, a linear circuit against CHOLMOD, and a
 * circuit beyond double range that must be refused, not answered. */
#include <math.h>
#include <string.h>

#include "xb_solver.h"
#include "xb_test.h"

/* Level-1 NMOS current from drain to source (written out again here, from the
 * SPICE level-1 equations, independent of solver/newton.c). */
static double nmos_i(const xb_nmos *m, double vg, double vd, double vs)
{
    double sign = 1;
    if (vd < vs) {
        double t = vd;
        vd = vs;
        vs = t;
        sign = -1;
    }
    double beta = m->kp * m->w / m->l, vov = vg - vs - m->vto, vds = vd - vs;
    if (vov <= 0)
        return 0;
    double i = vov <= vds ? 0.5 * beta * vov * vov : beta * vds * (vov - 0.5 * vds);
    return sign * i * (1 + m->lambda * vds);
}

static double solve_newton(xb_circuit *c, double x, xb_status *st, xb_error *err)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_NEWTON;
    xb_solver *s = xb_solver_new(c, &opt, err);
    double out = NAN;
    *st = s ? xb_solver_solve(s, &x, 1, &out, NULL, err) : err->code;
    xb_solver_free(s);
    return out;
}

/* 1x1: supply v -> NMOS -> node a -> G -> R (column + sense) -> 0.  The current
 * is continuous and decreasing in V_a on one side and increasing on the other:
 * bisection on f(V_a) = I_mos(V_a) - G (V_a - I R) ... written as the balance
 * at node a with the column voltage eliminated: I = G V_a / (1 + G R). */
static double nmos_reference(const xb_nmos *m, double v, double g, double r)
{
    double lo = fmin(0.0, v), hi = fmax(0.0, v);
    for (int it = 0; it < 200; it++) {
        double va = 0.5 * (lo + hi);
        double f = nmos_i(m, m->v_gate, v, va) - g * va / (1 + g * r);
        if (f > 0) /* f falls from > 0 at the low end to < 0 at the high end */
            lo = va;
        else
            hi = va;
    }
    double va = 0.5 * (lo + hi);
    return g * va / (1 + g * r);
}

static void test_nmos_cell(void)
{
    const double g = 5e-5, r_col = 7, r_sense = 150;
    const double inputs[] = {0.3, 1.0, 1.7, -0.8};
    for (int topo = 0; topo < 2; topo++)
        for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
            double v = inputs[k];
            if (topo == 1 && v < 0)
                continue;
            xb_circuit *c = xb_circuit_new(1, 1, NULL);
            c->g[0] = g;
            c->access = XB_ACCESS_NMOS;
            c->nmos.kp = 3e-4;
            c->nmos.lambda = 0.08;
            c->r_col = r_col;
            c->r_sense = r_sense;
            double x = v;
            if (topo == 1) {
                c->topology = XB_TOPO_GATE_INPUT;
                c->v_read = v;
                x = 1.0;
            }
            xb_status st;
            xb_error err = {0};
            double out = solve_newton(c, x, &st, &err);
            XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
            double ref = nmos_reference(&c->nmos, v, g, r_col + r_sense);
            XB_CHECK_REL(out, ref, ref, 1e-12);
            xb_circuit_free(c);
        }
}

/* 1x1 sinh cell with series resistance R: I = G V0 sinh((v - I R) / V0). */
static void test_sinh_cell(void)
{
    const double g = 8e-5, v0 = 0.2, r = 2000;
    const double inputs[] = {0.05, 0.6, 1.5, -1.0};
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        double v = inputs[k];
        xb_circuit *c = xb_circuit_new(1, 1, NULL);
        c->g[0] = g;
        c->cell = XB_CELL_SINH;
        c->sinh_v0 = v0;
        c->r_access = 500;
        c->r_drv = 300;
        c->r_sense = r - 800;
        double lo = fmin(0, v / r), hi = fmax(0, v / r);
        for (int it = 0; it < 200; it++) {
            double i = 0.5 * (lo + hi);
            double f = g * v0 * sinh((v - i * r) / v0) - i;
            if (f > 0) /* decreasing in i */
                lo = i;
            else
                hi = i;
        }
        double ref = 0.5 * (lo + hi);
        xb_status st;
        xb_error err = {0};
        double out = solve_newton(c, v, &st, &err);
        XB_CHECK_MSG(st == XB_OK, "%s", err.msg);
        XB_CHECK_REL(out, ref, ref, 1e-12);
        xb_circuit_free(c);
    }
}

/* A linear circuit through Newton equals CHOLMOD. */
static void test_linear_through_newton(void)
{
    const int M = 9, N = 7;
    xb_circuit *c = xb_circuit_new(M, N, NULL);
    for (int k = 0; k < M * N; k++)
        c->g[k] = 1e-6 + 1e-6 * (k % 13) * 7;
    c->r_row = 2;
    c->r_col = 3;
    c->r_drv = 40;
    c->r_access = 900;
    double v[M], a[N], b[N];
    for (int i = 0; i < M; i++)
        v[i] = 0.1 * i - 0.3;
    xb_error err = {0};
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_NEWTON;
    xb_solver *s = xb_solver_new(c, &opt, &err), *ref = xb_solver_new(c, NULL, &err);
    XB_CHECK(s && ref);
    XB_CHECK(s && xb_solver_solve(s, v, 1, a, NULL, &err) == XB_OK);
    XB_CHECK(ref && xb_solver_solve(ref, v, 1, b, NULL, &err) == XB_OK);
    double scale = 0;
    for (int j = 0; j < N; j++)
        scale = fmax(scale, fabs(b[j]));
    for (int j = 0; j < N; j++)
        XB_CHECK_REL(a[j], b[j], scale, 1e-12);
    xb_solver_free(s);
    xb_solver_free(ref);
    xb_circuit_free(c);
}

/* A sinh cell whose current overflows a double (ideal wires put the whole 1 V
 * across it) is reported, not answered. */
static void test_failure_is_reported(void)
{
    xb_circuit *c = xb_circuit_new(2, 2, NULL);
    for (int k = 0; k < 4; k++)
        c->g[k] = 1e-5;
    c->cell = XB_CELL_SINH;
    c->sinh_v0 = 1e-4; /* sinh(1 V / 0.1 mV) is far beyond double range */
    double v[2] = {1.0, 1.0}, out[2] = {0, 0};
    xb_error err = {0};
    xb_solver *s = xb_solver_new(c, NULL, &err);
    XB_CHECK(s != NULL);
    xb_status st = s ? xb_solver_solve(s, v, 1, out, NULL, &err) : XB_EINVAL;
    XB_CHECK_MSG(st == XB_ECONVERGE, "status %d: %s", (int)st, err.msg);
    XB_CHECK_MSG(strstr(err.msg, "finite") != NULL, "%s", err.msg);
    xb_solver_free(s);
    /* with 1 ohm column wires the same cells have a finite solution */
    c->r_col = 1;
    s = xb_solver_new(c, NULL, &err);
    st = s ? xb_solver_solve(s, v, 1, out, NULL, &err) : XB_EINVAL;
    XB_CHECK_MSG(st == XB_OK && isfinite(out[0]) && out[0] > 0, "%s", err.msg);
    xb_solver_free(s);
    /* other backends refuse nonlinear circuits */
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_CHOLMOD;
    XB_CHECK(xb_solver_new(c, &opt, &err) == NULL && err.code == XB_EINVAL);
    xb_circuit_free(c);
}

int main(void)
{
    test_nmos_cell();
    test_sinh_cell();
    test_linear_through_newton();
    test_failure_is_reported();
    XB_TEST_DONE();
}
