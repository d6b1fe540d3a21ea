/* fuzz_csv.c: the CSV matrix parser (xb_csv_parse).
 *
 * The input is handed over exactly as libFuzzer gives it: no terminating NUL,
 * so a read past len is an ASan report.  Properties checked on every input that
 * parses: 2 dimensions, rows x cols values, and writing the matrix back as CSV
 * and as .npy and reading it again gives the same shape and the same bits. */
#include "fuzz_util.h"

#include <math.h>

#include "xb_matrix_io.h"

static void check_round_trip(const xb_matrix *m, const char *name)
{
    char path[8300];
    xb_error err;
    xb_matrix back;
    snprintf(path, sizeof path, "%s/%s", fuzz_tmpdir(), name);
    FUZZ_CHECK(xb_matrix_write(path, m->data, m->ndim, m->shape, &err) == XB_OK);
    FUZZ_CHECK(xb_matrix_read(path, &back, &err) == XB_OK);
    FUZZ_CHECK(back.ndim == 2 && back.shape[0] == m->shape[0] && back.shape[1] == m->shape[1]);
    FUZZ_CHECK(fuzz_same_values(back.data, m->data, m->size));
    xb_matrix_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xb_matrix m;
    xb_error err;
    xb_error_clear(&err);
    xb_status st = xb_csv_parse((const char *)data, size, &m, &err);
    if (st != XB_OK) {
        FUZZ_CHECK(err.code == st && err.msg[0] != '\0');
        FUZZ_CHECK(m.data == NULL);
        return 0;
    }
    FUZZ_CHECK(m.ndim == 2 && m.shape[0] >= 1 && m.shape[1] >= 1);
    FUZZ_CHECK(m.size == m.shape[0] * m.shape[1]);
    volatile double sum = 0;
    for (size_t i = 0; i < m.size; i++)
        sum += m.data[i];
    (void)sum;
    check_round_trip(&m, "m.csv");
    check_round_trip(&m, "m.npy");
    xb_matrix_release(&m);
    return 0;
}
