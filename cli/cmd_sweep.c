/* cmd_sweep.c: `xbar sweep CONFIG.json`: accuracy of a network over a grid of
 * analog parameters, one CSV row per point, resumable, with plots. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_sweep.h"

#ifndef XB_GIT_VERSION
#define XB_GIT_VERSION "unknown"
#endif

#define EXIT_USAGE 2
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

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("xbar sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see xbar sweep --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
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

/* Progress of the whole run, for the line on stderr. */
typedef struct {
    int show, shown;
    long todo, finished;     /* tasks to run in this invocation, and finished so far */
    double t_start, t_shown;
    const char *label;       /* the task */
    const char *phase;       /* the last phase shown */
} progress_state;

static void progress(void *user, const char *phase, size_t done, size_t total)
{
    progress_state *p = user;
    double t = now_seconds();
    int new_phase = p->phase != phase;
    if (!p->show || (t - p->t_shown < PROGRESS_PERIOD && done < total && !new_phase))
        return;
    p->t_shown = t;
    p->phase = phase;
    /* Remaining time: the tasks still to come at the mean time per task so
     * far (the current one counted by its fraction of test images done). */
    int images = !strcmp(phase, "images");
    double frac = images && total ? (double)done / (double)total : 0;
    double units = (double)p->finished + frac;
    double per = units > 0 ? (t - p->t_start) / units : -1;
    char eta[32];
    format_duration(per >= 0 ? per * ((double)p->todo - units) : -1, eta, sizeof eta);
    if (images)
        fprintf(stderr, "\r[%ld/%ld] %s: %zu/%zu images  ETA %s\033[K", p->finished + 1,
                p->todo, p->label, done, total, eta);
    else
        fprintf(stderr, "\r[%ld/%ld] %s: %s on %zu images  ETA %s\033[K", p->finished + 1,
                p->todo, p->label, phase, total, per >= 0 ? eta : "?");
    fflush(stderr);
    p->shown = 1;
}

static void progress_clear(progress_state *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->shown = 0;
}

/* "sweep-<stem>" for path ".../<stem>.json". */
static char *default_output(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".json"))
        n -= 5;
    char *out = malloc(n + 7);
    if (out)
        snprintf(out, n + 7, "sweep-%.*s", (int)n, base);
    return out;
}

static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return 0;
}

/* The number of test images per point when the configuration says "all". */
static xb_status count_images(const sweep_config *c, long *images, xb_error *err)
{
    xb_dataset *d = NULL;
    xb_status s = c->labels && !strncmp(c->dataset, "imagenet:", 9)
                      ? xb_dataset_open_imagenet(c->dataset + 9, c->labels, &d, err)
                      : xb_dataset_open(c->dataset, &d, err);
    if (s != XB_OK)
        return s;
    *images = (long)xb_dataset_count(d);
    xb_dataset_free(d);
    return XB_OK;
}

static void print_score(long k, long todo, const char *label, const sweep_result *r,
                        const sweep_score *sc)
{
    printf("[%ld/%ld] %s: top1 %.4f (%zu/%zu), 95%% CI [%.4f, %.4f], %.1f s%s\n", k, todo, label,
           sc->top1, sc->correct, sc->images, sc->ci_low, sc->ci_high, r->seconds,
           r->calib_cached ? " (calibration from the cache)" : "");
    fflush(stdout);
}

/* The MPI run's report of a written row (rank 0). */
typedef struct {
    const sweep_config *c;
    long todo, finished;
} report_state;

static void report(void *user, long task, const sweep_result *r, const sweep_score *sc)
{
    report_state *rs = user;
    char label[1024];
    sweep_task_label(rs->c, task, label, sizeof label);
    print_score(++rs->finished, rs->todo, label, r, sc);
}

