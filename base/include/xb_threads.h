/* xb_threads.h: the library's one pool of worker threads.
 *
 * Work that can run in parallel is cut into tasks and handed to
 * xb_threads_run(): the calling thread runs tasks too, and idle workers take
 * the next task from a shared counter, so a worker that the operating system
 * has not scheduled yet never holds the caller up: the caller only waits for
 * tasks that a worker has already started.  Workers that have nothing to do
 * sleep on a condition variable (a passive wait: no spinning, so a loaded
 * machine loses no CPU to them).
 *
 * The number of threads is process-wide: xb_threads_set(), else
 * OMP_NUM_THREADS, else the CPUs this process may run on (its affinity mask,
 * so an MPI rank bound to one core gets one thread).  It also sets OpenMP's,
 * for the solver's own parallel loops (used outside the pool's tasks only).
 * Callers must make their results independent of which thread runs which task
 * and of the number of threads; xbar's are, bit for bit. */
#ifndef XB_THREADS_H
#define XB_THREADS_H

#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Threads xb_threads_run uses (at least 1), the caller included. */
int xb_threads_get(void);
/* Use n threads from now on (1 = everything on the calling thread; 0 = the
 * default above).  XB_EINVAL for n < 0 or n > XB_THREADS_MAX. */
xb_status xb_threads_set(int n, xb_error *err);
#define XB_THREADS_MAX 256

/* One task: number task of the run, on thread thread (0 = the caller, then
 * 1 .. xb_threads_get() - 1; a thread runs one task at a time, so per-thread
 * scratch can be indexed by it). */
typedef void (*xb_task_fn)(void *ctx, long task, int thread);

/* Run fn(ctx, t, thread) for t = 0 .. n_tasks - 1, in any order, and return
 * when all have returned.  Everything runs on the calling thread when there is
 * one thread, when called from inside a task (nested: thread is then the
 * index of the task's thread) or while another thread's run is in progress
 * (thread 0).  Never fails: a worker that cannot be started leaves its share
 * to the others. */
void xb_threads_run(long n_tasks, xb_task_fn fn, void *ctx);

/* 1 on a thread that is running a task of xb_threads_run: nested parallel
 * loops should then run on this thread alone. */
int xb_threads_in_task(void);

#ifdef __cplusplus
}
#endif
#endif
