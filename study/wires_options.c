/* wires_options.c: the wire study's options: defaults, validation, and each
 * option set from text by name (xb_study.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_base.h"
#include "xb_study.h"

/* Default sweep (xb_study_options_init). */
#define DEF_RP_LO 1e-7        /* R^p of the least resistive wires */
#define DEF_RP_HI 1e-2        /* R^p of the most resistive wires */
#define DEF_RP_N 6            /* one point per decade: the 1024 x 1024 factorizations set the run time */
#define DEF_ON_OFF 100.0      /* Gmax / Gmin */
#define DEF_G_MAX 1e-5        /* siemens: Rmin = 100 kOhm, so R^p = 1e-5 is 1 ohm per segment */
#define DEF_V 0.2             /* volts: full-scale input and read voltage */
#define DEF_P_ON 0.5          /* probability of a 1 among gate-input bits */
#define DEF_VECTORS 32        /* random input vectors per point */
#define DEF_MAP_RP 1e-4       /* R^p of the IR-drop maps */

void xb_study_options_init(xb_study_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->n_sizes = 0;
    for (int s = 32; s <= 1024; s *= 2)
        opt->sizes[opt->n_sizes++] = s;
    xb_study_rp_logspace(opt, DEF_RP_LO, DEF_RP_HI, DEF_RP_N, NULL);
    opt->topologies = XB_STUDY_BOTH;
    opt->on_off = DEF_ON_OFF;
    opt->g_max = DEF_G_MAX;
    opt->v_in = DEF_V;
    opt->v_read = DEF_V;
    opt->p_on = DEF_P_ON;
    opt->r_drv = 0.0;
    opt->r_sense = 0.0;
    opt->vectors = DEF_VECTORS;
    opt->seed = 1;
    opt->backend = XB_BACKEND_AUTO;
    opt->ordering = XB_STUDY_ORDER_BY_SIZE;
    opt->refine = -1;
    opt->max_memory = 0;
    opt->map_rp = DEF_MAP_RP;
    opt->map_size = 0;
}

xb_status xb_study_rp_logspace(xb_study_options *opt, double lo, double hi, int n, xb_error *err)
{
    if (!(isfinite(lo) && isfinite(hi) && lo > 0 && hi >= lo))
        return xb_error_set(err, XB_EINVAL, "R^p range %g..%g: need 0 < first <= last, both finite", lo, hi);
    if (n < 1 || n > XB_STUDY_MAX_RP)
        return xb_error_set(err, XB_EINVAL, "R^p points: %d, must be 1..%d", n, XB_STUDY_MAX_RP);
    if (n > 1 && hi == lo)
        return xb_error_set(err, XB_EINVAL, "R^p range %g..%g: %d points need first < last", lo, hi, n);
    double a = log10(lo), b = log10(hi);
    for (int k = 0; k < n; k++) {
        /* Exact decades stay exact: pow(10, -4) rather than exp of a rounded sum. */
        double e = n == 1 ? a : a + (b - a) * k / (n - 1);
        double er = nearbyint(e);
        opt->rp[k] = fabs(e - er) < 1e-12 ? pow(10.0, er) : pow(10.0, e);
    }
    opt->rp[0] = lo;
    if (n > 1)
        opt->rp[n - 1] = hi;
    opt->n_rp = n;
    return XB_OK;
}

