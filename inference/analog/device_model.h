/* device_model.h: conductance statistics of programmed devices -- the
 * published PCM and RRAM models and the user's own measured table -- as
 * functions of the target conductance (private to inference/analog).
 *
 * Every function takes the target conductance g and the array's Gmax in
 * siemens and returns siemens (or a dimensionless exponent).  The draws are
 * the caller's: these give the means and standard deviations. */
#ifndef XB_DEVICE_MODEL_H
#define XB_DEVICE_MODEL_H

#include <stddef.h>

#include "xb_analog.h"
#include "xb_error.h"

/* PCM: the statistical model of Nandakumar et al., "Phase-change memory
 * models for deep learning training and inference", ICECS 2019, fitted on
 * IBM's one-million-device array (Joshi et al., Nat. Commun. 11, 2473,
 * 2020), with the constants as IBM's analog hardware toolkit (aihwkit)
 * documents and ships them (docs/source/pcm_inference.rst,
 * inference/noise/pcm.py: PCMLikeNoiseModel). */
#define XB_PCM_T_READ 250e-9 /* s: the read pulse (1/f integration) */
#define XB_PCM_T0 20.0       /* s: the first read after programming (drift reference) */

/* sigma of the programmed conductance: max(c0 + c1 x + c2 x^2, 0) uS for a
 * Gmax of 25 uS, x = g/Gmax, scaled with Gmax. */
double xb_pcm_prog_sigma(double g, double gmax);
/* mean and spread of the drift exponent nu (G(t) = G(t0) (t/t0)^-nu). */
double xb_pcm_nu_mean(double g, double gmax);
double xb_pcm_nu_std(double g, double gmax);
/* sigma of the 1/f read noise at time t after programming, for a device now
 * at g (its target g_t sets Q_s): g Q_s(g_t) sqrt(ln((t + t_read)/(2 t_read))). */
double xb_pcm_read_sigma(double g, double g_t, double gmax, double t);

/* RRAM: the fit of Wan et al., "A compute-in-memory chip based on resistive
 * random-access memory", Nature 608, 504 (2022), as aihwkit ships it
 * (ReRamWan2022NoiseModel): sigma of the conductance one second after
 * programming, a 4th-order polynomial of x = g/Gmax in uS for a Gmax of
 * 40 uS, scaled with Gmax. */
double xb_rram_prog_sigma(double g, double gmax);
/* The same fit at t seconds after programming: the published polynomials at
 * 1 s, 1 day and 2 days, linear in ln t between them (the 1 s one before
 * 1 s; beyond 2 days the fit says nothing: callers refuse such times). */
#define XB_RRAM_T_MAX 172800.0
double xb_rram_sigma_at(double g, double gmax, double t);

/* The user's device: a CSV table of measured target conductance -> mean and
 * sigma of the programmed conductance (and optionally sigma of read noise),
 * all in siemens, the targets strictly increasing.  Linear interpolation
 * between rows, the end rows' values beyond them. */
typedef struct {
    size_t n;
    double *g, *mean, *sigma, *read; /* read: NULL when the table has 3 columns */
} xb_device_table;

/* Read and check path; every message names the file and the row (1-based,
 * counting the header line when there is one).  On failure t holds nothing. */
xb_status xb_device_table_load(const char *path, xb_device_table *t, xb_error *err);
void xb_device_table_free(xb_device_table *t);
/* The mean, sigma and read sigma (0 without that column) at target g. */
void xb_device_table_at(const xb_device_table *t, double g, double *mean, double *sigma, double *read);

/* The device keys of an analog configuration (ranges, a drift model for the
 * time asked, the table readable and well formed). */
xb_status xb_analog_device_validate(const xb_analog_config *c, xb_error *err);

#endif
