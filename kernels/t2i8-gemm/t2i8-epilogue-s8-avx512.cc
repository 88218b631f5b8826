// AVX-512 (F+BW+VL) int8 epilogue (t2i8-epilogue-s8.h) for avx512bw and avx512vnni: 16 channels per
// vector with masked tails, the scalar operations in the same order (built with -ffp-contract=off).
// vmaxps(y, lo) returns lo when y is NaN, like the scalar y > lo ? y : lo; vcvtps2dq rounds with
// MXCSR (nearest-even), as lrintf does.
// GCC 12's AVX-512 intrinsics self-initialise an "undefined" operand and warn about it when inlined
// (GCC bug 105593, a false positive); silence only that here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

void t2i8_epilogue_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride) {
  const __m512 lo = _mm512_set1_ps(float(out_min)), hi = _mm512_set1_ps(float(out_max));
  for (size_t j = 0; j < nt; j += 16) {
    const __mmask16 lanes = nt - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (nt - j)) - 1);
    const __m512i corr = _mm512_maskz_loadu_epi32(lanes, correction + j);
    const __m512 mul = _mm512_maskz_loadu_ps(lanes, multiplier + j);
    const __m512 add = _mm512_maskz_loadu_ps(lanes, offset + j);
    for (size_t r = 0; r < mt; ++r) {
      const __m512i x = _mm512_maskz_loadu_epi32(lanes, acc + r * acc_stride + j);
      __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(x, corr)), mul);
      y = _mm512_add_ps(y, add);
      y = _mm512_min_ps(_mm512_max_ps(y, lo), hi);   // operand order matters for NaN
      // Values are in [-128, 127]: the saturating narrowing store (vpmovsdb) never saturates.
      _mm512_mask_cvtsepi32_storeu_epi8(c + r * c_stride + j, lanes, _mm512_cvtps_epi32(y));
    }
  }
}

}  // namespace ternrt::kernels
