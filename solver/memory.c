/* memory.c: memory budget, estimates and byte-count parsing. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

xb_status xb_parse_bytes(const char *s, size_t *bytes, xb_error *err)
{
    if (!s || !*s)
        return xb_error_set(err, XB_EINVAL, "byte count: empty");
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v <= 0)
        return xb_error_set(err, XB_EINVAL, "byte count '%s': expected a positive number such as 8G or 512M", s);
    double mult = 1;
    if (*end) {
        switch (toupper((unsigned char)*end)) {
        case 'K': mult = 1024.0; break;
        case 'M': mult = 1024.0 * 1024; break;
        case 'G': mult = 1024.0 * 1024 * 1024; break;
        case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
        case 'B': mult = 1; break;
        default:
            return xb_error_set(err, XB_EINVAL, "byte count '%s': unknown unit '%c' (use K, M, G or T)", s, *end);
        }
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return xb_error_set(err, XB_EINVAL, "byte count '%s': trailing characters '%s'", s, end);
    }
    double b = v * mult;
    if (b >= (double)SIZE_MAX)
        return xb_error_set(err, XB_EINVAL, "byte count '%s': too large", s);
    *bytes = (size_t)b;
    return XB_OK;
}
