/* analog.c: analog inference of a network: layers, calibration, the hook. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analog_impl.h"

/* ---- calibration reservoirs ---------------------------------------------------- */

static int sampler_init(an_sampler *s, unsigned long seed)
{
    memset(s, 0, sizeof *s);
    s->v = malloc(AN_SAMPLE_CAP * sizeof *s->v);
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->v || !s->rng)
        return -1;
    gsl_rng_set(s->rng, seed);
    return 0;
}

static void sampler_free(an_sampler *s)
{
    free(s->v);
    if (s->rng)
        gsl_rng_free(s->rng);
    memset(s, 0, sizeof *s);
}

void an_sample(an_sampler *s, double v)
{
    if (v < 0)
        s->any_negative = 1;
    v = fabs(v);
    s->seen++;
    if (s->n < AN_SAMPLE_CAP) {
        s->v[s->n++] = v;
        return;
    }
    unsigned long r = gsl_rng_uniform_int(s->rng, (unsigned long)s->seen);
    if (r < AN_SAMPLE_CAP)
        s->v[r] = v;
}

/* Rearrange v[0..n) so that v[m] is the value a sort would put there, with no
 * larger value before it and no smaller one after (Hoare's selection). */
static void select_nth(double *v, long n, long m)
{
    long lo = 0, hi = n - 1;
    while (hi > lo) {
        double a = v[lo], b = v[(lo + hi) / 2], c = v[hi]; /* pivot: median of three */
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (m <= j)
            hi = j;
        else if (m >= i)
            lo = i;
        else
            return;
    }
}

/* The pct percentile of the kept |values| (linear interpolation between the
 * two order statistics around it, as in the sorted list); 0 if none. */
static double sampler_percentile(an_sampler *s, double pct)
{
    if (s->n == 0)
        return 0.0;
    double pos = pct / 100.0 * (double)(s->n - 1);
    long lo = (long)floor(pos);
    long hi = lo + 1 < s->n ? lo + 1 : lo;
    double f = pos - (double)lo;
    select_nth(s->v, s->n, lo);
    double vlo = s->v[lo], vhi = vlo;
    if (hi > lo) { /* the smallest value after lo */
        vhi = s->v[hi];
        for (long q = hi + 1; q < s->n; q++)
            vhi = s->v[q] < vhi ? s->v[q] : vhi;
    }
    return vlo * (1 - f) + vhi * f;
}

/* ---- layers ------------------------------------------------------------------ */

static xb_status layer_init(xb_analog *a, an_layer *l, const xb_matmul_layer *L, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    l->L = L;
    l->G = L->groups;
    l->R = L->rows;
    l->D = L->depth;
    size_t rows = (size_t)l->G * l->R, n = rows * (size_t)l->D;
    l->w = malloc(n * sizeof *l->w);
    l->wscale = malloc(rows * sizeof *l->wscale);
    l->adc_range = calloc((size_t)c->slices, sizeof *l->adc_range);
    l->adc = calloc((size_t)c->slices, sizeof *l->adc);
    if (!l->w || !l->wscale || !l->adc_range || !l->adc)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for layer '%s'", L->name);
    const int wmax = a->wmax;
    int use_q = c->weight_bits == 8 && c->scaling == XB_SCALE_CHANNEL && L->weight_q && L->weight_scale;
    if (use_q && L->weight_zero_point)
        for (size_t r = 0; r < rows; r++)
            if (L->weight_zero_point[r] != 0)
                use_q = 0;
    if (use_q) {
        /* the model's own int8 weights (symmetric, per output channel) */
        for (size_t q = 0; q < n; q++) {
            int w = L->weight_q[q];
            l->w[q] = w < -wmax ? -wmax : w > wmax ? wmax : w;
        }
        for (size_t r = 0; r < rows; r++)
            l->wscale[r] = L->weight_scale[r];
    } else {
        double layer_max = 0;
        for (size_t q = 0; q < n; q++)
            layer_max = fmax(layer_max, fabs(L->weight[q]));
        for (size_t r = 0; r < rows; r++) {
            const float *wr = L->weight + r * l->D;
            double m = layer_max;
            if (c->scaling == XB_SCALE_CHANNEL) {
                m = 0;
                for (int d = 0; d < l->D; d++)
                    m = fmax(m, fabs(wr[d]));
            }
            double s = m > 0 ? m / wmax : 1.0;
            l->wscale[r] = s;
            for (int d = 0; d < l->D; d++) {
                double q = nearbyint(wr[d] / s);
                l->w[r * l->D + d] = (int)(q < -wmax ? -wmax : q > wmax ? wmax : q);
            }
        }
    }
    l->n_dt = (l->D + c->rows_per_array - 1) / c->rows_per_array;
    l->n_ot = (l->R + c->cols_per_array - 1) / c->cols_per_array;
    l->tiles = calloc((size_t)l->G * l->n_dt * l->n_ot, sizeof *l->tiles);
    l->reads = calloc((size_t)l->G, sizeof *l->reads);
    l->drift_scale = 1.0;
    if (!l->tiles || !l->reads)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for layer '%s'", L->name);
    if (sampler_init(&l->act, 1000 + (unsigned long)L->index))
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory");
    for (int s = 0; s < c->slices; s++)
        if (sampler_init(&l->adc[s], 2000 + 97 * (unsigned long)L->index + (unsigned long)s))
            return xb_error_set(err, XB_ENOMEM, "analog: out of memory");
    return XB_OK;
}

