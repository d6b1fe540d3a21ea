/* Analog inference is honest: with no parasitics, no errors and no ADC it is the
 * digital network on the same quantized numbers; tiles of a real layer agree
 * with a full CHOLMOD solve of their circuit; zero weights sit at Gmin under
 * differential mapping; the same seed gives the same numbers bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xb_analog.h"
#include "xb_array_mvm.h"
#include "xb_model.h"
#include "xb_solver.h"
#include "xb_test.h"

static xb_model *model;
static float *images; /* calibration and test images */
static int n_images, per_image, classes;

static void load(void)
{
    /* the 4 stored images, and 12 more made from them (shifted, scaled), all signed */
    n_images = 16;
    images = xb_test_tiny_images(n_images, 0.1, &model, &per_image, &classes);
}

static float *run_config(const xb_analog_config *cfg, xb_analog_stats *stats)
{
    xb_error err = {0};
    xb_analog *a = xb_analog_new(model, cfg, &err);
    XB_CHECK_MSG(a != NULL, "%s", err.msg);
    if (!a)
        return NULL;
    float *logits = malloc((size_t)n_images * classes * sizeof *logits);
    XB_CHECK_MSG(xb_analog_calibrate(a, images, n_images, 8, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(xb_analog_attach(a, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(xb_model_run(model, images, n_images, logits, &err) == XB_OK, "%s", err.msg);
    if (stats)
        *stats = *xb_analog_get_stats(a);
    xb_analog_free(a);
    return logits;
}

static double max_diff(const float *a, const float *b, int n, double *scale)
{
    double d = 0, s = 0;
    for (int k = 0; k < n; k++) {
        d = fmax(d, fabs((double)a[k] - b[k]));
        s = fmax(s, fabs((double)b[k]));
    }
    *scale = s;
    return d;
}

static void set(xb_analog_config *c, const char *k, const char *v)
{
    xb_error err = {0};
    XB_CHECK_MSG(xb_analog_config_set(c, k, v, &err) == XB_OK, "%s", err.msg);
}

/* R^p = 0, no errors, ADC off: the arrays compute the digital network's numbers. */
static void test_honest_limit(void)
{
    static const char *mappings[][2] = {{"differential", "digital"}, {"offset", "digital"}, {"offset", "unit-column"}};
    static const char *slicing[] = {"1", "4x2"};
    static const char *inputs[] = {"bit-serial", "dac"};
    static const char *mvms[] = {"ideal", "exact"};
    for (size_t m = 0; m < 3; m++)
        for (size_t s = 0; s < 2; s++)
            for (size_t i = 0; i < 2; i++) {
                xb_analog_config cfg;
                xb_analog_config_init(&cfg);
                set(&cfg, "mapping", mappings[m][0]);
                set(&cfg, "offset", mappings[m][1]);
                set(&cfg, "slicing", slicing[s]);
                set(&cfg, "input", inputs[i]);
                set(&cfg, "adc_bits", "off");
                set(&cfg, "rows_per_array", "40"); /* several depth tiles per layer */
                set(&cfg, "cols_per_array", "12");
                set(&cfg, "mvm", "digital");
                float *ref = run_config(&cfg, NULL);
                for (size_t v = 0; v < 2; v++) {
                    set(&cfg, "mvm", mvms[v]);
                    float *got = run_config(&cfg, NULL);
                    if (ref && got) {
                        double scale, d = max_diff(got, ref, n_images * classes, &scale);
                        XB_CHECK_MSG(d <= 1e-5 * scale, "%s/%s slicing %s %s %s: logits differ by %.3g of %.3g",
                                     mappings[m][0], mappings[m][1], slicing[s], inputs[i], mvms[v], d, scale);
                    }
                    free(got);
                }
                free(ref);
            }
}

/* Tiles of a real layer, with wires and programming errors: the array MVM the
 * inference uses (column path or transfer matrix) equals CHOLMOD on the same
 * circuit, to 1e-10. */
static void test_tiles_against_cholmod(void)
{
    static const char *inputs[] = {"bit-serial", "dac"};
    for (size_t i = 0; i < 2; i++) {
        xb_analog_config cfg;
        xb_analog_config_init(&cfg);
        set(&cfg, "input", inputs[i]);
        set(&cfg, "rp", "1e-3");
        set(&cfg, "error_model", "independent");
        set(&cfg, "alpha", "0.05");
        set(&cfg, "rows_per_array", "64");
        set(&cfg, "cols_per_array", "16");
        xb_error err = {0};
        xb_analog *a = xb_analog_new(model, &cfg, &err);
        XB_CHECK_MSG(a != NULL, "%s", err.msg);
        if (!a)
            return;
        int layer = 2;
        xb_circuit *c = xb_analog_array_circuit(a, layer, 0, 0, 0, 0, 1, &err);
        XB_CHECK_MSG(c != NULL, "%s", err.msg);
        if (c) {
            const int K = 24, M = c->rows, N = c->cols;
            double *x = malloc((size_t)K * M * sizeof *x), *o1 = malloc((size_t)K * N * sizeof *o1),
                   *o2 = malloc((size_t)K * N * sizeof *o2);
            unsigned z = 99;
            for (int q = 0; q < K * M; q++) {
                z = z * 1664525u + 1013904223u;
                x[q] = i == 0 ? (double)((z >> 16) & 1) : cfg.v_read * (double)((z >> 8) & 255) / 255.0;
            }
            xb_array_mvm *arr = xb_array_mvm_new(NULL, &err);
            XB_CHECK(arr && xb_array_mvm_program(arr, c, &err) == XB_OK);
            XB_CHECK(arr && xb_array_mvm_run(arr, x, K, o1, &err) == XB_OK);
            xb_solver_options opt;
            xb_solver_options_init(&opt);
            opt.backend = XB_BACKEND_CHOLMOD;
            xb_solver *s = xb_solver_new(c, &opt, &err);
            XB_CHECK(s && xb_solver_solve(s, x, K, o2, NULL, &err) == XB_OK);
            double scale = 0, d = 0;
            for (int q = 0; q < K * N; q++) {
                scale = fmax(scale, fabs(o2[q]));
                d = fmax(d, fabs(o1[q] - o2[q]));
            }
            XB_CHECK_MSG(scale > 0 && d <= 1e-10 * scale, "%s tile: %.3g of %.3g", inputs[i], d, scale);
            xb_solver_free(s);
            xb_array_mvm_free(arr);
            free(x);
            free(o1);
            free(o2);
        }
        xb_circuit_free(c);
        xb_analog_free(a);
    }
}

/* Differential mapping, no errors: a zero weight puts both cells at Gmin. */
static void test_zero_weights(void)
{
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    set(&cfg, "rows_per_array", "1000");
    set(&cfg, "cols_per_array", "1000");
    xb_error err = {0};
    xb_analog *a = xb_analog_new(model, &cfg, &err);
    XB_CHECK(a != NULL);
    const double gmin = cfg.gmax / cfg.on_off;
    long zeros = 0;
    for (int layer = 0; a && layer < xb_model_num_matmul_layers(model); layer++) {
        const xb_matmul_layer *L = xb_model_matmul_layer(model, layer);
        if (!L->weight_q || L->groups != 1)
            continue;
        xb_circuit *gp = xb_analog_array_circuit(a, layer, 0, 0, 0, 0, 0, &err);
        xb_circuit *gn = xb_analog_array_circuit(a, layer, 0, 0, 0, 0, 1, &err);
        XB_CHECK(gp && gn);
        for (int r = 0; gp && gn && r < L->rows; r++)
            for (int d = 0; d < L->depth; d++) {
                int w = L->weight_q[(size_t)r * L->depth + d];
                double p = gp->g[(size_t)d * L->rows + r], n = gn->g[(size_t)d * L->rows + r];
                if (w == 0) {
                    zeros++;
                    XB_CHECK(p == gmin && n == gmin);
                } else {
                    XB_CHECK((w > 0 ? n : p) == gmin);
                    XB_CHECK((w > 0 ? p : n) > gmin);
                }
            }
        xb_circuit_free(gp);
        xb_circuit_free(gn);
    }
    XB_CHECK_MSG(zeros > 0, "the test model has no zero weights to check");
    xb_analog_free(a);
}

/* The same seed gives the same numbers bit for bit; another seed does not. */
static void test_determinism(void)
{
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    set(&cfg, "rp", "1e-4");
    set(&cfg, "error_model", "proportional");
    set(&cfg, "alpha", "0.1");
    set(&cfg, "adc_bits", "6");
    set(&cfg, "rows_per_array", "64");
    float *a = run_config(&cfg, NULL), *b = run_config(&cfg, NULL);
    set(&cfg, "seed", "2");
    float *c = run_config(&cfg, NULL);
    size_t bytes = (size_t)n_images * classes * sizeof(float);
    XB_CHECK(a && b && !memcmp(a, b, bytes));
    XB_CHECK(a && c && memcmp(a, c, bytes));
    free(a);
    free(b);
    free(c);
}

static void test_config_errors(void)
{
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    xb_error err = {0};
    XB_CHECK(xb_analog_config_set(&cfg, "mapping", "diagonal", &err) == XB_EINVAL && strstr(err.msg, "diagonal"));
    XB_CHECK(xb_analog_config_set(&cfg, "colour", "red", &err) == XB_EINVAL && strstr(err.msg, "colour"));
    XB_CHECK(xb_analog_config_set(&cfg, "slicing", "2x3", &err) == XB_OK);
    XB_CHECK(xb_analog_config_validate(&cfg, &err) == XB_EINVAL && strstr(err.msg, "needs 7"));
    char buf[64];
    xb_analog_config_init(&cfg);
    XB_CHECK(xb_analog_config_set(&cfg, "on_off", "inf", &err) == XB_OK);
    XB_CHECK(xb_analog_config_get(&cfg, "on_off", buf, sizeof buf, &err) == XB_OK && !strcmp(buf, "inf"));
    unsigned long long h = xb_analog_config_hash(&cfg);
    XB_CHECK(xb_analog_config_set(&cfg, "rp", "1e-6", &err) == XB_OK && xb_analog_config_hash(&cfg) != h);
}

int main(void)
{
    load();
    if (model) {
        test_honest_limit();
        test_tiles_against_cholmod();
        test_zero_weights();
        test_determinism();
    }
    test_config_errors();
    xb_model_free(model);
    free(images);
    XB_TEST_DONE();
}
