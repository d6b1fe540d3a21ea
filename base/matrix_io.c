/* matrix_io.c: .npy and CSV reading and writing. */
#define _POSIX_C_SOURCE 200809L
#include "xb_matrix_io.h"

#include "xb_base.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest integer magnitude a double holds exactly. */
#define XB_EXACT_INT_LIMIT 9007199254740992.0
/* Largest file accepted (bytes), guarding size arithmetic. */
#define XB_MAX_FILE_BYTES ((size_t)1 << 40)

void xb_matrix_release(xb_matrix *m)
{
    if (m) {
        free(m->data);
        memset(m, 0, sizeof *m);
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    if (a < b)
        return 0;
    for (size_t k = 0; k < b; k++)
        if (tolower((unsigned char)s[a - b + k]) != suffix[k])
            return 0;
    return 1;
}

static xb_status slurp(const char *path, char **buf, size_t *len, xb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        fclose(f);
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                free(b);
                fclose(f);
                return xb_error_set(err, XB_EIO, "%s: read error", path);
            }
            break;
        }
        if (cap >= XB_MAX_FILE_BYTES) {
            free(b);
            fclose(f);
            return xb_error_set(err, XB_ETOOBIG, "%s: larger than %zu bytes", path, XB_MAX_FILE_BYTES);
        }
        char *nb = realloc(b, 2 * cap + 1);
        if (!nb) {
            free(b);
            fclose(f);
            return xb_error_set(err, XB_ENOMEM, "%s: out of memory", path);
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return XB_OK;
}

xb_status xb_matrix_read(const char *path, xb_matrix *out, xb_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return xb_error_set(err, XB_EINVAL, "matrix file: NULL path");
    int npy = ends_with(path, ".npy"), csv = ends_with(path, ".csv");
    if (!npy && !csv)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: unknown extension (expected .npy or .csv)", path);
    char *buf = NULL;
    size_t len = 0;
    xb_status st = slurp(path, &buf, &len, err);
    if (st)
        return st;
    st = npy ? xb_npy_parse(buf, len, out, err) : xb_csv_parse(buf, len, out, err);
    free(buf);
    if (st)
        xb_error_prefix(err, "%s", path);
    return st;
}

/* ---- .npy ------------------------------------------------------------------ */

static const char *find_key(const char *h, size_t hl, const char *key)
{
    size_t kl = strlen(key);
    for (size_t k = 0; k + kl <= hl; k++)
        if (!memcmp(h + k, key, kl)) {
            const char *p = h + k + kl;
            while (p < h + hl && (*p == ' ' || *p == ':'))
                p++;
            return p;
        }
    return NULL;
}

typedef struct {
    char kind;     /* 'f', 'i', 'u', 'b' */
    int bytes;     /* item size */
    int swap;      /* 1 when the byte order differs from this machine's */
} npy_dtype;

static int host_little(void)
{
    uint16_t x = 1;
    unsigned char c;
    memcpy(&c, &x, 1);
    return c == 1;
}

