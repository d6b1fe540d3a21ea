/* analog_par.c: how the analog core uses the pool of threads (xb_threads.h).
 *
 * A layer call's k input vectors are cut into chunks of consecutive vectors;
 * each chunk runs the whole pipeline of a tile (bit planes, array solves, ADC,
 * shift-and-add, partial sums) for its vectors, on whichever thread takes it.
 * Every vector's arithmetic is the same whatever the chunk, so the results do
 * not depend on the number of threads; what does depend on the order of the
 * vectors (the calibration's reservoir samples) is done afterwards on one
 * thread.  Arrays whose solves carry state from one vector to the next (the
 * Newton paths) get one chunk, so each sees its vectors in the same order as
 * with one thread, and their arrays run in parallel instead. */
#include <stdlib.h>
#include <string.h>

#include "analog_impl.h"

/* Chunks per thread: enough that a thread delayed by the rest of the machine
 * leaves its share to the others, few enough that each chunk is still a
 * large batch for the arrays. */
#define AN_CHUNKS_PER_THREAD 4
#define AN_CHUNK_MIN 4 /* vectors per chunk, at least */

int an_grow(void *p, size_t *cap, size_t n, size_t elem)
{
    void **pp = p;
    if (n <= *cap && *pp)
        return 0;
    size_t m = n > *cap + *cap / 2 ? n : *cap + *cap / 2;
    void *q = malloc((m ? m : 1) * elem);
    if (!q)
        return -1;
    free(*pp);
    *pp = q;
    *cap = m;
    return 0;
}

long an_chunks(size_t k, int concurrent)
{
    int T = xb_threads_get();
    if (!concurrent || T <= 1 || xb_threads_in_task() || k < 2 * AN_CHUNK_MIN)
        return 1;
    size_t n = (size_t)T * AN_CHUNKS_PER_THREAD, most = k / AN_CHUNK_MIN;
    return (long)(n < most ? n : most);
}

void an_chunk_range(size_t k, long nck, long c, size_t *k0, size_t *k1)
{
    *k0 = k * (size_t)c / (size_t)nck;
    *k1 = k * (size_t)(c + 1) / (size_t)nck;
}

void an_merge_stats(xb_analog *a)
{
    for (int i = 0; i < XB_THREADS_MAX; i++) {
        xb_analog_stats *s = &a->thr[i].st;
        a->stats.t_program += s->t_program;
        a->stats.tiles += s->tiles;
        a->stats.t_solve += s->t_solve;
        a->stats.t_adc += s->t_adc;
        a->stats.t_digital += s->t_digital;
        a->stats.mvm_vectors += s->mvm_vectors;
        memset(s, 0, sizeof *s);
        a->sums_hash += a->thr[i].sums_hash;
        a->thr[i].sums_hash = 0;
    }
}

void an_free_par(xb_analog *a)
{
    for (int i = 0; i < XB_THREADS_MAX; i++) {
        an_thread *t = &a->thr[i];
        free(t->lv);
        free(t->in);
        free(t->ip);
        free(t->im);
        free(t->ones);
        free(t->out);
        free(t->cal);
        free(t->q);
        free(t->reads);
        xb_solver_work_free(t->work);
        memset(t, 0, sizeof *t);
    }
    free(a->xp);
    free(a->xn);
    free(a->acc);
    free(a->q);
    free(a->ipcal);
    free(a->ors);
    free(a->cerr);
}

void an_run(long n, xb_task_fn task, void *ctx)
{
    if (n == 1 && !xb_threads_in_task())
        task(ctx, 0, 0); /* not as a pool task: the chunk's arrays may use the pool */
    else
        xb_threads_run(n, task, ctx);
}

xb_status an_first_error(const xb_error *e, long n, xb_error *err)
{
    for (long c = 0; c < n; c++)
        if (e[c].code) {
            if (err)
                *err = e[c];
            return e[c].code;
        }
    return XB_OK;
}
