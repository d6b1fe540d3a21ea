/* dataset_labels.h: reading the labels file of an ImageNet-style folder
 * (private to inference/). */
#ifndef XB_DATASET_LABELS_H
#define XB_DATASET_LABELS_H

#include <stddef.h>

#include "xb_error.h"

typedef struct {
    size_t count;    /* number of images listed */
    char **paths;    /* count paths, each dir/<filename> (or <filename> when absolute) */
    int *labels;     /* count class indices, each >= 0 */
    int num_classes; /* one more than the largest label */
} xb_labels;

/* Parse file; relative file names are taken relative to dir.  Every listed
 * image must exist.  Errors name the file and line. */
xb_status xb_labels_read(const char *file, const char *dir, xb_labels *out, xb_error *err);
void xb_labels_free(xb_labels *l);

#endif
