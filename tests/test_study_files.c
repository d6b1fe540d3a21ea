/* The wire study's folder and options as library calls (study/include/xb_study.h):
 * options set from text by name (messages that start with the name, nothing
 * changed on failure), the files a run writes, and taking them back. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xb_study.h"
#include "xb_test.h"

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void test_options_set(void)
{
    xb_study_options o, before;
    xb_study_options_init(&o);
    xb_error err = {0};
    XB_CHECK(xb_study_options_set(&o, "sizes", "8,16,4", &err) == XB_OK);
    XB_CHECK(o.n_sizes == 3 && o.sizes[0] == 8 && o.sizes[2] == 4 && o.sizes == o.own_sizes);
    XB_CHECK(xb_study_options_set(&o, "sizes", "8,16,4,2", &err) == XB_OK && o.n_sizes == 4 && o.sizes[3] == 2);
    XB_CHECK(xb_study_options_set(&o, "rp", "1e-6:1e-4:3", &err) == XB_OK);
    XB_CHECK(o.n_rp == 3 && o.rp[0] == 1e-6 && o.rp[1] == 1e-5 && o.rp[2] == 1e-4 && o.rp == o.own_rp);
    XB_CHECK(xb_study_options_set(&o, "rp", "2e-5,3e-3", &err) == XB_OK && o.n_rp == 2 && o.rp[1] == 3e-3);
    /* Lists longer than any fixed buffer of text: the limits are counts of values. */
    char list[XB_STUDY_MAX_RP * 24 + 1];
    size_t len = 0;
    for (int k = 0; k < XB_STUDY_MAX_RP; k++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%.17g", k ? "," : "", 1e-6 * (1 + k * 1e-3));
    XB_CHECK(xb_study_options_set(&o, "rp", list, &err) == XB_OK && o.n_rp == XB_STUDY_MAX_RP);
    snprintf(list + len, sizeof list - len, ",1e-3");
    XB_CHECK(xb_study_options_set(&o, "rp", list, &err) == XB_EINVAL && !strncmp(err.msg, "rp", 2));
    XB_CHECK(xb_study_options_set(&o, "rp", "2e-5,3e-3", &err) == XB_OK && o.n_rp == 2);
    XB_CHECK(xb_study_options_set(&o, "on-off", "inf", &err) == XB_OK && isinf(o.on_off));
    XB_CHECK(xb_study_options_set(&o, "topology", "gate-input", &err) == XB_OK &&
             o.topologies == XB_STUDY_GATE_INPUT);
    XB_CHECK(xb_study_options_set(&o, "ordering", "metis", &err) == XB_OK && o.ordering == XB_ORDER_METIS);
    XB_CHECK(xb_study_options_set(&o, "backend", "transfer", &err) == XB_OK && o.backend == XB_BACKEND_TRANSFER);
    XB_CHECK(xb_study_options_set(&o, "refine", "0", &err) == XB_OK && o.refine == -1);
    XB_CHECK(xb_study_options_set(&o, "fixed-rp", "3e-4", &err) == XB_OK && o.map_rp == 3e-4);
    XB_CHECK(xb_study_options_set(&o, "r-sense", "0", &err) == XB_OK && o.r_sense == 0);
    /* Bytes as a plain number: "1M" is the command's notation, not the library's. */
    XB_CHECK(xb_study_options_set(&o, "max-memory", "1048576", &err) == XB_OK && o.max_memory == 1024 * 1024);
    XB_CHECK(xb_study_options_set(&o, "max-memory", "8e9", &err) == XB_OK && o.max_memory == 8000000000u);
    XB_CHECK(xb_study_options_set(&o, "seed", "7", &err) == XB_OK && o.seed == 7);

    static const struct {
        const char *key, *value;
    } bad[] = {{"sizes", "8,8"}, {"sizes", "8,"}, {"sizes", ""}, {"rp", "1e-3:1e-6:3"}, {"rp", "1e-4,zero"},
               {"gmax", "0"}, {"r-drv", "-1"}, {"vectors", "2.5"}, {"seed", "-3"}, {"backend", "column"},
               {"ordering", "fast"}, {"max-memory", "lots"}, {"max-memory", "1M"}, {"max-memory", "1.5"},
               {"max-memory", "-1"}, {"on-off", "0.5"}, {"map-size", "0"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        before = o;
        xb_error_clear(&err);
        XB_CHECK_MSG(xb_study_options_set(&o, bad[k].key, bad[k].value, &err) == XB_EINVAL, "%s %s", bad[k].key,
                     bad[k].value);
        XB_CHECK_MSG(!strncmp(err.msg, bad[k].key, strlen(bad[k].key)), "%s: '%s'", bad[k].key, err.msg);
        XB_CHECK_MSG(!memcmp(&o, &before, sizeof o), "%s %s changed the options", bad[k].key, bad[k].value);
        XB_CHECK(xb_study_options_set(&o, bad[k].key, bad[k].value, NULL) == XB_EINVAL);
    }
    XB_CHECK(xb_study_options_set(&o, "frobnicate", "1", NULL) == XB_EUNSUPPORTED);
    XB_CHECK(xb_study_options_set(&o, "out", "x", &err) == XB_EUNSUPPORTED && strstr(err.msg, "out"));
    XB_CHECK(xb_study_options_set(NULL, "sizes", "8", NULL) == XB_EINVAL);
    xb_study_options_release(&o);
    XB_CHECK(o.sizes == NULL && o.n_sizes == 0 && o.rp == NULL && o.n_rp == 0);
}

static xb_study_result *small_run(void)
{
    xb_study_options o;
    xb_study_options_init(&o);
    xb_error err = {0};
    XB_CHECK(xb_study_options_set(&o, "sizes", "4,8", &err) == XB_OK);
    XB_CHECK(xb_study_options_set(&o, "rp", "1e-5:1e-3:3", &err) == XB_OK);
    o.vectors = 4;
    xb_study_result *r = xb_study_wires(&o, &err);
    xb_study_options_release(&o);
    XB_CHECK_MSG(r != NULL, "%s", err.msg);
    return r;
}

static void test_files(void)
{
    xb_study_result *r = small_run();
    if (!r)
        return;
    /* A new nested folder: written, listed, then taken back with the folder. */
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s", xb_test_tmp("new/nested"));
    xb_study_files f;
    xb_error err = {0};
    XB_CHECK_MSG(xb_study_files_open(&f, dir, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(f.dir_created == 1 && f.n == 0);
    XB_CHECK_MSG(xb_study_write_outputs(r, 1, &f, &err) == XB_OK, "%s", err.msg);
    XB_CHECK_MSG(f.n == 11, "%d files", f.n); /* CSV, 2 maps, 2 x (2 + 2 maps) figures */
    for (int k = 0; k < f.n; k++)
        XB_CHECK_MSG(exists(f.path[k]), "%s missing", f.path[k]);
    snprintf(path, sizeof path, "%s/wires_err_vs_size.svg", dir);
    XB_CHECK(exists(path));
    xb_study_files_undo(&f);
    XB_CHECK(!exists(path) && !exists(dir) && f.n == 0 && f.dir == NULL);

    /* An existing folder stays, and so do the files kept. */
    snprintf(dir, sizeof dir, "%s", xb_test_tmpdir());
    XB_CHECK(xb_study_files_open(&f, dir, NULL) == XB_OK && f.dir_created == 0);
    XB_CHECK(xb_study_write_outputs(r, 0, &f, NULL) == XB_OK && f.n == 3);
    xb_study_files_close(&f);
    snprintf(path, sizeof path, "%s/wires_ir_map_gate-input.npy", dir);
    XB_CHECK(exists(path));
    XB_CHECK(xb_study_files_open(&f, dir, NULL) == XB_OK);
    xb_study_files_undo(&f); /* nothing listed: nothing removed */
    XB_CHECK(exists(path) && exists(dir));

    /* A plain file where the folder should be; a folder not opened. */
    XB_CHECK(xb_study_files_open(&f, path, &err) == XB_EIO && strstr(err.msg, "not a folder"));
    XB_CHECK(xb_study_files_open(&f, "", NULL) == XB_EINVAL);
    /* Failures with err NULL: a status, no crash. */
    XB_CHECK(xb_study_write_csv(r, "/nonexistent-folder/wires.csv", NULL) == XB_EIO);
    xb_study_options o = r->opt; /* the result's options own nothing: a copy may change */
    o.max_memory = 1024;          /* far below what any solver needs */
    XB_CHECK(xb_study_wires(&o, NULL) == NULL);
    XB_CHECK(xb_study_options_set(&o, "sizes", "4", NULL) == XB_OK && r->opt.n_sizes == 2 && r->opt.sizes[1] == 8);
    xb_study_options_release(&o);
    xb_study_files none = {0};
    XB_CHECK(xb_study_write_outputs(r, 1, &none, NULL) == XB_EINVAL);
    XB_CHECK(xb_study_write_figures(NULL, &none, &err) == XB_EINVAL);
    xb_study_result_free(r);
}

int main(void)
{
    test_options_set();
    test_files();
    XB_TEST_DONE();
}
