/* analog_config.c: the analog configuration, its text form and its checks. */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xb_analog.h"
#include "device_model.h"

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
    c->source_line = XB_SL_IDEAL;
    c->sl_drive = XB_SL_NEAR;
    c->r_sl = XB_R_SL_AS_RP;
    c->device = XB_DEVICE_IDEAL;
    c->read_noise = XB_FROM_DEVICE;
    c->read_noise_model = XB_READ_INDEPENDENT;
    c->drift_time = 0;
    c->drift_t0 = XB_FROM_DEVICE;
    c->drift_nu = XB_FROM_DEVICE;
    c->drift_nu_std = XB_FROM_DEVICE;
    c->drift_compensation = XB_DRIFT_COMP_NONE;
    c->stuck_on = 0;
    c->stuck_off = 0;
}

/* Names of the enumerated parameters, indexed by their enum value. */
static const char *const mvm_names[] = {"ideal", "exact", "newton", "digital", NULL};
static const char *const scaling_names[] = {"channel", "layer", NULL};
static const char *const mapping_names[] = {"differential", "offset", NULL};
static const char *const offset_names[] = {"digital", "unit-column", NULL};
static const char *const error_names[] = {"none", "independent", "proportional", NULL};
static const char *const input_names[] = {"bit-serial", "dac", NULL};
static const char *const access_names[] = {"resistor", "nmos", NULL};
static const char *const cell_names[] = {"linear", "sinh", NULL};
/* In the order of xb_source_line and xb_sl_drive. */
static const char *const sl_names[] = {"ideal", "column", "row", NULL};
static const char *const drive_names[] = {"near", "far", NULL};
static const char *const device_names[] = {"ideal", "pcm", "rram", "table", NULL};
static const char *const read_model_names[] = {"independent", "proportional", NULL};
static const char *const comp_names[] = {"none", "global", NULL};

/* How a parameter's text maps onto its field. */
typedef enum {
    K_ENUM,     /* one of names[], stored as its index (an enum) */
    K_INT,      /* an integer lo..hi */
    K_NUM,      /* a double */
    K_ON_OFF,   /* a double, or "inf" */
    K_ADC_BITS, /* an integer 1..24, or "off" (stored as 0) */
    K_SLICING,  /* "KxB" or "1": slices and slice_bits */
    K_SEED,     /* a non-negative integer below 2^53 (it travels as a double) */
    K_R_SL,     /* a number >= 0, or "rp" (stored as XB_R_SL_AS_RP) */
    K_DEVICE,   /* ideal, pcm, rram or table:FILE */
    K_DEV_NUM   /* a number >= 0, or "device" (stored as XB_FROM_DEVICE) */
} key_type;

typedef struct {
    xb_analog_key info;
    key_type type;
    size_t offset; /* of the field in xb_analog_config */
    int lo, hi;    /* K_INT */
    /* Position in xb_analog_config_hash(): the order the hash has always used,
     * so that result files and calibration caches stay valid.  -1: a key
     * added later, hashed after the others and only when it is not at its
     * default, so the hashes of configurations without it do not change. */
    int hash_order;
} key_desc;

#define OFF(f) offsetof(xb_analog_config, f)
#define E(k, n, f, h, help) {{k, "enum", n, help}, K_ENUM, OFF(f), 0, 0, h}
#define I(k, f, lo, hi, h, help) {{k, "integer " #lo ".." #hi, NULL, help}, K_INT, OFF(f), lo, hi, h}
#define N(k, f, h, help) {{k, "number", NULL, help}, K_NUM, OFF(f), 0, 0, h}

