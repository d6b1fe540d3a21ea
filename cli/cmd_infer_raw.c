/* cmd_infer_raw.c: `xbar infer --inputs X.npy --out logits.npy`: a raw
 * input tensor through the network, digitally or on crossbar arrays
 * (--analog PARAMS.json), with no preprocessing, and the logits written out:
 * how an engine is checked against onnxruntime or torch. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_analog.h"
#include "xb_matrix_io.h"
#include "xb_model.h"
#include "xb_sweep.h"

/* A tensor file as float32 images of the model's input shape: N x C x H x W
 * (or N x F for a model whose input is [N, F]). */
static float *read_images(const char *path, const xb_model *m, size_t *n, xb_error *err)
{
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    xb_matrix t = {0};
    if (xb_matrix_read(path, &t, err) != XB_OK)
        return NULL;
    const size_t chw = (size_t)c * (size_t)h * (size_t)w;
    int ok = t.ndim >= 2 && t.size % chw == 0;
    if (ok && t.ndim == 4)
        ok = t.shape[1] == (size_t)c && t.shape[2] == (size_t)h && t.shape[3] == (size_t)w;
    else if (ok)
        ok = t.ndim == 2 && t.shape[1] == chw && h == 1 && w == 1;
    if (!ok || t.shape[0] == 0 || t.shape[0] > (size_t)1 << 30) {
        char shape[96] = "";
        for (int i = 0, k = 0; i < t.ndim && k < (int)sizeof shape - 12; i++)
            k += snprintf(shape + k, sizeof shape - (size_t)k, "%s%zu", i ? "x" : "", t.shape[i]);
        xb_error_set(err, XB_EINVAL, "%s: shape %s does not match the model's input: expected N x %d x %d x %d "
                     "(N >= 1)", path, t.ndim ? shape : "(scalar)", c, h, w);
        free(t.data);
        return NULL;
    }
    float *x = malloc(sizeof *x * t.size);
    if (!x) {
        xb_error_set(err, XB_ENOMEM, "%s: out of memory", path);
        free(t.data);
        return NULL;
    }
    for (size_t i = 0; i < t.size; i++)
        x[i] = (float)t.data[i];
    *n = t.shape[0];
    free(t.data);
    return x;
}

/* Run n images in batches through m (with its hook as set). */
static xb_status run_all(xb_model *m, const float *x, size_t n, int batch, float *logits, xb_error *err)
{
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    const size_t chw = (size_t)c * h * w, classes = (size_t)xb_model_num_classes(m);
    for (size_t i = 0; i < n; i += (size_t)batch) {
        int b = (int)(n - i < (size_t)batch ? n - i : (size_t)batch);
        if (xb_model_run(m, x + i * chw, b, logits + i * classes, err) != XB_OK)
            return xb_error_prefix(err, "images %zu..%zu", i, i + (size_t)b - 1);
    }
    return XB_OK;
}

/* The analog model of params, calibrated on the calibration tensor (or the
 * inputs themselves), attached to m. */
static xb_analog *analog_open(xb_model *m, const xb_infer_raw_args *a, const float *x, size_t n, int batch,
                              xb_error *err)
{
    xb_analog_config cfg;
    if (xb_sweep_params_load(a->analog, &cfg, err) != XB_OK)
        return NULL;
    xb_analog *an = xb_analog_new(m, &cfg, err);
    if (!an)
        return NULL;
    float *cx = NULL;
    size_t cn = n;
    if (a->calibration && !(cx = read_images(a->calibration, m, &cn, err))) {
        xb_analog_free(an);
        return NULL;
    }
    if (cn > (size_t)1 << 30) cn = (size_t)1 << 30;
    xb_status s = xb_analog_calibrate(an, cx ? cx : x, (int)cn, batch, err);
    free(cx);
    if (s != XB_OK || xb_analog_attach(an, err) != XB_OK) {
        xb_error_prefix(err, "calibration");
        xb_analog_free(an);
        return NULL;
    }
    printf("analog: %s, calibrated on %zu image%s of %s\n", a->analog, cn, cn == 1 ? "" : "s",
           a->calibration ? a->calibration : a->inputs);
    return an;
}

int xb_cmd_infer_raw(const xb_infer_raw_args *a)
{
    xb_error err;
    xb_error_clear(&err);
    xb_model *m = xb_model_load(a->model, &err);
    xb_analog *an = NULL;
    float *x = NULL, *logits = NULL;
    double *out = NULL;
    size_t n = 0;
    int rc = 1;
    if (!m || !(x = read_images(a->inputs, m, &n, &err)))
        goto done;
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    const size_t classes = (size_t)xb_model_num_classes(m);
    int batch = a->batch > 0 ? (int)a->batch : XB_INFER_BATCH((size_t)c * h * w);
    if ((size_t)batch > n)
        batch = (int)n;
    logits = malloc(sizeof *logits * n * classes);
    out = malloc(sizeof *out * n * classes);
    if (!logits || !out) {
        xb_error_set(&err, XB_ENOMEM, "out of memory for %zu x %zu logits", n, classes);
        goto done;
    }
    printf("model: %s (input %dx%dx%d, %zu outputs)\n", a->model, c, h, w, classes);
    if (a->analog && !(an = analog_open(m, a, x, n, batch, &err)))
        goto done;
    double t0 = xb_clock_now();
    if (run_all(m, x, n, batch, logits, &err) != XB_OK)
        goto done;
    double t = xb_clock_now() - t0;
    for (size_t i = 0; i < n * classes; i++)
        out[i] = logits[i];
    size_t shape[2] = {n, classes};
    if (xb_matrix_write(a->out, out, 2, shape, &err) != XB_OK)
        goto done;
    printf("%zu image%s in %.3f s (%s); logits %zux%zu -> %s\n", n, n == 1 ? "" : "s", t,
           an ? "crossbar arrays" : "digital", n, classes, a->out);
    rc = 0;
done:
    if (rc)
        xb_cli_fail("infer", "%s", err.msg);
    xb_analog_free(an);
    xb_model_free(m);
    free(x);
    free(logits);
    free(out);
    return rc;
}
