/* sweep_internal.h: the sweep engine behind xb_sweep.h, one idea per file:
 *   sweep_config.c    the JSON file: top-level keys, paths, reading
 *   sweep_params.c    its parameters: base, baseline, axes, plots
 *   sweep_grid.c      points and tasks: their configurations and labels
 *   sweep_columns.c   the columns of the results file and a task's row id
 *   sweep_csv.c       the results file: resuming, durable appends, sorting
 *   sweep_eval.c      one task: configure, run the test images, score
 *   sweep_calib.c     the calibration cache
 *   sweep_schedule.c  the one scheduler: tasks split into units across ranks
 *   sweep_mpi.c       MPI: start, agree on failures, pass the units
 *   sweep_run.c       xb_sweep_run: the whole run, from the file to the plots
 *   sweep_plot.c      accuracy plots (PNG and SVG). */
#ifndef XB_SWEEP_INTERNAL_H
#define XB_SWEEP_INTERNAL_H

#include <stddef.h>

#include "xb_base.h"
#include "xb_dataset.h"
#include "xb_model.h"
#include "xb_sweep.h"

/* ---- text ---------------------------------------------------------------------- */

/* A growing string; failed is set (and stays) when an allocation failed. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sw_buf;

void sw_buf_add(sw_buf *b, const char *s, size_t n);
/* Append s as one CSV field, after a comma unless it is the first. */
void sw_buf_field(sw_buf *b, const char *s);
/* One CSV field: quoted when it holds a comma or a quote (newlines become spaces). */
char *sw_csv_field(const char *s);
/* A copy of s, or NULL when out of memory. */
char *sw_strdup(const char *s);

/* ---- reading a configuration (sweep_params.c) ------------------------------------ */

struct cJSON;
/* A second member with the same name (cJSON keeps both), or NULL. */
const struct cJSON *sw_json_duplicate(const struct cJSON *obj);
/* Check that key = value is accepted, and (canon not NULL) give its text as
 * xb_analog_config_get() writes it; messages say "path: what: ...". */
xb_status sw_param_check(const char *key, const char *value, char *canon, size_t len,
                         const char *path, const char *what, xb_error *err);
/* An object of parameters ("base", "baseline"). */
xb_status sw_params_get(const struct cJSON *obj, const char *name, const char *path,
                        xb_sweep_param **out, int *n, xb_error *err);
/* "axes": sets c->axes, n_axes and n_points. */
xb_status sw_axes_get(const struct cJSON *obj, const char *path, xb_sweep_config *c,
                      xb_error *err);
/* "plots" (v may be NULL: the defaults), after the axes. */
xb_status sw_plots_get(const struct cJSON *v, const char *path, xb_sweep_config *c,
                       xb_error *err);

/* ---- the results file --------------------------------------------------------- */

/* The columns: kind, every parameter (axes first), model, dataset, images —
 * together they identify a row — then the results. */
typedef struct {
    char **names;
    int n;
    int n_id;       /* columns 0 .. n_id-1 identify a task */
    char **keys;    /* the parameter keys, in column order (columns 1 .. n_keys) */
    int n_keys;
} sw_columns;

xb_status sw_columns_make(const xb_sweep_config *c, sw_columns *cols, xb_error *err);
void sw_columns_free(sw_columns *cols);
/* The identifying fields of task t, joined by ',' (as in the file). */
xb_status sw_task_id(const xb_sweep_config *c, const sw_columns *cols, long t, long images,
                     char **id, xb_error *err);
/* The header line (with its newline), or NULL when out of memory. */
char *sw_header_line(const sw_columns *cols);
/* The names of the result columns, after the identifying ones. */
extern const char *const sw_result_cols[];
#define SW_N_RESULT 15

/* The open results file.  Holds an exclusive lock (flock) until closed. */
typedef struct {
    int fd;
    char *path;
    size_t rows;    /* data rows in the file */
    size_t dropped; /* bytes of an incomplete last line cut off when opening */
} sw_csv;

/* Open (creating) path; cut a partial last line left by a crash; write the
 * header to an empty file or check the existing one; read every row and mark
 * its task done in scores[] (index t+1, so the baseline is scores[0]).  A row
 * that matches no task, a second row for a task, or a row with a wrong field
 * count is an error. */
xb_status sw_csv_open(sw_csv *f, const char *path, const xb_sweep_config *c,
                      const sw_columns *cols, long images, xb_sweep_score *scores,
                      xb_error *err);
/* Append the row of a finished task (id from sw_task_id) with a single
 * write() of the whole line, then fsync(); fill in its score. */
xb_status sw_csv_append(sw_csv *f, const char *id, const xb_sweep_result *r,
                        const char *git_version, xb_sweep_score *score, xb_error *err);
void sw_csv_close(sw_csv *f);
/* Put the rows in task order (the baseline first, then the points), when they
 * are not: rows are appended as tasks finish, which is out of order when they
 * run in parallel.  The sorted file is written beside the old one and renamed
 * over it, so a crash leaves one or the other, whole. */
