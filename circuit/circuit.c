/* circuit.c: allocation and validation of the crossbar description. */
#include "xb_circuit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest array side accepted: the node count 2*M*N must fit comfortably in int
 * indices of the sparse solvers. */
#define XB_MAX_SIDE (1 << 20)
#define XB_MAX_CELLS ((size_t)1 << 29)

xb_circuit *xb_circuit_new(int rows, int cols, xb_error *err)
{
    if (rows < 1 || rows > XB_MAX_SIDE) {
        xb_error_set(err, XB_EINVAL, "rows = %d: must be between 1 and %d", rows, XB_MAX_SIDE);
        return NULL;
    }
    if (cols < 1 || cols > XB_MAX_SIDE) {
        xb_error_set(err, XB_EINVAL, "cols = %d: must be between 1 and %d", cols, XB_MAX_SIDE);
        return NULL;
    }
    if ((size_t)rows * (size_t)cols > XB_MAX_CELLS) {
        xb_error_set(err, XB_ETOOBIG, "%d x %d = %zu cells: more than the %zu supported", rows, cols,
                     (size_t)rows * cols, XB_MAX_CELLS);
        return NULL;
    }
    xb_circuit *c = calloc(1, sizeof *c);
    if (!c) {
        xb_error_set(err, XB_ENOMEM, "circuit: out of memory");
        return NULL;
    }
    c->rows = rows;
    c->cols = cols;
    c->topology = XB_TOPO_INPUT_SOURCE;
    xb_nmos_defaults(&c->nmos);
    c->sinh_v0 = 0.25; /* volts */
    c->g = calloc((size_t)rows * cols, sizeof *c->g);
    if (!c->g) {
        free(c);
        xb_error_set(err, XB_ENOMEM, "circuit: out of memory for %d x %d conductances", rows, cols);
        return NULL;
    }
    return c;
}

void xb_circuit_free(xb_circuit *c)
{
    if (!c)
        return;
    free(c->g);
    free(c->r_row_seg);
    free(c->r_col_seg);
    free(c->r_drv_row);
    free(c->r_sense_col);
    free(c->r_sl_seg);
    free(c);
}

static double *dup_array(const double *src, size_t n, int *fail)
{
    if (!src)
        return NULL;
    double *d = malloc(n * sizeof *d);
    if (!d) {
        *fail = 1;
        return NULL;
    }
    memcpy(d, src, n * sizeof *d);
    return d;
}

xb_circuit *xb_circuit_copy(const xb_circuit *c, xb_error *err)
{
    if (!c) {
        xb_error_set(err, XB_EINVAL, "circuit copy: NULL circuit");
        return NULL;
    }
    xb_circuit *d = xb_circuit_new(c->rows, c->cols, err);
    if (!d)
        return NULL;
    double *g = d->g;
    *d = *c;
    d->g = g;
    size_t mn = (size_t)c->rows * c->cols;
    memcpy(d->g, c->g, mn * sizeof *d->g);
    int fail = 0;
    d->r_row_seg = dup_array(c->r_row_seg, mn, &fail);
    d->r_col_seg = dup_array(c->r_col_seg, mn, &fail);
    d->r_drv_row = dup_array(c->r_drv_row, (size_t)c->rows, &fail);
    d->r_sense_col = dup_array(c->r_sense_col, (size_t)c->cols, &fail);
    d->r_sl_seg = dup_array(c->r_sl_seg, mn, &fail);
    if (fail) {
        xb_circuit_free(d);
        xb_error_set(err, XB_ENOMEM, "circuit copy: out of memory");
        return NULL;
    }
    return d;
}

static xb_status fill_new(double **slot, size_t n, double value, const char *what, xb_error *err)
{
    if (*slot)
        return XB_OK;
    double *a = malloc(n * sizeof *a);
    if (!a)
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory for %zu values", what, n);
    for (size_t k = 0; k < n; k++)
        a[k] = value;
    *slot = a;
    return XB_OK;
}

