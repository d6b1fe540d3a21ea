/* dataset_idx.c: Fashion-MNIST from IDX files, gzipped or not.
 *
 * IDX layout (big-endian): bytes 0,0, a type code (0x08 = unsigned byte), the
 * number of dimensions, then one 32-bit size per dimension, then the data.
 * zlib's gz* functions read gzip and plain files alike. */
#define _POSIX_C_SOURCE 200809L
#include "dataset_impl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_COUNT 100000000u /* items; far above any real split */
#define READ_CHUNK (1u << 20)    /* bytes: first size of the data buffer */

typedef struct {
    unsigned char *pixels; /* count x 28 x 28 */
    unsigned char *labels; /* count, each 0..9 */
} fmnist_state;

static void fmnist_free(void *p)
{
    fmnist_state *s = p;
    if (!s)
        return;
    free(s->pixels);
    free(s->labels);
    free(s);
}

static xb_status fmnist_read(xb_dataset *d, size_t first, int n, float *x, int *labels,
                             xb_error *err)
{
    const fmnist_state *s = d->state;
    const size_t in_sz = (size_t)XB_FMNIST_RAW * XB_FMNIST_RAW;
    const size_t out_sz = (size_t)d->c * d->h * d->w;
    for (int i = 0; i < n; i++) {
        xb_fmnist_preprocess(s->pixels + (first + (size_t)i) * in_sz, d->c, d->h, d->w, x + (size_t)i * out_sz);
        if (labels)
            labels[i] = s->labels[first + (size_t)i];
    }
    return XB_OK;
}

static const xb_dataset_ops fmnist_ops = {fmnist_read, fmnist_free};

/* dir/name.gz if it exists, else dir/name. */
static xb_status find_file(const char *dir, const char *name, char *path, size_t cap,
                           xb_error *err)
{
    struct stat st;
    if (snprintf(path, cap, "%s/%s.gz", dir, name) >= (int)cap)
        return xb_error_set(err, XB_EINVAL, "Fashion-MNIST: path too long: %.100s...", dir);
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return xb_error_set(err, XB_EIO, "%s: not a regular file", path);
        return XB_OK;
    }
    snprintf(path, cap, "%s/%s", dir, name);
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return xb_error_set(err, XB_EIO, "%s: not a regular file", path);
        return XB_OK;
    }
    struct stat dst;
    if (stat(dir, &dst) != 0)
        return xb_error_set(err, XB_EIO, "Fashion-MNIST directory %s: %s", dir, strerror(errno));
    return xb_error_set(err, XB_EIO, "Fashion-MNIST: neither %s/%s.gz nor %s/%s exists", dir,
                        name, dir, name);
}

/* Read exactly len bytes; returns the number read, or -1 on a gzip error. */
static long long gz_read_all(gzFile f, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t chunk = len - got;
        if (chunk > (1u << 30))
            chunk = 1u << 30;
        int r = gzread(f, buf + got, (unsigned)chunk);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long long)got;
}

