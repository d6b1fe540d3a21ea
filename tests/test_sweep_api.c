/* test_sweep_api.c: a whole sweep through the library (xb_sweep_run), as a C
 * program runs it: the callbacks hear of the plan, the progress, every row
 * and every plot; nothing is printed; a second run resumes with nothing to
 * do. */
#define _XOPEN_SOURCE 700
#include "xb_test.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sweep_test_util.h"
#include "test_sweep_model.h"
#include "xb_sweep.h"

typedef struct {
    int plans, progress, reports, plots_written, plots_skipped, warnings;
    long todo, done;
} heard;

static void on_plan(void *user, const xb_sweep_plan *p)
{
    heard *h = user;
    h->plans++;
    h->todo = p->todo;
    h->done = p->done;
    XB_CHECK(p->total == 3 && p->images == 40 && p->ranks == 1 && p->dropped == 0);
}

static void on_progress(void *user, long task, const char *phase, size_t done, size_t total)
{
    heard *h = user;
    h->progress++;
    XB_CHECK(task >= XB_SWEEP_BASELINE && task < 2 && done <= total && phase);
}

static void on_report(void *user, long task, const xb_sweep_result *r, const xb_sweep_score *sc)
{
    heard *h = user;
    h->reports++;
    XB_CHECK(task >= XB_SWEEP_BASELINE && task < 2);
    XB_CHECK(sc->done && sc->images == 40 && r->images == 40 && sc->correct == r->correct);
}

static void on_plot(void *user, const char *axis, const char *path, const char *why)
{
    heard *h = user;
    XB_CHECK(!strcmp(axis, "rp"));
    if (path)
        h->plots_written++;
    else
        h->plots_skipped++;
    (void)why;
}

static void on_warning(void *user, const char *msg)
{
    heard *h = user;
    h->warnings++;
    printf("warning: %s\n", msg);
}

/* The caller's stop(): after `after` rows, or at the first batch of images. */
typedef struct {
    int rows, after, now, asked;
    int images_seen;
} stopper;

static void stop_report(void *user, long task, const xb_sweep_result *r, const xb_sweep_score *sc)
{
    stopper *p = user;
    p->rows++;
    (void)task, (void)r, (void)sc;
}

static void stop_progress(void *user, long task, const char *phase, size_t done, size_t total)
{
    stopper *p = user;
    p->images_seen |= !strcmp(phase, "images");
    (void)task, (void)done, (void)total;
}

static int stop_ask(void *user)
{
    stopper *p = user;
    p->asked++;
    if (p->now && p->images_seen)
        return XB_SWEEP_STOP_NOW;
    return p->after > 0 && p->rows >= p->after ? XB_SWEEP_STOP_AFTER : XB_SWEEP_GO_ON;
}

/* Stopped after one row, stopped in the middle of a point, then finished:
 * the rows are those of the run that was never stopped. */
static void check_stop(const xb_sweep_config *c)
{
    xb_error err;
    stopper p = {.after = 1};
    xb_sweep_options o = {.output = xb_test_tmp("out-stop"), .git_version = "test",
                          .report = stop_report, .stop = stop_ask, .user = &p};
    xb_sweep_outcome out;
    XB_CHECK_MSG(xb_sweep_run(c, &o, &out, &err) == XB_OK, "%s", err.msg);
    char *csv = xb_test_slurp(xb_test_tmp("out-stop/sweep.csv"));
    printf("stopped after a row: %d rows, stopped %d, asked %d times\n", p.rows, out.stopped, p.asked);
    XB_CHECK(p.rows == 1 && out.stopped == 1 && xb_test_count_lines(csv) == 2);
    XB_CHECK_MSG(access(xb_test_tmp("out-stop/accuracy_vs_rp.png"), F_OK) != 0,
                 "a stopped run drew the plots");
    free(csv);

    stopper q = {.now = 1};
    o.user = &q;
    o.progress = stop_progress;
    XB_CHECK_MSG(xb_sweep_run(c, &o, &out, &err) == XB_OK, "%s", err.msg);
    csv = xb_test_slurp(xb_test_tmp("out-stop/sweep.csv"));
    printf("stopped in a point: %d rows, stopped %d, file %d lines\n", q.rows, out.stopped,
           xb_test_count_lines(csv));
    XB_CHECK(q.rows == 0 && out.stopped == 1 && xb_test_count_lines(csv) == 2);
    free(csv);

    stopper r = {0};
    o.user = &r;
    XB_CHECK_MSG(xb_sweep_run(c, &o, &out, &err) == XB_OK, "%s", err.msg);
    XB_CHECK(r.rows == 2 && out.stopped == 0);
    XB_CHECK(access(xb_test_tmp("out-stop/accuracy_vs_rp.png"), F_OK) == 0);
    table a, b;
    XB_CHECK(table_read(xb_test_tmp("out/sweep.csv"), &a) == 0);
    XB_CHECK(table_read(xb_test_tmp("out-stop/sweep.csv"), &b) == 0);
    XB_CHECK(a.rows == 4 && b.rows == 4 && a.cols == b.cols);
    int n_id = col_index(&a, "correct");
    XB_CHECK(n_id > 0);
    for (int i = 1; i < a.rows && i < b.rows; i++)
        for (int k = 0; k < a.cols; k++)
            if (!is_timing(a.f[0][k]))
                XB_CHECK_MSG(!strcmp(a.f[i][k], b.f[i][k]), "row %d column %s: %s vs %s", i,
                             a.f[0][k], a.f[i][k], b.f[i][k]);
    free(a.text);
    free(b.text);
}

