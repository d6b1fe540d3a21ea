/* test_null_err.c: every public function that reports errors accepts err ==
 * NULL.  Each is called on a failing path with NULL and must return the same
 * status (or NULL) that it reports with an xb_error, without touching err.
 * Run under ASan in CI, so a dereference of NULL anywhere below is a crash.
 * tests/test_null_err_coverage.sh checks that every such function of the
 * public headers is named here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xbar.h"
#include "xb_test.h"

/* The call must fail with `want` both with an xb_error and with NULL. */
#define SAME_STATUS(want, call_with_err, call_with_null)                                     \
    do {                                                                                     \
        xb_error e_;                                                                         \
        xb_error_clear(&e_);                                                                 \
        xb_error *err = &e_;                                                                 \
        xb_status a_ = (call_with_err);                                                      \
        err = NULL;                                                                          \
        xb_status b_ = (call_with_null);                                                     \
        (void)err;                                                                           \
        XB_CHECK_MSG(a_ == (want) && b_ == (want), "%s: %s with err, %s with NULL, want %s", \
                     #call_with_err, xb_status_str(a_), xb_status_str(b_),                   \
                     xb_status_str(want));                                                   \
    } while (0)
/* The usual case: the same expression, evaluated once with err and once with NULL. */
#define FAILS(want, call) SAME_STATUS(want, call, call)
/* For constructors: NULL with err (the code checked) and NULL without. */
#define FAILS_NULL(want, call)                                                               \
    do {                                                                                     \
        xb_error e_;                                                                         \
        xb_error_clear(&e_);                                                                 \
        xb_error *err = &e_;                                                                 \
        void *a_ = (void *)(call);                                                           \
        err = NULL;                                                                          \
        void *b_ = (void *)(call);                                                           \
        (void)err;                                                                           \
        XB_CHECK_MSG(!a_ && !b_ && e_.code == (want), "%s: %p/%p, code %s, want %s", #call,  \
                     a_, b_, xb_status_str(e_.code), xb_status_str(want));                   \
    } while (0)

static const char *missing(void) { return xb_test_tmp("no/such/folder/file"); }

static void base_module(void)
{
    xb_atomic_file a;
    FAILS(XB_EIO, xb_atomic_open(&a, missing(), "w", err));
    xb_atomic_file closed = {NULL, NULL, NULL};
    FAILS(XB_EINVAL, xb_atomic_commit(&closed, err));
    FAILS(XB_EIO, xb_replace_file(xb_test_tmp("absent.tmp"), xb_test_tmp("absent"), err));
    FILE *f = fopen(xb_test_tmp("plain_file"), "w");
    if (f)
        fclose(f);
    FAILS(XB_EIO, xb_mkdir_p(xb_test_tmp("plain_file/sub"), NULL, err));
    FAILS(XB_EINVAL, xb_mkdir_p("", NULL, err));

    xb_matrix m;
    FAILS(XB_EIO, xb_matrix_read(xb_test_tmp("absent.npy"), &m, err));
    FAILS(XB_EFORMAT, xb_npy_parse("\x93NUMPX", 6, &m, err));
    FAILS(XB_EFORMAT, xb_csv_parse("1,2\n3\n", 6, &m, err));
    size_t shape[2] = {1, 1};
    double one = 1;
    FAILS(XB_EUNSUPPORTED, xb_matrix_write(xb_test_tmp("x.txt"), &one, 2, shape, err));
    FAILS(XB_EIO, xb_matrix_write(xb_test_tmp("no/such/folder/x.npy"), &one, 2, shape, err));
}

