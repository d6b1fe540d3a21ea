/* random_circuit.c: the circuits of the validation suite, random and full-size. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>

#include "xb_validation.h"

/* Value ranges of the suite. */
#define G_MIN 1e-6        /* siemens */
#define G_MAX 1e-4        /* siemens */
#define R_WIRE_MAX 10.0   /* ohms per segment */
#define R_TERM_MAX 1000.0 /* ohms, driver and sense */
#define R_ACCESS_MAX 1e4  /* ohms: a few kilohm is a typical access on-resistance */
#define V_IN_MAX 1.0      /* volts, input-source */
#define V_READ_MIN 0.05   /* volts, gate-input */
#define V_READ_MAX 0.5
/* Shares of the gate-input circuits by source line: a third each keeps the
 * ideal supply (the case every earlier run covered) as common as the new ones. */
#define P_SL_IDEAL (1.0 / 3)
#define P_SL_COLUMN (2.0 / 3) /* cumulative: the rest has a row source line */

static const int thin_shapes[][2] = {{1, 1}, {1, 64}, {64, 1}, {37, 5}, {5, 37}};
#define N_THIN ((int)(sizeof thin_shapes / sizeof thin_shapes[0]))

static int clampi(int v, int hi) { return v > hi ? hi : v; }
static int uniform_int(gsl_rng *r, int lo, int hi) { return lo + (int)gsl_rng_uniform_int(r, (unsigned long)(hi - lo + 1)); }

/* A handful of large squares at fixed positions of the suite (after the thin
 * shapes): count/200 at 64^2 and count/400 at 128^2. */
static int large_side(int index, int count)
{
    int n64 = count / 200, n128 = count / 400;
    int k = index - N_THIN;
    if (k < 0)
        return 0;
    if (k < n128)
        return 128;
    if (k < n128 + n64)
        return 64;
    return 0;
}

static double wire(gsl_rng *r, double max)
{
    /* One in five wires is an ideal (zero) wire. */
    return gsl_rng_uniform(r) < 0.2 ? 0.0 : max * gsl_rng_uniform(r);
}

static int fill_segments(gsl_rng *r, double **seg, size_t n, double *uniform, double max)
{
    if (gsl_rng_uniform(r) < 0.5) {
        *uniform = wire(r, max);
        return 0;
    }
    double *a = malloc(n * sizeof *a);
    if (!a)
        return -1;
    for (size_t k = 0; k < n; k++)
        a[k] = wire(r, max);
    *seg = a;
    *uniform = 0;
    return 0;
}