static void layer_free(xb_analog *a, an_layer *l)
{
    if (l->tiles)
        for (long t = 0; t < (long)l->G * l->n_dt * l->n_ot; t++)
            an_tile_free(&l->tiles[t]);
    free(l->tiles);
    free(l->reads);
    free(l->w);
    free(l->wscale);
    free(l->adc_range);
    sampler_free(&l->act);
    if (l->adc)
        for (int s = 0; s < a->cfg.slices; s++)
            sampler_free(&l->adc[s]);
    free(l->adc);
}

xb_analog *xb_analog_new(xb_model *m, const xb_analog_config *cfg, xb_error *err)
{
    if (!m || !cfg) {
        xb_error_set(err, XB_EINVAL, "analog: NULL model or configuration");
        return NULL;
    }
    if (xb_analog_config_validate(cfg, err))
        return NULL;
    xb_analog *a = calloc(1, sizeof *a);
    if (!a) {
        xb_error_set(err, XB_ENOMEM, "analog: out of memory");
        return NULL;
    }
    a->model = m;
    a->cfg = *cfg;
    const xb_analog_config *c = &a->cfg;
    /* The solver picks the backend (newton for the nonlinear devices that
     * XB_MVM_NEWTON requires); XB_MVM_IDEAL drops the wires. */
    xb_array_mvm_config_init(&a->mvm);
    a->mvm.ideal_wires = c->mvm == XB_MVM_IDEAL;
    a->gmin = isinf(c->on_off) ? 0.0 : c->gmax / c->on_off;
    a->dg = c->gmax - a->gmin;
    a->wmax = (1 << (c->weight_bits - 1)) - 1;
    a->levels = (1 << c->input_bits) - 1;
    if (c->slices == 1) {
        a->slice_bits = 0;
        a->dmax = c->mapping == XB_MAP_DIFFERENTIAL ? a->wmax : 2.0 * a->wmax;
    } else {
        a->slice_bits = c->slice_bits;
        a->dmax = (double)((1 << c->slice_bits) - 1);
    }
    a->n_layers = xb_model_num_matmul_layers(m);
    a->layers = calloc((size_t)(a->n_layers ? a->n_layers : 1), sizeof *a->layers);
    if (!a->layers || an_device_init(a, err)) {
        if (!a->layers)
            xb_error_set(err, XB_ENOMEM, "analog: out of memory");
        an_device_free(a);
        free(a->layers);
        free(a);
        return NULL;
    }
    for (int i = 0; i < a->n_layers; i++)
        if (layer_init(a, &a->layers[i], xb_model_matmul_layer(m, i), err)) {
            xb_analog_free(a);
            return NULL;
        }
    return a;
}

void xb_analog_free(xb_analog *a)
{
    if (!a)
        return;
    xb_analog_detach(a);
    for (int i = 0; i < a->n_layers; i++)
        layer_free(a, &a->layers[i]);
    free(a->layers);
    an_free_par(a);
    an_device_free(a);
    free(a);
}

