/* sweep_mpi.c: `mpirun -np R xbar sweep`: the tasks of a sweep shared out
 * across MPI ranks.
 *
 * The work is a list of units: every task still to run (the baseline and the
 * points without a row), each split into S slices of its test images, where
 * S = ceil(R / tasks) (1 when there are at least as many tasks as ranks).
 * Slices start on batch boundaries, so every image is run in the same batch
 * as in a single-process sweep, and the counts of a task are sums over its
 * slices: the rows are the same numbers.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_sweep.h"

int sweep_mpi_launched(void)
{
    /* Open MPI's mpirun, and PMI/PMIx launchers (srun, hydra). */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

#ifndef XB_HAVE_MPI

int sweep_mpi_available(void) { return 0; }
xb_status sweep_mpi_init(int *rank, int *size, xb_error *err)
{
    *rank = 0;
    *size = 1;
    return xb_error_set(err, XB_EUNSUPPORTED, "this xbar was built without MPI");
}
void sweep_mpi_finalize(void) {}
void sweep_mpi_abort(int code) { exit(code); }
int sweep_mpi_first_failure(int failed) { return failed ? 0 : -1; }
xb_status sweep_mpi_bcast(void *buf, size_t n, xb_error *err)
{
    (void)buf;
    (void)n;
    (void)err;
    return XB_OK;
}
xb_status sweep_mpi_run(const sweep_job *j, int rank, int size, xb_error *err)
{
    (void)j;
    (void)rank;
    (void)size;
    return xb_error_set(err, XB_EUNSUPPORTED, "this xbar was built without MPI");
}

#else

#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <time.h>

#define TAG_ASK 11    /* rank -> 0: a finished unit (or none) and a request for the next */
#define TAG_UNIT 12   /* 0 -> rank: the next unit, or -1: no more */
#define POLL_NS 2000000L

int sweep_mpi_available(void) { return 1; }

static int mpi_started;

xb_status sweep_mpi_init(int *rank, int *size, xb_error *err)
{
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return xb_error_set(err, XB_EIO, "MPI_Init_thread failed");
    mpi_started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    if (provided < MPI_THREAD_SERIALIZED && *size > 1)
        return xb_error_set(err, XB_EUNSUPPORTED, "the MPI library gives thread level %d; "
                            "xbar sweep needs MPI_THREAD_SERIALIZED (%d)", provided,
                            MPI_THREAD_SERIALIZED);
    return XB_OK;
}

void sweep_mpi_finalize(void)
{
    if (mpi_started)
        MPI_Finalize();
    mpi_started = 0;
}