/* zlib's own message, without the "<path>: " it puts in front. */
static const char *gz_message(gzFile f, const char *path, int *zerr)
{
    const char *msg = gzerror(f, zerr);
    size_t n = strlen(path);
    if (msg && !strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
        msg += n + 2;
    return msg && *msg ? msg : "read error";
}

static xb_status gz_failure(gzFile f, const char *path, xb_error *err)
{
    int zerr = Z_OK;
    const char *msg = gz_message(f, path, &zerr);
    if (zerr == Z_ERRNO)
        return xb_error_set(err, XB_EIO, "%s: read error: %s", path, strerror(errno));
    return xb_error_set(err, XB_EFORMAT, "%s: corrupt gzip data: %s", path, msg);
}

/* " (the gzip stream ends early)" when a short read came from a cut gzip file. */
static const char *gz_cut_note(gzFile f, const char *path)
{
    int zerr = Z_OK;
    gz_message(f, path, &zerr);
    return zerr == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
}

/* Read one IDX file of unsigned bytes with ndims dimensions.  dims receives
 * the sizes; *data the payload (caller frees). */
static xb_status idx_read(const char *path, int ndims, uint32_t *dims, unsigned char **data,
                          xb_error *err)
{
    *data = NULL;
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return xb_error_set(err, XB_EIO, "%s: cannot open: %s", path,
                            errno ? strerror(errno) : "out of memory");
    gzbuffer(f, 1u << 17);
    xb_status st = XB_OK;
    unsigned char head[4 + 4 * 3];
    size_t head_len = 4 + 4 * (size_t)ndims;
    long long got = gz_read_all(f, head, head_len);
    if (got < 0) {
        st = gz_failure(f, path, err);
        goto done;
    }
    uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    uint32_t want = IDX_TYPE_UBYTE << 8 | (uint32_t)ndims;
    if (got >= 4 && magic != want) {
        st = xb_error_set(err, XB_EFORMAT, "%s: bad magic number 0x%08x (expected 0x%08x: an "
                          "IDX file of unsigned bytes with %d dimension%s)", path, magic, want,
                          ndims, ndims == 1 ? "" : "s");
        goto done;
    }
    if ((size_t)got < head_len) {
        st = xb_error_set(err, XB_EFORMAT, "%s: truncated: the IDX header needs %zu bytes, the "
                          "file has %lld%s", path, head_len, got, gz_cut_note(f, path));
        goto done;
    }
    size_t total = 1;
    for (int i = 0; i < ndims; i++) {
        const unsigned char *b = head + 4 + 4 * i;
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        total *= dims[i];
    }
    if (dims[0] == 0 || dims[0] > IDX_MAX_COUNT) {
        st = xb_error_set(err, XB_EFORMAT, "%s: implausible item count %u (dimension 0)", path,
                          dims[0]);
        goto done;
    }
    if (ndims == 3 && (dims[1] != XB_FMNIST_RAW || dims[2] != XB_FMNIST_RAW)) {
        st = xb_error_set(err, XB_EFORMAT, "%s: images are %ux%u pixels, expected %dx%d", path,
                          dims[1], dims[2], XB_FMNIST_RAW, XB_FMNIST_RAW);
        goto done;
    }
    /* The buffer grows with the data actually read, so a damaged count in
     * the header cannot make us allocate more than about twice the file. */
    size_t cap = 0;
    got = 0;
    while ((size_t)got < total) {
        if ((size_t)got == cap) {
            size_t nc = cap ? 2 * cap : READ_CHUNK;
            if (nc > total)
                nc = total;
            unsigned char *p = realloc(*data, nc);
            if (!p) {
                st = xb_error_set(err, XB_ENOMEM, "%s: cannot allocate %zu bytes", path, nc);
                goto done;
            }
            *data = p;
            cap = nc;
        }
        long long r = gz_read_all(f, *data + got, cap - (size_t)got);
        if (r < 0) {
            st = gz_failure(f, path, err);
            goto done;
        }
        if (r == 0)
            break;
        got += r;
    }
    if ((size_t)got < total) {
        size_t item = total / dims[0];
        st = xb_error_set(err, XB_EFORMAT, "%s: truncated: the header announces %u item%s "
                          "(%zu data bytes) but only %lld bytes follow (%lld complete "
                          "item%s)%s", path, dims[0], dims[0] == 1 ? "" : "s", total, got,
                          got / (long long)item, got / (long long)item == 1 ? "" : "s",
                          gz_cut_note(f, path));
        goto done;
    }
    /* Reading past the end also makes zlib check the gzip CRC and length. */
    unsigned char extra;
    got = gz_read_all(f, &extra, 1);
    if (got < 0) {
        st = gz_failure(f, path, err);
        goto done;
    }
    if (got > 0) {
        st = xb_error_set(err, XB_EFORMAT, "%s: trailing bytes after the %u items the header "
                          "announces", path, dims[0]);
        goto done;
    }
done:
    gzclose_r(f);
    if (st != XB_OK) {
        free(*data);
        *data = NULL;
    }
    return st;
}

xb_status xb_dataset_open_fmnist(const char *dir, xb_split split, xb_dataset **out,
                                 xb_error *err)
{
    if (!out)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_open_fmnist: out is NULL");
    *out = NULL;
    if (split != XB_SPLIT_TEST && split != XB_SPLIT_TRAIN)
        return xb_error_set(err, XB_EINVAL, "Fashion-MNIST: unknown split %d", (int)split);
    if (!dir)
        dir = XB_FMNIST_DEFAULT_DIR;
    const char *prefix = split == XB_SPLIT_TEST ? "t10k" : "train";
    char img_name[64], lab_name[64], img_path[4096], lab_path[4096];
    snprintf(img_name, sizeof img_name, "%s-images-idx3-ubyte", prefix);
    snprintf(lab_name, sizeof lab_name, "%s-labels-idx1-ubyte", prefix);
    xb_status st;
    if ((st = find_file(dir, img_name, img_path, sizeof img_path, err)) != XB_OK ||
        (st = find_file(dir, lab_name, lab_path, sizeof lab_path, err)) != XB_OK)
        return st;

    fmnist_state *s = calloc(1, sizeof *s);
    if (!s)
        return xb_error_set(err, XB_ENOMEM, "Fashion-MNIST: out of memory");
    uint32_t idims[3], ldims[1];
    if ((st = idx_read(img_path, 3, idims, &s->pixels, err)) != XB_OK ||
        (st = idx_read(lab_path, 1, ldims, &s->labels, err)) != XB_OK) {
        fmnist_free(s);
        return st;
    }
    if (idims[0] != ldims[0]) {
        fmnist_free(s);
        return xb_error_set(err, XB_EFORMAT, "Fashion-MNIST: %s holds %u images but %s holds "
                            "%u labels", img_path, idims[0], lab_path, ldims[0]);
    }
    for (uint32_t i = 0; i < ldims[0]; i++)
        if (s->labels[i] >= XB_FMNIST_CLASSES) {
            unsigned v = s->labels[i];
            fmnist_free(s);
            return xb_error_set(err, XB_EFORMAT, "%s: label %u of item %u is outside 0..%d",
                                lab_path, v, i, XB_FMNIST_CLASSES - 1);
        }
    xb_dataset *d = xb_dataset_alloc(XB_DATASET_FMNIST, &fmnist_ops, s);
    if (!d) {
        fmnist_free(s);
        return xb_error_set(err, XB_ENOMEM, "Fashion-MNIST: out of memory");
    }
    d->count = idims[0];
    d->c = 1;
    d->h = d->w = XB_FMNIST_SIDE;
    d->num_classes = XB_FMNIST_CLASSES;
    xb_dataset_set_desc(d, "fashion-mnist %s split (%s)",
                        split == XB_SPLIT_TEST ? "test" : "train", dir);
    *out = d;
    return XB_OK;
}
