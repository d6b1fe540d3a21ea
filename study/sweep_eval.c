/* sweep_eval.c: one task of a sweep: configure the analog core, calibrate it
 * (or load the calibration from the cache), run the test images, score top-1. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

#define PRELOAD_MAX_BYTES (256UL << 20) /* keep the test images in memory up to this */
#define SMALL_INPUT 4096                /* values per image up to which batches are large */
#define BATCH_SMALL 64                  /* default batch for small inputs (1x32x32) */
#define BATCH_LARGE 8                   /* default batch for large inputs (3x224x224) */

/* The model's shape, the datasets, and the room for a batch. */
static xb_status open_data(sw_eval *e, const xb_sweep_config *c, long images, int calib_n,
                           xb_dataset **cal, xb_error *err)
{
    xb_status s;
    if ((s = xb_dataset_open_spec(c->dataset, c->labels, &e->test, err)) ||
        (s = xb_dataset_check_model(e->test, e->model, c->model, err)) ||
        (s = xb_dataset_open_spec(c->calib_dataset, c->calib_labels, cal, err)) ||
        (s = xb_dataset_check_model(*cal, e->model, c->model, err)))
        return s;
    xb_model_input_shape(e->model, &e->c, &e->h, &e->w);
    e->classes = xb_model_num_classes(e->model);
    e->chw = (size_t)e->c * (size_t)e->h * (size_t)e->w;
    size_t have = xb_dataset_count(e->test);
    e->test_n = images > 0 ? (size_t)images : have;
    if (e->test_n > have)
        return xb_error_set(err, XB_EINVAL, "%s: images = %zu, but %s has only %zu", c->path,
                            e->test_n, xb_dataset_describe(e->test), have);
    if ((size_t)calib_n > xb_dataset_count(*cal))
        return xb_error_set(err, XB_EINVAL, "%s: %d calibration images, but %s has only %zu",
                            c->path, calib_n, xb_dataset_describe(*cal),
                            xb_dataset_count(*cal));
    e->batch = c->batch ? c->batch : e->chw <= SMALL_INPUT ? BATCH_SMALL : BATCH_LARGE;
    e->calib_n = calib_n;
    const int preload = e->test_n * e->chw * sizeof(float) <= PRELOAD_MAX_BYTES;
    e->calib_x = malloc(sizeof *e->calib_x * e->chw * (size_t)(calib_n > 0 ? calib_n : 1));
    e->test_labels = malloc(sizeof *e->test_labels * (e->test_n ? e->test_n : 1));
    e->x = malloc(sizeof *e->x * e->chw * (size_t)e->batch);
    e->logits = malloc(sizeof *e->logits * (size_t)e->classes * (size_t)e->batch);
    if (preload)
        e->test_x = malloc(sizeof *e->test_x * e->chw * (e->test_n ? e->test_n : 1));
    if (!e->calib_x || !e->test_labels || !e->x || !e->logits || (preload && !e->test_x))
        return xb_error_set(err, XB_ENOMEM, "out of memory for %zu test and %d calibration "
                            "images", e->test_n, calib_n);
    return XB_OK;
}

xb_status sw_eval_open(sw_eval *e, const xb_sweep_config *c, long images, int calib_n,
                       xb_error *err)
{
    void (*warning)(void *, const char *) = e->warning;
    void *user = e->user;
    memset(e, 0, sizeof *e);
    e->warning = warning;
    e->user = user;
    xb_dataset *cal = NULL;
    xb_status s = XB_OK;
    if (!(e->model = xb_model_load(c->model, err)))
        return err->code;
    if ((s = open_data(e, c, images, calib_n, &cal, err)))
        goto fail;
    if (calib_n > 0 && (s = xb_dataset_read_batch(cal, 0, calib_n, e->calib_x, NULL, err)))
        goto fail;
    /* The test images once for all points when they fit, else per batch (with
     * their labels) in every point. */
    for (size_t i = 0; e->test_x && i < e->test_n; i += (size_t)e->batch) {
        int n = (int)(e->test_n - i < (size_t)e->batch ? e->test_n - i : (size_t)e->batch);
        if ((s = xb_dataset_read_batch(e->test, i, n, e->test_x + i * e->chw,
                                       e->test_labels + i, err)))
            goto fail;
    }
    if ((s = xb_model_reserve(e->model, e->batch, err)))
        goto fail;
    if (!(e->cache_dir = sw_strdup(c->cache_dir))) {
        s = xb_error_set(err, XB_ENOMEM, "out of memory");
        goto fail;
    }
    if ((s = xb_mkdir_p(e->cache_dir, NULL, err)) ||
        (s = sw_calib_salt(c, e->batch, &e->salt, err)))
        goto fail;
    xb_dataset_free(cal);
    return XB_OK;
fail:
    xb_dataset_free(cal);
    sw_eval_close(e);
    return s;
}

