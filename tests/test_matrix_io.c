/* .npy and CSV reading: dtypes, byte orders, memory orders, and malformed files. */
#include <stdint.h>
#include <string.h>

#include "xb_matrix_io.h"
#include "xb_test.h"

/* Build a v1.0 .npy in memory with the given header dict and payload. */
static size_t make_npy(unsigned char *buf, const char *dict, const void *data, size_t nbytes)
{
    size_t dl = strlen(dict);
    size_t hl = dl + 1;
    size_t pad = (64 - (10 + hl) % 64) % 64;
    hl += pad;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hl & 0xff);
    buf[9] = (unsigned char)(hl >> 8);
    memcpy(buf + 10, dict, dl);
    memset(buf + 10 + dl, ' ', pad);
    buf[10 + dl + pad] = '\n';
    memcpy(buf + 10 + hl, data, nbytes);
    return 10 + hl + nbytes;
}

static void test_dtypes(void)
{
    unsigned char buf[512];
    xb_matrix m;
    xb_error err = {0};
    /* float32, C order, 2 x 3 */
    float f[6] = {1.5f, -2.0f, 3.25f, 0.0f, 1e-6f, 7.0f};
    size_t n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_OK);
    XB_CHECK(m.ndim == 2 && m.shape[0] == 2 && m.shape[1] == 3);
    for (int k = 0; k < 6; k++)
        XB_CHECK(m.data[k] == (double)f[k]);
    xb_matrix_release(&m);
    /* big-endian float64 */
    double d = 0.1;
    unsigned char be[8], le[8];
    memcpy(le, &d, 8);
    for (int k = 0; k < 8; k++)
        be[k] = le[7 - k];
    n = make_npy(buf, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", be, 8);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_OK);
    XB_CHECK(m.ndim == 1 && m.size == 1 && m.data[0] == 0.1);
    xb_matrix_release(&m);
    /* Fortran order 2 x 3: the file holds columns */
    double col[6] = {1, 4, 2, 5, 3, 6};
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", col, sizeof col);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_OK);
    for (int k = 0; k < 6; k++)
        XB_CHECK(m.data[k] == k + 1);
    xb_matrix_release(&m);
    /* int64 and uint8 and bool */
    int64_t iv[3] = {-3, 0, 9007199254740992LL};
    n = make_npy(buf, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", iv, sizeof iv);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_OK && m.data[0] == -3 && m.data[2] == 9007199254740992.0);
    xb_matrix_release(&m);
    iv[2] = 9007199254740993LL;
    n = make_npy(buf, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", iv, sizeof iv);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_EUNSUPPORTED);
    unsigned char u8[2] = {0, 255};
    n = make_npy(buf, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", u8, 2);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_OK && m.data[1] == 255);
    xb_matrix_release(&m);
}

static void test_malformed(void)
{
    unsigned char buf[512];
    xb_matrix m;
    xb_error err = {0};
    double d[4] = {1, 2, 3, 4};
    size_t n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", d, sizeof d);
    /* truncated payload */
    XB_CHECK(xb_npy_parse(buf, n - 1, &m, &err) == XB_EFORMAT);
    XB_CHECK_MSG(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    /* truncated header */
    XB_CHECK(xb_npy_parse(buf, 20, &m, &err) == XB_EFORMAT);
    /* bad magic */
    buf[1] = 'X';
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_EFORMAT);
    /* unsupported dtypes */
    n = make_npy(buf, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", d, 16);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_EUNSUPPORTED);
    n = make_npy(buf, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", d, 12);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_EUNSUPPORTED);
    n = make_npy(buf, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", d, 8);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) != XB_OK);
    /* shape that overflows */
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", d, 8);
    XB_CHECK(xb_npy_parse(buf, n, &m, &err) == XB_EFORMAT);
}

static void test_csv(void)
{
    xb_matrix m;
    xb_error err = {0};
    const char *ok = "# comment\n1, 2.5,3\n\n4,5e-3 ,-6\r\n";
    XB_CHECK(xb_csv_parse(ok, strlen(ok), &m, &err) == XB_OK);
    XB_CHECK(m.shape[0] == 2 && m.shape[1] == 3 && m.data[1] == 2.5 && m.data[4] == 5e-3 && m.data[5] == -6);
    xb_matrix_release(&m);
    const char *ragged = "1,2\n3\n";
    XB_CHECK(xb_csv_parse(ragged, strlen(ragged), &m, &err) == XB_EFORMAT);
    XB_CHECK_MSG(strstr(err.msg, "line 2") != NULL, "%s", err.msg);
    const char *word = "1,abc\n";
    XB_CHECK(xb_csv_parse(word, strlen(word), &m, &err) == XB_EFORMAT);
    XB_CHECK_MSG(strstr(err.msg, "abc") != NULL, "%s", err.msg);
    XB_CHECK(xb_csv_parse("", 0, &m, &err) == XB_EFORMAT);
}

static void test_roundtrip(void)
{
    const char *dir = xb_test_tmpdir();
    char path[512];
    double d[6] = {0.1, -1e-300, 3.0, 1e300, 5.5, -0.0};
    size_t shape[2] = {2, 3};
    xb_error err = {0};
    const char *ext[] = {"npy", "csv"};
    for (int e = 0; e < 2; e++) {
        snprintf(path, sizeof path, "%s/rt.%s", dir, ext[e]);
        XB_CHECK(xb_matrix_write(path, d, 2, shape, &err) == XB_OK);
        xb_matrix m;
        XB_CHECK(xb_matrix_read(path, &m, &err) == XB_OK);
        XB_CHECK(m.size == 6);
        for (int k = 0; k < 6 && m.data; k++)
            XB_CHECK(m.data[k] == d[k]);
        xb_matrix_release(&m);
    }
    xb_matrix m;
    XB_CHECK(xb_matrix_read("/nonexistent/file.npy", &m, &err) == XB_EIO);
    XB_CHECK_MSG(strstr(err.msg, "/nonexistent/file.npy") != NULL, "%s", err.msg);
    XB_CHECK(xb_matrix_read("file.txt", &m, &err) == XB_EUNSUPPORTED);
}

int main(void)
{
    test_dtypes();
    test_malformed();
    test_csv();
    test_roundtrip();
    XB_TEST_DONE();
}