void sweep_mpi_abort(int code)
{
    fflush(stdout);
    fflush(stderr);
    if (mpi_started)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

int sweep_mpi_first_failure(int failed)
{
    int rank, size, mine, first;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    mine = failed ? rank : size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return first < size ? first : -1;
}

xb_status sweep_mpi_bcast(void *buf, size_t n, xb_error *err)
{
    for (size_t off = 0; off < n;) {
        int m = n - off > (size_t)INT_MAX ? INT_MAX : (int)(n - off);
        if (MPI_Bcast((char *)buf + off, m, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return xb_error_set(err, XB_EIO, "MPI_Bcast failed");
        off += (size_t)m;
    }
    return XB_OK;
}

/* What a rank sends back: the unit it ran (-1: none yet) and its result. */
typedef struct {
    long unit;
    sweep_result r;
} unit_msg;

typedef struct {
    const sweep_job *j;
    long slices, n_units, next;   /* units are task-major: unit = i * slices + s */
    sweep_result *agg;            /* per task of j->tasks: the sum over its slices */
    long *got;                    /* slices in, per task */
    int workers;                  /* ranks not yet told to stop */
    pthread_mutex_t lock;
} coord;

/* Test images of unit u: whole batches, so that every image runs in the batch
 * it runs in without MPI. */
static void unit_range(const coord *k, long u, size_t *first, size_t *n)
{
    const sweep_eval *e = k->j->ev;
    size_t b = (size_t)e->batch, nb = (e->test_n + b - 1) / b;
    size_t s = (size_t)(u % k->slices), S = (size_t)k->slices;
    size_t b0 = s * nb / S, b1 = (s + 1) * nb / S;
    size_t end = b1 * b < e->test_n ? b1 * b : e->test_n;
    *first = b0 * b;
    *n = end > *first ? end - *first : 0;
}

static xb_status run_unit(const coord *k, long u, sweep_progress_fn progress, void *user,
                          sweep_result *r, xb_error *err)
{
    const sweep_job *j = k->j;
    long t = j->tasks[u / k->slices];
    xb_analog_config cfg;
    size_t first, n;
    unit_range(k, u, &first, &n);
    if (sweep_task_config(j->c, t, &cfg, err) != XB_OK)
        return err->code;
    if (sweep_eval_run(j->ev, &cfg, first, n, progress, user, r, err) != XB_OK) {
        char label[1024];
        sweep_task_label(j->c, t, label, sizeof label);
        return xb_error_prefix(err, "%s, images %zu..%zu", label, first, first + n - 1);
    }
    return XB_OK;
}

/* Add the result of unit u; write the task's row when its last slice is in.
 * Called with k->lock held. */
static xb_status record(coord *k, long u, const sweep_result *r, xb_error *err)
{
    const sweep_job *j = k->j;
    long i = u / k->slices;
    sweep_result *a = &k->agg[i];
    if (k->got[i] == 0) {
        *a = *r;
    } else {
        a->images += r->images;
        a->correct += r->correct;
        a->seconds = r->seconds > a->seconds ? r->seconds : a->seconds;
        a->cpu_seconds += r->cpu_seconds;
        a->calib_seconds = r->calib_seconds > a->calib_seconds ? r->calib_seconds
                                                              : a->calib_seconds;
        a->calib_cached &= r->calib_cached;
        a->stats.t_program = r->stats.t_program > a->stats.t_program ? r->stats.t_program
                                                                      : a->stats.t_program;
        a->stats.t_solve += r->stats.t_solve;
        a->stats.t_adc += r->stats.t_adc;
        a->stats.t_digital += r->stats.t_digital;
        a->stats.mvm_vectors += r->stats.mvm_vectors;
        if (r->stats.tiles > a->stats.tiles)
            a->stats.tiles = r->stats.tiles;
    }
    if (++k->got[i] < k->slices)
        return XB_OK;
    long t = j->tasks[i];
    char *id = NULL;
    if (sweep_task_id(j->c, j->cols, t, j->images, &id, err) != XB_OK)
        return err->code;
    xb_status s = sweep_csv_append(j->csv, id, a, j->git_version, &j->scores[t + 1], err);
    free(id);
    if (s == XB_OK && j->report)
        j->report(j->user, t, a, &j->scores[t + 1]);
    return s;
}

static void fail_abort(const char *what, const xb_error *err)
{
    fprintf(stderr, "xbar sweep: %s: %s\n", what, err->msg);
    sweep_mpi_abort(1);
}

/* Rank 0's second thread: answer the other ranks until all are told to stop. */
static void *serve(void *p)
{
    coord *k = p;
    unit_msg m;
    xb_error err;
    xb_error_clear(&err);
    for (;;) {
        pthread_mutex_lock(&k->lock);
        int left = k->workers;
        pthread_mutex_unlock(&k->lock);
        if (left == 0)
            return NULL;
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            struct timespec ts = {0, POLL_NS};
            nanosleep(&ts, NULL);
            continue;
        }
        MPI_Recv(&m, (int)sizeof m, MPI_BYTE, st.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        pthread_mutex_lock(&k->lock);
        xb_status s = m.unit >= 0 ? record(k, m.unit, &m.r, &err) : XB_OK;
        long u = k->next < k->n_units ? k->next++ : -1;
        if (u < 0)
            k->workers--;
        pthread_mutex_unlock(&k->lock);
        if (s != XB_OK)
            fail_abort("rank 0", &err);
        MPI_Send(&u, 1, MPI_LONG, st.MPI_SOURCE, TAG_UNIT, MPI_COMM_WORLD);
    }
}

xb_status sweep_mpi_run(const sweep_job *j, int rank, int size, xb_error *err)
{
    coord k = {.j = j};
    k.slices = j->n_tasks >= size ? 1 : (size + j->n_tasks - 1) / j->n_tasks;
    size_t nb = (j->ev->test_n + (size_t)j->ev->batch - 1) / (size_t)j->ev->batch;
    if ((size_t)k.slices > nb)
        k.slices = nb ? (long)nb : 1;
    k.n_units = j->n_tasks * k.slices;

    if (rank != 0) {
        unit_msg m;
        memset(&m, 0, sizeof m);
        m.unit = -1;
        for (;;) {
            long u;
            MPI_Send(&m, (int)sizeof m, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
            MPI_Recv(&u, 1, MPI_LONG, 0, TAG_UNIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (u < 0)
                return XB_OK;
            if (run_unit(&k, u, NULL, NULL, &m.r, err) != XB_OK)
                return err->code;
            m.unit = u;
        }
    }

    k.agg = calloc((size_t)j->n_tasks, sizeof *k.agg);
    k.got = calloc((size_t)j->n_tasks, sizeof *k.got);
    if (!k.agg || !k.got) {
        free(k.agg);
        free(k.got);
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    }
    k.workers = size - 1;
    pthread_mutex_init(&k.lock, NULL);
    pthread_t th;
    xb_status s = XB_OK;
    int started = k.workers > 0 && pthread_create(&th, NULL, serve, &k) == 0;
    if (k.workers > 0 && !started)
        s = xb_error_set(err, XB_EIO, "cannot start the thread that hands out the work");
    while (s == XB_OK) {
        pthread_mutex_lock(&k.lock);
        long u = k.next < k.n_units ? k.next++ : -1;
        pthread_mutex_unlock(&k.lock);
        if (u < 0)
            break;
        sweep_result r;
        if ((s = run_unit(&k, u, j->progress, j->progress_user, &r, err)) != XB_OK)
            break;
        pthread_mutex_lock(&k.lock);
        s = record(&k, u, &r, err);
        pthread_mutex_unlock(&k.lock);
    }
    if (s != XB_OK)
        fail_abort("rank 0", err); /* the other ranks are waiting on rank 0 */
    if (started)
        pthread_join(th, NULL);
    pthread_mutex_destroy(&k.lock);
    free(k.agg);
    free(k.got);
    return s;
}

#endif
