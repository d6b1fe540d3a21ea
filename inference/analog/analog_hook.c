/* analog_hook.c: the matmul hook of the analog core: a layer call's inputs
 * quantized, its tiles run (analog_tile.c), its result scaled back; and the
 * float product that calibrates the input ranges.  Each step is cut into
 * chunks for the pool's threads, with the same bits for any number of them. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog_impl.h"

/* One layer call, as its chunks see it. */
typedef struct {
    xb_analog *a;
    an_layer *l;
    const xb_matmul_call *call;
    size_t k;
    long nck;
    int n_dt;
} call_run;

/* Columns k0..k1 of the call quantized to integer magnitudes: xp = positive
 * part, xn = negative part (k x depth each); the OR of the levels of each depth
 * tile and pass, and whether any input is negative, into the chunk's ors. */
static void quantize_task(void *ctx, long c, int thread)
{
    const call_run *r = ctx;
    const xb_analog *a = r->a;
    const an_layer *l = r->l;
    const xb_matmul_call *call = r->call;
    double t0 = xb_clock_now();
    size_t k0, k1;
    an_chunk_range(r->k, r->nck, c, &k0, &k1);
    const int D = l->D, rpa = a->cfg.rows_per_array;
    const double step = l->act_range > 0 ? l->act_range / a->levels : 1.0;
    double *xp = a->xp, *xn = l->act_signed ? a->xn : NULL;
    long *ors = a->ors + (size_t)c * (2 * (size_t)r->n_dt + 1);
    memset(ors, 0, (2 * (size_t)r->n_dt + 1) * sizeof *ors);
    long neg = 0;
    for (int d = 0; d < D; d++) {
        const float *row = call->x + (size_t)d * call->ldx;
        long op = 0, on = 0;
        for (size_t kk = k0; kk < k1; kk++) {
            double v = l->act_range > 0 ? nearbyint(row[kk] / step) : 0.0;
            v = v > a->levels ? a->levels : v < -a->levels ? -a->levels : v;
            xp[kk * D + d] = v > 0 ? v : 0;
            op |= (long)xp[kk * D + d];
            if (xn) {
                xn[kk * D + d] = v < 0 ? -v : 0;
                on |= (long)xn[kk * D + d];
                neg |= v < 0;
            }
        }
        ors[d / rpa] |= op;
        ors[r->n_dt + d / rpa] |= on;
    }
    ors[2 * r->n_dt] = neg;
    memset(a->acc + k0 * (size_t)l->R, 0, (k1 - k0) * (size_t)l->R * sizeof *a->acc);
    r->a->thr[thread].st.t_digital += xb_clock_now() - t0;
}

