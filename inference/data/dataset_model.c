/* dataset_model.c: a dataset together with the network that is scored on it:
 * opening a specification with its labels file, and checking that the model
 * expects what the dataset produces. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_dataset.h"

#define METADATA_RTOL 1e-6 /* relative tolerance of a recorded preprocessing constant */

xb_status xb_dataset_open_spec(const char *spec, const char *labels, xb_dataset **out,
                               xb_error *err)
{
    if (out)
        *out = NULL;
    if (!spec || !out)
        return xb_error_set(err, XB_EINVAL, "dataset: NULL specification or output");
    if (!labels)
        return xb_dataset_open(spec, out, err);
    if (strncmp(spec, "imagenet:", 9) || !spec[9])
        return xb_error_set(err, XB_EINVAL, "a labels file applies to imagenet:DIR datasets "
                            "only, not '%s'", spec);
    return xb_dataset_open_imagenet(spec + 9, labels, out, err);
}

/* A preprocessing constant recorded in the model must be the one xbar uses,
 * so that a model trained differently is not scored with the wrong
 * normalization. */
static xb_status check_metadata(const xb_model *m, const char *key, double want,
                                const char *path, xb_error *err)
{
    const char *v = xb_model_metadata(m, key);
    if (!v)
        return XB_OK;
    char *end;
    double got = strtod(v, &end);
    if (end == v || fabs(got - want) > METADATA_RTOL * fmax(1.0, fabs(want)))
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: metadata %s = '%s', but xbar's "
                            "Fashion-MNIST preprocessing uses %g", path, key, v, want);
    return XB_OK;
}

xb_status xb_dataset_check_model(xb_dataset *d, const xb_model *m, const char *path,
                                 xb_error *err)
{
    if (!d || !m)
        return xb_error_set(err, XB_EINVAL, "dataset: NULL dataset or model");
    if (!path)
        path = "model";
    int c, h, w;
    if (xb_model_input_shape(m, &c, &h, &w) != XB_OK)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: the model has no usable input shape",
                            path);
    const int classes = xb_model_num_classes(m);
    if (classes < 1)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: the model has no outputs", path);
    xb_status s = xb_dataset_set_input_shape(d, c, h, w, err);
    if (s != XB_OK)
        return err ? xb_error_prefix(err, "%s", path) : s;
    /* The pad recorded by a model trained on padded images: the canvas's. */
    const int pad = h >= XB_FMNIST_RAW && h <= XB_FMNIST_SIDE && h == w ? (h - XB_FMNIST_RAW) / 2 : -1;
    if (xb_dataset_get_kind(d) == XB_DATASET_FMNIST &&
        ((s = check_metadata(m, "preprocess.mean", XB_FMNIST_MEAN, path, err)) ||
         (s = check_metadata(m, "preprocess.std", XB_FMNIST_STD, path, err)) ||
         (pad >= 0 && (s = check_metadata(m, "preprocess.pad", pad, path, err)))))
        return s;
    if (xb_dataset_num_classes(d) > classes)
        return xb_error_set(err, XB_EINVAL, "dataset %s has labels up to %d but the model %s "
                            "has only %d output%s", xb_dataset_describe(d),
                            xb_dataset_num_classes(d) - 1, path, classes,
                            classes == 1 ? "" : "s");
    return XB_OK;
}
