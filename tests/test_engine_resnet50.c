/* test_engine_resnet50.c: the shipped int8 ResNet50 against torch's logits.
 *
 * models/resnet50_fmnist_int8.onnx and tests/data/resnet50_fmnist_ref_*.npy
 * come from tools/train_resnet50.py: the logits torch computes for the first
 * 100 Fashion-MNIST test images.  xbar must match them to 1e-4 relative to
 * the largest |logit| of each image.
 *
 * XB_RESNET50_DIR=DIR takes the model and the references from DIR instead
 * (e.g. a random-weight stand-in from tools/make_test_onnx.py --resnet50).
 * Without a model the test reports that it skipped and passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xb_dataset.h"
#include "xb_matrix_io.h"
#include "xb_model.h"
#include "xb_test.h"

#define NREF 100
#define TOL 1e-4

static char paths[4][1024];

/* Paths of the model and the three reference files; 0 if the model is absent. */
static int find_files(void)
{
    const char *dir = getenv("XB_RESNET50_DIR");
    const char *names[4] = {"resnet50_fmnist_int8.onnx", "resnet50_fmnist_ref_logits.npy",
                            "resnet50_fmnist_ref_labels.npy", "resnet50_fmnist_ref_input0.npy"};
    for (int i = 0; i < 4; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%s", i == 0 ? "models" : "tests/data", names[i]);
        if (dir && dir[0])
            snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]);
        else
            snprintf(paths[i], sizeof paths[i], "%s", xb_test_src(rel));
    }
    return access(paths[0], R_OK) == 0;
}

static int read_matrix(const char *path, xb_matrix *mx)
{
    xb_error err;
    if (xb_matrix_read(path, mx, &err) != XB_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    return 1;
}

int main(void)
{
    if (!find_files()) {
        printf("skipped: %s is not there yet\n", paths[0]);
        XB_TEST_DONE();
    }
    xb_error err;
    xb_model *m = xb_model_load(paths[0], &err);
    XB_CHECK_MSG(m != NULL, "%s", err.msg);
    if (!m)
        XB_TEST_DONE();
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    XB_CHECK(c == 1 && h == 32 && w == 32);
    XB_CHECK(xb_model_num_classes(m) == 10);
    int nmm = xb_model_num_matmul_layers(m);
    printf("%d steps, %d matmul layers\n", xb_model_num_steps(m), nmm);
    XB_CHECK(nmm == 54); /* 53 convolutions + the classifier */
    for (int i = 0; i < nmm; i++) {
        const xb_matmul_layer *L = xb_model_matmul_layer(m, i);
        XB_CHECK_MSG(L->weight_q && L->weight_scale, "layer %d '%s' lost its int8 weights", i,
                     L->name);
    }

    xb_matrix ref, lab, in0;
    int ok = read_matrix(paths[1], &ref) && read_matrix(paths[2], &lab) &&
             read_matrix(paths[3], &in0);
    XB_CHECK(ok);
    if (!ok)
        XB_TEST_DONE();
    XB_CHECK(ref.ndim == 2 && ref.shape[0] == NREF && ref.shape[1] == 10);
    XB_CHECK(lab.size == NREF && in0.size == 32 * 32);

    /* image 0 from the reference input, alone */
    float x0[32 * 32], y0[10];
    for (int i = 0; i < 32 * 32; i++)
        x0[i] = (float)in0.data[i];
    XB_CHECK_MSG(xb_model_run(m, x0, 1, y0, &err) == XB_OK, "%s", err.msg);
    double scale = 0, d = 0;
    for (int j = 0; j < 10; j++) {
        scale = fmax(scale, fabs(ref.data[j]));
        d = fmax(d, fabs(y0[j] - ref.data[j]));
    }
    printf("image 0 (reference input): rel err %.3g\n", d / scale);
    XB_CHECK(d <= TOL * scale);

    /* the first 100 test images through the dataset reader, in two batches */
    xb_dataset *ds = NULL;
    if (xb_dataset_open_fmnist(NULL, XB_SPLIT_TEST, &ds, &err) != XB_OK) {
        printf("skipped the 100-image check: %s\n", err.msg);
    } else {
        float *x = malloc(sizeof(float) * NREF * 32 * 32);
        float *y = malloc(sizeof(float) * NREF * 10);
        int labels[NREF];
        XB_CHECK_MSG(xb_dataset_read_batch(ds, 0, NREF, x, labels, &err) == XB_OK, "%s", err.msg);
        double pre = 0;
        for (int i = 0; i < 32 * 32; i++)
            pre = fmax(pre, fabs(x[i] - x0[i]));
        printf("preprocessing vs reference input: max abs diff %.3g\n", pre);
        XB_CHECK(pre <= 1e-6);
        XB_CHECK(xb_model_run(m, x, 64, y, &err) == XB_OK);
        XB_CHECK(xb_model_run(m, x + 64 * 32 * 32, NREF - 64, y + 64 * 10, &err) == XB_OK);
        double worst = 0;
        int agree = 0, correct = 0;
        for (int i = 0; i < NREF; i++) {
            double s = 0, e = 0;
            int am = 0, ar = 0;
            for (int j = 0; j < 10; j++) {
                double r = ref.data[i * 10 + j];
                s = fmax(s, fabs(r));
                e = fmax(e, fabs(y[i * 10 + j] - r));
                if (y[i * 10 + j] > y[i * 10 + am])
                    am = j;
                if (r > ref.data[i * 10 + ar])
                    ar = j;
            }
            XB_CHECK_MSG(e <= TOL * s, "image %d: rel err %.3g", i, e / s);
            worst = fmax(worst, e / s);
            agree += am == ar;
            correct += am == labels[i];
            XB_CHECK(labels[i] == (int)lab.data[i]);
        }
        printf("100 images: max rel err %.3g, top-1 agrees with torch on %d, correct %d\n",
               worst, agree, correct);
        XB_CHECK(agree >= NREF - 1); /* a near-tie may flip */
        free(x);
        free(y);
        xb_dataset_free(ds);
    }
    xb_matrix_release(&ref);
    xb_matrix_release(&lab);
    xb_matrix_release(&in0);
    xb_model_free(m);
    XB_TEST_DONE();
}
