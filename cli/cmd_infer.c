/* cmd_infer.c: `xbar infer`: run an ONNX network digitally on a labelled
 * dataset and report its accuracy. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_dataset.h"
#include "xb_model.h"

#define MAX_BATCH 65536
#define PROGRESS_PERIOD 0.25 /* seconds between progress updates */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: xbar infer --model M.onnx --dataset SPEC [--limit N] [--batch B]\n"
        "       xbar infer --model M.onnx --inputs X.npy --out LOGITS.npy\n"
        "                  [--analog PARAMS.json [--calibration C.npy]] [--batch B]\n"
        "\n"
        "Run an ONNX network with the digital reference engine on a labelled dataset and\n"
        "report its accuracy; or run a raw input tensor and write the logits.\n"
        "\n"
        "  --model M.onnx     the network.  Its input shape sets the preprocessing:\n"
        "                     Fashion-MNIST, 1 or 3 channels: 28x28 centred on a canvas\n"
        "                     of zeros for sides of 28 to 32 (32x32: a 2-pixel pad), else\n"
        "                     resized (bilinear) to HxW, then (p/255 - 0.2860) / 0.3530;\n"
        "                     ImageNet style, 3 channels: shorter side to 256 (for 224;\n"
        "                     256 S/224 for a side S), bilinear, centre crop HxW,\n"
        "                     ImageNet mean and std\n"
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
        "  --inputs X.npy     instead of a dataset: N x C x H x W numbers (.npy or .csv, any\n"
        "                     N, the model's C x H x W; or N x F for an [N, F] input), fed\n"
        "                     as they are, no preprocessing, any input shape\n"
        "  --out LOGITS.npy   with --inputs: the outputs, N x outputs (float64 holding the\n"
        "                     engine's float32 values)\n"
        "  --analog P.json    with --inputs: every weight layer on crossbar arrays solved as\n"
        "                     circuits, configured by a JSON object of sweep parameters\n"
        "                     (docs/sweep.md), e.g. {\"rp\": 1e-4, \"mapping\": \"offset\"};\n"
        "                     float weights are quantized to weight_bits per output channel\n"
        "  --calibration C.npy  images that set the analog input and ADC ranges (default:\n"
        "                     the inputs themselves)\n"
        "  --batch B          images per network run (default %d for inputs of up to %d\n"
        "                     values, else %d)\n"
        "  --help             this text\n"
        "\n"
        "Output (stdout): top-1 accuracy, and top-5 when the model has more than 5\n"
        "classes, each with its 95%% confidence interval (the Wilson score interval for a\n"
        "binomial proportion); throughput in images per second, end to end and in the\n"
        "network alone.  The last line is 'top1: <fraction>'.  Ties between logits go to\n"
        "the lower class index.  Progress and ETA go to stderr when it is a terminal\n"
        "(and the environment variable CI is not set).\n"
        "\n"
        "Exit status: 0 success, 1 error (model, dataset, run), 2 bad arguments.\n",
        XB_INFER_BATCH_SMALL, XB_INFER_SMALL_INPUT, XB_INFER_BATCH_LARGE);
}

typedef struct {
    const char *model, *spec, *labels, *inputs, *out, *analog, *calibration;
    long limit, batch;
} infer_args;

/* Fill a from argv.  Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, infer_args *a)
{
    static const char *const with_value[] = {"--model", "--dataset", "--labels", "--limit", "--batch",
                                             "--inputs", "--out", "--analog", "--calibration"};
    const size_t n_opts = sizeof with_value / sizeof with_value[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        }
        size_t opt = n_opts;
        for (size_t k = 0; k < n_opts && opt == n_opts; k++) {
            size_t n = strlen(with_value[k]);
            if (strncmp(arg, with_value[k], n) || (arg[n] != '\0' && arg[n] != '='))
                continue;
            opt = k;
            if (arg[n] == '=')
                val = arg + n + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return xb_cli_usage_error("infer", "%s needs a value", with_value[k]);
        }
        long *count = opt == 3 ? &a->limit : &a->batch;
        long max = opt == 3 ? LONG_MAX : MAX_BATCH;
        switch (opt) {
        case 0: a->model = val; break;
        case 1: a->spec = val; break;
        case 2: a->labels = val; break;
        case 5: a->inputs = val; break;
        case 6: a->out = val; break;
        case 7: a->analog = val; break;
        case 8: a->calibration = val; break;
        case 3:
        case 4:
            if (!xb_parse_long(val, count) || *count < 1 || *count > max)
                return opt == 3
                    ? xb_cli_usage_error("infer", "--limit: expected a positive integer, got "
                                         "'%s'", val)
                    : xb_cli_usage_error("infer", "--batch: expected an integer from 1 to %d, "
                                         "got '%s'", MAX_BATCH, val);
            break;
        default:
            return xb_cli_usage_error("infer", "unknown %s '%s'",
                                      arg[0] == '-' ? "option" : "argument", arg);
        }
    }
    if (!a->model || !*a->model)
        return xb_cli_usage_error("infer", "--model M.onnx is required");
    if (a->inputs || a->out) {
        if (!a->inputs || !*a->inputs || !a->out || !*a->out)
            return xb_cli_usage_error("infer", "--inputs X.npy and --out LOGITS.npy go together");
        if (a->spec || a->labels || a->limit)
            return xb_cli_usage_error("infer", "--inputs replaces --dataset, --labels and --limit");
        if (a->calibration && !a->analog)
            return xb_cli_usage_error("infer", "--calibration needs --analog");
        return -1;
    }
    if (a->analog || a->calibration)
        return xb_cli_usage_error("infer", "--analog and --calibration go with --inputs (for a dataset, "
                                  "run a sweep: docs/sweep.md)");
    if (!a->spec || !*a->spec)
        return xb_cli_usage_error("infer", "--dataset is required (fashion-mnist[:DIR], "
                                  "fashion-mnist-train[:DIR] or imagenet:DIR)");
    return -1;
}

typedef struct {
    size_t done, top1, top5, nonfinite;
    double t_all, t_net; /* seconds end to end, and in the network */
} tally;

