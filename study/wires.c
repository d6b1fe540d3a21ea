/* wires.c: the wire-resistance vs array-size study (see xb_study.h); its files
 * are written by wires_files.c and wires_figures.c. */
#define _XOPEN_SOURCE 700
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gsl/gsl_rng.h>

#include "xb_base.h"
#include "xb_study.h"

/* The maps show the largest array up to this size. */
#define DEF_MAP_SIZE_MAX 256
/* AMD orders these arrays fastest; above, METIS's nested dissection fills far less. */
#define AMD_MAX_CELLS (1024L * 1024L)
/* Bytes the K-vector right-hand-side block may take (two copies of 2 M N unknowns). */
#define RHS_BLOCK_MAX_BYTES ((size_t)1 << 30)

/* Random streams, one generator each, so that adding a topology or a size does
 * not shift the numbers of another. */
enum { STREAM_WEIGHTS = 1, STREAM_INPUT_SOURCE = 2, STREAM_GATE_INPUT = 3 };

static size_t peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux reports kilobytes */
}

/* splitmix64 finalizer: well-spread seeds from (seed, size, stream). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static gsl_rng *stream_rng(unsigned long seed, int size, int stream)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    uint64_t z = mix64((uint64_t)seed + 0x9e3779b97f4a7c15ULL);
    z = mix64(z ^ ((uint64_t)(unsigned)size * 0x9e3779b97f4a7c15ULL));
    z = mix64(z ^ (uint64_t)stream);
    unsigned long s = (unsigned long)(z & 0xffffffffUL); /* mt19937 keeps 32 bits */
    gsl_rng_set(r, s ? s : 1);
    return r;
}

static int map_size_of(const xb_study_options *opt)
{
    if (opt->map_size > 0)
        return opt->map_size;
    int best = 0, smallest = opt->sizes[0];
    for (int k = 0; k < opt->n_sizes; k++) {
        if (opt->sizes[k] <= DEF_MAP_SIZE_MAX && opt->sizes[k] > best)
            best = opt->sizes[k];
        if (opt->sizes[k] < smallest)
            smallest = opt->sizes[k];
    }
    return best ? best : smallest;
}

static int nearest_rp(const xb_study_options *opt, double rp)
{
    int best = 0;
    for (int k = 1; k < opt->n_rp; k++)
        if (fabs(log(opt->rp[k] / rp)) < fabs(log(opt->rp[best] / rp)))
            best = k;
    return best;
}

/* Rough relative cost of one point, for the progress fraction: the sparse
 * factorization grows like (cells)^1.5, a triangular solve like its factor, and
 * the column path is a few nanoseconds per cell and vector. */
static double point_work(const xb_study_options *o, xb_topology t, int size)
{
    double cells = (double)size * size;
    if (t == XB_TOPO_GATE_INPUT)
        return (o->vectors + 1.0) * cells * 0.01;
    return pow(cells, 1.5) * 0.03 + (o->vectors + 1.0) * cells * 20.0;
}

/* The helpers below get a non-NULL err from xb_study_wires. */

/* Everything that is the same for every R^p of one topology and size. */
typedef struct {
    xb_topology topo;
    int size;
    xb_circuit *base;  /* weights, terminals; wires set per point */
    double *in;        /* K x M random inputs */
    double *full;      /* M: the full-scale vector (every row at v_in, or every row on) */
    double *ideal;     /* K x N: the ideal currents G^T v */
    double v_applied;  /* volts across a cell of an ideal array at full scale */
} sweep;

static void sweep_release(sweep *w)
{
    xb_circuit_free(w->base);
    free(w->in);
    free(w->full);
    free(w->ideal);
    memset(w, 0, sizeof *w);
}