xb_status xb_circuit_use_row_segments(xb_circuit *c, xb_error *err)
{
    return fill_new(&c->r_row_seg, (size_t)c->rows * c->cols, c->r_row, "r_row_seg", err);
}

xb_status xb_circuit_use_col_segments(xb_circuit *c, xb_error *err)
{
    return fill_new(&c->r_col_seg, (size_t)c->rows * c->cols, c->r_col, "r_col_seg", err);
}

xb_status xb_circuit_use_driver_rows(xb_circuit *c, xb_error *err)
{
    return fill_new(&c->r_drv_row, (size_t)c->rows, c->r_drv, "r_drv_row", err);
}

xb_status xb_circuit_use_sense_cols(xb_circuit *c, xb_error *err)
{
    return fill_new(&c->r_sense_col, (size_t)c->cols, c->r_sense, "r_sense_col", err);
}

xb_status xb_circuit_use_sl_segments(xb_circuit *c, xb_error *err)
{
    return fill_new(&c->r_sl_seg, (size_t)c->rows * c->cols, c->r_sl, "r_sl_seg", err);
}

static int bad_resistance(double r) { return !isfinite(r) || r < 0.0; }

static xb_status check_scalar(double r, const char *name, xb_error *err)
{
    if (bad_resistance(r))
        return xb_error_set(err, XB_EINVAL, "%s = %g: resistance must be finite and >= 0 ohms", name, r);
    return XB_OK;
}

static xb_status check_matrix(const double *a, int m, int n, const char *name, xb_error *err)
{
    if (!a)
        return XB_OK;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double r = a[(size_t)i * n + j];
            if (bad_resistance(r))
                return xb_error_set(err, XB_EINVAL,
                                    "%s[%d][%d] = %g: resistance must be finite and >= 0 ohms", name, i, j, r);
        }
    return XB_OK;
}

static xb_status check_vector(const double *a, int n, const char *name, xb_error *err)
{
    if (!a)
        return XB_OK;
    for (int i = 0; i < n; i++)
        if (bad_resistance(a[i]))
            return xb_error_set(err, XB_EINVAL, "%s[%d] = %g: resistance must be finite and >= 0 ohms", name,
                                i, a[i]);
    return XB_OK;
}

static int any_nonzero(double uniform, const double *a, size_t n)
{
    if (a) {
        for (size_t k = 0; k < n; k++)
            if (a[k] != 0.0)
                return 1;
        return 0;
    }
    return uniform != 0.0;
}

/* A source line exists only in gate-input; a resistance on one that is not
 * there would be silently ignored, so it is refused instead. */
static xb_status check_source_line(const xb_circuit *c, xb_error *err)
{
    if (c->source_line != XB_SL_IDEAL && c->source_line != XB_SL_COLUMN && c->source_line != XB_SL_ROW)
        return xb_error_set(err, XB_EINVAL, "source_line = %d: must be ideal, column or row", (int)c->source_line);
    if (c->sl_drive != XB_SL_NEAR && c->sl_drive != XB_SL_FAR)
        return xb_error_set(err, XB_EINVAL, "sl_drive = %d: must be near or far", (int)c->sl_drive);
    xb_status st;
    if ((st = check_scalar(c->r_sl, "r_sl", err)) ||
        (st = check_matrix(c->r_sl_seg, c->rows, c->cols, "r_sl_seg", err)))
        return st;
    if (c->source_line != XB_SL_IDEAL && c->topology != XB_TOPO_GATE_INPUT)
        return xb_error_set(err, XB_EINVAL, "source_line = %s: source lines belong to gate-input arrays",
                            xb_source_line_name(c->source_line));
    if (c->source_line == XB_SL_IDEAL && any_nonzero(c->r_sl, c->r_sl_seg, (size_t)c->rows * c->cols))
        return xb_error_set(err, XB_EINVAL, "r_sl: there is no source line (source_line = ideal); set it to 0 "
                            "or choose source_line = column or row");
    return XB_OK;
}