xb_status xb_study_options_validate(const xb_study_options *o, xb_error *err)
{
    if (!o)
        return xb_error_set(err, XB_EINVAL, "study: NULL options");
    if (o->n_sizes < 1 || o->n_sizes > XB_STUDY_MAX_SIZES)
        return xb_error_set(err, XB_EINVAL, "sizes: %d given, need 1..%d", o->n_sizes, XB_STUDY_MAX_SIZES);
    for (int k = 0; k < o->n_sizes; k++) {
        if (o->sizes[k] < 1 || o->sizes[k] > 65536)
            return xb_error_set(err, XB_EINVAL, "sizes[%d] = %d: must be 1..65536", k, o->sizes[k]);
        for (int q = 0; q < k; q++)
            if (o->sizes[q] == o->sizes[k])
                return xb_error_set(err, XB_EINVAL, "sizes[%d] = %d: given twice", k, o->sizes[k]);
    }
    if (o->n_rp < 1 || o->n_rp > XB_STUDY_MAX_RP)
        return xb_error_set(err, XB_EINVAL, "rp: %d values given, need 1..%d", o->n_rp, XB_STUDY_MAX_RP);
    for (int k = 0; k < o->n_rp; k++)
        if (!(isfinite(o->rp[k]) && o->rp[k] > 0))
            return xb_error_set(err, XB_EINVAL, "rp[%d] = %g: must be finite and > 0", k, o->rp[k]);
    if (o->topologies < 1 || o->topologies > XB_STUDY_BOTH)
        return xb_error_set(err, XB_EINVAL, "topologies = %d: must be input-source (1), gate-input (2) or both (3)",
                            o->topologies);
    if (!(o->on_off >= 1.0)) /* infinity allowed: Gmin = 0 */
        return xb_error_set(err, XB_EINVAL, "on_off = %g: must be >= 1", o->on_off);
    if (!(isfinite(o->g_max) && o->g_max > 0))
        return xb_error_set(err, XB_EINVAL, "g_max = %g siemens: must be finite and > 0", o->g_max);
    if (!(isfinite(o->v_in) && o->v_in > 0))
        return xb_error_set(err, XB_EINVAL, "v_in = %g volts: must be finite and > 0", o->v_in);
    if (!(isfinite(o->v_read) && o->v_read > 0))
        return xb_error_set(err, XB_EINVAL, "v_read = %g volts: must be finite and > 0", o->v_read);
    if (!(o->p_on > 0 && o->p_on <= 1))
        return xb_error_set(err, XB_EINVAL, "p_on = %g: must be in (0, 1]", o->p_on);
    if (!(isfinite(o->r_drv) && o->r_drv >= 0))
        return xb_error_set(err, XB_EINVAL, "r_drv = %g ohms: must be finite and >= 0", o->r_drv);
    if (!(isfinite(o->r_sense) && o->r_sense >= 0))
        return xb_error_set(err, XB_EINVAL, "r_sense = %g ohms: must be finite and >= 0", o->r_sense);
    if (o->r_drv > 0 && !(o->topologies & XB_STUDY_INPUT_SOURCE))
        return xb_error_set(err, XB_EINVAL, "r_drv = %g ohms: only the input-source topology has drivers", o->r_drv);
    if (o->vectors < 1 || o->vectors > 1000000)
        return xb_error_set(err, XB_EINVAL, "vectors = %d: must be 1..1000000", o->vectors);
    if (o->backend != XB_BACKEND_AUTO && o->backend != XB_BACKEND_CHOLMOD && o->backend != XB_BACKEND_TRANSFER &&
        o->backend != XB_BACKEND_KLU)
        return xb_error_set(err, XB_EINVAL, "backend %s: the study takes auto, cholmod, transfer or klu",
                            xb_backend_name(o->backend));
    if (o->ordering != XB_STUDY_ORDER_BY_SIZE && o->ordering != XB_ORDER_DEFAULT && o->ordering != XB_ORDER_AMD &&
        o->ordering != XB_ORDER_METIS)
        return xb_error_set(err, XB_EINVAL, "ordering = %d: unknown", o->ordering);
    if (!(isfinite(o->map_rp) && o->map_rp > 0))
        return xb_error_set(err, XB_EINVAL, "map_rp = %g: must be finite and > 0", o->map_rp);
    if (o->map_size) {
        int found = 0;
        for (int k = 0; k < o->n_sizes; k++)
            found |= o->sizes[k] == o->map_size;
        if (!found)
            return xb_error_set(err, XB_EINVAL, "map_size = %d: not one of the sizes of the study", o->map_size);
    }
    return XB_OK;
}


/* ---- options from text ------------------------------------------------------------
 * Every message starts with the option's name, so that a caller can prefix it
 * ("--" on the command line). */

#define TEXT_MAX 256 /* bytes of a list value */

