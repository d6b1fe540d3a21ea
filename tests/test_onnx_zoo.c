/* test_onnx_zoo.c: the networks people export from torchvision (small
 * versions with random weights, tests/data/zoo, written by
 * tools/make_onnx_zoo.py) against torch's logits: the float files within
 * 1e-4 of max |logit|, the QDQ (int8) files within 1e-2.  Every network also
 * runs with its weight layers on crossbar arrays (ideal wires, ADC off, 12
 * bits), within 1e-2 of the float logits: every Conv -- grouped and
 * depthwise too -- and Gemm is mapped.
 *
 * With an argument DIR, the same for the full-size networks the script
 * writes with --large (tests/onnx_zoo.cmake runs that when torch is
 * installed and reports the test skipped otherwise). */
#include "xb_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_analog.h"
#include "xb_matrix_io.h"
#include "xb_model.h"

static const char *const small[] = {"mobilenet_v2", "mobilenet_v3", "shufflenet_v2", "squeezenet",
                                    "densenet",     "resnext",      "vit"};
static const char *const large[] = {"mobilenet_v2_full", "mobilenet_v3_small_full", "shufflenet_v2_full",
                                    "squeezenet1_1_full", "densenet121_full", "resnext50_full",
                                    "resnet18_gray_full"};

/* Graphs that must be refused, and the line that says why (the table of
 * tools/make_onnx_zoo.py's REFUSALS). */
static const char *const refusals[][2] = {
    {"transpose_batch", "node 'transpose_batch' (Transpose): perm moves the batch dimension"},
    {"slice_batch", "node 'slice_batch' (Slice): slicing the batch dimension"},
    {"gather_range", "node 'gather_range' (Gather): index 5 is out of range"},
    {"pad_reflect", "node 'pad_reflect' (Pad): reflect pads of 9, 9 on a dimension of 4"},
    {"reduce_all", "node 'reduce_all' (ReduceMean): reducing every dimension would average over the batch"},
    {"cast_int", "node 'cast_int' (Cast): an activation can only be cast to float32"},
    {"split_sizes", "node 'split_sizes' (Split): split sizes do not add up"},
    {"expand_rank", "node 'expand_rank' (Expand): expanding an activation to a higher rank"},
    {"unknown_attr", "node 'unknown_attr' (Transpose): attribute 'fast' is not supported (Transpose takes: perm)"},
    {"torchvision_vit", "(Transpose): perm moves the batch dimension (perm[0] = 1)"},
};

static void check_refusal(const char *dir, const char *name, const char *said)
{
    char path[2100];
    snprintf(path, sizeof path, "%s/refuse_%s.onnx", dir, name);
    xb_error err;
    xb_error_clear(&err);
    xb_model *m = xb_model_load(path, &err);
    printf("refuse_%s: %s\n", name, m ? "(loaded)" : err.msg);
    XB_CHECK_MSG(!m && strstr(err.msg, said) && !strchr(err.msg, '\n'), "%s: '%s'", path, err.msg);
    xb_model_free(m);
}

static float *read_floats(const char *path, xb_matrix *shape)
{
    xb_error err;
    if (xb_matrix_read(path, shape, &err) != XB_OK) {
        printf("%s\n", err.msg);
        return NULL;
    }
    float *f = malloc(sizeof(float) * (shape->size ? shape->size : 1));
    for (size_t i = 0; f && i < shape->size; i++)
        f[i] = (float)shape->data[i];
    return f;
}

/* dir/name.onnx on dir/stem_input.npy against dir/name_output.npy. */
static void check(const char *dir, const char *stem, const char *variant, double tol, int analog)
{
    char path[1024], out[1024], in[1024];
    snprintf(path, sizeof path, "%s/%s%s.onnx", dir, stem, variant);
    snprintf(in, sizeof in, "%s/%s_input.npy", dir, stem);
    snprintf(out, sizeof out, "%s/%s%s_output.npy", dir, stem, variant);
    xb_error err;
    xb_model *m = xb_model_load(path, &err);
    XB_CHECK_MSG(m != NULL, "%s", err.msg);
    xb_matrix xs = {0}, ys = {0};
    float *x = read_floats(in, &xs), *want = read_floats(out, &ys);
    XB_CHECK_MSG(x && want, "%s: reference files missing", stem);
    if (!m || !x || !want || xs.ndim != 4 || ys.ndim != 2)
        goto done;
    size_t n = xs.shape[0], k = ys.shape[1];
    char sp[1100];
    snprintf(sp, sizeof sp, "%s/%s%s_spread.npy", dir, stem, variant);
    xb_matrix ss = {0};
    if (*variant && xb_matrix_read(sp, &ss, &err) == XB_OK && ss.size == 1 && 2 * ss.data[0] > tol) {
        printf("%s: the reference's float32/float64 spread is %.3g: tolerance %.3g\n", stem, ss.data[0],
               2 * ss.data[0]);
        tol = 2 * ss.data[0];
    }
    xb_matrix_release(&ss);
    XB_CHECK((size_t)xb_model_num_classes(m) == k && ys.shape[0] == n);
    float *got = calloc(n * k, sizeof(float));
    XB_CHECK_MSG(xb_model_run(m, x, (int)n, got, &err) == XB_OK, "%s: %s", path, err.msg);
    double e = xb_test_rel_err(got, want, n, k);
    printf("%-28s digital  max rel err %.3g (tolerance %g), %d steps, %d weight layers\n", path + strlen(dir) + 1,
           e, tol, xb_model_num_steps(m), xb_model_num_matmul_layers(m));
    XB_CHECK_MSG(e <= tol, "%s: %.3g > %g", path, e, tol);
    if (analog) {
        xb_analog_config cfg;
        xb_analog_config_init(&cfg);
        XB_CHECK(xb_analog_config_set(&cfg, "adc_bits", "off", &err) == XB_OK);
        XB_CHECK(xb_analog_config_set(&cfg, "input_bits", "12", &err) == XB_OK);
        XB_CHECK(xb_analog_config_set(&cfg, "weight_bits", "12", &err) == XB_OK);
        XB_CHECK(xb_analog_config_set(&cfg, "rows_per_array", "128", &err) == XB_OK);
        xb_analog *a = xb_analog_new(m, &cfg, &err);
        XB_CHECK_MSG(a != NULL, "%s", err.msg);
        if (a && xb_analog_calibrate(a, x, (int)n, (int)n, &err) == XB_OK && xb_analog_attach(a, &err) == XB_OK &&
            xb_model_run(m, x, (int)n, got, &err) == XB_OK) {
            double ea = xb_test_rel_err(got, want, n, k);
            printf("%-28s analog   max rel err %.3g, %ld arrays\n", path + strlen(dir) + 1, ea,
                   xb_analog_get_stats(a)->tiles);
            XB_CHECK_MSG(ea <= 1e-2, "%s on arrays: %.3g", path, ea);
        } else {
            XB_CHECK_MSG(0, "%s on arrays: %s", path, err.msg);
        }
        xb_analog_free(a);
    }
    free(got);
done:
    free(x);
    free(want);
    xb_matrix_release(&xs);
    xb_matrix_release(&ys);
    xb_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
            check(argv[1], large[i], "", 1e-4, 0);
            check(argv[1], large[i], "_qdq", 1e-2, 0);
        }
        XB_TEST_DONE();
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", xb_test_src("tests/data/zoo"));
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        check(dir, small[i], "", 1e-4, 1);
        check(dir, small[i], "_qdq", 1e-2, 0);
    }
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        check_refusal(dir, refusals[i][0], refusals[i][1]);
    XB_TEST_DONE();
}