xb_circuit *xb_validate_random_circuit(unsigned long seed, int index, int count, int max_size, double **v,
                                       xb_error *err)
{
    *v = NULL;
    if (max_size < 1) {
        xb_error_set(err, XB_EINVAL, "max_size = %d: must be >= 1", max_size);
        return NULL;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        xb_error_set(err, XB_ENOMEM, "validation: out of memory for the random generator");
        return NULL;
    }
    gsl_rng_set(r, seed * 1000003UL + (unsigned long)index);
    int M, N, big = large_side(index, count);
    if (index < N_THIN) {
        M = clampi(thin_shapes[index][0], max_size);
        N = clampi(thin_shapes[index][1], max_size);
    } else if (big && big <= max_size) {
        M = N = big;
    } else {
        double u = gsl_rng_uniform(r);
        int hi = u < 0.55 ? 8 : u < 0.85 ? 16 : u < 0.97 ? 32 : 48;
        hi = clampi(hi, max_size);
        M = uniform_int(r, 1, hi);
        N = uniform_int(r, 1, hi);
    }
    xb_circuit *c = xb_circuit_new(M, N, err);
    double *vin = malloc((size_t)M * sizeof *vin);
    if (!c || !vin) {
        if (c)
            xb_error_set(err, XB_ENOMEM, "validation: out of memory");
        xb_circuit_free(c);
        free(vin);
        gsl_rng_free(r);
        return NULL;
    }
    size_t mn = (size_t)M * N;
    c->topology = gsl_rng_uniform(r) < 0.5 ? XB_TOPO_INPUT_SOURCE : XB_TOPO_GATE_INPUT;
    for (size_t k = 0; k < mn; k++)
        c->g[k] = G_MIN + (G_MAX - G_MIN) * gsl_rng_uniform(r);
    if (gsl_rng_uniform(r) < 0.5)
        c->r_access = R_ACCESS_MAX * gsl_rng_uniform(r);
    int fail = 0;
    if (c->topology == XB_TOPO_INPUT_SOURCE) {
        fail |= fill_segments(r, &c->r_row_seg, mn, &c->r_row, R_WIRE_MAX);
        fail |= fill_segments(r, &c->r_drv_row, (size_t)M, &c->r_drv, R_TERM_MAX);
        for (int i = 0; i < M; i++)
            vin[i] = V_IN_MAX * (2 * gsl_rng_uniform(r) - 1);
    } else {
        c->v_read = V_READ_MIN + (V_READ_MAX - V_READ_MIN) * gsl_rng_uniform(r);
        int any = 0;
        for (int i = 0; i < M; i++) {
            vin[i] = gsl_rng_uniform(r) < 0.5 ? 1.0 : 0.0;
            any |= vin[i] != 0;
        }
        if (!any)
            vin[uniform_int(r, 0, M - 1)] = 1.0; /* an all-off vector compares zeros */
    }
    fail |= fill_segments(r, &c->r_col_seg, mn, &c->r_col, R_WIRE_MAX);
    fail |= fill_segments(r, &c->r_sense_col, (size_t)N, &c->r_sense, R_TERM_MAX);
    /* Drawn last, so every other field is the one earlier versions of the suite
     * drew for the same seed and index. */
    if (c->topology == XB_TOPO_GATE_INPUT) {
        double u = gsl_rng_uniform(r);
        if (u >= P_SL_IDEAL) {
            c->source_line = u < P_SL_COLUMN ? XB_SL_COLUMN : XB_SL_ROW;
            if (c->source_line == XB_SL_COLUMN && gsl_rng_uniform(r) < 0.5)
                c->sl_drive = XB_SL_FAR; /* a row source line is driven at the row's driver end */
            fail |= fill_segments(r, &c->r_sl_seg, mn, &c->r_sl, R_WIRE_MAX);
        }
    }
    gsl_rng_free(r);
    if (fail) {
        xb_circuit_free(c);
        free(vin);
        xb_error_set(err, XB_ENOMEM, "validation: out of memory");
        return NULL;
    }
    *v = vin;
    return c;
}

xb_circuit *xb_validate_random_nonlinear(unsigned long seed, int index, int count, int max_size, double **v,
                                         xb_error *err)
{
    xb_circuit *c = xb_validate_random_circuit(seed, index, count, max_size, v, err);
    if (!c)
        return NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        xb_circuit_free(c);
        free(*v);
        *v = NULL;
        xb_error_set(err, XB_ENOMEM, "validation: out of memory");
        return NULL;
    }
    gsl_rng_set(r, seed * 2000003UL + (unsigned long)index + 17);
    double u = gsl_rng_uniform(r);
    int nmos = u < 0.67, sinh_cell = u >= 0.33;
    if (nmos) {
        c->access = XB_ACCESS_NMOS;
        c->r_access = 0;
        c->nmos.kp = 1e-4 + 9e-4 * gsl_rng_uniform(r);
        c->nmos.vto = 0.2 + 0.4 * gsl_rng_uniform(r);
        c->nmos.lambda = 0.1 * gsl_rng_uniform(r);
        c->nmos.w = 0.5e-6 + 1.5e-6 * gsl_rng_uniform(r);
        c->nmos.l = 0.5e-6 + 1.5e-6 * gsl_rng_uniform(r);
        c->nmos.v_gate = 0.9 + 0.9 * gsl_rng_uniform(r);
    }
    if (sinh_cell) {
        c->cell = XB_CELL_SINH;
        c->sinh_v0 = 0.1 + 0.4 * gsl_rng_uniform(r);
    }
    if (c->topology == XB_TOPO_GATE_INPUT)
        c->v_read = 0.2 + 0.8 * gsl_rng_uniform(r);
    gsl_rng_free(r);
    return c;
}


