/* test_onnx_engine.c: the digital engine against torch references on small
 * models (tests/data/onnx_*, written by tools/make_test_onnx.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_matrix_io.h"
#include "xb_model.h"
#include "xb_test.h"

/* Read a float .npy into a new float array; returns NULL on failure. */
static float *read_npy(const char *rel, size_t *count, xb_matrix *shape_out)
{
    xb_error err;
    xb_matrix mx;
    if (xb_matrix_read(xb_test_src(rel), &mx, &err) != XB_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    float *f = malloc(sizeof(float) * (mx.size ? mx.size : 1));
    for (size_t i = 0; i < mx.size; i++)
        f[i] = (float)mx.data[i];
    *count = mx.size;
    if (shape_out) {
        *shape_out = mx;
        shape_out->data = NULL;
    }
    xb_matrix_release(&mx);
    return f;
}

/* A hook that counts calls and columns and defers to sgemm. */
typedef struct {
    int calls;
    long cols;
    int layers_seen[64];
} counter;

static xb_status counting_hook(void *user, const xb_matmul_layer *L, const xb_matmul_call *c,
                               xb_error *err)
{
    counter *k = user;
    k->calls++;
    k->cols += c->cols;
    if (L->index >= 0 && L->index < 64)
        k->layers_seen[L->index]++;
    return xb_matmul_sgemm(NULL, L, c, err);
}

static xb_status failing_hook(void *user, const xb_matmul_layer *L, const xb_matmul_call *c,
                              xb_error *err)
{
    (void)user;
    (void)c;
    return xb_error_set(err, XB_ECONVERGE, "array solve failed in '%s'", L->name);
}

static void check_model(const char *base, int nimg, int c, int h, int w, int k)
{
    char path[256];
    xb_error err;
    snprintf(path, sizeof path, "tests/data/%s.onnx", base);
    xb_model *m = xb_model_load(xb_test_src(path), &err);
    XB_CHECK_MSG(m != NULL, "%s", err.msg);
    if (!m)
        return;
    int mc, mh, mw;
    XB_CHECK(xb_model_input_shape(m, &mc, &mh, &mw) == XB_OK);
    XB_CHECK(mc == c && mh == h && mw == w);
    XB_CHECK(xb_model_num_classes(m) == k);
    for (int i = 0; i < xb_model_num_steps(m); i++)
        printf("  %s\n", xb_model_step_describe(m, i));

    size_t nx, ny;
    snprintf(path, sizeof path, "tests/data/%s_input.npy", base);
    float *x = read_npy(path, &nx, NULL);
    snprintf(path, sizeof path, "tests/data/%s_output.npy", base);
    float *want = read_npy(path, &ny, NULL);
    XB_CHECK(x && want);
    XB_CHECK(nx == (size_t)nimg * c * h * w && ny == (size_t)nimg * k);
    if (!x || !want || nx != (size_t)nimg * c * h * w || ny != (size_t)nimg * k)
        goto done;
    float *got = calloc((size_t)nimg * k, sizeof(float));

    /* whole batch */
    XB_CHECK_MSG(xb_model_run(m, x, nimg, got, &err) == XB_OK, "%s", err.msg);
    double e = xb_test_rel_err(got, want, nimg, k);
    printf("%s: batch %d max rel err %.3g\n", base, nimg, e);
    XB_CHECK_MSG(e <= 1e-4, "%s: rel err %.3g", base, e);

    /* one image at a time: same answers (buffers reused, smaller batch) */
    for (int i = 0; i < nimg; i++)
        XB_CHECK_MSG(xb_model_run(m, x + (size_t)i * c * h * w, 1, got + (size_t)i * k, &err) ==
                     XB_OK, "%s", err.msg);
    e = xb_test_rel_err(got, want, nimg, k);
    printf("%s: batch 1 max rel err %.3g\n", base, e);
    XB_CHECK(e <= 1e-4);

    /* the hook sees every matmul layer, and every column */
    counter cnt;
    memset(&cnt, 0, sizeof cnt);
    xb_model_set_matmul_hook(m, counting_hook, &cnt);
    memset(got, 0, sizeof(float) * (size_t)nimg * k);
    XB_CHECK(xb_model_run(m, x, nimg, got, &err) == XB_OK);
    XB_CHECK(xb_test_rel_err(got, want, nimg, k) <= 1e-4);
    int nl = xb_model_num_matmul_layers(m);
    XB_CHECK(nl > 0);
    long cols = 0;
    for (int i = 0; i < nl && i < 64; i++) {
        const xb_matmul_layer *L = xb_model_matmul_layer(m, i);
        XB_CHECK(L && L->index == i && L->name && L->weight);
        XB_CHECK(cnt.layers_seen[i] >= L->groups);
        cols += (long)L->groups * nimg * L->out_h * L->out_w;
    }
    XB_CHECK(xb_model_matmul_layer(m, nl) == NULL);
    XB_CHECK_MSG(cnt.cols == cols, "hook saw %ld columns, expected %ld", cnt.cols, cols);

    /* a failing hook aborts the run with its message */
    xb_model_set_matmul_hook(m, failing_hook, NULL);
    xb_status st = xb_model_run(m, x, nimg, got, &err);
    XB_CHECK(st == XB_ECONVERGE);
    XB_CHECK_MSG(strstr(err.msg, "array solve failed") != NULL, "%s", err.msg);
    xb_model_set_matmul_hook(m, NULL, NULL);
    XB_CHECK(xb_model_run(m, x, nimg, got, &err) == XB_OK);
    XB_CHECK(xb_test_rel_err(got, want, nimg, k) <= 1e-4);

    /* bad arguments */
    XB_CHECK(xb_model_run(m, x, 0, got, &err) == XB_EINVAL);
    XB_CHECK(xb_model_run(m, NULL, 1, got, &err) == XB_EINVAL);
    free(got);
done:
    free(x);
    free(want);
    xb_model_free(m);
}

/* int8 provenance of the weights is kept through folding. */
static void check_int8_layers(void)
{
    xb_error err;
    xb_model *m = xb_model_load(xb_test_src("tests/data/onnx_allops.onnx"), &err);
    XB_CHECK_MSG(m != NULL, "%s", err.msg);
    if (!m)
        return;
    int found_conv1 = 0, found_gemm1 = 0, found_matmul = 0;
    for (int i = 0; i < xb_model_num_matmul_layers(m); i++) {
        const xb_matmul_layer *L = xb_model_matmul_layer(m, i);
        if (!strcmp(L->name, "conv1")) {
            found_conv1 = 1;
            XB_CHECK(L->kind == XB_MATMUL_CONV && L->rows == 6 && L->depth == 18);
            XB_CHECK(L->weight_q && L->weight_scale && L->weight_zero_point);
            XB_CHECK(L->relu == 1 && L->post_scale && L->bias); /* BN + ReLU fused */
            for (int r = 0; L->weight_q && r < L->rows; r++)
                for (int j = 0; j < L->depth; j++)
                    XB_CHECK(L->weight[r * L->depth + j] ==
                             (float)L->weight_q[r * L->depth + j] * L->weight_scale[r]);
        }
        if (!strcmp(L->name, "gemm1")) {
            found_gemm1 = 1;
            XB_CHECK(L->kind == XB_MATMUL_GEMM && L->rows == 16 && L->depth == 32);
            XB_CHECK(L->weight_q != NULL && L->relu == 1);
        }
        if (!strcmp(L->name, "matmul")) {
            found_matmul = 1; /* quantized along axis 1 of B = per output row of W */
            XB_CHECK(L->kind == XB_MATMUL_MATMUL && L->rows == 5 && L->depth == 16);
            XB_CHECK(L->weight_q != NULL);
            for (int r = 0; L->weight_q && r < L->rows; r++)
                for (int j = 0; j < L->depth; j++)
                    XB_CHECK(L->weight[r * L->depth + j] ==
                             (float)L->weight_q[r * L->depth + j] * L->weight_scale[r]);
        }
        if (!strcmp(L->name, "conv2")) {
            XB_CHECK(L->groups == 2 && L->residual == 1 && L->relu == 1);
            XB_CHECK(L->dilation_w == 2 && L->pad_left == 2 && L->pad_right == 2);
            XB_CHECK(L->weight_q == NULL);
        }
    }
    XB_CHECK(found_conv1 && found_gemm1 && found_matmul);
    XB_CHECK(xb_model_buffer_bytes(m) == 0); /* nothing allocated before a run */
    XB_CHECK(xb_model_reserve(m, 8, &err) == XB_OK);
    XB_CHECK(xb_model_buffer_bytes(m) > 0);
    XB_CHECK(xb_model_reserve(m, 0, &err) == XB_EINVAL);
    xb_model_free(m);
}

int main(void)
{
    check_model("onnx_allops", 3, 2, 9, 9, 5);
    check_model("onnx_tinyresnet", 4, 1, 16, 16, 10);
    check_int8_layers();
    XB_TEST_DONE();
}
