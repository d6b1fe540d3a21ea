/* analog_tile.c: a tile's MVM with bit-serial or DAC inputs and its ADC, on
 * chunks of the input vectors run by the pool's threads (analog_par.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog_impl.h"

/* The ADC of slice s: signed (differential) or unsigned (offset) uniform
 * quantizer with clipping over the calibrated range.  In calibration it
 * passes the value through; the values are sampled after the chunks, in the
 * order one thread would have seen them (sample_offset_plane, sample_diff). */
static double adc(const xb_analog *a, const an_layer *l, int s, double v, int is_signed)
{
    if (a->mode == AN_CAL_ADC)
        return v;
    int bits = a->cfg.adc_bits;
    if (bits == 0)
        return v;
    double range = l->adc_range[s];
    if (!(range > 0))
        return 0.0;
    double top = is_signed ? ldexp(1.0, bits - 1) - 1 : ldexp(1.0, bits) - 1;
    double step = range / top;
    double q = nearbyint(v / step);
    double lo = is_signed ? -top : 0;
    q = q < lo ? lo : q > top ? top : q;
    return q * step;
}

/* Bit plane b of the levels lv (k x M) or, b < 0, the DAC voltages of xs (k
 * rows of stride ldx) as the inputs in (k x M) and their sums of enabled rows
 * or levels, ones (k). */
static void plane_inputs(const xb_analog *a, const double *xs, size_t ldx, const int *lv, int b, size_t k, int M,
                         double *in, double *ones)
{
    for (size_t kk = 0; kk < k; kk++) {
        double cnt = 0;
        if (b >= 0)
            for (int i = 0; i < M; i++) {
                double v = (double)((lv[kk * M + i] >> b) & 1);
                in[kk * M + i] = v;
                cnt += v;
            }
        else
            for (int i = 0; i < M; i++) {
                double x = xs[kk * ldx + i];
                in[kk * M + i] = x * a->cfg.v_read / a->levels;
                cnt += x;
            }
        ones[kk] = cnt;
    }
}

/* Inputs and currents of all the bit planes of a chunk fit in this many
 * doubles: one solve per array for all planes, so each array's conductances are
 * read once for all of them (the solves do not depend on how vectors are
 * batched, so the results are the same bits as plane by plane). */
#define AN_PLANE_BATCH ((size_t)1 << 22)

/* One plane's currents of slice s (ipp, and imp for the G- arrays) into that
 * slice's digit sums qs (k x Nc), with the plane's weight.  Differential: the
 * planes' charge adds up in analog before one conversion.  Offset: every
 * plane is converted, and the reference column (or Gmin's share of the
 * inputs, on[]) subtracted. */
static void accumulate(const xb_analog *a, const an_layer *l, const an_tile *t, int s, size_t k,
                       const double *ipp, const double *imp, const double *on, double weight, double scale,
                       double *qs)
{
    const int Nc = t->cols, N = t->cols + t->unit;
    if (a->cfg.mapping == XB_MAP_DIFFERENTIAL) {
        for (size_t kk = 0; kk < k; kk++)
            for (int j = 0; j < Nc; j++)
                qs[kk * Nc + j] += weight * (ipp[kk * N + j] - imp[kk * N + j]) * scale;
        return;
    }
    const double gmin_digits = a->gmin * a->dmax / a->dg; /* Gmin in digit units */
    double unit_digit = an_digit(a, 0, s, 0, 1);
    for (size_t kk = 0; kk < k; kk++) {
        double ref = t->unit ? adc(a, l, s, ipp[kk * N + Nc] * scale, 0) : (gmin_digits + unit_digit) * on[kk];
        for (int j = 0; j < Nc; j++)
            qs[kk * Nc + j] += weight * (adc(a, l, s, ipp[kk * N + j] * scale, 0) - ref);
    }
}

/* The slices' digit sums q (slice s at q + s * qstride, k x Nc) into out,
 * each slice shifted by its bits; differential sums go through the ADC here. */
static void combine_slices(const xb_analog *a, const an_layer *l, size_t k, int Nc, const double *q,
                           size_t qstride, double *out)
{
    const int diff = a->cfg.mapping == XB_MAP_DIFFERENTIAL;
    for (int s = 0; s < a->cfg.slices; s++) {
        const double *qs = q + (size_t)s * qstride;
        double sw = ldexp(1.0, s * a->slice_bits);
        for (size_t kk = 0; kk < k; kk++)
            for (int j = 0; j < Nc; j++) {
                double v = diff ? adc(a, l, s, qs[kk * Nc + j], 1) : qs[kk * Nc + j];
                out[kk * Nc + j] += sw * v;
            }
    }
}


#define AN_GROUP 16 /* arrays per xb_array_mvm_run_group: one scan of the inputs */

