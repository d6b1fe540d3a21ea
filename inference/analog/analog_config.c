/* analog_config.c: the analog configuration, its text form and its checks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xb_analog.h"

void xb_analog_config_init(xb_analog_config *c)
{
    memset(c, 0, sizeof *c);
    c->mvm = XB_MVM_EXACT;
    c->weight_bits = 8;
    c->scaling = XB_SCALE_CHANNEL;
    c->gmax = 1e-5; /* siemens: Rmin = 100 kohm, as in the reference study */
    c->on_off = 100;
    c->mapping = XB_MAP_DIFFERENTIAL;
    c->offset_sub = XB_OFFSET_DIGITAL;
    c->slices = 1;
    c->slice_bits = 0;
    c->error_model = XB_PROG_NONE;
    c->alpha = 0;
    c->input = XB_INPUT_BIT_SERIAL;
    c->input_bits = 8;
    c->input_percentile = 99.99;
    c->v_read = 0.2;
    c->adc_bits = 8;
    c->adc_percentile = 99.98;
    c->calib_images = 500;
    c->rows_per_array = 1152;
    c->cols_per_array = 256;
    c->rp = 0;
    c->access = XB_ACCESS_RESISTOR;
    xb_nmos_defaults(&c->nmos);
    c->cell = XB_CELL_LINEAR;
    c->sinh_v0 = 0.25;
    c->seed = 1;
}

typedef struct {
    const char *name;
    int value;
} name_value;

static const name_value mvm_names[] = {
    {"ideal", XB_MVM_IDEAL}, {"exact", XB_MVM_EXACT}, {"newton", XB_MVM_NEWTON}, {"digital", XB_MVM_DIGITAL}, {0, 0}};
static const name_value scaling_names[] = {{"channel", XB_SCALE_CHANNEL}, {"layer", XB_SCALE_LAYER}, {0, 0}};
static const name_value mapping_names[] = {{"differential", XB_MAP_DIFFERENTIAL}, {"offset", XB_MAP_OFFSET}, {0, 0}};
static const name_value offset_names[] = {
    {"digital", XB_OFFSET_DIGITAL}, {"unit-column", XB_OFFSET_UNIT_COLUMN}, {0, 0}};
static const name_value error_names[] = {{"none", XB_PROG_NONE},
                                         {"independent", XB_PROG_INDEPENDENT},
                                         {"proportional", XB_PROG_PROPORTIONAL},
                                         {0, 0}};
static const name_value input_names[] = {{"bit-serial", XB_INPUT_BIT_SERIAL}, {"dac", XB_INPUT_DAC}, {0, 0}};
static const name_value access_names[] = {{"resistor", XB_ACCESS_RESISTOR}, {"nmos", XB_ACCESS_NMOS}, {0, 0}};
static const name_value cell_names[] = {{"linear", XB_CELL_LINEAR}, {"sinh", XB_CELL_SINH}, {0, 0}};

static xb_status parse_name(const name_value *t, const char *key, const char *v, int *out, xb_error *err)
{
    for (int k = 0; t[k].name; k++)
        if (!strcmp(t[k].name, v)) {
            *out = t[k].value;
            return XB_OK;
        }
    char list[256] = "";
    for (int k = 0; t[k].name; k++) {
        strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, t[k].name, sizeof list - strlen(list) - 1);
    }
    return xb_error_set(err, XB_EINVAL, "%s = '%s': must be one of %s", key, v, list);
}

static const char *name_of(const name_value *t, int v)
{
    for (int k = 0; t[k].name; k++)
        if (t[k].value == v)
            return t[k].name;
    return "?";
}

static xb_status parse_num(const char *key, const char *v, double *out, xb_error *err)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || isnan(d))
        return xb_error_set(err, XB_EINVAL, "%s = '%s': not a number", key, v);
    *out = d;
    return XB_OK;
}

static xb_status parse_int(const char *key, const char *v, int lo, int hi, int *out, xb_error *err)
{
    double d;
    xb_status st = parse_num(key, v, &d, err);
    if (st)
        return st;
    if (d != floor(d) || d < lo || d > hi)
        return xb_error_set(err, XB_EINVAL, "%s = '%s': must be an integer in %d..%d", key, v, lo, hi);
    *out = (int)d;
    return XB_OK;
}

