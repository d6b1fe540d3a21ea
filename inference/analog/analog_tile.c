/* analog_tile.c: one tile of a layer: weights to conductances, programming
 * errors, and the tile's MVM with bit-serial or DAC inputs and its ADC. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog_impl.h"

/* Digit that slice s of polarity p (differential: 0 = G+, 1 = G-) stores. */
static int digit(const xb_analog *a, int w, int s, int p, int unit)
{
    const xb_analog_config *c = &a->cfg;
    int v;
    if (c->mapping == XB_MAP_DIFFERENTIAL) {
        if ((p == 0 && w <= 0) || (p == 1 && w >= 0))
            return 0;
        v = w < 0 ? -w : w;
    } else {
        v = unit ? a->wmax : w + a->wmax; /* unsigned offset representation */
    }
    if (c->slices == 1)
        return v;
    return (v >> (s * a->slice_bits)) & ((1 << a->slice_bits) - 1);
}

static unsigned long long mix(unsigned long long h, unsigned long long v)
{
    /* splitmix64 finalizer over h ^ v */
    unsigned long long z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void an_tile_free(an_tile *t)
{
    if (!t->arr)
        return;
    for (int q = 0; q < t->n_arr; q++)
        xb_array_mvm_free(t->arr[q]);
    free(t->arr);
    t->arr = NULL;
    t->programmed = 0;
}

/* The circuit of array (s, p) of tile (g, dt, ot): conductances from the weight
 * digits, programming errors drawn from a generator seeded by the configuration
 * seed and the array's coordinates, wires from R^p. */
xb_circuit *an_array_circuit(xb_analog *a, an_layer *l, int g, int dt, int ot, int s, int p, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    int d0 = dt * c->rows_per_array, d1 = d0 + c->rows_per_array;
    int r0 = ot * c->cols_per_array, r1 = r0 + c->cols_per_array;
    if (d1 > l->D)
        d1 = l->D;
    if (r1 > l->R)
        r1 = l->R;
    int unit = c->mapping == XB_MAP_OFFSET && c->offset_sub == XB_OFFSET_UNIT_COLUMN;
    const int M = d1 - d0, cols = r1 - r0, N = cols + unit;
    xb_circuit *cc = xb_circuit_new(M, N, err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!cc || !rng) {
        if (cc)
            xb_error_set(err, XB_ENOMEM, "analog: out of memory");
        xb_circuit_free(cc);
        if (rng)
            gsl_rng_free(rng);
        return NULL;
    }
    const double r_wire = c->rp / c->gmax; /* ohms per segment: R^p = R_wire Gmax */
    cc->topology = c->input == XB_INPUT_BIT_SERIAL ? XB_TOPO_GATE_INPUT : XB_TOPO_INPUT_SOURCE;
    cc->v_read = c->v_read;
    cc->r_col = r_wire;
    cc->r_sense = c->r_sense;
    if (cc->topology == XB_TOPO_INPUT_SOURCE) {
        cc->r_row = r_wire;
        cc->r_drv = c->r_drv;
    }
    if (cc->topology == XB_TOPO_GATE_INPUT && c->source_line != XB_SL_IDEAL) {
        cc->source_line = c->source_line;
        cc->sl_drive = c->sl_drive;
        cc->r_sl = c->r_sl == XB_R_SL_AS_RP ? r_wire : c->r_sl / c->gmax; /* ohms per segment */
    }
    cc->access = c->access;
    cc->nmos = c->nmos;
    cc->cell = c->cell;
    cc->sinh_v0 = c->sinh_v0;
    unsigned long long h = mix(mix(mix(mix(mix(mix(c->seed, (unsigned)l->L->index), (unsigned)g), (unsigned)dt),
                                       (unsigned)ot), (unsigned)s), (unsigned)p);
    gsl_rng_set(rng, (unsigned long)h);
    const double gmax = a->gmin + a->dg;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int is_unit = j == cols;
            int w = is_unit ? 0 : l->w[((size_t)g * l->R + r0 + j) * l->D + d0 + i];
            double G = a->gmin + digit(a, w, s, p, is_unit) / a->dmax * a->dg;
            if (c->error_model != XB_PROG_NONE && c->alpha > 0) {
                double sigma = c->error_model == XB_PROG_INDEPENDENT ? c->alpha * c->gmax : c->alpha * G;
                G += sigma * gsl_ran_gaussian(rng, 1.0);
                G = G < a->gmin ? a->gmin : G > gmax ? gmax : G;
            }
            cc->g[(size_t)i * N + j] = G;
        }
    gsl_rng_free(rng);
    return cc;
}

