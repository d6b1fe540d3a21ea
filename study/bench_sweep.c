/* bench_sweep.c: xb_bench_sweep, the speed-up of one process on T threads:
 * the same small analog inference point run with 1 thread and with T threads
 * in turn (xb_bench.h). */
#include <stdlib.h>
#include <string.h>

#include "xb_bench.h"
#include "xb_base.h"
#include "xb_dataset.h"
#include "xb_model.h"
#include "xb_threads.h"

#define SWEEP_MAX_REPEAT 100

void xb_bench_sweep_options_init(xb_bench_sweep_options *o)
{
    memset(o, 0, sizeof *o);
    o->model = "models/resnet50_fmnist_int8.onnx";
    o->dataset = "fashion-mnist";
    o->calib_dataset = "fashion-mnist-train";
    o->images = 64;
    o->calib_images = 16;
    o->batch = 64;
    o->repeat = 3;
    xb_analog_config_init(&o->cfg);
    o->cfg.rp = 1e-5; /* P5; the other keys are the defaults */
}

/* The images and the model, loaded once. */
typedef struct {
    xb_model *m;
    float *x, *xc, *logits, *ref;
    int *labels;
    int classes;
    size_t per;
} sweep_data;

static xb_status load(const xb_bench_sweep_options *o, sweep_data *d, xb_error *err)
{
    xb_dataset *test = NULL, *cal = NULL;
    xb_status st;
    if (!(d->m = xb_model_load(o->model, err)))
        return err->code;
    if ((st = xb_dataset_open_spec(o->dataset, NULL, &test, err)) ||
        (st = xb_dataset_open_spec(o->calib_dataset, NULL, &cal, err)) ||
        (st = xb_dataset_check_model(test, d->m, o->model, err)) || (st = xb_model_reserve(d->m, o->batch, err)))
        goto done;
    int c, h, w;
    xb_model_input_shape(d->m, &c, &h, &w);
    d->per = (size_t)c * h * w;
    d->classes = xb_model_num_classes(d->m);
    const size_t ni = (size_t)o->images, nc = (size_t)o->calib_images;
    d->x = malloc(ni * d->per * sizeof *d->x);
    d->xc = malloc(nc * d->per * sizeof *d->xc);
    d->labels = malloc(ni * sizeof *d->labels);
    d->logits = malloc(ni * d->classes * sizeof *d->logits);
    d->ref = malloc(ni * d->classes * sizeof *d->ref);
    if (!d->x || !d->xc || !d->labels || !d->logits || !d->ref) {
        st = xb_error_set(err, XB_ENOMEM, "bench sweep: out of memory for %d images", o->images);
        goto done;
    }
    if ((st = xb_dataset_read_batch(test, 0, o->images, d->x, d->labels, err)) ||
        (st = xb_dataset_read_batch(cal, 0, o->calib_images, d->xc, NULL, err)))
        goto done;
done:
    xb_dataset_free(test);
    xb_dataset_free(cal);
    return st;
}

/* One run of the point: wall and CPU seconds, logits into d->logits. */
static xb_status run_point(const xb_bench_sweep_options *o, sweep_data *d, double *wall, double *cpu,
                           int *correct, xb_error *err)
{
    double t0 = xb_clock_now(), c0 = xb_clock_cpu();
    xb_analog *a = xb_analog_new(d->m, &o->cfg, err);
    if (!a)
        return err->code;
    xb_status st = xb_analog_calibrate(a, d->xc, o->calib_images, o->batch, err);
    if (!st)
        st = xb_analog_attach(a, err);
    for (int i = 0; i < o->images && !st; i += o->batch) {
        int b = o->images - i < o->batch ? o->images - i : o->batch;
        st = xb_model_run(d->m, d->x + (size_t)i * d->per, b, d->logits + (size_t)i * d->classes, err);
    }
    xb_analog_free(a);
    *wall = xb_clock_now() - t0;
    *cpu = xb_clock_cpu() - c0;
    *correct = 0;
    for (int i = 0; i < o->images && !st; i++)
        *correct += xb_dataset_label_rank(d->logits + (size_t)i * d->classes, d->classes, d->labels[i]) == 0;
    return st;
}

static int cmp_double(const void *p, const void *q)
{
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

xb_status xb_bench_sweep(const xb_bench_sweep_options *o, xb_bench_sweep_result *r, xb_error *user_err)
{
    xb_error local, *err = user_err ? user_err : &local; /* err->code is read below */
    if (!o || !r || !o->model || !o->dataset || !o->calib_dataset)
        return xb_error_set(err, XB_EINVAL, "bench sweep: NULL argument");
    if (o->images < 1 || o->calib_images < 1 || o->batch < 1 || o->repeat < 1 || o->repeat > SWEEP_MAX_REPEAT ||
        o->threads < 0 || o->threads == 1 || o->threads > XB_THREADS_MAX)
        return xb_error_set(err, XB_EINVAL,
                            "bench sweep: images %d, calibration images %d, batch %d (each >= 1), repeat %d (1 to "
                            "%d), threads %d (0, or 2 to %d)",
                            o->images, o->calib_images, o->batch, o->repeat, SWEEP_MAX_REPEAT, o->threads,
                            XB_THREADS_MAX);
    if (xb_analog_config_validate(&o->cfg, err))
        return err->code;
    memset(r, 0, sizeof *r);
    const int was = xb_threads_get();
    r->threads = o->threads ? o->threads : was > 2 ? was : 2;
    r->images = o->images;
    r->identical = 1;
    sweep_data d = {0};
    double w1[SWEEP_MAX_REPEAT], wT[SWEEP_MAX_REPEAT], c1[SWEEP_MAX_REPEAT], cT[SWEEP_MAX_REPEAT],
        sp[SWEEP_MAX_REPEAT];
    xb_status st = load(o, &d, err);
    for (int p = 0; p < o->repeat && !st; p++)
        for (int h = 0; h < 2 && !st; h++) { /* 1 then T, T then 1, ... */
            const int one = (p + h) % 2 == 0;
            xb_threads_set(one ? 1 : r->threads, NULL);
            double wall = 0, cpu = 0;
            if ((st = run_point(o, &d, &wall, &cpu, &r->correct, err)))
                break;
            (one ? w1 : wT)[p] = wall;
            (one ? c1 : cT)[p] = cpu;
            if (p == 0 && h == 0)
                memcpy(d.ref, d.logits, (size_t)o->images * d.classes * sizeof *d.ref);
            else if (memcmp(d.ref, d.logits, (size_t)o->images * d.classes * sizeof *d.ref))
                r->identical = 0;
        }
    xb_threads_set(was, NULL);
    if (!st) {
        r->pairs = o->repeat;
        for (int p = 0; p < o->repeat; p++)
            sp[p] = w1[p] / wT[p];
        r->speedup_min = r->speedup_max = sp[0];
        for (int p = 1; p < o->repeat; p++) {
            r->speedup_min = sp[p] < r->speedup_min ? sp[p] : r->speedup_min;
            r->speedup_max = sp[p] > r->speedup_max ? sp[p] : r->speedup_max;
        }
        r->speedup = median(sp, o->repeat);
        r->t1 = median(w1, o->repeat);
        r->tT = median(wT, o->repeat);
        r->cpu1 = median(c1, o->repeat);
        r->cpuT = median(cT, o->repeat);
    }
    xb_model_free(d.m);
    free(d.x);
    free(d.xc);
    free(d.labels);
    free(d.logits);
    free(d.ref);
    return st;
}
