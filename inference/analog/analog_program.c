/* analog_program.c: the arrays of a tile: weights to conductances (digits of
 * differential or offset mapping, slices), programming errors, the circuits. */
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

/* The shape of array (g, dt, ot): M rows, N columns (with the unit column). */
static void array_shape(const xb_analog *a, const an_layer *l, int dt, int ot, int *M, int *cols, int *N)
{
    const xb_analog_config *c = &a->cfg;
    int d0 = dt * c->rows_per_array, d1 = d0 + c->rows_per_array;
    int r0 = ot * c->cols_per_array, r1 = r0 + c->cols_per_array;
    if (d1 > l->D)
        d1 = l->D;
    if (r1 > l->R)
        r1 = l->R;
    *M = d1 - d0;
    *cols = r1 - r0;
    *N = *cols + (c->mapping == XB_MAP_OFFSET && c->offset_sub == XB_OFFSET_UNIT_COLUMN);
}

/* The target conductances of array (s, p) of tile (g, dt, ot) into gt (M*N),
 * from the weight digits; returns the array's stream, from the configuration
 * seed and the array's coordinates. */
static unsigned long long array_targets(const xb_analog *a, const an_layer *l, int g, int dt, int ot, int s, int p,
                                        double *gt)
{
    const xb_analog_config *c = &a->cfg;
    int M, cols, N;
    array_shape(a, l, dt, ot, &M, &cols, &N);
    const int d0 = dt * c->rows_per_array, r0 = ot * c->cols_per_array;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int is_unit = j == cols;
            int w = is_unit ? 0 : l->w[((size_t)g * l->R + r0 + j) * l->D + d0 + i];
            gt[(size_t)i * N + j] = a->gmin + an_digit(a, w, s, p, is_unit) / a->dmax * a->dg;
        }
    return mix(mix(mix(mix(mix(mix(c->seed, (unsigned)l->L->index), (unsigned)g), (unsigned)dt), (unsigned)ot),
                   (unsigned)s),
               (unsigned)p);
}

/* The circuit of array (s, p) of tile (g, dt, ot): conductances from the weight
 * digits through the devices (analog_device.c: programming errors, drift to
 * the time of inference unless calibrating, stuck cells), wires from R^p.
 * With sd non-NULL, *sd gets the sigma of every cell's reads (NULL when no
 * cell has read noise) and *key the array's stream. */
xb_circuit *an_array_circuit(xb_analog *a, an_layer *l, int g, int dt, int ot, int s, int p, double **sd,
                             unsigned long long *key, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    int M, cols, N;
    array_shape(a, l, dt, ot, &M, &cols, &N);
    xb_circuit *cc = xb_circuit_new(M, N, err);
    if (!cc)
        return NULL;
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
    const size_t n = (size_t)M * N;
    unsigned long long h = array_targets(a, l, g, dt, ot, s, p, cc->g);
    double *sig = sd ? malloc(n * sizeof *sig) : NULL;
    int any = 0;
    if ((sd && !sig && xb_error_set(err, XB_ENOMEM, "analog: out of memory")) ||
        an_device_program(a, h, !a->state_t0, n, cc->g, NULL, sig, &any, err)) {
        free(sig);
        xb_circuit_free(cc);
        return NULL;
    }
    if (sd) {
        if (!any) {
            free(sig);
            sig = NULL;
        }
        *sd = sig;
        *key = mix(h, 0x4ead5ULL); /* the reads' stream, apart from the programming's */
    }
    return cc;
}

/* Global drift compensation (docs/devices.md): the layer reads a known input
 * (every row on) right after programming and again at the time of inference;
 * its outputs are scaled by the ratio of the two readings.  The reading of a
 * differential tile is the sum over its columns of |I+ - I-|, of an offset
 * tile the sum of its currents; both of the conductances themselves (a
 * reference read at low current, where the wires drop nothing). */
xb_status an_drift_scale(xb_analog *a, an_layer *l, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    const int per = c->mapping == XB_MAP_DIFFERENTIAL ? 2 : 1;
    double read_t0 = 0, read_t = 0;
    double *gt = malloc((size_t)c->rows_per_array * (c->cols_per_array + 1) * sizeof *gt);
    double *gp = malloc((size_t)c->rows_per_array * (c->cols_per_array + 1) * sizeof *gp);
    double *col = calloc(4 * ((size_t)c->cols_per_array + 1), sizeof *col);
    xb_status st = XB_OK;
    if (!gt || !gp || !col)
        st = xb_error_set(err, XB_ENOMEM, "analog: out of memory for the drift compensation");
    for (int g = 0; g < l->G && !st; g++)
        for (int dt = 0; dt < l->n_dt && !st; dt++)
            for (int ot = 0; ot < l->n_ot && !st; ot++)
                for (int s = 0; s < c->slices && !st; s++) {
                    int M, cols, N;
                    array_shape(a, l, dt, ot, &M, &cols, &N);
                    memset(col, 0, 4 * (size_t)N * sizeof *col);
                    for (int p = 0; p < per && !st; p++) {
                        unsigned long long h = array_targets(a, l, g, dt, ot, s, p, gt);
                        if ((st = an_device_program(a, h, 1, (size_t)M * N, gt, gp, NULL, NULL, err)))
                            break;
                        for (int i = 0; i < M; i++)
                            for (int j = 0; j < N; j++) {
                                col[(2 * p) * N + j] += gp[(size_t)i * N + j];
                                col[(2 * p + 1) * N + j] += gt[(size_t)i * N + j];
                            }
                    }
                    for (int j = 0; j < N; j++) {
                        read_t0 += per == 2 ? fabs(col[j] - col[2 * N + j]) : col[j];
                        read_t += per == 2 ? fabs(col[N + j] - col[3 * N + j]) : col[N + j];
                    }
                }
    free(gt);
    free(gp);
    free(col);
    if (st)
        return st;
    l->drift_scale = read_t > 0 ? read_t0 / read_t : 1.0;
    l->drift_scaled = 1;
    return XB_OK;
}

