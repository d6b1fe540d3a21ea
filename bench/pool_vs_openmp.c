/* pool_vs_openmp: the same fork-join work through xbar's pool of threads
 * (xb_threads.h) and through an OpenMP parallel loop, to compare their wait
 * policies on a busy machine (docs/performance.md, "Threads").
 *
 * usage: pool_vs_openmp pool|omp T [WORK [RUNS]]
 *   RUNS runs (400) of 8 tasks, each WORK x 100 dependent additions (2000:
 *   about 0.16 ms); prints the wall and CPU seconds of the whole process.  For
 *   OpenMP, set OMP_WAIT_POLICY in the environment to compare its policies. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xb_base.h"
#include "xb_threads.h"

#ifndef _OPENMP
#error "pool_vs_openmp needs OpenMP"
#endif

#define TASKS 8

static int work_size = 2000;
static double sink[TASKS];

static void work(long t)
{
    double x = 0;
    for (int i = 0; i < work_size * 100; i++)
        x += (double)i * 1e-9;
    sink[t % TASKS] += x;
}

static void task(void *ctx, long t, int thread)
{
    (void)ctx, (void)thread;
    work(t);
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "pool") && strcmp(argv[1], "omp"))) {
        fprintf(stderr, "usage: pool_vs_openmp pool|omp T [WORK [RUNS]]\n");
        return 2;
    }
    const int pool = !strcmp(argv[1], "pool"), T = atoi(argv[2]), runs = argc > 4 ? atoi(argv[4]) : 400;
    if (argc > 3)
        work_size = atoi(argv[3]);
    if (T < 1 || T > XB_THREADS_MAX || work_size < 1 || runs < 1) {
        fprintf(stderr, "pool_vs_openmp: T, WORK and RUNS must be >= 1\n");
        return 2;
    }
    double t0 = xb_clock_now(), c0 = xb_clock_cpu();
    if (pool) {
        xb_threads_set(T, NULL);
        for (int r = 0; r < runs; r++)
            xb_threads_run(TASKS, task, NULL);
    } else {
        omp_set_num_threads(T);
        for (int r = 0; r < runs; r++) {
#pragma omp parallel for schedule(dynamic, 1)
            for (long t = 0; t < TASKS; t++)
                work(t);
        }
    }
    printf("%s, %d threads: wall %.3f s, CPU %.3f s\n", pool ? "pool" : "openmp", T, xb_clock_now() - t0,
           xb_clock_cpu() - c0);
    return 0;
}