/* The full-size tiles: the reference study's largest array height, at its
 * R^p = R_wire * Gmax = 1e-4. */
#define FULL_G_MAX 1e-5     /* siemens: Rmin = 100 kohm */
#define FULL_G_MIN 1e-6     /* siemens: an on/off ratio of 10 */
#define FULL_R_WIRE 10.0    /* ohms per segment: R^p = 1e-4 with FULL_G_MAX */
#define FULL_R_SENSE 10.0   /* ohms: the TIA input, one segment's worth */
#define FULL_R_ACCESS 2e3   /* ohms: linear cases, about the default NMOS's on-resistance */
#define FULL_V_READ 0.3     /* volts: keeps the default NMOS (VTO 0.4 V, gate 1.2 V) in triode */

xb_circuit *xb_validate_full_size_circuit(unsigned long seed, int k, int nonlinear, double **v, xb_error *err)
{
    static const xb_source_line sl[XB_VALIDATE_FULL_CASES] = {XB_SL_IDEAL, XB_SL_COLUMN, XB_SL_COLUMN, XB_SL_ROW};
    static const xb_sl_drive drive[XB_VALIDATE_FULL_CASES] = {XB_SL_NEAR, XB_SL_NEAR, XB_SL_FAR, XB_SL_NEAR};
    if (!v) {
        xb_error_set(err, XB_EINVAL, "full-size case: NULL input vector pointer");
        return NULL;
    }
    *v = NULL;
    if (k < 0 || k >= XB_VALIDATE_FULL_CASES) {
        xb_error_set(err, XB_EINVAL, "full-size case %d: must be in 0..%d", k, XB_VALIDATE_FULL_CASES - 1);
        return NULL;
    }
    const int M = XB_VALIDATE_FULL_ROWS, N = XB_VALIDATE_FULL_COLS;
    xb_circuit *c = xb_circuit_new(M, N, err);
    if (!c)
        return NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *vin = malloc((size_t)M * sizeof *vin);
    if (!r || !vin) {
        free(vin);
        if (r)
            gsl_rng_free(r);
        xb_circuit_free(c);
        xb_error_set(err, XB_ENOMEM, "validation: out of memory for full-size case %d", k);
        return NULL;
    }
    gsl_rng_set(r, seed * 3000017UL + (unsigned long)k);
    c->topology = XB_TOPO_GATE_INPUT;
    c->v_read = FULL_V_READ;
    for (size_t q = 0; q < (size_t)M * N; q++)
        c->g[q] = FULL_G_MIN + (FULL_G_MAX - FULL_G_MIN) * gsl_rng_uniform(r);
    if (nonlinear) {
        c->access = XB_ACCESS_NMOS;
        xb_nmos_defaults(&c->nmos);
    } else {
        c->r_access = FULL_R_ACCESS;
    }
    c->r_col = FULL_R_WIRE;
    c->r_sense = FULL_R_SENSE;
    c->source_line = sl[k];
    c->sl_drive = drive[k];
    xb_status st = XB_OK;
    if (sl[k] != XB_SL_IDEAL)
        c->r_sl = FULL_R_WIRE;
    if (sl[k] == XB_SL_COLUMN && drive[k] == XB_SL_FAR && !(st = xb_circuit_use_sl_segments(c, err)))
        for (size_t q = 0; q < (size_t)M * N; q++) /* mean 8 ohms, one segment in five ideal */
            c->r_sl_seg[q] = gsl_rng_uniform(r) < 0.2 ? 0.0 : 2 * FULL_R_WIRE * gsl_rng_uniform(r);
    /* exactly half the gate bits set, at random rows */
    for (int i = 0; i < M; i++)
        vin[i] = i < M / 2 ? 1.0 : 0.0;
    gsl_ran_shuffle(r, vin, (size_t)M, sizeof *vin);
    gsl_rng_free(r);
    if (st) {
        free(vin);
        xb_circuit_free(c);
        return NULL;
    }
    *v = vin;
    return c;
}
