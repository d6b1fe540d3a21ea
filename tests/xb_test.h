/* xb_test.h: a minimal assertion harness for the ctest executables. */
#ifndef XB_TEST_H
#define XB_TEST_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

extern int xb_test_failures;

#define XB_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    xb_test_failures++; } } while (0)

#define XB_CHECK_MSG(cond, ...) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); xb_test_failures++; } } while (0)

/* |a-b| <= tol * max(|scale|, tiny) */
#define XB_CHECK_REL(a, b, scale, tol) do { double _a = (a), _b = (b), _s = fabs(scale); \
    if (!(fabs(_a - _b) <= (tol) * (_s > 0 ? _s : 1e-300))) { \
    fprintf(stderr, "%s:%d: %s=%.17g vs %s=%.17g rel=%.3g > %.3g\n", __FILE__, __LINE__, \
            #a, _a, #b, _b, fabs(_a - _b) / (_s > 0 ? _s : 1e-300), (double)(tol)); \
    xb_test_failures++; } } while (0)

/* Path of a file in the source tree (XB_SOURCE_DIR set by ctest). */
const char *xb_test_src(const char *rel);
/* Path of the xbar executable (XB_XBAR set by ctest). */
const char *xb_test_xbar(void);
/* A fresh temporary directory for this test; removed by nothing (ctest sandbox). */
const char *xb_test_tmpdir(void);
/* Path of rel inside xb_test_tmpdir() (one of 8 rotating buffers). */
const char *xb_test_tmp(const char *rel);
/* The whole file as a NUL-terminated string (free it); "" when it cannot be read. */
char *xb_test_slurp(const char *path);
/* Max over n images of max |got - want| / max |want| over each image's k
 * outputs (logits against a reference). */
double xb_test_rel_err(const float *got, const float *want, size_t n, size_t k);
/* Newlines in s. */
int xb_test_count_lines(const char *s);
/* The tiny ResNet of tests/data (into *model) and n images made from its
 * stored inputs: image i is stored image i % base, its pixels rotated by
 * 7 (i / base) places and scaled by 1 - step (i / base).  NULL (a check
 * failed) when they do not load. */
struct xb_model;
float *xb_test_tiny_images(int n, double step, struct xb_model **model, int *per_image, int *classes);

#define XB_TEST_DONE() do { if (xb_test_failures) { \
    fprintf(stderr, "%d check(s) failed\n", xb_test_failures); return 1; } \
    printf("all checks passed\n"); return 0; } while (0)
#endif
