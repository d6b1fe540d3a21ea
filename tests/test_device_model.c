/* test_device_model.c: the published device statistics at points where the
 * papers' formulas give closed forms, and the user's table: interpolation,
 * the ends, and every malformed table refused with its row named.  Then the
 * draws of analog_device.c against those models: the empirical mean and
 * sigma of many cells within their sampling error, the drift exponents'
 * spread, stuck-cell fractions, and the read sigmas. */
#include "xb_test.h"

#include <math.h>
#include <string.h>

#include "analog_impl.h"
#include "device_model.h"

/* a within tol of b, relative to b */
#define REL(a, b, tol) XB_CHECK_REL(a, b, b, tol)

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void refused(const char *text, const char *want)
{
    const char *path = xb_test_tmp("bad.csv");
    write_file(path, text);
    xb_device_table t;
    xb_error err;
    xb_status s = xb_device_table_load(path, &t, &err);
    printf("refused: %s\n", s ? err.msg : "(loaded)");
    XB_CHECK_MSG(s != XB_OK && strstr(err.msg, want) && strstr(err.msg, "bad.csv"), "'%s' lacks '%s'", err.msg,
                 want);
    XB_CHECK(t.n == 0 && !t.g);
}

#define NDRAW 200000

/* A stand-in for an xb_analog whose configuration is cfg: enough for
 * an_device_program (Gmin, Gmax - Gmin, the resolved device). */
