/* Threads change nothing: the same analog inference (calibration, then the
 * test images) with 1, 2 and 3 threads gives the same logits, the same
 * calibration file, the same checksum of every layer's sums (doubles, before
 * the float output) and the same counts, bit for bit, for every kind of array
 * path: bit-serial differential pairs on the column path (several depth and
 * output tiles, programming errors, an ADC), offset mapping with a unit column
 * and bit slicing, DAC inputs on the transfer matrix, and NMOS access devices
 * on the column ladders (arrays that warm-start: one thread per array).  Also
 * the pool itself: every task runs exactly once, nested runs stay on their
 * thread. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_analog.h"
#include "xb_model.h"
#include "xb_solver.h"
#include "xb_threads.h"
#include "xb_test.h"

#define N_CALIB 160 /* one batch: the calibration reservoirs (65536 values) overflow in the first layers */
#define N_TEST 24
#define N_IMAGES (N_CALIB + N_TEST)

static xb_model *model;
static float *images;
static int per_image, classes;

static void load(void)
{
    /* the stored images, shifted and scaled, signed */
    images = xb_test_tiny_images(N_IMAGES, 0.004, &model, &per_image, &classes);
}

typedef struct {
    float *logits;
    char *calib;         /* the calibration file's text */
    xb_analog_stats st;
    unsigned long long sums;
} outcome;

