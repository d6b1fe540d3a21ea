/* The column ladders (nonlinear devices and column source lines in gate-input)
 * against Newton with KLU over the whole array: random tiles of every device
 * combination, with uniform and per-segment wires (some segments ideal), both
 * source-line drives, node voltages and cell currents; the automatic choice;
 * a circuit Newton cannot solve refused with XB_ECONVERGE by both. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_solver.h"
#include "xb_test.h"

static unsigned long long rng_state = 88172645463325252ULL;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* A random gate-input tile: G in [Gmin, Gmax] with some open cells, wires of
 * R^p up to 1e-3 (uniform or per segment, a fifth of the segments ideal). */
static xb_circuit *random_tile(int M, int N, int access_nmos, int sinh, double r_access, xb_source_line sl,
                               xb_sl_drive drive, int per_segment)
{
    xb_error e;
    xb_circuit *c = xb_circuit_new(M, N, &e);
    if (!c)
        return NULL;
    const double gmax = 1e-5; /* siemens */
    c->topology = XB_TOPO_GATE_INPUT;
    c->v_read = 0.2;
    for (int q = 0; q < M * N; q++)
        c->g[q] = urand() < 0.05 ? 0 : gmax * (0.01 + 0.99 * urand());
    double rp = pow(10, -6 + 3 * urand()); /* R^p from 1e-6 to 1e-3 */
    c->r_col = rp / gmax;
    c->r_sense = 50 * urand();
    if (access_nmos)
        c->access = XB_ACCESS_NMOS;
    else
        c->r_access = r_access;
    if (sinh) {
        c->cell = XB_CELL_SINH;
        c->sinh_v0 = 0.1 + 0.2 * urand();
    }
    c->source_line = sl;
    c->sl_drive = drive;
    if (sl != XB_SL_IDEAL)
        c->r_sl = rp / gmax * (0.5 + urand());
    if (per_segment) {
        xb_circuit_use_col_segments(c, &e);
        for (int q = 0; q < M * N; q++)
            c->r_col_seg[q] = urand() < 0.2 ? 0 : c->r_col * (0.5 + urand());
        if (sl != XB_SL_IDEAL) {
            xb_circuit_use_sl_segments(c, &e);
            for (int q = 0; q < M * N; q++)
                c->r_sl_seg[q] = urand() < 0.2 ? 0 : c->r_sl * (0.5 + urand());
        }
    }
    return c;
}

static xb_status run(const xb_circuit *c, xb_backend b, const double *x, size_t k, double *out,
                     xb_solution *d, const char **name, xb_error *err)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = b;
    xb_solver *s = xb_solver_new(c, &opt, err);
    if (!s)
        return err->code;
    if (name)
        *name = xb_solver_get_stats(s)->backend;
    xb_status st = xb_solver_solve(s, x, k, out, d, err);
    xb_solver_free(s);
    return st;
}

static double max_rel(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t q = 0; q < n; q++) {
        num = fmax(num, fabs(a[q] - b[q]));
        den = fmax(den, fabs(b[q]));
    }
    return den > 0 ? num / den : num;
}

static void compare_one(int M, int N, int access_nmos, int sinh, double r_access, xb_source_line sl,
                        xb_sl_drive drive, int per_segment, double *worst)
{
    xb_circuit *c = random_tile(M, N, access_nmos, sinh, r_access, sl, drive, per_segment);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    const size_t K = 3;
    double *x = malloc(K * M * sizeof *x);
    double *ia = malloc(K * N * sizeof *ia), *ib = malloc(K * N * sizeof *ib);
    size_t mn = (size_t)M * N;
    double *vca = malloc(K * mn * sizeof(double)), *vcb = malloc(K * mn * sizeof(double));
    double *ica = malloc(K * mn * sizeof(double)), *icb = malloc(K * mn * sizeof(double));
    for (size_t q = 0; q < K * M; q++)
        x[q] = urand() < 0.5;
    x[0] = 1; /* at least one enabled row */
    xb_solution da = {NULL, vca, ica, NULL}, db = {NULL, vcb, icb, NULL};
    xb_error e;
    const char *name = "";
    /* without the detail the columns go through the block path, with it one by one */
    double *iblk = malloc(K * N * sizeof *iblk);
    xb_status sa = run(c, XB_BACKEND_AUTO, x, K, ia, &da, &name, &e);
    XB_CHECK_MSG(sa == XB_OK, "auto: %s", e.msg);
    xb_status sblk = run(c, XB_BACKEND_AUTO, x, K, iblk, NULL, NULL, &e);
    XB_CHECK_MSG(sblk == XB_OK, "auto, block path: %s", e.msg);
    XB_CHECK_MSG(!strcmp(name, "column"), "auto chose %s, not the column backend", name);
    /* the reference: Newton with KLU for nonlinear circuits, CHOLMOD for linear ones */
    int nonlinear = xb_circuit_is_nonlinear(c);
    xb_status sb = run(c, nonlinear ? XB_BACKEND_NEWTON : XB_BACKEND_CHOLMOD, x, K, ib, nonlinear ? &db : NULL,
                       NULL, &e);
    XB_CHECK_MSG(sb == XB_OK, "reference: %s", e.msg);
    if (sa == XB_OK && sb == XB_OK) {
        double r = fmax(max_rel(ia, ib, K * N), max_rel(iblk, ib, K * N));
        *worst = fmax(*worst, r);
        XB_CHECK_MSG(r <= 1e-10, "%dx%d nmos=%d sinh=%d r_access=%g sl=%d drive=%d seg=%d: rel err %.3g", M, N,
                     access_nmos, sinh, r_access, (int)sl, (int)drive, per_segment, r);
        if (nonlinear) {
            double rv = max_rel(vca, vcb, K * mn), ri = max_rel(ica, icb, K * mn);
            XB_CHECK_MSG(rv <= 1e-9 && ri <= 1e-9, "node voltages %.3g, cell currents %.3g apart", rv, ri);
        }
    }
    free(x);
    free(iblk);
    free(ia);
    free(ib);
    free(vca);
    free(vcb);
    free(ica);
    free(icb);
    xb_circuit_free(c);
}