static double half_to_double(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v;
    if (e == 0)
        v = ldexp(m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(m + 1024, e - 25);
    return s ? -v : v;
}

static xb_status convert_item(const unsigned char *p, npy_dtype dt, double *out, size_t index, xb_error *err)
{
    unsigned char b[8];
    for (int k = 0; k < dt.bytes; k++)
        b[k] = dt.swap ? p[dt.bytes - 1 - k] : p[k];
    double v = 0;
    switch (dt.kind) {
    case 'f':
        if (dt.bytes == 8) {
            memcpy(&v, b, 8);
        } else if (dt.bytes == 4) {
            float f;
            memcpy(&f, b, 4);
            v = f;
        } else {
            uint16_t h;
            memcpy(&h, b, 2);
            v = half_to_double(h);
        }
        break;
    case 'b':
        v = b[0] != 0;
        break;
    case 'i': {
        int64_t x = 0;
        if (dt.bytes == 1) { int8_t t; memcpy(&t, b, 1); x = t; }
        else if (dt.bytes == 2) { int16_t t; memcpy(&t, b, 2); x = t; }
        else if (dt.bytes == 4) { int32_t t; memcpy(&t, b, 4); x = t; }
        else { memcpy(&x, b, 8); }
        v = (double)x;
        if (x > (int64_t)XB_EXACT_INT_LIMIT || x < -(int64_t)XB_EXACT_INT_LIMIT)
            return xb_error_set(err, XB_EUNSUPPORTED, "element %zu = %lld: integer too large to convert exactly", index,
                                (long long)x);
        break;
    }
    case 'u': {
        uint64_t x = 0;
        if (dt.bytes == 1) { uint8_t t; memcpy(&t, b, 1); x = t; }
        else if (dt.bytes == 2) { uint16_t t; memcpy(&t, b, 2); x = t; }
        else if (dt.bytes == 4) { uint32_t t; memcpy(&t, b, 4); x = t; }
        else { memcpy(&x, b, 8); }
        v = (double)x;
        if (x > (uint64_t)XB_EXACT_INT_LIMIT)
            return xb_error_set(err, XB_EUNSUPPORTED, "element %zu = %llu: integer too large to convert exactly", index,
                                (unsigned long long)x);
        break;
    }
    }
    *out = v;
    return XB_OK;
}

static xb_status parse_descr(const char *p, const char *end, npy_dtype *dt, xb_error *err)
{
    if (p >= end || (*p != '\'' && *p != '"'))
        return xb_error_set(err, XB_EFORMAT, "npy header: 'descr' is not a string");
    char q = *p++;
    const char *s = p;
    while (p < end && *p != q)
        p++;
    if (p >= end)
        return xb_error_set(err, XB_EFORMAT, "npy header: unterminated 'descr'");
    size_t n = (size_t)(p - s);
    if (n < 3 || n > 4)
        return xb_error_set(err, XB_EUNSUPPORTED, "npy dtype '%.*s': only plain numeric dtypes are supported",
                            (int)(n < 16 ? n : 16), s);
    char order = s[0], kind = s[1];
    char num[3] = {0};
    memcpy(num, s + 2, n - 2);
    int bytes = atoi(num);
    int ok = 0;
    if (kind == 'f' && (bytes == 2 || bytes == 4 || bytes == 8))
        ok = 1;
    if ((kind == 'i' || kind == 'u') && (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8))
        ok = 1;
    if (kind == 'b' && bytes == 1)
        ok = 1;
    if (!ok || (order != '<' && order != '>' && order != '|' && order != '='))
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "npy dtype '%.*s': supported are float16/32/64, (u)int8-64 and bool in either byte order",
                            (int)n, s);
    if (order == '|' && bytes != 1)
        return xb_error_set(err, XB_EFORMAT, "npy dtype '%.*s': '|' byte order on a multi-byte type", (int)n, s);
    dt->kind = kind;
    dt->bytes = bytes;
    int little = order == '<' || (order == '=' && host_little());
    dt->swap = bytes > 1 && order != '|' && little != host_little();
    return XB_OK;
}

