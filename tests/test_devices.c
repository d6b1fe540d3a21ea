/* test_devices.c: the device keys of the analog configuration are honest.
 * Every key at its neutral value gives today's bits; read noise with sigma 0
 * is no read noise; drift at t = t0 is no drift; global compensation of a
 * drift that is the same for every device gives back the undrifted outputs
 * (up to the ADC); read noise draws afresh for every read yet gives the same
 * numbers for any batch size and thread count; bad device keys are refused
 * with their reason before anything runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xb_analog.h"
#include "xb_model.h"
#include "xb_sweep.h"
#include "xb_test.h"
#include "xb_threads.h"

static xb_model *model;
static float *images;
static int n_images, per_image, classes;

static void load(void)
{
    n_images = 8; /* the 4 stored images and the same again, shifted and scaled */
    images = xb_test_tiny_images(n_images, 0.2, &model, &per_image, &classes);
}

static void set(xb_analog_config *c, const char *k, const char *v)
{
    xb_error err = {0};
    XB_CHECK_MSG(xb_analog_config_set(c, k, v, &err) == XB_OK, "%s = %s: %s", k, v, err.msg);
}

/* Calibrate on all images (batch 4), then run n images from first in batches
 * of batch: the logits, and the sums hash into *hash. */
static float *run(const xb_analog_config *cfg, int first, int n, int batch, unsigned long long *hash)
{
    xb_error err = {0};
    xb_analog *a = xb_analog_new(model, cfg, &err);
    XB_CHECK_MSG(a != NULL, "%s", err.msg);
    if (!a)
        return calloc((size_t)n * classes, sizeof(float));
    float *logits = malloc((size_t)n * classes * sizeof *logits);
    XB_CHECK_MSG(xb_analog_calibrate(a, images, n_images, 4, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(xb_analog_attach(a, &err) == XB_OK, "%s", err.msg);
    for (int i = 0; i < n; i += batch) {
        int b = n - i < batch ? n - i : batch;
        XB_CHECK_MSG(xb_model_run(model, images + (size_t)(first + i) * per_image, b, logits + (size_t)i * classes,
                                  &err) == XB_OK, "%s", err.msg);
    }
    if (hash)
        *hash = xb_analog_sums_hash(a);
    xb_analog_free(a);
    return logits;
}

/* A configuration with something of everything today's arrays have: wires
 * solved exactly, programming errors, small tiles. */
static void base(xb_analog_config *c)
{
    xb_analog_config_init(c);
    set(c, "rp", "1e-4");
    set(c, "error_model", "independent");
    set(c, "alpha", "0.01");
    set(c, "rows_per_array", "48");
    set(c, "cols_per_array", "16");
}

static int same(const float *x, const float *y, int n) { return !memcmp(x, y, (size_t)n * sizeof *x); }

static double max_rel(const float *x, const float *y, int n)
{
    double d = 0, s = 0;
    for (int k = 0; k < n; k++) {
        d = fmax(d, fabs((double)x[k] - y[k]));
        s = fmax(s, fabs((double)y[k]));
    }
    return d / s;
}

/* Every new key at a neutral value: the same bits as without it. */
static void neutral(void)
{
    static const char *kv[][2] = {
        {"device", "ideal"},           {"read_noise", "0"},           {"read_noise", "device"},
        {"read_noise_model", "proportional"}, {"drift_time", "0"},    {"drift_t0", "5"},
        {"drift_nu", "0.2"},           {"drift_nu_std", "0.05"},      {"drift_compensation", "global"},
        {"stuck_on", "0"},             {"stuck_off", "0"},
    };
    xb_analog_config c;
    base(&c);
    const int n = n_images * classes;
    unsigned long long h0, h;
    float *ref = run(&c, 0, n_images, 4, &h0);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        base(&c);
        set(&c, kv[i][0], kv[i][1]);
        float *y = run(&c, 0, n_images, 4, &h);
        XB_CHECK_MSG(same(y, ref, n) && h == h0, "%s = %s changes the results", kv[i][0], kv[i][1]);
        free(y);
    }
    /* drift at t = t0 (the generic device with a drift exponent) is no drift */
    base(&c);
    set(&c, "drift_nu", "0.1");
    set(&c, "drift_nu_std", "0.02");
    set(&c, "drift_t0", "30");
    set(&c, "drift_time", "30");
    float *y = run(&c, 0, n_images, 4, &h);
    XB_CHECK_MSG(same(y, ref, n) && h == h0, "drift at t = t0 changes the results");
    free(y);
    /* ... and after t0 it drifts: the test can fail */
    set(&c, "drift_time", "3e7");
    y = run(&c, 0, n_images, 4, &h);
    XB_CHECK_MSG(h != h0 && max_rel(y, ref, n) > 1e-3, "a year of drift changes nothing");
    free(y);
    free(ref);
}

/* The same exponent for every device scales every conductance by the same
 * factor: global compensation measures it and gives the undrifted outputs
 * back, up to the ADC (off here) and the rounding of the scale. */
static void compensation(void)
{
    xb_analog_config c;
    xb_analog_config_init(&c);
    set(&c, "adc_bits", "off");
    set(&c, "rows_per_array", "48");
    const int n = n_images * classes;
    float *ref = run(&c, 0, n_images, 4, NULL);
    set(&c, "drift_nu", "0.08");
    set(&c, "drift_nu_std", "0");
    set(&c, "drift_time", "3e7");
    float *drifted = run(&c, 0, n_images, 4, NULL);
    set(&c, "drift_compensation", "global");
    float *comp = run(&c, 0, n_images, 4, NULL);
    const double lost = max_rel(drifted, ref, n), back = max_rel(comp, ref, n);
    XB_CHECK_MSG(lost > 0.1, "uncompensated drift: %g of the outputs, expected a clear loss", lost);
    XB_CHECK_MSG(back < 1e-5, "compensated drift: %g of the outputs, expected the undrifted ones", back);
    printf("compensation: drifted %.3g, compensated %.3g (relative to the undrifted outputs)\n", lost, back);
    free(ref);
    free(drifted);
    free(comp);
}

/* Read noise: a fresh draw per read (the same image twice gives two answers),
 * the same numbers for any batch and thread count, sigma 0 is none. */
static void read_noise(void)
{
    xb_analog_config c;
    xb_error err = {0};
    base(&c);
    set(&c, "read_noise", "0.05");
    const int per = classes;
    unsigned long long h8, h2;
    float *b8 = run(&c, 0, n_images, 8, &h8);
    float *b1 = run(&c, 0, n_images, 1, NULL);
    /* (the sums hash numbers the vectors within a call, so only the logits compare across batch sizes) */
    XB_CHECK_MSG(same(b8, b1, n_images * per), "read noise depends on the batch size");
    int threads = xb_threads_get();
    XB_CHECK(xb_threads_set(threads == 1 ? 2 : 1, &err) == XB_OK);
    float *t2 = run(&c, 0, n_images, 8, &h2);
    XB_CHECK(xb_threads_set(threads, &err) == XB_OK);
    XB_CHECK_MSG(same(b8, t2, n_images * per) && h8 == h2, "read noise depends on the thread count");
    /* image 0 read twice in one run: another draw */
    float twice[2 * 64];
    xb_analog *a = xb_analog_new(model, &c, &err);
    XB_CHECK_MSG(a && xb_analog_calibrate(a, images, n_images, 4, &err) == XB_OK && xb_analog_attach(a, &err) == XB_OK,
                 "%s", err.msg);
    if (a && per <= 64) {
        XB_CHECK(xb_model_run(model, images, 1, twice, &err) == XB_OK);
        XB_CHECK(xb_model_run(model, images, 1, twice + per, &err) == XB_OK);
        XB_CHECK_MSG(memcmp(twice, twice + per, per * sizeof *twice) != 0, "two reads of one image drew the same noise");
        XB_CHECK_MSG(same(twice, b8, per), "the first read is not the run's first read");
    }
    xb_analog_free(a);
    /* without noise the logits differ from the noisy ones: the noise is there */
    base(&c);
    float *quiet = run(&c, 0, n_images, 8, NULL);
    XB_CHECK_MSG(!same(quiet, b8, n_images * per), "read noise 0.05 changed nothing");
    free(quiet);
    free(b8);
    free(b1);
    free(t2);
}

static void refused(const char *key, const char *value, const char *key2, const char *value2, const char *want)
{
    xb_analog_config c;
    xb_error err = {0};
    xb_analog_config_init(&c);
    xb_status st = xb_analog_config_set(&c, key, value, &err);
    if (!st && key2)
        st = xb_analog_config_set(&c, key2, value2, &err);
    const int taken = st == XB_OK;
    if (taken)
        st = xb_analog_config_validate(&c, &err);
    XB_CHECK_MSG(st != XB_OK && strstr(err.msg, want), "%s = %s: '%s' lacks '%s'", key, value, err.msg, want);
    if (taken) { /* a configuration that does not validate does not run either */
        xb_analog *a = xb_analog_new(model, &c, &err);
        XB_CHECK_MSG(a == NULL && strstr(err.msg, want), "%s = %s: xb_analog_new took it", key, value);
        xb_analog_free(a);
    }
}

static void refusals(void)
{
    refused("device", "flash", NULL, NULL, "must be ideal, pcm, rram or table:FILE");
    refused("device", "table", NULL, NULL, "give the file");
    refused("device", "table:/nonexistent/dev.csv", NULL, NULL, "/nonexistent/dev.csv");
    const char *bad = xb_test_tmp("bad_device.csv");
    FILE *f = fopen(bad, "w");
    if (f) {
        fputs("1e-6,1e-6,1e-8\n3e-6,3e-6,1e-8\n2e-6,2e-6,1e-8\n", f);
        fclose(f);
    }
    char spec[600];
    snprintf(spec, sizeof spec, "table:%s", bad);
    refused("device", spec, NULL, NULL, "row 3");
    refused("read_noise", "-0.1", NULL, NULL, "must be a finite number >= 0, or device");
    refused("drift_nu", "abc", NULL, NULL, "not a number");
    refused("drift_t0", "0", NULL, NULL, "must be finite and > 0");
    refused("drift_time", "-1", NULL, NULL, "drift_time = -1");
    refused("drift_time", "100", NULL, NULL, "no drift model of its own; set drift_nu");
    refused("device", "rram", "drift_time", "1e6", "the RRAM fit covers 1 s to 2 days");
    refused("stuck_on", "0.7", "stuck_off", "0.5", "sum is <= 1");
    refused("drift_compensation", "local", NULL, NULL, "must be one of none, global");
    /* the text form reads back */
    xb_analog_config c;
    xb_error err = {0};
    char buf[700];
    xb_analog_config_init(&c);
    XB_CHECK(xb_analog_config_get(&c, "read_noise", buf, sizeof buf, &err) == XB_OK && !strcmp(buf, "device"));
    set(&c, "device", spec);
    XB_CHECK(xb_analog_config_get(&c, "device", buf, sizeof buf, &err) == XB_OK && !strcmp(buf, spec));
    XB_CHECK(xb_analog_config_get(&c, "device", buf, 12, &err) == XB_EINVAL && strlen(buf) == 11 &&
             strstr(err.msg, "needs"));
    /* a table is its contents: editing it changes the configuration's hash */
    unsigned long long h0 = xb_analog_config_hash(&c);
    f = fopen(bad, "w");
    if (f) {
        fputs("1e-6,1e-6,1e-8\n3e-6,3e-6,2e-8\n", f);
        fclose(f);
    }
    XB_CHECK(xb_analog_config_hash(&c) != h0);
}

/* A table in a sweep configuration or a parameters file is a file like the
 * model: relative to the configuration's folder. */
static void write_table(const char *path)
{
    FILE *f = fopen(path, "w");
    XB_CHECK_MSG(f != NULL, "cannot write %s", path);
    if (f) {
        fputs("1e-6,1e-6,1e-8\n1e-5,1e-5,1e-7\n", f);
        fclose(f);
    }
}

static void table_paths(void)
{
    const char *dir = xb_test_tmpdir();
    char cfg[600], text[1600], want[700], params[600], table[600], sub[600];
    snprintf(table, sizeof table, "%s/dev.csv", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/sub/dev.csv", dir);
    write_table(table);
    write_table(sub);
    snprintf(cfg, sizeof cfg, "%s/sweep.json", dir);
    snprintf(text, sizeof text,
             "{ \"model\": \"m.onnx\", \"dataset\": \"fashion-mnist\", \"base\": { \"device\": \"table:dev.csv\" },\n"
             "  \"axes\": { \"device\": [\"pcm\", \"table:%s\", \"table:sub/dev.csv\"] } }\n", sub);
    xb_sweep_config c;
    xb_error err = {0};
    XB_CHECK_MSG(xb_sweep_config_parse(text, cfg, &c, &err) == XB_OK, "%s", err.msg);
    snprintf(want, sizeof want, "table:%s", table);
    XB_CHECK_MSG(c.n_base >= 1 && !strcmp(c.base[c.n_base - 1].value, want), "base device '%s', want '%s'",
                 c.n_base ? c.base[c.n_base - 1].value : "", want);
    snprintf(want, sizeof want, "table:%s", sub);
    XB_CHECK(c.n_axes == 1 && !strcmp(c.axes[0].values[0], "pcm") && !strcmp(c.axes[0].values[1], want));
    XB_CHECK_MSG(c.n_axes == 1 && !strcmp(c.axes[0].values[2], want), "axis device '%s'", c.axes[0].values[2]);
    xb_sweep_config_free(&c);
    /* xbar infer --analog params.json */
    snprintf(params, sizeof params, "%s/sub/params.json", dir);
    FILE *f = fopen(params, "w");
    if (f) {
        fputs("{ \"device\": \"table:dev.csv\" }\n", f);
        fclose(f);
    }
    xb_analog_config a;
    XB_CHECK_MSG(xb_sweep_params_load(params, &a, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(a.device == XB_DEVICE_TABLE && !strcmp(a.device_file, sub), "params device '%s'", a.device_file);
}

int main(void)
{
    table_paths();
    load();
    if (!model)
        XB_TEST_DONE();
    refusals();
    neutral();
    compensation();
    read_noise();
    xb_model_free(model);
    free(images);
    XB_TEST_DONE();
}