xb_status xb_analog_config_set(xb_analog_config *c, const char *key, const char *v, xb_error *err)
{
    if (!key || !v)
        return xb_error_set(err, XB_EINVAL, "analog config: NULL key or value");
    int e;
    double d;
    xb_status st = XB_OK;
#define ENUM(k, table, field)                                                                                    \
    if (!strcmp(key, k)) {                                                                                     \
        if (!(st = parse_name(table, key, v, &e, err)))                                                        \
            c->field = e;                                                                                      \
        return st;                                                                                             \
    }
#define NUM(k, field)                                                                                            \
    if (!strcmp(key, k)) {                                                                                     \
        if (!(st = parse_num(key, v, &d, err)))                                                                \
            c->field = d;                                                                                      \
        return st;                                                                                             \
    }
#define INT(k, field, lo, hi)                                                                                    \
    if (!strcmp(key, k))                                                                                       \
        return parse_int(key, v, lo, hi, &c->field, err);
    ENUM("mvm", mvm_names, mvm)
    ENUM("scaling", scaling_names, scaling)
    ENUM("mapping", mapping_names, mapping)
    ENUM("offset", offset_names, offset_sub)
    ENUM("error_model", error_names, error_model)
    ENUM("input", input_names, input)
    ENUM("access", access_names, access)
    ENUM("cell", cell_names, cell)
    INT("weight_bits", weight_bits, 2, 16)
    INT("input_bits", input_bits, 1, 16)
    INT("calib_images", calib_images, 1, 1000000)
    INT("rows_per_array", rows_per_array, 1, 1 << 16)
    INT("cols_per_array", cols_per_array, 1, 1 << 16)
    NUM("gmax", gmax)
    NUM("alpha", alpha)
    NUM("input_percentile", input_percentile)
    NUM("v_read", v_read)
    NUM("adc_percentile", adc_percentile)
    NUM("rp", rp)
    NUM("r_drv", r_drv)
    NUM("r_sense", r_sense)
    NUM("sinh_v0", sinh_v0)
    NUM("nmos_kp", nmos.kp)
    NUM("nmos_vto", nmos.vto)
    NUM("nmos_lambda", nmos.lambda)
    NUM("nmos_w", nmos.w)
    NUM("nmos_l", nmos.l)
    NUM("v_gate", nmos.v_gate)
    if (!strcmp(key, "on_off")) {
        if (!strcasecmp(v, "inf") || !strcasecmp(v, "infinity")) {
            c->on_off = INFINITY;
            return XB_OK;
        }
        if (!(st = parse_num(key, v, &d, err)))
            c->on_off = d;
        return st;
    }
    if (!strcmp(key, "adc_bits")) {
        if (!strcmp(v, "off") || !strcmp(v, "0")) {
            c->adc_bits = 0;
            return XB_OK;
        }
        return parse_int(key, v, 1, 24, &c->adc_bits, err);
    }
    if (!strcmp(key, "slicing")) {
        int k = 0, b = 0;
        char tail;
        if (sscanf(v, "%dx%d%c", &k, &b, &tail) == 2 && k >= 1 && k <= 16 && b >= 1 && b <= 16) {
            c->slices = k;
            c->slice_bits = b;
            return XB_OK;
        }
        if (!strcmp(v, "1") || !strcmp(v, "none")) {
            c->slices = 1;
            c->slice_bits = 0;
            return XB_OK;
        }
        return xb_error_set(err, XB_EINVAL, "slicing = '%s': expected KxB (e.g. 4x2) or 1", v);
    }
    if (!strcmp(key, "seed")) {
        if (!(st = parse_num(key, v, &d, err))) {
            if (d < 0 || d != floor(d) || d > 9.007199254740992e15)
                return xb_error_set(err, XB_EINVAL, "seed = '%s': must be a non-negative integer", v);
            c->seed = (unsigned long)d;
        }
        return st;
    }
#undef ENUM
#undef NUM
#undef INT
    return xb_error_set(err, XB_EINVAL, "analog config: unknown key '%s'", key);
}

xb_status xb_analog_config_get(const xb_analog_config *c, const char *key, char *buf, size_t len, xb_error *err)
{
#define GETE(k, table, field)                                                                                    \
    if (!strcmp(key, k)) {                                                                                     \
        snprintf(buf, len, "%s", name_of(table, (int)c->field));                                               \
        return XB_OK;                                                                                          \
    }
#define GETN(k, field)                                                                                           \
    if (!strcmp(key, k)) {                                                                                     \
        snprintf(buf, len, "%.17g", (double)c->field);                                                         \
        return XB_OK;                                                                                          \
    }
    GETE("mvm", mvm_names, mvm)
    GETE("scaling", scaling_names, scaling)
    GETE("mapping", mapping_names, mapping)
    GETE("offset", offset_names, offset_sub)
    GETE("error_model", error_names, error_model)
    GETE("input", input_names, input)
    GETE("access", access_names, access)
    GETE("cell", cell_names, cell)
    GETN("weight_bits", weight_bits)
    GETN("input_bits", input_bits)
    GETN("calib_images", calib_images)
    GETN("rows_per_array", rows_per_array)
    GETN("cols_per_array", cols_per_array)
    GETN("gmax", gmax)
    GETN("alpha", alpha)
    GETN("input_percentile", input_percentile)
    GETN("v_read", v_read)
    GETN("adc_percentile", adc_percentile)
    GETN("rp", rp)
    GETN("r_drv", r_drv)
    GETN("r_sense", r_sense)
    GETN("sinh_v0", sinh_v0)
    GETN("nmos_kp", nmos.kp)
    GETN("nmos_vto", nmos.vto)
    GETN("nmos_lambda", nmos.lambda)
    GETN("nmos_w", nmos.w)
    GETN("nmos_l", nmos.l)
    GETN("v_gate", nmos.v_gate)
    GETN("seed", seed)
    if (!strcmp(key, "on_off")) {
        if (isinf(c->on_off))
            snprintf(buf, len, "inf");
        else
            snprintf(buf, len, "%.17g", c->on_off);
        return XB_OK;
    }
    if (!strcmp(key, "adc_bits")) {
        if (c->adc_bits == 0)
            snprintf(buf, len, "off");
        else
            snprintf(buf, len, "%d", c->adc_bits);
        return XB_OK;
    }
    if (!strcmp(key, "slicing")) {
        if (c->slices == 1)
            snprintf(buf, len, "1");
        else
            snprintf(buf, len, "%dx%d", c->slices, c->slice_bits);
        return XB_OK;
    }
#undef GETE
#undef GETN
    return xb_error_set(err, XB_EINVAL, "analog config: unknown key '%s'", key);
}

