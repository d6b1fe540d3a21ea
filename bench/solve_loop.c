/* solve_loop: one array solved vector by vector, N calls of xb_solver_solve
 * with one vector each after one xb_solver_new: the C side of
 * bench/python_vs_c.py, which makes the same calls through the Python package
 * and prints the ratio.
 *
 * usage: solve_loop G.npy V.npy CALLS R_ROW R_COL OUT.npy
 *   G: M x N siemens; V: M volts (input-source); every row and column segment
 *   R_ROW / R_COL ohms; AUTO backend.  Prints 'c_seconds_per_call: <s>' and
 *   writes the currents of the last call to OUT.npy for the bits to be compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_base.h"
#include "xb_matrix_io.h"
#include "xb_solver.h"

static int fail(const xb_error *err)
{
    fprintf(stderr, "solve_loop: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: solve_loop G.npy V.npy CALLS R_ROW R_COL OUT.npy\n");
        return 2;
    }
    xb_error err;
    xb_matrix g, v;
    long calls;
    double r_row, r_col;
    if (!xb_parse_long(argv[3], &calls) || calls < 1 || !xb_parse_double(argv[4], &r_row) ||
        !xb_parse_double(argv[5], &r_col)) {
        fprintf(stderr, "solve_loop: CALLS must be a positive integer, R_ROW and R_COL numbers\n");
        return 2;
    }
    if (xb_matrix_read(argv[1], &g, &err) || xb_matrix_read(argv[2], &v, &err))
        return fail(&err);
    if (g.ndim != 2 || v.ndim != 1 || v.shape[0] != g.shape[0]) {
        fprintf(stderr, "solve_loop: G must be M x N and V of length M\n");
        return 2;
    }
    const int M = (int)g.shape[0], N = (int)g.shape[1];
    xb_circuit *c = xb_circuit_new(M, N, &err);
    if (!c)
        return fail(&err);
    memcpy(c->g, g.data, sizeof(double) * (size_t)M * (size_t)N);
    c->r_row = r_row;
    c->r_col = r_col;
    xb_solver_options o;
    xb_solver_options_init(&o);
    xb_solver *s = xb_solver_new(c, &o, &err);
    if (!s)
        return fail(&err);
    double *out = malloc(sizeof(double) * (size_t)N);
    if (!out)
        return 1;
    double t0 = xb_clock_now();
    for (long k = 0; k < calls; k++)
        if (xb_solver_solve(s, v.data, 1, out, NULL, &err))
            return fail(&err);
    double t = (xb_clock_now() - t0) / (double)calls;
    size_t shape[1] = {(size_t)N};
    if (xb_matrix_write(argv[6], out, 1, shape, &err))
        return fail(&err);
    printf("backend: %s\nc_seconds_per_call: %.9g\n", xb_solver_get_stats(s)->backend, t);
    xb_solver_free(s);
    xb_circuit_free(c);
    free(out);
    free(g.data);
    free(v.data);
    return 0;
}
