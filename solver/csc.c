/* csc.c: the symmetric sparse pattern of a nodal matrix in compressed columns.
 *
 * Both the linear nodal matrix (assemble.c) and Newton's Jacobian (newton.c)
 * connect unknowns pairwise: an element between two free nodes puts entries at
 * (a,a), (b,b), (a,b) and (b,a).  The pattern is stored in full (both
 * triangles) with sorted rows, so CHOLMOD (upper triangle) and KLU (all of it)
 * read the same arrays, and every element finds its entries by binary search
 * once, at assembly. */
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

xb_status xb_csc_symmetric(xb_csc *A, int n, long n_pairs, xb_csc_pair_fn pair, const void *ctx, xb_error *err)
{
    memset(A, 0, sizeof *A);
    A->n = n;
    /* Column counts: the diagonal plus both off-diagonals of each free-free pair. */
    A->p = calloc((size_t)n + 1, sizeof *A->p);
    if (!A->p)
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory for %d columns", n);
    for (int c = 0; c < n; c++)
        A->p[c + 1] = 1;
    for (long k = 0; k < n_pairs; k++) {
        int a, b;
        pair(ctx, k, &a, &b);
        if (a >= 0 && b >= 0) {
            A->p[a + 1]++;
            A->p[b + 1]++;
        }
    }
    for (int c = 0; c < n; c++)
        A->p[c + 1] += A->p[c];
    long cap = A->p[n];
    A->i = malloc((size_t)(cap ? cap : 1) * sizeof *A->i);
    int *fill = malloc((size_t)(n ? n : 1) * sizeof *fill);
    if (!A->i || !fill) {
        free(fill);
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory for %ld matrix entries", cap);
    }
    for (int c = 0; c < n; c++) {
        A->i[A->p[c]] = c;
        fill[c] = A->p[c] + 1;
    }
    for (long k = 0; k < n_pairs; k++) {
        int a, b;
        pair(ctx, k, &a, &b);
        if (a >= 0 && b >= 0) {
            A->i[fill[a]++] = b;
            A->i[fill[b]++] = a;
        }
    }
    free(fill);
    /* Sort each column and drop duplicates (parallel elements), compacting. */
    long w = 0;
    int start = 0;
    for (int c = 0; c < n; c++) {
        int end = A->p[c + 1];
        qsort(A->i + start, (size_t)(end - start), sizeof *A->i, cmp_int);
        long col_start = w;
        for (int q = start; q < end; q++)
            if (w == col_start || A->i[w - 1] != A->i[q])
                A->i[w++] = A->i[q];
        start = end;
        A->p[c] = (int)col_start;
        A->p[c + 1] = (int)w;
    }
    A->nnz = w;
    A->x = calloc((size_t)(w ? w : 1), sizeof *A->x);
    if (!A->x)
        return xb_error_set(err, XB_ENOMEM, "assembly: out of memory for %ld matrix values", w);
    return XB_OK;
}

long xb_csc_find(const xb_csc *A, int row, int col)
{
    int lo = A->p[col], hi = A->p[col + 1] - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (A->i[mid] == row)
            return mid;
        if (A->i[mid] < row)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

void xb_csc_free(xb_csc *A)
{
    free(A->p);
    free(A->i);
    free(A->x);
    memset(A, 0, sizeof *A);
}
