/* xb_netgen.h: the canonical crossbar as a SPICE netlist (ngspice, Xyce).
 *
 * One netlist describes the circuit with one input vector: gate-input vectors
 * change which cells exist, so several vectors are written as several netlists
 * (xb_netgen_write_dir).  Names are deterministic:
 *
 *   nodes     in<i>  source of row i         d<i>     driver output of row i
 *             r<i>_<j> row node of cell (i,j) c<i>_<j> column node of cell (i,j)
 *             a<i>_<j> between access device and cell (only when r_access > 0)
 *             t<j>   column terminal          vg<j>    virtual ground of column j
 *             vread  read supply (gate-input)
 *   elements  VIN<i>  row source, DC v_i      RD<i>    driver resistance
 *             RR<i>_<j> row segment feeding cell (i,j)
 *             RA<i>_<j> access resistance     RG<i>_<j> cell, 1/G[i][j] ohms
 *             RC<i>_<j> column segment leaving cell (i,j) toward the sense end
 *             RS<j>  sense resistance         VOUT<j>  0 V source from vg<j> to ground
 *             VREAD  read supply, DC V_read (gate-input)
 *             M<i>_<j> access NMOS (drain row side, gate vgate, source = bulk = a<i>_<j>),
 *                      model XBNMOS (LEVEL=1 KP VTO LAMBDA, IS=0), gate source VGATE
 *             BG<i>_<j> sinh cell: I = G V0 sinh(V(from, c<i>_<j>) / V0)
 *
 * The output of column j is i(VOUT<j>): SPICE counts a source's current from its
 * + node (vg<j>) through the source, i.e. into the virtual ground.  A zero
 * resistance is written as no element: its two nodes share one name, the first
 * in the order above (so a row wire with no resistance is named after its source,
 * a column with none after its virtual ground).  An open cell (G = 0) and the
 * cells of a disabled gate-input row are left out. */
#ifndef XB_NETGEN_H
#define XB_NETGEN_H

#include <stdio.h>

#include "xb_circuit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tolerances written into netlists with nonlinear devices, so that ngspice's
 * Newton stops far below the 1e-6 that the comparison with xbar needs. */
#define XB_NETGEN_NONLINEAR_OPTIONS ".options reltol=1e-10 abstol=1e-17 vntol=1e-12 gmin=1e-20 itl1=500"

typedef struct {
    int control;   /* 1: end with a .control block that runs op and prints every
                      i(VOUT<j>) at full precision (for `ngspice -b`); 0: a bare .op */
    const char *title; /* first line; NULL for a default naming the size and topology */
} xb_netgen_options;

void xb_netgen_options_init(xb_netgen_options *opt);

/* The netlist of circuit c with input vector v (length M: volts or 0/1 bits) as a
 * newly allocated string of '\n'-terminated lines.  Free with free(). */
char *xb_netgen_string(const xb_circuit *c, const double *v, const xb_netgen_options *opt, xb_error *err);

/* Write one netlist file (created complete or not at all). */
xb_status xb_netgen_write_file(const char *path, const xb_circuit *c, const double *v,
                               const xb_netgen_options *opt, xb_error *err);

/* Write K netlists dir/vec<k>.cir (k zero-padded to 4+ digits) for v (K x M). */
xb_status xb_netgen_write_dir(const char *dir, const xb_circuit *c, const double *v, size_t k,
                              const xb_netgen_options *opt, xb_error *err);

#ifdef __cplusplus
}
#endif
#endif
