/* sweep_calib.c: the calibration cache of a sweep.  A calibration is keyed
 * by the point's xb_analog_config_hash() and a salt: the model's bytes, the
 * calibration images and the batch (docs/sweep.md). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep_internal.h"

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

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

xb_status sw_calib_salt(const xb_sweep_config *c, int batch, unsigned long long *salt,
                        xb_error *err)
{
    unsigned long long h = FNV_OFFSET;
    xb_status s = hash_file(c->model, &h, err);
    if (s != XB_OK)
        return s;
    h = fnv_str(h, c->calib_dataset);
    h = fnv_str(h, c->calib_labels);
    h = fnv(h, &batch, sizeof batch);
    *salt = h;
    return XB_OK;
}

static void warn(const sw_eval *e, const char *fmt, const char *path, const char *why)
{
    char msg[XB_ERROR_MSG_LEN + 4200];
    if (!e->warning)
        return;
    snprintf(msg, sizeof msg, fmt, path, why);
    e->warning(e->user, msg);
}

/* Calibrate a, through the cache: load a calibration made for the same
 * configuration, model and calibration images, or make one and store it
 * (written whole or not at all: a reader never sees half a file).  A freshly
 * made calibration is read back from its file, so that a run from the cache
 * and a run without it use the same numbers. */
xb_status sw_calibrate(sw_eval *e, xb_analog *a, const xb_analog_config *cfg,
                       sw_progress_fn progress, void *user, int *cached, xb_error *err)
{
    char path[4096];
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
        warn(e, "ignoring the cached calibration %s: %s", path, e2.msg);
    }
    int n = cfg->calib_images;
    if (n > e->calib_n)
        return xb_error_set(err, XB_EINTERNAL, "calib_images %d > %d images loaded", n,
                            e->calib_n);
    if (progress && progress(user, "calibrating", 0, (size_t)n))
        return xb_error_set(err, XB_EINTERNAL, "stopped");
    if (xb_analog_calibrate(a, e->calib_x, n, e->batch, err) != XB_OK)
        return xb_error_prefix(err, "calibration");
    /* Saving writes a temporary file (unique to this host and process, as
     * the cache folder may be shared by a cluster) and renames it. */
    xb_error_clear(&e2);
    if (xb_analog_save_calibration(a, path, &e2) != XB_OK) {
        warn(e, "cannot store the calibration in %s: %s", path, e2.msg);
        return XB_OK;
    }
    if (xb_analog_load_calibration(a, path, err) != XB_OK)
        return xb_error_prefix(err, "reading back the calibration just stored");
    return XB_OK;
}

