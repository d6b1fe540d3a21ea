/* xb_study.h: the wire-resistance vs array-size study (`xbar study wires`).
 *
 * For every array size, topology and normalized wire resistance R^p = R_wire Gmax,
 * the study builds a square crossbar with random weights, solves it exactly for K
 * random input vectors and for one full-scale vector, and measures how far the
 * column currents and the cell voltages fall from the ideal product G^T v.
 *
 * The circuit of one point (DESIGN.md, docs/circuit.md):
 *   weights w ~ U[0,1], G = Gmin + w (Gmax - Gmin), Gmin = Gmax / on_off, the same
 *   weights for every R^p (and both topologies) at one size;
 *   R_wire = R^p / Gmax ohms on every row and column segment (input-source) or on
 *   every column segment (gate-input, whose rows carry no resistance);
 *   driver resistance r_drv (input-source only) and sense resistance r_sense.
 * Inputs: input-source voltages ~ U[0, v_in]; gate-input bits ~ Bernoulli(p_on)
 * with V_read = v_read.  The same K vectors for every R^p at one size.
 *
 * Everything random comes from GSL generators seeded from opt.seed, the size and
 * the stream (weights, input-source inputs, gate-input bits), so a size's numbers
 * do not depend on which other sizes are in the study.
 *
 * The library never prints: progress goes through a callback. */
#ifndef XB_STUDY_H
#define XB_STUDY_H

#include <stddef.h>

#include "xb_circuit.h"
#include "xb_solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Validation limits: a study of more sizes draws a figure nobody can read, and
 * 256 R^p values resolve any curve of error against R^p. */
#define XB_STUDY_MAX_SIZES 32 /* entries of xb_study_options.sizes */
#define XB_STUDY_MAX_RP 256   /* entries of xb_study_options.rp */

/* Topology selection (bit mask). */
#define XB_STUDY_INPUT_SOURCE 1
#define XB_STUDY_GATE_INPUT 2
#define XB_STUDY_BOTH (XB_STUDY_INPUT_SOURCE | XB_STUDY_GATE_INPUT)

/* Ordering choice of the study: by array size (AMD up to 1024 x 1024 cells, where
 * it analyzes fastest, METIS above, where it fills least). */
#define XB_STUDY_ORDER_BY_SIZE (-1)

/* One measured point: one topology, one size, one R^p. */
typedef struct {
    xb_topology topology;
    int size;               /* M = N */
    double rp;              /* normalized wire resistance R^p = R_wire Gmax (dimensionless) */
    double r_wire;          /* ohms per wire segment */
    double rel_rms_err;     /* sqrt(sum (I - I0)^2 / sum I0^2) over the K vectors and N columns */
    double worst_ir_drop;   /* max over cells of (V_applied - V_cell) / V_applied, full-scale vector */
    int worst_i, worst_j;   /* the cell where it occurs */
    double t_setup;         /* seconds: xb_solver_new (assemble, analyze, factor, transfer matrix) */
    double t_per_vector;    /* seconds per vector of the K-vector solve, after setup */
    char backend[16];       /* solver backend used: "cholmod", "transfer", "klu" or "column" */
    size_t mem_estimate;    /* bytes: the solver's own estimate of its peak for this point */
    size_t peak_rss;        /* bytes: the process's peak resident set so far (getrusage, monotone) */
    int vectors;            /* K */
    unsigned long seed;     /* opt.seed */
} xb_study_point;

/* The IR-drop map of one array on the full-scale vector: drop[i*size+j] =
 * (V_applied - (v_row(i,j) - v_col(i,j))) / V_applied, the fraction by which cell
 * (i,j)'s voltage falls short of the voltage an ideal array would apply to it. */
typedef struct {
    xb_topology topology;
    int size;
    double rp;
    double *drop;           /* size*size, row-major; owned by the result */
} xb_study_map;

/* What the progress callback sees. */
typedef struct {
    int done;                   /* points finished */
    int total;                  /* points in the study */
    double work_done;           /* 0..1: fraction of the estimated work finished */
    double elapsed;             /* seconds since the study began */
    const xb_study_point *last; /* the point just finished; NULL before the first */
} xb_study_progress;

/* Return 0 to go on, non-zero to stop the study (it then fails with XB_EINVAL,
 * "cancelled"). */
typedef int (*xb_study_progress_fn)(void *user, const xb_study_progress *p);

