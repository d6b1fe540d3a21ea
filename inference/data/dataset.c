/* dataset.c: the source-independent part of xb_dataset: opening by
 * specification string, shape checks and batch reads. */
#include "dataset_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

xb_dataset *xb_dataset_alloc(xb_dataset_kind kind, const xb_dataset_ops *ops, void *state)
{
    xb_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->kind = kind;
    d->ops = ops;
    d->state = state;
    return d;
}

void xb_dataset_set_desc(xb_dataset *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->desc, sizeof d->desc, fmt, ap);
    va_end(ap);
}

void xb_dataset_free(xb_dataset *d)
{
    if (!d)
        return;
    if (d->ops && d->ops->free)
        d->ops->free(d->state);
    free(d);
}

/* "name" or "name:ARG" with ARG non-empty; *arg is NULL without a colon. */
static int spec_is(const char *spec, const char *name, const char **arg)
{
    size_t n = strlen(name);
    if (strncmp(spec, name, n))
        return 0;
    if (spec[n] == '\0') {
        *arg = NULL;
        return 1;
    }
    if (spec[n] == ':') {
        *arg = spec + n + 1;
        return 1;
    }
    return 0;
}

xb_status xb_dataset_open(const char *spec, xb_dataset **out, xb_error *err)
{
    if (!out)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_open: out is NULL");
    *out = NULL;
    if (!spec || !*spec)
        return xb_error_set(err, XB_EINVAL, "dataset: empty specification (expected "
                            "fashion-mnist[:DIR], fashion-mnist-train[:DIR] or imagenet:DIR)");
    const char *arg = NULL;
    if (spec_is(spec, "fashion-mnist", &arg) || spec_is(spec, "fashion-mnist-test", &arg)) {
        if (arg && !*arg)
            return xb_error_set(err, XB_EINVAL, "dataset '%s': empty directory after ':'", spec);
        return xb_dataset_open_fmnist(arg, XB_SPLIT_TEST, out, err);
    }
    if (spec_is(spec, "fashion-mnist-train", &arg)) {
        if (arg && !*arg)
            return xb_error_set(err, XB_EINVAL, "dataset '%s': empty directory after ':'", spec);
        return xb_dataset_open_fmnist(arg, XB_SPLIT_TRAIN, out, err);
    }
    if (spec_is(spec, "imagenet", &arg)) {
        if (!arg || !*arg)
            return xb_error_set(err, XB_EINVAL, "dataset '%s': imagenet needs a folder, "
                                "as imagenet:DIR", spec);
        return xb_dataset_open_imagenet(arg, NULL, out, err);
    }
    return xb_error_set(err, XB_EINVAL, "dataset '%s': unknown kind (expected "
                        "fashion-mnist[:DIR], fashion-mnist-train[:DIR] or imagenet:DIR)", spec);
}

xb_dataset_kind xb_dataset_get_kind(const xb_dataset *d) { return d->kind; }
const char *xb_dataset_describe(const xb_dataset *d) { return d->desc; }
size_t xb_dataset_count(const xb_dataset *d) { return d->count; }
int xb_dataset_num_classes(const xb_dataset *d) { return d->num_classes; }

void xb_dataset_input_shape(const xb_dataset *d, int *c, int *h, int *w)
{
    if (c)
        *c = d->c;
    if (h)
        *h = d->h;
    if (w)
        *w = d->w;
}

xb_status xb_dataset_match_input(const xb_dataset *d, int c, int h, int w, xb_error *err)
{
    if (!d)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_match_input: dataset is NULL");
    const int fmnist = d->kind == XB_DATASET_FMNIST;
    if (h < 1 || w < 1 || h > XB_DATASET_MAX_SIDE || w > XB_DATASET_MAX_SIDE)
        return xb_error_set(err, XB_EINVAL, "model input %dx%dx%d: dataset %s feeds images of 1 to %d pixels "
                            "a side", c, h, w, d->desc, XB_DATASET_MAX_SIDE);
    if (fmnist && c != 1 && c != 3)
        return xb_error_set(err, XB_EINVAL, "model input %dx%dx%d: dataset %s is gray, fed as 1 channel (or 3 "
                            "copies); an ImageNet-style dataset (imagenet:DIR) gives 3", c, h, w, d->desc);
    if (!fmnist && c != 3)
        return xb_error_set(err, XB_EINVAL, "model input %dx%dx%d: dataset %s gives 3 channels (RGB); a "
                            "1-channel network needs a Fashion-MNIST dataset (fashion-mnist[:DIR])", c, h, w,
                            d->desc);
    return XB_OK;
}

xb_status xb_dataset_set_input_shape(xb_dataset *d, int c, int h, int w, xb_error *err)
{
    xb_status s = xb_dataset_match_input(d, c, h, w, err);
    if (s != XB_OK)
        return s;
    d->c = c;
    d->h = h;
    d->w = w;
    return XB_OK;
}

xb_status xb_dataset_read_batch(xb_dataset *d, size_t first, int n, float *x, int *labels,
                                xb_error *err)
{
    if (!d || !x)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_read_batch: %s is NULL",
                            d ? "x" : "dataset");
    if (n < 0 || first > d->count || (size_t)n > d->count - first)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_read_batch: images %zu..%zu+%d out "
                            "of range (dataset %s has %zu images)", first, first, n, d->desc,
                            d->count);
    if (n == 0)
        return XB_OK;
    return d->ops->read(d, first, n, x, labels, err);
}
