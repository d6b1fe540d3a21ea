/* dataset_jpeg.c: an ImageNet-style folder of JPEG files plus a labels
 * file, decoded with libjpeg(-turbo). */
#define _POSIX_C_SOURCE 200809L
#include "dataset_impl.h"
#include "dataset_labels.h"

#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <jerror.h>

/* Decoded images larger than this are refused rather than allocated. */
#define MAX_PIXELS (1u << 28) /* 268 megapixels, 805 MB as RGB */

typedef struct {
    xb_labels labels;
    unsigned char *rgb; /* decode buffer, reused from image to image */
    size_t rgb_cap;     /* bytes */
} imagenet_state;

static void imagenet_free(void *p)
{
    imagenet_state *s = p;
    if (!s)
        return;
    xb_labels_free(&s->labels);
    free(s->rgb);
    free(s);
}

/* libjpeg reports errors through these callbacks: no printing, no exit. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated; /* the data ended before the image did */
} jpeg_errors;

static void on_error_exit(j_common_ptr cinfo)
{
    jpeg_errors *e = (jpeg_errors *)cinfo->err;
    longjmp(e->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level)
{
    jpeg_errors *e = (jpeg_errors *)cinfo->err;
    if (level < 0) {
        /* Warnings about stray bytes are common in real collections and
         * harmless; a premature end means part of the image is made up. */
        if (e->pub.msg_code == JWRN_JPEG_EOF)
            e->truncated = 1;
        e->pub.num_warnings++;
    }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

/* Everything the decoder touches lives here, outside the function that
 * calls setjmp, so nothing is lost when libjpeg longjmps back. */
typedef struct {
    struct jpeg_decompress_struct cinfo;
    jpeg_errors jerr;
    FILE *file;
    unsigned char *row; /* one CMYK scanline */
    imagenet_state *state;
    int width, height;
    xb_error *err;
    const char *path;
    xb_status status;
} jpeg_job;

static void cmyk_to_rgb(const unsigned char *cmyk, unsigned char *rgb, int n, int inverted)
{
    for (int i = 0; i < n; i++) {
        unsigned k = cmyk[4 * i + 3];
        for (int ch = 0; ch < 3; ch++) {
            unsigned v = cmyk[4 * i + ch];
            unsigned prod = inverted ? v * k : (255 - v) * (255 - k);
            rgb[3 * i + ch] = (unsigned char)((prod + 127) / 255);
        }
    }
}

static void decode(jpeg_job *job)
{
    struct jpeg_decompress_struct *ci = &job->cinfo;
    if (setjmp(job->jerr.jump)) {
        char msg[JMSG_LENGTH_MAX];
        job->jerr.pub.format_message((j_common_ptr)ci, msg);
        job->status = xb_error_set(job->err, XB_EFORMAT, "%s: cannot decode JPEG: %s", job->path,
                                   msg);
        return;
    }
    jpeg_stdio_src(ci, job->file);
    jpeg_read_header(ci, TRUE);
    int cmyk = 0;
    switch (ci->jpeg_color_space) {
    case JCS_GRAYSCALE: /* replicated to R=G=B by libjpeg-turbo */
    case JCS_RGB:
    case JCS_YCbCr:
        ci->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        ci->out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default:
        job->status = xb_error_set(job->err, XB_EUNSUPPORTED, "%s: unsupported JPEG colour "
                                   "space (%d components, not gray, RGB/YCbCr or CMYK/YCCK)",
                                   job->path, ci->num_components);
        return;
    }
    jpeg_start_decompress(ci);
    size_t w = ci->output_width, h = ci->output_height;
    if (w == 0 || h == 0 || w * h > MAX_PIXELS) {
        job->status = xb_error_set(job->err, XB_ETOOBIG, "%s: %zux%zu pixels is outside the "
                                   "supported size (at most %u pixels)", job->path, w, h,
                                   MAX_PIXELS);
        return;
    }
    if ((size_t)ci->output_components != (cmyk ? 4u : 3u)) {
        job->status = xb_error_set(job->err, XB_EINTERNAL, "%s: libjpeg produced %d components",
                                   job->path, ci->output_components);
        return;
    }
    imagenet_state *s = job->state;
    size_t need = w * h * 3;
    if (need > s->rgb_cap) {
        unsigned char *p = realloc(s->rgb, need);
        if (!p) {
            job->status = xb_error_set(job->err, XB_ENOMEM, "%s: cannot allocate %zu bytes for "
                                       "a %zux%zu image", job->path, need, w, h);
            return;
        }
        s->rgb = p;
        s->rgb_cap = need;
    }
    if (cmyk && !(job->row = malloc(w * 4))) {
        job->status = xb_error_set(job->err, XB_ENOMEM, "%s: out of memory", job->path);
        return;
    }
    while (ci->output_scanline < ci->output_height) {
        unsigned char *dst = s->rgb + (size_t)ci->output_scanline * w * 3;
        JSAMPROW r = cmyk ? job->row : dst;
        if (jpeg_read_scanlines(ci, &r, 1) != 1)
            break;
        if (cmyk)
            cmyk_to_rgb(job->row, dst, (int)w, ci->saw_Adobe_marker);
    }
    jpeg_finish_decompress(ci);
    if (job->jerr.truncated) {
        job->status = xb_error_set(job->err, XB_EFORMAT, "%s: truncated JPEG (the data ends "
                                   "before the image does)", job->path);
        return;
    }
    job->width = (int)w;
    job->height = (int)h;
    job->status = XB_OK;
}

/* Decode path into s->rgb; *w, *h receive its size. */
static xb_status decode_file(imagenet_state *s, const char *path, int *w, int *h, xb_error *err)
{
    jpeg_job *job = calloc(1, sizeof *job);
    if (!job)
        return xb_error_set(err, XB_ENOMEM, "%s: out of memory", path);
    job->file = fopen(path, "rb");
    if (!job->file) {
        xb_status st = xb_error_set(err, XB_EIO, "%s: cannot open: %s", path, strerror(errno));
        free(job);
        return st;
    }
    job->state = s;
    job->err = err;
    job->path = path;
    job->cinfo.err = jpeg_std_error(&job->jerr.pub);
    job->jerr.pub.error_exit = on_error_exit;
    job->jerr.pub.emit_message = on_emit_message;
    job->jerr.pub.output_message = on_output_message;
    jpeg_create_decompress(&job->cinfo);
    decode(job);
    jpeg_destroy_decompress(&job->cinfo);
    fclose(job->file);
    free(job->row);
    xb_status st = job->status;
    *w = job->width;
    *h = job->height;
    free(job);
    return st;
}

static xb_status imagenet_read(xb_dataset *d, size_t first, int n, float *x, int *labels,
                               xb_error *err)
{
    imagenet_state *s = d->state;
    const size_t plane = (size_t)3 * d->h * d->w;
    for (int i = 0; i < n; i++) {
        size_t k = first + (size_t)i;
        int w = 0, h = 0;
        xb_status st = decode_file(s, s->labels.paths[k], &w, &h, err);
        if (st != XB_OK)
            return st;
        st = xb_imagenet_preprocess(s->rgb, w, h, d->h, d->w, x + (size_t)i * plane, err);
        if (st != XB_OK)
            return xb_error_prefix(err, "%s", s->labels.paths[k]);
        if (labels)
            labels[i] = s->labels.labels[k];
    }
    return XB_OK;
}

static const xb_dataset_ops imagenet_ops = {imagenet_read, imagenet_free};

xb_status xb_dataset_open_imagenet(const char *dir, const char *labels_path, xb_dataset **out,
                                   xb_error *err)
{
    if (!out)
        return xb_error_set(err, XB_EINVAL, "xb_dataset_open_imagenet: out is NULL");
    *out = NULL;
    if (!dir || !*dir)
        return xb_error_set(err, XB_EINVAL, "ImageNet-style dataset: no folder given");
    struct stat st;
    if (stat(dir, &st) != 0)
        return xb_error_set(err, XB_EIO, "ImageNet-style folder %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return xb_error_set(err, XB_EIO, "ImageNet-style folder %s: not a directory", dir);
    char buf[4096];
    if (!labels_path) {
        if (snprintf(buf, sizeof buf, "%s/labels.txt", dir) >= (int)sizeof buf)
            return xb_error_set(err, XB_EINVAL, "ImageNet-style folder: path too long: %.100s...",
                                dir);
        if (stat(buf, &st) != 0) {
            snprintf(buf, sizeof buf, "%s/val.txt", dir);
            if (stat(buf, &st) != 0)
                return xb_error_set(err, XB_EIO, "ImageNet-style folder %s: no labels file "
                                    "(looked for %s/labels.txt and %s/val.txt; each line is "
                                    "'<filename> <class-index>')", dir, dir, dir);
        }
        labels_path = buf;
    }
    imagenet_state *s = calloc(1, sizeof *s);
    if (!s)
        return xb_error_set(err, XB_ENOMEM, "ImageNet-style dataset: out of memory");
    xb_status r = xb_labels_read(labels_path, dir, &s->labels, err);
    if (r != XB_OK) {
        imagenet_free(s);
        return r;
    }
    xb_dataset *d = xb_dataset_alloc(XB_DATASET_IMAGENET, &imagenet_ops, s);
    if (!d) {
        imagenet_free(s);
        return xb_error_set(err, XB_ENOMEM, "ImageNet-style dataset: out of memory");
    }
    d->count = s->labels.count;
    d->c = 3;
    d->h = d->w = XB_IMAGENET_CROP;
    d->num_classes = s->labels.num_classes;
    xb_dataset_set_desc(d, "imagenet folder %s (labels %s)", dir, labels_path);
    *out = d;
    return XB_OK;
}
