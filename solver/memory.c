/* memory.c: the memory budget and the estimates checked against it. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "solver_internal.h"

size_t xb_physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0)
        return 0;
    return (size_t)pages * (size_t)page;
}

/* Bytes per cell of everything built before the factorization: the circuit copy,
 * three elements and three stamps per cell, node tables over 2 raw nodes per cell,
 * and up to 8 matrix entries per cell held twice (ours and CHOLMOD's copy). */
#define XB_BYTES_PER_CELL (3 * sizeof(double) + 3 * sizeof(xb_elem) + 3 * sizeof(xb_stamp) + \
                           2 * (2 * sizeof(int) + sizeof(double)) + 2 * 8 * (sizeof(int) + sizeof(double)))

size_t xb_estimate_assembly_bytes(int rows, int cols)
{
    double cells = (double)rows * (double)cols;
    double bytes = cells * (double)XB_BYTES_PER_CELL + 64.0 * (rows + cols);
    return bytes > (double)SIZE_MAX ? SIZE_MAX : (size_t)bytes;
}