xb_status sw_csv_sort(sw_csv *f, const xb_sweep_config *c, const sw_columns *cols, long images,
                      xb_error *err);

/* ---- evaluating a task ---------------------------------------------------------- */

/* Progress of a task; a non-zero return stops it (XB_EINTERNAL "stopped"). */
typedef int (*sw_progress_fn)(void *user, const char *phase, size_t done, size_t total);

/* Everything a task needs that does not change from task to task. */
typedef struct {
    xb_model *model;
    int c, h, w, classes;
    size_t chw;              /* floats per image */
    float *calib_x;          /* calibration images, NCHW */
    int calib_n;
    xb_dataset *test;
    size_t test_n;           /* test images per task */
    float *test_x;           /* all test images when they fit in memory, else NULL */
    int *test_labels;        /* test_n labels */
    int batch;
    float *x, *logits;       /* one batch */
    char *cache_dir;         /* the calibration cache */
    unsigned long long salt; /* model content, calibration images and batch, for cache keys */
    void (*warning)(void *user, const char *msg); /* cache trouble; may be NULL */
    void *user;
} sw_eval;

/* Load the model and datasets of c; calib_n calibration images are read. */
xb_status sw_eval_open(sw_eval *e, const xb_sweep_config *c, long images, int calib_n,
                       xb_error *err);
void sw_eval_close(sw_eval *e);
/* Run test images first .. first+n-1 under cfg (calibrated on the first
 * cfg->calib_images calibration images, through the cache).  The counts add
 * up over disjoint image ranges, so the images of one task can be shared out. */
xb_status sw_eval_run(sw_eval *e, const xb_analog_config *cfg, size_t first, size_t n,
                      sw_progress_fn progress, void *user, xb_sweep_result *r, xb_error *err);

/* The cache key's part that is not the configuration: the model's bytes, the
 * calibration images and the batch. */
xb_status sw_calib_salt(const xb_sweep_config *c, int batch, unsigned long long *salt,
                        xb_error *err);
/* Calibrate a through the cache (sweep_calib.c); *cached is 1 when it was loaded. */
xb_status sw_calibrate(sw_eval *e, xb_analog *a, const xb_analog_config *cfg,
                       sw_progress_fn progress, void *user, int *cached, xb_error *err);

/* ---- MPI (sweep_mpi.c) ------------------------------------------------------------ */

/* 1 when the process was started by an MPI launcher (mpirun, srun). */
int sw_mpi_launched(void);
/* 1 when xbar was built with MPI. */
int sw_mpi_available(void);
/* MPI_Init (thread level serialized) unless already done; rank and size of
 * MPI_COMM_WORLD.  sw_mpi_finalize() finalizes only what this started. */
xb_status sw_mpi_init(int *rank, int *size, xb_error *err);
void sw_mpi_finalize(void);
/* Collective: the lowest rank that passed failed != 0, or -1 when none did. */
int sw_mpi_first_failure(int failed);
/* Collective: rank 0's n bytes at buf to every rank. */
xb_status sw_mpi_bcast(void *buf, size_t n, xb_error *err);

/* What a rank sends rank 0: the unit it ran (-1: none yet) and its result. */
typedef struct {
    long unit;
    xb_sweep_result r;
} sw_unit_msg;
/* A rank other than 0: send m, and receive the next unit (-1: no more). */
xb_status sw_mpi_ask(const sw_unit_msg *m, long *next, xb_error *err);
/* Rank 0: 1 and the message and its sender when a rank has asked, else 0. */
int sw_mpi_poll(sw_unit_msg *m, int *source);
/* Rank 0: the answer to source's request. */
void sw_mpi_answer(int source, long unit);

/* ---- the scheduler (sweep_schedule.c) -------------------------------------------- */

/* The tasks still to run, and where their rows go (rank 0). */
typedef struct {
    const xb_sweep_config *c;
    const sw_columns *cols;
    sw_csv *csv;                /* rank 0 */
    sw_eval *ev;
    xb_sweep_score *scores;     /* rank 0: filled in as rows are written */
    long images;
    const long *tasks;          /* in order */
    long n_tasks;
    const char *git_version;
    const xb_sweep_options *o;  /* callbacks (rank 0) */
} sw_job;

/* Collective: run j's tasks across the ranks (one rank: all of them here).
 * On failure *must_abort is 1 when other ranks may still wait for this one;
 * *stopped is 1 when the caller's stop() ended the run early (rank 0). */
xb_status sw_schedule(const sw_job *j, int rank, int size, int *must_abort, int *stopped,
                      xb_error *err);

/* ---- plots (sweep_plot.c) ---------------------------------------------------------- */

/* Draw every plot of c whose x axis is an axis of the sweep, from the scores
 * (scores[0] the baseline, scores[p+1] point p), as DIR/accuracy_vs_<x>.png
 * and .svg; o->plot hears of every file written or plot skipped. */
xb_status sw_plots_draw(const xb_sweep_config *c, const xb_sweep_score *scores, const char *dir,
                        const xb_sweep_options *o, xb_error *err);

#endif
