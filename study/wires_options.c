/* wires_options.c: the wire study's options: defaults, validation, and each
 * option set from text by name (xb_study.h). */
#include <math.h>
#include <stdint.h>
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

/* The default lists: the powers of two of 32 x 32 to 1024 x 1024, and R^p one
 * per decade from DEF_RP_LO to DEF_RP_HI (what xb_study_rp_logspace gives for
 * them: exact decades). */
static const int default_sizes[] = {32, 64, 128, 256, 512, 1024};
static const double default_rp[DEF_RP_N] = {DEF_RP_LO, 1e-6, 1e-5, 1e-4, 1e-3, DEF_RP_HI};

void xb_study_options_init(xb_study_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->sizes = default_sizes;
    opt->n_sizes = (int)(sizeof default_sizes / sizeof default_sizes[0]);
    opt->rp = default_rp;
    opt->n_rp = DEF_RP_N;
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

void xb_study_options_release(xb_study_options *opt)
{
    if (!opt)
        return;
    if (opt->own_sizes && opt->sizes == opt->own_sizes) {
        opt->sizes = NULL;
        opt->n_sizes = 0;
    }
    if (opt->own_rp && opt->rp == opt->own_rp) {
        opt->rp = NULL;
        opt->n_rp = 0;
    }
    free(opt->own_sizes);
    free(opt->own_rp);
    opt->own_sizes = NULL;
    opt->own_rp = NULL;
}

/* Hand a list to the options: they own it from now on, and free the one it replaces. */
static void own_sizes(xb_study_options *o, int *sizes, int n)
{
    free(o->own_sizes);
    o->own_sizes = sizes;
    o->sizes = sizes;
    o->n_sizes = n;
}

static void own_rp(xb_study_options *o, double *rp, int n)
{
    free(o->own_rp);
    o->own_rp = rp;
    o->rp = rp;
    o->n_rp = n;
}

xb_status xb_study_rp_logspace(xb_study_options *opt, double lo, double hi, int n, xb_error *err)
{
    if (!opt)
        return xb_error_set(err, XB_EINVAL, "R^p range: NULL options");
    if (!(isfinite(lo) && isfinite(hi) && lo > 0 && hi >= lo))
        return xb_error_set(err, XB_EINVAL, "R^p range %g..%g: need 0 < first <= last, both finite", lo, hi);
    if (n < 1 || n > XB_STUDY_MAX_RP)
        return xb_error_set(err, XB_EINVAL, "R^p points: %d, must be 1..%d", n, XB_STUDY_MAX_RP);
    if (n > 1 && hi == lo)
        return xb_error_set(err, XB_EINVAL, "R^p range %g..%g: %d points need first < last", lo, hi, n);
    double *rp = malloc((size_t)n * sizeof *rp);
    if (!rp)
        return xb_error_set(err, XB_ENOMEM, "R^p range: out of memory for %d values", n);
    double a = log10(lo), b = log10(hi);
    for (int k = 0; k < n; k++) {
        /* Exact decades stay exact: pow(10, -4) rather than exp of a rounded sum. */
        double e = n == 1 ? a : a + (b - a) * k / (n - 1);
        double er = nearbyint(e);
        rp[k] = fabs(e - er) < 1e-12 ? pow(10.0, er) : pow(10.0, e);
    }
    rp[0] = lo;
    if (n > 1)
        rp[n - 1] = hi;
    own_rp(opt, rp, n);
    return XB_OK;
}

xb_status xb_study_options_validate(const xb_study_options *o, xb_error *err)
{
    if (!o)
        return xb_error_set(err, XB_EINVAL, "study: NULL options");
    if (o->n_sizes < 1 || o->n_sizes > XB_STUDY_MAX_SIZES)
        return xb_error_set(err, XB_EINVAL, "sizes: %d given, need 1..%d", o->n_sizes, XB_STUDY_MAX_SIZES);
    if (!o->sizes)
        return xb_error_set(err, XB_EINVAL, "sizes: NULL list of %d sizes", o->n_sizes);
    for (int k = 0; k < o->n_sizes; k++) {
        if (o->sizes[k] < 1 || o->sizes[k] > 65536)
            return xb_error_set(err, XB_EINVAL, "sizes[%d] = %d: must be 1..65536", k, o->sizes[k]);
        for (int q = 0; q < k; q++)
            if (o->sizes[q] == o->sizes[k])
                return xb_error_set(err, XB_EINVAL, "sizes[%d] = %d: given twice", k, o->sizes[k]);
    }
    if (o->n_rp < 1 || o->n_rp > XB_STUDY_MAX_RP)
        return xb_error_set(err, XB_EINVAL, "rp: %d values given, need 1..%d", o->n_rp, XB_STUDY_MAX_RP);
    if (!o->rp)
        return xb_error_set(err, XB_EINVAL, "rp: NULL list of %d values", o->n_rp);
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

/* A writable copy of a list value, for strtok-style splitting; NULL when out of memory. */
static char *list_copy(const char *key, const char *s, xb_error *err)
{
    char *buf = malloc(strlen(s) + 1);
    if (!buf)
        xb_error_set(err, XB_ENOMEM, "%s: out of memory for the list", key);
    else
        strcpy(buf, s);
    return buf;
}

/* The comma-separated sizes of s into sizes (XB_STUDY_MAX_SIZES entries) and *n;
 * buf is a writable copy of s. */
static xb_status parse_sizes(const char *s, char *buf, int *sizes, int *n, xb_error *err)
{
    *n = 0;
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        long v;
        if (!*tok && !next && *n)
            return xb_error_set(err, XB_EINVAL, "sizes '%s': trailing comma", s);
        if (!xb_parse_long(tok, &v))
            return xb_error_set(err, XB_EINVAL,
                                "sizes '%s': expected a comma-separated list of integers such as 32,64,128", s);
        if (v < 1 || v > 65536)
            return xb_error_set(err, XB_EINVAL, "sizes '%s': size %ld must be 1..65536", s, v);
        if (*n == XB_STUDY_MAX_SIZES)
            return xb_error_set(err, XB_EINVAL, "sizes '%s': at most %d sizes", s, XB_STUDY_MAX_SIZES);
        for (int k = 0; k < *n; k++)
            if (sizes[k] == v)
                return xb_error_set(err, XB_EINVAL, "sizes '%s': %ld appears twice", s, v);
        sizes[(*n)++] = (int)v;
    }
    return XB_OK;
}

static xb_status set_sizes(xb_study_options *o, const char *s, xb_error *err)
{
    if (!*s)
        return xb_error_set(err, XB_EINVAL, "sizes: empty list");
    int n, sizes[XB_STUDY_MAX_SIZES];
    char *buf = list_copy("sizes", s, err);
    if (!buf)
        return XB_ENOMEM;
    xb_status st = parse_sizes(s, buf, sizes, &n, err);
    free(buf);
    if (st)
        return st;
    int *own = malloc((size_t)n * sizeof *own);
    if (!own)
        return xb_error_set(err, XB_ENOMEM, "sizes: out of memory for %d sizes", n);
    memcpy(own, sizes, (size_t)n * sizeof *own);
    own_sizes(o, own, n);
    return XB_OK;
}

/* "FIRST:LAST:POINTS", log-spaced; buf is a writable copy of s and c1 its first ':'. */
static xb_status set_rp_range(xb_study_options *o, const char *s, char *buf, char *c1, xb_error *err)
{
    char *c2 = strchr(c1 + 1, ':');
    double lo, hi;
    long n;
    if (c2)
        *c1 = *c2 = '\0';
    if (!c2 || !xb_parse_double(buf, &lo) || !xb_parse_double(c1 + 1, &hi) || !xb_parse_long(c2 + 1, &n))
        return xb_error_set(err, XB_EINVAL, "rp '%s': expected FIRST:LAST:POINTS such as 1e-7:1e-2:11", s);
    if (n < 1 || n > XB_STUDY_MAX_RP)
        return xb_error_set(err, XB_EINVAL, "rp '%s': %ld points, must be 1..%d", s, n, XB_STUDY_MAX_RP);
    xb_status st = xb_study_rp_logspace(o, lo, hi, (int)n, err);
    if (st)
        xb_error_prefix(err, "rp '%s'", s);
    return st;
}

/* A comma-separated list of R^p values; buf is a writable copy of s. */
static xb_status set_rp_list(xb_study_options *o, const char *s, char *buf, xb_error *err)
{
    double *rp = malloc(XB_STUDY_MAX_RP * sizeof *rp);
    if (!rp)
        return xb_error_set(err, XB_ENOMEM, "rp: out of memory for the list");
    int n = 0;
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (!xb_parse_double(tok, &rp[n]) || !(rp[n] > 0)) {
            free(rp);
            return xb_error_set(err, XB_EINVAL, "rp '%s': '%s' is not a positive number", s, tok);
        }
        if (++n == XB_STUDY_MAX_RP && next) {
            free(rp);
            return xb_error_set(err, XB_EINVAL, "rp '%s': at most %d values", s, XB_STUDY_MAX_RP);
        }
    }
    own_rp(o, rp, n);
    return XB_OK;
}

/* "FIRST:LAST:POINTS" (log-spaced) or a comma-separated list. */
static xb_status set_rp(xb_study_options *o, const char *s, xb_error *err)
{
    char *buf = list_copy("rp", s, err);
    if (!buf)
        return XB_ENOMEM;
    char *c1 = strchr(buf, ':');
    xb_status st = c1 ? set_rp_range(o, s, buf, c1, err) : set_rp_list(o, s, buf, err);
    free(buf);
    return st;
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
        /* Bytes as a plain number: units such as "8G" are the command's notation
         * (cli/cli_util.c), not the library's. */
        double x;
        if (!xb_parse_double(v, &x) || x < 0 || x != floor(x) || x >= (double)SIZE_MAX)
            return xb_error_set(err, XB_EINVAL, "max-memory '%s': expected a whole number of bytes >= 0 (0: physical RAM)",
                                v);
        o->max_memory = (size_t)x;
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
