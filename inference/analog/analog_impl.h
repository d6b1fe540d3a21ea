/* analog_impl.h: what the analog inference files share.  Not installed. */
#ifndef XB_ANALOG_IMPL_H
#define XB_ANALOG_IMPL_H

#include <gsl/gsl_rng.h>

#include "xb_analog.h"
#include "xb_base.h"
#include "xb_array_mvm.h"
#include "xb_threads.h"
#include "device_model.h"

#define AN_SAMPLE_CAP 65536 /* values kept per calibration reservoir */

/* A reservoir sample of |values| for percentiles, deterministic in its seed. */
typedef struct {
    double *v;
    long n;      /* kept */
    long seen;   /* offered */
    gsl_rng *rng;
    int any_negative;
} an_sampler;

typedef struct {
    int programmed;
    int rows, cols;      /* inputs and outputs of the tile (without the unit column) */
    int unit;            /* 1: the arrays end with a unit column (offset mapping) */
    int n_arr;           /* slices * (2 differential | 1 offset) */
    xb_array_mvm **arr;  /* [slice * per + polarity] */
} an_tile;

typedef struct {
    const xb_matmul_layer *L;
    int G, R, D;         /* groups, outputs per group, inputs per group */
    int *w;              /* G*R*D integer weights in [-wmax, wmax] */
    double *wscale;      /* G*R: float weight = w * wscale */
    double act_range;    /* calibrated input range (the quantizer's full scale) */
    int act_signed;      /* inputs take negative values: two passes */
    double *adc_range;   /* per slice: the ADC's full scale, in digit units */
    int n_dt, n_ot;      /* depth tiles and output tiles per group */
    an_tile *tiles;      /* G * n_dt * n_ot */
    an_sampler act;      /* calibration of the input range */
    an_sampler *adc;     /* per slice: calibration of the ADC range */
    double drift_scale;  /* global drift compensation: the outputs' scale (1 without) */
    int drift_scaled;    /* drift_scale measured */
    unsigned long long *reads; /* per conv group: input vectors read so far (numbers the read noise) */
} an_layer;

/* The devices of one xb_analog, resolved (analog_device.c). */
typedef struct {
    double t0;             /* seconds: the drift law's reference time */
    int drifts;            /* drift_time > t0 */
    xb_device_table table; /* device = table */
} an_device;

enum { AN_RUN = 0, AN_CAL_ACT, AN_CAL_ADC };

/* What one thread of the pool keeps from one call to the next (analog_par.c):
 * buffers grown as needed and never shrunk, so the hot loops allocate nothing
 * once they have seen their largest call. */
typedef struct {
    int *lv;              /* input levels of a chunk (bit-serial, at most 2^16 - 1) */
    double *in, *ip, *im; /* plane inputs, G+ (or offset) currents, G- currents */
    double *ones, *out;   /* enabled rows per vector; a chunk's tile output */
    double *cal;          /* calibration products: a block of output rows */
    double *q;            /* a chunk's digit sums of every slice (layer calls in one task) */
    unsigned long long *reads; /* the numbers of a chunk's reads (read noise) */
    size_t cap_lv, cap_in, cap_ip, cap_im, cap_ones, cap_out, cap_cal, cap_q, cap_reads; /* elements */
    xb_solver_work *work; /* the solver's scratch (NULL until needed) */
    xb_analog_stats st;   /* this thread's time and vectors since the last merge */
    unsigned long long sums_hash; /* this thread's share of the checksum since the last merge */
} an_thread;

struct xb_analog {
    xb_model *model;
    xb_analog_config cfg;
    xb_array_mvm_config mvm; /* how every array multiplies (from cfg.mvm) */
    int n_layers;
    an_layer *layers;
    int mode;
    int calibrated;
    int attached;
    int state_t0;        /* program the arrays as they are at t0 (the ADC calibration) */
    an_device dev;
    double gmin, dg;     /* siemens: Gmin and Gmax - Gmin */
    int wmax;            /* 2^(B-1) - 1 */
    int levels;          /* input levels - 1: 2^input_bits - 1 */
    int slice_bits;      /* bits per slice (the whole digit when unsliced) */
    double dmax;         /* digit value that maps to Gmax */
    xb_analog_stats stats;
    unsigned long long sums_hash; /* xb_analog_sums_hash */
    /* Parallel runs (analog_par.c): per pool thread, and shared by a call's chunks. */
    an_thread thr[XB_THREADS_MAX];
    double *xp, *xn, *acc; /* a call's quantized inputs (k x D each) and sums (k x R) */
    double *q;             /* a tile's digit sums of every slice (slices x k x cols) */
    double *ipcal;         /* offset calibration: one plane's currents (slices x k x N) */
    long *ors;             /* per chunk and pass: the OR of the levels of each depth tile */
    xb_error *cerr;        /* per chunk (or array): what failed */
    size_t cap_xp, cap_xn, cap_acc, cap_q, cap_ipcal, cap_ors, cap_cerr; /* elements */
};