const xb_analog_stats *xb_analog_get_stats(const xb_analog *a) { return &a->stats; }

unsigned long long xb_analog_sums_hash(const xb_analog *a) { return a ? a->sums_hash : 0; }

xb_circuit *xb_analog_array_circuit(xb_analog *a, int layer, int g, int dt, int ot, int s, int p, xb_error *err)
{
    if (layer < 0 || layer >= a->n_layers) {
        xb_error_set(err, XB_EINVAL, "analog: layer %d out of range (0..%d)", layer, a->n_layers - 1);
        return NULL;
    }
    an_layer *l = &a->layers[layer];
    int per = a->cfg.mapping == XB_MAP_DIFFERENTIAL ? 2 : 1;
    if (g < 0 || g >= l->G || dt < 0 || dt >= l->n_dt || ot < 0 || ot >= l->n_ot || s < 0 || s >= a->cfg.slices ||
        p < 0 || p >= per) {
        xb_error_set(err, XB_EINVAL, "analog: array (g %d, dt %d, ot %d, s %d, p %d) of layer %d does not exist", g,
                     dt, ot, s, p, layer);
        return NULL;
    }
    return an_array_circuit(a, l, g, dt, ot, s, p, NULL, NULL, err);
}

/* ---- the hook ------------------------------------------------------------------ */

xb_status xb_analog_attach(xb_analog *a, xb_error *err)
{
    if (!a->calibrated)
        return xb_error_set(err, XB_EINVAL, "analog: attach before calibration (xb_analog_calibrate or _load)");
    a->mode = AN_RUN;
    xb_model_set_matmul_hook(a->model, an_hook, a);
    a->attached = 1;
    return XB_OK;
}

void xb_analog_detach(xb_analog *a)
{
    if (a && a->attached) {
        xb_model_set_matmul_hook(a->model, NULL, NULL);
        a->attached = 0;
    }
}

/* ---- calibration -------------------------------------------------------------- */

static xb_status run_images(xb_analog *a, const float *x, int n, int batch, xb_error *err)
{
    int c, h, w;
    xb_status st = xb_model_input_shape(a->model, &c, &h, &w);
    if (st)
        return xb_error_set(err, st, "analog: the model has no input shape");
    size_t per = (size_t)c * h * w;
    int classes = xb_model_num_classes(a->model);
    float *logits = malloc((size_t)batch * classes * sizeof *logits);
    if (!logits)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory");
    for (int i = 0; i < n && !st; i += batch) {
        int b = n - i < batch ? n - i : batch;
        st = xb_model_run(a->model, x + (size_t)i * per, b, logits, err);
    }
    free(logits);
    return st;
}

/* The read noise numbers every group's vectors from 0 again: the run after a
 * calibration, computed or loaded, draws the same numbers. */
static void reset_reads(xb_analog *a)
{
    for (int i = 0; i < a->n_layers; i++)
        memset(a->layers[i].reads, 0, (size_t)a->layers[i].G * sizeof *a->layers[i].reads);
}

/* Drift: the ADC ranges are set when the arrays are programmed (at t0), and
 * the arrays then drift until the inference: program them again. */
static void forget_tiles(xb_analog *a)
{
    for (int i = 0; i < a->n_layers; i++) {
        an_layer *l = &a->layers[i];
        for (long t = 0; t < (long)l->G * l->n_dt * l->n_ot; t++)
            an_tile_free(&l->tiles[t]);
    }
}

