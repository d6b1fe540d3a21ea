/* relax.c: the fixed-point relaxation baseline (see xb_relax.h).
 *
 * Source description: the reference study's simulator solves an array with wire
 * resistance by fixed-point relaxation of the voltage across every cell.  It
 * starts from the ideal voltages (the full input on every cell), computes the
 * cell currents, the currents in every wire segment, and the voltage drops that
 * those currents cause along the wires; the drops give a new estimate of the
 * cell voltages, and the estimate moves toward it by a damping (relaxation)
 * factor.  It stops when the largest difference between the new and the current
 * estimate is below a threshold in units of the input voltage (2e-4), gives up
 * after 100 sweeps, and retries with a smaller damping factor (from 0.9) when an
 * attempt fails; in the gate-input topology only the bit lines carry
 * resistance.  What follows is that method written out for xbar's canonical
 * gate-input circuit (circuit/xb_circuit.h).
 *
 * Column j, enabled rows only (x_i = 1; a disabled cell is open and carries no
 * current).  Voltages are in units of V_read: u_i is the estimate of the
 * voltage across cell (i,j), V_read - V_col(i,j), divided by V_read.
 *
 *   cell current (per volt of V_read)  c_i = g_ij u_i            g with R_access folded in
 *   segment current below row s        S_s = sum_{i <= s} x_i c_i   (running sum from the top)
 *   column node voltage                V_i = sum_{s >= i} R_s S_s   (R_s: segment s toward the
 *                                        sense end; R_(M-1) also holds R_sense)
 *   target cell voltage                t_i = 1 - V_i
 *   residual                           e_i = t_i - u_i,   E = max over enabled cells of |e_i|
 *   converged when                     E < tol; the output is I_j = V_read S_(M-1), from the
 *                                        same cell currents the residual was measured with
 *   otherwise the damped update        u_i <- u_i + alpha e_i   (every enabled cell at once:
 *                                        Jacobi, not Gauss-Seidel)
 *
 * An attempt fails when it has not converged after max_iter sweeps, or when it
 * diverges: a non-finite value, or a residual that has grown 1e4-fold over the
 * first sweep's.  (Stopping a diverging attempt early only saves time: it would
 * fail at max_iter anyway.)  After a failure alpha <- shrink * alpha, the
 * estimate restarts from the ideal voltages, and once alpha would drop below
 * damping_min the vector has failed.
 *
 * Two details differ from the reference code and neither changes its verdicts:
 * the residual of a disabled row is not counted (its voltage does not affect any
 * current), and R_sense is honoured (the reference has none; with R_sense = 0
 * the circuits are the same).  Every sweep costs O(M N); the columns are
 * independent, so they run as blocks in SIMD and across threads, but the
 * convergence test is global over the array, as in the reference. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "solver_internal.h"
#include "xb_relax.h"

/* Defaults of the reference study's simulator (its published settings). */
#define RELAX_MAX_ITER 100
#define RELAX_TOL 2e-4
#define RELAX_DAMPING 0.9
#define RELAX_SHRINK 0.5
#define RELAX_DAMPING_MIN 0.01
/* An attempt whose residual has grown this much over its first sweep diverges. */
#define RELAX_DIVERGE_GROWTH 1e4

#define RB 16 /* columns per block: the inner SIMD dimension */

void xb_relax_options_init(xb_relax_options *opt)
{
    opt->max_iter = RELAX_MAX_ITER;
    opt->tol = RELAX_TOL;
    opt->damping = RELAX_DAMPING;
    opt->shrink = RELAX_SHRINK;
    opt->damping_min = RELAX_DAMPING_MIN;
    opt->keep_damping = 1;
}

typedef struct {
    int rows, cols, nblk;
    /* Block-major, [block][row][RB]: contiguous for one block of columns.
     * Padding columns have g = r = 0 and never carry current. */
    double *g;   /* siemens */
    double *r;   /* ohms: segment below row i; row M-1: last segment + R_sense */
    double *u;   /* cell voltage estimates, units of V_read */
    double *s;   /* scratch: running segment currents per volt of V_read */
    double *cur; /* nblk*RB: S_(M-1) of the last sweep, per volt */
} relax_state;

static void state_free(relax_state *st)
{
    free(st->g);
    free(st->r);
    free(st->u);
    free(st->s);
    free(st->cur);
}

