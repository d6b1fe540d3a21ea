/* model_plan.c: fuse steps, assign activation buffers, describe the plan.
 *
 * Fusions (each only when the intermediate tensor has no other consumer):
 *   Conv/Gemm -> BatchNormalization   scale and shift folded into the
 *                                     matmul's per-row post-scale and bias
 *   Conv/Gemm -> Add(other)           residual added in the matmul epilogue,
 *                                     when `other` is ready before the matmul
 *   Conv/Gemm/Add/BN -> Relu          ReLU in the epilogue
 * Buffers: an activation lives from the step that writes it to its last
 * reader; freed buffers are reused, and elementwise steps write in place
 * over an input that dies with them. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* ---- fusion ---------------------------------------------------------------------- */

/* Every activation step s reads: in[0], in[1], the residual and, for a
 * step of more than two inputs, the rest of ins (value ids, some -1). */
static int step_inputs(const xb_step *s, int k)
{
    if (k == 0 || k == 1)
        return s->in[k];
    if (k == 2)
        return s->residual;
    return k - 1 < s->nins ? s->ins[k - 1] : -1;
}

static int n_step_inputs(const xb_step *s)
{
    return s->nins > 2 ? s->nins + 1 : 3;
}

static void count_uses(xb_model *m)
{
    for (int i = 0; i < m->nvals; i++)
        m->vals[i].uses = 0;
    for (int i = 0; i < m->nsteps; i++) {
        xb_step *s = &m->steps[i];
        if (!s->live)
            continue;
        for (int k = 0; k < n_step_inputs(s); k++)
            if (step_inputs(s, k) >= 0)
                m->vals[xb_root(m, step_inputs(s, k))].uses++;
    }
    m->vals[xb_root(m, m->output)].uses++;
}

static xb_status fuse(xb_model *m, xb_error *err)
{
    int *producer = malloc(sizeof(int) * (size_t)(m->nvals > 0 ? m->nvals : 1));
    if (!producer)
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    for (int i = 0; i < m->nvals; i++)
        producer[i] = -1;
    count_uses(m);
    for (int i = 0; i < m->nsteps; i++) {
        xb_step *b = &m->steps[i];
        if (b->kind == XB_STEP_AFFINE) {
            int p = producer[b->in[0]];
            xb_step *a = p >= 0 ? &m->steps[p] : NULL;
            if (a && a->kind == XB_STEP_MATMUL && m->vals[b->in[0]].uses == 1 && !a->relu &&
                a->residual < 0) {
                int64_t R = a->rows_total;
                if (!a->post_scale) {
                    a->post_scale = malloc(sizeof(float) * (size_t)R);
                    if (!a->post_scale)
                        goto oom;
                    for (int64_t r = 0; r < R; r++)
                        a->post_scale[r] = 1.0f;
                }
                if (!a->bias) {
                    a->bias = calloc((size_t)R, sizeof(float));
                    if (!a->bias)
                        goto oom;
                }
                for (int64_t r = 0; r < R; r++) {
                    a->post_scale[r] *= b->a[r];
                    a->bias[r] = a->bias[r] * b->a[r] + b->b[r];
                }
                a->out = b->out;
                b->live = 0;
                producer[a->out] = p;
                continue;
            }
        }
        if (b->kind == XB_STEP_ADD) {
            /* try the later-produced operand first: the other one is ready then */
            int p0 = producer[b->in[0]], p1 = producer[b->in[1]];
            int order[2] = {p0 >= p1 ? 0 : 1, p0 >= p1 ? 1 : 0};
            int done = 0;
            for (int t = 0; t < 2 && !done; t++) {
                int mine = b->in[order[t]], other = b->in[1 - order[t]];
                int p = producer[mine];
                if (p < 0 || mine == xb_root(m, other))
                    continue;
                xb_step *a = &m->steps[p];
                if (a->kind != XB_STEP_MATMUL || a->relu || a->residual >= 0 ||
                    m->vals[mine].uses != 1 || producer[xb_root(m, other)] >= p)
                    continue;
                a->residual = other;
                a->out = b->out;
                b->live = 0;
                producer[a->out] = p;
                done = 1;
            }
            if (done)
                continue;
        }
        if (b->kind == XB_STEP_RELU) {
            int p = producer[b->in[0]];
            xb_step *a = p >= 0 ? &m->steps[p] : NULL;
            if (a && !a->relu && m->vals[b->in[0]].uses == 1 &&
                (a->kind == XB_STEP_MATMUL || a->kind == XB_STEP_ADD ||
                 a->kind == XB_STEP_ADD_CONST || a->kind == XB_STEP_AFFINE)) {
                a->relu = 1;
                a->out = b->out;
                b->live = 0;
                producer[a->out] = p;
                continue;
            }
        }
        producer[b->out] = i;
    }
    free(producer);
    count_uses(m);
    return XB_OK;
oom:
    free(producer);
    return xb_error_set(err, XB_ENOMEM, "out of memory");
}

