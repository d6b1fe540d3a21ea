/* cmd_sweep.c: `xbar sweep CONFIG.json`: accuracy of a network over a grid of
 * analog parameters (xb_sweep_run), with progress on stderr and one line per
 * finished task on stdout. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_sweep.h"

#ifndef XB_GIT_VERSION
#define XB_GIT_VERSION "unknown"
#endif

#define PROGRESS_PERIOD 0.25 /* seconds between progress updates */

static void usage(FILE *f)
{
    fputs(
        "usage: xbar sweep CONFIG.json [--out DIR] [--limit N] [--plots-only]\n"
        "\n"
        "Measure a network's top-1 accuracy over a grid of analog parameters: every point\n"
        "of the Cartesian product of the configuration's axes is configured, calibrated\n"
        "(calibrations are cached), run on the test images and scored, with a 95% Wilson\n"
        "interval.  A digital baseline (mvm=digital, same images) is run once.\n"
        "\n"
        "  --out DIR      output folder (default: the configuration's \"output\", else\n"
        "                 sweep-<name of the configuration file>)\n"
        "  --limit N      use at most the first N test images per point\n"
        "  --plots-only   run nothing: draw the plots from the points already in the CSV\n"
        "  --help         this text\n"
        "\n"
        "Output in DIR: sweep.csv (one row per point, appended as each point finishes)\n"
        "and accuracy_vs_<axis>.png / .svg for the plotted axes.  Killed at any moment\n"
        "and restarted with the same command, a sweep resumes: finished points are kept,\n"
        "none is run twice.  The configuration format is described in docs/sweep.md.\n"
        "Progress and ETA go to stderr when it is a terminal (and CI is not set).\n"
        "\n"
        "Exit status: 0 success, 1 error (configuration, files, run), 2 bad arguments.\n",
        f);
}

/* What the run shows: progress on stderr, a line per task on stdout. */
typedef struct {
    const xb_sweep_config *c;
    int show, shown;
    long todo, finished;     /* tasks to run in this invocation, and finished so far */
    double t_start, t_shown;
    long task;               /* the task of the last progress shown */
    const char *phase;       /* the last phase shown */
} view;

static void progress_clear(view *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = 0;
}

static void on_progress(void *user, long task, const char *phase, size_t done, size_t total)
{
    view *p = user;
    double t = xb_clock_now();
    int new_phase = p->phase != phase || p->task != task;
    if (!p->show || (t - p->t_shown < PROGRESS_PERIOD && done < total && !new_phase))
        return;
    p->t_shown = t;
    p->phase = phase;
    p->task = task;
    char label[1024];
    xb_sweep_task_label(p->c, task, label, sizeof label);
    /* Remaining time: the tasks still to come at the mean time per task so
     * far (the current one counted by its fraction of test images done). */
    int images = !strcmp(phase, "images");
    double frac = images && total ? (double)done / (double)total : 0;
    double units = (double)p->finished + frac;
    double per = units > 0 ? (t - p->t_start) / units : -1;
    char eta[32];
    xb_cli_duration(per >= 0 ? per * ((double)p->todo - units) : -1, eta, sizeof eta);
    if (images)
        fprintf(stderr, "\r[%ld/%ld] %s: %zu/%zu images  ETA %s\033[K", p->finished + 1,
                p->todo, label, done, total, eta);
    else
        fprintf(stderr, "\r[%ld/%ld] %s: %s on %zu images  ETA %s\033[K", p->finished + 1,
                p->todo, label, phase, total, per >= 0 ? eta : "?");
    fflush(stderr);
    p->shown = 1;
}

static void on_plan(void *user, const xb_sweep_plan *pl)
{
    view *v = user;
    const xb_sweep_config *c = v->c;
    if (pl->dropped)
        printf("%s: cut an incomplete last line (%zu bytes) left by an interrupted run\n",
               pl->csv_path, pl->dropped);
    printf("sweep: %s: %ld point%s%s, %ld image%s each; %s: %ld done, %ld to run", c->path,
           c->n_points, c->n_points == 1 ? "" : "s", c->baseline ? " + digital baseline" : "",
           pl->images, pl->images == 1 ? "" : "s", pl->csv_path, pl->done, pl->todo);
    if (pl->ranks > 1)
        printf(" on %d MPI ranks", pl->ranks);
    printf("\n");
    fflush(stdout);
    v->todo = pl->todo;
    v->t_start = xb_clock_now();
}

