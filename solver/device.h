/* device.h: the level-1 NMOS access transistor, shared by Newton (newton.c)
 * and the column ladders (ladder.c), so both solve the same device.  Inline:
 * the ladders evaluate it for every enabled cell of every Newton step.
 * Internal to solver/. */
#ifndef XB_DEVICE_H
#define XB_DEVICE_H

#include "xb_circuit.h"

/* Drain-to-source current with the gate at vg, and its derivatives by the
 * drain and source voltages (beta = KP W / L, A/V^2), exactly as ngspice's
 * mos1load.c with GAMMA = 0, LD = 0 (no body effect, no overlap); a reversed
 * device swaps drain and source.  Written with selects on doubles and no
 * branch, so the ladders' block path vectorizes it across columns. */
static inline void xb_mos1(double beta, double vto, double lambda, double vg, double vd, double vs, double *i,
                           double *di_dd, double *di_ds)
{
    const int fwd = vd >= vs;
    const double vh = fwd ? vd : vs, vl = fwd ? vs : vd;
    const double vgst = vg - vl - vto, vds = vh - vl, on = vgst > 0;
    const double betap = beta * (1 + lambda * vds);
    const int sat = vgst <= vds;
    const double ids = !on ? 0.0 : sat ? betap * vgst * vgst * 0.5 : betap * vds * (vgst - 0.5 * vds);
    const double gm = !on ? 0.0 : sat ? betap * vgst : betap * vds;
    const double gds = !on ? 0.0
                       : sat ? lambda * beta * vgst * vgst * 0.5
                             : betap * (vgst - vds) + lambda * beta * vds * (vgst - 0.5 * vds);
    *i = fwd ? ids : -ids;
    *di_dd = fwd ? gds : gm + gds;
    *di_ds = fwd ? -gm - gds : -gds;
}

#endif