xb_status an_tile_program(xb_analog *a, an_layer *l, int g, int dt, int ot, an_tile *t, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    double t0 = xb_clock_now();
    int d0 = dt * c->rows_per_array, r0 = ot * c->cols_per_array;
    t->rows = (d0 + c->rows_per_array > l->D ? l->D : d0 + c->rows_per_array) - d0;
    t->cols = (r0 + c->cols_per_array > l->R ? l->R : r0 + c->cols_per_array) - r0;
    t->unit = c->mapping == XB_MAP_OFFSET && c->offset_sub == XB_OFFSET_UNIT_COLUMN;
    int per = c->mapping == XB_MAP_DIFFERENTIAL ? 2 : 1;
    t->n_arr = c->slices * per;
    t->arr = calloc((size_t)t->n_arr, sizeof *t->arr);
    if (!t->arr)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for a tile");
    xb_status st = XB_OK;
    for (int s = 0; s < c->slices && !st; s++)
        for (int p = 0; p < per && !st; p++) {
            xb_circuit *cc = an_array_circuit(a, l, g, dt, ot, s, p, err);
            if (!cc) {
                st = err->code;
                break;
            }
            xb_array_mvm *arr = xb_array_mvm_new(&a->mvm, err);
            if (!arr || xb_array_mvm_program(arr, cc, err)) {
                xb_array_mvm_free(arr);
                st = err->code;
            } else {
                t->arr[s * per + p] = arr;
                a->stats.tiles++;
            }
            xb_circuit_free(cc);
        }
    if (st) {
        an_tile_free(t);
        return xb_error_prefix(err, "layer '%s' tile (%d,%d)", l->L->name, dt, ot);
    }
    t->programmed = 1;
    a->stats.t_program += xb_clock_now() - t0;
    return XB_OK;
}

/* The ADC of slice s: signed (differential) or unsigned (offset) uniform
 * quantizer with clipping over the calibrated range.  In calibration it only
 * records what it sees. */
static double adc(xb_analog *a, an_layer *l, int s, double v, int is_signed)
{
    if (a->mode == AN_CAL_ADC) {
        an_sample(&l->adc[s], v);
        return v;
    }
    int bits = a->cfg.adc_bits;
    if (bits == 0)
        return v;
    double range = l->adc_range[s];
    if (!(range > 0))
        return 0.0;
    double top = is_signed ? ldexp(1.0, bits - 1) - 1 : ldexp(1.0, bits) - 1;
    double step = range / top;
    double q = nearbyint(v / step);
    double lo = is_signed ? -top : 0;
    q = q < lo ? lo : q > top ? top : q;
    return q * step;
}

/* Bit plane b of the levels lv (or, b < 0, the DAC voltages of xs) as the
 * inputs in (k x M) and their sums of enabled rows or levels, ones (k);
 * returns whether any row is on. */