static void on_report(void *user, long task, const xb_sweep_result *r, const xb_sweep_score *sc)
{
    view *v = user;
    char label[1024];
    xb_sweep_task_label(v->c, task, label, sizeof label);
    progress_clear(v);
    printf("[%ld/%ld] %s: top1 %.4f (%zu/%zu), 95%% CI [%.4f, %.4f], %.1f s%s\n",
           ++v->finished, v->todo, label, sc->top1, sc->correct, sc->images, sc->ci_low,
           sc->ci_high, r->seconds, r->calib_cached ? " (calibration from the cache)" : "");
    fflush(stdout);
}

static void on_plot(void *user, const char *axis, const char *path, const char *why)
{
    (void)user;
    if (path)
        printf("plot: %s\n", path);
    else
        printf("plot: skipped '%s': %s\n", axis, why);
    fflush(stdout);
}

static void on_warning(void *user, const char *msg)
{
    progress_clear(user);
    fprintf(stderr, "xbar sweep: warning: %s\n", msg);
}

/* Fill o from argv; *config_path the file.  Returns -1 to go on, else the
 * exit status (0 after --help). */
static int parse_args(int argc, char **argv, const char **config_path, xb_sweep_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--plots-only")) {
            o->plots_only = 1;
            continue;
        }
        if (!strncmp(a, "--out", 5) || !strncmp(a, "--limit", 7)) {
            size_t n = a[2] == 'o' ? 5 : 7;
            if (a[n] == '=')
                val = a + n + 1;
            else if (a[n] != '\0')
                return xb_cli_usage_error("sweep", "unknown option '%s'", a);
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return xb_cli_usage_error("sweep", "%s needs a value", a);
            if (n == 5 && !*val)
                return xb_cli_usage_error("sweep", "--out needs a folder name");
            if (n == 5)
                o->output = val;
            else if (!xb_parse_long(val, &o->limit) || o->limit < 1)
                return xb_cli_usage_error("sweep", "--limit: expected a positive integer, got "
                                          "'%s'", val);
            continue;
        }
        if (a[0] == '-' && a[1])
            return xb_cli_usage_error("sweep", "unknown option '%s'", a);
        if (*config_path)
            return xb_cli_usage_error("sweep", "one configuration file only (got '%s' and "
                                      "'%s')", *config_path, a);
        *config_path = a;
    }
    if (!*config_path)
        return xb_cli_usage_error("sweep", "a configuration file is required");
    return -1;
}

int xb_cmd_sweep(int argc, char **argv)
{
    const char *config_path = NULL;
    xb_sweep_options o = {.git_version = XB_GIT_VERSION, .plan = on_plan,
                          .progress = on_progress, .report = on_report, .plot = on_plot,
                          .warning = on_warning};
    int rc = parse_args(argc, argv, &config_path, &o);
    if (rc >= 0)
        return rc;
    xb_error err;
    xb_error_clear(&err);
    xb_sweep_config c;
    if (xb_sweep_config_load(config_path, &c, &err) != XB_OK)
        return xb_cli_fail("sweep", "%s", err.msg);
    view v = {.c = &c, .show = xb_cli_progress_enabled(), .task = -2};
    o.user = &v;
    xb_sweep_outcome out;
    xb_status s = xb_sweep_run(&c, &o, &out, &err);
    progress_clear(&v);
    /* A failure on one rank of several is this rank's to report (the others
     * fail with it); while ranks still wait on each other, the job ends here. */
    if (s != XB_OK && (out.failed_here || out.must_abort)) {
        if (out.ranks > 1 && (out.rank || out.must_abort))
            xb_cli_fail("sweep", "rank %d: %s", out.rank, err.msg);
        else
            xb_cli_fail("sweep", "%s", err.msg);
    }
    xb_sweep_config_free(&c);
    if (out.must_abort)
        xb_sweep_mpi_abort(1);
    return s == XB_OK ? 0 : 1;
}