/* splitmix64's finalizer */
static unsigned long long mix64(unsigned long long z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Columns k0..k1 of the result back to floats. */
static void result_task(void *ctx, long c, int thread)
{
    const call_run *r = ctx;
    const xb_analog *a = r->a;
    const an_layer *l = r->l;
    const xb_matmul_call *call = r->call;
    double t0 = xb_clock_now();
    size_t k0, k1;
    an_chunk_range(r->k, r->nck, c, &k0, &k1);
    const int R = l->R;
    const double step = l->act_range / a->levels;
    for (int o = 0; o < R; o++) {
        double s = l->wscale[(size_t)call->group * R + o] * step * l->drift_scale;
        float *y = call->y + (size_t)o * call->ldy;
        for (size_t kk = k0; kk < k1; kk++)
            y[kk] = (float)(a->acc[kk * R + o] * s);
    }
    /* The checksum: a hash per column, added (so the chunks may come in any order). */
    unsigned long long h = 0;
    for (size_t kk = k0; kk < k1; kk++) {
        unsigned long long hk = mix64(((unsigned long long)l->L->index << 40) ^
                                      ((unsigned long long)call->group << 32) ^ kk);
        for (int o = 0; o < R; o++) {
            unsigned long long bits;
            memcpy(&bits, &a->acc[kk * R + o], sizeof bits);
            hk = mix64(hk ^ bits);
        }
        h += hk;
    }
    r->a->thr[thread].sums_hash += h;
    r->a->thr[thread].st.t_digital += xb_clock_now() - t0;
}

/* One pass (the positive or the negative parts xs, k x D) through the tiles
 * of conv group g: acc += sign * the tiles' outputs, depth tile by depth tile
 * in order.  or_dt: the OR of the levels of each depth tile (0: skipped). */
static xb_status layer_pass(xb_analog *a, an_layer *l, int g, const double *xs, size_t k, const long *or_dt,
                            double sign, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    const int D = l->D, R = l->R;
    if (c->mvm == XB_MVM_DIGITAL) {
        /* exact integer products: |values| < 2^53, so double arithmetic is exact */
        double t0 = xb_clock_now();
        double *w = malloc((size_t)R * D * sizeof *w);
        if (!w)
            return xb_error_set(err, XB_ENOMEM, "analog: out of memory");
        for (size_t q = 0; q < (size_t)R * D; q++)
            w[q] = l->w[(size_t)g * R * D + q];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, R, D, sign, xs, D, w, D, 1.0, a->acc, R);
        free(w);
        a->stats.t_digital += xb_clock_now() - t0;
        return XB_OK;
    }
    for (int dt = 0; dt < l->n_dt; dt++) {
        if (!or_dt[dt])
            continue; /* no input on: no current in any array */
        const int d0 = dt * c->rows_per_array;
        for (int ot = 0; ot < l->n_ot; ot++) {
            an_tile *t = &l->tiles[((size_t)g * l->n_dt + dt) * l->n_ot + ot];
            xb_status st;
            if ((st = an_tile_mvm(a, l, t, xs + d0, (size_t)D, k, or_dt[dt], l->reads[g],
                                  a->acc + (size_t)ot * c->cols_per_array, (size_t)R, sign, err)))
                return st;
        }
    }
    return XB_OK;
}

/* Inference (no calibration samples to take): one pool run per layer call.
 * Each chunk of vectors goes through every tile of both passes, in the order
 * of layer_pass, then scales its sums back to floats: the same arithmetic per
 * vector as tile by tile, with one wait for the threads instead of one per
 * tile (on a loaded machine every wait may be for a descheduled thread). */
typedef struct {
    call_run c;
    const long *all;   /* the ORs: per depth tile, positive then negative pass, then "any negative" */
    int concurrent;    /* every array of the call's tiles may solve on several threads */
} layer_job;

static void layer_task(void *ctx, long chunk, int thread)
{
    const layer_job *j = ctx;
    xb_analog *a = j->c.a;
    an_layer *l = j->c.l;
    const xb_analog_config *c = &a->cfg;
    const int g = j->c.call->group;
    size_t k0, k1;
    an_chunk_range(j->c.k, j->c.nck, chunk, &k0, &k1);
    xb_error *e = &a->cerr[chunk];
    e->code = XB_OK;
    for (int pass = 0; pass < (j->all[2 * l->n_dt] ? 2 : 1) && k1 > k0; pass++) {
        const long *or_dt = j->all + (size_t)pass * l->n_dt;
        for (int dt = 0; dt < l->n_dt; dt++) {
            if (!or_dt[dt])
                continue;
            int pl[64];
            const int np = an_tile_planes(a, or_dt[dt], pl);
            for (int ot = 0; ot < l->n_ot; ot++) {
                an_tile *t = &l->tiles[((size_t)g * l->n_dt + dt) * l->n_ot + ot];
                an_tile_run r = {a, l, t, (pass ? a->xn : a->xp) + (size_t)dt * c->rows_per_array, (size_t)l->D,
                                 j->c.k, pl, np, 0, np, a->acc + (size_t)ot * c->cols_per_array, (size_t)l->R,
                                 pass ? -1.0 : 1.0, j->c.nck, j->concurrent, NULL, 0, l->reads[g]};
                if (an_chunk_mvm(&r, k0, k1 - k0, &a->thr[thread], e))
                    return;
            }
        }
    }
    result_task((void *)&j->c, chunk, thread);
}

