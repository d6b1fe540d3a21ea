/* cli_util.c: argument parsing and circuit loading shared by the subcommands. */
#define _POSIX_C_SOURCE 200809L
#include "cli_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xb_cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xbar %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int xb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xbar %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see xbar %s --help)\n", cmd);
    va_end(ap);
    return 2;
}

void xb_cli_duration(double s, char *buf, size_t cap)
{
    if (!(s >= 0) || s > 359999)
        s = 359999;
    long t = (long)(s + 0.5);
    snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

xb_status xb_cli_parse_bytes(const char *s, size_t *bytes, xb_error *err)
{
    if (!s || !*s)
        return xb_error_set(err, XB_EINVAL, "byte count: empty");
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v <= 0)
        return xb_error_set(err, XB_EINVAL, "byte count '%s': expected a positive number such as 8G or 512M", s);
    double mult = 1;
    if (*end) {
        switch (toupper((unsigned char)*end)) {
        case 'K': mult = 1024.0; break;
        case 'M': mult = 1024.0 * 1024; break;
        case 'G': mult = 1024.0 * 1024 * 1024; break;
        case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
        case 'B': mult = 1; break;
        default:
            return xb_error_set(err, XB_EINVAL, "byte count '%s': unknown unit '%c' (use K, M, G or T)", s, *end);
        }
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return xb_error_set(err, XB_EINVAL, "byte count '%s': trailing characters '%s'", s, end);
    }
    double b = v * mult;
    if (b >= (double)SIZE_MAX)
        return xb_error_set(err, XB_EINVAL, "byte count '%s': too large", s);
    *bytes = (size_t)b;
    return XB_OK;
}

void xb_circuit_args_init(xb_circuit_args *a)
{
    memset(a, 0, sizeof *a);
    a->topology = "input-source";
    a->v_read = 0.2; /* volts: a typical read voltage, used only by gate-input */
    a->access = "resistor";
    a->cell = "linear";
    a->source_line = "ideal";
    a->sl_drive = "near";
    xb_nmos_defaults(&a->nmos);
    a->sinh_v0 = 0.25;
}

const char xb_circuit_args_help[] =
    "circuit:\n"
    "  --conductances G.npy   M x N cell conductances in siemens (.npy float64/float32 or .csv)\n"
    "  --inputs V.npy         one vector of length M, or K x M (K vectors): volts for\n"
    "                         input-source, 0/1 gate bits for gate-input\n"
    "  --topology T           input-source (default) or gate-input\n"
    "  --v-read V             read supply of gate-input, volts (default 0.2)\n"
    "  --r-row R              ohms per row segment (default 0 = ideal wire)\n"
    "  --r-col R              ohms per column segment (default 0)\n"
    "  --r-drv R              driver output resistance, ohms (default 0)\n"
    "  --r-sense R            sense resistance to the virtual ground, ohms (default 0)\n"
    "  --r-access R           access resistance in series with every cell, ohms (default 0)\n"
    "  --r-row-file F.npy     M x N per-segment row resistances (segment (i,j) feeds cell (i,j))\n"
    "  --r-col-file F.npy     M x N per-segment column resistances (segment (i,j) leaves cell (i,j)\n"
    "                         toward the sense end)\n"
    "  --r-drv-file F.npy     M driver resistances, one per row\n"
    "  --r-sense-file F.npy   N sense resistances, one per column\n"
    "  --source-line S        gate-input: how V_read reaches the cells: ideal (default),\n"
    "                         column (a source line beside each bit line) or row (along\n"
    "                         each row, beside the word line)\n"
    "  --r-sl R               ohms per source-line segment (default 0)\n"
    "  --r-sl-file F.npy      M x N per-segment source-line resistances (segment (i,j) feeds\n"
    "                         cell (i,j) from the supply side)\n"
    "  --sl-drive D           column source lines: the supply drives the end near the sense\n"
    "                         amplifiers (near, default) or the far end (far)\n"
    "devices (nonlinear circuits are solved by Newton with KLU):\n"
    "  --access A             resistor (default: --r-access) or nmos: a level-1 NMOS\n"
    "                         (ngspice LEVEL=1), drain on the row side, gates of enabled rows\n"
    "                         at --v-gate\n"
    "  --nmos-kp K            A/V^2 (default 2e-4)     --nmos-vto V   volts (default 0.4)\n"
    "  --nmos-lambda L        1/V (default 0.05)       --nmos-w W, --nmos-l L  metres (1e-6)\n"
    "  --v-gate V             gate voltage of enabled rows, volts (default 1.2)\n"
    "  --cell C               linear (default) or sinh: I = G V0 sinh(V/V0)\n"
    "  --sinh-v0 V            V0 of the sinh cell, volts (default 0.25)\n";

