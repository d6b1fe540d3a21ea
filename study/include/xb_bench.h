/* xb_bench.h: what exactness costs (`xbar bench`).
 *
 *   xb_bench_mvm        per-vector cost of the exact parasitic MVM against the
 *                       ideal GEMM (G^T v, one OpenBLAS dgemm) on the same tile,
 *                       measured side by side: an input-source 256 x 256 tile
 *                       (exact = the transfer matrix, then one GEMM per batch) and
 *                       a gate-input 1152 x 256 tile (exact = the column path);
 *   xb_bench_sweep      one small analog inference point with 1 thread and with
 *                       T threads in turn: the speed-up of one process;
 *   xb_bench_relax      the fixed-point relaxation baseline (xb_relax.h) against
 *                       the exact column path on one gate-input tile, one row per
 *                       R̂p value.
 *
 * The machine may be shared, so every timing is a ratio of two runs made next to
 * each other, repeated, and the median is reported.
 *
 * The tiles, as in the reference study: conductances uniform in [Gmin, Gmax] with
 * Gmax = XB_BENCH_G_MAX and an On/Off ratio of XB_BENCH_ON_OFF; wire resistance
 * R̂p / Gmax ohms per segment (row wires too for input-source; gate-input rows
 * carry none); no driver or sense resistance.  Inputs: input-source voltages
 * uniform in [0, XB_BENCH_V_IN]; gate-input bits 1 with probability `density`,
 * read at XB_BENCH_V_READ.  G and the inputs come from one GSL mt19937 seeded
 * with `seed`.
 *
 * The library never prints: xb_bench_relax hands each row to a callback as it is
 * measured. */
#ifndef XB_BENCH_H
#define XB_BENCH_H

#include <stddef.h>

#include "xb_analog.h"
#include "xb_circuit.h"
#include "xb_relax.h"
#include "xb_solver.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XB_BENCH_G_MAX 1e-4         /* siemens: Rmin = 10 kOhm, so R̂p = 1e-4 is 1 ohm */
#define XB_BENCH_ON_OFF 100.0       /* Gmax / Gmin */
#define XB_BENCH_V_IN 0.2           /* volts: input-source inputs ~ U[0, XB_BENCH_V_IN] */
#define XB_BENCH_V_READ 0.2         /* volts: gate-input read supply */
#define XB_BENCH_MVM_TILES 2        /* tiles of xb_bench_mvm: input-source, then gate-input */
#define XB_BENCH_MAX_RHAT 32        /* entries of xb_bench_relax_options.rhat */

/* ---- the machine ----------------------------------------------------------------- */

typedef struct {
    char cpu[256];      /* /proc/cpuinfo's first "model name", else "unknown CPU" */
    long cores;         /* processors online */
    int threads;        /* threads of the library's pool (xb_threads_get) */
    double load[3];     /* 1, 5 and 15 minute load averages (0 when unknown) */
} xb_bench_machine;

/* What the timings ran on: a shared machine makes them noisier. */
void xb_bench_machine_get(xb_bench_machine *m);

/* ---- exact vs ideal MVM --------------------------------------------------------- */

typedef struct {
    size_t vectors;         /* K per tile, >= 1 (1000) */
    int repeat;             /* R timed repetitions, medians reported, >= 1 (5) */
    unsigned long seed;     /* (1) */
    double rhat;            /* normalized wire resistance R̂p = R_wire Gmax, >= 0 (1e-4) */
    double density;         /* probability of a 1 in a gate-input bit-vector, [0, 1] (0.5) */
} xb_bench_mvm_options;

