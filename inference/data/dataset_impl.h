/* dataset_impl.h: what every dataset source provides (private to inference/). */
#ifndef XB_DATASET_IMPL_H
#define XB_DATASET_IMPL_H

#include "xb_dataset.h"

typedef struct {
    /* Fill x (n preprocessed images) and labels (may be NULL) for images first.. */
    xb_status (*read)(xb_dataset *d, size_t first, int n, float *x, int *labels, xb_error *err);
    void (*free)(void *state);
} xb_dataset_ops;

struct xb_dataset {
    xb_dataset_kind kind;
    const xb_dataset_ops *ops;
    void *state;        /* owned by the source, released by ops->free */
    size_t count;       /* number of images */
    int c, h, w;        /* shape of one preprocessed image */
    int num_classes;    /* one more than the largest label */
    char desc[1024];    /* for reports */
};

/* Fashion-MNIST image img (28x28) as c (1 or 3, gray replicated) x h x w
 * (each <= XB_DATASET_MAX_SIDE): centred on a canvas of raw zeros when both
 * sides are 28 to 32, else resized bilinearly; then normalized. */
void xb_fmnist_preprocess(const unsigned char *img, int c, int h, int w, float *out);
/* An RGB image as 3 x ch x cw: shorter side to round(256 max(ch, cw) / 224),
 * then the centred ch x cw crop, then normalized (xb_dataset.h). */
xb_status xb_imagenet_preprocess(const unsigned char *rgb, int width, int height, int ch, int cw, float *out,
                                 xb_error *err);

/* Allocate a dataset shell; the source fills the rest. */
xb_dataset *xb_dataset_alloc(xb_dataset_kind kind, const xb_dataset_ops *ops, void *state);
/* Set d->desc, printf-style; a long description is shortened. */
void xb_dataset_set_desc(xb_dataset *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