/* Calibrate on N_CALIB images, run N_TEST others, with T threads. */
static outcome run(const char *const *kv, int T)
{
    outcome o = {0};
    xb_error err = {0};
    XB_CHECK(xb_threads_set(T, &err) == XB_OK);
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    for (int i = 0; kv[i]; i += 2)
        XB_CHECK_MSG(xb_analog_config_set(&cfg, kv[i], kv[i + 1], &err) == XB_OK, "%s", err.msg);
    xb_analog *a = xb_analog_new(model, &cfg, &err);
    XB_CHECK_MSG(a != NULL, "%s", err.msg);
    if (!a)
        return o;
    o.logits = malloc((size_t)N_TEST * classes * sizeof *o.logits);
    XB_CHECK_MSG(xb_analog_calibrate(a, images, N_CALIB, N_CALIB, &err) == XB_OK, "%s", err.msg);
    const char *path = xb_test_tmp("threads_calib.txt");
    XB_CHECK_MSG(xb_analog_save_calibration(a, path, &err) == XB_OK, "%s", err.msg);
    o.calib = xb_test_slurp(path);
    XB_CHECK_MSG(xb_analog_attach(a, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(xb_model_run(model, images + (size_t)N_CALIB * per_image, N_TEST, o.logits, &err) == XB_OK, "%s",
                 err.msg);
    o.st = *xb_analog_get_stats(a);
    o.sums = xb_analog_sums_hash(a);
    xb_analog_free(a);
    return o;
}

static void check_same(const char *name, const char *const *kv)
{
    outcome one = run(kv, 1);
    const size_t bytes = (size_t)N_TEST * classes * sizeof(float);
    for (int T = 2; T <= 3; T++) {
        outcome o = run(kv, T);
        XB_CHECK_MSG(one.logits && o.logits && !memcmp(one.logits, o.logits, bytes),
                     "%s: logits with %d threads differ from 1 thread's", name, T);
        XB_CHECK_MSG(one.calib && o.calib && !strcmp(one.calib, o.calib),
                     "%s: calibration with %d threads differs from 1 thread's", name, T);
        XB_CHECK_MSG(o.sums == one.sums, "%s: the sums with %d threads differ from 1 thread's",
                     name, T);
        XB_CHECK_MSG(o.st.mvm_vectors == one.st.mvm_vectors && o.st.tiles == one.st.tiles,
                     "%s: %d threads solved %ld vectors on %ld arrays, 1 thread %ld on %ld", name, T,
                     o.st.mvm_vectors, o.st.tiles, one.st.mvm_vectors, one.st.tiles);
        free(o.logits);
        free(o.calib);
    }
    free(one.logits);
    free(one.calib);
}

static void test_paths(void)
{
    const char *diff[] = {"rp", "1e-4", "error_model", "proportional", "alpha", "0.05", "adc_bits", "6",
                          "rows_per_array", "8", "cols_per_array", "8", NULL};
    check_same("differential, bit-serial, column path", diff);
    const char *offset[] = {"rp", "1e-5", "mapping", "offset", "offset", "unit-column", "slicing", "2x4",
                            "rows_per_array", "64", "cols_per_array", "16", NULL};
    check_same("offset, unit column, 2 slices", offset);
    const char *dac[] = {"rp", "1e-5", "input", "dac", "rows_per_array", "32", "cols_per_array", "16",
                         "adc_bits", "8", NULL};
    check_same("DAC inputs, transfer matrix", dac);
    const char *nmos[] = {"rp", "1e-4", "mvm", "newton", "access", "nmos", "rows_per_array", "64",
                          "input_bits", "4", NULL};
    check_same("NMOS access, column ladders", nmos);
}

/* A group solve (a differential pair and a third array, one scan of the inputs)
 * gives the bits of one solve per array, and refuses an input that is not a bit. */
static void test_group(void)
{
    enum { M = 200, N = 30, K = 40, NS = 3 };
    xb_error err = {0};
    xb_solver *s[NS];
    unsigned long r = 12345;
    for (int q = 0; q < NS; q++) {
        xb_circuit *c = xb_circuit_new(M, N, &err);
        XB_CHECK(c != NULL);
        if (!c)
            return;
        c->topology = XB_TOPO_GATE_INPUT;
        c->v_read = 0.2;
        c->r_col = 1.0;
        c->r_sense = 10.0;
        for (int i = 0; i < M * N; i++) {
            r = r * 6364136223846793005UL + 1442695040888963407UL;
            c->g[i] = 1e-6 + 1e-5 * (double)(r >> 11) / 9007199254740992.0;
        }
        xb_solver_options o;
        xb_solver_options_init(&o);
        o.backend = XB_BACKEND_COLUMN;
        s[q] = xb_solver_new(c, &o, &err);
        XB_CHECK_MSG(s[q] != NULL, "%s", err.msg);
        xb_circuit_free(c);
        if (!s[q])
            return;
        XB_CHECK(xb_solver_concurrent(s[q]));
    }
    static double v[K * M], one[NS][K * N], grp[NS][K * N];
    for (int k = 0; k < K; k++) /* empty, sparse, half, dense and full vectors */
        for (int i = 0; i < M; i++) {
            r = r * 6364136223846793005UL + 1442695040888963407UL;
            v[k * M + i] = (double)(r >> 11) / 9007199254740992.0 < (double)(k % 5) / 4.0 * 0.97 ? 1.0 : 0.0;
        }
    xb_solver_work *w = xb_solver_work_new(&err);
    double *outs[NS];
    for (int q = 0; q < NS; q++) {
        XB_CHECK(xb_solver_solve(s[q], v, K, one[q], NULL, &err) == XB_OK);
        outs[q] = grp[q];
    }
    XB_CHECK_MSG(xb_solver_solve_group(s, NS, v, K, outs, w, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(!memcmp(one, grp, sizeof one));
    v[3 * M + 7] = 0.5;
    XB_CHECK(xb_solver_solve_group(s, NS, v, K, outs, w, &err) == XB_EINVAL && strstr(err.msg, "[3][7] = 0.5"));
    xb_solver_work_free(w);
    for (int q = 0; q < NS; q++)
        xb_solver_free(s[q]);
}

/* ---- the pool ------------------------------------------------------------------ */

static atomic_int hits[1000];
static atomic_int bad_thread, nested_bad;

static void nested_task(void *ctx, long t, int thread)
{
    if (thread != *(const int *)ctx) /* a nested run stays on its thread */
        atomic_fetch_add(&nested_bad, 1);
}

static void count_task(void *ctx, long t, int thread)
{
    atomic_fetch_add(&hits[t], 1);
    if (thread < 0 || thread >= xb_threads_get() || !xb_threads_in_task())
        atomic_fetch_add(&bad_thread, 1);
    if (t % 100 == 0)
        xb_threads_run(3, nested_task, &thread);
}

static void test_pool(void)
{
    xb_error err = {0};
    XB_CHECK(xb_threads_set(-1, &err) == XB_EINVAL && strstr(err.msg, "-1"));
    for (int T = 1; T <= 4; T++) {
        XB_CHECK(xb_threads_set(T, &err) == XB_OK && xb_threads_get() == T);
        for (int rep = 0; rep < 50; rep++) {
            for (int t = 0; t < 1000; t++)
                atomic_store(&hits[t], 0);
            xb_threads_run(1000, count_task, NULL);
            int wrong = 0;
            for (int t = 0; t < 1000; t++)
                wrong += atomic_load(&hits[t]) != 1;
            XB_CHECK_MSG(wrong == 0, "%d threads: %d tasks did not run exactly once", T, wrong);
        }
    }
    XB_CHECK(atomic_load(&bad_thread) == 0 && atomic_load(&nested_bad) == 0);
    XB_CHECK(!xb_threads_in_task());
    XB_CHECK(xb_threads_set(0, &err) == XB_OK && xb_threads_get() >= 1);
}

int main(void)
{
    test_pool();
    test_group();
    load();
    if (model)
        test_paths();
    xb_model_free(model);
    free(images);
    XB_TEST_DONE();
}
