/* analog_program.c: the arrays of a tile: weights to conductances (digits of
 * differential or offset mapping, slices), programming errors, the circuits. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog_impl.h"

/* Digit that slice s of polarity p (differential: 0 = G+, 1 = G-) stores. */
int an_digit(const xb_analog *a, int w, int s, int p, int unit)
{
    const xb_analog_config *c = &a->cfg;
    int v;
    if (c->mapping == XB_MAP_DIFFERENTIAL) {
        if ((p == 0 && w <= 0) || (p == 1 && w >= 0))
            return 0;
        v = w < 0 ? -w : w;
    } else {
        v = unit ? a->wmax : w + a->wmax; /* unsigned offset representation */
    }
    if (c->slices == 1)
        return v;
    return (v >> (s * a->slice_bits)) & ((1 << a->slice_bits) - 1);
}

static unsigned long long mix(unsigned long long h, unsigned long long v)
{
    /* splitmix64 finalizer over h ^ v */
    unsigned long long z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void an_tile_free(an_tile *t)
{
    if (!t->arr)
        return;
    for (int q = 0; q < t->n_arr; q++)
        xb_array_mvm_free(t->arr[q]);
    free(t->arr);
    t->arr = NULL;
    t->programmed = 0;
}

/* The circuit of array (s, p) of tile (g, dt, ot): conductances from the weight
 * digits, programming errors drawn from a generator seeded by the configuration
 * seed and the array's coordinates, wires from R^p. */
xb_circuit *an_array_circuit(xb_analog *a, an_layer *l, int g, int dt, int ot, int s, int p, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    int d0 = dt * c->rows_per_array, d1 = d0 + c->rows_per_array;
    int r0 = ot * c->cols_per_array, r1 = r0 + c->cols_per_array;
    if (d1 > l->D)
        d1 = l->D;
    if (r1 > l->R)
        r1 = l->R;
    int unit = c->mapping == XB_MAP_OFFSET && c->offset_sub == XB_OFFSET_UNIT_COLUMN;
    const int M = d1 - d0, cols = r1 - r0, N = cols + unit;
    xb_circuit *cc = xb_circuit_new(M, N, err);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!cc || !rng) {
        if (cc)
            xb_error_set(err, XB_ENOMEM, "analog: out of memory");
        xb_circuit_free(cc);
        if (rng)
            gsl_rng_free(rng);
        return NULL;
    }
    const double r_wire = c->rp / c->gmax; /* ohms per segment: R^p = R_wire Gmax */
    cc->topology = c->input == XB_INPUT_BIT_SERIAL ? XB_TOPO_GATE_INPUT : XB_TOPO_INPUT_SOURCE;
    cc->v_read = c->v_read;
    cc->r_col = r_wire;
    cc->r_sense = c->r_sense;
    if (cc->topology == XB_TOPO_INPUT_SOURCE) {
        cc->r_row = r_wire;
        cc->r_drv = c->r_drv;
    }
    if (cc->topology == XB_TOPO_GATE_INPUT && c->source_line != XB_SL_IDEAL) {
        cc->source_line = c->source_line;
        cc->sl_drive = c->sl_drive;
        cc->r_sl = c->r_sl == XB_R_SL_AS_RP ? r_wire : c->r_sl / c->gmax; /* ohms per segment */
    }
    cc->access = c->access;
    cc->nmos = c->nmos;
    cc->cell = c->cell;
    cc->sinh_v0 = c->sinh_v0;
    unsigned long long h = mix(mix(mix(mix(mix(mix(c->seed, (unsigned)l->L->index), (unsigned)g), (unsigned)dt),
                                       (unsigned)ot), (unsigned)s), (unsigned)p);
    gsl_rng_set(rng, (unsigned long)h);
    const double gmax = a->gmin + a->dg;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int is_unit = j == cols;
            int w = is_unit ? 0 : l->w[((size_t)g * l->R + r0 + j) * l->D + d0 + i];
            double G = a->gmin + an_digit(a, w, s, p, is_unit) / a->dmax * a->dg;
            if (c->error_model != XB_PROG_NONE && c->alpha > 0) {
                double sigma = c->error_model == XB_PROG_INDEPENDENT ? c->alpha * c->gmax : c->alpha * G;
                G += sigma * gsl_ran_gaussian(rng, 1.0);
                G = G < a->gmin ? a->gmin : G > gmax ? gmax : G;
            }
            cc->g[(size_t)i * N + j] = G;
        }
    gsl_rng_free(rng);
    return cc;
}

xb_status an_tile_program(xb_analog *a, an_layer *l, int g, int dt, int ot, an_tile *t, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    double t0 = xb_clock_now();
    int d0 = dt * c->rows_per_array, r0 = ot * c->cols_per_array;
    t->rows = (d0 + c->rows_per_array > l->D ? l->D : d0 + c->rows_per_array) - d0;
    t->cols = (r0 + c->cols_per_array > l->R ? l->R : r0 + c->cols_per_array) - r0;
    t->unit = c->mapping == XB_MAP_OFFSET && c->offset_sub == XB_OFFSET_UNIT_COLUMN;
    int per = c->mapping == XB_MAP_DIFFERENTIAL ? 2 : 1;
    t->n_arr = c->slices * per;
    t->arr = calloc((size_t)t->n_arr, sizeof *t->arr);
    if (!t->arr)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for a tile");
    xb_status st = XB_OK;
    for (int s = 0; s < c->slices && !st; s++)
        for (int p = 0; p < per && !st; p++) {
            xb_circuit *cc = an_array_circuit(a, l, g, dt, ot, s, p, err);
            if (!cc) {
                st = err->code;
                break;
            }
            xb_array_mvm *arr = xb_array_mvm_new(&a->mvm, err);
            if (!arr || xb_array_mvm_program(arr, cc, err)) {
                xb_array_mvm_free(arr);
                st = err->code;
            } else {
                t->arr[s * per + p] = arr;
                a->stats.tiles++;
            }
            xb_circuit_free(cc);
        }
    if (st) {
        an_tile_free(t);
        return xb_error_prefix(err, "layer '%s' tile (%d,%d)", l->L->name, dt, ot);
    }
    t->programmed = 1;
    a->stats.t_program += xb_clock_now() - t0;
    return XB_OK;
}
