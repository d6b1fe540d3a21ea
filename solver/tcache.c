/* tcache.c: a cache of transfer matrices keyed by xb_circuit_hash (xb_solver.h).
 * Newest first; when it holds more than max_bytes the oldest entries leave. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

typedef struct tc_entry {
    unsigned long long hash;
    int rows, cols;
    double *t;
    struct tc_entry *next;
} tc_entry;

struct xb_tcache {
    size_t max_bytes, bytes;
    tc_entry *head; /* newest first */
    long hits, misses;
};

xb_tcache *xb_tcache_new(size_t max_bytes, xb_error *err)
{
    xb_tcache *tc = calloc(1, sizeof *tc);
    if (!tc)
        xb_error_set(err, XB_ENOMEM, "transfer cache: out of memory");
    else
        tc->max_bytes = max_bytes;
    return tc;
}

void xb_tcache_free(xb_tcache *tc)
{
    if (!tc)
        return;
    for (tc_entry *e = tc->head, *n; e; e = n) {
        n = e->next;
        free(e->t);
        free(e);
    }
    free(tc);
}

void xb_tcache_stats(const xb_tcache *tc, long *hits, long *misses)
{
    if (hits)
        *hits = tc ? tc->hits : 0;
    if (misses)
        *misses = tc ? tc->misses : 0;
}

static tc_entry *tc_find(xb_tcache *tc, unsigned long long h, int rows, int cols)
{
    for (tc_entry *e = tc->head; e; e = e->next)
        if (e->hash == h && e->rows == rows && e->cols == cols)
            return e;
    return NULL;
}

int xb_tcache_get(xb_tcache *tc, unsigned long long h, int rows, int cols, double *t)
{
    const tc_entry *e = tc_find(tc, h, rows, cols);
    if (!e) {
        tc->misses++;
        return 0;
    }
    memcpy(t, e->t, (size_t)rows * cols * sizeof *t);
    tc->hits++;
    return 1;
}

void xb_tcache_put(xb_tcache *tc, unsigned long long h, int rows, int cols, const double *t)
{
    size_t bytes = (size_t)rows * cols * sizeof *t;
    if (tc->max_bytes && bytes > tc->max_bytes)
        return;
    tc_entry *e = malloc(sizeof *e);
    double *copy = malloc(bytes);
    if (!e || !copy) { /* a cache that cannot grow just misses */
        free(e);
        free(copy);
        return;
    }
    memcpy(copy, t, bytes);
    *e = (tc_entry){h, rows, cols, copy, tc->head};
    tc->head = e;
    tc->bytes += bytes;
    while (tc->max_bytes && tc->bytes > tc->max_bytes) { /* drop the oldest */
        tc_entry **pp = &tc->head;
        while ((*pp)->next)
            pp = &(*pp)->next;
        tc->bytes -= (size_t)(*pp)->rows * (*pp)->cols * sizeof(double);
        free((*pp)->t);
        free(*pp);
        *pp = NULL;
    }
}