static void circuit_module(void)
{
    FAILS_NULL(XB_EINVAL, xb_circuit_new(0, 4, err));
    FAILS_NULL(XB_EINVAL, xb_circuit_copy(NULL, err));
    xb_error e;
    xb_circuit *c = xb_circuit_new(3, 2, &e);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    c->g[0] = -1; /* a negative conductance */
    FAILS(XB_EINVAL, xb_circuit_validate(c, err));
    c->g[0] = 1e-5;
    double v[3] = {0.1, NAN, 0.2};
    FAILS(XB_EINVAL, xb_circuit_check_inputs(c, v, 1, err));
    xb_topology t;
    FAILS(XB_EINVAL, xb_topology_parse("diagonal", &t, err));
    xb_source_line sl;
    FAILS(XB_EINVAL, xb_source_line_parse("diagonal", &sl, err));
    xb_sl_drive drive;
    FAILS(XB_EINVAL, xb_sl_drive_parse("middle", &drive, err));
    /* the segment arrays only fail when memory does: a huge circuit's would */
    FAILS(XB_OK, xb_circuit_use_row_segments(c, err));
    FAILS(XB_OK, xb_circuit_use_col_segments(c, err));
    FAILS(XB_OK, xb_circuit_use_driver_rows(c, err));
    FAILS(XB_OK, xb_circuit_use_sense_cols(c, err));
    FAILS(XB_OK, xb_circuit_use_sl_segments(c, err));

    /* netgen: a bad circuit is refused before anything is written */
    c->g[1] = NAN;
    double vin[3] = {0.1, 0.2, 0.3};
    FAILS_NULL(XB_EINVAL, xb_netgen_string(c, vin, NULL, err));
    FAILS(XB_EINVAL, xb_netgen_write_file(xb_test_tmp("bad.cir"), c, vin, NULL, err));
    FAILS(XB_EINVAL, xb_netgen_write_dir(xb_test_tmp("badnets"), c, vin, 1, NULL, err));
    c->g[1] = 1e-5;
    FAILS(XB_EIO, xb_netgen_write_file(missing(), c, vin, NULL, err));

    /* validation */
    FAILS(XB_EINVAL, xb_spice_op(NULL, "* nothing\n.end\n", 1, vin, err));
    xb_spice *sp = xb_spice_open(&e);
    XB_CHECK_MSG(sp != NULL, "%s", e.msg);
    if (sp) {
        FAILS_NULL(XB_EINVAL, xb_spice_open(err)); /* one handle per process */
        /* a circuit netgen refuses, and a netlist that asks for a missing vector */
        c->g[1] = NAN;
        FAILS(XB_EINVAL, xb_spice_solve(sp, c, vin, vin, err));
        c->g[1] = 1e-5;
        FAILS(XB_ESPICE, xb_spice_op(sp, "* no outputs\nr1 a 0 1\nv1 a 0 1\n.end\n", 1, vin, err));
        xb_spice_close(sp);
    }
    double *vv = NULL;
    FAILS_NULL(XB_EINVAL, xb_validate_random_circuit(1, 0, 1, 0, &vv, err));
    FAILS_NULL(XB_EINVAL, xb_validate_random_nonlinear(1, 0, 1, 0, &vv, err));
    FAILS_NULL(XB_EINVAL, xb_validate_full_size_circuit(1, XB_VALIDATE_FULL_CASES, 1, &vv, err));
    xb_validate_options vo;
    xb_validate_options_init(&vo);
    vo.count = -1;
    xb_validate_report rep;
    FAILS(XB_EINVAL, xb_validate_random(&vo, &rep, err));
    vo.count = 0; /* no circuits at all: allowed only with the full-size cases */
    FAILS(XB_EINVAL, xb_validate_random(&vo, &rep, err));
    xb_circuit_free(c);
}