/* Run the sweep with stdout and stderr sent to a file, and return what was written there. */
static xb_status run_quiet(const xb_sweep_config *c, const xb_sweep_options *o, char **said,
                           xb_error *err)
{
    fflush(stdout);
    fflush(stderr);
    int keep_out = dup(STDOUT_FILENO), keep_err = dup(STDERR_FILENO);
    int f = open(xb_test_tmp("said"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(f, STDOUT_FILENO);
    dup2(f, STDERR_FILENO);
    xb_status s = xb_sweep_run(c, o, NULL, err);
    fflush(stdout);
    fflush(stderr);
    dup2(keep_out, STDOUT_FILENO);
    dup2(keep_err, STDERR_FILENO);
    close(keep_out);
    close(keep_err);
    close(f);
    *said = xb_test_slurp(xb_test_tmp("said"));
    return s;
}

int main(void)
{
    if (tm_write_model(xb_test_tmp("tiny32.onnx")) != 0) {
        fprintf(stderr, "cannot write the test model\n");
        return 1;
    }
    char text[1024];
    snprintf(text, sizeof text,
             "{ \"model\": \"tiny32.onnx\", \"dataset\": \"fashion-mnist\",\n"
             "  \"images\": 40, \"batch\": 40, \"calibration_images\": 40,\n"
             "  \"cache_dir\": \"%s\",\n"
             "  \"base\": { \"mvm\": \"exact\", \"adc_bits\": 6, \"rows_per_array\": 256 },\n"
             "  \"axes\": { \"rp\": [0, 1e-4] } }\n", xb_test_tmp("cache"));
    xb_sweep_config c;
    xb_error err;
    xb_error_clear(&err);
    XB_CHECK_MSG(xb_sweep_config_parse(text, xb_test_tmp("api.json"), &c, &err) == XB_OK, "%s",
                 err.msg);
    heard h = {0};
    xb_sweep_options o = {.output = xb_test_tmp("out"), .git_version = "test",
                          .plan = on_plan, .progress = on_progress, .report = on_report,
                          .plot = on_plot, .warning = on_warning, .user = &h};
    char *said = NULL;
    XB_CHECK_MSG(run_quiet(&c, &o, &said, &err) == XB_OK, "%s", err.msg);
    printf("first run: plan %d (todo %ld), progress %d, rows %d, plots %d written\n", h.plans,
           h.todo, h.progress, h.reports, h.plots_written);
    XB_CHECK_MSG(said[0] == '\0', "the library printed: %s", said);
    free(said);
    XB_CHECK(h.plans == 1 && h.todo == 3 && h.done == 0);
    XB_CHECK(h.reports == 3 && h.progress >= 3 && h.warnings == 0);
    XB_CHECK(h.plots_written == 2 && h.plots_skipped == 0);
    char *csv = xb_test_slurp(xb_test_tmp("out/sweep.csv"));
    XB_CHECK_MSG(xb_test_count_lines(csv) == 4, "sweep.csv has %d lines",
                 xb_test_count_lines(csv));
    free(csv);

    /* Resumed: every row is there, nothing runs; err may be NULL. */
    heard again = {0};
    o.user = &again;
    XB_CHECK(run_quiet(&c, &o, &said, NULL) == XB_OK);
    XB_CHECK_MSG(said[0] == '\0', "the library printed: %s", said);
    free(said);
    XB_CHECK(again.plans == 1 && again.todo == 0 && again.done == 3 && again.reports == 0);
    XB_CHECK(again.plots_written == 2);
    check_stop(&c);
    xb_sweep_config_free(&c);
    xb_sweep_config_free(NULL);
    XB_TEST_DONE();
}
