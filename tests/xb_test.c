#define _POSIX_C_SOURCE 200809L
#include "xb_test.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>

#include "xb_matrix_io.h"
#include "xb_model.h"

int xb_test_failures = 0;

const char *xb_test_src(const char *rel)
{
    static char buf[8][4096];
    static int slot = 0;
    const char *root = getenv("XB_SOURCE_DIR");
    char *b = buf[slot++ % 8];
    snprintf(b, 4096, "%s/%s", root ? root : ".", rel);
    return b;
}

const char *xb_test_xbar(void)
{
    const char *x = getenv("XB_XBAR");
    return x ? x : "./xbar";
}

const char *xb_test_tmpdir(void)
{
    static char dir[256] = "";
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/xbtestXXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return dir;
}

const char *xb_test_tmp(const char *rel)
{
    static char buf[8][700];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 700, "%s/%s", xb_test_tmpdir(), rel);
    return p;
}

char *xb_test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc((size_t)n + 1, 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        s[0] = '\0';
    fclose(f);
    return s;
}

int xb_test_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

double xb_test_rel_err(const float *got, const float *want, size_t n, size_t k)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double scale = 0, d = 0;
        for (size_t j = 0; j < k; j++) {
            scale = fmax(scale, fabs(want[i * k + j]));
            d = fmax(d, fabs(got[i * k + j] - want[i * k + j]));
        }
        worst = fmax(worst, d / (scale > 0 ? scale : 1));
    }
    return worst;
}

float *xb_test_tiny_images(int n, double step, xb_model **model, int *per_image, int *classes)
{
    xb_error err = {0};
    *model = xb_model_load(xb_test_src("tests/data/onnx_tinyresnet.onnx"), &err);
    XB_CHECK_MSG(*model != NULL, "%s", err.msg);
    xb_matrix m;
    if (!*model || xb_matrix_read(xb_test_src("tests/data/onnx_tinyresnet_input.npy"), &m, &err) != XB_OK) {
        XB_CHECK_MSG(0, "tiny resnet: %s", err.msg);
        return NULL;
    }
    int c, h, w;
    xb_model_input_shape(*model, &c, &h, &w);
    const int per = c * h * w, base = (int)m.shape[0];
    *per_image = per;
    *classes = xb_model_num_classes(*model);
    float *images = malloc((size_t)n * per * sizeof *images);
    for (int i = 0; images && i < n; i++)
        for (int p = 0; p < per; p++) {
            double v = m.data[(size_t)(i % base) * per + (size_t)(p + 7 * (i / base)) % per];
            images[(size_t)i * per + p] = (float)(v * (1.0 - step * (i / base)));
        }
    xb_matrix_release(&m);
    return images;
}
