/* test_engine_mobilenetv2.c: the shipped int8 MobileNetV2 against PyTorch.
 *
 * models/mobilenetv2_fmnist_int8.onnx and tests/data/mobilenetv2_fmnist_ref*
 * come from tools/train_mobilenetv2_fmnist.py: PyTorch's logits for the first
 * 300 Fashion-MNIST test images, their labels, and in the JSON the number of
 * those images PyTorch classifies correctly (with the model's sha256 and the
 * torch version that computed it).  xbar's digital engine, fed by its own
 * Fashion-MNIST reader, must give the same logits (1e-4 of each image's
 * largest |logit|), the same top-1 on all but a near-tie, and a correct count
 * within one image of PyTorch's.  A broken import of the depthwise
 * convolutions, the ReLU6 clips or the residual adds fails all three.
 *
 * Without the model or the dataset the test reports that it skipped and
 * passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xb_dataset.h"
#include "xb_matrix_io.h"
#include "xb_model.h"
#include "xb_test.h"

#define NREF 300     /* images with reference logits */
#define NCLASS 10
#define SIDE 32
#define TOL 1e-4     /* relative to each image's largest |logit| */
#define BATCH 64

static int read_matrix(const char *path, xb_matrix *mx)
{
    xb_error err;
    if (xb_matrix_read(path, mx, &err) != XB_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    return 1;
}

/* The integer after "key": in a JSON text, or -1. */
static long json_int(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p)
        return -1;
    return strtol(p + strlen(pat), NULL, 10);
}

int main(void)
{
    char model_path[1024];
    snprintf(model_path, sizeof model_path, "%s",
             xb_test_src("models/mobilenetv2_fmnist_int8.onnx"));
    if (access(model_path, R_OK) != 0) {
        printf("skipped: %s is not there\n", model_path);
        XB_TEST_DONE();
    }
    xb_error err;
    xb_dataset *ds = NULL;
    if (xb_dataset_open_fmnist(NULL, XB_SPLIT_TEST, &ds, &err) != XB_OK) {
        printf("skipped: %s\n", err.msg);
        XB_TEST_DONE();
    }
    xb_model *m = xb_model_load(model_path, &err);
    XB_CHECK_MSG(m != NULL, "%s", err.msg);
    if (!m) {
        xb_dataset_free(ds);
        XB_TEST_DONE();
    }
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    XB_CHECK(c == 1 && h == SIDE && w == SIDE);
    XB_CHECK(xb_model_num_classes(m) == NCLASS);

    /* 52 convolutions (17 of them depthwise) and the classifier, all int8. */
    int nmm = xb_model_num_matmul_layers(m), depthwise = 0;
    printf("%d steps, %d matmul layers\n", xb_model_num_steps(m), nmm);
    XB_CHECK(nmm == 53);
    for (int i = 0; i < nmm; i++) {
        const xb_matmul_layer *L = xb_model_matmul_layer(m, i);
        XB_CHECK_MSG(L->weight_q && L->weight_scale, "layer %d '%s' lost its int8 weights", i,
                     L->name);
        if (L->groups > 1) {
            XB_CHECK_MSG(L->groups == L->in_channels && L->depth == 9,
                         "layer %d '%s': groups %d, depth %d", i, L->name, L->groups, L->depth);
            depthwise++;
        }
    }
    XB_CHECK(depthwise == 17);

    xb_matrix ref, lab;
    char *json = xb_test_slurp(xb_test_src("tests/data/mobilenetv2_fmnist_ref.json"));
    int ok = read_matrix(xb_test_src("tests/data/mobilenetv2_fmnist_ref_logits.npy"), &ref) &&
             read_matrix(xb_test_src("tests/data/mobilenetv2_fmnist_ref_labels.npy"), &lab);
    XB_CHECK(ok);
    long torch_correct = json_int(json, "ref_correct");
    XB_CHECK(json_int(json, "ref_images") == NREF && torch_correct > 0);
    if (!ok) {
        free(json);
        xb_model_free(m);
        xb_dataset_free(ds);
        XB_TEST_DONE();
    }
    XB_CHECK(ref.ndim == 2 && ref.shape[0] == NREF && ref.shape[1] == NCLASS);
    XB_CHECK(lab.size == NREF);

    float *x = malloc(sizeof(float) * NREF * SIDE * SIDE);
    float *y = malloc(sizeof(float) * NREF * NCLASS);
    int labels[NREF];
    XB_CHECK_MSG(xb_dataset_read_batch(ds, 0, NREF, x, labels, &err) == XB_OK, "%s", err.msg);
    for (int i = 0; i < NREF; i += BATCH) {
        int b = NREF - i < BATCH ? NREF - i : BATCH;
        XB_CHECK_MSG(xb_model_run(m, x + (size_t)i * SIDE * SIDE, b, y + (size_t)i * NCLASS,
                                  &err) == XB_OK, "%s", err.msg);
    }
    double worst = 0;
    int agree = 0, correct = 0, ref_correct = 0, off = 0, label_off = 0;
    for (int i = 0; i < NREF; i++) {
        double s = 0, e = 0;
        int am = 0, ar = 0;
        for (int j = 0; j < NCLASS; j++) {
            double r = ref.data[i * NCLASS + j];
            s = fmax(s, fabs(r));
            e = fmax(e, fabs(y[i * NCLASS + j] - r));
            if (y[i * NCLASS + j] > y[i * NCLASS + am])
                am = j;
            if (r > ref.data[i * NCLASS + ar])
                ar = j;
        }
        off += !(e <= TOL * s);
        worst = fmax(worst, e / s);
        agree += am == ar;
        correct += am == labels[i];
        ref_correct += ar == labels[i];
        label_off += labels[i] != (int)lab.data[i];
    }
    printf("%d images: max rel err %.3g, top-1 agrees with torch on %d; correct: xbar %d, "
           "torch %ld (json), %d (its logits)\n",
           NREF, worst, agree, correct, torch_correct, ref_correct);
    XB_CHECK_MSG(off == 0, "%d images' logits differ by more than %g", off, TOL);
    XB_CHECK_MSG(label_off == 0, "%d labels differ from the reference", label_off);
    XB_CHECK(agree >= NREF - 1);            /* a near-tie may flip */
    XB_CHECK(ref_correct == torch_correct); /* the JSON and the logits are one run */
    XB_CHECK(labs(correct - torch_correct) <= 1);

    free(x);
    free(y);
    free(json);
    xb_matrix_release(&ref);
    xb_matrix_release(&lab);
    xb_model_free(m);
    xb_dataset_free(ds);
    XB_TEST_DONE();
}