/* Arrays of one tile on several threads (their solves keep state: one thread each). */
typedef struct {
    an_tile *t;
    const double *in;
    size_t kb;
    const unsigned long long *reads;
    double *const *outs;
    xb_error *errs;
} array_run;

static void array_task(void *ctx, long q, int thread)
{
    array_run *r = ctx;
    r->errs[q].code = XB_OK;
    xb_array_mvm_run_group_reads(r->t->arr + q, 1, r->in, r->kb, r->reads, r->outs + q, NULL, &r->errs[q]);
}

/* Every array of the tile on the kb inputs in (reads: their numbers, NULL
 * when no array has read noise): slice s of G+ (or offset) at ip + s *
 * sstride, of G- at im + s * sstride. */
static xb_status solve_tile(const an_tile_run *r, an_thread *th, const double *in, size_t kb,
                            const unsigned long long *reads, double *ip, double *im, size_t sstride, xb_error *err)
{
    an_tile *t = r->t;
    const int per = t->n_arr / r->a->cfg.slices;
    double t0 = xb_clock_now();
    double *outs[2 * 64];
    for (int q = 0; q < t->n_arr; q++)
        outs[q] = (q % per ? im : ip) + (size_t)(q / per) * sstride;
    xb_status st = XB_OK;
    if (r->concurrent) {
        if (!th->work && !(th->work = xb_solver_work_new(err)))
            return err->code;
        const int step = AN_GROUP - AN_GROUP % per; /* whole slices per group */
        for (int q0 = 0; q0 < t->n_arr && !st; q0 += step)
            st = xb_array_mvm_run_group_reads(t->arr + q0, t->n_arr - q0 < step ? t->n_arr - q0 : step, in, kb,
                                              reads, outs + q0, th->work, err);
    } else if (t->n_arr > 1 && !xb_threads_in_task()) {
        xb_error *errs = malloc((size_t)t->n_arr * sizeof *errs);
        if (!errs)
            return xb_error_set(err, XB_ENOMEM, "analog: out of memory");
        array_run ar = {t, in, kb, reads, outs, errs};
        xb_threads_run(t->n_arr, array_task, &ar);
        st = an_first_error(errs, t->n_arr, err);
        free(errs);
    } else
        for (int q = 0; q < t->n_arr && !st; q++)
            st = xb_array_mvm_run_group_reads(t->arr + q, 1, in, kb, reads, outs + q, NULL, err);
    th->st.t_solve += xb_clock_now() - t0;
    return st;
}

/* The numbers of the reads of vectors k0 .. k0+kc, planes p0 .. p0+np (np
 * blocks of kc) into th->reads: the vector's place among all the vectors the
 * layer's group has read since the calibration (batches do not change it),
 * its bit plane and its pass; calibration reads apart.  NULL when no array of
 * the tile has read noise. */
static const unsigned long long *read_numbers(const an_tile_run *r, an_thread *th, size_t k0, size_t kc, int p0,
                                              int np, xb_error *err)
{
    int noisy = 0;
    for (int q = 0; q < r->t->n_arr; q++)
        noisy |= xb_array_mvm_noisy(r->t->arr[q]);
    if (!noisy)
        return NULL;
    if (an_grow(&th->reads, &th->cap_reads, (size_t)np * kc, sizeof *th->reads)) {
        xb_error_set(err, XB_ENOMEM, "analog: out of memory for %zu vectors", kc);
        return NULL;
    }
    const unsigned long long cal = r->a->mode == AN_RUN ? 0 : 1ULL << 63;
    for (int pi = 0; pi < np; pi++) {
        const unsigned long long b = (unsigned long long)(r->pl[p0 + pi] + 1);
        for (size_t kk = 0; kk < kc; kk++)
            th->reads[(size_t)pi * kc + kk] = cal | (r->read0 + k0 + kk) << 7 | b << 1 | (r->sign < 0);
    }
    return th->reads;
}

/* The chunk's buffers: levels, plane inputs and currents, its output. */
static int chunk_room(const an_tile_run *r, an_thread *th, size_t kc, size_t nin, size_t nout)
{
    const an_tile *t = r->t;
    const size_t M = (size_t)t->rows, N = (size_t)(t->cols + t->unit);
    const int diff = r->a->cfg.mapping == XB_MAP_DIFFERENTIAL;
    return an_grow(&th->lv, &th->cap_lv, kc * M, sizeof *th->lv) ||
           an_grow(&th->in, &th->cap_in, nin * kc * M, sizeof *th->in) ||
           an_grow(&th->ip, &th->cap_ip, nout * kc * N, sizeof *th->ip) ||
           (diff && an_grow(&th->im, &th->cap_im, nout * kc * N, sizeof *th->im)) ||
           an_grow(&th->ones, &th->cap_ones, nin * kc, sizeof *th->ones) ||
           an_grow(&th->out, &th->cap_out, kc * (size_t)t->cols, sizeof *th->out);
}

