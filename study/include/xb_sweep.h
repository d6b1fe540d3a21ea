/* sweep.h: `xbar sweep`, one idea per file:
 *   sweep_config.c  the JSON configuration: parameters, axes, points
 *   sweep_csv.c     the results file: columns, resuming, durable appends
 *   sweep_eval.c    one point: configure, calibrate (cached), run, score
 *   sweep_plot.c    accuracy plots (PNG and SVG)
 *   cmd_sweep.c     the command that drives them.
 *
 * A point is one xb_analog_config: the defaults, then the configuration's
 * "base" parameters, then one value of every axis.  Points are numbered in
 * the order of nested loops over the axes as the file lists them, the last
 * axis innermost.  The digital baseline is an extra task with the base
 * parameters and the "baseline" overrides (mvm=digital by default). */
#ifndef XB_SWEEP_H
#define XB_SWEEP_H

#include <stddef.h>

#include "xb_analog.h"
#include "xb_dataset.h"
#include "xb_error.h"
#include "xb_model.h"

#define SWEEP_MAX_POINTS 100000L /* more points than anyone can run: a typo */
#define SWEEP_VALUE_LEN 128      /* characters of one parameter value, as text */
#define SWEEP_BASELINE (-1L)     /* task number of the digital baseline */

/* One parameter as text, as xb_analog_config_set() takes it. */
typedef struct {
    char *key;
    char *value;
} sweep_param;

typedef struct {
    char *key;      /* an xb_analog_config_set() key */
    char **values;  /* n values as text (JSON numbers are printed exactly) */
    int n;
} sweep_axis;

typedef struct {
    char *x;  /* the axis on the x axis */
    int log;  /* 1 log x, 0 linear, -1 automatic (log when the values span >= 2 decades) */
} sweep_plot_spec;

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
    char *output;           /* output folder, relative to the working directory */
    char *title;            /* plot title, or NULL for one made from the model and data */
    sweep_param *base;      /* applied in order to every point and to the baseline */
    int n_base;
    int baseline;           /* 1: run the digital baseline */
    sweep_param *baseline_params; /* applied after base for the baseline */
    int n_baseline;
    sweep_axis *axes;
    int n_axes;
    sweep_plot_spec *plots;
    int n_plots;
    long n_points;          /* product of the axis lengths (1 with no axes) */
} sweep_config;

/* Read and check a configuration file: JSON syntax, known keys, types, and
 * every parameter value and every point through xb_analog_config_set() /
 * _validate().  Messages start with the file name and name the key (and
 * index) at fault.  On failure c holds nothing to free. */
xb_status sweep_config_load(const char *path, sweep_config *c, xb_error *err);
/* The same from text in memory (NUL-terminated); path names it in messages,
 * and relative paths in it resolve against path's folder. */
xb_status sweep_config_parse(const char *text, const char *path, sweep_config *c, xb_error *err);
void sweep_config_free(sweep_config *c);

/* The configuration of task t: a point 0 .. n_points-1, or SWEEP_BASELINE. */
xb_status sweep_task_config(const sweep_config *c, long t, xb_analog_config *cfg, xb_error *err);
/* Index into axes[a].values of point p's value. */
int sweep_point_value(const sweep_config *c, long p, int a);
/* "mapping=offset rp=1e-05" (or "digital baseline"), for messages. */
void sweep_task_label(const sweep_config *c, long t, char *buf, size_t len);

/* ---- the results file ------------------------------------------------------- */

/* The columns: kind, every parameter (axes first), model, dataset, images —
 * together they identify a row — then the results. */
typedef struct {
    char **names;
    int n;
    int n_id;       /* columns 0 .. n_id-1 identify a task */
    char **keys;    /* the parameter keys, in column order (columns 1 .. n_keys) */
    int n_keys;
} sweep_columns;

xb_status sweep_columns_make(const sweep_config *c, sweep_columns *cols, xb_error *err);
void sweep_columns_free(sweep_columns *cols);

/* The identifying fields of task t, joined by ',' (as in the file). */
xb_status sweep_task_id(const sweep_config *c, const sweep_columns *cols, long t, long images,
                        char **id, xb_error *err);

/* Results of one task, as the file holds them. */
typedef struct {
    int done;
    size_t images, correct;
    double top1, ci_low, ci_high;
} sweep_score;

/* The open results file.  Holds an exclusive lock (flock) until closed. */
typedef struct {
    int fd;
    char *path;
    size_t rows;    /* data rows in the file */
    size_t dropped; /* bytes of an incomplete last line cut off when opening */
} sweep_csv;

struct sweep_result;

/* Open (creating) path; cut a partial last line left by a crash; write the
 * header to an empty file or check the existing one; read every row and mark
 * its task done in scores[] (index t+1, so the baseline is scores[0]).  A row
 * that matches no task, a second row for a task, or a row with a wrong field
 * count is an error. */
xb_status sweep_csv_open(sweep_csv *f, const char *path, const sweep_config *c,
                         const sweep_columns *cols, long images, sweep_score *scores,
                         xb_error *err);
/* Append the row of a finished task (id from sweep_task_id) with a single
 * write() of the whole line, then fsync(); fill in its score. */
