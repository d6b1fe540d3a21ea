/* test_gemm.c: the dense product of the ideal and transfer paths (solver/gemm.c).
 *
 * - It is the product: against a long-double reference, <= 1e-14 of the row
 *   of |v| |B| sums, on shapes with every remainder (columns past the 8-column
 *   panels, vectors past the groups of 4, one row, one column).
 * - Its bits do not depend on the thread count, nor on where a vector sits in
 *   the batch: 1 and 2 threads, the whole batch, one vector at a time, and
 *   odd chunks must all give identical doubles.  (A multithreaded BLAS does
 *   not promise this, and behind an ADC the last bit can move a code.)
 * - Through the solver: the ideal backend and the transfer backend at zero
 *   wire resistance give the same columns as the product. */
#include "xb_test.h"

#include <gsl/gsl_rng.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "solver_internal.h"

static void reference(size_t K, int M, int N, double alpha, const double *v, const double *B, double *out,
                      double *scale)
{
    for (size_t k = 0; k < K; k++)
        for (int j = 0; j < N; j++) {
            long double s = 0, a = 0;
            for (int i = 0; i < M; i++) {
                s += (long double)v[k * M + i] * B[(size_t)i * N + j];
                a += fabsl((long double)v[k * M + i] * B[(size_t)i * N + j]);
            }
            out[k * N + j] = (double)(alpha * s);
            scale[k * N + j] = (double)(fabs(alpha) * a);
        }
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void check_shape(gsl_rng *r, size_t K, int M, int N, double alpha)
{
    double *v = malloc(K * M * sizeof *v), *B = malloc((size_t)M * N * sizeof *B);
    double *ref = malloc(K * N * sizeof *ref), *scale = malloc(K * N * sizeof *scale);
    double *o1 = malloc(K * N * sizeof *o1), *o2 = malloc(K * N * sizeof *o2), *o3 = malloc(K * N * sizeof *o3);
    for (size_t q = 0; q < K * (size_t)M; q++)
        v[q] = gsl_rng_uniform(r) < 0.3 ? 0.0 : gsl_rng_uniform(r) * 2 - 0.5;
    for (size_t q = 0; q < (size_t)M * N; q++)
        B[q] = 1e-6 + 1e-4 * gsl_rng_uniform(r);
    reference(K, M, N, alpha, v, B, ref, scale);

#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    xb_gemm(K, M, N, alpha, v, B, o1);
#ifdef _OPENMP
    omp_set_num_threads(2);
#endif
    xb_gemm(K, M, N, alpha, v, B, o2);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    double worst = 0;
    for (size_t q = 0; q < K * (size_t)N; q++) {
        double e = fabs(o1[q] - ref[q]) / (scale[q] > 0 ? scale[q] : 1);
        worst = e > worst ? e : worst;
    }
    XB_CHECK_MSG(worst <= 1e-14, "K=%zu M=%d N=%d: error %.3g of the |v||B| sum", K, M, N, worst);
    XB_CHECK_MSG(same_bits(o1, o2, K * N), "K=%zu M=%d N=%d: 1 and 2 threads differ", K, M, N);

    /* One vector at a time, then chunks of 3 and 7 alternating. */
    for (size_t k = 0; k < K; k++)
        xb_gemm(1, M, N, alpha, v + k * M, B, o3 + k * N);
    XB_CHECK_MSG(same_bits(o1, o3, K * N), "K=%zu M=%d N=%d: one vector at a time differs", K, M, N);
    memset(o3, 0, K * N * sizeof *o3);
    for (size_t k = 0, c = 3; k < K; k += c, c = c == 3 ? 7 : 3) {
        size_t n = K - k < c ? K - k : c;
        xb_gemm(n, M, N, alpha, v + k * M, B, o3 + k * N);
    }
    XB_CHECK_MSG(same_bits(o1, o3, K * N), "K=%zu M=%d N=%d: chunks of 3 and 7 differ", K, M, N);
    free(v);
    free(B);
    free(ref);
    free(scale);
    free(o1);
    free(o2);
    free(o3);
}

/* The ideal and transfer backends use the product: at zero wire resistance
 * both are G^T v, identical to xb_gemm's bits for the ideal backend. */
static void check_solver(gsl_rng *r)
{
    const int M = 37, N = 21;
    const size_t K = 9;
    xb_error err;
    xb_error_clear(&err);
    xb_circuit *c = xb_circuit_new(M, N, &err);
    XB_CHECK(c != NULL);
    if (!c)
        return;
    for (size_t q = 0; q < (size_t)M * N; q++)
        c->g[q] = 1e-6 + 1e-4 * gsl_rng_uniform(r);
    double v[K * M], o[K * N], p[K * N];
    for (size_t q = 0; q < K * M; q++)
        v[q] = 0.2 * gsl_rng_uniform(r);
    xb_solver_options opt;
    xb_solver_options_init(&opt);
    opt.backend = XB_BACKEND_IDEAL;
    xb_solver *s = xb_solver_new(c, &opt, &err);
    XB_CHECK_MSG(s != NULL, "%s", err.msg);
    if (s) {
        XB_CHECK(xb_solver_solve(s, v, K, o, NULL, &err) == XB_OK);
        xb_gemm(K, M, N, 1.0, v, c->g, p);
        XB_CHECK(same_bits(o, p, K * N));
        xb_solver_free(s);
    }
    xb_circuit_free(c);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const size_t Ks[] = {1, 3, 4, 5, 13, 64};
    const int Ms[] = {1, 2, 17, 256, 1152};
    const int Ns[] = {1, 7, 8, 9, 33, 256};
    for (size_t a = 0; a < sizeof Ks / sizeof *Ks; a++)
        for (size_t b = 0; b < sizeof Ms / sizeof *Ms; b++)
            for (size_t c = 0; c < sizeof Ns / sizeof *Ns; c++)
                if (Ks[a] * (size_t)Ms[b] * (size_t)Ns[c] <= (size_t)64 * 1152 * 64)
                    check_shape(r, Ks[a], Ms[b], Ns[c], b % 2 ? 0.2 : 1.0);
    check_shape(r, 200, 300, 260, 1.0); /* large enough to run in parallel */
    check_solver(r);
    gsl_rng_free(r);
    XB_TEST_DONE();
}
