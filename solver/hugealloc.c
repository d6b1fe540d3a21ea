/* hugealloc.c: the allocator SuiteSparse uses, with huge pages for big blocks.
 *
 * A 2048x2048 array's factor holds billions of bytes.  Touching them page by
 * page costs millions of page faults (tens of seconds of system time on a virtual
 * machine); blocks of 32 MiB and more are therefore mapped directly and advised
 * to use transparent huge pages.  Small blocks go to malloc.  Every block carries
 * a 64-byte header that says which kind it is, so free and realloc route it back.
 *
 * SuiteSparse's hooks are process-wide, and a block that the default allocator
 * handed out must never reach ours (it has no header), so the switch is an
 * explicit call made before any solver: xb_solver_huge_pages_enable
 * (docs/solver.md has what it gains). */
#define _DEFAULT_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <SuiteSparse_config.h>

#include "solver_internal.h"

#define HUGE_MIN ((size_t)32 << 20) /* bytes: blocks this large are mapped */
#define HDR 64                       /* header bytes: keeps 64-byte alignment */
#define KIND_HEAP 0x48454150u
#define KIND_MAP 0x4d415050u

typedef struct {
    uint32_t kind;
    size_t size; /* payload bytes */
} hdr;

static void *xb_ss_malloc(size_t n)
{
    if (n > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p;
    hdr h = {KIND_HEAP, n};
    if (n >= HUGE_MIN) {
        p = mmap(NULL, n + HDR, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, n + HDR, MADV_HUGEPAGE);
#endif
        h.kind = KIND_MAP;
    } else {
        p = malloc(n + HDR);
        if (!p)
            return NULL;
    }
    memcpy(p, &h, sizeof h);
    return p + HDR;
}

static void xb_ss_free(void *q)
{
    if (!q)
        return;
    unsigned char *p = (unsigned char *)q - HDR;
    hdr h;
    memcpy(&h, p, sizeof h);
    if (h.kind == KIND_MAP)
        munmap(p, h.size + HDR);
    else
        free(p);
}

static void *xb_ss_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    void *q = xb_ss_malloc(bytes);
    if (q && bytes < HUGE_MIN) /* fresh mappings are already zero */
        memset(q, 0, bytes);
    return q;
}

static void *xb_ss_realloc(void *q, size_t n)
{
    if (!q)
        return xb_ss_malloc(n);
    hdr h;
    memcpy(&h, (unsigned char *)q - HDR, sizeof h);
    void *r = xb_ss_malloc(n);
    if (!r)
        return NULL;
    memcpy(r, q, h.size < n ? h.size : n);
    xb_ss_free(q);
    return r;
}

/* Set by the first solver that may call SuiteSparse: from then on blocks it
 * allocated with the default allocator may be alive, and must not reach ours. */
static atomic_int suitesparse_used;
static atomic_int installed;

void xb_suitesparse_note_use(void) { atomic_store(&suitesparse_used, 1); }

xb_status xb_solver_huge_pages_enable(xb_error *err)
{
    if (atomic_load(&installed))
        return XB_OK;
    if (atomic_load(&suitesparse_used))
        return xb_error_set(err, XB_EINVAL,
                            "huge pages: SuiteSparse's allocator can only be replaced before the first solver");
    int expected = 0;
    if (!atomic_compare_exchange_strong(&installed, &expected, 1))
        return XB_OK;
    SuiteSparse_config.malloc_func = xb_ss_malloc;
    SuiteSparse_config.calloc_func = xb_ss_calloc;
    SuiteSparse_config.realloc_func = xb_ss_realloc;
    SuiteSparse_config.free_func = xb_ss_free;
    return XB_OK;
}