/* Every parameter, in the order of the columns of a sweep's results file. */
static const key_desc keys[] = {
    E("mvm", mvm_names, mvm, 0, "how a tile multiplies: ideal product, exact circuit, Newton for nonlinear devices, or digital"),
    E("mapping", mapping_names, mapping, 2, "weights to conductances: a G+/G- pair, or one cell with an offset"),
    E("offset", offset_names, offset_sub, 3, "offset mapping: the offset removed digitally or by a unit column"),
    {{"slicing", "KxB or 1", NULL, "K slices of B bits per weight (1: the whole weight in one cell)"}, K_SLICING, OFF(slices), 0, 0, 31},
    I("weight_bits", weight_bits, 2, 16, 8, "signed weight bits"),
    E("scaling", scaling_names, scaling, 1, "weight scale per output channel or per layer"),
    N("gmax", gmax, 13, "largest conductance, siemens"),
    {{"on_off", "number or inf", NULL, "Gmax/Gmin (inf puts Gmin at 0)"}, K_ON_OFF, OFF(on_off), 0, 0, 29},
    E("error_model", error_names, error_model, 4, "programming errors: none, sigma = alpha Gmax, or sigma = alpha G"),
    N("alpha", alpha, 14, "relative programming error"),
    E("input", input_names, input, 5, "inputs: bit-serial on the gates, or a DAC driving the rows"),
    I("input_bits", input_bits, 1, 16, 9, "activation bits per layer"),
    N("input_percentile", input_percentile, 15, "activation range: this percentile of the absolute activations"),
    N("v_read", v_read, 16, "read supply (bit-serial) or DAC full scale, volts"),
    {{"adc_bits", "integer 1..24 or off", NULL, "ADC resolution (off: no conversion)"}, K_ADC_BITS, OFF(adc_bits), 1, 24, 30},
    N("adc_percentile", adc_percentile, 17, "ADC range: this percentile of the absolute analog outputs"),
    I("calib_images", calib_images, 1, 1000000, 10, "calibration images"),
    I("rows_per_array", rows_per_array, 1, 65536, 11, "rows (inputs) of one array"),
    I("cols_per_array", cols_per_array, 1, 65536, 12, "columns (outputs) of one array"),
    N("rp", rp, 18, "normalized wire resistance R_wire Gmax per segment"),
    N("r_drv", r_drv, 19, "driver resistance (input-source), ohms"),
    N("r_sense", r_sense, 20, "sense resistance, ohms"),
    E("access", access_names, access, 6, "access device (newton): a resistor or an NMOS"),
    E("cell", cell_names, cell, 7, "cell I-V (newton): linear or sinh"),
    N("sinh_v0", sinh_v0, 21, "V0 of sinh cells, volts"),
    N("nmos_kp", nmos.kp, 22, "NMOS transconductance, A/V^2"),
    N("nmos_vto", nmos.vto, 23, "NMOS threshold, volts"),
    N("nmos_lambda", nmos.lambda, 24, "NMOS channel-length modulation, 1/V"),
    N("nmos_w", nmos.w, 25, "NMOS width, metres"),
    N("nmos_l", nmos.l, 26, "NMOS length, metres"),
    N("v_gate", nmos.v_gate, 27, "gate voltage of an enabled row, volts"),
    {{"seed", "integer >= 0", NULL, "programming errors: the same seed gives the same numbers"}, K_SEED, OFF(seed), 0, 0, 28},
    E("source_line", sl_names, source_line, -1,
      "bit-serial arrays: V_read at every cell (ideal), or a source line beside each bit line (column) or along each row (row)"),
    E("sl_drive", drive_names, sl_drive, -1, "column source lines: the supply at the sense end (near) or the other (far)"),
    {{"r_sl", "number >= 0 or rp", NULL, "source-line resistance per segment, normalized as rp (rp: the bit line's)"},
     K_R_SL, OFF(r_sl), 0, 0, -1},
    {{"device", "ideal, pcm, rram or table:FILE", device_names,
      "device statistics: ideal, the published PCM or RRAM model, or a measured table (docs/devices.md)"},
     K_DEVICE, OFF(device), 0, 0, -1},
    {{"read_noise", "number >= 0 or device", NULL, "sigma of the noise drawn afresh at every read, a fraction"},
     K_DEV_NUM, OFF(read_noise), 0, 0, -1},
    E("read_noise_model", read_model_names, read_noise_model, -1,
      "read noise: sigma = read_noise Gmax (independent) or read_noise G (proportional)"),
    N("drift_time", drift_time, -1, "seconds since programming (0: no drift)"),
    {{"drift_t0", "number > 0 or device", NULL, "seconds: the reference time of the drift law"},
     K_DEV_NUM, OFF(drift_t0), 0, 0, -1},
    {{"drift_nu", "number >= 0 or device", NULL, "drift exponent nu: G(t) = G(t0) (t/t0)^-nu, its mean"},
     K_DEV_NUM, OFF(drift_nu), 0, 0, -1},
    {{"drift_nu_std", "number >= 0 or device", NULL, "spread of nu over the devices"},
     K_DEV_NUM, OFF(drift_nu_std), 0, 0, -1},
    E("drift_compensation", comp_names, drift_compensation, -1,
      "drift: none, or global (one scale per layer, from reading a known input)"),
    N("stuck_on", stuck_on, -1, "fraction of cells stuck at Gmax"),
    N("stuck_off", stuck_off, -1, "fraction of cells stuck at Gmin"),
};
#undef E
#undef I
#undef N
#define N_KEYS ((int)(sizeof keys / sizeof keys[0]))