/* ---- buffers -------------------------------------------------------------------- */

static int new_buffer(xb_model *m, int64_t per_image)
{
    xb_buffer *b = realloc(m->bufs, sizeof *b * (size_t)(m->nbufs + 1));
    if (!b)
        return -1;
    m->bufs = b;
    memset(&b[m->nbufs], 0, sizeof b[0]);
    b[m->nbufs].per_image = per_image;
    return m->nbufs++;
}

static int64_t per_image(const xb_value *v)
{
    return v->lead * v->rest;
}

static int in_place_ok(xb_step_kind k)
{
    return k == XB_STEP_RELU || k == XB_STEP_ADD || k == XB_STEP_ADD_CONST ||
           k == XB_STEP_AFFINE || k == XB_STEP_QUANT || k == XB_STEP_DEQUANT ||
           k == XB_STEP_UNARY || k == XB_STEP_BINARY;
}

static xb_status assign_buffers(xb_model *m, xb_error *err)
{
    int nv = m->nvals;
    int *last = malloc(sizeof(int) * (size_t)(nv > 0 ? nv : 1));
    int *busy = NULL; /* per buffer: 1 while a live value holds it */
    if (!last)
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    for (int i = 0; i < nv; i++)
        last[i] = -1;
    for (int i = 0; i < m->nsteps; i++) {
        xb_step *s = &m->steps[i];
        if (!s->live)
            continue;
        for (int k = 0; k < n_step_inputs(s); k++)
            if (step_inputs(s, k) >= 0)
                last[xb_root(m, step_inputs(s, k))] = i;
    }
    last[xb_root(m, m->output)] = m->nsteps; /* survives the run */

    int nb_cap = 0;
    xb_status st = XB_OK;
#define GROW_BUSY() do { if (m->nbufs > nb_cap) { \
        int *nbz = realloc(busy, sizeof(int) * (size_t)(m->nbufs + 16)); \
        if (!nbz) goto oom; \
        for (int z = nb_cap; z < m->nbufs + 16; z++) nbz[z] = 0; \
        busy = nbz; nb_cap = m->nbufs + 16; } } while (0)

    int b0 = new_buffer(m, per_image(&m->vals[m->input]));
    if (b0 < 0)
        goto oom;
    GROW_BUSY();
    m->vals[m->input].storage = b0;
    busy[b0] = 1;
    for (int i = 0; i < m->nsteps; i++) {
        xb_step *s = &m->steps[i];
        if (!s->live)
            continue;
        xb_value *out = &m->vals[s->out];
        int64_t need = per_image(out);
        int chosen = -1;
        if (in_place_ok(s->kind)) {
            for (int k = 0; k < 2 && chosen < 0; k++) {
                int v = xb_root(m, s->in[k]);
                if (v >= 0 && last[v] == i && v != m->input && per_image(&m->vals[v]) == need)
                    chosen = m->vals[v].storage;
            }
        }
        if (chosen < 0) {
            int best_fit = -1, largest = -1;
            for (int b = 0; b < m->nbufs; b++) {
                if (busy[b])
                    continue;
                if (m->bufs[b].per_image >= need &&
                    (best_fit < 0 || m->bufs[b].per_image < m->bufs[best_fit].per_image))
                    best_fit = b;
                if (largest < 0 || m->bufs[b].per_image > m->bufs[largest].per_image)
                    largest = b;
            }
            chosen = best_fit >= 0 ? best_fit : largest;
            if (chosen < 0) {
                chosen = new_buffer(m, need);
                if (chosen < 0)
                    goto oom;
                GROW_BUSY();
            }
            if (m->bufs[chosen].per_image < need)
                m->bufs[chosen].per_image = need;
        }
        out->storage = chosen;
        /* free the inputs that die here, unless the output took their buffer */
        for (int k = 0; k < n_step_inputs(s); k++) {
            int v = xb_root(m, step_inputs(s, k));
            if (v >= 0 && last[v] == i && m->vals[v].storage != chosen)
                busy[m->vals[v].storage] = 0;
        }
        busy[chosen] = 1;
    }
    for (int v = 0; v < nv; v++)
        if (m->vals[v].kind == XB_VAL_ACT && m->vals[v].alias >= 0)
            m->vals[v].storage = m->vals[xb_root(m, v)].storage;
    goto out;
oom:
    st = xb_error_set(err, XB_ENOMEM, "out of memory");
