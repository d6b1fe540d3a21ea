/* bench_mvm.c: the exact parasitic MVM against the ideal GEMM on the same tile
 * (xb_bench.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_tile.h"
#include "xb_base.h"

#define MVM_VECTORS 1000    /* per tile: enough that one batch amortizes the call */
#define MVM_REPEAT 5        /* timed repetitions; the median is reported */
#define MVM_RHAT 1e-4       /* 1 ohm per segment at Gmax = 1e-4 S */
#define BIT_DENSITY 0.5     /* probability that a gate-input bit is 1 */

/* The tiles: an input-source tile the transfer matrix serves, and the gate-input
 * tile of the reference study (1152 rows: 3 x 3 x 128 inputs of a ResNet layer). */
static const struct {
    xb_topology topo;
    int M, N;
} mvm_tiles[XB_BENCH_MVM_TILES] = {{XB_TOPO_INPUT_SOURCE, 256, 256}, {XB_TOPO_GATE_INPUT, 1152, 256}};

void xb_bench_mvm_options_init(xb_bench_mvm_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->vectors = MVM_VECTORS;
    o->repeat = MVM_REPEAT;
    o->seed = 1;
    o->rhat = MVM_RHAT;
    o->density = BIT_DENSITY;
}

/* The buffers of one tile's run. */
typedef struct {
    xb_circuit *c, *ci;      /* the tile, and its ideal copy */
    double *v, *oe, *oi;     /* K x M inputs; K x N exact and ideal outputs */
    double *ratio, *te, *ti; /* R per-repeat ratios and seconds per vector */
    xb_solver *se;           /* the exact solver */
} mvm_work;

static void mvm_work_free(mvm_work *w)
{
    xb_solver_free(w->se);
    xb_circuit_free(w->c);
    xb_circuit_free(w->ci);
    free(w->v);
    free(w->oe);
    free(w->oi);
    free(w->ratio);
    free(w->te);
    free(w->ti);
}

/* Medians, the spread of the ratios, and how far the wires move the outputs. */
static void mvm_summarize(const mvm_work *w, int R, size_t KN, xb_bench_mvm_result *res)
{
    res->t_exact = bench_median(w->te, R);
    res->t_ideal = bench_median(w->ti, R);
    res->ratio = bench_median(w->ratio, R);
    res->ratio_min = res->ratio_max = w->ratio[0];
    for (int q = 1; q < R; q++) {
        res->ratio_min = fmin(res->ratio_min, w->ratio[q]);
        res->ratio_max = fmax(res->ratio_max, w->ratio[q]);
    }
    double num = 0, den = 0;
    for (size_t q = 0; q < KN; q++) {
        num += (w->oe[q] - w->oi[q]) * (w->oe[q] - w->oi[q]);
        den += w->oi[q] * w->oi[q];
    }
    res->dev = den > 0 ? sqrt(num / den) : 0.0;
}

/* Warm up both (thread pools, page faults), size the samples, then time them
 * side by side R times. */
static xb_status mvm_time(mvm_work *w, const xb_bench_mvm_options *o, xb_bench_mvm_result *res, xb_error *e)
{
    const size_t K = o->vectors;
    double pi, pe;
    xb_status st;
    if ((st = bench_time(NULL, w->ci, w->v, K, w->oi, 1, &pi, e)) ||
        (st = bench_time(w->se, NULL, w->v, K, w->oe, 1, &pe, e)))
        return st;
    res->inner_ideal = bench_inner_count(pi, K);
    res->inner_exact = bench_inner_count(pe, K);
    for (int q = 0; q < o->repeat; q++) {
        /* Alternate the order so neither always runs on a cache warmed by the other. */
        for (int h = 0; h < 2; h++) {
            int exact = (h + q) % 2;
            if ((st = bench_time(exact ? w->se : NULL, w->ci, w->v, K, exact ? w->oe : w->oi,
                                 exact ? res->inner_exact : res->inner_ideal, exact ? &w->te[q] : &w->ti[q], e)))
                return st;
        }
        w->ratio[q] = w->te[q] / w->ti[q];
    }
    return XB_OK;
}

static xb_status mvm_tile(const xb_bench_mvm_options *o, xb_topology topo, int M, int N, xb_bench_mvm_result *res,
                          xb_error *e)
{
    const size_t K = o->vectors;
    const int R = o->repeat;
    memset(res, 0, sizeof *res);
    res->topology = topo;
    res->rows = M;
    res->cols = N;
    res->vectors = K;
    xb_backend eb = topo == XB_TOPO_GATE_INPUT ? XB_BACKEND_COLUMN : XB_BACKEND_TRANSFER;
    res->exact_backend = xb_backend_name(eb);
    mvm_work w = {0};
    xb_status st = bench_tile_make(o->seed, M, N, topo, o->rhat, K, o->density, &w.c, &w.ci, &w.v, e);
    w.oe = malloc(K * (size_t)N * sizeof *w.oe);
    w.oi = malloc(K * (size_t)N * sizeof *w.oi);
    w.ratio = malloc((size_t)R * sizeof *w.ratio);
    w.te = malloc((size_t)R * sizeof *w.te);
    w.ti = malloc((size_t)R * sizeof *w.ti);
    if (!st && (!w.oe || !w.oi || !w.ratio || !w.te || !w.ti))
        st = xb_error_set(e, XB_ENOMEM, "bench: out of memory for %zu vectors of a %d x %d tile", K, M, N);
    if (!st) {
        xb_solver_options opt;
        xb_solver_options_init(&opt);
        opt.backend = eb;
        double t0 = xb_clock_now();
        w.se = xb_solver_new(w.c, &opt, e);
        res->setup = xb_clock_now() - t0;
        if (!w.se)
            st = e->code;
        else
            res->extract = xb_solver_get_stats(w.se)->t_transfer;
    }
    if (!st && !(st = mvm_time(&w, o, res, e)))
        mvm_summarize(&w, R, K * (size_t)N, res);
    mvm_work_free(&w);
    return st;
}

xb_status xb_bench_mvm(const xb_bench_mvm_options *o, xb_bench_mvm_result res[XB_BENCH_MVM_TILES], xb_error *err)
{
    if (!o || !res)
        return xb_error_set(err, XB_EINVAL, "bench mvm: NULL argument");
    if (o->vectors < 1 || o->repeat < 1)
        return xb_error_set(err, XB_EINVAL, "bench mvm: %zu vectors, %d repeats: need at least 1 of each", o->vectors,
                            o->repeat);
    if (!(o->rhat >= 0 && isfinite(o->rhat)))
        return xb_error_set(err, XB_EINVAL, "bench mvm: R̂p = %g: must be finite and >= 0", o->rhat);
    if (!(o->density >= 0 && o->density <= 1))
        return xb_error_set(err, XB_EINVAL, "bench mvm: density %g: must be in [0, 1]", o->density);
    xb_error local = {0}, *e = err ? err : &local;
    for (int t = 0; t < XB_BENCH_MVM_TILES; t++) {
        xb_status st = mvm_tile(o, mvm_tiles[t].topo, mvm_tiles[t].M, mvm_tiles[t].N, &res[t], e);
        if (st) {
            xb_error_prefix(err, "%s %dx%d", xb_topology_name(mvm_tiles[t].topo), mvm_tiles[t].M, mvm_tiles[t].N);
            return st;
        }
    }
    return XB_OK;
}
