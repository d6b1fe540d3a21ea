/* read_noise.c: the read-noise generator of read_noise.h: the stream of a
 * read, the node table of the inverse normal, one draw, and a row of noisy
 * conductances (AVX-512 where the CPU has it). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "read_noise.h"
#include "read_noise_avx512.h"

#define RN_SALT_KEY 0x243f6a8885a308d3ULL  /* pi's fraction bits: any odd constant, two different ones */
#define RN_SALT_READ 0x13198a2e03707344ULL

uint64_t xb_rn_seed(uint64_t key, uint64_t read)
{
    return xb_rn_mix(xb_rn_mix(key ^ RN_SALT_KEY) ^ xb_rn_mix(read ^ RN_SALT_READ));
}

/* Q(p): the z >= 0 with erfc(z / sqrt 2) = p = P(|Z| > z), 0 < p <= 1, in long
 * double.  Start from Abramowitz and Stegun 26.2.23 (error below 4.5e-4), then
 * Newton on erfcl, which converges quadratically from there to the long
 * double's precision (1e-19) in four steps; six are taken. */
static long double rn_quantile(long double p)
{
    if (p >= 1.0L)
        return 0.0L;
    const long double t = sqrtl(-2.0L * logl(p / 2)); /* A&S 26.2.23 for the upper tail p / 2 */
    long double z = t - (2.515517L + 0.802853L * t + 0.010328L * t * t) /
                            (1.0L + 1.432788L * t + 0.189269L * t * t + 0.001308L * t * t * t);
    if (z < 0)
        z = 0;
    const long double sqrt2 = 1.41421356237309504880168872420969808L;
    const long double dens = 0.79788456080286535587989211986876373L; /* sqrt(2 / pi) */
    for (int it = 0; it < 6; it++)
        z += (erfcl(z / sqrt2) - p) / (dens * expl(-z * z / 2));
    return z;
}

static double rn_tab[3 * RN_NT];
static pthread_once_t rn_once = PTHREAD_ONCE_INIT;

/* Piece k of octave e: q from 2^e (1 + k / RN_PIECES), width h = 2^(e - RN_BITS);
 * the parabola through Q at the Chebyshev points d_m = h (1 - cos((2m + 1) pi / 6)) / 2,
 * in monomial form in d. */
static void rn_build(void)
{
    const long double c = 0.86602540378443864676372317075293618L; /* cos(pi / 6) */
    for (int e = 0; e < RN_OCTAVES; e++)
        for (int k = 0; k < RN_PIECES; k++) {
            const long double q0 = ldexpl(1.0L + (long double)k / RN_PIECES, e), h = ldexpl(1.0L, e - RN_BITS);
            const long double d[3] = {h * (1 - c) / 2, h / 2, h * (1 + c) / 2};
            long double f[3];
            for (int m = 0; m < 3; m++)
                f[m] = rn_quantile(ldexpl(q0 + d[m], -53));
            /* Newton's divided differences, then the monomial coefficients */
            const long double f01 = (f[1] - f[0]) / (d[1] - d[0]), f12 = (f[2] - f[1]) / (d[2] - d[1]);
            const long double f012 = (f12 - f01) / (d[2] - d[0]);
            const int t = e * RN_PIECES + k;
            rn_tab[t] = (double)(f[0] - f01 * d[0] + f012 * d[0] * d[1]);
            rn_tab[RN_NT + t] = (double)(f01 - f012 * (d[0] + d[1]));
            rn_tab[2 * RN_NT + t] = (double)f012;
        }
}

const double *xb_rn_table(void)
{
    pthread_once(&rn_once, rn_build);
    return rn_tab;
}

/* The draw from h (read_noise.h), on the table tab. */
static inline double rn_z(uint64_t h, const double *tab)
{
    const uint64_t sign = h << 63, q = (h >> 11) | 1;
    const double qd = (double)q; /* exact: q < 2^53 */
    uint64_t b;
    memcpy(&b, &qd, sizeof b);
    const int64_t idx = (int64_t)(b >> (52 - RN_BITS)) - RN_IDX_BIAS;
    const uint64_t sb = b & ~((1ULL << (52 - RN_BITS)) - 1);
    double start;
    memcpy(&start, &sb, sizeof start);
    const double d = qd - start; /* exact: the same binade */
    const double z = fma(d, fma(d, tab[2 * RN_NT + idx], tab[RN_NT + idx]), tab[idx]);
    uint64_t zb;
    memcpy(&zb, &z, sizeof zb);
    zb ^= sign;
    double r;
    memcpy(&r, &zb, sizeof r);
    return r;
}