out:
#undef GROW_BUSY
    free(last);
    free(busy);
    return st;
}

/* ---- descriptions and the layer table ---------------------------------------------- */

static void shape_str(const xb_value *v, char *buf, size_t size)
{
    int n = snprintf(buf, size, "[N");
    for (int i = 1; i < v->rank && n > 0 && (size_t)n < size; i++)
        n += snprintf(buf + n, size - (size_t)n, ",%lld", (long long)v->dims[i]);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "]");
}

static xb_status describe(xb_model *m, xb_step *s, xb_error *err)
{
    char shape[96], extra[256] = "";
    shape_str(&m->vals[s->out], shape, sizeof shape);
    size_t n = 0;
#define ADD(...)                                                                    \
    do {                                                                            \
        if (n < sizeof extra)                                                       \
            n += (size_t)snprintf(extra + n, sizeof extra - n, __VA_ARGS__);        \
    } while (0)
    if (s->kind == XB_STEP_MATMUL) {
        const xb_matmul_layer *L = &s->mm;
        if (L->kind == XB_MATMUL_CONV) {
            ADD(" %dx%dx%dx%d", L->out_channels, L->depth / (L->kernel_h * L->kernel_w),
                L->kernel_h, L->kernel_w);
            if (L->stride_h != 1 || L->stride_w != 1)
                ADD(" stride %d,%d", L->stride_h, L->stride_w);
            if (L->pad_top || L->pad_left || L->pad_bottom || L->pad_right)
                ADD(" pad %d,%d,%d,%d", L->pad_top, L->pad_left, L->pad_bottom, L->pad_right);
            if (L->dilation_h != 1 || L->dilation_w != 1)
                ADD(" dilation %d,%d", L->dilation_h, L->dilation_w);
            if (L->groups != 1)
                ADD(" groups %d", L->groups);
        } else {
            ADD(" %dx%d", L->rows, L->depth);
        }
        if (s->w_q)
            ADD(" int8");
        if (s->post_scale)
            ADD(" +scale");
        if (s->bias)
            ADD(" +bias");
        if (s->residual >= 0)
            ADD(" +'%s'", m->vals[s->residual].name);
    } else if (s->kind == XB_STEP_MATMUL_ACT) {
        ADD(" '%s' x '%s', %lldx%lld by %lldx%lld (activations: digital, not on arrays)", m->vals[s->in[0]].name,
            m->vals[s->in[1]].name, (long long)s->mm_m, (long long)s->mm_k, (long long)s->mm_k, (long long)s->mm_p);
    } else if (s->kind == XB_STEP_MAXPOOL || s->kind == XB_STEP_AVGPOOL) {
        ADD(" %dx%d stride %d,%d pad %d,%d,%d,%d", s->kh, s->kw, s->sh, s->sw, s->pt, s->pl, s->pb,
            s->pr);
    }
    if (s->relu)
        ADD(" +relu");
#undef ADD
    char buf[512];
    snprintf(buf, sizeof buf, "%s '%s'%s -> %s", s->op, s->name, extra, shape);
    s->desc = strdup(buf);
    return s->desc ? XB_OK : xb_error_set(err, XB_ENOMEM, "out of memory");
}

xb_status xb_model_plan(xb_model *m, xb_error *err)
{
    xb_status st = fuse(m, err);
    if (st != XB_OK)
        return st;
    if ((st = assign_buffers(m, err)) != XB_OK)
        return st;
    m->live_steps = malloc(sizeof(int) * (size_t)(m->nsteps > 0 ? m->nsteps : 1));
    m->mm_layers = malloc(sizeof *m->mm_layers * (size_t)(m->nsteps > 0 ? m->nsteps : 1));
    if (!m->live_steps || !m->mm_layers)
        return xb_error_set(err, XB_ENOMEM, "out of memory");
    m->nlive = m->nmm = 0;
    for (int i = 0; i < m->nsteps; i++) {
        xb_step *s = &m->steps[i];
        if (!s->live)
            continue;
        m->live_steps[m->nlive++] = i;
        if ((st = describe(m, s, err)) != XB_OK)
            return st;
        if (s->kind != XB_STEP_MATMUL)
            continue;
        xb_matmul_layer *L = &s->mm;
        L->index = m->nmm;
        L->name = s->name;
        L->weight = s->w;
        L->weight_q = s->w_q;
        L->weight_scale = s->w_scale;
        L->weight_zero_point = s->w_zero;
        L->post_scale = s->post_scale;
        L->bias = s->bias;
        L->relu = s->relu;
        L->residual = s->residual >= 0;
        m->mm_layers[m->nmm++] = L;
    }
    return XB_OK;
}