static void progress(const tally *t, size_t total, double elapsed)
{
    double rate = elapsed > 0 ? (double)t->done / elapsed : 0;
    char eta[32];
    xb_cli_duration(rate > 0 ? (double)(total - t->done) / rate : -1, eta, sizeof eta);
    fprintf(stderr, "\r%zu/%zu images (%.1f%%)  %.1f images/s  ETA %s  top1 %.4f\033[K",
            t->done, total, 100.0 * (double)t->done / (double)total, rate, eta,
            t->done ? (double)t->top1 / (double)t->done : 0.0);
    fflush(stderr);
}

/* Run the first total images of d through m, batch at a time, and count hits. */
static xb_status run(xb_model *m, xb_dataset *d, size_t total, int batch, tally *t,
                     xb_error *err)
{
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    const int classes = xb_model_num_classes(m);
    const size_t chw = (size_t)c * h * w;
    float *x = malloc(sizeof *x * chw * (size_t)batch);
    float *logits = malloc(sizeof *logits * (size_t)classes * (size_t)batch);
    int *labels = malloc(sizeof *labels * (size_t)batch);
    xb_status s = XB_OK;
    if (!x || !logits || !labels)
        s = xb_error_set(err, XB_ENOMEM, "cannot allocate buffers for a batch of %d images",
                         batch);
    const int show = xb_cli_progress_enabled();
    double t_start = xb_clock_now(), t_shown = t_start;
    while (s == XB_OK && t->done < total) {
        int n = (int)(total - t->done < (size_t)batch ? total - t->done : (size_t)batch);
        if ((s = xb_dataset_read_batch(d, t->done, n, x, labels, err)))
            break;
        double t0 = xb_clock_now();
        if ((s = xb_model_run(m, x, n, logits, err))) {
            xb_error_prefix(err, "images %zu..%zu", t->done, t->done + (size_t)n - 1);
            break;
        }
        double t1 = xb_clock_now();
        t->t_net += t1 - t0;
        for (int i = 0; i < n; i++) {
            const float *l = logits + (size_t)i * classes;
            int finite = 1;
            for (int k = 0; k < classes; k++)
                finite &= isfinite(l[k]) != 0;
            t->nonfinite += !finite;
            int r = xb_dataset_label_rank(l, classes, labels[i]);
            t->top1 += r < 1;
            t->top5 += r < 5;
        }
        t->done += (size_t)n;
        if (show && (t1 - t_shown >= PROGRESS_PERIOD || t->done == total)) {
            progress(t, total, t1 - t_start);
            t_shown = t1;
        }
    }
    t->t_all = xb_clock_now() - t_start;
    if (show && t->done)
        fputs("\r\033[K", stderr);
    free(x);
    free(logits);
    free(labels);
    return s;
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
    infer_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (a.inputs) {
        xb_infer_raw_args r = {a.model, a.inputs, a.out, a.analog, a.calibration, a.batch};
        return xb_cmd_infer_raw(&r);
    }
    xb_error err;
    xb_error_clear(&err);
    xb_model *m = xb_model_load(a.model, &err);
    xb_dataset *d = NULL;
    rc = 1;
    if (!m || xb_dataset_open_spec(a.spec, a.labels, &d, &err) != XB_OK ||
        xb_dataset_check_model(d, m, a.model, &err) != XB_OK)
        goto done;
    int c, h, w;
    xb_model_input_shape(m, &c, &h, &w);
    const int classes = xb_model_num_classes(m);
    size_t total = xb_dataset_count(d);
    if (a.limit > 0 && (size_t)a.limit < total)
        total = (size_t)a.limit;
    if (a.batch == 0)
        a.batch = XB_INFER_BATCH((size_t)c * h * w);
    if ((size_t)a.batch > total)
        a.batch = (long)total;
    if (xb_model_reserve(m, (int)a.batch, &err) != XB_OK)
        goto done;
    printf("model: %s (input %dx%dx%d, %d classes)\n", a.model, c, h, w, classes);
    printf("dataset: %s: %zu of %zu images, batch %ld\n", xb_dataset_describe(d), total,
           xb_dataset_count(d), a.batch);
    fflush(stdout);
    tally t = {0};
    if (run(m, d, total, (int)a.batch, &t, &err) != XB_OK)
        goto done;
    if (t.nonfinite)
        printf("non-finite logits: %zu image%s\n", t.nonfinite, t.nonfinite == 1 ? "" : "s");
    print_accuracy("top-1", t.top1, total);
    if (classes > 5)
        print_accuracy("top-5", t.top5, total);
    printf("throughput: %.1f images/s end to end, %.1f images/s in the network (%.2f s)\n",
           t.t_all > 0 ? (double)total / t.t_all : 0.0,
           t.t_net > 0 ? (double)total / t.t_net : 0.0, t.t_all);
    printf("top1: %.10g\n", (double)t.top1 / (double)total);
    rc = 0;
done:
    if (rc)
        xb_cli_fail("infer", "%s", err.msg);
    xb_dataset_free(d);
    xb_model_free(m);
    return rc;
}
