/* sweep_run.c: xb_sweep_run, a whole sweep: the results file opened (or
 * resumed) by rank 0, the tasks without a row shared out by the scheduler,
 * the file put in order, the plots drawn.  Under an MPI launcher every rank
 * runs this; the steps that can fail on one rank alone are agreed on by all
 * before the next, so that every rank returns the same status. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

typedef struct {
    const xb_sweep_config *c;
    const xb_sweep_options *o;
    xb_sweep_outcome *out;
    int mpi;                 /* MPI was started for this run */
    char *dir, *csv_path;
    long images;             /* test images per task */
    sw_columns cols;
    sw_csv csv;
    sw_eval ev;
    int ev_open;
    xb_sweep_score *scores;  /* index t + 1: the baseline is scores[0] */
    long *tasks, todo;
    int calib_n;             /* calibration images the tasks need, at most */
} run_state;

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

/* What every rank checks before MPI starts: the model is there, the number
 * of test images, the columns. */
static xb_status prepare(run_state *r, xb_error *err)
{
    const xb_sweep_config *c = r->c;
    const char *out = r->o->output ? r->o->output : c->output;
    r->dir = out ? sw_strdup(out) : default_output(c->path ? c->path : "sweep");
    r->scores = calloc((size_t)c->n_points + 1, sizeof *r->scores);
    r->tasks = calloc((size_t)c->n_points + 1, sizeof *r->tasks);
    if (!r->dir || !r->scores || !r->tasks)
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    /* A missing model is found before anything is written. */
    FILE *mf = fopen(c->model, "rb");
    if (!mf)
        return xb_error_set(err, XB_EIO, "%s: model '%s': %s", c->path, c->model,
                            strerror(errno));
    fclose(mf);
    r->images = c->images;
    if (r->images == 0) {
        xb_dataset *d = NULL;
        if (xb_dataset_open_spec(c->dataset, c->labels, &d, err) != XB_OK)
            return err->code;
        r->images = (long)xb_dataset_count(d);
        xb_dataset_free(d);
    }
    if (r->o->limit > 0 && r->o->limit < r->images)
        r->images = r->o->limit;
    return sw_columns_make(c, &r->cols, err);
}

/* Rank 0: the output folder and the results file. */
static xb_status open_results(run_state *r, xb_error *err)
{
    size_t plen = strlen(r->dir) + 16;
    if (xb_mkdir_p(r->dir, NULL, err) != XB_OK)
        return xb_error_prefix(err, "the output folder");
    if (!(r->csv_path = malloc(plen)))
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    snprintf(r->csv_path, plen, "%s/sweep.csv", r->dir);
    return sw_csv_open(&r->csv, r->csv_path, r->c, &r->cols, r->images, r->scores, err);
}

/* A step that may fail on some ranks: every rank learns whether one did.  The
 * first failing rank keeps its message; the others get one naming it. */
static xb_status agree(run_state *r, xb_status s, xb_error *err)
{
    if (r->out->ranks == 1)
        return s;
    int first = sw_mpi_first_failure(s != XB_OK);
    if (first < 0)
        return XB_OK;
    r->out->failed_here = first == r->out->rank;
    if (!r->out->failed_here)
        return xb_error_set(err, XB_EIO, "rank %d failed", first);
    return s;
}

/* The tasks without a row, in order, and the calibration images they need. */
static xb_status list_tasks(run_state *r, xb_error *err)
{
    const xb_sweep_config *c = r->c;
    for (long t = c->baseline ? XB_SWEEP_BASELINE : 0; t < c->n_points; t++) {
        if (r->scores[t + 1].done)
            continue;
        xb_analog_config cfg;
        if (xb_sweep_task_config(c, t, &cfg, err) != XB_OK)
            return err->code;
        if (cfg.calib_images > r->calib_n)
            r->calib_n = cfg.calib_images;
        r->tasks[r->todo++] = t;
    }
    return XB_OK;
}

