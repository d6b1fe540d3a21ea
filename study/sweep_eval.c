/* sweep_eval.c: one point of a sweep: configure the analog core, calibrate it
 * (or load the calibration from the cache), run the test images, score top-1. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xb_sweep.h"

#define PRELOAD_MAX_BYTES (256UL << 20) /* keep the test images in memory up to this */
#define SMALL_INPUT 4096                /* values per image up to which batches are large */
#define BATCH_SMALL 64                  /* default batch for small inputs (1x32x32) */
#define BATCH_LARGE 8                   /* default batch for large inputs (3x224x224) */
#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* CPU time of the whole process (every thread), seconds. */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static unsigned long long fnv_str(unsigned long long h, const char *s)
{
    return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* The model's identity for the cache: a hash of its bytes, so that a copied
 * or touched file still hits and a retrained one never does. */
static xb_status hash_file(const char *path, unsigned long long *h, xb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        *h = fnv(*h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return xb_error_set(err, XB_EIO, "%s: read error", path);
    return XB_OK;
}

/* mkdir -p */
static xb_status make_dirs(const char *path, xb_error *err)
{
    char *p = strdup(path);
    if (!p)
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                xb_error_set(err, XB_EIO, "%s: cannot create the folder: %s", p,
                             strerror(errno));
                free(p);
                return XB_EIO;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return XB_OK;
}

/* A preprocessing constant recorded in the model must be the one xbar uses. */
static xb_status check_metadata(const xb_model *m, const char *key, double want,
                                const char *path, xb_error *err)
{
    const char *v = xb_model_metadata(m, key);
    if (!v)
        return XB_OK;
    char *end;
    double got = strtod(v, &end);
    if (end == v || fabs(got - want) > 1e-6 * fmax(1.0, fabs(want)))
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: metadata %s = '%s', but xbar's "
                            "Fashion-MNIST preprocessing uses %g", path, key, v, want);
    return XB_OK;
}

static xb_status open_dataset(const char *spec, const char *labels, xb_dataset **d,
                              xb_error *err)
{
    if (!labels)
        return xb_dataset_open(spec, d, err);
    if (strncmp(spec, "imagenet:", 9) || !spec[9])
        return xb_error_set(err, XB_EINVAL, "a labels file applies to imagenet:DIR datasets "
                            "only, not '%s'", spec);
    return xb_dataset_open_imagenet(spec + 9, labels, d, err);
}

static xb_status check_dataset(const sweep_config *c, xb_dataset *d, const xb_model *m,
                               int ch, int h, int w, int classes, xb_error *err)
{
    if (xb_dataset_match_input(d, ch, h, w, err) != XB_OK)
        return xb_error_prefix(err, "%s", c->model);
    if (xb_dataset_get_kind(d) == XB_DATASET_FMNIST &&
        (check_metadata(m, "preprocess.mean", XB_FMNIST_MEAN, c->model, err) ||
         check_metadata(m, "preprocess.std", XB_FMNIST_STD, c->model, err) ||
         check_metadata(m, "preprocess.pad", XB_FMNIST_PAD, c->model, err)))
        return err->code;
    if (xb_dataset_num_classes(d) > classes)
        return xb_error_set(err, XB_EINVAL, "dataset %s has labels up to %d but the model %s "
                            "has only %d outputs", xb_dataset_describe(d),
                            xb_dataset_num_classes(d) - 1, c->model, classes);
    return XB_OK;
}

xb_status sweep_eval_open(sweep_eval *e, const sweep_config *c, long images, int calib_n,
                          xb_error *err)
{
    memset(e, 0, sizeof *e);
    xb_dataset *cal = NULL;
    xb_status s = XB_OK;
    if (!(e->model = xb_model_load(c->model, err)))
        return err->code;
    if (xb_model_input_shape(e->model, &e->c, &e->h, &e->w) != XB_OK) {
        s = xb_error_set(err, XB_EUNSUPPORTED, "%s: the model has no usable input shape",
                         c->model);
        goto fail;
    }
    e->classes = xb_model_num_classes(e->model);
    if (e->classes < 1) {
        s = xb_error_set(err, XB_EUNSUPPORTED, "%s: the model has no outputs", c->model);
        goto fail;
    }
    e->chw = (size_t)e->c * (size_t)e->h * (size_t)e->w;
    if ((s = open_dataset(c->dataset, c->labels, &e->test, err)) ||
        (s = check_dataset(c, e->test, e->model, e->c, e->h, e->w, e->classes, err)) ||
        (s = open_dataset(c->calib_dataset, c->calib_labels, &cal, err)) ||
        (s = check_dataset(c, cal, e->model, e->c, e->h, e->w, e->classes, err)))
        goto fail;
    size_t have = xb_dataset_count(e->test);
    e->test_n = images > 0 ? (size_t)images : have;
    if (e->test_n > have) {
        s = xb_error_set(err, XB_EINVAL, "%s: images = %zu, but %s has only %zu", c->path,
                         e->test_n, xb_dataset_describe(e->test), have);
        goto fail;
    }
    if ((size_t)calib_n > xb_dataset_count(cal)) {
        s = xb_error_set(err, XB_EINVAL, "%s: %d calibration images, but %s has only %zu",
                         c->path, calib_n, xb_dataset_describe(cal), xb_dataset_count(cal));
        goto fail;
    }
    e->batch = c->batch ? c->batch : e->chw <= SMALL_INPUT ? BATCH_SMALL : BATCH_LARGE;
    e->calib_n = calib_n;
    e->calib_x = malloc(sizeof *e->calib_x * e->chw * (size_t)(calib_n > 0 ? calib_n : 1));
    e->test_labels = malloc(sizeof *e->test_labels * e->test_n);
    e->x = malloc(sizeof *e->x * e->chw * (size_t)e->batch);
    e->logits = malloc(sizeof *e->logits * (size_t)e->classes * (size_t)e->batch);
    if (e->test_n * e->chw * sizeof(float) <= PRELOAD_MAX_BYTES)
        e->test_x = malloc(sizeof *e->test_x * e->chw * (e->test_n ? e->test_n : 1));
    if (!e->calib_x || !e->test_labels || !e->x || !e->logits ||
        (e->test_n * e->chw * sizeof(float) <= PRELOAD_MAX_BYTES && !e->test_x)) {
        s = xb_error_set(err, XB_ENOMEM, "out of memory for %zu test and %d calibration images",
                         e->test_n, calib_n);
        goto fail;
    }
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
    e->cache_dir = strdup(c->cache_dir);
    if (!e->cache_dir) {
        s = xb_error_set(err, XB_ENOMEM, "out of memory");
        goto fail;
    }
    if ((s = make_dirs(e->cache_dir, err)))
        goto fail;
    unsigned long long h = FNV_OFFSET;
    if ((s = hash_file(c->model, &h, err)))
        goto fail;
    h = fnv_str(h, c->calib_dataset);
    h = fnv_str(h, c->calib_labels);
    h = fnv(h, &e->batch, sizeof e->batch);
    e->salt = h;
    xb_dataset_free(cal);
    return XB_OK;
fail:
    xb_dataset_free(cal);
    sweep_eval_close(e);
    return s;
}

void sweep_eval_close(sweep_eval *e)
{
    xb_model_free(e->model);
    xb_dataset_free(e->test);
    free(e->calib_x);
    free(e->test_x);
    free(e->test_labels);
    free(e->x);
    free(e->logits);
    free(e->cache_dir);
    memset(e, 0, sizeof *e);
}

/* Calibrate a, through the cache: load a calibration made for the same
 * configuration, model and calibration images, or make one and store it
 * (written under a temporary name and renamed, so that a reader never sees
 * half a file).  A freshly made calibration is read back from its file, so
 * that a run from the cache and a run without it use the same numbers. */
static xb_status calibrate(sweep_eval *e, xb_analog *a, const xb_analog_config *cfg,
                           sweep_progress_fn progress, void *user, int *cached, xb_error *err)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/calib-%016llx-%016llx.txt", e->cache_dir,
             xb_analog_config_hash(cfg), e->salt);
    *cached = 0;
    xb_error e2;
    xb_error_clear(&e2);
    if (access(path, R_OK) == 0) {
        if (xb_analog_load_calibration(a, path, &e2) == XB_OK) {
            *cached = 1;
            return XB_OK;
        }
        fprintf(stderr, "xbar sweep: warning: ignoring the cached calibration %s: %s\n", path,
                e2.msg);
    }
    int n = cfg->calib_images;
    if (n > e->calib_n)
        return xb_error_set(err, XB_EINTERNAL, "calib_images %d > %d images loaded", n,
                            e->calib_n);
    if (progress)
        progress(user, "calibrating", 0, (size_t)n);
    if (xb_analog_calibrate(a, e->calib_x, n, e->batch, err) != XB_OK)
        return xb_error_prefix(err, "calibration");
    /* Unique across the processes of a cluster that share the cache folder. */
    char host[256] = "host";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    snprintf(tmp, sizeof tmp, "%s.tmp.%s.%ld", path, host, (long)getpid());
    xb_error_clear(&e2);
    if (xb_analog_save_calibration(a, tmp, &e2) != XB_OK || rename(tmp, path) != 0) {
        fprintf(stderr, "xbar sweep: warning: cannot store the calibration in %s: %s\n", path,
                e2.code ? e2.msg : strerror(errno));
        unlink(tmp);
        return XB_OK;
    }
    if (xb_analog_load_calibration(a, path, err) != XB_OK)
        return xb_error_prefix(err, "reading back the calibration just stored");
    return XB_OK;
}

xb_status sweep_eval_run(sweep_eval *e, const xb_analog_config *cfg, size_t first, size_t n,
                         sweep_progress_fn progress, void *user, sweep_result *r,
                         xb_error *err)
{
    memset(r, 0, sizeof *r);
    if (first + n > e->test_n)
        return xb_error_set(err, XB_EINTERNAL, "images %zu..%zu of %zu", first, first + n,
                            e->test_n);
    const double t0 = now_seconds(), c0 = cpu_seconds();
    r->hash = xb_analog_config_hash(cfg);
    xb_analog *a = xb_analog_new(e->model, cfg, err);
    if (!a)
        return err->code;
    xb_status s = calibrate(e, a, cfg, progress, user, &r->calib_cached, err);
    r->calib_seconds = now_seconds() - t0;
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
        if (progress)
            progress(user, "images", i - first, n);
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
    r->seconds = now_seconds() - t0;
    r->cpu_seconds = cpu_seconds() - c0;
    return s;
}