static void device_of(xb_analog *a, const xb_analog_config *cfg)
{
    xb_error err = {0};
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    a->gmin = cfg->gmax / cfg->on_off;
    a->dg = cfg->gmax - a->gmin;
    XB_CHECK_MSG(xb_analog_config_validate(cfg, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(an_device_init(a, &err) == XB_OK, "%s", err.msg);
}

/* NDRAW cells at target g0: their mean and sigma at the state's time (and at
 * t0 into gp when given), each compared with (mean, sigma) within 5 standard
 * errors. */
static void draws(const xb_analog *a, double g0, int at_t, double mean, double sigma, const char *what)
{
    static double g[NDRAW], sd[NDRAW];
    xb_error err = {0};
    for (int q = 0; q < NDRAW; q++)
        g[q] = g0;
    int any = 0;
    XB_CHECK_MSG(an_device_program(a, 12345, at_t, NDRAW, g, NULL, sd, &any, &err) == XB_OK, "%s", err.msg);
    double m = 0, v = 0;
    for (int q = 0; q < NDRAW; q++)
        m += g[q];
    m /= NDRAW;
    for (int q = 0; q < NDRAW; q++)
        v += (g[q] - m) * (g[q] - m);
    double sh = sqrt(v / (NDRAW - 1));
    XB_CHECK_MSG(fabs(m - mean) <= 5 * sigma / sqrt(NDRAW) + 1e-15 * mean, "%s: mean %.6g, model %.6g", what, m, mean);
    XB_CHECK_MSG(fabs(sh - sigma) <= 5 * sigma / sqrt(2.0 * NDRAW) + 1e-15 * mean, "%s: sigma %.6g, model %.6g", what,
                 sh, sigma);
}

static void set(xb_analog_config *c, const char *k, const char *v)
{
    xb_error err = {0};
    XB_CHECK_MSG(xb_analog_config_set(c, k, v, &err) == XB_OK, "%s", err.msg);
}

static void programmed_statistics(void)
{
    xb_analog_config c;
    xb_analog a;
    const double gmax = 1e-5;
    /* PCM: a high target, where the clip at 0 is 20 sigma away */
    xb_analog_config_init(&c);
    set(&c, "device", "pcm");
    device_of(&a, &c);
    draws(&a, 0.8 * gmax, 1, 0.8 * gmax, xb_pcm_prog_sigma(0.8 * gmax, gmax), "pcm programming");
    an_device_free(&a);
    /* RRAM one second and one day after programming */
    set(&c, "device", "rram");
    device_of(&a, &c);
    draws(&a, 0.6 * gmax, 1, 0.6 * gmax, xb_rram_prog_sigma(0.6 * gmax, gmax), "rram programming");
    an_device_free(&a);
    set(&c, "drift_time", "86400");
    device_of(&a, &c);
    draws(&a, 0.6 * gmax, 1, 0.6 * gmax, xb_rram_sigma_at(0.6 * gmax, gmax, 86400), "rram after a day");
    XB_CHECK(xb_rram_sigma_at(0.6 * gmax, gmax, 86400) > 1.2 * xb_rram_prog_sigma(0.6 * gmax, gmax));
    an_device_free(&a);
    /* the generic proportional error, as before: sigma = alpha G, clipped to [Gmin, Gmax] far away */
    xb_analog_config_init(&c);
    set(&c, "error_model", "proportional");
    set(&c, "alpha", "0.02");
    device_of(&a, &c);
    draws(&a, 0.5 * gmax, 1, 0.5 * gmax, 0.01 * gmax, "proportional alpha");
    an_device_free(&a);
    /* the user's table: mean and sigma interpolated halfway between two rows */
    const char *path = xb_test_tmp("dev.csv");
    write_file(path, "target,mean,sigma\n2e-6,2.2e-6,1e-7\n6e-6,5.8e-6,3e-7\n");
    xb_analog_config_init(&c);
    char spec[600];
    snprintf(spec, sizeof spec, "table:%s", path);
    set(&c, "device", spec);
    device_of(&a, &c);
    draws(&a, 4e-6, 1, 4e-6, 2e-7, "table");
    an_device_free(&a);
}

/* PCM drift: nu = -ln(G(t)/G(t0)) / ln(t/t0) per cell, mean and spread as the
 * model's; stuck cells at their fractions; read sigmas as the formulas. */
static void drift_stuck_read(void)
{
    static double g[NDRAW], gp[NDRAW], sd[NDRAW];
    xb_analog_config c;
    xb_analog a;
    xb_error err = {0};
    const double gmax = 1e-5, g0 = 0.7 * gmax, t = 86400;
    xb_analog_config_init(&c);
    set(&c, "device", "pcm");
    set(&c, "drift_time", "86400");
    device_of(&a, &c);
    for (int q = 0; q < NDRAW; q++)
        g[q] = g0;
    int any = 0;
    XB_CHECK(an_device_program(&a, 7, 1, NDRAW, g, gp, sd, &any, &err) == XB_OK && any);
    double m = 0, v = 0;
    for (int q = 0; q < NDRAW; q++)
        m += -log(g[q] / gp[q]) / log(t / XB_PCM_T0);
    m /= NDRAW;
    for (int q = 0; q < NDRAW; q++) {
        double nu = -log(g[q] / gp[q]) / log(t / XB_PCM_T0);
        v += (nu - m) * (nu - m);
    }
    const double mu = xb_pcm_nu_mean(g0, gmax), s = xb_pcm_nu_std(g0, gmax);
    XB_CHECK_MSG(fabs(m - mu) < 5 * s / sqrt(NDRAW), "nu mean %g, model %g", m, mu);
    XB_CHECK_MSG(fabs(sqrt(v / (NDRAW - 1)) - s) < 5 * s / sqrt(2.0 * NDRAW), "nu std %g, model %g",
                 sqrt(v / (NDRAW - 1)), s);
    for (int q = 0; q < 1000; q++) /* the 1/f read noise of a cell now at g, programmed to g0, at t */
        XB_CHECK(sd[q] == xb_pcm_read_sigma(g[q], g0, gmax, t));
    an_device_free(&a);
    /* stuck cells: a binomial count within 5 sigma; the others untouched */
    xb_analog_config_init(&c);
    set(&c, "stuck_on", "0.01");
    set(&c, "stuck_off", "0.05");
    device_of(&a, &c);
    for (int q = 0; q < NDRAW; q++)
        g[q] = 0.5 * gmax;
    XB_CHECK(an_device_program(&a, 9, 1, NDRAW, g, NULL, NULL, NULL, &err) == XB_OK);
    long on = 0, off = 0, other = 0;
    for (int q = 0; q < NDRAW; q++)
        on += g[q] == gmax, off += g[q] == a.gmin, other += g[q] == 0.5 * gmax;
    XB_CHECK(on + off + other == NDRAW);
    XB_CHECK_MSG(fabs(on - 0.01 * NDRAW) < 5 * sqrt(NDRAW * 0.01 * 0.99), "stuck on: %ld of %d", on, NDRAW);
    XB_CHECK_MSG(fabs(off - 0.05 * NDRAW) < 5 * sqrt(NDRAW * 0.05 * 0.95), "stuck off: %ld of %d", off, NDRAW);
    an_device_free(&a);
    /* generic read noise: sigma Gmax or sigma G, exactly */
    xb_analog_config_init(&c);
    set(&c, "read_noise", "0.03");
    device_of(&a, &c);
    g[0] = 0.25 * gmax;
    XB_CHECK(an_device_program(&a, 1, 1, 1, g, NULL, sd, &any, &err) == XB_OK && any && sd[0] == 0.03 * gmax);
    set(&c, "read_noise_model", "proportional");
    device_of(&a, &c);
    XB_CHECK(an_device_program(&a, 1, 1, 1, g, NULL, sd, &any, &err) == XB_OK && sd[0] == 0.03 * g[0]);
    set(&c, "read_noise", "0");
    device_of(&a, &c);
    XB_CHECK(an_device_program(&a, 1, 1, 1, g, NULL, sd, &any, &err) == XB_OK && !any);
}

int main(void)
{
    programmed_statistics();
    drift_stuck_read();
    const double gmax = 25e-6;
    /* PCM programming noise: (0.26348 + 1.9650 x - 1.1731 x^2) uS at Gmax = 25 uS. */
    REL(xb_pcm_prog_sigma(0.5 * gmax, gmax), (0.26348 + 0.98250 - 0.293275) * 1e-6, 1e-12);
    REL(xb_pcm_prog_sigma(gmax, 2 * gmax), 2 * (0.26348 + 0.98250 - 0.293275) * 1e-6, 1e-12);
    XB_CHECK(xb_pcm_prog_sigma(0, gmax) == 0.26348e-6);
    /* Drift exponent: mean clamped to [0.049, 0.1], spread to [0.008, 0.045]. */
    XB_CHECK(xb_pcm_nu_mean(gmax, gmax) == 0.049);
    REL(xb_pcm_nu_mean(0.01 * gmax, gmax), -0.0155 * log(0.01) + 0.0244, 1e-12);
    XB_CHECK(xb_pcm_nu_mean(1e-12, gmax) == 0.1);
    XB_CHECK(xb_pcm_nu_std(0.01 * gmax, gmax) == 0.045);
    REL(xb_pcm_nu_std(0.1 * gmax, gmax), -0.0125 * log(0.1) - 0.0059, 1e-12);
    XB_CHECK(xb_pcm_nu_std(gmax, gmax) == 0.008);
    /* Read noise: none at t = 0; at Gmax, Q_s = 0.0088; it grows as sqrt(ln t). */
    XB_CHECK(xb_pcm_read_sigma(gmax, gmax, gmax, 0) == 0);
    double r1 = xb_pcm_read_sigma(gmax, gmax, gmax, 1.0), r2 = xb_pcm_read_sigma(gmax, gmax, gmax, 3600.0);
    REL(r1, gmax * 0.0088 * sqrt(log((1.0 + 250e-9) / 500e-9)), 1e-12);
    REL(r2 / r1, sqrt(log((3600.0 + 250e-9) / 500e-9) / log((1.0 + 250e-9) / 500e-9)), 1e-12);
    XB_CHECK(xb_pcm_read_sigma(gmax, 1e-9 * gmax, gmax, 1.0) == gmax * 0.2 * sqrt(log((1.0 + 250e-9) / 500e-9)));
    /* RRAM: the polynomial's coefficients add up to 1.103 uS at x = 1, Gmax = 40 uS. */
    REL(xb_rram_prog_sigma(40e-6, 40e-6), 1.103e-6, 1e-12);
    REL(xb_rram_prog_sigma(0, 20e-6), 0.348e-6 / 2, 1e-12);

    /* The user's table. */
    const char *path = xb_test_tmp("dev.csv");
    write_file(path, "# measured at 25 C\ntarget_S,mean_S,sigma_S,read_S\n1e-6, 1.1e-6, 1e-7, 1e-8\n"
                     "2e-6,2.1e-6,2e-7,2e-8\n\n4e-6,3.9e-6,4e-7,4e-8\r\n");
    xb_device_table t;
    xb_error err;
    XB_CHECK_MSG(xb_device_table_load(path, &t, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(t.n == 3 && t.read);
    double m, s, r;
    xb_device_table_at(&t, 3e-6, &m, &s, &r);
    REL(m, 3.0e-6, 1e-15);
    REL(s, 3e-7, 1e-15);
    REL(r, 3e-8, 1e-15);
    xb_device_table_at(&t, 1.5e-6, &m, &s, &r);
    REL(m, 1.6e-6, 1e-15);
    xb_device_table_at(&t, 1e-9, &m, &s, &r); /* below the table: its first row */
    XB_CHECK(m == 1.1e-6 && s == 1e-7);
    xb_device_table_at(&t, 1, &m, &s, &r); /* above: its last */
    XB_CHECK(m == 3.9e-6 && s == 4e-7 && r == 4e-8);
    xb_device_table_free(&t);
    write_file(path, "1e-6,1e-6,0\n5e-6,5e-6,1e-7\n");
    XB_CHECK(xb_device_table_load(path, &t, &err) == XB_OK && t.n == 2 && !t.read);
    xb_device_table_at(&t, 2e-6, &m, &s, &r);
    XB_CHECK(r == 0);
    xb_device_table_free(&t);

    refused("1e-6,1e-6,1e-8\n3e-6,3e-6,1e-8\n2e-6,2e-6,1e-8\n", "row 3: target 2e-06 S is not above");
    refused("1e-6,1e-6,1e-8\n2e-6,nan,1e-8\n", "row 2: expected 3 or 4 numbers");
    refused("1e-6,1e-6,1e-8\n2e-6,2e-6,-1e-8\n", "row 2: a sigma is negative");
    refused("1e-6,1e-6,1e-8,1e-9\n2e-6,2e-6,1e-8\n", "row 2: 3 numbers, the rows before 4");
    refused("1e-6,1e-6\n2e-6,2e-6\n", "row 1: expected 3 or 4 numbers");
    refused("1e-6,1e-6,1e-8\n", "1 row of numbers");
    refused("0,1e-6,1e-8\n2e-6,2e-6,1e-8\n", "row 1: target conductance 0 S must be > 0");
    XB_CHECK(xb_device_table_load(xb_test_tmp("absent.csv"), &t, &err) == XB_EIO);
    XB_TEST_DONE();
}