int xb_cmd_sweep(int argc, char **argv)
{
    const char *config_path = NULL, *out = NULL;
    long limit = 0;
    int plots_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--plots-only")) {
            plots_only = 1;
            continue;
        }
        if (!strncmp(a, "--out", 5) || !strncmp(a, "--limit", 7)) {
            size_t n = a[2] == 'o' ? 5 : 7;
            if (a[n] == '=')
                val = a + n + 1;
            else if (a[n] != '\0')
                return usage_error("unknown option '%s'", a);
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return usage_error("%s needs a value", a);
            if (n == 5) {
                if (!*val)
                    return usage_error("--out needs a folder name");
                out = val;
            } else {
                char *end;
                errno = 0;
                limit = strtol(val, &end, 10);
                if (!*val || *end || errno || limit < 1)
                    return usage_error("--limit: expected a positive integer, got '%s'", val);
            }
            continue;
        }
        if (a[0] == '-' && a[1])
            return usage_error("unknown option '%s'", a);
        if (config_path)
            return usage_error("one configuration file only (got '%s' and '%s')", config_path,
                               a);
        config_path = a;
    }
    if (!config_path)
        return usage_error("a configuration file is required");

    xb_error err;
    xb_error_clear(&err);
    sweep_config c;
    if (sweep_config_load(config_path, &c, &err) != XB_OK)
        return xb_cli_fail("sweep", "%s", err.msg);

    int rc = 1, rank = 0, nranks = 1, mpi = 0, print_err = 1;
    char *dir = out ? strdup(out) : c.output ? strdup(c.output) : default_output(config_path);
    char *csv_path = NULL, *id = NULL;
    sweep_columns cols = {0};
    sweep_csv csv = {.fd = -1};
    sweep_eval ev = {0};
    int ev_open = 0;
    const long first_task = c.baseline ? SWEEP_BASELINE : 0;
    sweep_score *scores = calloc((size_t)c.n_points + 1, sizeof *scores);
    long *tasks = calloc((size_t)c.n_points + 1, sizeof *tasks);
    progress_state ps = {0};
    if (!dir || !scores || !tasks) {
        xb_error_set(&err, XB_ENOMEM, "out of memory");
        goto done;
    }
    /* A missing model is found before anything is written. */
    FILE *mf = fopen(c.model, "rb");
    if (!mf) {
        xb_error_set(&err, XB_EIO, "%s: model '%s': %s", config_path, c.model, strerror(errno));
        goto done;
    }
    fclose(mf);
    long images = c.images;
    if (images == 0 && count_images(&c, &images, &err) != XB_OK)
        goto done;
    if (limit > 0 && limit < images)
        images = limit;
    if (sweep_columns_make(&c, &cols, &err) != XB_OK)
        goto done;

    /* Under mpirun or srun the ranks share the tasks out (sweep_mpi.c); rank 0
     * owns the output folder and the CSV. */
    if (sweep_mpi_launched()) {
        if (!sweep_mpi_available()) {
            xb_error_set(&err, XB_EUNSUPPORTED, "started by an MPI launcher, but this xbar was "
                         "built without MPI (install libopenmpi-dev and rebuild; see "
                         "docs/cluster.md)");
            goto done;
        }
        mpi = 1;
        if (sweep_mpi_init(&rank, &nranks, &err) != XB_OK)
            goto done;
    }
    int failed = 0;
    if (rank == 0) {
        size_t plen = strlen(dir) + 16;
        if (make_dirs(dir) != 0) {
            xb_error_set(&err, XB_EIO, "%s: cannot create the output folder: %s", dir,
                         strerror(errno));
            failed = 1;
        } else if (!(csv_path = malloc(plen))) {
            xb_error_set(&err, XB_ENOMEM, "out of memory");
            failed = 1;
        } else {
            snprintf(csv_path, plen, "%s/sweep.csv", dir);
            failed = sweep_csv_open(&csv, csv_path, &c, &cols, images, scores, &err) != XB_OK;
        }
        if (!failed && csv.dropped)
            printf("%s: cut an incomplete last line (%zu bytes) left by an interrupted run\n",
                   csv_path, csv.dropped);
    }
    if (mpi && nranks > 1) {
        int first = sweep_mpi_first_failure(failed);
        if (first >= 0) {
            print_err = first == rank;
            goto done;
        }
        /* Every rank learns which tasks have rows (rank 0 read the CSV). */
        if (sweep_mpi_bcast(scores, ((size_t)c.n_points + 1) * sizeof *scores, &err) != XB_OK)
            goto done;
    } else if (failed) {
        goto done;
    }

    long todo = 0;
    int calib_n = 0;
    for (long t = first_task; t < c.n_points; t++) {
        if (scores[t + 1].done)
            continue;
        xb_analog_config cfg;
        if (sweep_task_config(&c, t, &cfg, &err) != XB_OK)
            goto done;
        if (cfg.calib_images > calib_n)
            calib_n = cfg.calib_images;
        tasks[todo++] = t;
    }
    long total = c.n_points + (c.baseline ? 1 : 0);
    if (rank == 0) {
        printf("sweep: %s: %ld point%s%s, %ld image%s each; %s: %ld done, %ld to run", config_path,
               c.n_points, c.n_points == 1 ? "" : "s", c.baseline ? " + digital baseline" : "",
               images, images == 1 ? "" : "s", csv_path, total - todo, plots_only ? 0 : todo);
        if (nranks > 1)
            printf(" on %d MPI ranks", nranks);
        printf("\n");
        fflush(stdout);
    }

    if (todo > 0 && !plots_only) {
        failed = sweep_eval_open(&ev, &c, images, calib_n, &err) != XB_OK;
        ev_open = !failed;
        if (mpi && nranks > 1) {
            int first = sweep_mpi_first_failure(failed);
            if (first >= 0) {
                print_err = first == rank;
                goto done;
            }
        } else if (failed) {
            goto done;
        }
        ps.show = rank == 0 && xb_cli_progress_enabled();
        ps.todo = todo;
        ps.t_start = now_seconds();
        if (nranks > 1) {
            report_state rs = {.c = &c, .todo = todo};
            sweep_job j = {.c = &c, .cols = &cols, .csv = &csv, .ev = &ev, .scores = scores,
                           .images = images, .tasks = tasks, .n_tasks = todo,
                           .git_version = XB_GIT_VERSION, .report = report, .user = &rs};
            if (sweep_mpi_run(&j, rank, nranks, &err) != XB_OK) {
                fprintf(stderr, "xbar sweep: rank %d: %s\n", rank, err.msg);
                sweep_mpi_abort(1);
            }
            if (rank == 0 && sweep_csv_sort(&csv, &c, &cols, images, &err) != XB_OK)
                goto done;
        }
        for (long k = 0; nranks == 1 && k < todo; k++) {
            long t = tasks[k];
            char label[1024];
            sweep_task_label(&c, t, label, sizeof label);
            xb_analog_config cfg;
            sweep_result r;
            ps.label = label;
            ps.phase = NULL;
            if (sweep_task_config(&c, t, &cfg, &err) != XB_OK ||
                sweep_task_id(&c, &cols, t, images, &id, &err) != XB_OK)
                goto done;
            if (sweep_eval_run(&ev, &cfg, 0, ev.test_n, progress, &ps, &r, &err) != XB_OK) {
                xb_error_prefix(&err, "%s", label);
                goto done;
            }
            if (sweep_csv_append(&csv, id, &r, XB_GIT_VERSION, &scores[t + 1], &err) != XB_OK)
                goto done;
            free(id);
            id = NULL;
            ps.finished++;
            progress_clear(&ps);
            print_score(ps.finished, todo, label, &r, &scores[t + 1]);
        }
    }
    if (rank == 0 && sweep_plots_draw(&c, scores, dir, &err) != XB_OK)
        goto done;
    rc = 0;
done:
    progress_clear(&ps);
    if (rc && print_err && mpi && nranks > 1 && rank)
        xb_cli_fail("sweep", "rank %d: %s", rank, err.msg);
    else if (rc && print_err)
        xb_cli_fail("sweep", "%s", err.msg);
    if (ev_open)
        sweep_eval_close(&ev);
    sweep_csv_close(&csv);
    sweep_columns_free(&cols);
    sweep_config_free(&c);
    if (mpi)
        sweep_mpi_finalize();
    free(scores);
    free(tasks);
    free(id);
    free(csv_path);
    free(dir);
    return rc;
}