xb_status xb_circuit_validate(const xb_circuit *c, xb_error *err)
{
    if (!c)
        return xb_error_set(err, XB_EINVAL, "circuit: NULL");
    if (c->rows < 1 || c->cols < 1)
        return xb_error_set(err, XB_EINVAL, "circuit size %d x %d: rows and cols must be >= 1", c->rows, c->cols);
    if (!c->g)
        return xb_error_set(err, XB_EINVAL, "circuit: conductance matrix g is NULL");
    if (c->topology != XB_TOPO_INPUT_SOURCE && c->topology != XB_TOPO_GATE_INPUT)
        return xb_error_set(err, XB_EINVAL, "topology = %d: must be input-source or gate-input", (int)c->topology);
    for (int i = 0; i < c->rows; i++)
        for (int j = 0; j < c->cols; j++) {
            double g = c->g[(size_t)i * c->cols + j];
            if (!isfinite(g) || g < 0.0)
                return xb_error_set(err, XB_EINVAL, "g[%d][%d] = %g: conductance must be finite and >= 0 siemens",
                                    i, j, g);
        }
    xb_status st;
    if ((st = check_scalar(c->r_access, "r_access", err)) || (st = check_scalar(c->r_row, "r_row", err)) ||
        (st = check_scalar(c->r_col, "r_col", err)) || (st = check_scalar(c->r_drv, "r_drv", err)) ||
        (st = check_scalar(c->r_sense, "r_sense", err)) ||
        (st = check_matrix(c->r_row_seg, c->rows, c->cols, "r_row_seg", err)) ||
        (st = check_matrix(c->r_col_seg, c->rows, c->cols, "r_col_seg", err)) ||
        (st = check_vector(c->r_drv_row, c->rows, "r_drv_row", err)) ||
        (st = check_vector(c->r_sense_col, c->cols, "r_sense_col", err)) ||
        (st = check_source_line(c, err)))
        return st;
    if (c->access != XB_ACCESS_RESISTOR && c->access != XB_ACCESS_NMOS)
        return xb_error_set(err, XB_EINVAL, "access = %d: must be resistor or nmos", (int)c->access);
    if (c->cell != XB_CELL_LINEAR && c->cell != XB_CELL_SINH)
        return xb_error_set(err, XB_EINVAL, "cell = %d: must be linear or sinh", (int)c->cell);
    if (c->access == XB_ACCESS_NMOS) {
        const xb_nmos *m = &c->nmos;
        if (c->r_access != 0.0)
            return xb_error_set(err, XB_EINVAL, "r_access = %g: an NMOS access device replaces the access resistance; "
                                "set it to 0", c->r_access);
        if (!isfinite(m->kp) || m->kp <= 0)
            return xb_error_set(err, XB_EINVAL, "nmos.kp = %g: must be finite and > 0 A/V^2", m->kp);
        if (!isfinite(m->vto))
            return xb_error_set(err, XB_EINVAL, "nmos.vto = %g: must be finite", m->vto);
        if (!isfinite(m->lambda) || m->lambda < 0)
            return xb_error_set(err, XB_EINVAL, "nmos.lambda = %g: must be finite and >= 0 /V", m->lambda);
        if (!isfinite(m->w) || m->w <= 0)
            return xb_error_set(err, XB_EINVAL, "nmos.w = %g: must be finite and > 0 m", m->w);
        if (!isfinite(m->l) || m->l <= 0)
            return xb_error_set(err, XB_EINVAL, "nmos.l = %g: must be finite and > 0 m", m->l);
        if (!isfinite(m->v_gate))
            return xb_error_set(err, XB_EINVAL, "nmos.v_gate = %g: must be finite", m->v_gate);
    }
    if (c->cell == XB_CELL_SINH && (!isfinite(c->sinh_v0) || c->sinh_v0 <= 0))
        return xb_error_set(err, XB_EINVAL, "sinh_v0 = %g: must be finite and > 0 volts", c->sinh_v0);
    if (c->topology == XB_TOPO_GATE_INPUT) {
        if (!isfinite(c->v_read))
            return xb_error_set(err, XB_EINVAL, "v_read = %g: read voltage must be finite", c->v_read);
        /* The gate-input rows are ideal: a row or driver resistance would be
         * silently ignored, so it is refused instead. */
        size_t mn = (size_t)c->rows * c->cols;
        if (any_nonzero(c->r_row, c->r_row_seg, mn))
            return xb_error_set(err, XB_EINVAL,
                                "r_row: gate-input rows carry no wire resistance; set row resistances to 0");
        if (any_nonzero(c->r_drv, c->r_drv_row, (size_t)c->rows))
            return xb_error_set(err, XB_EINVAL,
                                "r_drv: gate-input cells are fed by an ideal V_read; set the driver resistance to 0");
    }
    return XB_OK;
}

