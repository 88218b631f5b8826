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
  const __m512 vscale = _mm512_set1_ps(params.scale), vzp = _mm512_set1_ps(float(params.zero_point));
  const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
  for (i = 0; i < count; i += 16) {
    const size_t left = count - i;
    const __mmask16 lanes = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    __m512 v = _mm512_maskz_loadu_ps(lanes, x + i);
    v = _mm512_roundscale_ps(_mm512_div_ps(v, vscale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_add_ps(v, vzp)));
    _mm_mask_storeu_epi8(q + i, lanes, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(v)));
  }
  *scale = params.scale;
  *zero_point = params.zero_point;
}

}  // namespace ternrt::kernels