xb_status xb_npy_parse(const void *vbuf, size_t len, xb_matrix *out, xb_error *err)
{
    const unsigned char *buf = vbuf;
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return xb_error_set(err, XB_EFORMAT, "not a .npy file (bad magic or shorter than 10 bytes)");
    int major = buf[6];
    size_t hl, off;
    if (major == 1) {
        hl = (size_t)buf[8] | (size_t)buf[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return xb_error_set(err, XB_EFORMAT, "npy: truncated header length");
        hl = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        off = 12;
    } else {
        return xb_error_set(err, XB_EUNSUPPORTED, "npy format version %d.%d: supported are 1.0, 2.0 and 3.0", major,
                            buf[7]);
    }
    if (hl > len - off)
        return xb_error_set(err, XB_EFORMAT, "npy: header of %zu bytes runs past the end of the %zu-byte file", hl, len);
    const char *h = (const char *)buf + off, *hend = h + hl;
    const char *p = find_key(h, hl, "'descr'");
    if (!p)
        return xb_error_set(err, XB_EFORMAT, "npy header: no 'descr'");
    npy_dtype dt = {0, 1, 0};
    xb_status st = parse_descr(p, hend, &dt, err);
    if (st)
        return st;
    p = find_key(h, hl, "'fortran_order'");
    if (!p)
        return xb_error_set(err, XB_EFORMAT, "npy header: no 'fortran_order'");
    int fortran;
    if (hend - p >= 4 && !memcmp(p, "True", 4))
        fortran = 1;
    else if (hend - p >= 5 && !memcmp(p, "False", 5))
        fortran = 0;
    else
        return xb_error_set(err, XB_EFORMAT, "npy header: 'fortran_order' is neither True nor False");
    p = find_key(h, hl, "'shape'");
    if (!p || p >= hend || *p != '(')
        return xb_error_set(err, XB_EFORMAT, "npy header: no 'shape' tuple");
    p++;
    size_t size = 1;
    for (;;) {
        while (p < hend && (*p == ' ' || *p == ','))
            p++;
        if (p >= hend)
            return xb_error_set(err, XB_EFORMAT, "npy header: unterminated 'shape'");
        if (*p == ')')
            break;
        if (!isdigit((unsigned char)*p))
            return xb_error_set(err, XB_EFORMAT, "npy header: bad character '%c' in 'shape'", *p);
        if (out->ndim == XB_MATRIX_MAX_DIMS)
            return xb_error_set(err, XB_EUNSUPPORTED, "npy: more than %d dimensions", XB_MATRIX_MAX_DIMS);
        size_t d = 0;
        while (p < hend && isdigit((unsigned char)*p)) {
            if (d > (SIZE_MAX - 9) / 10)
                return xb_error_set(err, XB_EFORMAT, "npy header: dimension too large");
            d = d * 10 + (size_t)(*p++ - '0');
        }
        if (d && size > SIZE_MAX / d)
            return xb_error_set(err, XB_EFORMAT, "npy header: shape overflows");
        size *= d;
        out->shape[out->ndim++] = d;
    }
    size_t data_off = off + hl;
    size_t avail = len - data_off;
    if (size > avail / (size_t)dt.bytes)
        return xb_error_set(err, XB_EFORMAT, "npy: truncated: shape needs %zu values of %d bytes, file holds %zu bytes",
                            size, dt.bytes, avail);
    out->size = size;
    out->data = malloc((size ? size : 1) * sizeof *out->data);
    if (!out->data) {
        memset(out, 0, sizeof *out);
        return xb_error_set(err, XB_ENOMEM, "npy: out of memory for %zu values", size);
    }
    const unsigned char *src = buf + data_off;
    for (size_t k = 0; k < size; k++) {
        /* Fortran order: element k of the file is the k-th in column-major order. */
        size_t dst = k;
        if (fortran && out->ndim > 1) {
            size_t rem = k, stride = 1, idx = 0;
            size_t strides[XB_MATRIX_MAX_DIMS];
            for (int d = out->ndim - 1; d >= 0; d--) {
                strides[d] = stride;
                stride *= out->shape[d];
            }
            for (int d = 0; d < out->ndim; d++) {
                size_t c = rem % out->shape[d];
                rem /= out->shape[d];
                idx += c * strides[d];
            }
            dst = idx;
        }
        st = convert_item(src + k * (size_t)dt.bytes, dt, &out->data[dst], k, err);
        if (st) {
            xb_matrix_release(out);
            return st;
        }
    }
    return XB_OK;
}

/* ---- CSV -------------------------------------------------------------------- */

xb_status xb_csv_parse(const char *text, size_t len, xb_matrix *out, xb_error *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 1024, n = 0, rows = 0, cols = 0;
    double *d = malloc(cap * sizeof *d);
    if (!d)
        return xb_error_set(err, XB_ENOMEM, "csv: out of memory");
    const char *p = text, *end = text + len;
    size_t line = 0;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *q = p;
        while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q == eol || *q == '#') {
            p = eol + (eol < end);
            continue;
        }
        size_t c = 0;
        for (;;) {
            while (q < eol && (*q == ' ' || *q == '\t'))
                q++;
            char tmp[64];
            const char *s = q;
            while (q < eol && *q != ',' && *q != '\r')
                q++;
            const char *e = q;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            size_t tl = (size_t)(e - s);
            if (tl == 0 || tl >= sizeof tmp) {
                free(d);
                return xb_error_set(err, XB_EFORMAT, "csv line %zu, field %zu: %s", line, c + 1,
                                    tl ? "value too long" : "empty value");
            }
            memcpy(tmp, s, tl);
            tmp[tl] = '\0';
            char *stop;
            errno = 0;
            double v = strtod(tmp, &stop);
            if (*stop != '\0') {
                free(d);
                return xb_error_set(err, XB_EFORMAT, "csv line %zu, field %zu: '%s' is not a number", line, c + 1, tmp);
            }
            if (n == cap) {
                double *nd = realloc(d, 2 * cap * sizeof *d);
                if (!nd) {
                    free(d);
                    return xb_error_set(err, XB_ENOMEM, "csv: out of memory");
                }
                d = nd;
                cap *= 2;
            }
            d[n++] = v;
            c++;
            while (q < eol && *q == '\r')
                q++;
            if (q >= eol)
                break;
            q++; /* the comma */
            if (q >= eol) {
                free(d);
                return xb_error_set(err, XB_EFORMAT, "csv line %zu: trailing comma", line);
            }
        }
        if (rows == 0)
            cols = c;
        else if (c != cols) {
            free(d);
            return xb_error_set(err, XB_EFORMAT, "csv line %zu: %zu values, but the first row has %zu", line, c, cols);
        }
        rows++;
        p = eol + (eol < end);
    }
    if (rows == 0) {
        free(d);
        return xb_error_set(err, XB_EFORMAT, "csv: no data rows");
    }
    out->ndim = 2;
    out->shape[0] = rows;
    out->shape[1] = cols;
    out->size = n;
    out->data = d;
    return XB_OK;
}