static xb_status set_sizes(xb_study_options *o, const char *s, xb_error *err)
{
    char buf[TEXT_MAX];
    if (!*s)
        return xb_error_set(err, XB_EINVAL, "sizes: empty list");
    if (strlen(s) >= sizeof buf)
        return xb_error_set(err, XB_EINVAL, "sizes: argument too long");
    snprintf(buf, sizeof buf, "%s", s);
    int n = 0, sizes[XB_STUDY_MAX_SIZES];
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        long v;
        if (!*tok && !next && n)
            return xb_error_set(err, XB_EINVAL, "sizes '%s': trailing comma", s);
        if (!xb_parse_long(tok, &v))
            return xb_error_set(err, XB_EINVAL,
                                "sizes '%s': expected a comma-separated list of integers such as 32,64,128", s);
        if (v < 1 || v > 65536)
            return xb_error_set(err, XB_EINVAL, "sizes '%s': size %ld must be 1..65536", s, v);
        if (n == XB_STUDY_MAX_SIZES)
            return xb_error_set(err, XB_EINVAL, "sizes '%s': at most %d sizes", s, XB_STUDY_MAX_SIZES);
        for (int k = 0; k < n; k++)
            if (sizes[k] == v)
                return xb_error_set(err, XB_EINVAL, "sizes '%s': %ld appears twice", s, v);
        sizes[n++] = (int)v;
    }
    memcpy(o->sizes, sizes, (size_t)n * sizeof *sizes);
    o->n_sizes = n;
    return XB_OK;
}

/* "FIRST:LAST:POINTS" (log-spaced) or a comma-separated list. */
static xb_status set_rp(xb_study_options *o, const char *s, xb_error *err)
{
    char buf[TEXT_MAX];
    if (strlen(s) >= sizeof buf)
        return xb_error_set(err, XB_EINVAL, "rp: argument too long");
    snprintf(buf, sizeof buf, "%s", s);
    char *c1 = strchr(buf, ':');
    if (c1) {
        char *c2 = strchr(c1 + 1, ':');
        double lo, hi;
        long n;
        if (c2)
            *c1 = *c2 = '\0';
        if (!c2 || !xb_parse_double(buf, &lo) || !xb_parse_double(c1 + 1, &hi) || !xb_parse_long(c2 + 1, &n))
            return xb_error_set(err, XB_EINVAL, "rp '%s': expected FIRST:LAST:POINTS such as 1e-7:1e-2:11", s);
        if (n < 1 || n > XB_STUDY_MAX_RP)
            return xb_error_set(err, XB_EINVAL, "rp '%s': %ld points, must be 1..%d", s, n, XB_STUDY_MAX_RP);
        xb_study_options t = *o;
        xb_status st = xb_study_rp_logspace(&t, lo, hi, (int)n, err);
        if (st) {
            xb_error_prefix(err, "rp '%s'", s);
            return st;
        }
        memcpy(o->rp, t.rp, sizeof o->rp);
        o->n_rp = t.n_rp;
        return XB_OK;
    }
    int n = 0;
    double rp[XB_STUDY_MAX_RP];
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (!xb_parse_double(tok, &rp[n]) || !(rp[n] > 0))
            return xb_error_set(err, XB_EINVAL, "rp '%s': '%s' is not a positive number", s, tok);
        if (++n == XB_STUDY_MAX_RP && next)
            return xb_error_set(err, XB_EINVAL, "rp '%s': at most %d values", s, XB_STUDY_MAX_RP);
    }
    memcpy(o->rp, rp, (size_t)n * sizeof *rp);
    o->n_rp = n;
    return XB_OK;
}

/* A number > 0 (>= 0 with allow_zero). */
static xb_status set_number(double *out, const char *key, const char *s, int allow_zero, xb_error *err)
{
    double v;
    if (!xb_parse_double(s, &v) || v < 0 || (!allow_zero && v == 0))
        return xb_error_set(err, XB_EINVAL, "%s '%s': expected a finite number %s 0", key, s, allow_zero ? ">=" : ">");
    *out = v;
    return XB_OK;
}

/* An integer in lo..hi into *out. */
static xb_status set_int(long *out, const char *key, const char *s, long lo, long hi, xb_error *err)
{
    if (!xb_parse_long(s, out) || *out < lo || *out > hi)
        return xb_error_set(err, XB_EINVAL, "%s '%s': expected an integer %ld..%ld", key, s, lo, hi);
    return XB_OK;
}

/* One of names into *out (values[k] for names[k]). */
static int set_choice(int *out, const char *s, const char *const *names, const int *values, int n)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(s, names[k])) {
            *out = values[k];
            return 1;
        }
    return 0;
}

