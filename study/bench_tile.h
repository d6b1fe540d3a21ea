/* bench_tile.h: the random tiles and the timing loop shared by the benchmarks of
 * xb_bench.h (study-internal). */
#ifndef XB_BENCH_TILE_H
#define XB_BENCH_TILE_H

#include <gsl/gsl_rng.h>

#include "xb_bench.h"

/* A random M x N tile of the given topology with R̂p wires (xb_bench.h). */
xb_circuit *bench_tile_new(gsl_rng *r, int M, int N, xb_topology topo, double rhat, xb_error *err);
/* The same tile with every resistance zero: the ideal product G^T v. */
xb_circuit *bench_tile_ideal(const xb_circuit *c, xb_error *err);
/* K x M inputs: bits of the given density (gate-input) or voltages (input-source). */
double *bench_inputs_new(gsl_rng *r, int M, size_t K, xb_topology topo, double density);

/* Seconds per vector of `inner` back-to-back products of K vectors into out:
 * xb_solver_solve() on s, or, with s NULL, the ideal product of circuit `ideal`
 * as one OpenBLAS dgemm. */
xb_status bench_time(xb_solver *s, const xb_circuit *ideal, const double *v, size_t K, double *out, int inner,
                     double *per, xb_error *err);
/* Back-to-back batches per timed sample, from one batch's seconds per vector. */
int bench_inner_count(double per_vector, size_t K);
/* The median of v[0..n-1] (NaN when out of memory). */
double bench_median(const double *v, int n);

#endif
