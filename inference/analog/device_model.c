/* device_model.c: the published PCM and RRAM conductance statistics and the
 * user's measured table (device_model.h for the sources of the constants). */
#define _POSIX_C_SOURCE 200809L
#include "device_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCM programming noise, uS at Gmax = 25 uS: c0 + c1 x + c2 x^2 (aihwkit
 * PCMLikeNoiseModel.prog_coeff; the rounded 0.2635, 1.9650, -1.1731 of
 * pcm_inference.rst). */
static const double pcm_prog[3] = {0.26348, 1.9650, -1.1731};
#define PCM_PROG_GMAX_REF 25.0

/* RRAM programming noise one second after programming, uS at Gmax = 40 uS,
 * increasing powers of x (aihwkit ReRamWan2022NoiseModel, coeff_dic[1.0]
 * reversed). */
static const double rram_prog[5] = {0.348, 16.030, -43.853, 45.393, -16.815};
#define RRAM_PROG_GMAX_REF 40.0
/* The same fit one day and two days after programming (coeff_dic[86400] and
 * coeff_dic[172800], reversed). */
static const double rram_day[5] = {0.701, 22.086, -50.773, 47.095, -16.458};
static const double rram_2day[5] = {0.782, 20.274, -43.507, 37.062, -11.934};

static double poly(const double *c, int n, double x)
{
    double v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v * x + c[i];
    return v;
}

double xb_pcm_prog_sigma(double g, double gmax)
{
    return fmax(poly(pcm_prog, 3, g / gmax), 0.0) * gmax / PCM_PROG_GMAX_REF;
}

/* x = |g|/Gmax, kept above 1e-7 so that the logarithm stays finite (aihwkit's
 * _ZERO_CLIP). */
static double rel(double g, double gmax)
{
    return fmax(fabs(g / gmax), 1e-7);
}

double xb_pcm_nu_mean(double g, double gmax)
{
    return fmin(fmax(-0.0155 * log(rel(g, gmax)) + 0.0244, 0.049), 0.1);
}

double xb_pcm_nu_std(double g, double gmax)
{
    return fmin(fmax(-0.0125 * log(rel(g, gmax)) - 0.0059, 0.008), 0.045);
}

double xb_pcm_read_sigma(double g, double g_t, double gmax, double t)
{
    if (!(t > XB_PCM_T_READ)) /* the 1/f integral starts at the read pulse */
        return 0.0;
    /* Q_s = min(0.0088 / (g_t/Gmax)^0.65, 0.2), the power kept above 1e-3 */
    double q = fmin(0.0088 / fmax(pow(fabs(g_t / gmax), 0.65), 1e-3), 0.2);
    return fabs(g) * q * sqrt(log((t + XB_PCM_T_READ) / (2 * XB_PCM_T_READ)));
}

double xb_rram_prog_sigma(double g, double gmax)
{
    return fmax(poly(rram_prog, 5, g / gmax), 0.0) * gmax / RRAM_PROG_GMAX_REF;
}

double xb_rram_sigma_at(double g, double gmax, double t)
{
    const double x = g / gmax, t1 = 86400.0, t2 = 172800.0;
    double s;
    if (!(t > 1.0))
        s = poly(rram_prog, 5, x);
    else if (t <= t1) {
        double f = log(t) / log(t1);
        s = (1 - f) * poly(rram_prog, 5, x) + f * poly(rram_day, 5, x);
    } else {
        double f = fmin(log(t / t1) / log(t2 / t1), 1.0);
        s = (1 - f) * poly(rram_day, 5, x) + f * poly(rram_2day, 5, x);
    }
    return fmax(s, 0.0) * gmax / RRAM_PROG_GMAX_REF;
}

/* ---- the user's table ---------------------------------------------------------- */

void xb_device_table_free(xb_device_table *t)
{
    if (!t)
        return;
    free(t->g);
    free(t->mean);
    free(t->sigma);
    free(t->read);
    memset(t, 0, sizeof *t);
}

/* Parse one line of numbers separated by commas; returns the count, -1 on a
 * field that is not a finite number. */
static int fields(char *line, double *v, int max)
{
    int n = 0;
    for (char *p = line; n <= max;) {
        char *end;
        while (*p == ' ' || *p == '\t')
            p++;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno || !isfinite(d))
            return -1;
        while (*end == ' ' || *end == '\t' || *end == '\r')
            end++;
        if (n < max)
            v[n] = d;
        n++;
        if (*end == '\0' || *end == '\n')
            return n;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
    return n;
}