double xb_circuit_cell_g(const xb_circuit *c, int i, int j)
{
    double g = c->g[(size_t)i * c->cols + j];
    if (g == 0.0)
        return 0.0;
    if (c->r_access == 0.0)
        return g;
    return 1.0 / (1.0 / g + c->r_access);
}

int xb_circuit_is_nonlinear(const xb_circuit *c)
{
    return c->access == XB_ACCESS_NMOS || c->cell == XB_CELL_SINH;
}

void xb_nmos_defaults(xb_nmos *m)
{
    m->kp = 2e-4;
    m->vto = 0.4;
    m->lambda = 0.05;
    m->w = 1e-6;
    m->l = 1e-6;
    m->v_gate = 1.2;
}

int xb_circuit_is_ideal(const xb_circuit *c)
{
    size_t mn = (size_t)c->rows * c->cols;
    return !any_nonzero(c->r_row, c->r_row_seg, mn) && !any_nonzero(c->r_col, c->r_col_seg, mn) &&
           !any_nonzero(c->r_drv, c->r_drv_row, (size_t)c->rows) &&
           !any_nonzero(c->r_sense, c->r_sense_col, (size_t)c->cols) &&
           (c->source_line == XB_SL_IDEAL || !any_nonzero(c->r_sl, c->r_sl_seg, mn));
}

void xb_circuit_strip_parasitics(xb_circuit *c)
{
    if (!c)
        return;
    free(c->r_row_seg);
    free(c->r_col_seg);
    free(c->r_drv_row);
    free(c->r_sense_col);
    free(c->r_sl_seg);
    c->r_row_seg = c->r_col_seg = c->r_drv_row = c->r_sense_col = c->r_sl_seg = NULL;
    c->r_row = c->r_col = c->r_drv = c->r_sense = c->r_sl = 0.0;
    c->source_line = XB_SL_IDEAL; /* V_read straight at every cell */
    c->sl_drive = XB_SL_NEAR;
}

xb_status xb_circuit_check_inputs(const xb_circuit *c, const double *v, size_t k, xb_error *err)
{
    /* A branch-free pass over everything first (this runs on every solve of
     * analog inference), then a second pass only to name the bad entry. */
    const size_t n = k * (size_t)c->rows;
    int bad = 0;
    if (c->topology == XB_TOPO_GATE_INPUT)
        for (size_t q = 0; q < n; q++)
            bad |= (v[q] != 0.0) & (v[q] != 1.0);
    else
        for (size_t q = 0; q < n; q++)
            bad |= !(v[q] - v[q] == 0.0); /* NaN or infinite */
    if (!bad)
        return XB_OK;
    for (size_t b = 0; b < k; b++)
        for (int i = 0; i < c->rows; i++) {
            double x = v[b * (size_t)c->rows + i];
            if (c->topology == XB_TOPO_GATE_INPUT) {
                if (x != 0.0 && x != 1.0)
                    return xb_error_set(err, XB_EINVAL,
                                        "input[%zu][%d] = %g: gate-input entries must be exactly 0 or 1", b, i, x);
            } else if (!isfinite(x)) {
                return xb_error_set(err, XB_EINVAL, "input[%zu][%d] = %g: input voltage must be finite", b, i, x);
            }
        }
    return XB_OK;
}

