/* sweep_schedule.c: the one scheduler of a sweep, for any number of ranks; a
 * single process is the one-rank case.
 *
 * The work is a list of units: every task still to run (the baseline and the
 * points without a row), each split into S slices of its test images, where
 * S = ceil(R / tasks) for R ranks (1 when there are at least as many tasks as
 * ranks).  Slices start on batch boundaries, so every image is run in the
 * same batch as in a single-process sweep, and the counts of a task are sums
 * over its slices: the rows are the same numbers.
 *
 * Rank 0 hands out the units one at a time, in order, to whichever rank asks
 * (a rank asks again when its unit is done, sending its result along), and
 * runs units itself.  The handing out and the collecting are done by a
 * second thread of rank 0, so that a rank never waits for rank 0's own work;
 * it polls every few milliseconds and is otherwise asleep.  Rank 0 alone
 * writes the CSV: a task's row is appended (one write, fsync) as soon as all
 * its slices are in, so a crash of any rank loses no row already written;
 * tasks whose results were still in flight are run again by the next run. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sweep_internal.h"

#define POLL_NS 2000000L /* nanoseconds between rank 0's looks for requests */

typedef struct {
    const sw_job *j;
    long slices, n_units, next;   /* units are task-major: unit = i * slices + s */
    xb_sweep_result *agg;         /* per task of j->tasks: the sum over its slices */
    long *got;                    /* slices in, per task */
    int workers;                  /* ranks not yet told to stop */
    int stop;                     /* rank 0 gives up: the serving thread ends, own work stops */
    int halted;                   /* the caller's stop(): no unit is handed out any more */
    int abandon;                  /* ... and rank 0 drops the unit it is running */
    xb_status failed;             /* the serving thread's failure, described in err */
    xb_error err;
    pthread_mutex_t lock;
} coord;

/* Test images of unit u: whole batches, so that every image runs in the batch
 * it runs in on one rank. */
static void unit_range(const coord *k, long u, size_t *first, size_t *n)
{
    const sw_eval *e = k->j->ev;
    size_t b = (size_t)e->batch, nb = (e->test_n + b - 1) / b;
    size_t s = (size_t)(u % k->slices), S = (size_t)k->slices;
    size_t b0 = s * nb / S, b1 = (s + 1) * nb / S;
    size_t end = b1 * b < e->test_n ? b1 * b : e->test_n;
    *first = b0 * b;
    *n = end > *first ? end - *first : 0;
}

/* Rank 0's own progress: the caller's callback with the task; a failure of
 * the serving thread stops the unit. */
typedef struct {
    coord *k;
    long task;
} own_unit;

/* Ask the caller's stop(); from then on no unit is handed out (the serving
 * thread answers "no more" to the other ranks, which finish what they hold). */
static void ask_stop(coord *k)
{
    const xb_sweep_options *o = k->j->o;
    int want = o->stop ? o->stop(o->user) : XB_SWEEP_GO_ON;
    if (want == XB_SWEEP_GO_ON)
        return;
    pthread_mutex_lock(&k->lock);
    k->halted = 1;
    k->next = k->n_units;
    if (want == XB_SWEEP_STOP_NOW)
        k->abandon = 1;
    pthread_mutex_unlock(&k->lock);
}

static int own_progress(void *user, const char *phase, size_t done, size_t total)
{
    own_unit *p = user;
    const xb_sweep_options *o = p->k->j->o;
    if (o->progress)
        o->progress(o->user, p->task, phase, done, total);
    ask_stop(p->k);
    pthread_mutex_lock(&p->k->lock);
    int stop = p->k->stop || p->k->abandon;
    pthread_mutex_unlock(&p->k->lock);
    return stop;
}

static xb_status run_unit(coord *k, long u, int own, xb_sweep_result *r, xb_error *err)
{
    const sw_job *j = k->j;
    long t = j->tasks[u / k->slices];
    own_unit ctx = {k, t};
    xb_analog_config cfg;
    size_t first, n;
    unit_range(k, u, &first, &n);
    if (xb_sweep_task_config(j->c, t, &cfg, err) != XB_OK)
        return err->code;
    if (sw_eval_run(j->ev, &cfg, first, n, own ? own_progress : NULL, &ctx, r, err) != XB_OK) {
        char label[1024];
        xb_sweep_task_label(j->c, t, label, sizeof label);
        if (k->slices == 1)
            return xb_error_prefix(err, "%s", label);
        return xb_error_prefix(err, "%s, images %zu..%zu", label, first, first + n - 1);
    }
    return XB_OK;
}

static double max2(double a, double b) { return a > b ? a : b; }

/* Add r to the sum a of a task's slices: counts and work add up, wall times
 * are those of the slowest slice. */
static void add_slice(xb_sweep_result *a, const xb_sweep_result *r)
{
    a->images += r->images;
    a->correct += r->correct;
    a->seconds = max2(a->seconds, r->seconds);
    a->cpu_seconds += r->cpu_seconds;
    a->calib_seconds = max2(a->calib_seconds, r->calib_seconds);
    a->calib_cached &= r->calib_cached;
    a->stats.t_program = max2(a->stats.t_program, r->stats.t_program);
    a->stats.t_solve += r->stats.t_solve;
    a->stats.t_adc += r->stats.t_adc;
    a->stats.t_digital += r->stats.t_digital;
    a->stats.mvm_vectors += r->stats.mvm_vectors;
    if (r->stats.tiles > a->stats.tiles)
        a->stats.tiles = r->stats.tiles;
}

