/* format.c: doubles as the shortest text that reads back exactly. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "xb_base.h"

/* Below this, an integer-valued double prints as all its digits ("1000000");
 * from it on, %g's exponent form is shorter ("1e+15"). */
#define XB_FORMAT_INT_LIMIT 1e15

char *xb_format_double(char *buf, size_t cap, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return buf;
    }
    if (v == floor(v) && fabs(v) < XB_FORMAT_INT_LIMIT) {
        snprintf(buf, cap, "%.0f", v);
        return buf;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

int xb_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int xb_parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno)
        return 0;
    *out = v;
    return 1;
}
