/* xb_sweep.h: accuracy of a network over a grid of analog parameters
 * (`xbar sweep`, docs/sweep.md), resumable, on one process or many MPI ranks.
 *
 * A sweep is described by a JSON configuration file.  A point is one
 * xb_analog_config: the defaults, then the configuration's "base" parameters,
 * then one value of every axis.  Points are numbered in the order of nested
 * loops over the axes as the file lists them, the last axis innermost.  The
 * digital baseline is an extra task (number XB_SWEEP_BASELINE) with the base
 * parameters and the "baseline" overrides (mvm=digital by default).
 *
 *   xb_sweep_config c;
 *   if (xb_sweep_config_load("run.json", &c, &err) != XB_OK) ...;
 *   xb_sweep_options o = {.report = print_row, .user = &me};
 *   xb_status s = xb_sweep_run(&c, &o, NULL, &err);
 *   xb_sweep_config_free(&c);
 *
 * xb_sweep_run() writes one CSV row per finished task (DIR/sweep.csv), skips
 * the tasks that already have a row, and draws the plots.  The library never
 * prints: what a command line shows comes through the callbacks. */
#ifndef XB_SWEEP_H
#define XB_SWEEP_H

#include <stddef.h>

#include "xb_analog.h"
#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XB_SWEEP_MAX_POINTS 100000L /* more points than anyone can run: a typo */
#define XB_SWEEP_VALUE_LEN 1040     /* characters of one parameter value, as text (a device table's
                                       "table:" and path) */
#define XB_SWEEP_BASELINE (-1L)     /* task number of the digital baseline */

/* ---- the configuration ------------------------------------------------------ */

/* One parameter as text, as xb_analog_config_set() takes it. */
typedef struct {
    char *key;
    char *value;
} xb_sweep_param;

typedef struct {
    char *key;      /* an xb_analog_config_set() key */
    char **values;  /* n values as text (JSON numbers as their shortest round-trip text) */
    int n;
} xb_sweep_axis;

typedef struct {
    char *x;  /* the axis on the x axis */
    int log;  /* 1 log x, 0 linear, -1 automatic (log when the values span >= 2 decades) */
} xb_sweep_plot_spec;

typedef struct {
    char *path;             /* the configuration file as given */
    char *model;            /* model file, resolved against the configuration's folder */
    char *model_name;       /* the "model" value as written */
    char *dataset;          /* test images: a dataset spec with its folder resolved */
    char *dataset_name;     /* the "dataset" value as written */
    char *labels;           /* labels file of an imagenet folder, or NULL */
    char *calib_dataset;    /* calibration images (default: the training split) */
    char *calib_labels;
    long images;            /* test images per point; 0 = the whole test set */
    int batch;              /* images per network run; 0 = chosen from the input size */
    char *cache_dir;        /* calibration cache, relative to the working directory */
    char *output;           /* output folder, relative to the working directory, or NULL */
    char *title;            /* plot title, or NULL for one made from the model and data */
    xb_sweep_param *base;   /* applied in order to every point and to the baseline */
    int n_base;
    int baseline;           /* 1: run the digital baseline */
    xb_sweep_param *baseline_params; /* applied after base for the baseline */
    int n_baseline;
    xb_sweep_axis *axes;
    int n_axes;
    xb_sweep_plot_spec *plots;
    int n_plots;
    long n_points;          /* product of the axis lengths (1 with no axes) */
} xb_sweep_config;

/* Read and check a configuration file: JSON syntax, known keys, types, and
 * every parameter value and every point through xb_analog_config_set() /
 * _validate().  Messages start with the file name and name the key (and
 * index) at fault.  On failure c holds nothing to free. */
xb_status xb_sweep_config_load(const char *path, xb_sweep_config *c, xb_error *err);
/* The same from text in memory (NUL-terminated); path names it in messages,
 * and relative paths in it resolve against path's folder. */
xb_status xb_sweep_config_parse(const char *text, const char *path, xb_sweep_config *c,
                                xb_error *err);
void xb_sweep_config_free(xb_sweep_config *c);
/* Read a JSON object of analog parameters, what a configuration's "base"
 * holds ({"rp": 1e-4, "mapping": "offset"}), into cfg: the defaults, then
 * the file's parameters in order, then checked.  Messages name the file and
 * the key; on failure cfg is unchanged. */
xb_status xb_sweep_params_load(const char *path, xb_analog_config *cfg, xb_error *err);

/* ---- the grid ------------------------------------------------------------------ */

/* The configuration of task t: a point 0 .. n_points-1, or XB_SWEEP_BASELINE. */
xb_status xb_sweep_task_config(const xb_sweep_config *c, long t, xb_analog_config *cfg,
                               xb_error *err);
/* Index into axes[a].values of point p's value. */
int xb_sweep_point_value(const xb_sweep_config *c, long p, int a);
/* "mapping=offset rp=1e-05" (or "digital baseline"), for messages. */
void xb_sweep_task_label(const xb_sweep_config *c, long t, char *buf, size_t len);