static xb_status layer_run(xb_analog *a, an_layer *l, const xb_matmul_call *call, const long *all, xb_error *err)
{
    int concurrent = 1;
    for (long t = 0; t < (long)l->n_dt * l->n_ot; t++) {
        const an_tile *tt = &l->tiles[(size_t)call->group * l->n_dt * l->n_ot + (size_t)t];
        if (tt->programmed)
            concurrent &= an_tile_concurrent(tt);
    }
    const size_t k = (size_t)call->cols;
    layer_job j = {{a, l, call, k, an_chunks(k, concurrent), l->n_dt}, all, concurrent};
    if (an_grow(&a->cerr, &a->cap_cerr, (size_t)j.c.nck, sizeof *a->cerr))
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for layer '%s'", l->L->name);
    an_run(j.c.nck, layer_task, &j);
    an_merge_stats(a);
    return an_first_error(a->cerr, j.c.nck, err);
}

/* The float product y = W x of the digital network during the calibration of
 * the input ranges, computed so that its bits do not depend on the thread
 * count (a multithreaded sgemm's do, and the ranges fix every quantization
 * step after them): each output is one double sum over the depth, in order,
 * on one thread.  Chunks of output rows; blocks of columns and rows so that
 * the sums stay in L1 (the order of each sum is the same).  Task 0 offers the
 * inputs to the layer's reservoir (in order: the reservoir's draws depend on
 * it) while the other threads start on the product. */
typedef struct {
    xb_analog *a;
    const xb_matmul_layer *L;
    const xb_matmul_call *call;
    long nck;     /* chunks of the product: tasks 1 .. nck */
} cal_run;

#define CAL_KB 512 /* columns per block: CAL_ROWS sums of a block stay in L1 */
#define CAL_ROWS 4  /* output rows that share each load of the inputs */

static void cal_task(void *ctx, long task, int thread)
{
    const cal_run *r = ctx;
    const xb_matmul_layer *L = r->L;
    const xb_matmul_call *call = r->call;
    if (task == 0) {
        an_sampler *act = &r->a->layers[L->index].act;
        for (int d = 0; d < L->depth; d++)
            for (size_t kk = 0; kk < (size_t)call->cols; kk++)
                an_sample(act, call->x[(size_t)d * call->ldx + kk]);
        return;
    }
    const long c = task - 1;
    an_thread *th = &r->a->thr[thread];
    const int R = L->rows, D = L->depth;
    const size_t k = (size_t)call->cols;
    size_t r0, r1;
    an_chunk_range((size_t)R, r->nck, c, &r0, &r1);
    xb_error *e = &r->a->cerr[c];
    e->code = XB_OK;
    if (an_grow(&th->cal, &th->cap_cal, CAL_ROWS * CAL_KB, sizeof *th->cal)) {
        xb_error_set(e, XB_ENOMEM, "analog calibration: out of memory in layer '%s'", L->name);
        return;
    }
    const float *w = L->weight + (size_t)call->group * (size_t)R * (size_t)D;
    for (size_t k0 = 0; k0 < k; k0 += CAL_KB) {
        const size_t kn = k - k0 < CAL_KB ? k - k0 : CAL_KB;
        for (size_t o0 = r0; o0 < r1; o0 += CAL_ROWS) {
            const size_t on = r1 - o0 < CAL_ROWS ? r1 - o0 : CAL_ROWS;
            double *acc = th->cal;
            memset(acc, 0, CAL_ROWS * CAL_KB * sizeof *acc);
            for (int d = 0; d < D; d++) {
                const float *x = call->x + (size_t)d * call->ldx + k0;
                for (size_t o = 0; o < on; o++) {
                    const double wd = w[(o0 + o) * D + d];
                    double *ao = acc + o * CAL_KB;
                    for (size_t kk = 0; kk < kn; kk++)
                        ao[kk] += wd * x[kk];
                }
            }
            for (size_t o = 0; o < on; o++) {
                float *y = call->y + (o0 + o) * call->ldy + k0;
                for (size_t kk = 0; kk < kn; kk++)
                    y[kk] = (float)acc[o * CAL_KB + kk];
            }
        }
    }
}

