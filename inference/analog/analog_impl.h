/* analog_impl.h: what the analog inference files share.  Not installed. */
#ifndef XB_ANALOG_IMPL_H
#define XB_ANALOG_IMPL_H

#include <gsl/gsl_rng.h>

#include "xb_analog.h"
#include "xb_base.h"
#include "xb_array_mvm.h"

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
} an_layer;

enum { AN_RUN = 0, AN_CAL_ACT, AN_CAL_ADC };

struct xb_analog {
    xb_model *model;
    xb_analog_config cfg;
    xb_array_mvm_config mvm; /* how every array multiplies (from cfg.mvm) */
    int n_layers;
    an_layer *layers;
    int mode;
    int calibrated;
    int attached;
    double gmin, dg;     /* siemens: Gmin and Gmax - Gmin */
    int wmax;            /* 2^(B-1) - 1 */
    int levels;          /* input levels - 1: 2^input_bits - 1 */
    int slice_bits;      /* bits per slice (the whole digit when unsliced) */
    double dmax;         /* digit value that maps to Gmax */
    xb_analog_stats stats;
};

/* analog_tile.c */
xb_circuit *an_array_circuit(xb_analog *a, an_layer *l, int g, int dt, int ot, int s, int p, xb_error *err);
xb_status an_tile_program(xb_analog *a, an_layer *l, int g, int dt, int ot, an_tile *t, xb_error *err);
void an_tile_free(an_tile *t);
/* Tile MVM in integer units: out (k x t->cols) += sum over the tile of w * x for
 * the k input vectors xs (k x t->rows, integer magnitudes 0..levels).  Uses the
 * ADC of layer l (or records calibration samples in AN_CAL_ADC mode). */
xb_status an_tile_mvm(xb_analog *a, an_layer *l, an_tile *t, const double *xs, size_t k, double *out, xb_error *err);

/* analog.c */
void an_sample(an_sampler *s, double v);

#endif