typedef struct {
    xb_topology topology;
    int rows, cols;            /* M x N */
    size_t vectors;            /* K */
    const char *exact_backend; /* "transfer" or "column" (static) */
    double setup;              /* seconds: building the exact solver (transfer: with T) */
    double extract;            /* seconds: of it, extracting T (transfer), 0 otherwise */
    double t_exact;            /* seconds per vector, median over the repeats */
    double t_ideal;            /* seconds per vector, median over the repeats */
    double ratio;              /* median over the repeats of exact / ideal, each pair run together */
    double ratio_min, ratio_max;
    double dev;                /* relative RMS difference exact vs ideal: what the wires change */
    int inner_exact, inner_ideal; /* back-to-back batches per timed sample */
} xb_bench_mvm_result;

void xb_bench_mvm_options_init(xb_bench_mvm_options *o);

/* Time both tiles into res[0] (input-source) and res[1] (gate-input).  A failure
 * names the tile ("gate-input 1152x256: ..."). */
xb_status xb_bench_mvm(const xb_bench_mvm_options *o, xb_bench_mvm_result res[XB_BENCH_MVM_TILES],
                       xb_error *err);

/* ---- the real 1T1R array against the idealized one ---------------------------------- */

#define XB_BENCH_DEVICE_PAIRS 2    /* pairs of xb_bench_device */
#define XB_BENCH_DEVICE_ROWS 1152  /* the gate-input tile of xb_bench_mvm */
#define XB_BENCH_DEVICE_COLS 256

typedef struct {
    const char *what;     /* "nonlinear_vs_linear" or "source_line_column_vs_ideal" (static) */
    int rows, cols;
    size_t vectors;       /* K */
    double t_new;         /* seconds per vector of the costlier circuit, median */
    double t_base;        /* seconds per vector of its idealized twin, median */
    double ratio;         /* median over the samples of t_new / t_base, each pair run together */
    const char *backend;  /* what solved the costlier circuit (static) */
    double newton_iters;  /* Newton iterations per column and vector (0 for a linear circuit) */
} xb_bench_device_result;

/* On the gate-input tile of xb_bench_mvm (R̂p o->rhat, bits of density
 * o->density, o->repeat samples, seed o->seed) with `vectors` vectors:
 * res[0], level-1 NMOS access (xb_nmos_defaults) against a linear access
 * resistance equal to the transistor's channel resistance at zero V_ds;
 * res[1], a column source line of the bit line's resistance per segment
 * (driven at the sense end) against the ideal supply, both with that linear
 * access. */
xb_status xb_bench_device(const xb_bench_mvm_options *o, size_t vectors,
                          xb_bench_device_result res[XB_BENCH_DEVICE_PAIRS], xb_error *err);

/* ---- one process on every core ---------------------------------------------------- */

typedef struct {
    const char *model;        /* ONNX file ("models/resnet50_fmnist_int8.onnx") */
    const char *dataset;      /* test images ("fashion-mnist") */
    const char *calib_dataset; /* calibration images ("fashion-mnist-train") */
    int images;               /* test images per run, >= 1 (64) */
    int calib_images;         /* calibration images per run, >= 1 (16) */
    int batch;                /* images per model run (64) */
    int threads;              /* T, compared with 1 thread, >= 2 (0: xb_threads_get(), at least 2) */
    int repeat;               /* pairs of runs, >= 1 (3) */
    xb_analog_config cfg;     /* the point: P5 of docs/performance.md (exact, bit-serial,
                                 differential, 8-bit ADC, 1152-row arrays, R̂p 1e-5) */
} xb_bench_sweep_options;

typedef struct {
    int threads;              /* T */
    int pairs;                /* runs with 1 and with T threads, alternating */
    double t1, tT;            /* seconds of one run (calibration and images), medians */
    double cpu1, cpuT;        /* CPU seconds of one run, medians */
    double speedup;           /* median over the pairs of t1 / tT */
    double speedup_min, speedup_max;
    int identical;            /* 1 when every run gave the same logits, bit for bit */
    int correct, images;      /* top-1 of a run */
} xb_bench_sweep_result;

