/* bench_tile.h: the random tiles and the timing loop shared by the benchmarks of
 * xb_bench.h (study-internal). */
#ifndef XB_BENCH_TILE_H
#define XB_BENCH_TILE_H

#include "xb_bench.h"

/* A random M x N tile c of the given topology with R̂p wires (xb_bench.h), its
 * ideal copy ci (every resistance zero: the product G^T v) and K x M inputs v
 * (bits of the given density for gate-input, else voltages), all drawn from one
 * mt19937 seeded with seed, in that order.  On failure what was made is left in
 * *c, *ci and *v for the caller to free. */
xb_status bench_tile_make(unsigned long seed, int M, int N, xb_topology topo, double rhat, size_t K, double density,
                          xb_circuit **c, xb_circuit **ci, double **v, xb_error *err);

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