static void solver_module(void)
{
    xb_error e;
    xb_circuit *c = xb_circuit_new(3, 2, &e);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    for (int q = 0; q < 6; q++)
        c->g[q] = 1e-5;
    c->r_col = 1.0;
    xb_solver_options o;
    xb_solver_options_init(&o);
    FAILS_NULL(XB_EINVAL, xb_solver_new(NULL, NULL, err));
    o.backend = XB_BACKEND_IDEAL; /* the circuit has wires */
    FAILS_NULL(XB_EINVAL, xb_solver_new(c, &o, err));
    o.backend = XB_BACKEND_COLUMN; /* input-source */
    FAILS_NULL(XB_EINVAL, xb_solver_new(c, &o, err));
    o.backend = XB_BACKEND_CHOLMOD;
    o.max_memory = 1; /* byte */
    FAILS_NULL(XB_ETOOBIG, xb_solver_new(c, &o, err));
    o.max_memory = 0;
    xb_solver *s = xb_solver_new(c, &o, &e);
    XB_CHECK_MSG(s != NULL, "%s", e.msg);
    double v[3] = {0.1, NAN, 0.2}, out[2];
    FAILS(XB_EINVAL, xb_solver_solve(s, v, 1, out, NULL, err));
    FAILS(XB_EINVAL, xb_solver_solve(NULL, v, 1, out, NULL, err));
    {
        xb_solver *pair[2] = {s, NULL};
        double *outs[2] = {out, out};
        xb_solver_work *w = xb_solver_work_new(NULL); /* fails only when memory does */
        XB_CHECK(w != NULL);
        FAILS(XB_EINVAL, xb_solver_solve_group(pair, 2, v, 1, outs, w, err)); /* a NULL solver */
        FAILS(XB_EINVAL, xb_solver_solve_group(pair, 1, v, 1, outs, w, err)); /* NaN input */
        unsigned long long reads[1] = {0};
        FAILS(XB_EINVAL, xb_solver_solve_group_noisy(pair, NULL, 2, v, 1, reads, outs, w, err)); /* a NULL solver */
        FAILS(XB_EINVAL, xb_solver_solve_group_noisy(pair, NULL, 1, v, 1, NULL, outs, w, err)); /* no reads */
        xb_solver_work_free(w);
    }
    /* a solver exists: SuiteSparse's allocator can no longer be replaced */
    FAILS(XB_EINVAL, xb_solver_huge_pages_enable(err));
    xb_solver_free(s);
    xb_backend b;
    FAILS(XB_EINVAL, xb_backend_parse("gauss", &b, err));
    xb_ordering ord;
    FAILS(XB_EINVAL, xb_ordering_parse("random", &ord, err));
    xb_tcache *tc = xb_tcache_new(0, NULL); /* fails only when memory does */
    XB_CHECK(tc != NULL);
    xb_tcache_free(tc);
    FAILS(XB_EINVAL, xb_relax_gate_input(c, v, 1, out, NULL, NULL, err)); /* input-source */

    /* an array over the solver */
    xb_array_mvm *a = xb_array_mvm_new(NULL, NULL); /* fails only when memory does */
    XB_CHECK(a != NULL);
    if (a) {
        FAILS(XB_EINVAL, xb_array_mvm_run(a, v, 1, out, err)); /* before programming */
        double *outs[1] = {out};
        FAILS(XB_EINVAL, xb_array_mvm_run_group(&a, 1, v, 1, outs, NULL, err));
        double sd[1] = {0};
        unsigned long long rd[1] = {0};
        FAILS(XB_EINVAL, xb_array_mvm_set_read_noise(a, sd, 1, err)); /* before programming */
        FAILS(XB_EINVAL, xb_array_mvm_run_group_reads(&a, 1, v, 1, rd, outs, NULL, err));
        c->g[0] = -1;
        FAILS(XB_EINVAL, xb_array_mvm_program(a, c, err));
        c->g[0] = 1e-5;
        FAILS(XB_EINVAL, xb_array_mvm_program(a, NULL, err));
    }
    xb_array_mvm_free(a);
    xb_circuit_free(c);
}

static void threads_module(void)
{
    FAILS(XB_EINVAL, xb_threads_set(-2, err));
    FAILS(XB_EINVAL, xb_threads_set(XB_THREADS_MAX + 1, err));
}