xb_status sweep_csv_append(sweep_csv *f, const char *id, const struct sweep_result *r,
                           const char *git_version, sweep_score *score, xb_error *err);
void sweep_csv_close(sweep_csv *f);
/* Put the rows in task order (the baseline first, then the points), when they
 * are not: rows are appended as tasks finish, which is out of order when they
 * run in parallel.  The sorted file is written beside the old one and renamed
 * over it, so a crash leaves one or the other, whole. */
xb_status sweep_csv_sort(sweep_csv *f, const sweep_config *c, const sweep_columns *cols,
                         long images, xb_error *err);

/* One CSV field: quoted when it holds a comma or a quote (newlines become spaces). */
char *sweep_csv_field(const char *s);

/* ---- evaluating a point ------------------------------------------------------ */

/* Everything a point needs that does not change from point to point. */
typedef struct {
    xb_model *model;
    int c, h, w, classes;
    size_t chw;              /* floats per image */
    float *calib_x;          /* calibration images, NCHW */
    int calib_n;
    xb_dataset *test;
    size_t test_n;           /* test images per point */
    float *test_x;           /* all test images when they fit in memory, else NULL */
    int *test_labels;        /* test_n labels */
    int batch;
    float *x, *logits;       /* one batch */
    char *cache_dir;         /* NULL: no calibration cache */
    unsigned long long salt; /* model content, calibration images and batch, for cache keys */
} sweep_eval;

typedef struct sweep_result {
    size_t images, correct;
    double seconds;          /* wall time of the point, calibration included */
    double cpu_seconds;      /* CPU time of all threads over the same span */
    double calib_seconds;    /* calibration, or loading it from the cache */
    int calib_cached;        /* 1 when the calibration came from the cache */
    xb_analog_stats stats;   /* solve, ADC, digital and vectors: the test images only;
                                program time and tiles: the whole point */
    unsigned long long hash; /* xb_analog_config_hash() */
} sweep_result;

/* Called with phase "calibrating" (done 0 of the calibration images) before a
 * calibration is made, then with phase "images" after every batch of test images. */
typedef void (*sweep_progress_fn)(void *user, const char *phase, size_t done, size_t total);

/* Load the model and datasets of c; calib_n calibration images are read. */
xb_status sweep_eval_open(sweep_eval *e, const sweep_config *c, long images, int calib_n,
                          xb_error *err);
void sweep_eval_close(sweep_eval *e);

/* Run test images first .. first+n-1 under cfg (calibrated on the first
 * cfg->calib_images calibration images, through the cache).  The counts
 * add up over disjoint image ranges, so the images of one point can be
 * shared out. */
xb_status sweep_eval_run(sweep_eval *e, const xb_analog_config *cfg, size_t first, size_t n,
                         sweep_progress_fn progress, void *user, sweep_result *r,
                         xb_error *err);

/* ---- MPI (sweep_mpi.c) ---------------------------------------------------------- */

/* 1 when the process was started by an MPI launcher (mpirun, srun). */
int sweep_mpi_launched(void);
/* 1 when xbar was built with MPI. */
int sweep_mpi_available(void);
/* MPI_Init (thread level serialized); rank and size of MPI_COMM_WORLD. */
xb_status sweep_mpi_init(int *rank, int *size, xb_error *err);
void sweep_mpi_finalize(void);
/* End the whole job (every rank) with this exit status. */
void sweep_mpi_abort(int code);
/* Collective: the lowest rank that passed failed != 0, or -1 when none did. */
int sweep_mpi_first_failure(int failed);
/* Collective: rank 0's n bytes at buf to every rank. */
xb_status sweep_mpi_bcast(void *buf, size_t n, xb_error *err);

/* Called on rank 0 after a task's row is written (with its result). */
typedef void (*sweep_report_fn)(void *user, long task, const sweep_result *r,
                                const sweep_score *sc);

/* The tasks still to run, and where their rows go (rank 0). */
typedef struct {
    const sweep_config *c;
    const sweep_columns *cols;
    sweep_csv *csv;             /* rank 0 */
    sweep_eval *ev;
    sweep_score *scores;        /* rank 0: filled in as rows are written */
    long images;
    const long *tasks;          /* in order */
    long n_tasks;
    const char *git_version;
    sweep_report_fn report;     /* rank 0 */
    void *user;
    sweep_progress_fn progress; /* rank 0's own units */
    void *progress_user;
} sweep_job;

/* Collective: run j's tasks across the ranks (see sweep_mpi.c).  A rank other
 * than 0 returns its error for the caller to report and abort the job with;
 * rank 0 aborts the job itself after printing its error. */
xb_status sweep_mpi_run(const sweep_job *j, int rank, int size, xb_error *err);

/* ---- plots ------------------------------------------------------------------- */

/* Draw every plot of c whose x axis is an axis of the sweep, from the scores
 * (scores[0] the baseline, scores[p+1] point p), as DIR/accuracy_vs_<x>.png
 * and .svg.  The names of the files written are printed on stdout. */
xb_status sweep_plots_draw(const sweep_config *c, const sweep_score *scores, const char *dir,
                           xb_error *err);

#endif