xb_status xb_analog_config_validate(const xb_analog_config *c, xb_error *err)
{
    if (!(c->gmax > 0) || !isfinite(c->gmax))
        return xb_error_set(err, XB_EINVAL, "gmax = %g: must be finite and > 0 siemens", c->gmax);
    if (!(c->on_off > 1))
        return xb_error_set(err, XB_EINVAL, "on_off = %g: must be > 1 (or inf)", c->on_off);
    if (!(c->alpha >= 0) || !isfinite(c->alpha))
        return xb_error_set(err, XB_EINVAL, "alpha = %g: must be finite and >= 0", c->alpha);
    if (!(c->rp >= 0) || !isfinite(c->rp))
        return xb_error_set(err, XB_EINVAL, "rp = %g: must be finite and >= 0", c->rp);
    if (!(c->r_drv >= 0) || !(c->r_sense >= 0) || !isfinite(c->r_drv) || !isfinite(c->r_sense))
        return xb_error_set(err, XB_EINVAL, "r_drv = %g, r_sense = %g: must be finite and >= 0 ohms", c->r_drv,
                            c->r_sense);
    if (!(c->v_read > 0) || !isfinite(c->v_read))
        return xb_error_set(err, XB_EINVAL, "v_read = %g: must be finite and > 0 volts", c->v_read);
    if (!(c->adc_percentile > 0 && c->adc_percentile <= 100))
        return xb_error_set(err, XB_EINVAL, "adc_percentile = %g: must be in (0, 100]", c->adc_percentile);
    if (!(c->input_percentile > 0 && c->input_percentile <= 100))
        return xb_error_set(err, XB_EINVAL, "input_percentile = %g: must be in (0, 100]", c->input_percentile);
    if (c->adc_bits < 0 || c->adc_bits > 24)
        return xb_error_set(err, XB_EINVAL, "adc_bits = %d: must be off or 1..24", c->adc_bits);
    if (c->slices < 1 || c->slices > 16)
        return xb_error_set(err, XB_EINVAL, "slices = %d: must be 1..16", c->slices);
    /* magnitude bits a slice set must hold: |w| <= 2^(B-1) - 1 (differential),
     * w + wmax <= 2^B - 2 (offset) */
    int need = c->mapping == XB_MAP_DIFFERENTIAL ? c->weight_bits - 1 : c->weight_bits;
    if (c->slices > 1 && c->slices * c->slice_bits < need)
        return xb_error_set(err, XB_EINVAL, "slicing %dx%d holds %d bits; %s mapping of %d-bit weights needs %d",
                            c->slices, c->slice_bits, c->slices * c->slice_bits,
                            c->mapping == XB_MAP_DIFFERENTIAL ? "differential" : "offset", c->weight_bits, need);
    if (c->mvm == XB_MVM_NEWTON && c->access == XB_ACCESS_RESISTOR && c->cell == XB_CELL_LINEAR)
        return xb_error_set(err, XB_EINVAL, "mvm = newton: set access = nmos and/or cell = sinh (the circuit is linear)");
    if (c->mvm != XB_MVM_NEWTON && (c->access != XB_ACCESS_RESISTOR || c->cell != XB_CELL_LINEAR))
        return xb_error_set(err, XB_EINVAL, "access/cell devices are nonlinear: they need mvm = newton");
    return XB_OK;
}

unsigned long long xb_analog_config_hash(const xb_analog_config *c)
{
    /* hash the text form of every key, so padding never enters the hash */
    static const char *keys[] = {"mvm", "scaling", "mapping", "offset", "error_model", "input", "access", "cell",
                                 "weight_bits", "input_bits", "calib_images", "rows_per_array", "cols_per_array",
                                 "gmax", "alpha", "input_percentile", "v_read", "adc_percentile", "rp", "r_drv",
                                 "r_sense", "sinh_v0", "nmos_kp", "nmos_vto", "nmos_lambda", "nmos_w", "nmos_l",
                                 "v_gate", "seed", "on_off", "adc_bits", "slicing"};
    unsigned long long h = 14695981039346656037ULL;
    char buf[64];
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (xb_analog_config_get(c, keys[k], buf, sizeof buf, NULL))
            continue;
        for (const char *p = keys[k]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ '=') * 1099511628211ULL;
        for (const char *p = buf; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ ';') * 1099511628211ULL;
    }
    return h;
}