/* ---- results -------------------------------------------------------------------- */

/* One task's score, as the results file holds it. */
typedef struct {
    int done;                /* the task has a row */
    size_t images, correct;
    double top1, ci_low, ci_high; /* fraction correct and its 95 % Wilson interval */
} xb_sweep_score;

/* What running a task measured. */
typedef struct {
    size_t images, correct;
    double seconds;          /* wall time of the task, calibration included */
    double cpu_seconds;      /* CPU time of all threads over the same span (summed over ranks) */
    double calib_seconds;    /* calibration, or loading it from the cache */
    int calib_cached;        /* 1 when the calibration came from the cache */
    xb_analog_stats stats;   /* solve, ADC, digital and vectors: the test images only;
                                program time and tiles: the whole task */
    unsigned long long hash; /* xb_analog_config_hash() */
} xb_sweep_result;

/* ---- running ------------------------------------------------------------------- */

/* What the run is about to do (rank 0, once, before any task runs). */
typedef struct {
    const char *csv_path;    /* the results file */
    long images;             /* test images per task */
    long total;              /* tasks of the sweep, baseline included */
    long done;               /* tasks that already had a row */
    long todo;               /* tasks this run will run (0 with plots_only) */
    int ranks;               /* MPI ranks sharing them (1 without MPI) */
    size_t dropped;          /* bytes of an incomplete last line cut from the file */
} xb_sweep_plan;

typedef struct {
    const char *output;      /* output folder; NULL: the configuration's "output", else
                                "sweep-<configuration file name without .json>" */
    long limit;              /* at most this many test images per point; 0: no limit */
    int plots_only;          /* run nothing: draw the plots from the rows in the file */
    const char *git_version; /* for the git_version column; NULL: "unknown" */
    /* Callbacks, each optional.  All but warning run on rank 0 only, and
     * report and plot from its main thread. */
    void (*plan)(void *user, const xb_sweep_plan *p);
    /* Rank 0's own work on task: phase "calibrating" (done 0 of total
     * calibration images) before a calibration is made, then "images" after
     * every batch of test images. */
    void (*progress)(void *user, long task, const char *phase, size_t done, size_t total);
    /* A task's row was written. */
    void (*report)(void *user, long task, const xb_sweep_result *r, const xb_sweep_score *sc);
    /* A plot was written (path) or skipped (path NULL, why says why). */
    void (*plot)(void *user, const char *axis, const char *path, const char *why);
    /* Something went wrong that the run works around (a calibration cache file
     * unreadable or unwritable); any rank. */
    void (*warning)(void *user, const char *msg);
    /* Asked on rank 0 before each task (or slice of one) starts and after every
     * batch of its own test images: XB_SWEEP_GO_ON, XB_SWEEP_STOP_AFTER (no
     * task starts any more; the running ones finish and write their rows) or
     * XB_SWEEP_STOP_NOW (rank 0 also abandons the task it is running, which the
     * next run runs again).  A stopped run returns XB_OK with out->stopped set;
     * its rows are in the file, sorted, and the plots are left for the next run
     * (or --plots-only).  Other ranks finish the unit they hold. */
    int (*stop)(void *user);
    void *user;
} xb_sweep_options;

#define XB_SWEEP_GO_ON 0
#define XB_SWEEP_STOP_AFTER 1
#define XB_SWEEP_STOP_NOW 2

/* How a run ended, beyond its status. */
typedef struct {
    int rank, ranks;         /* this process's MPI rank and the job's size (0 and 1 without MPI) */
    int failed_here;         /* on failure: 1 when err is this rank's own failure, 0 when
                                another rank failed first (err then says which) */
    int must_abort;          /* on failure: 1 when other ranks may be waiting for this one,
                                so the caller must end the job (xb_sweep_mpi_abort) */
    int stopped;             /* 1: options->stop ended the run before every task had a row */
} xb_sweep_outcome;

/* Run sweep c: open (or resume) the results file, run every task without a
 * row and append its row, then draw the plots.  Started by an MPI launcher
 * (mpirun, srun), every rank calls this with the same configuration and
 * options: the ranks share the tasks, and rank 0 writes the file; a single
 * process is the one-rank case of the same schedule.  MPI is initialized
 * here when the caller has not, and finalized on return except when
 * out->must_abort is set.  o and out may be NULL. */
xb_status xb_sweep_run(const xb_sweep_config *c, const xb_sweep_options *o,
                       xb_sweep_outcome *out, xb_error *err);
/* End every rank of an MPI job with exit status code (MPI_Abort), after a
 * failure that set must_abort.  Returns without doing anything when MPI is
 * not running. */
void xb_sweep_mpi_abort(int code);

#ifdef __cplusplus
}
#endif
#endif