xb_status xb_analog_calibrate(xb_analog *a, const float *x, int n, int batch, xb_error *err)
{
    if (n < 1 || batch < 1 || !x)
        return xb_error_set(err, XB_EINVAL, "analog calibrate: need images (n = %d, batch = %d)", n, batch);
    int was_attached = a->attached;
    for (int i = 0; i < a->n_layers; i++) { /* the ADC sees the arrays as programmed: no drift scale */
        a->layers[i].drift_scale = 1.0;
        a->layers[i].drift_scaled = 0;
    }
    xb_model_set_matmul_hook(a->model, an_hook, a);
    /* 1: input ranges, from the digital network */
    a->mode = AN_CAL_ACT;
    xb_status st = run_images(a, x, n, batch, err);
    for (int i = 0; i < a->n_layers && !st; i++) {
        an_layer *l = &a->layers[i];
        l->act_range = sampler_percentile(&l->act, a->cfg.input_percentile);
        l->act_signed = l->act.any_negative;
    }
    /* 2: ADC ranges, from the analog network with the ADC out of the way */
    if (!st && a->cfg.mvm != XB_MVM_DIGITAL && a->cfg.adc_bits > 0) {
        a->mode = AN_CAL_ADC;
        reset_reads(a);
        if (a->dev.drifts) {
            forget_tiles(a);
            a->state_t0 = 1;
        }
        st = run_images(a, x, n, batch, err);
        for (int i = 0; i < a->n_layers && !st; i++)
            for (int s = 0; s < a->cfg.slices; s++)
                a->layers[i].adc_range[s] = sampler_percentile(&a->layers[i].adc[s], a->cfg.adc_percentile);
        if (a->state_t0)
            forget_tiles(a);
        a->state_t0 = 0;
    }
    reset_reads(a);
    a->mode = AN_RUN;
    if (!was_attached)
        xb_model_set_matmul_hook(a->model, NULL, NULL);
    if (st)
        return xb_error_prefix(err, "analog calibration");
    a->calibrated = 1;
    return XB_OK;
}

#define CAL_MAGIC "xbar-analog-calibration 1"

xb_status xb_analog_save_calibration(const xb_analog *a, const char *path, xb_error *err)
{
    if (!a->calibrated)
        return xb_error_set(err, XB_EINVAL, "analog: nothing calibrated to save");
    xb_atomic_file af;
    xb_status st = xb_atomic_open(&af, path, "w", err);
    if (st != XB_OK)
        return st;
    FILE *f = af.f;
    fprintf(f, "%s\nconfig %016llx\nlayers %d\nslices %d\n", CAL_MAGIC, xb_analog_config_hash(&a->cfg), a->n_layers,
            a->cfg.slices);
    for (int i = 0; i < a->n_layers; i++) {
        const an_layer *l = &a->layers[i];
        fprintf(f, "%d %d %d %d %.17g %d", i, l->G, l->R, l->D, l->act_range, l->act_signed);
        for (int s = 0; s < a->cfg.slices; s++)
            fprintf(f, " %.17g", l->adc_range[s]);
        fputc('\n', f);
    }
    return xb_atomic_commit(&af, err);
}

xb_status xb_analog_load_calibration(xb_analog *a, const char *path, xb_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
    char line[256];
    unsigned long long hash = 0;
    int layers = -1, slices = -1;
    xb_status st = XB_OK;
    if (!fgets(line, sizeof line, f) || strncmp(line, CAL_MAGIC, strlen(CAL_MAGIC)) ||
        fscanf(f, " config %llx layers %d slices %d", &hash, &layers, &slices) != 3)
        st = xb_error_set(err, XB_EFORMAT, "%s: not an xbar calibration file", path);
    else if (hash != xb_analog_config_hash(&a->cfg) || layers != a->n_layers || slices != a->cfg.slices)
        st = xb_error_set(err, XB_EINVAL, "%s: made for another configuration or model (config %016llx, %d layers)",
                          path, hash, layers);
    for (int i = 0; i < a->n_layers && !st; i++) {
        an_layer *l = &a->layers[i];
        int idx, G, R, D, sg;
        double ar;
        if (fscanf(f, "%d %d %d %d %lf %d", &idx, &G, &R, &D, &ar, &sg) != 6 || idx != i || G != l->G || R != l->R ||
            D != l->D || !(ar >= 0) || !isfinite(ar)) {
            st = xb_error_set(err, XB_EFORMAT, "%s: layer %d does not match the model", path, i);
            break;
        }
        l->act_range = ar;
        l->act_signed = sg != 0;
        for (int s = 0; s < slices; s++)
            if (fscanf(f, "%lf", &l->adc_range[s]) != 1 || !(l->adc_range[s] >= 0) || !isfinite(l->adc_range[s])) {
                st = xb_error_set(err, XB_EFORMAT, "%s: layer %d: bad ADC range", path, i);
                break;
            }
    }
    fclose(f);
    if (!st) {
        a->calibrated = 1;
        reset_reads(a);
    }
    return st;
}