void xb_bench_sweep_options_init(xb_bench_sweep_options *o);
/* A fixed small sweep point (analog new, calibrate, run the images, free) run
 * with 1 thread and with T threads in turn, in the same process; the model and
 * images are loaded once, outside the timings.  The thread count is restored. */
xb_status xb_bench_sweep(const xb_bench_sweep_options *o, xb_bench_sweep_result *r, xb_error *err);

/* ---- the relaxation baseline ------------------------------------------------------ */

typedef struct {
    int rows, cols;                  /* gate-input tile M x N, >= 1 (1152 x 256) */
    size_t vectors;                  /* K bit-vectors, >= 1 (100) */
    int repeat;                      /* timed repetitions of the exact path, median, >= 1 (5) */
    unsigned long seed;              /* (1): the same tile and vectors for every R̂p */
    double density;                  /* probability of a 1 in a bit-vector, [0, 1] (0.5) */
    int n_rhat;                      /* 1..XB_BENCH_MAX_RHAT */
    const double *rhat;              /* n_rhat R̂p values, each >= 0 (1e-6, 1e-5, 1e-4, 1e-3):
                                        a static list after init, the caller's own array, or
                                        storage the options own after _set("rhat", ...) */
    double *own_rhat;                /* private: the list the options own (NULL: none) */
    xb_relax_options relax;          /* the relaxation's settings (xb_relax_options_init) */
} xb_bench_relax_options;

/* One R̂p of the table. */
typedef struct {
    double rhat;
    double r_wire;         /* ohms per segment: rhat / XB_BENCH_G_MAX */
    double t_relax;        /* seconds per vector */
    double t_exact;        /* seconds per vector (column path), median over the repeats */
    double err_relax;      /* max |I_relax - I_exact| / |I_exact| over the converged vectors;
                              NaN when none converged */
    double err_ideal;      /* the same for the ideal product: how much the wires matter */
    double sweeps_mean;    /* sweeps per vector, all attempts */
    int sweeps_max;        /* most sweeps of one vector */
    double attempts_mean;  /* attempts per vector */
    double damping_end;    /* damping the relaxation ended with (last vector) */
    size_t n_failed;       /* vectors that did not converge */
    size_t vectors;        /* K */
} xb_bench_relax_row;

/* Called after each row; return non-zero to stop (xb_bench_relax then returns
 * XB_EINVAL, "cancelled"). */
typedef int (*xb_bench_relax_row_fn)(void *user, const xb_bench_relax_row *row, int k, int n);

void xb_bench_relax_options_init(xb_bench_relax_options *o);
/* Free the R̂p list the options own (from _set); rhat is then NULL, n_rhat 0 if
 * it pointed there.  Like xb_study_options_release: init, set or point, run,
 * release. */
void xb_bench_relax_options_release(xb_bench_relax_options *o);

/* Set one option from text, by the name `xbar bench relax` gives it without its
 * dashes: rows, cols, vectors, repeat, max-iter (integers >= 1), seed (>= 0),
 * density ([0, 1]), tol, damping, shrink, damping-min (numbers >= 0; the
 * relaxation checks their ranges), rhat (up to XB_BENCH_MAX_RHAT comma-separated
 * numbers >= 0).  The message starts with the name ("rhat 'abc': ..."); an
 * unknown name is XB_EUNSUPPORTED.  On failure o is unchanged. */
xb_status xb_bench_relax_options_set(xb_bench_relax_options *o, const char *key, const char *value, xb_error *err);

/* One row: relax and solve exactly the tile of o at R̂p = rhat. */
xb_status xb_bench_relax_point(const xb_bench_relax_options *o, double rhat, xb_bench_relax_row *row,
                               xb_error *err);

/* The table: one row per o->rhat[k], into rows (o->n_rhat entries; may be NULL)
 * and through on_row (may be NULL) as each is measured. */
xb_status xb_bench_relax(const xb_bench_relax_options *o, xb_bench_relax_row *rows, xb_bench_relax_row_fn on_row,
                         void *user, xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
