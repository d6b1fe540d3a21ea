/* cmd_infer.c: `xbar infer`: run an ONNX network digitally on a labelled
 * dataset and report its accuracy. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "xb_dataset.h"
#include "xb_model.h"

#define EXIT_USAGE 2
#define MAX_BATCH 65536
#define SMALL_INPUT 4096     /* values per image up to which the default batch is large */
#define BATCH_SMALL 64       /* default batch for small inputs (1x32x32) */
#define BATCH_LARGE 8        /* default batch for large inputs (3x224x224) */
#define PROGRESS_PERIOD 0.25 /* seconds between progress updates */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: xbar infer --model M.onnx --dataset SPEC [--limit N] [--batch B]\n"
        "\n"
        "Run an ONNX network with the digital reference engine on a labelled dataset and\n"
        "report its accuracy.\n"
        "\n"
        "  --model M.onnx     the network.  Its input shape picks the preprocessing:\n"
        "                     1x32x32 Fashion-MNIST style (28x28 zero-padded to 32x32,\n"
        "                     (p/255 - 0.2860) / 0.3530), 3x224x224 ImageNet style\n"
        "                     (shorter side to 256, bilinear, centre crop 224, ImageNet\n"
        "                     mean and std).  Any other shape is refused.\n"
        "  --dataset SPEC     fashion-mnist[:DIR]        Fashion-MNIST test split (10,000)\n"
        "                     fashion-mnist-train[:DIR]  its training split (60,000)\n"
        "                         DIR holds {t10k,train}-{images-idx3,labels-idx1}-ubyte[.gz]\n"
        "                         (default " XB_FMNIST_DEFAULT_DIR ")\n"
        "                     imagenet:DIR               a folder of JPEG files and a labels\n"
        "                         file, DIR/labels.txt or else DIR/val.txt, one line per\n"
        "                         image: '<filename> <class-index>' (0-based, in the\n"
        "                         model's output order; '#' starts a comment line)\n"
        "  --labels FILE      the labels file of an imagenet:DIR dataset\n"
        "  --limit N          use only the first N images\n"
        "  --batch B          images per network run (default %d for inputs of up to %d\n"
        "                     values, else %d)\n"
        "  --help             this text\n"
        "\n"
        "Output (stdout): top-1 accuracy, and top-5 when the model has more than 5\n"
        "classes, each with its 95%% confidence interval (the Wilson score interval for a\n"
        "binomial proportion); throughput in images per second, end to end and in the\n"
        "network alone.  The last line is 'top1: <fraction>'.  Ties between logits go to\n"
        "the lower class index.  Progress and ETA go to stderr when it is a terminal\n"
        "(and the environment variable CI is not 'true').\n"
        "\n"
        "Exit status: 0 success, 1 error (model, dataset, run), 2 bad arguments.\n",
        BATCH_SMALL, SMALL_INPUT, BATCH_LARGE);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("xbar infer: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see xbar infer --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

static int fail(const xb_error *err)
{
    fprintf(stderr, "xbar infer: %s\n", err->msg);
    return 1;
}

/* A whole-string positive integer no larger than max. */
static int parse_positive(const char *s, long max, long *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > max)
        return 0;
    *out = v;
    return 1;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void format_duration(double s, char *buf, size_t cap)
{
    if (!(s >= 0) || s > 359999)
        s = 359999;
    long t = (long)(s + 0.5);
    snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* Compare a preprocessing constant recorded in the model's metadata with
 * the one xbar uses, so that a model trained differently is not scored with
 * the wrong normalization. */
static int check_metadata(const xb_model *m, const char *key, double want, const char *path,
                          xb_error *err)
{
    const char *v = xb_model_metadata(m, key);
    if (!v)
        return 0;
    char *end;
    double got = strtod(v, &end);
    if (end == v || fabs(got - want) > 1e-6 * fmax(1.0, fabs(want))) {
        xb_error_set(err, XB_EUNSUPPORTED, "%s: metadata %s = '%s', but xbar's Fashion-MNIST "
                     "preprocessing uses %g", path, key, v, want);
        return -1;
    }
    return 0;
}

/* Open the dataset named by spec, with an explicit labels file if given. */
static xb_status open_dataset(const char *spec, const char *labels, xb_dataset **d,
                              xb_error *err)
{
    if (!labels)
        return xb_dataset_open(spec, d, err);
    if (strncmp(spec, "imagenet:", 9) || !spec[9])
        return xb_error_set(err, XB_EINVAL, "--labels applies to imagenet:DIR datasets only, "
                            "not '%s'", spec);
    return xb_dataset_open_imagenet(spec + 9, labels, d, err);
}

typedef struct {
    size_t done, top1, top5, nonfinite;
} tally;

static void progress(const tally *t, size_t total, double elapsed)
{
    double rate = elapsed > 0 ? (double)t->done / elapsed : 0;
    char eta[32];
    format_duration(rate > 0 ? (double)(total - t->done) / rate : -1, eta, sizeof eta);
    fprintf(stderr, "\r%zu/%zu images (%.1f%%)  %.1f images/s  ETA %s  top1 %.4f\033[K",
            t->done, total, 100.0 * (double)t->done / (double)total, rate, eta,
            t->done ? (double)t->top1 / (double)t->done : 0.0);
    fflush(stderr);
}

static void print_accuracy(const char *name, size_t k, size_t n)
{
    double lo, hi;
    xb_dataset_wilson_interval(k, n, XB_Z95, &lo, &hi);
    printf("%s accuracy: %.4f (%zu/%zu), 95%% CI [%.4f, %.4f] (Wilson)\n", name,
           (double)k / (double)n, k, n, lo, hi);
}

int xb_cmd_infer(int argc, char **argv)
{
    const char *model_path = NULL, *spec = NULL, *labels_path = NULL;
    long limit = 0, batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        static const char *const with_value[] = {"--model", "--dataset", "--labels", "--limit",
                                                 "--batch"};
        const char *val = NULL;
        size_t opt = sizeof with_value / sizeof with_value[0];
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
            size_t n = strlen(with_value[k]);
            if (!strncmp(a, with_value[k], n) && (a[n] == '\0' || a[n] == '=')) {
                opt = k;
                if (a[n] == '=')
                    val = a + n + 1;
                else if (i + 1 < argc)
                    val = argv[++i];
                else
                    return usage_error("%s needs a value", with_value[k]);
                break;
            }
        }
        switch (opt) {
        case 0: model_path = val; break;
        case 1: spec = val; break;
        case 2: labels_path = val; break;
        case 3:
            if (!parse_positive(val, LONG_MAX, &limit))
                return usage_error("--limit: expected a positive integer, got '%s'", val);
            break;
        case 4:
            if (!parse_positive(val, MAX_BATCH, &batch))
                return usage_error("--batch: expected an integer from 1 to %d, got '%s'",
                                   MAX_BATCH, val);
            break;
        default:
            return usage_error("unknown %s '%s'", a[0] == '-' ? "option" : "argument", a);
        }
    }
    if (!model_path || !*model_path)
        return usage_error("--model M.onnx is required");
    if (!spec || !*spec)
        return usage_error("--dataset is required (fashion-mnist[:DIR], "
                           "fashion-mnist-train[:DIR] or imagenet:DIR)");

    xb_error err;
    xb_error_clear(&err);
    xb_model *m = xb_model_load(model_path, &err);
    if (!m)
        return fail(&err);
    xb_dataset *d = NULL;
    float *x = NULL, *logits = NULL;
    int *labels = NULL;
    int rc = 1, c = 0, h = 0, w = 0, shown = 0;
    if (xb_model_input_shape(m, &c, &h, &w) != XB_OK) {
        xb_error_set(&err, XB_EUNSUPPORTED, "%s: the model has no usable input shape",
                     model_path);
        goto done;
    }
    const int classes = xb_model_num_classes(m);
    if (classes < 1) {
        xb_error_set(&err, XB_EUNSUPPORTED, "%s: the model has no outputs", model_path);
        goto done;
    }
    if (open_dataset(spec, labels_path, &d, &err) != XB_OK)
        goto done;
    if (xb_dataset_match_input(d, c, h, w, &err) != XB_OK) {
        xb_error_prefix(&err, "%s", model_path);
        goto done;
    }
    if (xb_dataset_get_kind(d) == XB_DATASET_FMNIST &&
        (check_metadata(m, "preprocess.mean", XB_FMNIST_MEAN, model_path, &err) ||
         check_metadata(m, "preprocess.std", XB_FMNIST_STD, model_path, &err) ||
         check_metadata(m, "preprocess.pad", XB_FMNIST_PAD, model_path, &err)))
        goto done;
    if (xb_dataset_num_classes(d) > classes) {
        xb_error_set(&err, XB_EINVAL, "dataset %s has labels up to %d but the model %s has only "
                     "%d output%s", xb_dataset_describe(d), xb_dataset_num_classes(d) - 1,
                     model_path, classes, classes == 1 ? "" : "s");
        goto done;
    }

    const size_t chw = (size_t)c * h * w;
    size_t total = xb_dataset_count(d);
    if (limit > 0 && (size_t)limit < total)
        total = (size_t)limit;
    if (batch == 0)
        batch = chw <= SMALL_INPUT ? BATCH_SMALL : BATCH_LARGE;
    if ((size_t)batch > total)
        batch = (long)total;
    x = malloc(sizeof *x * chw * (size_t)batch);
    logits = malloc(sizeof *logits * (size_t)classes * (size_t)batch);
    labels = malloc(sizeof *labels * (size_t)batch);
    if (!x || !logits || !labels) {
        xb_error_set(&err, XB_ENOMEM, "cannot allocate buffers for a batch of %ld images", batch);
        goto done;
    }
    if (xb_model_reserve(m, (int)batch, &err) != XB_OK)
        goto done;

    printf("model: %s (input %dx%dx%d, %d classes)\n", model_path, c, h, w, classes);
    printf("dataset: %s: %zu of %zu images, batch %ld\n", xb_dataset_describe(d), total,
           xb_dataset_count(d), batch);
    fflush(stdout);

    const char *ci = getenv("CI");
    const int show = isatty(STDERR_FILENO) && !(ci && !strcmp(ci, "true"));
    tally t = {0, 0, 0, 0};
    double t_start = now_seconds(), t_net = 0, t_shown = t_start;
    while (t.done < total) {
        int n = (int)(total - t.done < (size_t)batch ? total - t.done : (size_t)batch);
        if (xb_dataset_read_batch(d, t.done, n, x, labels, &err) != XB_OK)
            goto done;
        double t0 = now_seconds();
        if (xb_model_run(m, x, n, logits, &err) != XB_OK) {
            xb_error_prefix(&err, "images %zu..%zu", t.done, t.done + (size_t)n - 1);
            goto done;
        }
        double t1 = now_seconds();
        t_net += t1 - t0;
        for (int i = 0; i < n; i++) {
            const float *l = logits + (size_t)i * classes;
            int finite = 1;
            for (int k = 0; k < classes; k++)
                if (!isfinite(l[k]))
                    finite = 0;
            t.nonfinite += !finite;
            int r = xb_dataset_label_rank(l, classes, labels[i]);
            t.top1 += r < 1;
            t.top5 += r < 5;
        }
        t.done += (size_t)n;
        if (show && (t1 - t_shown >= PROGRESS_PERIOD || t.done == total)) {
            progress(&t, total, t1 - t_start);
            t_shown = t1;
            shown = 1;
        }
    }
    double t_all = now_seconds() - t_start;
    if (shown)
        fputs("\r\033[K", stderr);
    shown = 0;

    if (t.nonfinite)
        printf("non-finite logits: %zu image%s\n", t.nonfinite, t.nonfinite == 1 ? "" : "s");
    print_accuracy("top-1", t.top1, total);
    if (classes > 5)
        print_accuracy("top-5", t.top5, total);
    printf("throughput: %.1f images/s end to end, %.1f images/s in the network (%.2f s)\n",
           t_all > 0 ? (double)total / t_all : 0.0, t_net > 0 ? (double)total / t_net : 0.0,
           t_all);
    printf("top1: %.10g\n", (double)t.top1 / (double)total);
    rc = 0;
done:
    if (shown)
        fputs("\r\033[K", stderr);
    if (rc)
        fail(&err);
    free(x);
    free(logits);
    free(labels);
    xb_dataset_free(d);
    xb_model_free(m);
    return rc;
}