void sw_eval_close(sw_eval *e)
{
    xb_model_free(e->model);
    xb_dataset_free(e->test);
    free(e->calib_x);
    free(e->test_x);
    free(e->test_labels);
    free(e->x);
    free(e->logits);
    free(e->cache_dir);
    void (*warning)(void *, const char *) = e->warning;
    void *user = e->user;
    memset(e, 0, sizeof *e);
    e->warning = warning;
    e->user = user;
}

xb_status sw_eval_run(sw_eval *e, const xb_analog_config *cfg, size_t first, size_t n,
                         sw_progress_fn progress, void *user, xb_sweep_result *r,
                         xb_error *err)
{
    memset(r, 0, sizeof *r);
    if (first + n > e->test_n)
        return xb_error_set(err, XB_EINTERNAL, "images %zu..%zu of %zu", first, first + n,
                            e->test_n);
    const double t0 = xb_clock_now(), c0 = xb_clock_cpu();
    r->hash = xb_analog_config_hash(cfg);
    xb_analog *a = xb_analog_new(e->model, cfg, err);
    if (!a)
        return err->code;
    xb_status s = sw_calibrate(e, a, cfg, progress, user, &r->calib_cached, err);
    r->calib_seconds = xb_clock_now() - t0;
    if (s != XB_OK)
        goto done;
    const xb_analog_stats s0 = *xb_analog_get_stats(a);
    if ((s = xb_analog_attach(a, err)))
        goto done;
    for (size_t i = first; i < first + n;) {
        int b = (int)(first + n - i < (size_t)e->batch ? first + n - i : (size_t)e->batch);
        const float *x = e->test_x ? e->test_x + i * e->chw : e->x;
        if (!e->test_x &&
            (s = xb_dataset_read_batch(e->test, i, b, e->x, e->test_labels + i, err)))
            goto done;
        if ((s = xb_model_run(e->model, x, b, e->logits, err))) {
            xb_error_prefix(err, "images %zu..%zu", i, i + (size_t)b - 1);
            goto done;
        }
        for (int k = 0; k < b; k++)
            r->correct += xb_dataset_label_rank(e->logits + (size_t)k * e->classes, e->classes,
                                                e->test_labels[i + (size_t)k]) == 0;
        i += (size_t)b;
        r->images += (size_t)b;
        if (progress && progress(user, "images", i - first, n)) {
            s = xb_error_set(err, XB_EINTERNAL, "stopped");
            goto done;
        }
    }
    const xb_analog_stats *s1 = xb_analog_get_stats(a);
    /* Tiles are programmed once per point, during the calibration or, when it
     * came from the cache, during the run: count them wherever they happened. */
    r->stats.t_program = s1->t_program;
    r->stats.t_solve = s1->t_solve - s0.t_solve;
    r->stats.t_adc = s1->t_adc - s0.t_adc;
    r->stats.t_digital = s1->t_digital - s0.t_digital;
    r->stats.mvm_vectors = s1->mvm_vectors - s0.mvm_vectors;
    r->stats.tiles = s1->tiles;
done:
    xb_analog_free(a);
    r->seconds = xb_clock_now() - t0;
    r->cpu_seconds = xb_clock_cpu() - c0;
    return s;
}