static xb_status add_row(xb_device_table *t, size_t *cap, const double *v, int cols, xb_error *err)
{
    if (t->n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        double *a = realloc(t->g, c * sizeof *a), *b = a ? realloc(t->mean, c * sizeof *b) : NULL;
        if (a) t->g = a;
        if (b) t->mean = b;
        double *s = b ? realloc(t->sigma, c * sizeof *s) : NULL;
        if (s) t->sigma = s;
        double *r = s && cols == 4 ? realloc(t->read, c * sizeof *r) : NULL;
        if (r) t->read = r;
        if (!a || !b || !s || (cols == 4 && !r))
            return xb_error_set(err, XB_ENOMEM, "out of memory");
        *cap = c;
    }
    t->g[t->n] = v[0];
    t->mean[t->n] = v[1];
    t->sigma[t->n] = v[2];
    if (cols == 4)
        t->read[t->n] = v[3];
    t->n++;
    return XB_OK;
}

static xb_status check_row(const xb_device_table *t, const double *v, int cols, const char *path, long row,
                           xb_error *err)
{
    if (!(v[0] > 0))
        return xb_error_set(err, XB_EINVAL, "%s: row %ld: target conductance %g S must be > 0", path, row, v[0]);
    if (t->n > 0 && !(v[0] > t->g[t->n - 1]))
        return xb_error_set(err, XB_EINVAL, "%s: row %ld: target %g S is not above the row before (%g S): the "
                            "targets must increase", path, row, v[0], t->g[t->n - 1]);
    if (!(v[1] >= 0))
        return xb_error_set(err, XB_EINVAL, "%s: row %ld: mean %g S must be >= 0", path, row, v[1]);
    if (!(v[2] >= 0) || (cols == 4 && !(v[3] >= 0)))
        return xb_error_set(err, XB_EINVAL, "%s: row %ld: a sigma is negative", path, row);
    return XB_OK;
}

xb_status xb_device_table_load(const char *path, xb_device_table *t, xb_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f)
        return xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
    char line[4096];
    long row = 0;
    int cols = 0, header = 0;
    size_t cap = 0;
    xb_status s = XB_OK;
    while (s == XB_OK && fgets(line, sizeof line, f)) {
        row++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
            continue;
        double v[4];
        int n = fields(p, v, 4);
        if (n < 0 && cols == 0 && !header) { /* the first line that is not a comment: a header */
            header = 1;
            continue;
        }
        if (n < 3 || n > 4) {
            s = xb_error_set(err, XB_EFORMAT, "%s: row %ld: expected 3 or 4 numbers (target S, mean S, sigma S"
                             "[, read sigma S]), got '%.60s'", path, row, strtok(p, "\r\n"));
            break;
        }
        if (cols && n != cols) {
            s = xb_error_set(err, XB_EFORMAT, "%s: row %ld: %d numbers, the rows before %d", path, row, n, cols);
            break;
        }
        cols = n;
        if ((s = check_row(t, v, cols, path, row, err)) == XB_OK)
            s = add_row(t, &cap, v, cols, err);
    }
    if (s == XB_OK && ferror(f))
        s = xb_error_set(err, XB_EIO, "%s: read error", path);
    fclose(f);
    if (s == XB_OK && t->n < 2)
        s = xb_error_set(err, XB_EFORMAT, "%s: %zu row%s of numbers; a table needs at least 2", path, t->n,
                         t->n == 1 ? "" : "s");
    if (s != XB_OK)
        xb_device_table_free(t);
    return s;
}

void xb_device_table_at(const xb_device_table *t, double g, double *mean, double *sigma, double *read)
{
    size_t lo = 0, hi = t->n - 1;
    double f = 0;
    if (g <= t->g[0]) {
        hi = 0;
    } else if (g >= t->g[t->n - 1]) {
        lo = hi;
    } else {
        while (hi - lo > 1) { /* the interval holding g */
            size_t mid = (lo + hi) / 2;
            if (t->g[mid] <= g)
                lo = mid;
            else
                hi = mid;
        }
        f = (g - t->g[lo]) / (t->g[hi] - t->g[lo]);
    }
    *mean = t->mean[lo] + f * (t->mean[hi] - t->mean[lo]);
    *sigma = t->sigma[lo] + f * (t->sigma[hi] - t->sigma[lo]);
    *read = t->read ? t->read[lo] + f * (t->read[hi] - t->read[lo]) : 0.0;
}