static int take(const char *cmd, int argc, char **argv, int *i, const char **val)
{
    if (*i + 1 >= argc) {
        xb_cli_fail(cmd, "%s needs a value", argv[*i]);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

static int take_double(const char *cmd, int argc, char **argv, int *i, double *out)
{
    const char *flag = argv[*i], *val;
    if (take(cmd, argc, argv, i, &val) < 0)
        return -1;
    if (!xb_parse_double(val, out)) {
        xb_cli_fail(cmd, "%s '%s': not a finite number", flag, val);
        return -1;
    }
    return 1;
}

int xb_circuit_args_parse(xb_circuit_args *a, const char *cmd, int argc, char **argv, int *i)
{
    const char *f = argv[*i];
    struct { const char *flag; const char **dst; } strs[] = {
        {"--conductances", &a->g_path}, {"--inputs", &a->v_path}, {"--topology", &a->topology},
        {"--r-row-file", &a->r_row_file}, {"--r-col-file", &a->r_col_file}, {"--r-drv-file", &a->r_drv_file},
        {"--r-sense-file", &a->r_sense_file}, {"--access", &a->access}, {"--cell", &a->cell},
        {"--source-line", &a->source_line}, {"--sl-drive", &a->sl_drive}, {"--r-sl-file", &a->r_sl_file}};
    for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
        if (!strcmp(f, strs[k].flag))
            return take(cmd, argc, argv, i, strs[k].dst);
    struct { const char *flag; double *dst; } nums[] = {
        {"--v-read", &a->v_read}, {"--r-row", &a->r_row}, {"--r-col", &a->r_col},
        {"--r-drv", &a->r_drv}, {"--r-sense", &a->r_sense}, {"--r-access", &a->r_access},
        {"--nmos-kp", &a->nmos.kp}, {"--nmos-vto", &a->nmos.vto}, {"--nmos-lambda", &a->nmos.lambda},
        {"--nmos-w", &a->nmos.w}, {"--nmos-l", &a->nmos.l}, {"--v-gate", &a->nmos.v_gate},
        {"--sinh-v0", &a->sinh_v0}, {"--r-sl", &a->r_sl}};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
        if (!strcmp(f, nums[k].flag))
            return take_double(cmd, argc, argv, i, nums[k].dst);
    return 0;
}

static xb_status load_array(const char *path, const char *what, size_t want, double **dst, xb_error *err)
{
    xb_matrix m;
    xb_status st = xb_matrix_read(path, &m, err);
    if (st)
        return xb_error_prefix(err, "%s", what);
    if (m.size != want) {
        st = xb_error_set(err, XB_EINVAL, "%s %s: holds %zu values, the circuit needs %zu", what, path, m.size, want);
        xb_matrix_release(&m);
        return st;
    }
    *dst = m.data;
    return XB_OK;
}

xb_status xb_circuit_args_load(const xb_circuit_args *a, xb_circuit **out, xb_matrix *inputs, size_t *k,
                               int *single, xb_error *err)
{
    *out = NULL;
    memset(inputs, 0, sizeof *inputs);
    if (!a->g_path)
        return xb_error_set(err, XB_EINVAL, "--conductances is required");
    if (!a->v_path)
        return xb_error_set(err, XB_EINVAL, "--inputs is required");
    xb_topology topo;
    xb_status st = xb_topology_parse(a->topology, &topo, err);
    if (st)
        return xb_error_prefix(err, "--topology");
    xb_matrix g;
    if ((st = xb_matrix_read(a->g_path, &g, err)))
        return xb_error_prefix(err, "--conductances");
    if (g.ndim != 2 || g.shape[0] == 0 || g.shape[1] == 0) {
        st = xb_error_set(err, XB_EINVAL, "--conductances %s: must be a non-empty M x N matrix, got %d dimension(s)",
                          a->g_path, g.ndim);
        xb_matrix_release(&g);
        return st;
    }
    if (g.shape[0] > (1u << 20) || g.shape[1] > (1u << 20)) {
        st = xb_error_set(err, XB_ETOOBIG, "--conductances %s: %zu x %zu is too large", a->g_path, g.shape[0],
                          g.shape[1]);
        xb_matrix_release(&g);
        return st;
    }
    int M = (int)g.shape[0], N = (int)g.shape[1];
    xb_circuit *c = xb_circuit_new(M, N, err);
    if (!c) {
        xb_matrix_release(&g);
        return err->code;
    }
    memcpy(c->g, g.data, g.size * sizeof *c->g);
    xb_matrix_release(&g);
    c->topology = topo;
    c->v_read = a->v_read;
    c->r_row = a->r_row;
    c->r_col = a->r_col;
    c->r_drv = a->r_drv;
    c->r_sense = a->r_sense;
    c->r_access = a->r_access;
    if (!strcmp(a->access, "nmos"))
        c->access = XB_ACCESS_NMOS;
    else if (strcmp(a->access, "resistor")) {
        xb_circuit_free(c);
        return xb_error_set(err, XB_EINVAL, "--access '%s': must be resistor or nmos", a->access);
    }
    if (!strcmp(a->cell, "sinh"))
        c->cell = XB_CELL_SINH;
    else if (strcmp(a->cell, "linear")) {
        xb_circuit_free(c);
        return xb_error_set(err, XB_EINVAL, "--cell '%s': must be linear or sinh", a->cell);
    }
    c->nmos = a->nmos;
    c->sinh_v0 = a->sinh_v0;
    c->r_sl = a->r_sl;
    if ((st = xb_source_line_parse(a->source_line, &c->source_line, err))) {
        xb_circuit_free(c);
        return xb_error_prefix(err, "--source-line");
    }
    if ((st = xb_sl_drive_parse(a->sl_drive, &c->sl_drive, err))) {
        xb_circuit_free(c);
        return xb_error_prefix(err, "--sl-drive");
    }
    size_t mn = (size_t)M * N;
    if ((a->r_row_file && (st = load_array(a->r_row_file, "--r-row-file", mn, &c->r_row_seg, err))) ||
        (a->r_col_file && (st = load_array(a->r_col_file, "--r-col-file", mn, &c->r_col_seg, err))) ||
        (a->r_drv_file && (st = load_array(a->r_drv_file, "--r-drv-file", (size_t)M, &c->r_drv_row, err))) ||
        (a->r_sense_file && (st = load_array(a->r_sense_file, "--r-sense-file", (size_t)N, &c->r_sense_col, err))) ||
        (a->r_sl_file && (st = load_array(a->r_sl_file, "--r-sl-file", mn, &c->r_sl_seg, err))) ||
        (st = xb_circuit_validate(c, err))) {
        xb_circuit_free(c);
        return st;
    }
    if ((st = xb_matrix_read(a->v_path, inputs, err))) {
        xb_circuit_free(c);
        return xb_error_prefix(err, "--inputs");
    }
    /* Accept (M), (K, M), and a single column (M, 1) when M > 1. */
    int ok = 0;
    if (inputs->ndim == 1 && inputs->shape[0] == (size_t)M) {
        *k = 1;
        *single = 1;
        ok = 1;
    } else if (inputs->ndim == 2 && inputs->shape[1] == (size_t)M && inputs->shape[0] > 0) {
        *k = inputs->shape[0];
        *single = 0;
        ok = 1;
    } else if (inputs->ndim == 2 && M > 1 && inputs->shape[0] == (size_t)M && inputs->shape[1] == 1) {
        *k = 1;
        *single = 1;
        ok = 1;
    }
    if (!ok) {
        char shape[64] = "";
        size_t w = 0;
        for (int d = 0; d < inputs->ndim && w < sizeof shape - 24; d++)
            w += (size_t)snprintf(shape + w, sizeof shape - w, d ? " x %zu" : "%zu", inputs->shape[d]);
        st = xb_error_set(err, XB_EINVAL,
                          "--inputs %s: shape (%s) does not match the %d x %d conductances: expected %d values or K x %d",
                          a->v_path, shape, M, N, M, M);
        xb_matrix_release(inputs);
        xb_circuit_free(c);
        return st;
    }
    if ((st = xb_circuit_check_inputs(c, inputs->data, *k, err))) {
        xb_matrix_release(inputs);
        xb_circuit_free(c);
        return xb_error_prefix(err, "--inputs %s", a->v_path);
    }
    *out = c;
    return XB_OK;
}

int xb_cli_progress_enabled(void)
{
    const char *ci = getenv("CI");
    if (ci && *ci && strcmp(ci, "0") && strcmp(ci, "false"))
        return 0;
    return isatty(STDERR_FILENO);
}