static xb_status set_named(xb_study_options *o, const char *key, const char *v, xb_error *err)
{
    static const char *const topo_names[] = {"both", "input-source", "gate-input"};
    static const int topo_values[] = {XB_STUDY_BOTH, XB_STUDY_INPUT_SOURCE, XB_STUDY_GATE_INPUT};
    static const char *const order_names[] = {"auto", "amd", "metis", "cholmod"};
    static const int order_values[] = {XB_STUDY_ORDER_BY_SIZE, XB_ORDER_AMD, XB_ORDER_METIS, XB_ORDER_DEFAULT};
    xb_backend b;
    if (!strcmp(key, "topology")) {
        if (!set_choice(&o->topologies, v, topo_names, topo_values, 3))
            return xb_error_set(err, XB_EINVAL, "topology '%s': must be both, input-source or gate-input", v);
    } else if (!strcmp(key, "ordering")) {
        if (!set_choice(&o->ordering, v, order_names, order_values, 4))
            return xb_error_set(err, XB_EINVAL, "ordering '%s': must be auto, amd, metis or cholmod", v);
    } else if (!strcmp(key, "backend")) {
        if (xb_backend_parse(v, &b, NULL) || (b != XB_BACKEND_AUTO && b != XB_BACKEND_CHOLMOD &&
                                              b != XB_BACKEND_TRANSFER && b != XB_BACKEND_KLU))
            return xb_error_set(err, XB_EINVAL, "backend '%s': must be auto, cholmod, transfer or klu", v);
        o->backend = b;
    } else if (!strcmp(key, "on-off")) {
        double x;
        if (!strcmp(v, "inf"))
            x = INFINITY;
        else if (!xb_parse_double(v, &x) || x < 1)
            return xb_error_set(err, XB_EINVAL, "on-off '%s': expected a number >= 1, or inf", v);
        o->on_off = x;
    } else if (!strcmp(key, "max-memory")) {
        size_t bytes;
        xb_status st = xb_parse_bytes(v, &bytes, err);
        if (st) {
            xb_error_prefix(err, "max-memory");
            return st;
        }
        o->max_memory = bytes;
    } else {
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: unknown option", key);
    }
    return XB_OK;
}

xb_status xb_study_options_set(xb_study_options *o, const char *key, const char *value, xb_error *err)
{
    if (!o || !key || !value)
        return xb_error_set(err, XB_EINVAL, "study options: NULL argument");
    long n;
    xb_status st = XB_OK;
    if (!strcmp(key, "sizes"))
        return set_sizes(o, value, err);
    if (!strcmp(key, "rp"))
        return set_rp(o, value, err);
    if (!strcmp(key, "gmax"))
        return set_number(&o->g_max, key, value, 0, err);
    if (!strcmp(key, "v-in"))
        return set_number(&o->v_in, key, value, 0, err);
    if (!strcmp(key, "v-read"))
        return set_number(&o->v_read, key, value, 0, err);
    if (!strcmp(key, "fixed-rp"))
        return set_number(&o->map_rp, key, value, 0, err);
    if (!strcmp(key, "r-drv"))
        return set_number(&o->r_drv, key, value, 1, err);
    if (!strcmp(key, "r-sense"))
        return set_number(&o->r_sense, key, value, 1, err);
    if (!strcmp(key, "vectors")) {
        if (!(st = set_int(&n, key, value, 1, 1000000, err)))
            o->vectors = (int)n;
    } else if (!strcmp(key, "seed")) {
        if (!xb_parse_long(value, &n) || n < 0)
            return xb_error_set(err, XB_EINVAL, "seed '%s': expected an integer >= 0", value);
        o->seed = (unsigned long)n;
    } else if (!strcmp(key, "refine")) {
        if (!(st = set_int(&n, key, value, 0, 10, err)))
            o->refine = n == 0 ? -1 : (int)n; /* 0 steps: the solver's "none" */
    } else if (!strcmp(key, "map-size")) {
        if (!(st = set_int(&n, key, value, 1, 65536, err)))
            o->map_size = (int)n;
    } else {
        st = set_named(o, key, value, err);
    }
    return st;
}