static void test_random_tiles(void)
{
    double worst = 0;
    int cases = 0;
    static const int shapes[][2] = {{1, 1}, {7, 3}, {24, 5}, {64, 4}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
        for (int dev = 0; dev < 5; dev++)
            for (int sl = 0; sl < 3; sl++)
                for (int seg = 0; seg < 2; seg++) {
                    int nmos = dev == 1 || dev == 2, sinh = dev == 2 || dev == 3 || dev == 4;
                    double r_access = dev == 4 ? 3000 : dev == 0 ? 1000 : 0;
                    xb_source_line s = sl == 0 ? XB_SL_IDEAL : XB_SL_COLUMN;
                    xb_sl_drive d = sl == 2 ? XB_SL_FAR : XB_SL_NEAR;
                    compare_one(shapes[sh][0], shapes[sh][1], nmos, sinh, r_access, s, d, seg, &worst);
                    cases++;
                }
    printf("ladder vs Newton/KLU (CHOLMOD for linear): %d tiles, worst relative difference %.3g\n", cases, worst);
}

/* Tiles wide enough for whole blocks of columns (32), without open cells: the
 * explicit-vector NMOS kernel (ladder_triode.c) on the full blocks, the
 * general one on the rest; a linear column source line folded into the bit
 * line (near) and swept as a 2-port (far); NMOS access with a column source
 * line (the block's 2-port sweep, ladder_sl.c); heavy wires, where the first
 * steps from the first guess are limited. */
static void test_wide_tiles(void)
{
    double worst = 0;
    static const struct {
        int M, N, nmos, sinh;
        double r_access, rhat;
        xb_source_line sl;
        xb_sl_drive drive;
    } cases[] = {
        {120, 70, 1, 0, 0, 1e-4, XB_SL_IDEAL, XB_SL_NEAR},  {90, 64, 1, 0, 0, 3e-2, XB_SL_IDEAL, XB_SL_NEAR},
        {100, 40, 1, 1, 0, 1e-3, XB_SL_IDEAL, XB_SL_NEAR},  {110, 70, 0, 0, 2e3, 1e-3, XB_SL_COLUMN, XB_SL_NEAR},
        {110, 70, 0, 0, 2e3, 1e-3, XB_SL_COLUMN, XB_SL_FAR}, {80, 33, 1, 0, 0, 1e-3, XB_SL_COLUMN, XB_SL_NEAR},
        {90, 40, 1, 0, 0, 3e-3, XB_SL_COLUMN, XB_SL_FAR},    {70, 36, 1, 1, 0, 1e-3, XB_SL_COLUMN, XB_SL_NEAR},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int M = cases[t].M, N = cases[t].N;
        xb_circuit *c = random_tile(M, N, cases[t].nmos, cases[t].sinh, cases[t].r_access, cases[t].sl,
                                    cases[t].drive, 0);
        XB_CHECK(c != NULL);
        if (!c)
            continue;
        const double gmax = 1e-5; /* random_tile's */
        for (int q = 0; q < M * N; q++)
            if (c->g[q] == 0)
                c->g[q] = gmax * (0.01 + 0.99 * urand());
        c->r_col = cases[t].rhat / gmax;
        if (cases[t].sl != XB_SL_IDEAL)
            c->r_sl = 0.7 * c->r_col;
        const size_t K = 4;
        double *x = malloc(K * M * sizeof *x), *ia = malloc(K * N * sizeof *ia), *ib = malloc(K * N * sizeof *ib);
        for (size_t q = 0; q < K * M; q++)
            x[q] = urand() < 0.6;
        xb_error e;
        xb_status sa = run(c, XB_BACKEND_COLUMN, x, K, ia, NULL, NULL, &e);
        XB_CHECK_MSG(sa == XB_OK, "column: %s", e.msg);
        int nonlinear = xb_circuit_is_nonlinear(c);
        xb_status sb = run(c, nonlinear ? XB_BACKEND_NEWTON : XB_BACKEND_CHOLMOD, x, K, ib, NULL, NULL, &e);
        XB_CHECK_MSG(sb == XB_OK, "reference: %s", e.msg);
        if (sa == XB_OK && sb == XB_OK) {
            double r = max_rel(ia, ib, K * N);
            worst = fmax(worst, r);
            XB_CHECK_MSG(r <= 1e-10, "wide case %zu (%dx%d): rel err %.3g", t, M, N, r);
        }
        free(x);
        free(ia);
        free(ib);
        xb_circuit_free(c);
    }
    printf("wide tiles vs Newton/KLU (CHOLMOD for linear): worst relative difference %.3g\n", worst);
}

/* The block path's predictor (ladder_pinned.c) starts each vector's Newton
 * from the linear ladder of every cell's last linearization, and the triode
 * kernels keep those slopes and sum the currents themselves: NMOS access on
 * an ideal supply, sizes 1..64 (whole blocks of 32 for the AVX-512 kernels),
 * uniform, per-segment and ideal bit lines, vectors with no, some and every
 * row enabled, one solver for many vectors and calls (the predictor's state
 * carried from each to the next), V_read from deep in triode to across the
 * triode/saturation boundary (vg - vto = 0.8 V), against Newton with KLU. */
static void test_predictor(void)
{
    static const int sizes[][2] = {{1, 1}, {3, 2}, {17, 32}, {40, 33}, {64, 64}, {64, 7}};
    static const double v_reads[] = {0.2, 0.8 - 2e-6, 0.8 - 1e-7, 0.8 + 1e-7, 0.85};
    double worst = 0;
    int cases = 0;
    for (size_t sh = 0; sh < sizeof sizes / sizeof sizes[0]; sh++)
        for (size_t vr = 0; vr < sizeof v_reads / sizeof v_reads[0]; vr++)
            for (int wire = 0; wire < 5; wire++) {
                const int M = sizes[sh][0], N = sizes[sh][1];
                /* wire 3, 4: a column source line (ladder_block.c's predictor), near and far */
                xb_circuit *c = random_tile(M, N, 1, 0, 0, wire < 3 ? XB_SL_IDEAL : XB_SL_COLUMN,
                                            wire == 4 ? XB_SL_FAR : XB_SL_NEAR, wire == 1);
                XB_CHECK(c != NULL);
                if (!c)
                    continue;
                c->v_read = v_reads[vr];
                if ((vr + wire) % 2 == 0) /* no open cell: the explicit-vector kernels take whole blocks */
                    for (int q = 0; q < M * N; q++)
                        if (c->g[q] == 0)
                            c->g[q] = 1e-5 * (0.01 + 0.99 * urand());
                if (wire == 2) { /* ideal bit lines: every cell at the virtual ground */
                    c->r_col = 0;
                    c->r_sense = 0;
                } else {
                    c->r_col = pow(10, -4.5 + 1.5 * urand()) / 1e-5; /* R^p 3e-5 .. 1e-3 */
                }
                const size_t K = 6;
                double *x = malloc(K * M * sizeof *x), *ia = malloc(K * N * sizeof *ia);
                double *ib = malloc(K * N * sizeof *ib);
                for (size_t q = 0; q < K * M; q++)
                    x[q] = q < (size_t)M ? 0.0 : q < 2 * (size_t)M ? 1.0 : urand() < 0.5;
                xb_error e;
                xb_solver_options opt;
                xb_solver_options_init(&opt);
                opt.backend = XB_BACKEND_COLUMN;
                xb_solver *s = xb_solver_new(c, &opt, &e);
                XB_CHECK_MSG(s != NULL, "column: %s", e.msg);
                xb_status sb = run(c, XB_BACKEND_NEWTON, x, K, ib, NULL, NULL, &e);
                XB_CHECK_MSG(sb == XB_OK, "reference: %s", e.msg);
                for (int call = 0; s && sb == XB_OK && call < 3; call++) {
                    /* each call once in one batch, once vector by vector */
                    xb_status sa = XB_OK;
                    if (call == 1)
                        for (size_t b = 0; b < K && sa == XB_OK; b++)
                            sa = xb_solver_solve(s, x + b * M, 1, ia + b * N, NULL, &e);
                    else
                        sa = xb_solver_solve(s, x, K, ia, NULL, &e);
                    XB_CHECK_MSG(sa == XB_OK, "column, call %d: %s", call, e.msg);
                    if (sa != XB_OK)
                        break;
                    double r = max_rel(ia, ib, K * N);
                    worst = fmax(worst, r);
                    XB_CHECK_MSG(r <= 1e-10, "%dx%d v_read %.9g wire %d call %d: rel err %.3g", M, N, c->v_read,
                                 wire, call, r);
                }
                cases++;
                xb_solver_free(s);
                free(x);
                free(ia);
                free(ib);
                xb_circuit_free(c);
            }
    printf("predictor: %d NMOS tiles x 3 calls vs Newton/KLU, worst relative difference %.3g\n", cases, worst);
}

/* The predictors pay off: on a bench-like tile (R^p = 1e-4, half the rows
 * on, a new random pattern every vector) Newton needs two iterations a column
 * from the predicted start, where the warm start alone needs three; on an
 * ideal supply and with a column source line. */
static void test_predictor_iterations(xb_source_line sl)
{
    const int M = 256, N = 64;
    xb_circuit *c = random_tile(M, N, 1, 0, 0, sl, XB_SL_NEAR, 0);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    for (int q = 0; q < M * N; q++)
        c->g[q] = 1e-5 * (0.01 + 0.99 * urand());
    c->r_col = 1e-4 / 1e-5;
    if (sl != XB_SL_IDEAL)
        c->r_sl = c->r_col;
    const size_t K = 16;
    double *x = malloc(K * M * sizeof *x), *out = malloc(K * N * sizeof *out);
    for (size_t q = 0; q < K * M; q++)
        x[q] = urand() < 0.5;
    xb_error e;
    xb_solver *s = xb_solver_new(c, NULL, &e);
    XB_CHECK_MSG(s != NULL, "%s", e.msg);
    if (s) {
        XB_CHECK(xb_solver_solve(s, x, K, out, NULL, &e) == XB_OK);
        const long it0 = xb_solver_get_stats(s)->n_newton_iters;
        XB_CHECK(xb_solver_solve(s, x, K, out, NULL, &e) == XB_OK);
        const double per = (double)(xb_solver_get_stats(s)->n_newton_iters - it0) / ((double)K * N);
        printf("predictor (source line %d): %.2f Newton iterations a column on the second pass\n", (int)sl, per);
        XB_CHECK_MSG(per <= 2.5, "%.2f Newton iterations a column: the predictor does not predict", per);
    }
    xb_solver_free(s);
    free(x);
    free(out);
    xb_circuit_free(c);
}

/* Cells whose sinh I-V overflows a double before V_read is reached: no
 * solver can answer, and both must say so instead of returning a number. */
static void test_refused(void)
{
    xb_error e;
    xb_circuit *c = xb_circuit_new(4, 2, &e);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    c->topology = XB_TOPO_GATE_INPUT;
    c->v_read = 0.2;
    c->cell = XB_CELL_SINH;
    c->sinh_v0 = 1e-4; /* sinh(0.2 / 1e-4) is far beyond 1.8e308 */
    c->r_col = 0;      /* nothing but the cells limits the current */
    for (int q = 0; q < 8; q++)
        c->g[q] = 1e-5;
    double x[4] = {1, 1, 0, 1}, out[2] = {NAN, NAN};
    xb_status a = run(c, XB_BACKEND_COLUMN, x, 1, out, NULL, NULL, &e);
    XB_CHECK_MSG(a == XB_ECONVERGE, "column: %s (%s)", xb_status_str(a), e.msg);
    printf("column refuses: %s\n", e.msg);
    xb_status b = run(c, XB_BACKEND_NEWTON, x, 1, out, NULL, NULL, &e);
    XB_CHECK_MSG(b == XB_ECONVERGE, "newton: %s (%s)", xb_status_str(b), e.msg);
    xb_circuit_free(c);
}

/* A source line along the rows couples the columns: not the column backend. */
static void test_row_source_line(void)
{
    xb_circuit *c = random_tile(5, 3, 1, 0, 0, XB_SL_ROW, XB_SL_NEAR, 0);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    XB_CHECK(xb_backend_choose(c) == XB_BACKEND_NEWTON);
    xb_error e;
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_COLUMN;
    xb_solver *s = xb_solver_new(c, &opt, &e);
    XB_CHECK(s == NULL && e.code == XB_EINVAL);
    xb_solver_free(s);
    c->access = XB_ACCESS_RESISTOR;
    XB_CHECK(xb_backend_choose(c) == XB_BACKEND_CHOLMOD);
    xb_circuit_free(c);
}

int main(void)
{
    test_random_tiles();
    test_wide_tiles();
    test_predictor();
    test_predictor_iterations(XB_SL_IDEAL);
    test_predictor_iterations(XB_SL_COLUMN);
    test_refused();
    test_row_source_line();
    XB_TEST_DONE();
}