static int plane_inputs(const xb_analog *a, const double *xs, const long *lv, int b, size_t k, int M, double *in,
                        double *ones)
{
    int any = 0;
    for (size_t kk = 0; kk < k; kk++) {
        double cnt = 0;
        if (b >= 0)
            for (int i = 0; i < M; i++) {
                double v = (double)((lv[kk * M + i] >> b) & 1);
                in[kk * M + i] = v;
                cnt += v;
            }
        else
            for (int i = 0; i < M; i++) {
                double x = xs[kk * M + i];
                in[kk * M + i] = x * a->cfg.v_read / a->levels;
                cnt += x;
            }
        ones[kk] = cnt;
        any |= cnt != 0;
    }
    return any;
}

/* Inputs and currents of all the bit planes of a tile MVM fit in this many
 * doubles: one solve per array for all planes, so each array's conductances are
 * read once for all of them (the solves do not depend on how vectors are
 * batched, so the results are the same bits as plane by plane). */
#define AN_PLANE_BATCH ((size_t)1 << 22)

/* One plane's currents of slice s (ipp, and imp for the G- arrays) into that
 * slice's digit sums qs (k x Nc), with the plane's weight.  Differential: the
 * planes' charge adds up in analog before one conversion.  Offset: every
 * plane is converted, and the reference column (or Gmin's share of the
 * inputs, on[]) subtracted. */
static void accumulate(xb_analog *a, an_layer *l, const an_tile *t, int s, size_t k,
                       const double *ipp, const double *imp, const double *on, double weight,
                       double scale, double *qs)
{
    const int Nc = t->cols, N = t->cols + t->unit;
    if (a->cfg.mapping == XB_MAP_DIFFERENTIAL) {
        for (size_t kk = 0; kk < k; kk++)
            for (int j = 0; j < Nc; j++)
                qs[kk * Nc + j] += weight * (ipp[kk * N + j] - imp[kk * N + j]) * scale;
        return;
    }
    const double gmin_digits = a->gmin * a->dmax / a->dg; /* Gmin in digit units */
    double unit_digit = digit(a, 0, s, 0, 1);
    for (size_t kk = 0; kk < k; kk++) {
        double ref = t->unit ? adc(a, l, s, ipp[kk * N + Nc] * scale, 0) : (gmin_digits + unit_digit) * on[kk];
        for (int j = 0; j < Nc; j++)
            qs[kk * Nc + j] += weight * (adc(a, l, s, ipp[kk * N + j] * scale, 0) - ref);
    }
}

/* The slices' digit sums q (slices x k x Nc) into out, each slice shifted by
 * its bits; differential sums go through the ADC here. */
static void combine_slices(xb_analog *a, an_layer *l, size_t k, int Nc, const double *q,
                           double *out)
{
    const int diff = a->cfg.mapping == XB_MAP_DIFFERENTIAL;
    for (int s = 0; s < a->cfg.slices; s++) {
        const double *qs = q + (size_t)s * k * Nc;
        double sw = ldexp(1.0, s * a->slice_bits);
        for (size_t kk = 0; kk < k; kk++)
            for (int j = 0; j < Nc; j++) {
                double v = diff ? adc(a, l, s, qs[kk * Nc + j], 1) : qs[kk * Nc + j];
                out[kk * Nc + j] += sw * v;
            }
    }
}

