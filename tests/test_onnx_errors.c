/* test_onnx_errors.c: bad ONNX files give clear errors, never a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_model.h"
#include "xb_test.h"

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static const char *write_tmp(const char *name, const unsigned char *data, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", xb_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    if (len)
        fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

/* Load must fail with `code` and a message containing every needle. */
static void expect_fail(const char *path, xb_status code, const char *n1, const char *n2)
{
    xb_error err;
    xb_error_clear(&err);
    xb_model *m = xb_model_load(path, &err);
    XB_CHECK_MSG(m == NULL, "%s loaded but should not", path);
    xb_model_free(m);
    XB_CHECK_MSG(err.code == code, "%s: code %d (%s), expected %d: %s", path, err.code,
                 xb_status_str(err.code), code, err.msg);
    if (n1)
        XB_CHECK_MSG(strstr(err.msg, n1) != NULL, "'%s' not in: %s", n1, err.msg);
    if (n2)
        XB_CHECK_MSG(strstr(err.msg, n2) != NULL, "'%s' not in: %s", n2, err.msg);
    printf("ok: %s\n", err.msg);
}

/* A byte-level LCG, so the corruption is the same on every run. */
static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

int main(void)
{
    /* an op the engine does not have: named with its node */
    expect_fail(xb_test_src("tests/data/onnx_unsupported.onnx"), XB_EUNSUPPORTED, "Hardmax",
                "head/hardmax");
    /* unnamed node: named by op type and index */
    expect_fail(xb_test_src("tests/data/onnx_lstm.onnx"), XB_EUNSUPPORTED, "'LSTM'", "LSTM_1");
    /* a weight that does not fit the input */
    expect_fail(xb_test_src("tests/data/onnx_badshape.onnx"), XB_EINVAL, "conv_bad",
                "does not fit");
    /* weights in an external file */
    expect_fail(xb_test_src("tests/data/onnx_external.onnx"), XB_EUNSUPPORTED, "w_external",
                "external");
    /* missing and empty files */
    expect_fail(xb_test_src("tests/data/no_such_model.onnx"), XB_EIO, "no_such_model.onnx",
                "cannot open");
    expect_fail(write_tmp("empty.onnx", NULL, 0), XB_EFORMAT, "empty", NULL);
    /* not protobuf at all */
    const unsigned char junk[] = "this is not an ONNX model\n\xff\xff\xff\xff\xff";
    expect_fail(write_tmp("text.onnx", junk, sizeof junk), XB_EFORMAT, "text.onnx", NULL);

    size_t len;
    unsigned char *good = slurp(xb_test_src("tests/data/onnx_allops.onnx"), &len);
    XB_CHECK(good != NULL && len > 100);
    if (!good)
        XB_TEST_DONE();

    /* truncated: every prefix length fails cleanly (or, if a cut falls
     * between whole fields, loads a model that still runs) */
    float x[2 * 9 * 9], y[5];
    for (int i = 0; i < 2 * 9 * 9; i++)
        x[i] = (float)((i % 7) - 3) * 0.25f;
    int failed = 0, loaded = 0;
    for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 7)) {
        const char *p = write_tmp("cut.onnx", good, cut);
        xb_error err;
        xb_model *m = xb_model_load(p, &err);
        if (m) {
            loaded++;
            xb_model_run(m, x, 1, y, &err);
            xb_model_free(m);
        } else {
            failed++;
            XB_CHECK_MSG(err.code != XB_OK && err.msg[0] && strstr(err.msg, "cut.onnx"),
                         "cut %zu: bad error '%s'", cut, err.msg);
        }
    }
    printf("truncations: %d failed cleanly, %d loaded\n", failed, loaded);
    XB_CHECK(failed > 0);
    expect_fail(write_tmp("half.onnx", good, len / 2), XB_EFORMAT, "half.onnx", "truncated");

    /* random byte corruption: load (and run, if it loads) must not crash */
    unsigned seed = 12345;
    unsigned char *bad = malloc(len);
    int nload = 0;
    for (int trial = 0; trial < 400; trial++) {
        memcpy(bad, good, len);
        int flips = 1 + (int)(rnd(&seed) % 4);
        for (int f = 0; f < flips; f++)
            bad[rnd(&seed) % len] = (unsigned char)rnd(&seed);
        const char *p = write_tmp("flip.onnx", bad, len);
        xb_error err;
        xb_model *m = xb_model_load(p, &err);
        if (m) {
            nload++;
            xb_model_run(m, x, 1, y, &err);
            xb_model_free(m);
        } else {
            XB_CHECK_MSG(err.code != XB_OK && err.msg[0], "trial %d: empty error", trial);
        }
    }
    printf("corruptions: %d of 400 still loaded\n", nload);
    free(bad);
    free(good);

    /* NULL arguments */
    xb_error err;
    XB_CHECK(xb_model_load(NULL, &err) == NULL && err.code == XB_EINVAL);
    XB_CHECK(xb_model_load("/nonexistent/x.onnx", NULL) == NULL);
    xb_model_free(NULL);
    XB_CHECK(xb_model_num_classes(NULL) == 0);
    XB_TEST_DONE();
}
