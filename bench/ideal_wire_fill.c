/* ideal_wire_fill: what scattered ideal (zero-ohm) wire segments cost CHOLMOD.
 *
 * An ideal segment merges its two nodes before assembly, so the nodal system
 * shrinks; the fill-reducing ordering must still see the array's geometry in
 * what is left.  For each array and each fraction p of segments, a fixed-seed
 * random choice of segments is made ideal (0 ohm), and the same array is
 * built again with those segments at R_SHORT instead (every node kept).  The
 * line gives, for both, the entries of L (xb_solver_stats.nnz_factor, which
 * depends on the structure only) and the numeric factorization time, and the
 * two ratios zero / short.  Times are the best of --repeat runs, the two
 * circuits alternating, so a busy machine hurts both alike.
 *
 * Arrays (CHOLMOD backend, default ordering unless --ordering):
 *   input-source        row and column segments drawn
 *   gate-input          column segments drawn (every row enabled)
 *   gate-input sl=column  column and source-line segments drawn
 *   gate-input sl=row     column and source-line segments drawn
 *
 * usage: ideal_wire_fill [--sizes 128,256,512] [--fractions 0.1,0.3,0.5]
 *                        [--seed S] [--repeat R] [--ordering O] */
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_base.h"
#include "xb_solver.h"

/* The array of bench/vs_ngspice.c: 1 ohm segments, 100 ohm driver and sense,
 * G uniform in [1e-6, 1e-4] S. */
#define G_MIN 1e-6
#define G_MAX 1e-4
#define R_WIRE 1.0
#define R_TERM 100.0
/* ohms: a drawn segment in the reference circuit.  Any positive value keeps both
 * nodes, so the structure (and nnz of L) is that of the array without ideal
 * segments; a milliohm is short next to R_WIRE yet far from rounding trouble. */
#define R_SHORT 1e-3
#define V_READ 0.2 /* volts */
#define MAX_LIST 16

typedef enum { ARR_INPUT_SOURCE, ARR_GATE, ARR_GATE_SL_COLUMN, ARR_GATE_SL_ROW, ARR_COUNT } array_kind;

static const char *array_name[ARR_COUNT] = {"input-source", "gate-input", "gate-input sl=column", "gate-input sl=row"};

/* Set a fraction p of the M*N segments of seg[] to r_drawn, by a fixed-seed draw. */
static void draw(double *seg, size_t mn, double p, gsl_rng *rng, double r_drawn)
{
    for (size_t q = 0; q < mn; q++)
        if (gsl_rng_uniform(rng) < p)
            seg[q] = r_drawn;
}

/* The array of kind a, n x n, with a fraction p of its segments at r_drawn. */
static xb_circuit *make(array_kind a, int n, double p, unsigned long seed, double r_drawn, xb_error *err)
{
    xb_circuit *c = xb_circuit_new(n, n, err);
    if (!c)
        return NULL;
    size_t mn = (size_t)n * n;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (size_t q = 0; q < mn; q++)
        c->g[q] = G_MIN + (G_MAX - G_MIN) * gsl_rng_uniform(rng);
    c->r_col = R_WIRE;
    c->r_sense = R_TERM;
    if (a == ARR_INPUT_SOURCE) {
        c->r_row = R_WIRE;
        c->r_drv = R_TERM;
    } else if (a != ARR_GATE) {
        c->r_sl = R_WIRE;
    }
    if (a != ARR_INPUT_SOURCE) {
        c->topology = XB_TOPO_GATE_INPUT;
        c->v_read = V_READ;
        c->source_line = a == ARR_GATE_SL_COLUMN ? XB_SL_COLUMN : a == ARR_GATE_SL_ROW ? XB_SL_ROW : XB_SL_IDEAL;
    }
    if (xb_circuit_use_col_segments(c, err) || (a == ARR_INPUT_SOURCE && xb_circuit_use_row_segments(c, err)) ||
        ((a == ARR_GATE_SL_COLUMN || a == ARR_GATE_SL_ROW) && xb_circuit_use_sl_segments(c, err))) {
        gsl_rng_free(rng);
        xb_circuit_free(c);
        return NULL;
    }
    /* the same draws for r_drawn = 0 and R_SHORT: the same segments */
    draw(c->r_col_seg, mn, p, rng, r_drawn);
    if (c->r_row_seg)
        draw(c->r_row_seg, mn, p, rng, r_drawn);
    if (c->r_sl_seg)
        draw(c->r_sl_seg, mn, p, rng, r_drawn);
    gsl_rng_free(rng);
    return c;
}