double xb_rn_normal(uint64_t s, uint64_t cell) { return rn_z(xb_rn_mix(s ^ cell * RN_GAMMA), xb_rn_table()); }

double xb_read_normal(unsigned long long key, unsigned long long read, unsigned long long cell)
{
    return xb_rn_normal(xb_rn_seed(key, read), cell);
}

int xb_rn_avx512(void)
{
#if defined(__x86_64__)
    static int has = -1;
    if (has < 0)
        has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
#else
    return 0;
#endif
}

/* One noisy conductance, as rn_g8 lane by lane. */
static inline double rn_g(double g, double sd, double z, double ra)
{
    double v = fma(sd, z, g);
    v = v > 0.0 ? v : 0.0;
    return ra != 0.0 ? v / fma(ra, v, 1.0) : v;
}

#if defined(__x86_64__)
RN_TARGET static void rn_acc512(uint64_t s, int nr, const int *rows, const double *g, const double *sd, int n,
                                double ra, const double *x, double *acc, const double *tab)
{
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i gam = _mm512_set1_epi64((long long)RN_GAMMA), sv = _mm512_set1_epi64((long long)s);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d a = _mm512_loadu_pd(acc + j);
        for (int r = 0; r < nr; r++) { /* rows in order: the same sum as one at a time */
            const size_t o = (size_t)rows[r] * (size_t)n + (size_t)j;
            const __m512i x8 = _mm512_xor_si512(sv, _mm512_mullo_epi64(_mm512_add_epi64(_mm512_set1_epi64((long long)o), lane), gam));
            const __m512d gn = rn_g8(_mm512_loadu_pd(g + o), _mm512_loadu_pd(sd + o), x8, tab, ra);
            a = _mm512_fmadd_pd(_mm512_set1_pd(x[r]), gn, a);
        }
        _mm512_storeu_pd(acc + j, a);
    }
    for (; j < n; j++)
        for (int r = 0; r < nr; r++) {
            const size_t o = (size_t)rows[r] * (size_t)n + (size_t)j;
            acc[j] = fma(x[r], rn_g(g[o], sd[o], rn_z(xb_rn_mix(s ^ (uint64_t)o * RN_GAMMA), tab), ra), acc[j]);
        }
}

RN_TARGET static void rn_row512(uint64_t s, uint64_t cell0, const double *g, const double *sd, int n, double ra,
                                double *out, const double *tab)
{
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i gam = _mm512_set1_epi64((long long)RN_GAMMA), sv = _mm512_set1_epi64((long long)s);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m512i cell = _mm512_add_epi64(_mm512_set1_epi64((long long)(cell0 + (uint64_t)j)), lane);
        const __m512i x = _mm512_xor_si512(sv, _mm512_mullo_epi64(cell, gam));
        _mm512_storeu_pd(out + j, rn_g8(_mm512_loadu_pd(g + j), _mm512_loadu_pd(sd + j), x, tab, ra));
    }
    for (; j < n; j++)
        out[j] = rn_g(g[j], sd[j], rn_z(xb_rn_mix(s ^ (cell0 + (uint64_t)j) * RN_GAMMA), tab), ra);
}
#endif

void xb_rn_row(uint64_t s, uint64_t cell0, const double *g, const double *sd, int n, double ra, double *out)
{
    const double *tab = xb_rn_table();
#if defined(__x86_64__)
    if (xb_rn_avx512()) {
        rn_row512(s, cell0, g, sd, n, ra, out, tab);
        return;
    }
#endif
    for (int j = 0; j < n; j++)
        out[j] = rn_g(g[j], sd[j], rn_z(xb_rn_mix(s ^ (cell0 + (uint64_t)j) * RN_GAMMA), tab), ra);
}

void xb_rn_rows_acc(uint64_t s, int nr, const int *rows, const double *g, const double *sd, int n, double ra,
                    const double *x, double *acc)
{
    const double *tab = xb_rn_table();
#if defined(__x86_64__)
    if (xb_rn_avx512()) {
        rn_acc512(s, nr, rows, g, sd, n, ra, x, acc, tab);
        return;
    }
#endif
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < n; j++) {
            const size_t o = (size_t)rows[r] * (size_t)n + (size_t)j;
            acc[j] = fma(x[r], rn_g(g[o], sd[o], rn_z(xb_rn_mix(s ^ (uint64_t)o * RN_GAMMA), tab), ra), acc[j]);
        }
}