/* Add the result of unit u; write the task's row when its last slice is in.
 * Called with k->lock held. */
static xb_status record(coord *k, long u, const xb_sweep_result *r, xb_error *err)
{
    const sw_job *j = k->j;
    long i = u / k->slices;
    if (k->got[i] == 0)
        k->agg[i] = *r;
    else
        add_slice(&k->agg[i], r);
    if (++k->got[i] < k->slices)
        return XB_OK;
    long t = j->tasks[i];
    char *id = NULL;
    if (sw_task_id(j->c, j->cols, t, j->images, &id, err) != XB_OK)
        return err->code;
    xb_status s = sw_csv_append(j->csv, id, &k->agg[i], j->git_version, &j->scores[t + 1], err);
    free(id);
    if (s == XB_OK && j->o->report)
        j->o->report(j->o->user, t, &k->agg[i], &j->scores[t + 1]);
    return s;
}

/* Rank 0's second thread: answer the other ranks until all are told to stop
 * (or rank 0 gives up: the job is then aborted). */
static void *serve(void *p)
{
    coord *k = p;
    sw_unit_msg m;
    int source;
    for (;;) {
        pthread_mutex_lock(&k->lock);
        int done = k->workers == 0 || k->stop;
        pthread_mutex_unlock(&k->lock);
        if (done)
            return NULL;
        if (!sw_mpi_poll(&m, &source)) {
            struct timespec ts = {0, POLL_NS};
            nanosleep(&ts, NULL);
            continue;
        }
        pthread_mutex_lock(&k->lock);
        xb_status s = m.unit >= 0 ? record(k, m.unit, &m.r, &k->err) : XB_OK;
        long u = k->next < k->n_units ? k->next++ : -1;
        if (u < 0)
            k->workers--;
        if (s != XB_OK) {
            k->failed = s;
            k->stop = 1;
        }
        pthread_mutex_unlock(&k->lock);
        if (s != XB_OK)
            return NULL;
        sw_mpi_answer(source, u);
    }
}

/* A rank other than 0: ask for units and run them until there are no more. */
static xb_status work(coord *k, xb_error *err)
{
    sw_unit_msg m;
    memset(&m, 0, sizeof m);
    m.unit = -1;
    for (;;) {
        long u;
        if (sw_mpi_ask(&m, &u, err) != XB_OK)
            return err->code;
        if (u < 0)
            return XB_OK;
        if (run_unit(k, u, 0, &m.r, err) != XB_OK)
            return err->code;
        m.unit = u;
    }
}

/* Rank 0: run units until none is left, while the second thread serves. */
static xb_status lead(coord *k, int ranks, xb_error *err)
{
    k->agg = calloc((size_t)k->j->n_tasks, sizeof *k->agg);
    k->got = calloc((size_t)k->j->n_tasks, sizeof *k->got);
    if (!k->agg || !k->got)
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    k->workers = ranks - 1;
    xb_error_clear(&k->err);
    pthread_t th;
    xb_status s = XB_OK;
    int started = k->workers > 0 && pthread_create(&th, NULL, serve, k) == 0;
    if (k->workers > 0 && !started)
        s = xb_error_set(err, XB_EIO, "cannot start the thread that hands out the work");
    while (s == XB_OK) {
        ask_stop(k);
        pthread_mutex_lock(&k->lock);
        long u = k->next < k->n_units && !k->stop ? k->next++ : -1;
        pthread_mutex_unlock(&k->lock);
        if (u < 0)
            break;
        xb_sweep_result r;
        if ((s = run_unit(k, u, 1, &r, err)) != XB_OK) {
            pthread_mutex_lock(&k->lock);
            if (k->abandon) { /* the caller asked for it: not a failure */
                s = XB_OK;
                xb_error_clear(err);
            }
            pthread_mutex_unlock(&k->lock);
            break;
        }
        pthread_mutex_lock(&k->lock);
        s = record(k, u, &r, err);
        pthread_mutex_unlock(&k->lock);
    }
    pthread_mutex_lock(&k->lock);
    if (s != XB_OK)
        k->stop = 1;
    pthread_mutex_unlock(&k->lock);
    if (started)
        pthread_join(th, NULL);
    if (k->failed) {
        *err = k->err;
        s = k->failed;
    }
    return s;
}

xb_status sw_schedule(const sw_job *j, int rank, int size, int *must_abort, int *stopped,
                      xb_error *err)
{
    coord k = {.j = j};
    *must_abort = 0;
    *stopped = 0;
    k.slices = j->n_tasks >= size ? 1 : (size + j->n_tasks - 1) / j->n_tasks;
    size_t nb = (j->ev->test_n + (size_t)j->ev->batch - 1) / (size_t)j->ev->batch;
    if ((size_t)k.slices > nb)
        k.slices = nb ? (long)nb : 1;
    k.n_units = j->n_tasks * k.slices;
    pthread_mutex_init(&k.lock, NULL);
    xb_status s = rank != 0 ? work(&k, err) : lead(&k, size, err);
    pthread_mutex_destroy(&k.lock);
    *stopped = k.halted;
    free(k.agg);
    free(k.got);
    /* The other ranks wait on rank 0, and rank 0 on them. */
    *must_abort = s != XB_OK && size > 1;
    return s;
}