/* The shipped test models that fail at different depths of the loader. */
static void onnx_module(void)
{
    FAILS_NULL(XB_EIO, xb_model_load(xb_test_tmp("absent.onnx"), err));
    static const struct {
        const char *file;
        xb_status code;
    } bad[] = {
        {"tests/data/onnx_badshape.onnx", XB_EFORMAT},
        {"tests/data/onnx_external.onnx", XB_EUNSUPPORTED},
        {"tests/data/onnx_lstm.onnx", XB_EUNSUPPORTED},
        {"tests/data/onnx_unsupported.onnx", XB_EUNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xb_error e;
        xb_error_clear(&e);
        xb_model *m = xb_model_load(xb_test_src(bad[i].file), &e);
        xb_model *n = xb_model_load(xb_test_src(bad[i].file), NULL);
        XB_CHECK_MSG(!m && !n, "%s loaded", bad[i].file);
        printf("%s: %s\n", bad[i].file, e.msg);
        xb_model_free(m);
        xb_model_free(n);
    }
    /* truncations of a good model fail inside the decoder and the importer */
    char *good = xb_test_slurp(xb_test_src("tests/data/onnx_tinyresnet.onnx"));
    FILE *f = fopen(xb_test_src("tests/data/onnx_tinyresnet.onnx"), "rb");
    long len = 0;
    if (f) {
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fclose(f);
    }
    for (long cut = 1; cut < len; cut += len / 97 + 1) {
        const char *p = xb_test_tmp("cut.onnx");
        FILE *o = fopen(p, "wb");
        if (!o)
            break;
        fwrite(good, 1, (size_t)cut, o);
        fclose(o);
        xb_model *m = xb_model_load(p, NULL);
        xb_model_free(m);
    }
    free(good);

    xb_error e;
    xb_model *m = xb_model_load(xb_test_src("tests/data/onnx_tinyresnet.onnx"), &e);
    XB_CHECK_MSG(m != NULL, "%s", e.msg);
    if (!m)
        return;
    float x = 0, logits = 0;
    FAILS(XB_EINVAL, xb_model_run(m, &x, 0, &logits, err));
    FAILS(XB_EINVAL, xb_model_reserve(m, -1, err));
    xb_matmul_call call;
    memset(&call, 0, sizeof call);
    call.group = -1;
    FAILS(XB_EINVAL, xb_matmul_sgemm(NULL, xb_model_matmul_layer(m, 0), &call, err));

    /* analog */
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    FAILS(XB_EINVAL, xb_analog_config_set(&cfg, "no_such_key", "1", err));
    FAILS(XB_EINVAL, xb_analog_config_set(&cfg, "adc_bits", "many", err));
    char buf[64];
    FAILS(XB_EINVAL, xb_analog_config_get(&cfg, "no_such_key", buf, sizeof buf, err));
    xb_analog_config badcfg = cfg;
    badcfg.adc_bits = -3;
    FAILS(XB_EINVAL, xb_analog_config_validate(&badcfg, err));
    FAILS_NULL(XB_EINVAL, xb_analog_new(m, &badcfg, err));
    xb_analog *a = xb_analog_new(m, &cfg, &e);
    XB_CHECK_MSG(a != NULL, "%s", e.msg);
    if (a) {
        FAILS(XB_EINVAL, xb_analog_calibrate(a, &x, 0, 1, err));
        FAILS(XB_EINVAL, xb_analog_save_calibration(a, xb_test_tmp("cal.txt"), err));
        FAILS(XB_EIO, xb_analog_load_calibration(a, xb_test_tmp("absent.cal"), err));
        FAILS(XB_EINVAL, xb_analog_attach(a, err));
        FAILS_NULL(XB_EINVAL, xb_analog_array_circuit(a, -1, 0, 0, 0, 0, 0, err));
        xb_analog_free(a);
    }
    xb_model_free(m);
}

static void data_module(void)
{
    xb_dataset *d = NULL;
    FAILS(XB_EIO, xb_dataset_open_fmnist(missing(), XB_SPLIT_TEST, &d, err));
    FAILS(XB_EIO, xb_dataset_open_imagenet(missing(), NULL, &d, err));
    FAILS(XB_EINVAL, xb_dataset_open("no-such-kind:x", &d, err));
    FAILS(XB_EINVAL, xb_dataset_open_spec("fashion-mnist", "labels.txt", &d, err));
    FAILS(XB_EINVAL, xb_dataset_check_model(NULL, NULL, "m.onnx", err));
    unsigned char rgb[3] = {1, 2, 3};
    float out[3 * 224 * 224];
    FAILS(XB_EINVAL, xb_dataset_preprocess_imagenet(rgb, 0, 1, out, err));
    xb_error e;
    if (xb_dataset_open_imagenet(xb_test_src("tests/data/jpeg3"), NULL, &d, &e) == XB_OK) {
        FAILS(XB_EINVAL, xb_dataset_set_input_shape(d, 1, 32, 32, err));
        FAILS(XB_EINVAL, xb_dataset_match_input(d, 1, 32, 32, err));
        float x[3 * 224 * 224];
        int label;
        FAILS(XB_EINVAL, xb_dataset_read_batch(d, 1000000, 1, x, &label, err));
        xb_dataset_free(d);
    } else {
        XB_CHECK_MSG(0, "tests/data/jpeg3: %s", e.msg);
    }
}

static void sweep_module(void)
{
    xb_sweep_config c;
    FAILS(XB_EIO, xb_sweep_config_load(missing(), &c, err));
    FAILS(XB_EFORMAT, xb_sweep_config_parse("{", "bad.json", &c, err));
    FAILS(XB_EINVAL, xb_sweep_run(NULL, NULL, NULL, err));
    xb_analog_config pc;
    FAILS(XB_EIO, xb_sweep_params_load(missing(), &pc, err));
    xb_error e;
    const char *text = "{\"model\": \"absent.onnx\", \"dataset\": \"fashion-mnist\"}";
    if (xb_sweep_config_parse(text, xb_test_tmp("sweep.json"), &c, &e) == XB_OK) {
        xb_analog_config cfg;
        FAILS(XB_EINVAL, xb_sweep_task_config(&c, c.n_points, &cfg, err));
        xb_sweep_options o = {.output = xb_test_tmp("sweep-out")};
        FAILS(XB_EIO, xb_sweep_run(&c, &o, NULL, err));
        xb_sweep_config_free(&c);
    } else {
        XB_CHECK_MSG(0, "%s", e.msg);
    }
}

/* Open an empty figure and close it: the status of the close. */
static xb_status draw_and_close(const char *path, xb_error *err)
{
    xb_error e;
    xb_plot *p = xb_plot_open(path, 900, 700, 1, 1, &e);
    XB_CHECK_MSG(p != NULL, "%s", e.msg);
    return p ? xb_plot_close(p, err) : XB_EINTERNAL;
}

static void plot_module(void)
{
    FAILS_NULL(XB_EINVAL, xb_plot_open(xb_test_tmp("figure.txt"), 900, 700, 1, 1, err));
    FAILS_NULL(XB_EINVAL, xb_plot_open(xb_test_tmp("figure.png"), 10, 700, 1, 1, err));
    FAILS_NULL(XB_EIO, xb_plot_open(xb_test_tmp("no/such/folder/figure.png"), 900, 700, 1, 1, err));
    FAILS(XB_EINVAL, xb_plot_close(NULL, err));
    /* a folder where the figure should go: drawn, but it cannot take the folder's place */
    const char *dir = xb_test_tmp("figure-folder.svg");
    XB_CHECK(mkdir(dir, 0777) == 0);
    FAILS(XB_EIO, draw_and_close(dir, err));
}

static int stop_at_once(void *user, const xb_bench_relax_row *row, int k, int n)
{
    (void)user, (void)row, (void)k, (void)n;
    return 1;
}

static void bench_module(void)
{
    xb_bench_mvm_options mo;
    xb_bench_mvm_options_init(&mo);
    mo.vectors = 0;
    xb_bench_mvm_result res[XB_BENCH_MVM_TILES];
    FAILS(XB_EINVAL, xb_bench_mvm(&mo, res, err));
    mo.vectors = 4;
    mo.density = 2;
    FAILS(XB_EINVAL, xb_bench_mvm(&mo, res, err));
    xb_bench_device_result dres[XB_BENCH_DEVICE_PAIRS];
    xb_bench_mvm_options_init(&mo);
    FAILS(XB_EINVAL, xb_bench_device(&mo, 0, dres, err)); /* no vectors */
    mo.density = 2;
    FAILS(XB_EINVAL, xb_bench_device(&mo, 4, dres, err));
    xb_bench_sweep_options so;
    xb_bench_sweep_options_init(&so);
    xb_bench_sweep_result sres;
    so.threads = 1; /* compares T >= 2 with 1 */
    FAILS(XB_EINVAL, xb_bench_sweep(&so, &sres, err));
    so.threads = 2;
    so.model = xb_test_tmp("absent.onnx");
    FAILS(XB_EIO, xb_bench_sweep(&so, &sres, err));

    xb_bench_relax_options ro;
    xb_bench_relax_options_init(&ro);
    FAILS(XB_EINVAL, xb_bench_relax_options_set(&ro, "rhat", "abc", err));
    FAILS(XB_EUNSUPPORTED, xb_bench_relax_options_set(&ro, "frobnicate", "1", err));
    xb_bench_relax_options_release(&ro);
    /* a tile small enough to build in no time */
    ro.rows = 4;
    ro.cols = 3;
    ro.vectors = 2;
    ro.repeat = 1;
    static const double one_rhat[] = {1e-4};
    ro.n_rhat = 1;
    ro.rhat = one_rhat;
    xb_bench_relax_row row;
    FAILS(XB_EINVAL, xb_bench_relax_point(&ro, -1, &row, err));
    FAILS(XB_EINVAL, xb_bench_relax(&ro, NULL, stop_at_once, NULL, err)); /* cancelled after the first row */
    ro.relax.damping = 3; /* refused by the relaxation, past the tile and the exact solve */
    FAILS(XB_EINVAL, xb_bench_relax_point(&ro, 1e-4, &row, err));
    ro.n_rhat = 0;
    FAILS(XB_EINVAL, xb_bench_relax(&ro, NULL, NULL, NULL, err));
}

static void study_module(void)
{
    xb_study_options o;
    xb_study_options_init(&o);
    FAILS(XB_EINVAL, xb_study_options_set(&o, "sizes", "8,8", err));
    FAILS(XB_EINVAL, xb_study_options_set(&o, "max-memory", "8G", err));
    FAILS(XB_EUNSUPPORTED, xb_study_options_set(&o, "frobnicate", "1", err));
    FAILS(XB_EINVAL, xb_study_rp_logspace(&o, 1e-3, 1e-6, 3, err));
    FAILS(XB_EINVAL, xb_study_rp_logspace(NULL, 1e-6, 1e-3, 3, err));
    static const int sizes[] = {2, 3};
    static const double rp[] = {1e-4};
    o.sizes = sizes;
    o.n_sizes = 2;
    o.rp = rp;
    o.n_rp = 1;
    o.vectors = 2;
    o.map_size = 3;
    o.vectors = 0;
    FAILS(XB_EINVAL, xb_study_options_validate(&o, err));
    FAILS_NULL(XB_EINVAL, xb_study_wires(&o, err));
    o.vectors = 2;
    o.max_memory = 1024; /* bytes: far too few, refused by the solver of the first point */
    FAILS_NULL(XB_ETOOBIG, xb_study_wires(&o, err));
    o.max_memory = 0;

    xb_study_files f;
    FAILS(XB_EINVAL, xb_study_files_open(&f, "", err));
    FILE *plain = fopen(xb_test_tmp("plain_file"), "w");
    if (plain)
        fclose(plain);
    FAILS(XB_EIO, xb_study_files_open(&f, xb_test_tmp("plain_file"), err));
    xb_study_files closed = {0};
    FAILS(XB_EINVAL, xb_study_write_outputs(NULL, 1, &closed, err));
    FAILS(XB_EINVAL, xb_study_write_figures(NULL, &closed, err));
    FAILS(XB_EINVAL, xb_study_write_csv(NULL, "wires.csv", err));

    xb_error e;
    xb_study_result *r = xb_study_wires(&o, &e);
    XB_CHECK_MSG(r != NULL, "%s", e.msg);
    if (!r)
        return;
    FAILS(XB_EIO, xb_study_write_csv(r, missing(), err));
    /* a folder that went away after it was opened: the first file fails */
    const char *gone = xb_test_tmp("study-gone");
    if (xb_study_files_open(&f, gone, &e) == XB_OK) {
        rmdir(gone);
        FAILS(XB_EIO, xb_study_write_outputs(r, 0, &f, err));
        FAILS(XB_EIO, xb_study_write_figures(r, &f, err));
        xb_study_files_undo(&f);
    } else {
        XB_CHECK_MSG(0, "%s", e.msg);
    }
    xb_study_result_free(r);
}

int main(void)
{
    base_module();
    circuit_module();
    solver_module();
    threads_module();
    onnx_module();
    data_module();
    sweep_module();
    plot_module();
    bench_module();
    study_module();
    XB_TEST_DONE();
}
