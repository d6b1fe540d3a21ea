/* crossbar.c: xbar from C.  Build a 64 x 32 crossbar with wire, driver and sense
 * resistances, solve it for one input vector, and compare the column currents
 * with the ideal product I0 = G^T v that an array without wires would give.
 *
 *   make && ./crossbar          (see Makefile: pkg-config finds the library)
 *
 * Exit status 0 when the numbers hold up: the solver reproduces the ideal
 * product exactly once every resistance is zero, and the wires cost a small,
 * non-zero fraction of the signal; 1 otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xbar/xbar.h>

#define ROWS 64         /* word lines: inputs */
#define COLS 32         /* bit lines: outputs */
#define G_MIN 1e-6      /* siemens: 1 Mohm cells */
#define G_MAX 1e-5      /* siemens: 100 kohm cells */
#define V_MAX 0.2       /* volts on a fully driven row */
#define R_WIRE 2.0      /* ohms per row and column segment */
#define R_TERM 50.0     /* ohms: driver output and sense resistance */

/* A small deterministic generator, so the example needs no other library. */
static double uniform(unsigned long long *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / 9007199254740992.0;
}

static int fail(const char *what, const xb_error *err)
{
    fprintf(stderr, "crossbar: %s: %s\n", what, err->msg);
    return 1;
}

/* Solve c for v into out with the solver's default backend. */
static int solve(const xb_circuit *c, const double *v, double *out, const char **backend, xb_error *err)
{
    xb_solver *s = xb_solver_new(c, NULL, err);
    if (!s)
        return 1;
    xb_status st = xb_solver_solve(s, v, 1, out, NULL, err);
    if (backend)
        *backend = xb_solver_get_stats(s)->backend;
    xb_solver_free(s);
    return st != XB_OK;
}

int main(void)
{
    xb_error err;
    xb_error_clear(&err);
    xb_circuit *c = xb_circuit_new(ROWS, COLS, &err);
    if (!c)
        return fail("xb_circuit_new", &err);
    unsigned long long seed = 42;
    for (int k = 0; k < ROWS * COLS; k++)
        c->g[k] = G_MIN + (G_MAX - G_MIN) * uniform(&seed);
    double v[ROWS], ideal[COLS], exact[COLS], with_wires[COLS];
    for (int i = 0; i < ROWS; i++)
        v[i] = V_MAX * uniform(&seed);

    /* The ideal product, by hand: I0[j] = sum_i G[i][j] v[i]. */
    for (int j = 0; j < COLS; j++) {
        ideal[j] = 0;
        for (int i = 0; i < ROWS; i++)
            ideal[j] += c->g[i * COLS + j] * v[i];
    }

    /* Every resistance 0 (as created): ideal wires, so exactly I0. */
    const char *backend = NULL;
    if (solve(c, v, exact, &backend, &err))
        return fail("solving without parasitics", &err);

    /* The same array with its wires, drivers and sense resistances. */
    c->r_row = c->r_col = R_WIRE;
    c->r_drv = c->r_sense = R_TERM;
    if (xb_circuit_validate(c, &err) != XB_OK)
        return fail("xb_circuit_validate", &err);
    const char *backend_wires = NULL;
    if (solve(c, v, with_wires, &backend_wires, &err))
        return fail("solving with parasitics", &err);

    double worst_exact = 0, num = 0, den = 0;
    printf("%d x %d crossbar, G in [%g, %g] S, v in [0, %g] V\n", ROWS, COLS, G_MIN, G_MAX, V_MAX);
    printf("wires %g ohm per segment, driver and sense %g ohm; backend %s (no wires: %s)\n\n",
           R_WIRE, R_TERM, backend_wires, backend);
    printf("column     ideal I0 (A)   with parasitics (A)   relative difference\n");
    for (int j = 0; j < COLS; j++) {
        double d = (with_wires[j] - ideal[j]) / ideal[j];
        if (j < 8 || j == COLS - 1)
            printf("%6d   %14.6e   %19.6e   %+19.4e\n", j, ideal[j], with_wires[j], d);
        else if (j == 8)
            printf("   ...\n");
        double e = fabs(exact[j] - ideal[j]) / fabs(ideal[j]);
        if (e > worst_exact)
            worst_exact = e;
        num += (with_wires[j] - ideal[j]) * (with_wires[j] - ideal[j]);
        den += ideal[j] * ideal[j];
    }
    double rel = sqrt(num / den);
    printf("\nrelative RMS difference with parasitics: %.4e\n", rel);
    printf("largest relative difference without parasitics: %.3e\n", worst_exact);
    xb_circuit_free(c);

    int ok = 1;
    if (!(worst_exact <= 1e-12)) {
        fprintf(stderr, "crossbar: without parasitics the solver should give the ideal product\n");
        ok = 0;
    }
    /* About 4e-2 for this array: large enough to be real, far from a broken solve. */
    if (!(rel > 1e-4 && rel < 0.2)) {
        fprintf(stderr, "crossbar: a relative difference of %g is implausible for these wires\n", rel);
        ok = 0;
    }
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