typedef struct {
    double nnz;      /* entries of L */
    double t_factor; /* seconds, best of the runs */
    int unknowns;    /* free node classes */
    int ok;
} measure;

/* One build and one factorization of c (gate-input: all rows enabled). */
static int run_once(const xb_circuit *c, xb_ordering ord, measure *m, xb_error *err)
{
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_CHOLMOD;
    opt.ordering = ord;
    xb_solver *s = xb_solver_new(c, &opt, err);
    if (!s)
        return 0;
    int n = c->rows;
    double *v = malloc((size_t)n * sizeof *v), *out = malloc((size_t)c->cols * sizeof *out);
    for (int i = 0; i < n; i++)
        v[i] = c->topology == XB_TOPO_GATE_INPUT ? 1.0 : 0.5;
    int ok = v && out && !xb_solver_solve(s, v, 1, out, NULL, err);
    if (ok) {
        const xb_solver_stats *st = xb_solver_get_stats(s);
        m->nnz = st->nnz_factor;
        m->unknowns = st->n_unknowns;
        if (!m->ok || st->t_factor < m->t_factor)
            m->t_factor = st->t_factor;
        m->ok = 1;
    }
    free(v);
    free(out);
    xb_solver_free(s);
    return ok;
}

static int parse_list(const char *s, double *out)
{
    int k = 0;
    while (*s && k < MAX_LIST) {
        char *end;
        out[k++] = strtod(s, &end);
        if (end == s)
            return 0;
        s = *end == ',' ? end + 1 : end;
    }
    return k;
}

int main(int argc, char **argv)
{
    double sizes[MAX_LIST] = {128, 256, 512}, fracs[MAX_LIST] = {0.1, 0.3, 0.5};
    int n_sizes = 3, n_fracs = 3, repeat = 3;
    unsigned long seed = 1;
    xb_ordering ord = XB_ORDER_DEFAULT;
    xb_error err = {0};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sizes"))
            n_sizes = parse_list(argv[i + 1], sizes);
        else if (!strcmp(argv[i], "--fractions"))
            n_fracs = parse_list(argv[i + 1], fracs);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--repeat"))
            repeat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ordering")) {
            if (xb_ordering_parse(argv[i + 1], &ord, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 2;
            }
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (n_sizes <= 0 || n_fracs <= 0 || repeat <= 0) {
        fprintf(stderr, "usage: ideal_wire_fill [--sizes a,b] [--fractions p,q] [--seed S] [--repeat R] [--ordering O]\n");
        return 2;
    }
    printf("CHOLMOD, ordering %s, seed %lu, best of %d factorizations; drawn segments at 0 ohm (zero) "
           "or %g ohm (short).\n\n",
           xb_ordering_name(ord), seed, repeat, R_SHORT);
    printf("| array | size | zero | unknowns zero / short | nnz(L) zero | nnz(L) short | fill ratio | "
           "factor s zero | factor s short | time ratio |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int a = 0; a < ARR_COUNT; a++)
        for (int q = 0; q < n_sizes; q++)
            for (int f = 0; f < n_fracs; f++) {
                int n = (int)sizes[q];
                xb_circuit *cz = make((array_kind)a, n, fracs[f], seed, 0.0, &err);
                xb_circuit *cs = cz ? make((array_kind)a, n, fracs[f], seed, R_SHORT, &err) : NULL;
                measure mz = {0, 0, 0, 0}, ms = {0, 0, 0, 0};
                int ok = cz && cs;
                for (int r = 0; ok && r < repeat; r++)
                    ok = run_once(cz, ord, &mz, &err) && run_once(cs, ord, &ms, &err);
                if (ok) {
                    printf("| %s | %d² | %.0f%% | %d / %d | %.4g | %.4g | %.2f | %.3g | %.3g | %.2f |\n", array_name[a], n,
                           100 * fracs[f], mz.unknowns, ms.unknowns, mz.nnz, ms.nnz, mz.nnz / ms.nnz, mz.t_factor, ms.t_factor,
                           mz.t_factor / ms.t_factor);
                } else {
                    printf("| %s | %d² | %.0f%% | failed: %s |\n", array_name[a], n, 100 * fracs[f], err.msg);
                }
                fflush(stdout);
                xb_circuit_free(cz);
                xb_circuit_free(cs);
            }
    return 0;
}
