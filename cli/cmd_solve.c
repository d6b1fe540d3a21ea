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
            "  --backend B            auto (default: ideal when there are no parasitics, else\n"
            "                         cholmod), cholmod, klu or ideal\n"
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

int xb_cmd_solve(int argc, char **argv)
{
    const char *cmd = "solve";
    xb_circuit_args ca;
    xb_circuit_args_init(&ca);
    const char *out_path = NULL, *nv_path = NULL, *backend = "auto", *max_mem = NULL, *ordering = "default";
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        int r = xb_circuit_args_parse(&ca, cmd, argc, argv, &i);
        if (r < 0)
            return 1;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
            out_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--node-voltages")) {
            nv_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--backend")) {
            backend = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--ordering")) {
            ordering = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--max-memory")) {
            max_mem = argv[++i];
        } else {
            usage(stderr);
            return xb_cli_fail(cmd, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (!out_path)
        return xb_cli_fail(cmd, "--out is required (see xbar solve --help)");
    xb_error err = {0};
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    if (xb_backend_parse(backend, &opt.backend, &err) || xb_ordering_parse(ordering, &opt.ordering, &err) ||
        (max_mem && xb_cli_parse_bytes(max_mem, &opt.max_memory, &err)))
        return xb_cli_fail(cmd, "%s", err.msg);
    xb_circuit *c;
    xb_matrix in;
    size_t k;
    int single;
    if (xb_circuit_args_load(&ca, &c, &in, &k, &single, &err))
        return xb_cli_fail(cmd, "%s", err.msg);
    const int M = c->rows, N = c->cols;
    int rc = 1;
    double *out = NULL, *nv = NULL, *vrow = NULL, *vcol = NULL;
    xb_solver *s = xb_solver_new(c, &opt, &err);
    if (!s) {
        xb_cli_fail(cmd, "%s", err.msg);
        goto done;
    }
    out = malloc(k * (size_t)N * sizeof *out);
    size_t mn = (size_t)M * N;
    /* Detail for the summary: the first vector (all of them for --node-voltages). */
    size_t kd = nv_path ? k : 1;
    if (kd > 0 && mn > ((size_t)1 << 40) / kd) {
        xb_cli_fail(cmd, "--node-voltages: %zu x 2 x %d x %d values are too many", kd, M, N);
        goto done;
    }
    nv = malloc(kd * 2 * mn * sizeof *nv);
    vrow = malloc(kd * mn * sizeof *vrow);
    vcol = malloc(kd * mn * sizeof *vcol);
    if (!out || !nv || !vrow || !vcol) {
        xb_cli_fail(cmd, "out of memory for %zu vectors of %d x %d node voltages", kd, M, N);
        goto done;
    }
    xb_solution d = {vrow, vcol, NULL, NULL};
    if (xb_solver_solve(s, in.data, kd, out, &d, &err) ||
        (k > kd && xb_solver_solve(s, in.data + kd * M, k - kd, out + kd * N, NULL, &err))) {
        xb_cli_fail(cmd, "%s", err.msg);
        goto done;
    }
    size_t shape[4];
    if (single) {
        shape[0] = (size_t)N;
        if (xb_matrix_write(out_path, out, 1, shape, &err)) {
            xb_cli_fail(cmd, "%s", err.msg);
            goto done;
        }
    } else {
        shape[0] = k;
        shape[1] = (size_t)N;
        if (xb_matrix_write(out_path, out, 2, shape, &err)) {
            xb_cli_fail(cmd, "%s", err.msg);
            goto done;
        }
    }
    if (nv_path) {
        for (size_t b = 0; b < k; b++) {
            memcpy(nv + b * 2 * mn, vrow + b * mn, mn * sizeof *nv);
            memcpy(nv + b * 2 * mn + mn, vcol + b * mn, mn * sizeof *nv);
        }
        int nd = 0;
        if (!single)
            shape[nd++] = k;
        shape[nd++] = 2;
        shape[nd++] = (size_t)M;
        shape[nd++] = (size_t)N;
        if (xb_matrix_write(nv_path, nv, nd, shape, &err)) {
            xb_cli_fail(cmd, "%s", err.msg);
            goto done;
        }
    }
    if (!quiet) {
        /* IR drop of the first vector: how far each cell's voltage falls short of
         * the voltage an ideal array would apply to it, as a fraction of the
         * largest applied voltage. */
        double vmax = 0, worst = 0, sum = 0;
        int wi = 0, wj = 0;
        for (int i = 0; i < M; i++) {
            double x = in.data[i];
            double applied = c->topology == XB_TOPO_GATE_INPUT ? (x != 0 ? c->v_read : 0) : x;
            if (fabs(applied) > vmax)
                vmax = fabs(applied);
        }
        for (int i = 0; i < M; i++) {
            double x = in.data[i];
            double applied = c->topology == XB_TOPO_GATE_INPUT ? (x != 0 ? c->v_read : 0) : x;
            if (c->topology == XB_TOPO_GATE_INPUT && x == 0)
                continue;
            for (int j = 0; j < N; j++) {
                double drop = fabs(applied - (vrow[(size_t)i * N + j] - vcol[(size_t)i * N + j]));
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
            for (int i = 0; i < M; i++) {
                double x = in.data[i];
                double applied = c->topology == XB_TOPO_GATE_INPUT ? x * c->v_read : x;
                ideal += xb_circuit_cell_g(c, i, j) * applied;
            }
            num += (out[j] - ideal) * (out[j] - ideal);
            den += ideal * ideal;
        }
        const xb_solver_stats *st = xb_solver_get_stats(s);
        printf("array: %d x %d, %s, %zu vector(s)\n", M, N, xb_topology_name(c->topology), k);
        printf("solver: %s, %d unknowns, %ld matrix entries, %.4g factor entries, %.3g MiB estimated\n",
               st->backend, st->n_unknowns, st->nnz_matrix, st->nnz_factor, st->mem_estimate / 1048576.0);
        printf("time: assemble %.3g s, analyze %.3g s, factor %.3g s (%ld), solve %.3g s (%.3g s per vector)\n",
               st->t_assemble, st->t_analyze, st->t_factor, st->n_factor, st->t_solve, st->t_solve / (double)k);
        printf("ir_drop (vector 0): worst %.6g V = %.4g%% of %.4g V at cell (%d,%d), mean %.6g V\n", worst,
               vmax > 0 ? 100 * worst / vmax : 0.0, vmax, wi, wj,
               sum / ((double)M * N > 0 ? (double)M * N : 1));
        printf("rel_err_vs_ideal (vector 0): %.6g\n", den > 0 ? sqrt(num / den) : 0.0);
        printf("wrote %s\n", out_path);
    }
    rc = 0;
done:
    free(out);
    free(nv);
    free(vrow);
    free(vcol);
    xb_solver_free(s);
    xb_matrix_release(&in);
    xb_circuit_free(c);
    return rc;
}