static xb_status state_new(relax_state *st, const xb_circuit *c, xb_error *err)
{
    const int M = c->rows, N = c->cols;
    memset(st, 0, sizeof *st);
    st->rows = M;
    st->cols = N;
    st->nblk = (N + RB - 1) / RB;
    size_t n = (size_t)st->nblk * M * RB;
    if ((size_t)M > SIZE_MAX / sizeof(double) / RB / (size_t)st->nblk / 4)
        return xb_error_set(err, XB_ETOOBIG, "relaxation: a %d x %d array is too large", M, N);
    st->g = calloc(n, sizeof *st->g);
    st->r = calloc(n, sizeof *st->r);
    st->u = malloc(n * sizeof *st->u);
    st->s = malloc(n * sizeof *st->s);
    st->cur = malloc((size_t)st->nblk * RB * sizeof *st->cur);
    if (!st->g || !st->r || !st->u || !st->s || !st->cur) {
        state_free(st);
        return xb_error_set(err, XB_ENOMEM, "relaxation: out of memory for a %d x %d array", M, N);
    }
    for (int j = 0; j < N; j++) {
        size_t base = (size_t)(j / RB) * M * RB + (size_t)(j % RB);
        for (int i = 0; i < M; i++) {
            st->g[base + (size_t)i * RB] = xb_circuit_cell_g(c, i, j);
            st->r[base + (size_t)i * RB] =
                xb_circuit_r_col(c, i, j) + (i == M - 1 ? xb_circuit_r_sense(c, j) : 0.0);
        }
    }
    return XB_OK;
}

/* One sweep over one block of columns for the bit-vector x (M entries, 0 or 1):
 * cell and segment currents from the current estimate, then the drops, the
 * residual and the damped update.  Returns the block's largest |e| (+inf when a
 * value is not finite) and leaves S_(M-1) in cur. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static double sweep_block(const relax_state *st, int b, const double *x, double alpha)
{
    const int M = st->rows;
    const size_t off = (size_t)b * M * RB;
    const double *restrict g = st->g + off, *restrict r = st->r + off;
    double *restrict u = st->u + off, *restrict s = st->s + off;
    double acc[RB], v[RB], em[RB];
    for (int q = 0; q < RB; q++)
        acc[q] = v[q] = em[q] = 0.0;
    /* `omp simd`: the build's -O2 does not vectorize these loops by itself. */
    for (int i = 0; i < M; i++) {
        const double xi = x[i];
#pragma omp simd
        for (int q = 0; q < RB; q++) {
            acc[q] += xi * g[(size_t)i * RB + q] * u[(size_t)i * RB + q];
            s[(size_t)i * RB + q] = acc[q];
        }
    }
    for (int i = M - 1; i >= 0; i--) {
        const double xi = x[i];
#pragma omp simd
        for (int q = 0; q < RB; q++) {
            v[q] += r[(size_t)i * RB + q] * s[(size_t)i * RB + q];
            double e = xi * ((1.0 - v[q]) - u[(size_t)i * RB + q]);
            u[(size_t)i * RB + q] += alpha * e;
            double a = fabs(e);
            em[q] = a > em[q] ? a : em[q];
        }
    }
    double emax = 0.0;
    for (int q = 0; q < RB; q++) {
        st->cur[(size_t)b * RB + q] = acc[q];
        /* NaN fails every comparison, so look for it explicitly. */
        if (!isfinite(acc[q]) || !isfinite(em[q]))
            return INFINITY;
        if (em[q] > emax)
            emax = em[q];
    }
    return emax;
}

static double sweep(const relax_state *st, const double *x, double alpha)
{
    double emax = 0.0;
#pragma omp parallel for reduction(max : emax) schedule(static)
    for (int b = 0; b < st->nblk; b++) {
        double e = sweep_block(st, b, x, alpha);
        if (e > emax)
            emax = e;
    }
    return emax;
}

static xb_status check_options(const xb_relax_options *o, xb_error *err)
{
    if (o->max_iter < 1)
        return xb_error_set(err, XB_EINVAL, "relaxation: max_iter = %d: must be >= 1", o->max_iter);
    if (!(o->tol > 0) || !isfinite(o->tol))
        return xb_error_set(err, XB_EINVAL, "relaxation: tol = %g: must be finite and > 0", o->tol);
    if (!(o->damping > 0 && o->damping < 2))
        return xb_error_set(err, XB_EINVAL, "relaxation: damping = %g: must be in (0, 2)", o->damping);
    if (!(o->shrink > 0 && o->shrink < 1))
        return xb_error_set(err, XB_EINVAL, "relaxation: shrink = %g: must be in (0, 1)", o->shrink);
    if (!(o->damping_min > 0 && o->damping_min <= o->damping))
        return xb_error_set(err, XB_EINVAL, "relaxation: damping_min = %g: must be in (0, damping = %g]",
                            o->damping_min, o->damping);
    return XB_OK;
}

/* What relaxing one vector gave. */
typedef struct {
    double alpha;  /* damping of the last attempt */
    double res;    /* its last residual, units of V_read */
    int sweeps;    /* over all attempts */
    int converged;
} relax_result;

/* Attempts from damping `start` down by `shrink` until one converges or the
 * damping would fall below damping_min.  The converged currents are in st->cur. */
