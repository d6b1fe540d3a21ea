/* analog_device.c: what the devices do to the programmed conductances: the
 * programming statistics of the selected device, drift to the time of the
 * inference, stuck cells, the sigma of every read, and the global drift
 * compensation (docs/devices.md gives the equations and their sources). */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog_impl.h"
#include "device_model.h"

static int from_device(double v) { return v == XB_FROM_DEVICE; }

/* The drift law's reference time: the key, or the device's own (PCM: the
 * first read after programming of its model; otherwise 1 s). */
static double drift_t0(const xb_analog_config *c)
{
    if (!from_device(c->drift_t0))
        return c->drift_t0;
    return c->device == XB_DEVICE_PCM ? XB_PCM_T0 : 1.0;
}

static xb_status check_dev_num(const char *key, double v, int positive, xb_error *err)
{
    if (from_device(v) || (isfinite(v) && (positive ? v > 0 : v >= 0)))
        return XB_OK;
    return xb_error_set(err, XB_EINVAL, "%s = %g: must be finite and %s 0, or device", key, v, positive ? ">" : ">=");
}

xb_status xb_analog_device_validate(const xb_analog_config *c, xb_error *err)
{
    xb_status st;
    if (c->device < XB_DEVICE_IDEAL || c->device > XB_DEVICE_TABLE)
        return xb_error_set(err, XB_EINVAL, "device = %d: not a device", (int)c->device);
    if ((st = check_dev_num("read_noise", c->read_noise, 0, err)) ||
        (st = check_dev_num("drift_t0", c->drift_t0, 1, err)) ||
        (st = check_dev_num("drift_nu", c->drift_nu, 0, err)) ||
        (st = check_dev_num("drift_nu_std", c->drift_nu_std, 0, err)))
        return st;
    if (!(c->drift_time >= 0) || !isfinite(c->drift_time))
        return xb_error_set(err, XB_EINVAL, "drift_time = %g: must be finite and >= 0 seconds", c->drift_time);
    if (!(c->stuck_on >= 0 && c->stuck_off >= 0 && c->stuck_on + c->stuck_off <= 1))
        return xb_error_set(err, XB_EINVAL, "stuck_on = %g, stuck_off = %g: fractions >= 0 whose sum is <= 1",
                            c->stuck_on, c->stuck_off);
    const int drifts = c->drift_time > drift_t0(c);
    if (drifts && from_device(c->drift_nu) && (c->device == XB_DEVICE_IDEAL || c->device == XB_DEVICE_TABLE))
        return xb_error_set(err, XB_EINVAL, "drift_time = %g: device %s has no drift model of its own; set drift_nu",
                            c->drift_time, c->device == XB_DEVICE_IDEAL ? "ideal" : "table");
    if (c->device == XB_DEVICE_RRAM && c->drift_time > XB_RRAM_T_MAX)
        return xb_error_set(err, XB_EINVAL, "drift_time = %g: the RRAM fit covers 1 s to 2 days (%g s)",
                            c->drift_time, XB_RRAM_T_MAX);
    if (c->device == XB_DEVICE_TABLE) {
        if (!memchr(c->device_file, 0, sizeof c->device_file) || !c->device_file[0])
            return xb_error_set(err, XB_EINVAL, "device = table: no file");
        xb_device_table t;
        if ((st = xb_device_table_load(c->device_file, &t, err)))
            return xb_error_prefix(err, "device = table");
        xb_device_table_free(&t);
    }
    return XB_OK;
}

xb_status an_device_init(xb_analog *a, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    a->dev.t0 = drift_t0(c);
    a->dev.drifts = c->drift_time > a->dev.t0;
    if (c->device == XB_DEVICE_TABLE && xb_device_table_load(c->device_file, &a->dev.table, err))
        return xb_error_prefix(err, "device = table");
    return XB_OK;
}

void an_device_free(xb_analog *a) { xb_device_table_free(&a->dev.table); }