/* The options of a study.
 *
 * The two lists, sizes and rp, are a pointer and a length.  They point at
 * memory that outlives the options' use: the library's static defaults after
 * xb_study_options_init, the caller's own arrays when the caller sets them, or
 * storage the options own.  xb_study_options_set ("sizes", "rp") and
 * xb_study_rp_logspace allocate that storage (own_sizes, own_rp) and free what
 * they replace; xb_study_options_release frees it.  So: init, set or point,
 * run, release.  A copy made by assignment shares the owned storage: release
 * one copy only, and do not set a list on a copy while the other is in use.
 * xb_study_result keeps its own copies of the lists (see below). */
typedef struct {
    const int *sizes;              /* n_sizes square array sizes, each 1..65536, distinct, any order */
    int n_sizes;                   /* 1..XB_STUDY_MAX_SIZES */
    const double *rp;              /* n_rp R^p values, each finite and > 0 */
    int n_rp;                      /* 1..XB_STUDY_MAX_RP */
    int topologies;                /* XB_STUDY_INPUT_SOURCE, XB_STUDY_GATE_INPUT or both */
    double on_off;                 /* Gmax / Gmin, >= 1 (infinite: Gmin = 0 is on_off = INFINITY) */
    double g_max;                  /* siemens */
    double v_in;                   /* volts: input-source inputs ~ U[0, v_in] and full scale */
    double v_read;                 /* volts: gate-input read supply */
    double p_on;                   /* probability that a gate-input bit is 1 */
    double r_drv;                  /* ohms: driver resistance (input-source) */
    double r_sense;                /* ohms: sense resistance (both topologies) */
    int vectors;                   /* K random vectors per point, >= 1 */
    unsigned long seed;
    xb_backend backend;            /* input-source: AUTO picks per point the cheaper of cholmod
                                      (K solves) and transfer (M solves, then GEMM); or
                                      XB_BACKEND_CHOLMOD, _TRANSFER, _KLU.  Gate-input always
                                      uses the exact column path. */
    int ordering;                  /* XB_STUDY_ORDER_BY_SIZE or an xb_ordering */
    int refine;                    /* solver refinement steps (xb_solver_options.refine);
                                      default -1: none (see docs/wires.md) */
    size_t max_memory;             /* bytes per solver; 0 = physical RAM */
    double map_rp;                 /* R^p of the IR-drop maps: the nearest point of rp[] */
    int map_size;                  /* size of the maps: one of sizes[]; 0 = the largest size
                                      <= 256, else the smallest */
    xb_study_progress_fn progress; /* may be NULL */
    void *user;                    /* passed to progress */
    int *own_sizes;                /* private: the sizes the options own (NULL: none) */
    double *own_rp;                /* private: the R^p values the options own (NULL: none) */
} xb_study_options;

typedef struct {
    int n_points;
    xb_study_point *points;  /* by topology (input-source first), then size as given, then R^p */
    int n_maps;
    xb_study_map maps[2];    /* one per topology studied, at (map_size, map_rp) */
    double t_total;          /* seconds */
    xb_study_options opt;    /* the options of the run (progress and user cleared); its
                                sizes and rp point at copies the result owns, freed by
                                xb_study_result_free, and it owns nothing itself, so a
                                copy of it may be changed and released freely */
} xb_study_result;

/* Defaults: sizes 32..1024 (powers of two), R^p = 1e-7 .. 1e-2 with 6 points (one
 * per decade), both topologies, On/Off 100, Gmax 1e-5 S, v_in = v_read = 0.2 V,
 * p_on 0.5, r_drv = r_sense = 0, K = 32, seed 1, AUTO backend, ordering by size,
 * no refinement, map at R^p = 1e-4 on the 256 x 256 array.  The lists point at
 * static arrays and the options own nothing yet.  init does not free: release
 * options that own storage before initializing them again. */
void xb_study_options_init(xb_study_options *opt);

/* Free the lists the options own and clear every list that pointed at them
 * (n = 0, NULL); lists that point elsewhere stay.  opt may be NULL. */
void xb_study_options_release(xb_study_options *opt);

/* Point rp at n values log-spaced from lo to hi (both included; n = 1 gives lo),
 * in storage the options own.  Requires 0 < lo <= hi and 1 <= n <=
 * XB_STUDY_MAX_RP.  On failure opt is unchanged. */