/* Sizes and the array slots of tile (g, dt, ot). */
static xb_status tile_prepare(xb_analog *a, an_layer *l, int dt, int ot, an_tile *t, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    int d0 = dt * c->rows_per_array, r0 = ot * c->cols_per_array;
    t->rows = (d0 + c->rows_per_array > l->D ? l->D : d0 + c->rows_per_array) - d0;
    t->cols = (r0 + c->cols_per_array > l->R ? l->R : r0 + c->cols_per_array) - r0;
    t->unit = c->mapping == XB_MAP_OFFSET && c->offset_sub == XB_OFFSET_UNIT_COLUMN;
    int per = c->mapping == XB_MAP_DIFFERENTIAL ? 2 : 1;
    t->n_arr = c->slices * per;
    t->arr = calloc((size_t)t->n_arr, sizeof *t->arr);
    if (!t->arr)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for a tile");
    return XB_OK;
}

/* Array q (slice q / per, polarity q % per) of a prepared tile: its circuit,
 * then the solver's model of it (factorization, transfer matrix, columns). */
static xb_status array_program(xb_analog *a, an_layer *l, int g, int dt, int ot, an_tile *t, int q, xb_error *err)
{
    const int per = t->n_arr / a->cfg.slices;
    double *sd = NULL;
    unsigned long long key = 0;
    xb_circuit *cc = an_array_circuit(a, l, g, dt, ot, q / per, q % per, &sd, &key, err);
    if (!cc)
        return err->code;
    xb_array_mvm *arr = xb_array_mvm_new(&a->mvm, err);
    xb_status st = XB_OK;
    if (!arr || xb_array_mvm_program(arr, cc, err) || (sd && xb_array_mvm_set_read_noise(arr, sd, key, err))) {
        xb_array_mvm_free(arr);
        st = err->code;
    } else
        t->arr[q] = arr;
    free(sd);
    xb_circuit_free(cc);
    return st;
}

/* The tiles of one layer call that are programmed now: every array of them is
 * a task of the pool (each is seeded by its coordinates, so the order does
 * not matter). */
typedef struct {
    xb_analog *a;
    an_layer *l;
    int g;
    const int *tile;  /* dt * n_ot + ot of each tile to program */
    int per_tile;     /* arrays per tile */
} program_run;

static void program_task(void *ctx, long task, int thread)
{
    const program_run *r = ctx;
    an_thread *th = &r->a->thr[thread];
    const int n = r->tile[task / r->per_tile], dt = n / r->l->n_ot, ot = n % r->l->n_ot;
    an_tile *t = &r->l->tiles[((size_t)r->g * r->l->n_dt + dt) * r->l->n_ot + ot];
    xb_error *e = &r->a->cerr[task];
    double t0 = xb_clock_now();
    e->code = XB_OK;
    if (!array_program(r->a, r->l, r->g, dt, ot, t, (int)(task % r->per_tile), e))
        th->st.tiles++;
    th->st.t_program += xb_clock_now() - t0;
}

xb_status an_program_tiles(xb_analog *a, an_layer *l, int g, const long *need, xb_error *err)
{
    const xb_analog_config *c = &a->cfg;
    const int per_tile = c->slices * (c->mapping == XB_MAP_DIFFERENTIAL ? 2 : 1);
    int *tile = malloc((size_t)l->n_dt * l->n_ot * sizeof *tile), n = 0;
    if (!tile)
        return xb_error_set(err, XB_ENOMEM, "analog: out of memory for layer '%s'", l->L->name);
    xb_status st = XB_OK;
    for (int dt = 0; dt < l->n_dt && !st; dt++)
        for (int ot = 0; ot < l->n_ot && need[dt] && !st; ot++) {
            an_tile *t = &l->tiles[((size_t)g * l->n_dt + dt) * l->n_ot + ot];
            if (!t->programmed && !t->arr && !(st = tile_prepare(a, l, dt, ot, t, err)))
                tile[n++] = dt * l->n_ot + ot;
        }
    if (!st && n && an_grow(&a->cerr, &a->cap_cerr, (size_t)n * per_tile, sizeof *a->cerr))
        st = xb_error_set(err, XB_ENOMEM, "analog: out of memory for layer '%s'", l->L->name);
    if (!st && n) {
        program_run r = {a, l, g, tile, per_tile};
        xb_threads_run((long)n * per_tile, program_task, &r);
        an_merge_stats(a);
        for (int i = 0; i < n && !st; i++)
            if ((st = an_first_error(a->cerr + (size_t)i * per_tile, per_tile, err)))
                xb_error_prefix(err, "layer '%s' tile (%d,%d)", l->L->name, tile[i] / l->n_ot, tile[i] % l->n_ot);
    }
    for (int i = 0; i < n; i++) { /* all or nothing per tile */
        an_tile *t = &l->tiles[((size_t)g * l->n_dt + tile[i] / l->n_ot) * l->n_ot + tile[i] % l->n_ot];
        if (st)
            an_tile_free(t);
        else
            t->programmed = 1;
    }
    free(tile);
    return st;
}
