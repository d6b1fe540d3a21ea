/* threads.c: the pool of worker threads (xb_threads.h).
 *
 * A run offers one job (a function, its context, a task count and a shared
 * counter of the next task).  Workers sleep on `wake` until a job is offered,
 * join it, take tasks from the counter until none is left, and leave it; the
 * caller takes tasks too, then withdraws the job and waits only for the
 * workers that joined it.  A worker that wakes after the job was withdrawn
 * finds nothing and sleeps again, so a descheduled worker delays no one. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "xb_threads.h"

typedef struct {
    xb_task_fn fn;
    void *ctx;
    long n;           /* tasks */
    atomic_long next; /* the next task to take */
    int users;        /* workers inside the job (under mu) */
} pool_job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;     /* workers: a job is on offer, or quit */
static pthread_cond_t left = PTHREAD_COND_INITIALIZER;     /* the caller: a worker left the job */
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER; /* one run at a time */
static pool_job *offer;    /* the job on offer (under mu), NULL when none */
static unsigned long gen;  /* jobs offered so far (under mu) */
static int started;        /* workers running: indices 1 .. started */
static int active = 1;     /* threads of the current run: workers below it take part */
static int quitting;
static int want;           /* xb_threads_set's count, 0 = the default */
static int hooks;          /* atexit and atfork handlers installed */
static pthread_t worker[XB_THREADS_MAX];
static _Thread_local int in_task;
static _Thread_local int self_index;

/* OMP_NUM_THREADS (its first number), else the CPUs of the affinity mask. */
static int default_threads(void)
{
    const char *e = getenv("OMP_NUM_THREADS");
    if (e && *e) {
        char *end;
        long n = strtol(e, &end, 10);
        if (end != e && n >= 1)
            return n > XB_THREADS_MAX ? XB_THREADS_MAX : (int)n;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1)
        return CPU_COUNT(&set) > XB_THREADS_MAX ? XB_THREADS_MAX : CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > XB_THREADS_MAX ? XB_THREADS_MAX : (int)n;
}

int xb_threads_get(void)
{
    pthread_mutex_lock(&mu);
    int n = want;
    pthread_mutex_unlock(&mu);
    return n > 0 ? n : default_threads();
}

xb_status xb_threads_set(int n, xb_error *err)
{
    if (n < 0 || n > XB_THREADS_MAX)
        return xb_error_set(err, XB_EINVAL, "threads = %d: must be 0 (the default) or 1 to %d", n,
                            XB_THREADS_MAX);
    pthread_mutex_lock(&mu);
    want = n;
    pthread_mutex_unlock(&mu);
#ifdef _OPENMP
    omp_set_num_threads(n > 0 ? n : default_threads());
#endif
    return XB_OK;
}

int xb_threads_in_task(void) { return in_task; }

static void take_tasks(pool_job *j, int self)
{
    int outer = in_task;
    in_task = 1;
    for (long t; (t = atomic_fetch_add(&j->next, 1)) < j->n;)
        j->fn(j->ctx, t, self);
    in_task = outer;
}

static void *worker_main(void *arg)
{
    const int self = (int)(long)arg;
    self_index = self;
#ifdef _OPENMP
    omp_set_num_threads(1); /* an OpenMP loop inside a task stays on this thread */
#endif
    unsigned long seen = 0;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!quitting && (!offer || seen == gen || self >= active)) {
            seen = offer ? gen : seen; /* a job this worker sits out */
            pthread_cond_wait(&wake, &mu);
        }
        if (quitting)
            break;
        seen = gen;
        pool_job *j = offer;
        j->users++;
        pthread_mutex_unlock(&mu);
        take_tasks(j, self);
        pthread_mutex_lock(&mu);
        if (--j->users == 0)
            pthread_cond_broadcast(&left);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* At exit: wake the workers and join them (unless a run is still going on). */
static void pool_stop(void)
{
    if (pthread_mutex_trylock(&run_mu))
        return;
    pthread_mutex_lock(&mu);
    quitting = 1;
    pthread_cond_broadcast(&wake);
    int n = started;
    pthread_mutex_unlock(&mu);
    for (int i = 1; i <= n; i++)
        pthread_join(worker[i], NULL);
    pthread_mutex_lock(&mu);
    started = 0;
    quitting = 0;
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&run_mu);
}

/* A forked child has none of the workers: it starts its own when it needs them. */
static void pool_forked(void)
{
    pthread_mutex_init(&mu, NULL);
    pthread_mutex_init(&run_mu, NULL);
    pthread_cond_init(&wake, NULL);
    pthread_cond_init(&left, NULL);
    offer = NULL;
    started = 0;
    quitting = 0;
}

/* Workers 1 .. n-1 running (under mu); returns how many threads there are. */
static int pool_grow(int n)
{
    if (!hooks) {
        hooks = 1;
        atexit(pool_stop);
        pthread_atfork(NULL, NULL, pool_forked);
    }
    while (started + 1 < n &&
           pthread_create(&worker[started + 1], NULL, worker_main, (void *)(long)(started + 1)) == 0)
        started++;
    return started + 1 < n ? started + 1 : n;
}

void xb_threads_run(long n_tasks, xb_task_fn fn, void *ctx)
{
    if (n_tasks <= 0)
        return;
    int n = n_tasks > 1 && !in_task ? xb_threads_get() : 1;
    if (n > 1 && pthread_mutex_trylock(&run_mu))
        n = 1; /* another thread's run holds the pool */
    pool_job j = {fn, ctx, n_tasks, 0, 0};
    if (n == 1) {
        take_tasks(&j, in_task ? self_index : 0);
        return;
    }
    pthread_mutex_lock(&mu);
    active = pool_grow(n);
    offer = &j;
    gen++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mu);
    self_index = 0;
    take_tasks(&j, 0);
    pthread_mutex_lock(&mu);
    offer = NULL;
    while (j.users > 0)
        pthread_cond_wait(&left, &mu);
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&run_mu);
}
