/* infer_vs_torch.c: images per second of xbar's digital engine on an ONNX model.
 *
 *   infer_vs_torch --model M.onnx [--batch B] [--seconds S] [--warmup W]
 *
 * Runs batches of B pseudo-random N(0,1) images for at least S seconds after
 * W warm-up batches and prints one JSON line:
 *   {"model": ..., "batch": B, "batches": K, "seconds": T, "images_per_sec": R,
 *    "load_seconds": L, "buffer_mb": M}
 * bench/infer_vs_torch.py runs it next to torch on the same weights.
 * Threads: OPENBLAS_NUM_THREADS and OMP_NUM_THREADS as set by the caller. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xb_base.h"
#include "xb_model.h"

/* Box-Muller on a fixed LCG: the same inputs on every run. */
static float gauss(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u1 = ((*s >> 11) + 1.0) / 9007199254740993.0;
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u2 = (double)(*s >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static void usage(void)
{
    fprintf(stderr, "usage: infer_vs_torch --model M.onnx [--batch B] [--seconds S] "
                    "[--warmup W]\n");
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int batch = 64, warmup = 1;
    double seconds = 10.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (!path || batch < 1 || seconds < 0 || warmup < 0) {
        usage();
        return 2;
    }
    xb_error err;
    double t0 = xb_clock_now();
    xb_model *m = xb_model_load(path, &err);
    if (!m) {
        fprintf(stderr, "infer_vs_torch: %s\n", err.msg);
        return 1;
    }
    double t_load = xb_clock_now() - t0;
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    size_t per = (size_t)c * h * w, k = (size_t)xb_model_num_classes(m);
    float *x = malloc(sizeof(float) * per * (size_t)batch);
    float *y = malloc(sizeof(float) * k * (size_t)batch);
    if (!x || !y) {
        fprintf(stderr, "infer_vs_torch: out of memory\n");
        return 1;
    }
    unsigned long long s = 42;
    for (size_t i = 0; i < per * (size_t)batch; i++)
        x[i] = gauss(&s);
    for (int i = 0; i < warmup; i++)
        if (xb_model_run(m, x, batch, y, &err) != XB_OK) {
            fprintf(stderr, "infer_vs_torch: %s\n", err.msg);
            return 1;
        }
    int batches = 0;
    double t1 = xb_clock_now(), el = 0;
    do {
        if (xb_model_run(m, x, batch, y, &err) != XB_OK) {
            fprintf(stderr, "infer_vs_torch: %s\n", err.msg);
            return 1;
        }
        batches++;
        el = xb_clock_now() - t1;
    } while (el < seconds);
    double checksum = 0;
    for (size_t i = 0; i < k * (size_t)batch; i++)
        checksum += y[i];
    printf("{\"model\": \"%s\", \"batch\": %d, \"batches\": %d, \"seconds\": %.4f, "
           "\"images_per_sec\": %.3f, \"load_seconds\": %.3f, \"buffer_mb\": %.1f, "
           "\"checksum\": %.6g}\n",
           path, batch, batches, el, batches * batch / el, t_load,
           xb_model_buffer_bytes(m) / 1048576.0, checksum);
    free(x);
    free(y);
    xb_model_free(m);
    return 0;
}