/* analog_program.c */
int an_digit(const xb_analog *a, int w, int s, int p, int unit);
xb_circuit *an_array_circuit(xb_analog *a, an_layer *l, int g, int dt, int ot, int s, int p, double **sd,
                             unsigned long long *key, xb_error *err);
/* Global drift compensation: l->drift_scale from every array of the layer. */
xb_status an_drift_scale(xb_analog *a, an_layer *l, xb_error *err);

/* analog_device.c */
xb_status an_device_init(xb_analog *a, xb_error *err);
void an_device_free(xb_analog *a);
/* n cells of one array (stream h) from their targets g (overwritten): as
 * programmed, then at the time of inference when at_t (drift), stuck cells.
 * g_t0 (or NULL): the same cells right after programming.  sd (or NULL): the
 * sigma of each cell's reads, *any_sd whether one is not 0. */
xb_status an_device_program(const xb_analog *a, unsigned long long h, int at_t, size_t n, double *g, double *g_t0,
                            double *sd, int *any_sd, xb_error *err);
/* Program the tiles of conv group g in the depth tiles with need[dt] != 0 that
 * are not programmed yet, their arrays in parallel. */
xb_status an_program_tiles(xb_analog *a, an_layer *l, int g, const long *need, xb_error *err);
void an_tile_free(an_tile *t);

/* analog_tile.c: tile MVM in integer units: acc (k rows, stride lda) += sign *
 * the ADC's sum over the tile of w * x for the k input vectors xs (k rows of
 * t->rows integer magnitudes 0..levels, stride ldx), whose levels OR to lv_or.
 * The vectors are cut into chunks run on the pool's threads (one chunk when
 * the arrays are not concurrent: then the arrays run in parallel); every
 * vector's result is the same bits whatever the chunks.  In AN_CAL_ADC mode the
 * ADC's inputs are sampled afterwards, in the order of one thread.  read0:
 * the vectors the group read before this call (numbers the read noise). */
xb_status an_tile_mvm(xb_analog *a, an_layer *l, an_tile *t, const double *xs, size_t ldx, size_t k, long lv_or,
                      unsigned long long read0, double *acc, size_t lda, double sign, xb_error *err);

/* One tile MVM of a layer call, as its chunks see it. */
typedef struct {
    xb_analog *a;
    an_layer *l;
    an_tile *t;
    const double *xs;  /* k rows of t->rows levels, stride ldx */
    size_t ldx, k;
    const int *pl;     /* the planes to convert: bit b, or -1 for the DAC */
    int np;
    int p0, p1;        /* the planes of this run */
    double *acc;       /* k rows, stride lda: += sign * the tile's output */
    size_t lda;
    double sign;
    long nck;          /* chunks */
    int concurrent;    /* the arrays may solve on several threads at once */
    double *ipshared;  /* offset calibration: this plane's currents, slices x k x N */
    int qshared;       /* digit sums in a->q (k rows: sampled afterwards), else per thread */
    unsigned long long read0; /* the group's vectors read before this call (read noise) */
} an_tile_run;
/* The planes to convert (bit b, or -1 for the DAC) for inputs whose levels OR
 * to lv_or, into pl (64); returns how many. */
int an_tile_planes(const xb_analog *a, long lv_or, int *pl);
/* 1 when every array of the tile may solve on several threads at once. */
int an_tile_concurrent(const an_tile *t);
/* Vectors k0 .. k0+kc of one tile MVM (planes r->p0 .. r->p1) on thread th. */
xb_status an_chunk_mvm(const an_tile_run *r, size_t k0, size_t kc, an_thread *th, xb_error *err);

/* analog_par.c: buffers, chunks and the merge of the threads' statistics */
int an_grow(void *p, size_t *cap, size_t n, size_t elem); /* room for n elements of elem bytes; -1: no memory */
long an_chunks(size_t k, int concurrent);                  /* chunks for k vectors */
void an_chunk_range(size_t k, long nck, long c, size_t *k0, size_t *k1);
void an_merge_stats(xb_analog *a);                         /* the threads' statistics into a->stats */
void an_free_par(xb_analog *a);
/* Run task(ctx, c, thread) for c < n on the pool, or on this thread when n is 1
 * (so that the arrays of a chunk may still use the pool). */
void an_run(long n, xb_task_fn task, void *ctx);
/* The first failure among n per-task errors (in task order) into err. */
xb_status an_first_error(const xb_error *e, long n, xb_error *err);

/* analog_hook.c: the matmul hook (quantization, tiles, the result) */
xb_status an_hook(void *user, const xb_matmul_layer *L, const xb_matmul_call *call, xb_error *err);

/* analog.c */
void an_sample(an_sampler *s, double v);

#endif