/* Vectors k0 .. k0+kc of the tile, planes p0 .. p1: bit planes, array solves,
 * ADC and slices into the digit sums a->q; after the last plane, into acc. */
xb_status an_chunk_mvm(const an_tile_run *r, size_t k0, size_t kc, an_thread *th, xb_error *err)
{
    xb_analog *a = r->a;
    const xb_analog_config *c = &a->cfg;
    const an_tile *t = r->t;
    const int M = t->rows, Nc = t->cols, N = t->cols + t->unit, np = r->p1 - r->p0;
    const int diff = c->mapping == XB_MAP_DIFFERENTIAL, serial = c->input == XB_INPUT_BIT_SERIAL;
    const double to_digit = a->dmax / (c->v_read * a->dg); /* amperes -> digit units per volt-level */
    const int batch = np > 1 && (size_t)np * kc * (size_t)(M > N ? M : N) * (size_t)c->slices * 2 <= AN_PLANE_BATCH;
    const size_t nin = batch ? (size_t)np : 1, kb = nin * kc, nout = nin * (size_t)c->slices;
    double t0 = xb_clock_now();
    if (chunk_room(r, th, kc, nin, nout))
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for %zu vectors", kc);
    const double *xs = r->xs + k0 * r->ldx;
    if (serial)
        for (size_t kk = 0; kk < kc; kk++)
            for (int i = 0; i < M; i++)
                th->lv[kk * M + i] = (int)xs[kk * r->ldx + i];
    size_t qstride = r->k * (size_t)Nc;
    double *q = a->q + k0 * (size_t)Nc;
    if (!r->qshared) { /* this thread's own digit sums */
        qstride = kc * (size_t)Nc;
        if (an_grow(&th->q, &th->cap_q, (size_t)c->slices * qstride, sizeof *th->q))
            return xb_error_set(err, XB_ENOMEM, "analog: out of memory for %zu vectors", kc);
        q = th->q;
    }
    if (r->p0 == 0)
        for (int s = 0; s < c->slices; s++)
            memset(q + (size_t)s * qstride, 0, kc * (size_t)Nc * sizeof *q);
    xb_status st = XB_OK;
    if (batch) /* all the planes, then one solve per array */
        for (int pi = 0; pi < np; pi++)
            plane_inputs(a, xs, r->ldx, th->lv, r->pl[r->p0 + pi], kc, M, th->in + (size_t)pi * kc * M,
                         th->ones + (size_t)pi * kc);
    th->st.t_digital += xb_clock_now() - t0;
    const unsigned long long *reads = NULL;
    if (batch && !(reads = read_numbers(r, th, k0, kc, r->p0, np, err)) && err->code)
        return err->code;
    if (batch)
        st = solve_tile(r, th, th->in, kb, reads, th->ip, th->im, kb * N, err);
    for (int pi = 0; pi < np && !st; pi++) {
        const int b = r->pl[r->p0 + pi];
        double *ip = th->ip, *im = th->im;
        size_t sstride = kc * N;
        if (batch) {
            ip += (size_t)pi * kc * N;
            im = diff ? im + (size_t)pi * kc * N : NULL;
            sstride = kb * N;
        } else {
            t0 = xb_clock_now();
            plane_inputs(a, xs, r->ldx, th->lv, b, kc, M, th->in, th->ones);
            th->st.t_digital += xb_clock_now() - t0;
            if (r->ipshared)
                ip = r->ipshared + k0 * N, sstride = r->k * N;
            if (!(reads = read_numbers(r, th, k0, kc, r->p0 + pi, 1, err)) && err->code)
                return err->code;
            if ((st = solve_tile(r, th, th->in, kc, reads, ip, im, sstride, err)))
                break;
        }
        const double *on = th->ones + (batch ? (size_t)pi * kc : 0);
        const double weight = serial ? ldexp(1.0, b) : 1.0, scale = serial ? to_digit : to_digit * a->levels;
        t0 = xb_clock_now();
        for (int s = 0; s < c->slices; s++) {
            th->st.mvm_vectors += (long)kc * (diff ? 2 : 1);
            accumulate(a, r->l, t, s, kc, ip + (size_t)s * sstride, diff ? im + (size_t)s * sstride : NULL, on,
                       weight, scale, q + (size_t)s * qstride);
        }
        th->st.t_adc += xb_clock_now() - t0;
    }
    if (st || r->p1 < r->np)
        return st;
    t0 = xb_clock_now();
    memset(th->out, 0, kc * (size_t)Nc * sizeof *th->out);
    combine_slices(a, r->l, kc, Nc, q, qstride, th->out);
    th->st.t_adc += xb_clock_now() - t0;
    t0 = xb_clock_now();
    for (size_t kk = 0; kk < kc; kk++)
        for (int j = 0; j < Nc; j++)
            r->acc[(k0 + kk) * r->lda + j] += r->sign * th->out[kk * Nc + j];
    th->st.t_digital += xb_clock_now() - t0;
    return XB_OK;
}

