/* test_sweep_resume.c: `xbar sweep` survives SIGKILL at any moment.
 *
 * A small sweep (tests/test_sweep_model.h: a nearest-class-mean classifier on
 * Fashion-MNIST; exact parasitic MVMs, programming errors, a 6-bit ADC) runs
 * once without interruption.  The same sweep, in another folder with its own
 * calibration cache, is then killed with SIGKILL after random delays, several
 * times, and rerun to completion, once more after a torn last line has been
 * appended to its CSV.  Its final CSV must hold exactly one row per point and
 * the same numbers as the uninterrupted run.  Then a finished sweep refuses a
 * changed configuration and a concurrent writer, and has drawn its plots.
 *
 * XB_TEST_SEED=<n> repeats a run's kill delays. */
#define _DEFAULT_SOURCE
#include "xb_test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep_test_util.h"
#include "test_sweep_model.h"

#define MAX_KILLS 8     /* interrupted runs before the last */
#define MIN_KILLS 2     /* kills that must land before the sweep ends by itself */
#define MAX_ATTEMPTS 4  /* interrupted sweeps started over when they end too soon */

/* `xbar sweep <config> [extra]` in the temporary folder (see st_run). */
static int run_sweep(const char *config, const char *extra, double kill_after, int *killed)
{
    const char *argv[5] = {st_xbar(), "sweep", config, extra, NULL};
    return st_run(argv, kill_after, killed);
}

static void write_config(const char *name, const char *cache, const char *output,
                         const char *axes)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{ \"description\": \"resumability test\",\n"
             "  \"model\": \"tiny32.onnx\", \"dataset\": \"fashion-mnist\",\n"
             "  \"images\": 120, \"batch\": 40, \"calibration_images\": 40,\n"
             "  \"cache_dir\": \"%s\", \"output\": \"%s\",\n"
             "  \"base\": { \"mvm\": \"exact\", \"error_model\": \"independent\", \"alpha\": 0.02,\n"
             "            \"adc_bits\": 6, \"rows_per_array\": 256, \"seed\": 7 },\n"
             "  \"axes\": %s }\n",
             cache, output, axes);
    write_text(xb_test_tmp(name), text);
}

static const char *const axes_main =
    "{ \"mapping\": [\"differential\", \"offset\"], \"rp\": [0, 1e-5, 1e-4] }";
#define N_TASKS 7 /* 6 points and the baseline */

static void compare_tables(const table *ref, const table *got)
{
    XB_CHECK_MSG(ref->cols == got->cols, "%d vs %d columns", ref->cols, got->cols);
    for (int c = 0; c < ref->cols && c < got->cols; c++)
        XB_CHECK_MSG(!strcmp(ref->f[0][c], got->f[0][c]), "header column %d: %s vs %s", c,
                     ref->f[0][c], got->f[0][c]);
    XB_CHECK_MSG(ref->rows == N_TASKS + 1, "reference: %d rows", ref->rows - 1);
    XB_CHECK_MSG(got->rows == N_TASKS + 1, "interrupted: %d rows, expected %d", got->rows - 1,
                 N_TASKS);
    const int n_id = col_index(ref, "correct");
    XB_CHECK(n_id > 3);
    for (int r = 1; r < got->rows; r++)
        for (int s = r + 1; s < got->rows; s++)
            XB_CHECK_MSG(!same_id(got, r, got, s, n_id), "rows %d and %d are the same point",
                         r, s);
    for (int r = 1; r < ref->rows; r++) {
        int s = 1;
        while (s < got->rows && !same_id(ref, r, got, s, n_id))
            s++;
        XB_CHECK_MSG(s < got->rows, "reference row %d (%s %s %s) is missing", r, ref->f[r][0],
                     ref->f[r][1], ref->f[r][2]);
        if (s == got->rows)
            continue;
        for (int c = n_id; c < ref->cols; c++)
            if (!is_timing(ref->f[0][c]))
                XB_CHECK_MSG(!strcmp(ref->f[r][c], got->f[s][c]), "row %d (%s=%s %s=%s): %s "
                             "is %s uninterrupted but %s after kills", r, ref->f[0][1],
                             ref->f[r][1], ref->f[0][2], ref->f[r][2], ref->f[0][c],
                             ref->f[r][c], got->f[s][c]);
    }
}

