/* read_noise_avx512.h: the generator of read_noise.h on 8 cells at once
 * (AVX-512 F/DQ), the same operations as xb_rn_normal lane by lane.  Included
 * by the files whose kernels draw noise; not a header of its own. */
#ifndef XB_READ_NOISE_AVX512_H
#define XB_READ_NOISE_AVX512_H

#if defined(__x86_64__)
#include <immintrin.h>

#define RN_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))

/* The normals of the 8 cells whose s ^ cell * GAMMA is x. */
RN_TARGET static inline __attribute__((always_inline)) __m512d rn_z8(__m512i x, const double *tab)
{
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 30));
    x = _mm512_mullo_epi64(x, _mm512_set1_epi64((long long)0xbf58476d1ce4e5b9ULL));
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 27));
    x = _mm512_mullo_epi64(x, _mm512_set1_epi64((long long)0x94d049bb133111ebULL));
    x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 31));
    const __m512i sign = _mm512_slli_epi64(x, 63), q = _mm512_or_si512(_mm512_srli_epi64(x, 11), _mm512_set1_epi64(1));
    const __m512d qd = _mm512_cvtepu64_pd(q); /* exact: q < 2^53 */
    const __m512i b = _mm512_castpd_si512(qd);
    const __m512i idx = _mm512_sub_epi64(_mm512_srli_epi64(b, 52 - RN_BITS), _mm512_set1_epi64(RN_IDX_BIAS));
    const __m512d start = _mm512_castsi512_pd(_mm512_and_si512(b, _mm512_set1_epi64(-(1LL << (52 - RN_BITS)))));
    const __m512d d = _mm512_sub_pd(qd, start);
    const __m512d a2 = _mm512_i64gather_pd(idx, tab + 2 * RN_NT, 8), a1 = _mm512_i64gather_pd(idx, tab + RN_NT, 8),
                  a0 = _mm512_i64gather_pd(idx, tab, 8);
    const __m512d z = _mm512_fmadd_pd(d, _mm512_fmadd_pd(d, a2, a1), a0);
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(z), sign));
}

/* max(g + sd z, 0) for 8 cells, then the access resistance folded in (ra > 0). */
RN_TARGET static inline __attribute__((always_inline)) __m512d rn_g8(__m512d g, __m512d sd, __m512i x,
                                                                     const double *tab, double ra)
{
    __m512d v = _mm512_max_pd(_mm512_fmadd_pd(sd, rn_z8(x, tab), g), _mm512_setzero_pd());
    if (ra != 0.0)
        v = _mm512_div_pd(v, _mm512_fmadd_pd(_mm512_set1_pd(ra), v, _mm512_set1_pd(1.0)));
    return v;
}
#endif
#endif