static unsigned long long mix(unsigned long long h, unsigned long long v)
{
    unsigned long long z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The three streams of an array: programming (seeded with h itself, as it has
 * always been), drift exponents, stuck cells.  Each draws only when its
 * effect is on, so that an effect at its neutral value draws nothing. */
typedef struct {
    gsl_rng *prog, *drift, *stuck;
} streams;

static void streams_free(streams *r)
{
    if (r->prog)
        gsl_rng_free(r->prog);
    if (r->drift)
        gsl_rng_free(r->drift);
    if (r->stuck)
        gsl_rng_free(r->stuck);
}

static int streams_new(streams *r, unsigned long long h, int drift, int stuck)
{
    memset(r, 0, sizeof *r);
    r->prog = gsl_rng_alloc(gsl_rng_mt19937);
    r->drift = drift ? gsl_rng_alloc(gsl_rng_mt19937) : NULL;
    r->stuck = stuck ? gsl_rng_alloc(gsl_rng_mt19937) : NULL;
    if (!r->prog || (drift && !r->drift) || (stuck && !r->stuck)) {
        streams_free(r);
        return -1;
    }
    gsl_rng_set(r->prog, (unsigned long)h);
    if (r->drift)
        gsl_rng_set(r->drift, (unsigned long)mix(h, 0xd41f7ULL));
    if (r->stuck)
        gsl_rng_set(r->stuck, (unsigned long)mix(h, 0x57c4ULL));
    return 0;
}

/* One cell programmed to target g0: its conductance at t0 (*gp) and at the
 * state's time (*gt). */
static void program_cell(const xb_analog *a, streams *r, double g0, int at_t, double *gp, double *gt)
{
    const xb_analog_config *c = &a->cfg;
    const double gmax = a->gmin + a->dg, cg = c->gmax;
    double g = g0, mean, sigma, rd;
    if (c->error_model != XB_PROG_NONE && c->alpha > 0) { /* the generic error, as it has always been */
        double s = c->error_model == XB_PROG_INDEPENDENT ? c->alpha * c->gmax : c->alpha * g0;
        g += s * gsl_ran_gaussian(r->prog, 1.0);
        g = g < a->gmin ? a->gmin : g > gmax ? gmax : g;
        *gp = *gt = g;
        return;
    }
    switch (c->device) {
    case XB_DEVICE_IDEAL:
        *gp = *gt = g0;
        return;
    case XB_DEVICE_PCM:
        g = fmax(g0 + xb_pcm_prog_sigma(g0, cg) * gsl_ran_gaussian(r->prog, 1.0), 0.0);
        *gp = *gt = g;
        return;
    case XB_DEVICE_RRAM: { /* the deviation from the target grows with time (the fit's relaxation) */
        double z = gsl_ran_gaussian(r->prog, 1.0);
        *gp = fmax(g0 + xb_rram_prog_sigma(g0, cg) * z, 0.0);
        *gt = at_t && c->drift_time > 1.0 ? fmax(g0 + xb_rram_sigma_at(g0, cg, c->drift_time) * z, 0.0) : *gp;
        return;
    }
    case XB_DEVICE_TABLE:
        xb_device_table_at(&a->dev.table, g0, &mean, &sigma, &rd);
        g = fmax(mean + sigma * gsl_ran_gaussian(r->prog, 1.0), 0.0);
        *gp = *gt = g;
        return;
    }
}

/* The drift exponent of one device: mean and spread from the keys or from
 * the device (PCM: functions of the target), not negative. */
static double drift_nu(const xb_analog *a, streams *r, double g0)
{
    const xb_analog_config *c = &a->cfg;
    double mu = !from_device(c->drift_nu) ? c->drift_nu
                : c->device == XB_DEVICE_PCM ? xb_pcm_nu_mean(g0, c->gmax) : 0.0;
    double sd = !from_device(c->drift_nu_std) ? c->drift_nu_std
                : c->device == XB_DEVICE_PCM ? xb_pcm_nu_std(g0, c->gmax) : 0.0;
    double nu = sd > 0 ? mu + sd * gsl_ran_gaussian(r->drift, 1.0) : mu;
    return nu > 0 ? nu : 0.0;
}

/* sigma of every read of a cell now at g, programmed to target g0. */
static double read_sigma(const xb_analog *a, double g, double g0, int at_t)
{
    const xb_analog_config *c = &a->cfg;
    if (!from_device(c->read_noise))
        return c->read_noise_model == XB_READ_INDEPENDENT ? c->read_noise * c->gmax : c->read_noise * g;
    if (c->device == XB_DEVICE_PCM) /* 1/f noise integrated since programming: it grows with time */
        return xb_pcm_read_sigma(g, g0, c->gmax, at_t && c->drift_time > 0 ? c->drift_time : a->dev.t0);
    if (c->device == XB_DEVICE_TABLE) {
        double mean, sigma, rd;
        xb_device_table_at(&a->dev.table, g0, &mean, &sigma, &rd);
        return rd;
    }
    return 0.0;
}

xb_status an_device_program(const xb_analog *a, unsigned long long h, int at_t, size_t n, double *g, double *g_t0,
                            double *sd, int *any_sd, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    const int drift = at_t && a->dev.drifts, stuck = c->stuck_on + c->stuck_off > 0;
    streams r;
    if (streams_new(&r, h, drift, stuck))
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for the device streams");
    const double ratio = c->drift_time / a->dev.t0, gmax = a->gmin + a->dg;
    int any = 0;
    for (size_t q = 0; q < n; q++) {
        const double g0 = g[q];
        double gp = g0, gt = g0;
        program_cell(a, &r, g0, at_t, &gp, &gt);
        if (drift) {
            double nu = drift_nu(a, &r, g0);
            gt *= pow(ratio, -nu);
        }
        if (stuck) {
            double u = gsl_rng_uniform(r.stuck);
            if (u < c->stuck_on)
                gp = gt = gmax;
            else if (u < c->stuck_on + c->stuck_off)
                gp = gt = a->gmin;
        }
        g[q] = gt;
        if (g_t0)
            g_t0[q] = gp;
        if (sd) {
            sd[q] = read_sigma(a, gt, g0, at_t);
            any |= sd[q] > 0;
        }
    }
    streams_free(&r);
    if (any_sd)
        *any_sd = any;
    return XB_OK;
}