static xb_status sweep_init(sweep *w, const xb_study_options *o, xb_topology topo, const double *g, int size,
                            xb_error *err)
{
    memset(w, 0, sizeof *w);
    const int M = size, N = size;
    const size_t K = (size_t)o->vectors;
    w->topo = topo;
    w->size = size;
    w->base = xb_circuit_new(M, N, err);
    if (!w->base)
        return err->code;
    memcpy(w->base->g, g, (size_t)M * N * sizeof *g);
    w->base->topology = topo;
    w->base->v_read = topo == XB_TOPO_GATE_INPUT ? o->v_read : 0.0;
    w->base->r_drv = topo == XB_TOPO_INPUT_SOURCE ? o->r_drv : 0.0;
    w->base->r_sense = o->r_sense;
    w->v_applied = topo == XB_TOPO_GATE_INPUT ? o->v_read : o->v_in;
    w->in = malloc(K * M * sizeof *w->in);
    w->full = malloc((size_t)M * sizeof *w->full);
    w->ideal = malloc(K * N * sizeof *w->ideal);
    if (!w->in || !w->full || !w->ideal) {
        sweep_release(w);
        return xb_error_set(err, XB_ENOMEM, "study: out of memory for %zu input vectors of a %d x %d array", K, M, N);
    }
    gsl_rng *r = stream_rng(o->seed, size, topo == XB_TOPO_GATE_INPUT ? STREAM_GATE_INPUT : STREAM_INPUT_SOURCE);
    if (!r) {
        sweep_release(w);
        return xb_error_set(err, XB_ENOMEM, "study: out of memory for a random generator");
    }
    for (size_t q = 0; q < K * M; q++)
        w->in[q] = topo == XB_TOPO_GATE_INPUT ? (gsl_rng_uniform(r) < o->p_on ? 1.0 : 0.0)
                                              : o->v_in * gsl_rng_uniform(r);
    gsl_rng_free(r);
    for (int i = 0; i < M; i++)
        w->full[i] = topo == XB_TOPO_GATE_INPUT ? 1.0 : o->v_in;
    /* The reference: the same array with ideal wires and terminals. */
    xb_circuit *ic = xb_circuit_copy(w->base, err);
    if (!ic) {
        sweep_release(w);
        return err->code;
    }
    ic->r_drv = 0.0;
    ic->r_sense = 0.0;
    xb_solver_options so;
    xb_solver_options_init(&so);
    so.backend = XB_BACKEND_IDEAL;
    so.max_memory = o->max_memory;
    xb_solver *s = xb_solver_new(ic, &so, err);
    xb_status st = s ? xb_solver_solve(s, w->in, K, w->ideal, NULL, err) : err->code;
    xb_solver_free(s);
    xb_circuit_free(ic);
    if (st) {
        xb_error_prefix(err, "study: ideal reference of the %d x %d %s array", M, N, xb_topology_name(topo));
        sweep_release(w);
    }
    return st;
}

/* Solve one point.  drop_map (size*size or NULL) receives the IR-drop map. */
static xb_status run_point(const sweep *w, const xb_study_options *o, double rp, xb_study_point *pt,
                           double *drop_map, xb_error *err)
{
    const int M = w->size, N = w->size;
    const size_t K = (size_t)o->vectors, mn = (size_t)M * N;
    memset(pt, 0, sizeof *pt);
    pt->topology = w->topo;
    pt->size = w->size;
    pt->rp = rp;
    pt->r_wire = rp / o->g_max;
    pt->vectors = o->vectors;
    pt->seed = o->seed;

    xb_circuit *c = xb_circuit_copy(w->base, err);
    if (!c)
        return err->code;
    c->r_col = pt->r_wire;
    c->r_row = w->topo == XB_TOPO_INPUT_SOURCE ? pt->r_wire : 0.0;

    xb_solver_options so;
    xb_solver_options_init(&so);
    so.max_memory = o->max_memory;
    so.refine = o->refine;
    if (w->topo == XB_TOPO_GATE_INPUT) {
        so.backend = XB_BACKEND_COLUMN;
    } else if (o->backend == XB_BACKEND_AUTO) {
        /* The transfer matrix costs M solves and then one GEMM for all K vectors;
         * the nodal path costs K solves on the same factorization. */
        so.backend = (size_t)M < K ? XB_BACKEND_TRANSFER : XB_BACKEND_CHOLMOD;
    } else {
        so.backend = o->backend;
    }
    /* As many of the K vectors per right-hand-side block as RHS_BLOCK_MAX_BYTES
     * allows (all of them up to 1024 x 1024): the triangular solves stream the
     * factor once per block. */
    if (w->topo == XB_TOPO_INPUT_SOURCE) {
        size_t per = mn * 2 * 2 * sizeof(double), fit = RHS_BLOCK_MAX_BYTES / per;
        so.rhs_block = (int)(fit < 1 ? 1 : fit < K ? fit : K);
    }
    if (o->ordering == XB_STUDY_ORDER_BY_SIZE)
        so.ordering = (long)M * N <= AMD_MAX_CELLS ? XB_ORDER_AMD : XB_ORDER_METIS;
    else
        so.ordering = (xb_ordering)o->ordering;

    xb_status st = XB_OK;
    double *out = malloc(K * N * sizeof *out), *full_out = malloc((size_t)N * sizeof *full_out);
    double *vrow = malloc(mn * sizeof *vrow), *vcol = malloc(mn * sizeof *vcol);
    xb_solver *s = NULL;
    if (!out || !full_out || !vrow || !vcol) {
        st = xb_error_set(err, XB_ENOMEM, "out of memory for the node voltages of a %d x %d array", M, N);
        goto done;
    }
    double t0 = xb_clock_now();
    s = xb_solver_new(c, &so, err);
    if (!s) {
        st = err->code;
        goto done;
    }
    double t1 = xb_clock_now();
    if ((st = xb_solver_solve(s, w->in, K, out, NULL, err)))
        goto done;
    double t2 = xb_clock_now();
    xb_solution d = {vrow, vcol, NULL, NULL};
    if ((st = xb_solver_solve(s, w->full, 1, full_out, &d, err)))
        goto done;
    const xb_solver_stats *stats = xb_solver_get_stats(s);
    pt->t_setup = t1 - t0;
    pt->t_per_vector = (t2 - t1) / (double)K;
    snprintf(pt->backend, sizeof pt->backend, "%s", stats->backend);
    pt->mem_estimate = stats->mem_estimate;

    /* Relative RMS error over every current of every vector (long double sums:
     * up to 10^9 terms). */
    long double num = 0, den = 0;
    for (size_t q = 0; q < K * N; q++) {
        long double e = (long double)out[q] - w->ideal[q];
        num += e * e;
        den += (long double)w->ideal[q] * w->ideal[q];
    }
    pt->rel_rms_err = den > 0 ? (double)sqrtl(num / den) : (double)sqrtl(num);

    /* IR drop of the full-scale vector: every cell of an ideal array sees
     * v_applied; here it sees v_row - v_col. */
    double worst = -INFINITY;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            size_t p = (size_t)i * N + j;
            double drop = (w->v_applied - (vrow[p] - vcol[p])) / w->v_applied;
            if (drop_map)
                drop_map[p] = drop;
            if (drop > worst) {
                worst = drop;
                pt->worst_i = i;
                pt->worst_j = j;
            }
        }
    pt->worst_ir_drop = worst;
    pt->peak_rss = peak_rss_bytes();
