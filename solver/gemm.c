/* gemm.c: the dense product out = alpha * v * B of the ideal and transfer
 * paths, with the same result bits for any number of threads and any batch.
 *
 * A multithreaded BLAS splits a product differently for different thread
 * counts and shapes, and its edge kernels sum in other orders, so the last bit
 * of an output depends on how many threads ran and where the vector sat in the
 * batch.  Behind an ADC that bit can move a code, and a sweep run on 2 MPI
 * ranks (1 thread each) would then differ from the same sweep on one process
 * with 2 threads.  Here every output is one fused multiply-add chain over the
 * rows in order, computed whole by one thread: its value depends on its
 * vector and its column alone.
 *
 * Blocking: 8-column panels of B (packed for large batches), each walked
 * by groups of 4 vectors with a 4 x 8 register block of FMA accumulators.
 * OpenMP shares (vector group, panel) pairs out statically.  Without AVX2 and
 * FMA every output is a plain dot product (the same bits for any thread count
 * still, though not the same as with FMA). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "solver_internal.h"
#include "xb_threads.h"

#define GROUP 4        /* vectors per register block */
#define PACK_VECTORS 24 /* from this many vectors packing B pays for itself (measured) */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* out[g][0..8) for GROUP (4) vectors, all M rows, from an 8-column panel
 * whose row i is P[i*ldp .. i*ldp+8) (ldp 8 packed, N in place): 8
 * accumulators in registers. */
__attribute__((target("avx2,fma"))) static void block_avx2(const double *v, size_t ldv, const double *P, size_t ldp,
                                                            int M, double alpha, double *out, size_t ldo)
{
    __m256d a00 = _mm256_setzero_pd(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
            a31 = a00;
    const double *v0 = v, *v1 = v + ldv, *v2 = v + 2 * ldv, *v3 = v + 3 * ldv;
    for (int i = 0; i < M; i++) {
        const __m256d b0 = _mm256_loadu_pd(P + ldp * (size_t)i), b1 = _mm256_loadu_pd(P + ldp * (size_t)i + 4);
        __m256d x = _mm256_broadcast_sd(v0 + i);
        a00 = _mm256_fmadd_pd(x, b0, a00);
        a01 = _mm256_fmadd_pd(x, b1, a01);
        x = _mm256_broadcast_sd(v1 + i);
        a10 = _mm256_fmadd_pd(x, b0, a10);
        a11 = _mm256_fmadd_pd(x, b1, a11);
        x = _mm256_broadcast_sd(v2 + i);
        a20 = _mm256_fmadd_pd(x, b0, a20);
        a21 = _mm256_fmadd_pd(x, b1, a21);
        x = _mm256_broadcast_sd(v3 + i);
        a30 = _mm256_fmadd_pd(x, b0, a30);
        a31 = _mm256_fmadd_pd(x, b1, a31);
    }
    const __m256d al = _mm256_set1_pd(alpha);
    _mm256_storeu_pd(out, _mm256_mul_pd(al, a00));
    _mm256_storeu_pd(out + 4, _mm256_mul_pd(al, a01));
    _mm256_storeu_pd(out + ldo, _mm256_mul_pd(al, a10));
    _mm256_storeu_pd(out + ldo + 4, _mm256_mul_pd(al, a11));
    _mm256_storeu_pd(out + 2 * ldo, _mm256_mul_pd(al, a20));
    _mm256_storeu_pd(out + 2 * ldo + 4, _mm256_mul_pd(al, a21));
    _mm256_storeu_pd(out + 3 * ldo, _mm256_mul_pd(al, a30));
    _mm256_storeu_pd(out + 3 * ldo + 4, _mm256_mul_pd(al, a31));
}

/* One output, the same chain of FMAs as one lane of block_avx2. */
__attribute__((target("avx2,fma"))) static double dot_fma(const double *v, const double *B, int N, int M, int j)
{
    double s = 0.0;
    for (int i = 0; i < M; i++)
        s = __builtin_fma(v[i], B[(size_t)i * N + j], s);
    return s;
}

static int have_avx2(void)
{
    static int cached = -1;
    if (cached < 0)
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return cached;
}
#define XB_GEMM_AVX2 1
#else
static int have_avx2(void) { return 0; }
#endif

/* The portable chain: plain multiply and add, rows in order. */
static double dot_plain(const double *v, const double *B, int N, int M, int j)
{
    double s = 0.0;
    for (int i = 0; i < M; i++)
        s += v[i] * B[(size_t)i * N + j];
    return s;
}

static double dot(int avx2, const double *v, const double *B, int N, int M, int j)
{
#ifdef XB_GEMM_AVX2
    if (avx2)
        return dot_fma(v, B, N, M, j);
#endif
    (void)avx2;
    return dot_plain(v, B, N, M, j);
}

void xb_gemm(size_t K, int M, int N, double alpha, const double *v, const double *B, double *out)
{
    if (K == 0 || N <= 0)
        return;
    const int avx2 = have_avx2();
    const int par = (double)K * M * N > 1e6 && !xb_threads_in_task(); /* not inside a pool task */
    /* Whole 8-column panels go through the register blocks; the last columns,
     * and the vectors short of a group, through dot().  For a large batch the
     * panels are packed first, so that a panel is one contiguous stream (B's
     * rows are N apart: a power-of-two stride that would keep a few cache sets
     * busy); a small batch reads them in place rather than pay for the copy.
     * Either way every output is the same chain of FMAs. */
    const int np = avx2 && K >= GROUP && M > 0 ? N / 8 : 0;
    double *P = np && K >= PACK_VECTORS ? malloc((size_t)np * 8 * (size_t)M * sizeof *P) : NULL;
    const int packed = P != NULL;
#pragma omp parallel if (par)
    {
#pragma omp for schedule(static)
        for (int p = 0; p < (packed ? np : 0); p++)
            for (int i = 0; i < M; i++)
                for (int c = 0; c < 8; c++)
                    P[((size_t)p * M + (size_t)i) * 8 + c] = B[(size_t)i * N + (size_t)p * 8 + c];
        const long n_groups = (long)(K / GROUP);
#ifdef XB_GEMM_AVX2
#pragma omp for collapse(2) schedule(static)
        for (long q = 0; q < n_groups; q++)
            for (long p = 0; p < np; p++)
                block_avx2(v + (size_t)q * GROUP * (size_t)M, (size_t)M,
                           packed ? P + (size_t)p * M * 8 : B + (size_t)p * 8, packed ? 8 : (size_t)N, M,
                           alpha, out + (size_t)q * GROUP * (size_t)N + (size_t)p * 8, (size_t)N);
#endif
        /* The rest: columns past the panels for the grouped vectors, and every
         * column of the vectors past the last group. */
        const size_t kg = np ? (size_t)n_groups * GROUP : 0;
        const int j0 = np * 8;
#pragma omp for schedule(static)
        for (size_t k = 0; k < K; k++)
            for (int j = k < kg ? j0 : 0; j < N; j++)
                out[k * (size_t)N + j] = alpha * dot(avx2, v + k * (size_t)M, B, N, M, j);
    }
    free(P);
}
