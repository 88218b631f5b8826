// AVX-512 quantize_f32_s8_dynamic (compiled with -mavx512f -mavx512bw -mavx512vl): same operations
// as the scalar code per element (exact min/max, division, round-to-nearest-even, clamp).
// GCC 12's AVX-512 intrinsics self-initialise an "undefined" operand and warn about it when inlined
// (GCC bug 105593, a false positive); silence only that here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "quantize-internal.h"

namespace ternrt::kernels {

void quantize_f32_s8_avx512(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  __m512 vmin = _mm512_setzero_ps(), vmax = _mm512_setzero_ps();
  size_t i = 0;
  {
    // Four independent min/max chains: one chain is bound by the 4-cycle vminps latency.
    __m512 min1 = vmin, min2 = vmin, min3 = vmin, max1 = vmax, max2 = vmax, max3 = vmax;
    for (; i + 64 <= count; i += 64) {
      const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
      const __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
      vmin = _mm512_min_ps(vmin, v0);
      min1 = _mm512_min_ps(min1, v1);
      min2 = _mm512_min_ps(min2, v2);
      min3 = _mm512_min_ps(min3, v3);
      vmax = _mm512_max_ps(vmax, v0);
      max1 = _mm512_max_ps(max1, v1);
      max2 = _mm512_max_ps(max2, v2);
      max3 = _mm512_max_ps(max3, v3);
    }
    // min / max are exact and order-independent (no NaN by contract), so merging is too.
    vmin = _mm512_min_ps(_mm512_min_ps(vmin, min1), _mm512_min_ps(min2, min3));
    vmax = _mm512_max_ps(_mm512_max_ps(vmax, max1), _mm512_max_ps(max2, max3));
  }
  for (; i + 16 <= count; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    vmin = _mm512_min_ps(vmin, v);
    vmax = _mm512_max_ps(vmax, v);
  }
  if (i < count) {
    // Masked-out lanes read as 0, which the range includes anyway.
    const __mmask16 tail = __mmask16((1u << (count - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(tail, x + i);
    vmin = _mm512_min_ps(vmin, v);
    vmax = _mm512_max_ps(vmax, v);
  }
  // Lane reduction by hand (GCC 12's _mm512_reduce_* warn about an undefined operand).
  alignas(64) float lanes_min[16], lanes_max[16];
  _mm512_store_ps(lanes_min, vmin);
  _mm512_store_ps(lanes_max, vmax);
  float min = 0.0f, max = 0.0f;
  for (int l = 0; l < 16; ++l) {
    min = std::min(min, lanes_min[l]);
    max = std::max(max, lanes_max[l]);
  }
  const QuantParams params = quant_params_from_range(min, max);
  quantize_f32_s8_static_avx512(x, count, params, q);
  *scale = params.scale;
  *zero_point = params.zero_point;
}

void quantize_f32_s8_static_avx512(const float* x, size_t count, QuantParams params, int8_t* q) {
  const __m512 vscale = _mm512_set1_ps(params.scale), vzp = _mm512_set1_ps(float(params.zero_point));
  const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
  // x / scale without vdivps (its throughput bounds this loop): Markstein's correction. With
  // y = RN(1 / scale) and q within one ulp of x / scale, RN(q + RN(x - q * scale) * y) is the
  // correctly rounded quotient RN(x / scale) (the residual is exact with FMA). q0 = RN(x * y) can
  // be 2 ulp off, so one correction makes it 1 ulp close and the second one exact. Needs no
  // overflow / underflow in the residuals: |x / scale| <= 2^16 after the clamp below, and the scale range
  // below keeps every residual a normal (exact) float; other scales use the division.
  const float reciprocal = 1.0f / params.scale;
  const bool use_reciprocal = params.scale >= 0x1p-60f && params.scale <= 0x1p60f;
  const __m512 vreciprocal = _mm512_set1_ps(reciprocal);
  // Static ranges do not bound x: clamp it to +-2^16 steps first (the result saturates there either
  // way), so the residuals above cannot overflow.
  const __m512 xmax = _mm512_set1_ps(65536.0f * params.scale), xmin = _mm512_set1_ps(-65536.0f * params.scale);
  // 16 floats -> 16 int32 in [-128, 127].
  auto quantize16 = [&](__m512 v) {
    v = _mm512_min_ps(xmax, _mm512_max_ps(xmin, v));
    __m512 quotient;
    if (use_reciprocal) {
      quotient = _mm512_mul_ps(v, vreciprocal);
      quotient = _mm512_fmadd_ps(_mm512_fnmadd_ps(quotient, vscale, v), vreciprocal, quotient);
      quotient = _mm512_fmadd_ps(_mm512_fnmadd_ps(quotient, vscale, v), vreciprocal, quotient);
    } else {
      quotient = _mm512_div_ps(v, vscale);
    }
    v = _mm512_roundscale_ps(quotient, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_add_ps(v, vzp)));
    return _mm512_cvtps_epi32(v);
  };
  // 64 at a time through two saturating packs (exact: values are already in range) and one store;
  // the packs work per 128-bit lane, the final permute restores element order.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  size_t i = 0;
  for (; i + 64 <= count; i += 64) {
    const __m512i i0 = quantize16(_mm512_loadu_ps(x + i)), i1 = quantize16(_mm512_loadu_ps(x + i + 16));
    const __m512i i2 = quantize16(_mm512_loadu_ps(x + i + 32)), i3 = quantize16(_mm512_loadu_ps(x + i + 48));
    const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(i0, i1), _mm512_packs_epi32(i2, i3));
    _mm512_storeu_si512(q + i, _mm512_permutexvar_epi32(order, bytes));
  }
  for (; i < count; i += 16) {
    const size_t left = count - i;
    const __mmask16 lanes = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    _mm_mask_storeu_epi8(q + i, lanes, _mm512_cvtsepi32_epi8(quantize16(_mm512_maskz_loadu_ps(lanes, x + i))));
  }
}


void dequantize_s8_f32_avx512(const int8_t* q, size_t count, QuantParams params, float* x) {
  const __m512i vzp = _mm512_set1_epi32(params.zero_point);
  const __m512 vscale = _mm512_set1_ps(params.scale);
  for (size_t i = 0; i < count; i += 16) {
    const size_t left = count - i;
    const __mmask16 lanes = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    const __m512i v = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(lanes, q + i));
    _mm512_mask_storeu_ps(x + i, lanes, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(v, vzp)), vscale));
  }
}

}  // namespace ternrt::kernels
