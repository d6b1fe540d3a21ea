/* fuzz_onnx.c: the ONNX loader (xb_model_load: protobuf decoding, import of
 * every supported op, constant folding, shape inference, planning).
 *
 * The input is the model file, in a memfd.  A model that loads is walked
 * through its public accessors, and run on one image when it is small enough
 * (activation memory and arithmetic bounded, so that a valid but huge network
 * does not count as a finding): the run must succeed or fail with a message. */
#include "fuzz_util.h"

#include <math.h>

#include "xb_model.h"

#define RUN_MAX_FLOATS ((int64_t)1 << 22) /* activations + im2col workspace per image */
#define RUN_MAX_OPS ((int64_t)1 << 24)    /* multiply-adds (or window reads) per image */

static fuzz_memfile file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    openblas_set_num_threads(1);
    fuzz_memfile_open(&file, "model.onnx");
    return 0;
}

/* Rough cost of one image through the planned model; INT64_MAX when too big. */
static int64_t run_cost(const xb_model *m, int64_t *floats)
{
    int64_t ops;
    xb_model_cost(m, floats, &ops);
    if (*floats > RUN_MAX_FLOATS || ops > RUN_MAX_OPS)
        return INT64_MAX;
    return ops;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_memfile_set(&file, data, size);
    xb_error err;
    xb_error_clear(&err);
    xb_model *m = xb_model_load(file.path, &err);
    if (!m) {
        FUZZ_CHECK(err.code != XB_OK && err.msg[0]);
        return 0;
    }
    int c = 0, h = 0, w = 0;
    FUZZ_CHECK(xb_model_input_shape(m, &c, &h, &w) == XB_OK);
    FUZZ_CHECK(c >= 1 && h >= 1 && w >= 1);
    int classes = xb_model_num_classes(m);
    FUZZ_CHECK(classes >= 1);
    int steps = xb_model_num_steps(m);
    for (int i = 0; i < steps; i++)
        FUZZ_CHECK(xb_model_step_describe(m, i) != NULL);
    FUZZ_CHECK(xb_model_step_describe(m, steps) == NULL);
    int layers = xb_model_num_matmul_layers(m);
    for (int i = 0; i < layers; i++) {
        const xb_matmul_layer *l = xb_model_matmul_layer(m, i);
        FUZZ_CHECK(l && l->index == i && l->groups >= 1 && l->rows >= 1 && l->depth >= 1);
        FUZZ_CHECK(l->weight != NULL);
    }
    FUZZ_CHECK(xb_model_matmul_layer(m, layers) == NULL);
    (void)xb_model_metadata(m, "xbar.dataset");

    int64_t floats;
    if (run_cost(m, &floats) != INT64_MAX && (int64_t)c * h * w <= RUN_MAX_FLOATS) {
        size_t in_n = (size_t)c * h * w;
        float *x = malloc(sizeof(float) * in_n);
        float *y = malloc(sizeof(float) * (size_t)classes);
        /* a deterministic image drawn from the input bytes */
        for (size_t i = 0; i < in_n; i++)
            x[i] = (float)(data[i % size] - 128) / 64.0f;
        xb_status st = xb_model_run(m, x, 1, y, &err);
        if (st != XB_OK)
            FUZZ_CHECK(err.code == st && err.msg[0]);
        free(x);
        free(y);
    }
    xb_model_free(m);
    return 0;
}