static relax_result relax_vector(relax_state *st, const double *xq, const xb_relax_options *o, double start,
                                 xb_relax_report *rep)
{
    const size_t n = (size_t)st->nblk * st->rows * RB;
    relax_result r = {start, INFINITY, 0, 0};
    for (;;) {
        if (rep)
            rep->attempts++;
        for (size_t p = 0; p < n; p++)
            st->u[p] = 1.0; /* the ideal voltages: the full V_read on every cell */
        double res0 = 0;
        for (int t = 1; t <= o->max_iter; t++) {
            r.res = sweep(st, xq, r.alpha);
            r.sweeps++;
            if (!isfinite(r.res))
                break;
            if (r.res < o->tol) {
                r.converged = 1;
                break;
            }
            if (t == 1)
                res0 = r.res;
            else if (r.res > RELAX_DIVERGE_GROWTH * res0)
                break;
        }
        if (r.converged || r.alpha * o->shrink < o->damping_min)
            return r;
        r.alpha *= o->shrink;
    }
}

static void report_vector(xb_relax_report *rep, size_t q, const relax_result *r)
{
    if (!rep)
        return;
    if (rep->iterations) rep->iterations[q] = r->sweeps;
    if (rep->damping) rep->damping[q] = r->alpha;
    if (rep->converged) rep->converged[q] = r->converged;
    if (rep->residual) rep->residual[q] = r->res;
    if (r->converged)
        rep->n_converged++;
    else
        rep->n_failed++;
    rep->sweeps += r->sweeps;
    if (r->sweeps > rep->max_sweeps)
        rep->max_sweeps = r->sweeps;
}

/* Arguments, options, circuit and inputs, in that order. */
static xb_status check_call(const xb_circuit *c, const double *x, size_t k, const double *out,
                            const xb_relax_options *o, xb_error *err)
{
    if (!c || (k && (!x || !out)))
        return xb_error_set(err, XB_EINVAL, "relaxation: NULL argument");
    xb_status status = check_options(o, err);
    if (status || (status = xb_circuit_validate(c, err)))
        return status;
    if (c->topology != XB_TOPO_GATE_INPUT)
        return xb_error_set(err, XB_EINVAL, "relaxation: needs the gate-input topology, the circuit is %s",
                            xb_topology_name(c->topology));
    if (xb_circuit_is_nonlinear(c))
        return xb_error_set(err, XB_EUNSUPPORTED,
                            "relaxation: linear cells and a linear access resistance only (the circuit has an "
                            "access transistor or a nonlinear cell)");
    return xb_circuit_check_inputs(c, x, k, err);
}

xb_status xb_relax_gate_input(const xb_circuit *c, const double *x, size_t k, double *out,
                              const xb_relax_options *opt, xb_relax_report *rep, xb_error *err)
{
    double t0 = xb_clock_now();
    xb_relax_options o;
    if (opt)
        o = *opt;
    else
        xb_relax_options_init(&o);
    xb_status status = check_call(c, x, k, out, &o, err);
    if (status)
        return status;
    if (rep) {
        rep->n_converged = rep->n_failed = 0;
        rep->sweeps = rep->attempts = 0;
        rep->max_sweeps = 0;
        rep->next_damping = o.damping;
        rep->seconds = 0;
    }
    const int M = c->rows, N = c->cols;
    const double vr = c->v_read;
    relax_state st;
    if (k == 0 || vr == 0.0) { /* nothing to relax: no current flows anywhere */
        relax_result none = {o.damping, 0.0, 0, 1};
        for (size_t q = 0; q < k; q++) {
            memset(out + q * N, 0, (size_t)N * sizeof *out);
            report_vector(rep, q, &none);
        }
        if (rep)
            rep->seconds = xb_clock_now() - t0;
        return XB_OK;
    }
    if ((status = state_new(&st, c, err)))
        return status;
    double start = o.damping;
    size_t first_fail = (size_t)-1, n_fail = 0;
    double fail_res = 0, fail_alpha = 0;
    for (size_t q = 0; q < k; q++) {
        double *oq = out + q * N;
        relax_result r = relax_vector(&st, x + q * M, &o, start, rep);
        if (r.converged) {
            for (int j = 0; j < N; j++)
                oq[j] = vr * st.cur[j];
            if (o.keep_damping)
                start = r.alpha;
        } else {
            for (int j = 0; j < N; j++)
                oq[j] = NAN;
            if (n_fail++ == 0) {
                first_fail = q;
                fail_res = r.res;
                fail_alpha = r.alpha;
            }
        }
        report_vector(rep, q, &r);
    }
    state_free(&st);
    if (rep) {
        rep->next_damping = start;
        rep->seconds = xb_clock_now() - t0;
    }
    if (n_fail)
        return xb_error_set(err, XB_ECONVERGE,
                            "relaxation: %zu of %zu vectors did not converge; the first, vector %zu, ended with a "
                            "residual of %.3g of V_read (tolerance %.3g, %d sweeps per attempt, last damping %.4g)",
                            n_fail, k, first_fail, fail_res, o.tol, o.max_iter, fail_alpha);
    return XB_OK;
}
