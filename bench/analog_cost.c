/* analog_cost: where the time of analog inference goes.
 *
 * usage: analog_cost MODEL.onnx IMAGES CALIB [key value ...]
 *   A 1x32x32 model runs on Fashion-MNIST (calibration on the training split,
 *   measurement on the first IMAGES test images, with top-1); any other input
 *   shape runs on seeded random inputs (timing only).  key value pairs go to
 *   xb_analog_config_set (defaults: exact MVM, bit-serial 8-bit inputs, 1152-row
 *   tiles, R^p 1e-4).  Prints seconds per image and the cost breakdown
 *   (programming, solving, ADC, digital), each measured in this run. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xb_base.h"
#include "xb_analog.h"
#include "xb_dataset.h"
#include "xb_model.h"

static int fail(const xb_error *e)
{
    fprintf(stderr, "analog_cost: %s\n", e->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (argc - 4) % 2) {
        fprintf(stderr, "usage: analog_cost MODEL.onnx IMAGES CALIB [key value ...]\n");
        return 2;
    }
    xb_error err = {0};
    xb_model *m = xb_model_load(argv[1], &err);
    if (!m)
        return fail(&err);
    int n = atoi(argv[2]), ncal = atoi(argv[3]), c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    size_t per = (size_t)c * h * w;
    int classes = xb_model_num_classes(m);
    float *xc = malloc(per * ncal * sizeof *xc), *xt = malloc(per * n * sizeof *xt);
    int *labels = calloc((size_t)n, sizeof *labels), *lc = calloc((size_t)ncal, sizeof *lc);
    int have_labels = 0;
    if (c == 1 && h == 32 && w == 32) {
        xb_dataset *tr, *te;
        if (xb_dataset_open_fmnist(NULL, XB_SPLIT_TRAIN, &tr, &err) ||
            xb_dataset_open_fmnist(NULL, XB_SPLIT_TEST, &te, &err) ||
            xb_dataset_read_batch(tr, 0, ncal, xc, lc, &err) || xb_dataset_read_batch(te, 0, n, xt, labels, &err))
            return fail(&err);
        xb_dataset_free(tr);
        xb_dataset_free(te);
        have_labels = 1;
    } else {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 7);
        for (size_t q = 0; q < per * ncal; q++)
            xc[q] = (float)gsl_ran_gaussian(r, 1.0);
        for (size_t q = 0; q < per * n; q++)
            xt[q] = (float)gsl_ran_gaussian(r, 1.0);
        gsl_rng_free(r);
    }
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    xb_analog_config_set(&cfg, "rp", "1e-4", &err);
    for (int i = 4; i + 1 < argc; i += 2)
        if (xb_analog_config_set(&cfg, argv[i], argv[i + 1], &err))
            return fail(&err);
    char rp[32], mvm[32], input[32];
    xb_analog_config_get(&cfg, "rp", rp, sizeof rp, &err);
    xb_analog_config_get(&cfg, "mvm", mvm, sizeof mvm, &err);
    xb_analog_config_get(&cfg, "input", input, sizeof input, &err);
    xb_analog *a = xb_analog_new(m, &cfg, &err);
    if (!a)
        return fail(&err);
    int batch = n < 16 ? n : 16;
    double t0 = xb_clock_now();
    if (xb_analog_calibrate(a, xc, ncal, ncal < 16 ? ncal : 16, &err))
        return fail(&err);
    double t1 = xb_clock_now();
    xb_analog_stats before = *xb_analog_get_stats(a);
    if (xb_analog_attach(a, &err))
        return fail(&err);
    float *logits = malloc((size_t)batch * classes * sizeof *logits);
    int correct = 0;
    double t2 = xb_clock_now();
    for (int i = 0; i < n; i += batch) {
        int b = n - i < batch ? n - i : batch;
        if (xb_model_run(m, xt + (size_t)i * per, b, logits, &err))
            return fail(&err);
        for (int q = 0; q < b && have_labels; q++)
            correct += xb_dataset_label_rank(logits + (size_t)q * classes, classes, labels[i + q]) == 0;
    }
    double t3 = xb_clock_now();
    const xb_analog_stats *s = xb_analog_get_stats(a);
    printf("model %s, input %dx%dx%d, mvm %s, input %s, R^p %s\n", argv[1], c, h, w, mvm, input, rp);
    printf("calibration: %d images in %.2f s\n", ncal, t1 - t0);
    printf("inference: %d images in %.2f s = %.3f s/image", n, t3 - t2, (t3 - t2) / n);
    if (have_labels)
        printf(", top-1 %d/%d", correct, n);
    printf("\nbreakdown of the inference (s): programming %.2f, solving %.2f, ADC %.2f, digital %.2f, other %.2f\n",
           s->t_program - before.t_program, s->t_solve - before.t_solve, s->t_adc - before.t_adc,
           s->t_digital - before.t_digital,
           (t3 - t2) - (s->t_program - before.t_program) - (s->t_solve - before.t_solve) -
               (s->t_adc - before.t_adc) - (s->t_digital - before.t_digital));
    printf("arrays programmed: %ld; array vectors solved per image: %.0f\n", s->tiles,
           (double)(s->mvm_vectors - before.mvm_vectors) / n);
    xb_analog_free(a);
    xb_model_free(m);
    free(xc);
    free(xt);
    free(labels);
    free(lc);
    free(logits);
    return 0;
}