done:
    if (st)
        xb_error_prefix(err, "%s %d x %d at R^p = %g (%g ohms per segment)", xb_topology_name(w->topo), M, N, rp,
                        pt->r_wire);
    xb_solver_free(s);
    xb_circuit_free(c);
    free(out);
    free(full_out);
    free(vrow);
    free(vcol);
    return st;
}

void xb_study_result_free(xb_study_result *r)
{
    if (!r)
        return;
    free(r->points);
    for (int k = 0; k < r->n_maps; k++)
        free(r->maps[k].drop);
    free((void *)r->opt.sizes); /* the result's own copies (keep_options) */
    free((void *)r->opt.rp);
    free(r);
}

/* The options of the run into r->opt, with copies of the lists that r owns: the
 * caller may release or change its options while r lives. */
static xb_status keep_options(xb_study_result *r, const xb_study_options *o, xb_error *err)
{
    int *sizes = malloc((size_t)o->n_sizes * sizeof *sizes);
    double *rp = malloc((size_t)o->n_rp * sizeof *rp);
    if (!sizes || !rp) {
        free(sizes);
        free(rp);
        return xb_error_set(err, XB_ENOMEM, "study: out of memory for the options");
    }
    memcpy(sizes, o->sizes, (size_t)o->n_sizes * sizeof *sizes);
    memcpy(rp, o->rp, (size_t)o->n_rp * sizeof *rp);
    r->opt = *o;
    r->opt.sizes = sizes;
    r->opt.rp = rp;
    r->opt.own_sizes = NULL;
    r->opt.own_rp = NULL;
    r->opt.progress = NULL;
    r->opt.user = NULL;
    return XB_OK;
}

