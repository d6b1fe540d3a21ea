/* xb_base.h: what every xbar module shares besides errors: the clock, files
 * written whole or not at all, folders, and numbers as text. */
#ifndef XB_BASE_H
#define XB_BASE_H

#include <stddef.h>
#include <stdio.h>

#include "xb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time ------------------------------------------------------------------- */

/* Seconds from a monotonic clock (CLOCK_MONOTONIC): only differences mean anything. */
double xb_clock_now(void);
/* CPU seconds of every thread of the process (CLOCK_PROCESS_CPUTIME_ID). */
double xb_clock_cpu(void);

/* ---- files written whole -----------------------------------------------------
 * A file is written under a temporary name beside its final one (the same
 * folder, so the same file system) and renamed over it only when everything
 * was written: a reader, a crash or a second process never sees half a file.
 *
 *   xb_atomic_file a;
 *   if (xb_atomic_open(&a, "out.csv", "w", &err) != XB_OK) return err.code;
 *   fprintf(a.f, ...);
 *   return xb_atomic_commit(&a, &err);   // or xb_atomic_discard(&a) */
typedef struct {
    FILE *f;    /* write here; NULL after commit or discard */
    char *tmp;  /* the temporary name */
    char *path; /* the final name */
} xb_atomic_file;

/* Create the temporary file for path (mode as fopen's: "w" or "wb"). */
xb_status xb_atomic_open(xb_atomic_file *a, const char *path, const char *mode, xb_error *err);
/* Flush, close and rename into place; on any failure remove the temporary file.
 * Releases a either way. */
xb_status xb_atomic_commit(xb_atomic_file *a, xb_error *err);
/* Give up: close and remove the temporary file.  Releases a. */
void xb_atomic_discard(xb_atomic_file *a);
/* A temporary name beside path, unique to this host and process:
 * "<path minus ext>.tmp.<host>.<pid><ext>" where ext is path's extension when
 * keep_ext is 1 (some writers choose the format from it), else empty.
 * Returns a malloc'd string, or NULL when out of memory. */
char *xb_temp_name(const char *path, int keep_ext);
/* rename(tmp, path) with a message naming both on failure (tmp is then removed). */
xb_status xb_replace_file(const char *tmp, const char *path, xb_error *err);

/* ---- folders ----------------------------------------------------------------- */

/* mkdir -p: make path and its missing parents (mode 0777 before the umask).
 * *created (may be NULL) is 1 when path itself did not exist before.  An
 * existing non-folder at path or on the way is an error. */
xb_status xb_mkdir_p(const char *path, int *created, xb_error *err);

/* ---- numbers as text --------------------------------------------------------- */

/* The shortest text that reads back as the same double: integers of magnitude
 * below 1e15 without a point ("3", "-40"), others in %g style with the fewest
 * significant digits (1 to 17) that round-trip ("1e-05", "0.30000000000000004");
 * "nan", "inf", "-inf" for the rest.  Needs cap >= 32; returns buf. */
char *xb_format_double(char *buf, size_t cap, double v);

/* Strict parsing: 1 when the whole of s is a finite number (a base-10 integer
 * for _long) and *out is set; 0 otherwise (NULL, empty, trailing text, out of
 * range), *out untouched. */
int xb_parse_double(const char *s, double *out);
int xb_parse_long(const char *s, long *out);

#ifdef __cplusplus
}
#endif
#endif