const xb_analog_key *xb_analog_config_key(int i)
{
    return i >= 0 && i < N_KEYS ? &keys[i].info : NULL;
}

static const key_desc *find_key(const char *key)
{
    for (int i = 0; key && i < N_KEYS; i++)
        if (!strcmp(keys[i].info.key, key))
            return &keys[i];
    return NULL;
}

static xb_status parse_name(const char *const *names, const char *key, const char *v, int *out, xb_error *err)
{
    for (int k = 0; names[k]; k++)
        if (!strcmp(names[k], v)) {
            *out = k;
            return XB_OK;
        }
    char list[256] = "";
    for (int k = 0; names[k]; k++) {
        strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[k], sizeof list - strlen(list) - 1);
    }
    return xb_error_set(err, XB_EINVAL, "%s = '%s': must be one of %s", key, v, list);
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
    double d = 0;
    xb_status st = parse_num(key, v, &d, err);
    if (st)
        return st;
    if (d != floor(d) || d < lo || d > hi)
        return xb_error_set(err, XB_EINVAL, "%s = '%s': must be an integer in %d..%d", key, v, lo, hi);
    *out = (int)d;
    return XB_OK;
}

static xb_status parse_slicing(xb_analog_config *c, const char *v, xb_error *err)
{
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

static xb_status parse_device(xb_analog_config *c, const char *v, xb_error *err)
{
    if (!strncmp(v, "table:", 6)) {
        size_t n = strlen(v + 6);
        if (n == 0 || n >= sizeof c->device_file)
            return xb_error_set(err, XB_EINVAL, "device = '%s': table:FILE needs a file name of 1..%zu bytes", v,
                                sizeof c->device_file - 1);
        memcpy(c->device_file, v + 6, n + 1);
        c->device = XB_DEVICE_TABLE;
        return XB_OK;
    }
    int d;
    xb_status st = parse_name(device_names, "device", v, &d, err);
    if (st || d == XB_DEVICE_TABLE)
        return st ? xb_error_set(err, XB_EINVAL, "device = '%s': must be ideal, pcm, rram or table:FILE", v)
                  : xb_error_set(err, XB_EINVAL, "device = table: give the file, as table:FILE.csv");
    c->device = (xb_device_kind)d;
    c->device_file[0] = 0;
    return XB_OK;
}

xb_status xb_analog_config_set(xb_analog_config *c, const char *key, const char *v, xb_error *err)
{
    if (!c || !key || !v)
        return xb_error_set(err, XB_EINVAL, "analog config: NULL configuration, key or value");
    const key_desc *k = find_key(key);
    if (!k)
        return xb_error_set(err, XB_EINVAL, "analog config: unknown key '%s'", key);
    char *field = (char *)c + k->offset;
    double d = 0;
    xb_status st;
    switch (k->type) {
    case K_ENUM:
        return parse_name(k->info.choices, key, v, (int *)field, err);
    case K_INT:
        return parse_int(key, v, k->lo, k->hi, (int *)field, err);
    case K_NUM:
        if (!(st = parse_num(key, v, &d, err)))
            *(double *)field = d;
        return st;
    case K_ON_OFF:
        if (!strcasecmp(v, "inf") || !strcasecmp(v, "infinity")) {
            c->on_off = INFINITY;
            return XB_OK;
        }
        if (!(st = parse_num(key, v, &d, err)))
            c->on_off = d;
        return st;
    case K_ADC_BITS:
        if (!strcmp(v, "off") || !strcmp(v, "0")) {
            c->adc_bits = 0;
            return XB_OK;
        }
        return parse_int(key, v, k->lo, k->hi, &c->adc_bits, err);
    case K_SLICING:
        return parse_slicing(c, v, err);
    case K_R_SL:
        if (!strcmp(v, "rp")) {
            c->r_sl = XB_R_SL_AS_RP;
            return XB_OK;
        }
        if ((st = parse_num(key, v, &d, err)))
            return st;
        if (!(d >= 0))
            return xb_error_set(err, XB_EINVAL, "r_sl = '%s': must be >= 0 or rp", v);
        c->r_sl = d;
        return XB_OK;
    case K_DEVICE:
        return parse_device(c, v, err);
    case K_DEV_NUM:
        if (!strcmp(v, "device")) {
            *(double *)field = XB_FROM_DEVICE;
            return XB_OK;
        }
        if ((st = parse_num(key, v, &d, err)))
            return st;
        if (!(d >= 0) || !isfinite(d))
            return xb_error_set(err, XB_EINVAL, "%s = '%s': must be a finite number >= 0, or device", key, v);
        *(double *)field = d;
        return XB_OK;
    case K_SEED:
        if ((st = parse_num(key, v, &d, err)))
            return st;
        if (d < 0 || d != floor(d) || d > 9.007199254740992e15)
            return xb_error_set(err, XB_EINVAL, "seed = '%s': must be a non-negative integer", v);
        c->seed = (unsigned long)d;
        return XB_OK;
    }
    return xb_error_set(err, XB_EINTERNAL, "analog config: key '%s' has no type", key);
}

/* The text of one parameter; "%.17g" reads back as the same double. */
static void print_value(const key_desc *k, const xb_analog_config *c, char *buf, size_t len)
{
    const char *field = (const char *)c + k->offset;
    int e, n = 0;
    switch (k->type) {
    case K_ENUM:
        while (k->info.choices[n])
            n++;
        e = *(const int *)field;
        snprintf(buf, len, "%s", e >= 0 && e < n ? k->info.choices[e] : "?");
        return;
    case K_INT:
        snprintf(buf, len, "%.17g", (double)*(const int *)field);
        return;
    case K_NUM:
        snprintf(buf, len, "%.17g", *(const double *)field);
        return;
    case K_ON_OFF:
        if (isinf(c->on_off))
            snprintf(buf, len, "inf");
        else
            snprintf(buf, len, "%.17g", c->on_off);
        return;
    case K_ADC_BITS:
        if (c->adc_bits == 0)
            snprintf(buf, len, "off");
        else
            snprintf(buf, len, "%d", c->adc_bits);
        return;
    case K_SLICING:
        if (c->slices == 1)
            snprintf(buf, len, "1");
        else
            snprintf(buf, len, "%dx%d", c->slices, c->slice_bits);
        return;
    case K_SEED:
        snprintf(buf, len, "%.17g", (double)c->seed);
        return;
    case K_R_SL:
        if (c->r_sl == XB_R_SL_AS_RP)
            snprintf(buf, len, "rp");
        else
            snprintf(buf, len, "%.17g", c->r_sl);
        return;
    case K_DEVICE:
        if (c->device == XB_DEVICE_TABLE)
            snprintf(buf, len, "table:%s", c->device_file);
        else
            snprintf(buf, len, "%s", c->device >= 0 && c->device < XB_DEVICE_TABLE ? device_names[c->device] : "?");
        return;
    case K_DEV_NUM:
        if (*(const double *)field == XB_FROM_DEVICE)
            snprintf(buf, len, "device");
        else
            snprintf(buf, len, "%.17g", *(const double *)field);
        return;
    }
}

xb_status xb_analog_config_get(const xb_analog_config *c, const char *key, char *buf, size_t len, xb_error *err)
{
    const key_desc *k = find_key(key);
    if (!k)
        return xb_error_set(err, XB_EINVAL, "analog config: unknown key '%s'", key ? key : "(null)");
    if (!c || !buf || len == 0)
        return xb_error_set(err, XB_EINVAL, "analog config: NULL configuration or no room for '%s'", key);
    char text[XB_DEVICE_FILE_MAX + 16];
    print_value(k, c, text, sizeof text);
    snprintf(buf, len, "%s", text);
    if (strlen(text) >= len)
        return xb_error_set(err, XB_EINVAL, "analog config: %s needs %zu bytes, the buffer has %zu", key,
                            strlen(text) + 1, len);
    return XB_OK;
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
    if (c->source_line != XB_SL_IDEAL && c->input != XB_INPUT_BIT_SERIAL)
        return xb_error_set(err, XB_EINVAL, "source_line = %s: source lines feed bit-serial (gate-input) arrays; "
                            "the DAC drives the rows", xb_source_line_name(c->source_line));
    if (!(c->r_sl == XB_R_SL_AS_RP || (c->r_sl >= 0 && isfinite(c->r_sl))))
        return xb_error_set(err, XB_EINVAL, "r_sl = %g: must be finite and >= 0 (or rp)", c->r_sl);
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
    xb_status st = xb_analog_device_validate(c, err);
    if (st)
        return st;
    /* mvm = newton with linear devices is the exact circuit (the solver needs
     * no iteration for it), so one sweep can set access or cell as an axis */
    if (c->mvm != XB_MVM_NEWTON && (c->access != XB_ACCESS_RESISTOR || c->cell != XB_CELL_LINEAR))
        return xb_error_set(err, XB_EINVAL, "access/cell devices are nonlinear: they need mvm = newton");
    return XB_OK;
}

unsigned long long xb_analog_config_hash(const xb_analog_config *c)
{
    /* FNV-1a of "key=value;" for every key, so padding never enters the hash */
    unsigned long long h = 14695981039346656037ULL;
    char buf[XB_DEVICE_FILE_MAX + 16], dflt[XB_DEVICE_FILE_MAX + 16];
    xb_analog_config d;
    xb_analog_config_init(&d);
    /* the keys in their hash order, then the added ones that are not at their default */
    for (int order = 0; order <= N_KEYS; order++)
        for (int i = 0; i < N_KEYS; i++) {
            const int added = keys[i].hash_order < 0;
            if (order < N_KEYS ? keys[i].hash_order != order : !added)
                continue;
            print_value(&keys[i], c, buf, sizeof buf);
            if (added) {
                print_value(&keys[i], &d, dflt, sizeof dflt);
                if (!strcmp(buf, dflt))
                    continue;
            }
            for (const char *p = keys[i].info.key; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
            h = (h ^ '=') * 1099511628211ULL;
            for (const char *p = buf; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
            h = (h ^ ';') * 1099511628211ULL;
        }
    /* a measured table is its contents: the same path with other numbers is
     * another configuration (calibration caches must not survive an edit) */
    FILE *f = c->device == XB_DEVICE_TABLE ? fopen(c->device_file, "rb") : NULL;
    if (f) {
        int ch;
        while ((ch = getc(f)) != EOF)
            h = (h ^ (unsigned char)ch) * 1099511628211ULL;
        fclose(f);
    }
    return h;
}