/* ---- writing ----------------------------------------------------------------- */

static xb_status write_npy(FILE *f, const double *data, int ndim, const size_t *shape, size_t size)
{
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (");
    for (int d = 0; d < ndim; d++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%zu%s", shape[d], (ndim == 1 || d < ndim - 1) ? ", " : "");
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    size_t total = 10 + (size_t)k + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hl = (size_t)k + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
                             (unsigned char)(hl >> 8)};
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)k, f) != (size_t)k)
        return XB_EIO;
    for (size_t p = 0; p < pad; p++)
        fputc(' ', f);
    fputc('\n', f);
    if (host_little()) {
        if (fwrite(data, sizeof *data, size, f) != size)
            return XB_EIO;
    } else {
        for (size_t i = 0; i < size; i++) {
            unsigned char b[8];
            memcpy(b, &data[i], 8);
            for (int q = 7; q >= 0; q--)
                fputc(b[q], f);
        }
    }
    return ferror(f) ? XB_EIO : XB_OK;
}

static xb_status write_csv(FILE *f, const double *data, int ndim, const size_t *shape)
{
    size_t rows = ndim == 2 ? shape[0] : 1, cols = ndim == 2 ? shape[1] : (ndim == 1 ? shape[0] : 1);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            fprintf(f, "%.17g%c", data[r * cols + c], c + 1 == cols ? '\n' : ',');
    return ferror(f) ? XB_EIO : XB_OK;
}

xb_status xb_matrix_write(const char *path, const double *data, int ndim, const size_t *shape, xb_error *err)
{
    if (!path || !data || ndim < 0 || ndim > XB_MATRIX_MAX_DIMS)
        return xb_error_set(err, XB_EINVAL, "matrix write: bad arguments");
    int npy = ends_with(path, ".npy"), csv = ends_with(path, ".csv");
    if (!npy && !csv)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: unknown extension (expected .npy or .csv)", path);
    if (csv && ndim > 2)
        return xb_error_set(err, XB_EUNSUPPORTED, "%s: CSV holds at most 2 dimensions, the data has %d", path, ndim);
    size_t size = 1;
    for (int d = 0; d < ndim; d++)
        size *= shape[d];
    xb_atomic_file a;
    xb_status st = xb_atomic_open(&a, path, "wb", err);
    if (st != XB_OK)
        return st;
    st = npy ? write_npy(a.f, data, ndim, shape, size) : write_csv(a.f, data, ndim, shape);
    if (st != XB_OK) {
        int e = errno;
        xb_atomic_discard(&a);
        return xb_error_set(err, st, "%s: write failed: %s", path, strerror(e));
    }
    return xb_atomic_commit(&a, err);
}