xb_status xb_study_rp_logspace(xb_study_options *opt, double lo, double hi, int n, xb_error *err);

/* Set one option from text, by the name `xbar study wires` gives it without its
 * dashes: sizes ("32,64,128"), rp ("1e-7:1e-2:11", N log-spaced, or a list),
 * topology (both, input-source, gate-input), on-off (a number >= 1 or inf), gmax,
 * v-in, v-read, fixed-rp (map_rp) (numbers > 0), r-drv, r-sense (>= 0), vectors,
 * seed, backend (auto, cholmod, transfer, klu), ordering (auto, amd, metis,
 * cholmod), refine (0..10 steps), max-memory (a whole number of bytes, 0 for
 * physical RAM; the command converts "8G"), map-size.  sizes and rp go into
 * storage the options own (xb_study_options_release).  The message starts with
 * the name ("sizes '8,8': 8 appears twice"); an unknown name is
 * XB_EUNSUPPORTED.  On failure opt is unchanged. */
xb_status xb_study_options_set(xb_study_options *opt, const char *key, const char *value, xb_error *err);

/* Check every field; the message names the field and the value. */
xb_status xb_study_options_validate(const xb_study_options *opt, xb_error *err);

/* Run the study.  NULL (and err set) on failure; nothing is half-returned.  The
 * result copies what it keeps of opt, so opt may be released at once. */
xb_study_result *xb_study_wires(const xb_study_options *opt, xb_error *err);
void xb_study_result_free(xb_study_result *r);

/* The point of r nearest (in log R^p) to rp, for one topology and size; NULL if
 * there is none. */
const xb_study_point *xb_study_find(const xb_study_result *r, xb_topology t, int size, double rp);

/* Write the points as CSV: a header line, then one row per point.  Every number
 * the seed fixes is written in the shortest form that reads back as the same
 * double; times with 6 digits.
 * The file appears complete or not at all. */
xb_status xb_study_write_csv(const xb_study_result *r, const char *path, xb_error *err);

/* The CSV header, without newline. */
extern const char xb_study_csv_header[];

/* ---- the files of one run ----------------------------------------------------------
 * A run writes into one folder; when a later step fails, the files it already
 * wrote (and the folder, when the run made it) are removed again, so that a
 * failure leaves no partial set of results:
 *
 *   xb_study_files f;
 *   if (xb_study_files_open(&f, "wires_out", &err)) return err.code;
 *   xb_study_result *r = xb_study_wires(&opt, &err);
 *   if (!r || xb_study_write_outputs(r, 1, &f, &err)) { xb_study_files_undo(&f); ... }
 *   xb_study_files_close(&f);   // keep them */

#define XB_STUDY_MAX_FILES 16 /* entries of xb_study_files.path: a run writes at most 11 */

typedef struct {
    char *dir;                      /* the output folder (a copy of the name) */
    int dir_created;                /* 1: xb_study_files_open made it, so undo removes it */
    int n;                          /* files written so far */
    char *path[XB_STUDY_MAX_FILES]; /* "<dir>/<name>" of each, in the order written */
} xb_study_files;

/* Make dir and its missing parents (mkdir -p) and check that it is writable:
 * a run of minutes should not fail at its last step.  f starts empty. */
xb_status xb_study_files_open(xb_study_files *f, const char *dir, xb_error *err);

/* Everything of r into f's folder: wires.csv, the IR-drop maps as
 * wires_ir_map_<topology>.npy and, when plots is 1, the figures of
 * xb_study_write_figures.  Each file appears complete or not at all; on failure
 * the files written so far stay listed in f (xb_study_files_undo removes them). */
xb_status xb_study_write_outputs(const xb_study_result *r, int plots, xb_study_files *f, xb_error *err);

/* The figures, each as PNG and SVG: wires_err_vs_rp (error vs R^p, one line per
 * size, one panel per topology), wires_err_vs_size (error vs size at the R^p of
 * the maps, r->opt.map_rp, one line per topology) and wires_ir_map_<topology>
 * (the IR-drop maps). */
xb_status xb_study_write_figures(const xb_study_result *r, xb_study_files *f, xb_error *err);

/* Remove every file listed in f, and its folder when xb_study_files_open made it;
 * then release f. */
void xb_study_files_undo(xb_study_files *f);

/* Keep the files; release f. */
void xb_study_files_close(xb_study_files *f);

#ifdef __cplusplus
}
#endif
#endif
