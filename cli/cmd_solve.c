/* cmd_solve.c: `xbar solve`: solve a crossbar with parasitics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_matrix_io.h"
#include "xb_solver.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar solve --conductances G.npy --inputs V.npy --out I.npy [options]\n\n"
            "Solve the crossbar exactly, wires and all, for one or more input vectors, and write\n"
            "the column currents (amperes into each virtual ground): N values, or K x N.\n"
            "Prints a summary with the worst IR drop of the first vector.\n\n%s\n"
            "solver:\n"
            "  --backend B            auto (default): ideal without parasitics, column for gate-input\n"
            "                         (unless the source line runs along the rows), newton for other\n"
            "                         nonlinear circuits, else cholmod; or cholmod, klu, transfer,\n"
            "                         column, newton, ideal\n"
            "  --ordering O           fill-reducing ordering for cholmod: default (= geometric nested\n"
            "                         dissection along rows and columns), amd, metis, cholmod (its own choice)\n"
            "  --max-memory BYTES     refuse problems that need more (e.g. 8G; default: physical RAM)\n"
            "outputs:\n"
            "  --out I.npy            column currents (.npy or .csv)\n"
            "  --node-voltages F.npy  row and column node voltages, shape [K,] 2 x M x N:\n"
            "                         [0] row node (i,j), [1] column node (i,j)\n"
            "  --quiet                no summary\n",
            xb_circuit_args_help);
}

#define CMD "solve"

/* The command line of one solve. */
typedef struct {
    xb_circuit_args ca;
    const char *out_path, *nv_path, *backend, *max_mem, *ordering;
    int quiet;
} solve_args;

/* argv into a: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, solve_args *a)
{
    xb_circuit_args_init(&a->ca);
    a->out_path = a->nv_path = a->max_mem = NULL;
    a->backend = "auto";
    a->ordering = "default";
    a->quiet = 0;
    for (int i = 1; i < argc; i++) {
        int r = xb_circuit_args_parse(&a->ca, CMD, argc, argv, &i);
        if (r < 0)
            return 1;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--quiet")) {
            a->quiet = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
            a->out_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--node-voltages")) {
            a->nv_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--backend")) {
            a->backend = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--ordering")) {
            a->ordering = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--max-memory")) {
            a->max_mem = argv[++i];
        } else {
            usage(stderr);
            return xb_cli_fail(CMD, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (!a->out_path)
        return xb_cli_fail(CMD, "--out is required (see xbar solve --help)");
    return -1;
}

/* One solve: the circuit, its K input vectors and what the solver gives back. */
typedef struct {
    xb_circuit *c;
    xb_matrix in;          /* K x M inputs */
    size_t k;              /* K */
    int single;            /* 1: the inputs were one vector */
    xb_solver *s;
    double *out;           /* K x N amperes */
    double *vrow, *vcol;   /* volts at the row and column nodes, M x N per vector in detail */
    size_t kd;             /* vectors with node voltages: 1 for the summary, K for --node-voltages */
} solve_run;

static void run_release(solve_run *r)
{
    free(r->out);
    free(r->vrow);
    free(r->vcol);
    xb_solver_free(r->s);
    xb_matrix_release(&r->in);
    xb_circuit_free(r->c);
}

/* Build the solver and solve every vector.  Without --node-voltages the
 * currents come from one solve of all K vectors without detail, the call a
 * library user makes (the Python package's Crossbar.solve), so both give the
 * same bits: asking for node voltages changes the arithmetic of some backends
 * (the transfer matrix solves the nodal system instead of one product) and a
 * warm-started Newton depends on the vectors solved before.  The summary's IR
 * drop of vector 0 is then solved again with detail, after the currents.  With
 * --node-voltages the one solve of all K vectors gives both (as
 * Crossbar.node_voltages does). */
static int run_solve(solve_run *r, const solve_args *a, const xb_solver_options *opt)
{
    xb_error err = {0};
    const int M = r->c->rows, N = r->c->cols;
    r->s = xb_solver_new(r->c, opt, &err);
    if (!r->s)
        return xb_cli_fail(CMD, "%s", err.msg);
    r->out = malloc(r->k * (size_t)N * sizeof *r->out);
    size_t mn = (size_t)M * N;
    r->kd = a->nv_path ? r->k : (a->quiet ? 0 : 1);
    if (r->kd > 0 && mn > ((size_t)1 << 40) / r->kd)
        return xb_cli_fail(CMD, "--node-voltages: %zu x 2 x %d x %d values are too many", r->kd, M, N);
    double *out0 = r->kd && !a->nv_path ? malloc((size_t)N * sizeof *out0) : NULL;
    if (r->kd) {
        r->vrow = malloc(r->kd * mn * sizeof *r->vrow);
        r->vcol = malloc(r->kd * mn * sizeof *r->vcol);
    }
    if (!r->out || (r->kd && (!r->vrow || !r->vcol || (!a->nv_path && !out0)))) {
        free(out0);
        return xb_cli_fail(CMD, "out of memory for %zu vectors of %d x %d node voltages", r->kd, M, N);
    }
    xb_solution d = {r->vrow, r->vcol, NULL, NULL};
    xb_status st = xb_solver_solve(r->s, r->in.data, r->k, r->out, a->nv_path ? &d : NULL, &err);
    if (!st && out0)
        st = xb_solver_solve(r->s, r->in.data, 1, out0, &d, &err);
    free(out0);
    return st ? xb_cli_fail(CMD, "%s", err.msg) : 0;
}