/* A finished sweep refuses what it cannot resume, with one line on stderr. */
static void expect_refusal(const char *config, const char *what)
{
    int rc = run_sweep(config, NULL, -1, NULL);
    char *err = xb_test_slurp(xb_test_tmp("stderr"));
    XB_CHECK_MSG(rc == 1, "%s: exit %d", config, rc);
    XB_CHECK_MSG(xb_test_count_lines(err) == 1, "%s: stderr has %d lines:\n%s", config,
                 xb_test_count_lines(err), err);
    XB_CHECK_MSG(strstr(err, what) != NULL, "%s: stderr lacks '%s':\n%s", config, what, err);
    free(err);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(void)
{
    const char *s = getenv("XB_TEST_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL) ^ (unsigned)getpid();
    printf("kill delays: XB_TEST_SEED=%u\n", seed);
    srand(seed);
    setenv("XB_TMP", xb_test_tmpdir(), 1);
    if (tm_write_model(xb_test_tmp("tiny32.onnx")) != 0) {
        fprintf(stderr, "cannot write the test model\n");
        return 1;
    }
    write_config("ref.json", "cache-ref", "out-ref", axes_main);
    write_config("kill.json", "cache-kill", "out-kill", axes_main);

    /* Uninterrupted. */
    double t0 = xb_clock_now();
    int rc = run_sweep("ref.json", NULL, -1, NULL);
    const double t_ref = xb_clock_now() - t0;
    char *out = xb_test_slurp(xb_test_tmp("stdout")), *err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("uninterrupted: exit %d in %.1f s\n%s%s", rc, t_ref, out, err);
    XB_CHECK(rc == 0);
    XB_CHECK(strstr(out, "0 done, 7 to run") != NULL);
    XB_CHECK_MSG(err[0] == '\0', "stderr is not a terminal: nothing on it");
    free(out);
    free(err);

    /* Killed at random moments, then run to the end.  The delays scale with the
     * uninterrupted run's time; on a machine whose load changes, a sweep can
     * outrun them, and is then started over with shorter ones. */
    int kills = 0;
    double scale = t_ref;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && kills < MIN_KILLS; attempt++) {
        if (attempt > 0) {
            printf("the sweep ended after %d kill(s): again, from scratch, with shorter delays\n",
                   kills);
            XB_CHECK(system("rm -rf -- \"$XB_TMP\"/out-kill \"$XB_TMP\"/cache-kill") == 0);
            scale /= 2;
        }
        kills = 0;
        int finished = 0;
        for (int i = 0; i < MAX_KILLS && !finished; i++) {
            /* Somewhere in what is left to do (rows written so far say how much). */
            out = xb_test_slurp(xb_test_tmp("out-kill/sweep.csv"));
            int left = N_TASKS - (xb_test_count_lines(out) > 0 ? xb_test_count_lines(out) - 1 : 0);
            free(out);
            double delay = scale * left / N_TASKS * (0.1 + 0.6 * rand() / (double)RAND_MAX);
            int killed;
            rc = run_sweep("kill.json", NULL, delay, &killed);
            out = xb_test_slurp(xb_test_tmp("out-kill/sweep.csv"));
            printf("run %d: %s after %.2f s, %d rows\n", i + 1, killed ? "killed" : "finished",
                   delay, xb_test_count_lines(out) - 1);
            free(out);
            if (killed) {
                kills++;
            } else {
                XB_CHECK_MSG(rc == 0, "exit %d", rc);
                finished = 1;
            }
        }
    }
    XB_CHECK_MSG(kills >= MIN_KILLS, "only %d kill(s) landed before the sweep ended", kills);

    /* A torn last line, as a crash in the middle of a write would leave. */
    const char *csv = xb_test_tmp("out-kill/sweep.csv");
    long before = file_size(csv);
    if (before > 0) {
        int fd = open(csv, O_WRONLY | O_APPEND);
        XB_CHECK(fd >= 0 && write(fd, "point,offset,0.0001,ex", 22) == 22);
        close(fd);
    }
    rc = run_sweep("kill.json", NULL, -1, NULL);
    out = xb_test_slurp(xb_test_tmp("stdout"));
    err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("last run: exit %d\n%s%s", rc, out, err);
    XB_CHECK(rc == 0);
    XB_CHECK_MSG(before <= 0 || strstr(out, "cut an incomplete last line (22 bytes)"),
                 "the torn line was not reported");
    free(out);
    free(err);

    table ref, got;
    XB_CHECK_MSG(table_read(xb_test_tmp("out-ref/sweep.csv"), &ref) == 0, "reference CSV");
    XB_CHECK_MSG(table_read(csv, &got) == 0, "interrupted CSV: a partial or ragged line");
    compare_tables(&ref, &got);
    int kind = col_index(&got, "kind"), mvm = col_index(&got, "mvm"), baselines = 0;
    for (int r = 1; r < got.rows; r++)
        if (!strcmp(got.f[r][kind], "baseline")) {
            baselines++;
            XB_CHECK(mvm >= 0 && !strcmp(got.f[r][mvm], "digital"));
        }
    XB_CHECK(baselines == 1);
    free(ref.text);
    free(got.text);

    /* Nothing left to do: a rerun runs nothing and rewrites nothing. */
    long size = file_size(csv);
    rc = run_sweep("kill.json", NULL, -1, NULL);
    out = xb_test_slurp(xb_test_tmp("stdout"));
    XB_CHECK(rc == 0 && strstr(out, "7 done, 0 to run") != NULL);
    XB_CHECK(file_size(csv) == size);
    free(out);

    /* Plots of the rp axis, in both formats. */
    XB_CHECK(file_size(xb_test_tmp("out-ref/accuracy_vs_rp.png")) > 1000);
    XB_CHECK(file_size(xb_test_tmp("out-ref/accuracy_vs_rp.svg")) > 1000);
    rc = run_sweep("kill.json", "--plots-only", -1, NULL);
    XB_CHECK(rc == 0);
    XB_CHECK(file_size(xb_test_tmp("out-kill/accuracy_vs_rp.svg")) > 1000);

    /* Refusals: other axes (other columns), other values (rows that are not
     * points), and a second writer. */
    write_config("other-axes.json", "cache-ref", "out-ref",
                 "{ \"mapping\": [\"differential\"], \"alpha\": [0.01] }");
    expect_refusal("other-axes.json", "column 3 is 'rp' in the file but 'alpha'");
    write_config("other-values.json", "cache-ref", "out-ref",
                 "{ \"mapping\": [\"differential\", \"offset\"], \"rp\": [0, 1e-5, 2e-4] }");
    expect_refusal("other-values.json", "not a point of this configuration");
    int fd = open(xb_test_tmp("out-ref/sweep.csv"), O_RDONLY);
    XB_CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
    expect_refusal("ref.json", "another xbar sweep is writing this file");
    close(fd);
    XB_TEST_DONE();
}
