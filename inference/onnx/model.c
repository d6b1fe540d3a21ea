/* model.c: xb_model life cycle, buffers and accessors. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* im2col workspace per column block, floats (16 MiB): large enough for
 * efficient sgemm panels, small enough to stay near the caches. */
#define XB_IM2COL_BLOCK_FLOATS ((int64_t)4 << 20)
/* Largest ONNX file read, bytes (protobuf's own limit is 2 GiB). */
#define XB_ONNX_MAX_BYTES ((long)2 << 30)

static void step_free(xb_step *s)
{
    free(s->name);
    free(s->desc);
    free(s->w);
    free(s->bias);
    free(s->post_scale);
    free(s->w_scale);
    free(s->w_q);
    free(s->w_zero);
    free(s->a);
    free(s->b);
    free(s->qscale);
    free(s->qzero);
    free(s->ins);
    free(s->src_lead);
    free(s->src_rest);
    free(s->map2_lead);
    free(s->map2_rest);
    free(s->src_in);
}

void xb_model_free(xb_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nvals; i++) {
        free(m->vals[i].name);
        xb_const_free(m->vals[i].c);
    }
    free(m->vals);
    for (int i = 0; i < m->nsteps; i++)
        step_free(&m->steps[i]);
    free(m->steps);
    for (int i = 0; i < m->nmeta; i++) {
        free(m->meta_keys[i]);
        free(m->meta_vals[i]);
    }
    free(m->meta_keys);
    free(m->meta_vals);
    for (int i = 0; i < m->nbufs; i++)
        free(m->bufs[i].data);
    free(m->bufs);
    free(m->live_steps);
    free(m->mm_layers);
    free(m->ws);
    free(m->path);
    free(m);
}

/* Drop the constants that the steps no longer need (weights were copied). */
static void drop_constants(xb_model *m)
{
    for (int i = 0; i < m->nvals; i++) {
        xb_const_free(m->vals[i].c);
        m->vals[i].c = NULL;
    }
}

