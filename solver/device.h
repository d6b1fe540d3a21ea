/* device.h: the level-1 NMOS access transistor, shared by Newton (newton.c)
 * and the column ladders (ladder.c), so both solve the same device.  Inline:
 * the ladders evaluate it for every enabled cell of every Newton step.
 * Internal to solver/. */
#ifndef XB_DEVICE_H
#define XB_DEVICE_H

#include "xb_circuit.h"

/* Drain current for vds >= 0 and its derivatives, exactly as ngspice's
 * mos1load.c with GAMMA = 0, LD = 0 (no body effect, no overlap). */
static inline void xb_mos1_forward(double beta, double vto, double lambda, double vgs, double vds, double *ids, double *gm,
                         double *gds)
{
    double vgst = vgs - vto;
    if (vgst <= 0) {
        *ids = *gm = *gds = 0;
        return;
    }
    double betap = beta * (1 + lambda * vds);
    if (vgst <= vds) {
        *ids = betap * vgst * vgst * 0.5;
        *gm = betap * vgst;
        *gds = lambda * beta * vgst * vgst * 0.5;
    } else {
        *ids = betap * vds * (vgst - 0.5 * vds);
        *gm = betap * vds;
        *gds = betap * (vgst - vds) + lambda * beta * vds * (vgst - 0.5 * vds);
    }
}

/* Drain-to-source current with the gate at vg, and its derivatives by the
 * drain and source voltages (beta = KP W / L, A/V^2); a reversed device swaps
 * drain and source. */
static inline void xb_mos1(double beta, const xb_nmos *m, double vg, double vd, double vs, double *i, double *di_dd,
             double *di_ds)
{
    double ids, gm, gds;
    if (vd >= vs) {
        xb_mos1_forward(beta, m->vto, m->lambda, vg - vs, vd - vs, &ids, &gm, &gds);
        *i = ids;
        *di_dd = gds;
        *di_ds = -gm - gds;
    } else {
        xb_mos1_forward(beta, m->vto, m->lambda, vg - vd, vs - vd, &ids, &gm, &gds);
        *i = -ids;
        *di_dd = gm + gds;
        *di_ds = -gds;
    }
}

#endif