xb_status an_tile_mvm(xb_analog *a, an_layer *l, an_tile *t, const double *xs, size_t k, double *out, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    const int M = t->rows, Nc = t->cols, N = t->cols + t->unit;
    const int per = c->mapping == XB_MAP_DIFFERENTIAL ? 2 : 1;
    const int diff = per == 2;
    const double to_digit = a->dmax / (c->v_read * a->dg); /* amperes -> digit units per volt-level */
    const int serial = c->input == XB_INPUT_BIT_SERIAL;
    double t0 = xb_clock_now();
    long *lv = serial ? malloc(k * (size_t)M * sizeof *lv) : NULL;
    if (serial && !lv)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for %zu vectors", k);
    long lv_or = 0; /* the planes with any bit set */
    if (serial)
        for (size_t qq = 0; qq < k * (size_t)M; qq++) {
            lv[qq] = (long)xs[qq];
            lv_or |= lv[qq];
        }
    int pl[64], np = 0; /* the planes to convert */
    for (int b = 0; b < (serial ? c->input_bits : 1); b++)
        if (!serial || ((lv_or >> b) & 1))
            pl[np++] = serial ? b : -1;
    const int batch = np > 1 && (size_t)np * k * (size_t)(M > N ? M : N) * (size_t)c->slices * 2 <= AN_PLANE_BATCH;
    const size_t nin = batch ? (size_t)np : 1, nout = batch ? (size_t)np * c->slices : 1;
    double *in = malloc(nin * k * (size_t)M * sizeof *in);
    double *ip = malloc(nout * k * (size_t)N * sizeof *ip);
    double *im = diff ? malloc(nout * k * (size_t)N * sizeof *im) : NULL;
    double *q = calloc(k * (size_t)Nc * (size_t)c->slices, sizeof *q);
    double *ones = malloc(nin * k * sizeof *ones);
    if (!in || !ip || (diff && !im) || !q || !ones) {
        free(lv);
        free(in);
        free(ip);
        free(im);
        free(q);
        free(ones);
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for %zu vectors", k);
    }
    xb_status st = XB_OK;
    if (batch) {
        /* every plane has a bit set: build them all, then one solve per array */
        for (int pi = 0; pi < np; pi++)
            plane_inputs(a, xs, lv, pl[pi], k, M, in + (size_t)pi * k * M, ones + (size_t)pi * k);
        a->stats.t_digital += xb_clock_now() - t0;
        t0 = xb_clock_now();
        const size_t kb = (size_t)np * k;
        for (int s = 0; s < c->slices && !st; s++) {
            st = xb_array_mvm_run(t->arr[s * per], in, kb, ip + (size_t)s * kb * N, err);
            if (!st && diff)
                st = xb_array_mvm_run(t->arr[s * per + 1], in, kb, im + (size_t)s * kb * N, err);
        }
        a->stats.t_solve += xb_clock_now() - t0;
    } else
        a->stats.t_digital += xb_clock_now() - t0;
    for (int pi = 0; pi < np && !st; pi++) {
        const int b = pl[pi];
        const double *on = ones;
        if (batch)
            on = ones + (size_t)pi * k;
        else {
            /* the inputs of this plane (0/1 bits) or the DAC voltages */
            t0 = xb_clock_now();
            int any = plane_inputs(a, xs, lv, b, k, M, in, ones);
            a->stats.t_digital += xb_clock_now() - t0;
            if (!any)
                continue; /* no row enabled: no current in any array */
        }
        double weight = serial ? ldexp(1.0, b) : 1.0;
        double scale = serial ? to_digit : to_digit * a->levels;
        for (int s = 0; s < c->slices && !st; s++) {
            const double *ipp = ip, *imp = im;
            if (batch) {
                ipp = ip + ((size_t)s * np + pi) * k * N;
                imp = diff ? im + ((size_t)s * np + pi) * k * N : NULL;
            } else {
                t0 = xb_clock_now();
                st = xb_array_mvm_run(t->arr[s * per], in, k, ip, err);
                if (!st && diff)
                    st = xb_array_mvm_run(t->arr[s * per + 1], in, k, im, err);
                a->stats.t_solve += xb_clock_now() - t0;
            }
            a->stats.mvm_vectors += (long)k * per;
            if (st)
                break;
            t0 = xb_clock_now();
            accumulate(a, l, t, s, k, ipp, imp, on, weight, scale, q + (size_t)s * k * Nc);
            a->stats.t_adc += xb_clock_now() - t0;
        }
    }
    if (!st) {
        t0 = xb_clock_now();
        combine_slices(a, l, k, Nc, q, out);
        a->stats.t_adc += xb_clock_now() - t0;
    }
    free(in);
    free(ip);
    free(im);
    free(q);
    free(ones);
    free(lv);
    return st;
}
