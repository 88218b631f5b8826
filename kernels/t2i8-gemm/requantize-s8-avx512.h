// The vector steps of the int8 epilogue (t2i8-epilogue-s8.h) on AVX-512 F+BW+VL, shared by the
// epilogue (t2i8-epilogue-s8-avx512.cc) and the requantizing micro-kernels that apply it to their
// accumulators in registers (t2i8-gemm-avx512vnni.cc). Internal linkage: the files that include it
// are built with different ISA flags. Private to kernels/.
#pragma once

#include <immintrin.h>

namespace ternrt::kernels {
namespace {

// 16 outputs before the int8 clamps: round(y) as int32, y = fma(float(x), mul, add), x = acc -
// correction. The int8 max with out_min and min with out_max after the saturating narrowing then give
// the scalar result: a y below lo rounds to at most out_min, one above hi to at least out_max, and
// vcvtps2dq turns a NaN into INT32_MIN, so out_min, as the scalar max(y, lo) does. vcvtps2dq rounds
// with MXCSR (nearest-even), as lrintf does. Only a y at or above 2^31 would convert wrongly (to
// INT32_MIN as well): unless kBounded (the terms pass `terms_bound_y`, so no such y exists), y is
// first clamped to hi in float; vminps(hi, y) keeps a NaN y.
template <bool kBounded>
inline __m512i requantize_s8(__m512i x, __m512 mul, __m512 add, __m512 hi) {
  const __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), mul, add);
  return _mm512_cvtps_epi32(kBounded ? y : _mm512_min_ps(hi, y));
}

// |acc - correction| < 2^31, so |y| < 2^30 when |multiplier| <= 1/4 and |offset| <= 2^29 (NaN fails
// the test). Multipliers are scale ratios, about 0.001-0.1 in real layers: the float clamp, one of
// the ~7 operations per 16 outputs, is then left out.
inline bool terms_bound_y(__mmask16 lanes, __m512 mul, __m512 add) {
  const __mmask16 ok = _mm512_cmp_ps_mask(_mm512_abs_ps(mul), _mm512_set1_ps(0.25f), _CMP_LE_OQ) &
                       _mm512_cmp_ps_mask(_mm512_abs_ps(add), _mm512_set1_ps(0x1p29f), _CMP_LE_OQ);
  return (ok & lanes) == lanes;
}

// Four vectors of 16 int32 to 64 saturated int8 in the order a, b, c, d: the in-lane packs leave
// 128-bit lane i holding a[4i..4i+3], b[4i..], c[4i..], d[4i..]; a dword permutation restores the
// order.
inline __m512i pack_in_order(__m512i a, __m512i b, __m512i c, __m512i d) {
  const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), bytes);
}

}  // namespace
}  // namespace ternrt::kernels