/* The currents, and the node voltages as [K,] 2 x M x N ([0] rows, [1] columns). */
static int write_outputs(const solve_run *r, const solve_args *a)
{
    xb_error err = {0};
    const int M = r->c->rows, N = r->c->cols;
    size_t shape[4];
    int nd = 0;
    if (!r->single)
        shape[nd++] = r->k;
    shape[nd++] = (size_t)N;
    if (xb_matrix_write(a->out_path, r->out, nd, shape, &err))
        return xb_cli_fail(CMD, "%s", err.msg);
    if (!a->nv_path)
        return 0;
    size_t mn = (size_t)M * N;
    double *nv = malloc(r->k * 2 * mn * sizeof *nv);
    if (!nv)
        return xb_cli_fail(CMD, "out of memory for %zu vectors of %d x %d node voltages", r->k, M, N);
    for (size_t b = 0; b < r->k; b++) {
        memcpy(nv + b * 2 * mn, r->vrow + b * mn, mn * sizeof *nv);
        memcpy(nv + b * 2 * mn + mn, r->vcol + b * mn, mn * sizeof *nv);
    }
    nd = 0;
    if (!r->single)
        shape[nd++] = r->k;
    shape[nd++] = 2;
    shape[nd++] = (size_t)M;
    shape[nd++] = (size_t)N;
    int rc = xb_matrix_write(a->nv_path, nv, nd, shape, &err) ? xb_cli_fail(CMD, "%s", err.msg) : 0;
    free(nv);
    return rc;
}

/* Volts an ideal array applies to the cells of row i for input x. */
static double applied_volts(const xb_circuit *c, double x)
{
    return c->topology == XB_TOPO_GATE_INPUT ? (x != 0 ? c->v_read : 0) : x;
}

/* The array, the solver's statistics, the IR drop and the error against the
 * ideal product of the first vector. */
static void print_summary(const solve_run *r, const solve_args *a)
{
    const xb_circuit *c = r->c;
    const double *x = r->in.data;
    const int M = c->rows, N = c->cols;
    /* IR drop of the first vector: how far each cell's voltage falls short of
     * the voltage an ideal array would apply to it, as a fraction of the
     * largest applied voltage. */
    double vmax = 0, worst = 0, sum = 0;
    int wi = 0, wj = 0;
    for (int i = 0; i < M; i++)
        if (fabs(applied_volts(c, x[i])) > vmax)
            vmax = fabs(applied_volts(c, x[i]));
    for (int i = 0; i < M; i++) {
        if (c->topology == XB_TOPO_GATE_INPUT && x[i] == 0)
            continue;
        for (int j = 0; j < N; j++) {
            size_t q = (size_t)i * N + j;
            double drop = fabs(applied_volts(c, x[i]) - (r->vrow[q] - r->vcol[q]));
            sum += drop;
            if (drop > worst) {
                worst = drop;
                wi = i;
                wj = j;
            }
        }
    }
    /* Error against the ideal product G^T v of the first vector. */
    double num = 0, den = 0;
    for (int j = 0; j < N; j++) {
        double ideal = 0;
        for (int i = 0; i < M; i++)
            ideal += xb_circuit_cell_g(c, i, j) * (c->topology == XB_TOPO_GATE_INPUT ? x[i] * c->v_read : x[i]);
        num += (r->out[j] - ideal) * (r->out[j] - ideal);
        den += ideal * ideal;
    }
    const xb_solver_stats *st = xb_solver_get_stats(r->s);
    printf("array: %d x %d, %s, %zu vector(s)\n", M, N, xb_topology_name(c->topology), r->k);
    printf("solver: %s, %d unknowns, %ld matrix entries, %.4g factor entries, %.3g MiB estimated\n", st->backend,
           st->n_unknowns, st->nnz_matrix, st->nnz_factor, st->mem_estimate / 1048576.0);
    printf("time: assemble %.3g s, analyze %.3g s, factor %.3g s (%ld), solve %.3g s (%.3g s per vector)\n",
           st->t_assemble, st->t_analyze, st->t_factor, st->n_factor, st->t_solve, st->t_solve / (double)r->k);
    printf("ir_drop (vector 0): worst %.6g V = %.4g%% of %.4g V at cell (%d,%d), mean %.6g V\n", worst,
           vmax > 0 ? 100 * worst / vmax : 0.0, vmax, wi, wj, sum / ((double)M * N > 0 ? (double)M * N : 1));
    printf("rel_err_vs_ideal (vector 0): %.6g\n", den > 0 ? sqrt(num / den) : 0.0);
    printf("wrote %s\n", a->out_path);
}

int xb_cmd_solve(int argc, char **argv)
{
    solve_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    xb_error err = {0};
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    if (xb_backend_parse(a.backend, &opt.backend, &err) || xb_ordering_parse(a.ordering, &opt.ordering, &err) ||
        (a.max_mem && xb_cli_parse_bytes(a.max_mem, &opt.max_memory, &err)))
        return xb_cli_fail(CMD, "%s", err.msg);
    solve_run r;
    memset(&r, 0, sizeof r);
    if (xb_circuit_args_load(&a.ca, &r.c, &r.in, &r.k, &r.single, &err))
        return xb_cli_fail(CMD, "%s", err.msg);
    rc = run_solve(&r, &a, &opt);
    if (!rc)
        rc = write_outputs(&r, &a);
    if (!rc && !a.quiet)
        print_summary(&r, &a);
    run_release(&r);
    return rc;
}
