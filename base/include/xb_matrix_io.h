/* xb_matrix_io.h: dense arrays in the files users hand over (.npy and .csv).
 *
 * Everything is converted to float64, C (row-major) order.  .npy files of any
 * numeric dtype (f2/f4/f8, signed and unsigned integers, bool) in either byte
 * order and either memory order are read; integers beyond 2^53 in magnitude are
 * refused because they would not survive the conversion.  CSV: one row per line,
 * values separated by commas (spaces around them allowed), lines starting with '#'
 * skipped; every row must have the same number of values.  The format follows the
 * file extension. */
#ifndef XB_MATRIX_IO_H
#define XB_MATRIX_IO_H

#include <stddef.h>

#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XB_MATRIX_MAX_DIMS 8

typedef struct {
    int ndim;                          /* 0 (scalar) .. XB_MATRIX_MAX_DIMS */
    size_t shape[XB_MATRIX_MAX_DIMS];  /* extent of each dimension */
    size_t size;                       /* product of the shape */
    double *data;                      /* size values, row-major; owned */
} xb_matrix;

/* Read path by extension (.npy or .csv).  On success out owns its data. */
xb_status xb_matrix_read(const char *path, xb_matrix *out, xb_error *err);
/* Parse .npy bytes held in memory (the file reader and the fuzz target use it). */
xb_status xb_npy_parse(const void *buf, size_t len, xb_matrix *out, xb_error *err);
/* Parse CSV text held in memory. */
xb_status xb_csv_parse(const char *text, size_t len, xb_matrix *out, xb_error *err);

/* Write ndim/shape float64 data to path (.npy or .csv; CSV takes 1 or 2 dims).
 * The file appears complete or not at all (written to a temporary and renamed). */
xb_status xb_matrix_write(const char *path, const double *data, int ndim, const size_t *shape, xb_error *err);

void xb_matrix_release(xb_matrix *m);

#ifdef __cplusplus
}
#endif
#endif