static void chunk_task(void *ctx, long c, int thread)
{
    const an_tile_run *r = ctx;
    size_t k0, k1;
    an_chunk_range(r->k, r->nck, c, &k0, &k1);
    xb_error *e = &r->a->cerr[c];
    e->code = XB_OK;
    if (k1 > k0)
        an_chunk_mvm(r, k0, k1 - k0, &r->a->thr[thread], e);
}

/* Offset calibration: plane pi's ADC inputs, in the order of accumulate(). */
static void sample_offset_plane(xb_analog *a, an_layer *l, const an_tile *t, size_t k, double scale)
{
    const int Nc = t->cols, N = t->cols + t->unit;
    for (int s = 0; s < a->cfg.slices; s++)
        for (size_t kk = 0; kk < k; kk++) {
            const double *ipp = a->ipcal + ((size_t)s * k + kk) * N;
            if (t->unit)
                an_sample(&l->adc[s], ipp[Nc] * scale);
            for (int j = 0; j < Nc; j++)
                an_sample(&l->adc[s], ipp[j] * scale);
        }
}

/* Differential calibration: the digit sums, in the order of combine_slices(). */
static void sample_diff(xb_analog *a, an_layer *l, const an_tile *t, size_t k)
{
    for (int s = 0; s < a->cfg.slices; s++) {
        const double *qs = a->q + (size_t)s * k * t->cols;
        for (size_t q = 0; q < k * (size_t)t->cols; q++)
            an_sample(&l->adc[s], qs[q]);
    }
}

int an_tile_planes(const xb_analog *a, long lv_or, int *pl)
{
    const int serial = a->cfg.input == XB_INPUT_BIT_SERIAL;
    int np = 0;
    for (int b = 0; b < (serial ? a->cfg.input_bits : 1); b++)
        if (!serial || ((lv_or >> b) & 1))
            pl[np++] = serial ? b : -1;
    return np;
}

int an_tile_concurrent(const an_tile *t)
{
    int concurrent = 1;
    for (int q = 0; q < t->n_arr; q++)
        concurrent &= xb_array_mvm_concurrent(t->arr[q]);
    return concurrent;
}

xb_status an_tile_mvm(xb_analog *a, an_layer *l, an_tile *t, const double *xs, size_t ldx, size_t k, long lv_or,
                      unsigned long long read0, double *acc, size_t lda, double sign, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    const int serial = c->input == XB_INPUT_BIT_SERIAL, N = t->cols + t->unit;
    int pl[64];
    const int np = an_tile_planes(a, lv_or, pl);
    const int concurrent = an_tile_concurrent(t);
    const long nck = an_chunks(k, concurrent);
    const int per_plane = a->mode == AN_CAL_ADC && c->mapping == XB_MAP_OFFSET;
    if (an_grow(&a->q, &a->cap_q, (size_t)c->slices * k * t->cols, sizeof *a->q) ||
        an_grow(&a->cerr, &a->cap_cerr, (size_t)nck, sizeof *a->cerr) ||
        (per_plane && an_grow(&a->ipcal, &a->cap_ipcal, (size_t)c->slices * k * N, sizeof *a->ipcal)))
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for %zu vectors", k);
    an_tile_run r = {a, l, t, xs, ldx, k, pl, np, 0, 0, acc, lda, sign, nck, concurrent, NULL, 1, read0};
    const double scale = a->dmax / (c->v_read * a->dg) * (serial ? 1.0 : a->levels);
    for (;;) { /* all planes at once, or (offset calibration) plane by plane */
        r.p1 = per_plane && r.p0 < np ? r.p0 + 1 : np;
        r.ipshared = per_plane ? a->ipcal : NULL;
        an_run(nck, chunk_task, &r);
        an_merge_stats(a);
        xb_status st = an_first_error(a->cerr, nck, err);
        if (st)
            return st;
        if (per_plane && r.p1 > r.p0) {
            double t0 = xb_clock_now();
            sample_offset_plane(a, l, t, k, scale);
            a->stats.t_adc += xb_clock_now() - t0;
        }
        if ((r.p0 = r.p1) >= np)
            break;
    }
    if (a->mode == AN_CAL_ADC && c->mapping == XB_MAP_DIFFERENTIAL) {
        double t0 = xb_clock_now();
        sample_diff(a, l, t, k);
        a->stats.t_adc += xb_clock_now() - t0;
    }
    return XB_OK;
}
