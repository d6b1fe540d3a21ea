/* fuzz_npy.c: the .npy parser (xb_npy_parse).
 *
 * Properties checked on every input that parses:
 *   - the shape has at most XB_MATRIX_MAX_DIMS dimensions and size is their product;
 *   - writing the matrix back as .npy and reading it gives the same shape and the
 *     same bits (NaNs compare equal to NaNs);
 *   - a matrix of 1 or 2 dimensions with at least one value survives CSV the same
 *     way (CSV is always read back as 2 dimensions). */
#include "fuzz_util.h"

#include <math.h>

#include "xb_matrix_io.h"

static void check_round_trip(const xb_matrix *m)
{
    char path[8300];
    xb_error err;
    xb_matrix back;

    snprintf(path, sizeof path, "%s/m.npy", fuzz_tmpdir());
    FUZZ_CHECK(xb_matrix_write(path, m->data, m->ndim, m->shape, &err) == XB_OK);
    FUZZ_CHECK(xb_matrix_read(path, &back, &err) == XB_OK);
    FUZZ_CHECK(back.ndim == m->ndim && back.size == m->size);
    FUZZ_CHECK(!memcmp(back.shape, m->shape, sizeof m->shape));
    FUZZ_CHECK(fuzz_same_values(back.data, m->data, m->size));
    xb_matrix_release(&back);

    if (m->ndim > 2 || m->size == 0)
        return;
    snprintf(path, sizeof path, "%s/m.csv", fuzz_tmpdir());
    FUZZ_CHECK(xb_matrix_write(path, m->data, m->ndim, m->shape, &err) == XB_OK);
    FUZZ_CHECK(xb_matrix_read(path, &back, &err) == XB_OK);
    size_t rows = m->ndim == 2 ? m->shape[0] : 1;
    FUZZ_CHECK(back.ndim == 2 && back.shape[0] == rows && back.size == m->size);
    FUZZ_CHECK(fuzz_same_values(back.data, m->data, m->size));
    xb_matrix_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xb_matrix m;
    xb_error err;
    xb_error_clear(&err);
    xb_status st = xb_npy_parse(data, size, &m, &err);
    if (st != XB_OK) {
        FUZZ_CHECK(err.code == st && err.msg[0] != '\0');
        FUZZ_CHECK(m.data == NULL);
        return 0;
    }
    FUZZ_CHECK(m.ndim >= 0 && m.ndim <= XB_MATRIX_MAX_DIMS);
    size_t prod = 1;
    for (int d = 0; d < m.ndim; d++)
        prod *= m.shape[d];
    FUZZ_CHECK(prod == m.size);
    FUZZ_CHECK(m.data != NULL);
    /* Touch every value: ASan reports a short allocation here. */
    volatile double sum = 0;
    for (size_t i = 0; i < m.size; i++)
        sum += m.data[i];
    (void)sum;
    check_round_trip(&m);
    xb_matrix_release(&m);
    return 0;
}