static xb_status read_file(const char *path, uint8_t **data, size_t *len, xb_error *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return xb_error_set(err, XB_EIO, "cannot open: %s", strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return xb_error_set(err, XB_EIO, "cannot seek: %s", strerror(errno));
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return xb_error_set(err, XB_EIO, "cannot determine the size: %s", strerror(errno));
    }
    if (size == 0) {
        fclose(f);
        return xb_error_set(err, XB_EFORMAT, "the file is empty");
    }
    if (size > XB_ONNX_MAX_BYTES) {
        fclose(f);
        return xb_error_set(err, XB_ETOOBIG, "the file has %ld bytes; ONNX files are limited to "
                            "2 GiB", size);
    }
    uint8_t *buf = malloc((size_t)size);
    if (!buf) {
        fclose(f);
        return xb_error_set(err, XB_ENOMEM, "out of memory reading %ld bytes", size);
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    int bad = ferror(f);
    fclose(f);
    if (got != (size_t)size || bad) {
        free(buf);
        return xb_error_set(err, XB_EIO, "read %zu of %ld bytes", got, size);
    }
    *data = buf;
    *len = (size_t)size;
    return XB_OK;
}

xb_model *xb_model_load(const char *path, xb_error *err)
{
    if (!path) {
        xb_error_set(err, XB_EINVAL, "xb_model_load: path is NULL");
        return NULL;
    }
    xb_error local;
    if (!err)
        err = &local;
    xb_error_clear(err);
    xb_model *m = calloc(1, sizeof *m);
    if (!m) {
        xb_error_set(err, XB_ENOMEM, "out of memory");
        return NULL;
    }
    m->input = m->output = -1;
    m->hook = xb_matmul_sgemm;
    m->path = strdup(path);
    uint8_t *bytes = NULL;
    size_t len = 0;
    xb_status st = m->path ? XB_OK : xb_error_set(err, XB_ENOMEM, "out of memory");
    if (st == XB_OK)
        st = read_file(path, &bytes, &len, err);
    if (st == XB_OK)
        st = xb_onnx_import(m, bytes, len, err);
    free(bytes);
    if (st == XB_OK)
        st = xb_model_plan(m, err);
    if (st != XB_OK) {
        xb_error_prefix(err, "%s", path);
        xb_model_free(m);
        return NULL;
    }
    drop_constants(m);
    return m;
}

xb_status xb_model_input_shape(const xb_model *m, int *c, int *h, int *w)
{
    if (!m)
        return XB_EINVAL;
    if (c)
        *c = m->in_c;
    if (h)
        *h = m->in_h;
    if (w)
        *w = m->in_w;
    return XB_OK;
}

int xb_model_num_classes(const xb_model *m)
{
    return m ? (int)m->out_per_image : 0;
}

static int needs_im2col(const xb_step *s)
{
    return s->kind == XB_STEP_MATMUL && s->mm.kind == XB_MATMUL_CONV &&
           !(s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && !s->pt && !s->pl && !s->pb &&
             !s->pr);
}

xb_status xb_model_reserve(xb_model *m, int max_batch, xb_error *err)
{
    if (!m)
        return xb_error_set(err, XB_EINVAL, "xb_model_reserve: model is NULL");
    if (max_batch < 1)
        return xb_error_set(err, XB_EINVAL, "batch size %d: must be at least 1", max_batch);
    if (max_batch <= m->max_batch)
        return XB_OK;
    for (int i = 0; i < m->nbufs; i++) {
        xb_buffer *b = &m->bufs[i];
        size_t need = (size_t)b->per_image * (size_t)max_batch;
        if (need / (size_t)max_batch != (size_t)b->per_image)
            return xb_error_set(err, XB_ETOOBIG, "batch %d is too large", max_batch);
        if (need <= b->capacity)
            continue;
        float *d = malloc(sizeof(float) * (need > 0 ? need : 1));
        if (!d)
            return xb_error_set(err, XB_ENOMEM, "out of memory for %zu activations (batch %d)",
                                need, max_batch);
        free(b->data);
        b->data = d;
        b->capacity = need;
    }
    /* im2col: one block of columns at a time */
    size_t ws = 0;
    for (int i = 0; i < m->nsteps; i++) {
        const xb_step *s = &m->steps[i];
        if (!s->live || !needs_im2col(s))
            continue;
        /* whole output lines per block; at least one */
        int64_t line = (int64_t)s->mm.depth * s->mm.out_w;
        int64_t lines = (int64_t)max_batch * s->mm.out_h;
        int64_t fit = XB_IM2COL_BLOCK_FLOATS / line;
        if (fit < 1)
            fit = 1;
        if (fit > lines)
            fit = lines;
        if ((size_t)(fit * line) > ws)
            ws = (size_t)(fit * line);
    }
    if (ws > m->ws_capacity) {
        float *d = malloc(sizeof(float) * ws);
        if (!d)
            return xb_error_set(err, XB_ENOMEM, "out of memory for the im2col workspace");
        free(m->ws);
        m->ws = d;
        m->ws_capacity = ws;
    }
    m->max_batch = max_batch;
    return XB_OK;
}

size_t xb_model_buffer_bytes(const xb_model *m)
{
    if (!m)
        return 0;
    size_t n = m->ws_capacity;
    for (int i = 0; i < m->nbufs; i++)
        n += m->bufs[i].capacity;
    return n * sizeof(float);
}

xb_status xb_model_run(xb_model *m, const float *x, int batch, float *logits, xb_error *err)
{
    if (!m || !x || !logits)
        return xb_error_set(err, XB_EINVAL, "xb_model_run: %s is NULL",
                            !m ? "the model" : !x ? "the input" : "the output");
    if (batch < 1)
        return xb_error_set(err, XB_EINVAL, "batch size %d: must be at least 1", batch);
    xb_status st = xb_model_reserve(m, batch, err);
    if (st != XB_OK)
        return st;
    return xb_engine_run(m, x, batch, logits, err);
}

void xb_model_set_matmul_hook(xb_model *m, xb_matmul_hook fn, void *user)
{
    if (!m)
        return;
    m->hook = fn ? fn : xb_matmul_sgemm;
    m->hook_user = fn ? user : NULL;
}

int xb_model_num_matmul_layers(const xb_model *m)
{
    return m ? m->nmm : 0;
}

const xb_matmul_layer *xb_model_matmul_layer(const xb_model *m, int i)
{
    if (!m || i < 0 || i >= m->nmm)
        return NULL;
    return m->mm_layers[i];
}

int xb_model_num_steps(const xb_model *m)
{
    return m ? m->nlive : 0;
}

const char *xb_model_step_describe(const xb_model *m, int i)
{
    if (!m || i < 0 || i >= m->nlive)
        return NULL;
    return m->steps[m->live_steps[i]].desc;
}

const char *xb_model_metadata(const xb_model *m, const char *key)
{
    if (!m || !key)
        return NULL;
    for (int i = 0; i < m->nmeta; i++)
        if (!strcmp(m->meta_keys[i], key))
            return m->meta_vals[i];
    return NULL;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return INT64_MAX;
    return b && a > INT64_MAX / b ? INT64_MAX : a * b;
}

void xb_model_cost(const xb_model *m, int64_t *floats, int64_t *ops)
{
    int64_t fl = 0, op = 0;
    for (int i = 0; i < m->nbufs; i++)
        fl = sat_add(fl, m->bufs[i].per_image);
    for (int i = 0; i < m->nsteps; i++) {
        const xb_step *s = &m->steps[i];
        if (!s->live || s->out < 0)
            continue;
        const xb_value *v = &m->vals[s->out];
        int64_t n = v->kind == XB_VAL_ACT ? sat_mul(v->lead, v->rest) : 1;
        int64_t per = 1;
        if (s->kind == XB_STEP_MATMUL) {
            per = s->mm.depth;
            fl = sat_add(fl, sat_mul(sat_mul(s->mm.depth, s->mm.out_h), s->mm.out_w));
        } else if (s->kind == XB_STEP_MAXPOOL || s->kind == XB_STEP_AVGPOOL) {
            per = sat_mul(s->kh, s->kw);
        } else if (s->kind == XB_STEP_GAP && s->in[0] >= 0) {
            const xb_value *in = &m->vals[s->in[0]];
            per = in->rest > 0 ? in->rest : 1;
        }
        op = sat_add(op, sat_mul(n, per));
    }
    *floats = fl;
    *ops = op;
}