const char *xb_topology_name(xb_topology t)
{
    return t == XB_TOPO_GATE_INPUT ? "gate-input" : "input-source";
}

xb_status xb_topology_parse(const char *s, xb_topology *t, xb_error *err)
{
    if (s && !strcmp(s, "input-source")) {
        *t = XB_TOPO_INPUT_SOURCE;
        return XB_OK;
    }
    if (s && !strcmp(s, "gate-input")) {
        *t = XB_TOPO_GATE_INPUT;
        return XB_OK;
    }
    return xb_error_set(err, XB_EINVAL, "topology '%s': must be input-source or gate-input", s ? s : "(null)");
}

const char *xb_source_line_name(xb_source_line s)
{
    return s == XB_SL_COLUMN ? "column" : s == XB_SL_ROW ? "row" : "ideal";
}

xb_status xb_source_line_parse(const char *s, xb_source_line *out, xb_error *err)
{
    static const xb_source_line all[] = {XB_SL_IDEAL, XB_SL_COLUMN, XB_SL_ROW};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (s && !strcmp(s, xb_source_line_name(all[k]))) {
            *out = all[k];
            return XB_OK;
        }
    return xb_error_set(err, XB_EINVAL, "source_line '%s': must be ideal, column or row", s ? s : "(null)");
}

const char *xb_sl_drive_name(xb_sl_drive d)
{
    return d == XB_SL_FAR ? "far" : "near";
}

xb_status xb_sl_drive_parse(const char *s, xb_sl_drive *out, xb_error *err)
{
    if (s && (!strcmp(s, "near") || !strcmp(s, "far"))) {
        *out = !strcmp(s, "far") ? XB_SL_FAR : XB_SL_NEAR;
        return XB_OK;
    }
    return xb_error_set(err, XB_EINVAL, "sl_drive '%s': must be near or far", s ? s : "(null)");
}

static unsigned long long fnv(unsigned long long h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t k = 0; k < n; k++) {
        h ^= p[k];
        h *= 1099511628211ULL;
    }
    return h;
}

static unsigned long long fnv_opt(unsigned long long h, const double *a, size_t n, double uniform)
{
    unsigned char tag = a != NULL;
    h = fnv(h, &tag, 1);
    return a ? fnv(h, a, n * sizeof *a) : fnv(h, &uniform, sizeof uniform);
}

unsigned long long xb_circuit_hash(const xb_circuit *c)
{
    unsigned long long h = 14695981039346656037ULL;
    size_t mn = (size_t)c->rows * c->cols;
    int topo = (int)c->topology;
    h = fnv(h, &c->rows, sizeof c->rows);
    h = fnv(h, &c->cols, sizeof c->cols);
    h = fnv(h, &topo, sizeof topo);
    h = fnv(h, &c->v_read, sizeof c->v_read);
    h = fnv(h, &c->r_access, sizeof c->r_access);
    int kinds[2] = {(int)c->access, (int)c->cell};
    h = fnv(h, kinds, sizeof kinds);
    if (c->access == XB_ACCESS_NMOS)
        h = fnv(h, &c->nmos, sizeof c->nmos);
    if (c->cell == XB_CELL_SINH)
        h = fnv(h, &c->sinh_v0, sizeof c->sinh_v0);
    h = fnv(h, c->g, mn * sizeof *c->g);
    h = fnv_opt(h, c->r_row_seg, mn, c->r_row);
    h = fnv_opt(h, c->r_col_seg, mn, c->r_col);
    h = fnv_opt(h, c->r_drv_row, (size_t)c->rows, c->r_drv);
    h = fnv_opt(h, c->r_sense_col, (size_t)c->cols, c->r_sense);
    /* Only a real source line enters the hash, so the hashes of circuits
     * without one are those they always had. */
    if (c->source_line != XB_SL_IDEAL) {
        int sl[2] = {(int)c->source_line, (int)c->sl_drive};
        h = fnv(h, sl, sizeof sl);
        h = fnv_opt(h, c->r_sl_seg, mn, c->r_sl);
    }
    return h;
}