xb_study_result *xb_study_wires(const xb_study_options *o, xb_error *err)
{
    if (xb_study_options_validate(o, err))
        return NULL;
    xb_error local = {0}, *e = err ? err : &local;
    const double t_start = xb_clock_now();
    const int n_topo = (o->topologies & XB_STUDY_INPUT_SOURCE ? 1 : 0) + (o->topologies & XB_STUDY_GATE_INPUT ? 1 : 0);
    const int total = n_topo * o->n_sizes * o->n_rp;
    const int map_size = map_size_of(o);
    const int map_k = nearest_rp(o, o->map_rp);
    xb_topology topos[2];
    int nt = 0;
    if (o->topologies & XB_STUDY_INPUT_SOURCE)
        topos[nt++] = XB_TOPO_INPUT_SOURCE;
    if (o->topologies & XB_STUDY_GATE_INPUT)
        topos[nt++] = XB_TOPO_GATE_INPUT;

    xb_study_result *r = calloc(1, sizeof *r);
    if (r)
        r->points = calloc((size_t)total, sizeof *r->points);
    if (!r || !r->points) {
        xb_study_result_free(r);
        xb_error_set(err, XB_ENOMEM, "study: out of memory for %d points", total);
        return NULL;
    }
    if (keep_options(r, o, err)) {
        xb_study_result_free(r);
        return NULL;
    }
    for (int t = 0; t < nt; t++) {
        xb_study_map *m = &r->maps[r->n_maps++];
        m->topology = topos[t];
        m->size = map_size;
        m->rp = o->rp[map_k];
        m->drop = malloc((size_t)map_size * map_size * sizeof *m->drop);
        if (!m->drop) {
            xb_study_result_free(r);
            xb_error_set(err, XB_ENOMEM, "study: out of memory for a %d x %d IR-drop map", map_size, map_size);
            return NULL;
        }
    }

    double work_total = 0, work_done = 0;
    for (int t = 0; t < nt; t++)
        for (int si = 0; si < o->n_sizes; si++)
            work_total += o->n_rp * point_work(o, topos[t], o->sizes[si]);
    xb_study_progress pr = {0, total, 0.0, 0.0, NULL};
    if (o->progress && o->progress(o->user, &pr)) {
        xb_study_result_free(r);
        xb_error_set(err, XB_EINVAL, "study: cancelled");
        return NULL;
    }

    /* Points are stored by topology, then size, then R^p; the sizes run in the
     * outer loop so that one size's weights are drawn once for both topologies. */
    for (int si = 0; si < o->n_sizes; si++) {
        const int size = o->sizes[si];
        const size_t mn = (size_t)size * size;
        double *g = malloc(mn * sizeof *g);
        gsl_rng *rng = stream_rng(o->seed, size, STREAM_WEIGHTS);
        if (!g || !rng) {
            free(g);
            gsl_rng_free(rng);
            xb_study_result_free(r);
            xb_error_set(err, XB_ENOMEM, "study: out of memory for the weights of a %d x %d array", size, size);
            return NULL;
        }
        const double g_min = o->g_max / o->on_off;
        for (size_t q = 0; q < mn; q++)
            g[q] = g_min + gsl_rng_uniform(rng) * (o->g_max - g_min);
        gsl_rng_free(rng);
        for (int t = 0; t < nt; t++) {
            sweep w;
            if (sweep_init(&w, o, topos[t], g, size, e)) {
                free(g);
                xb_study_result_free(r);
                return NULL;
            }
            for (int k = 0; k < o->n_rp; k++) {
                xb_study_point *pt = &r->points[(t * o->n_sizes + si) * o->n_rp + k];
                double *map = size == map_size && k == map_k ? r->maps[t].drop : NULL;
                if (run_point(&w, o, o->rp[k], pt, map, e)) {
                    sweep_release(&w);
                    free(g);
                    xb_study_result_free(r);
                    return NULL;
                }
                work_done += point_work(o, topos[t], size);
                pr.done++;
                pr.work_done = work_total > 0 ? work_done / work_total : 1.0;
                pr.elapsed = xb_clock_now() - t_start;
                pr.last = pt;
                if (o->progress && o->progress(o->user, &pr)) {
                    sweep_release(&w);
                    free(g);
                    xb_study_result_free(r);
                    xb_error_set(err, XB_EINVAL, "study: cancelled");
                    return NULL;
                }
            }
            sweep_release(&w);
        }
        free(g);
    }
    r->n_points = total;
    r->t_total = xb_clock_now() - t_start;
    return r;
}

const xb_study_point *xb_study_find(const xb_study_result *r, xb_topology t, int size, double rp)
{
    const xb_study_point *best = NULL;
    if (!r || !(rp > 0))
        return NULL;
    for (int k = 0; k < r->n_points; k++) {
        const xb_study_point *p = &r->points[k];
        if (p->topology != t || p->size != size)
            continue;
        if (!best || fabs(log(p->rp / rp)) < fabs(log(best->rp / rp)))
            best = p;
    }
    return best;
}