static xb_status calib_product(xb_analog *a, const xb_matmul_layer *L, const xb_matmul_call *call, xb_error *err)
{
    cal_run r = {a, L, call, call->cols && L->rows ? an_chunks((size_t)L->rows, 1) : 0};
    if (an_grow(&a->cerr, &a->cap_cerr, (size_t)r.nck + 1, sizeof *a->cerr))
        return xb_error_set(err, XB_ENOMEM, "analog calibration: out of memory in layer '%s'", L->name);
    xb_threads_run(r.nck + 1, cal_task, &r);
    return an_first_error(a->cerr, r.nck, err);
}

xb_status an_hook(void *user, const xb_matmul_layer *L, const xb_matmul_call *call, xb_error *err)
{
    xb_analog *a = user;
    an_layer *l = &a->layers[L->index];
    const size_t k = (size_t)call->cols;
    const int D = l->D, R = l->R;
    if (a->mode == AN_CAL_ACT)
        return calib_product(a, L, call, err);
    if (k == 0)
        return XB_OK;
    call_run r = {a, l, call, k, an_chunks(k, 1), l->n_dt};
    const size_t per = 2 * (size_t)l->n_dt + 1; /* ors per chunk */
    if (an_grow(&a->xp, &a->cap_xp, k * D, sizeof *a->xp) ||
        (l->act_signed && an_grow(&a->xn, &a->cap_xn, k * D, sizeof *a->xn)) ||
        an_grow(&a->acc, &a->cap_acc, k * R, sizeof *a->acc) ||
        an_grow(&a->ors, &a->cap_ors, ((size_t)r.nck + 2) * per, sizeof *a->ors))
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for layer '%s'", L->name);
    xb_threads_run(r.nck, quantize_task, &r);
    an_merge_stats(a);
    long *all = a->ors + (size_t)r.nck * per; /* the ORs of all chunks */
    memset(all, 0, per * sizeof *all);
    for (long c = 0; c < r.nck; c++)
        for (size_t q = 0; q < per; q++)
            all[q] |= a->ors[(size_t)c * per + q];
    xb_status st = XB_OK;
    if (a->cfg.mvm != XB_MVM_DIGITAL) { /* the tiles this call uses, programmed on first use */
        long *need = all + per;  /* n_dt: either pass has an input on */
        for (int dt = 0; dt < l->n_dt; dt++)
            need[dt] = all[dt] | (all[2 * l->n_dt] ? all[l->n_dt + dt] : 0);
        st = an_program_tiles(a, l, call->group, need, err);
    }
    if (!st && a->mode == AN_RUN && a->cfg.mvm != XB_MVM_DIGITAL && a->cfg.drift_compensation == XB_DRIFT_COMP_GLOBAL &&
        !l->drift_scaled)
        st = an_drift_scale(a, l, err);
    if (!st && a->mode == AN_RUN && a->cfg.mvm != XB_MVM_DIGITAL)
        st = layer_run(a, l, call, all, err);
    else {
        if (!st)
            st = layer_pass(a, l, call->group, a->xp, k, all, 1.0, err);
        if (!st && all[2 * l->n_dt])
            st = layer_pass(a, l, call->group, a->xn, k, all + l->n_dt, -1.0, err);
        if (!st) {
            xb_threads_run(r.nck, result_task, &r);
            an_merge_stats(a);
        }
    }
    l->reads[call->group] += k; /* the next call's vectors come after these */
    return st;
}