/* Rank 0: tell the caller what is about to happen. */
static void announce(const run_state *r)
{
    if (r->out->rank != 0 || !r->o->plan)
        return;
    long total = r->c->n_points + (r->c->baseline ? 1 : 0);
    xb_sweep_plan p = {r->csv_path, r->images, total, total - r->todo,
                       r->o->plots_only ? 0 : r->todo, r->out->ranks, r->csv.dropped};
    r->o->plan(r->o->user, &p);
}

/* Open, resume, run, sort, plot. */
static xb_status run(run_state *r, xb_error *err)
{
    const xb_sweep_config *c = r->c;
    xb_sweep_outcome *out = r->out;
    xb_status s = prepare(r, err);
    if (s != XB_OK)
        return s;
    /* Under mpirun or srun the ranks share the tasks; rank 0 owns the output
     * folder and the CSV. */
    if (sw_mpi_launched()) {
        if (!sw_mpi_available())
            return xb_error_set(err, XB_EUNSUPPORTED, "started by an MPI launcher, but this "
                                "xbar was built without MPI (install libopenmpi-dev and "
                                "rebuild; see docs/cluster.md)");
        r->mpi = 1;
        if ((s = sw_mpi_init(&out->rank, &out->ranks, err)) != XB_OK)
            return s;
    }
    if ((s = agree(r, out->rank == 0 ? open_results(r, err) : XB_OK, err)) != XB_OK)
        return s;
    /* Every rank learns which tasks have rows (rank 0 read the CSV). */
    if (out->ranks > 1 && (s = sw_mpi_bcast(r->scores, ((size_t)c->n_points + 1) *
                                            sizeof *r->scores, err)) != XB_OK)
        return s;
    if ((s = list_tasks(r, err)) != XB_OK)
        return s;
    announce(r);
    if (r->todo > 0 && !r->o->plots_only) {
        r->ev.warning = r->o->warning;
        r->ev.user = r->o->user;
        s = sw_eval_open(&r->ev, c, r->images, r->calib_n, err);
        r->ev_open = s == XB_OK;
        if ((s = agree(r, s, err)) != XB_OK)
            return s;
        sw_job j = {c, &r->cols, &r->csv, &r->ev, r->scores, r->images, r->tasks, r->todo,
                    r->o->git_version ? r->o->git_version : "unknown", r->o};
        if ((s = sw_schedule(&j, out->rank, out->ranks, &out->must_abort, &out->stopped, err)) !=
            XB_OK) {
            out->failed_here = 1;
            return s;
        }
        /* Rows were appended as tasks finished: out of order on several ranks. */
        if (out->rank == 0 && (s = sw_csv_sort(&r->csv, c, &r->cols, r->images, err)))
            return s;
    }
    /* A stopped run leaves the plots to the run that finishes the sweep. */
    if (out->rank == 0 && !out->stopped)
        return sw_plots_draw(c, r->scores, r->dir, r->o, err);
    return XB_OK;
}

xb_status xb_sweep_run(const xb_sweep_config *c, const xb_sweep_options *o,
                       xb_sweep_outcome *out, xb_error *err)
{
    xb_error local_err;
    xb_sweep_outcome local_out;
    const xb_sweep_options none = {0};
    if (!err)
        err = &local_err;
    if (!out)
        out = &local_out;
    memset(out, 0, sizeof *out);
    out->ranks = 1;
    out->failed_here = 1;
    if (!c || !c->model || c->n_points < 1)
        return xb_error_set(err, XB_EINVAL, "sweep: no configuration (load one with "
                            "xb_sweep_config_load)");
    run_state r = {.c = c, .o = o ? o : &none, .out = out, .csv = {.fd = -1}};
    xb_status s = run(&r, err);
    if (s == XB_OK)
        out->failed_here = 0;
    if (r.ev_open)
        sw_eval_close(&r.ev);
    sw_csv_close(&r.csv);
    sw_columns_free(&r.cols);
    if (r.mpi && !out->must_abort)
        sw_mpi_finalize();
    free(r.scores);
    free(r.tasks);
    free(r.csv_path);
    free(r.dir);
    return s;
}
