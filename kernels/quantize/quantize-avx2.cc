// AVX2 quantize_f32_s8_dynamic (compiled with -mavx2): same operations as the scalar code in the
// same order per element (exact min/max, vdivps, round-to-nearest-even, clamp), so bit-identical.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "quantize-internal.h"

namespace ternrt::kernels {

void quantize_f32_s8_avx2(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  __m256 vmin = _mm256_setzero_ps(), vmax = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    vmin = _mm256_min_ps(vmin, v);
    vmax = _mm256_max_ps(vmax, v);
  }
  alignas(32) float lanes_min[8], lanes_max[8];
  _mm256_store_ps(lanes_min, vmin);
  _mm256_store_ps(lanes_max, vmax);
  float min = 0.0f, max = 0.0f;
  for (int l = 0; l < 8; ++l) {
    min = std::min(min, lanes_min[l]);
    max = std::max(max, lanes_max[l]);
  }
  for (size_t t = i; t < count; ++t) {
    min = std::min(min, x[t]);
    max = std::max(max, x[t]);
  }
  const QuantParams params = quant_params_from_range(min, max);
  quantize_f32_s8_static_avx2(x, count, params, q);
  *scale = params.scale;
  *zero_point = params.zero_point;
}

void quantize_f32_s8_static_avx2(const float* x, size_t count, QuantParams params, int8_t* q) {
  const float zp = float(params.zero_point);
  const __m256 vscale = _mm256_set1_ps(params.scale), vzp = _mm256_set1_ps(zp);
  const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  auto quantize8 = [&](const float* p) {
    __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(p), vscale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_add_ps(v, vzp)));
    return _mm256_cvtps_epi32(v);
  };
  size_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const __m256i i0 = quantize8(x + i), i1 = quantize8(x + i + 8), i2 = quantize8(x + i + 16), i3 = quantize8(x + i + 24);
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  for (; i < count; ++i) {
    const float v = std::nearbyint(x[i] / params.scale) + zp;
    q[i] = int8_t(std::min(127.0f, std::max(-128.0f, v)));
  }
}

void quantize_window_means_s8_avx2(const int32_t* sums, size_t count, const WindowMeans& m, QuantParams params,
                                   int8_t* y) {
  const __m256i zero_sum = _mm256_set1_epi32(m.zero_sum);
  const __m256 x_scale = _mm256_set1_ps(m.x_scale), inv = _mm256_set1_ps(m.inv);
  const __m256 lo = _mm256_set1_ps(m.lo), hi = _mm256_set1_ps(m.hi);
  const __m256 vscale = _mm256_set1_ps(params.scale), vzp = _mm256_set1_ps(float(params.zero_point));
  const __m256 qlo = _mm256_set1_ps(-128.0f), qhi = _mm256_set1_ps(127.0f);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256i s = _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + i)), zero_sum);
    // window_mean's order; vmaxps(v, lo) / vminps(v, hi) return lo / hi where std::max(lo, v) /
    // std::min(hi, v) do (ties included).
    __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), x_scale), inv);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    // quantize_f32_s8_static_avx2's steps.
    v = _mm256_round_ps(_mm256_div_ps(v, vscale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    v = _mm256_min_ps(qhi, _mm256_max_ps(qlo, _mm256_add_ps(v, vzp)));
    const __m256i q = _mm256_cvtps_epi32(v);
    const __m128i q32 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), _mm_packs_epi16(q32, q32));
  }
  if (i < count) quantize_window_means_s8_with(quantize_f32_s8_static_avx2, sums + i, count - i, m, params, y + i);
}

void dequantize_s8_f32_avx2(const int8_t* q, size_t count, QuantParams params, float* x) {
  const __m256i vzp = _mm256_set1_epi32(params.zero_point);
  const __m256 vscale = _mm256_set1_ps(params.scale);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + i)));
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v, vzp)), vscale));
  }
  for (; i < count; ++i) x[i] = float(int32_t(q[i]) - params.zero_point) * params.scale;
}

}  // namespace ternrt::kernels
