// AVX-512 quantize_f32_s8_dynamic (compiled with -mavx512f -mavx512bw -mavx512vl): the
// scalar code's results per element (exact min/max, correctly rounded division, round-to-nearest-even,
// clamp).
#include "avx512-intrinsics.h"

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

namespace {

// x -> round(x / scale) + zero_point for 16 floats as int32, saturated to [-128, 127] by the caller's
// conversion to bytes (packs or vpmovsdb): the scalar code's clamp, without two vector operations.
// A NaN converts to INT32_MIN, so it saturates to -128 as in the scalar code.
class Quantizer16 {
 public:
  explicit Quantizer16(QuantParams params)
      : vscale_(_mm512_set1_ps(params.scale)), vzp_(_mm512_set1_ps(float(params.zero_point))),
        // x / scale without vdivps (its throughput bounds this loop): Markstein's correction. With
        // y = RN(1 / scale) and q within one ulp of x / scale, RN(q + RN(x - q * scale) * y) is the
        // correctly rounded quotient RN(x / scale) (the residual is exact with FMA). q0 = RN(x * y) can
        // be 2 ulp off, so one correction makes it 1 ulp close and the second one exact. Needs no
        // overflow / underflow in the residuals: |x / scale| <= 2^16 after the clamp below, and the scale range
        // below keeps every residual a normal (exact) float; other scales use the division.
        use_reciprocal_(params.scale >= 0x1p-60f && params.scale <= 0x1p60f),
        vreciprocal_(_mm512_set1_ps(1.0f / params.scale)),
        // Static ranges do not bound x: clamp it to +-2^16 steps first (the result saturates there either
        // way), so the residuals above cannot overflow and the sum below stays an exact integer.
        xmax_(_mm512_set1_ps(65536.0f * params.scale)), xmin_(_mm512_set1_ps(-65536.0f * params.scale)) {}

  __m512i operator()(__m512 v) const {
    // vmaxps / vminps return their second operand when one is NaN, so a NaN stays NaN here (vrangeps
    // would return the limit: 127 instead of -128).
    v = _mm512_min_ps(xmax_, _mm512_max_ps(xmin_, v));
    __m512 quotient;
    if (use_reciprocal_) {
      quotient = _mm512_mul_ps(v, vreciprocal_);
      quotient = _mm512_fmadd_ps(_mm512_fnmadd_ps(quotient, vscale_, v), vreciprocal_, quotient);
      quotient = _mm512_fmadd_ps(_mm512_fnmadd_ps(quotient, vscale_, v), vreciprocal_, quotient);
    } else {
      quotient = _mm512_div_ps(v, vscale_);
    }
    v = _mm512_roundscale_ps(quotient, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm512_cvtps_epi32(_mm512_add_ps(v, vzp_));
  }

 private:
  __m512 vscale_, vzp_;
  bool use_reciprocal_;
  __m512 vreciprocal_, xmax_, xmin_;
};

}  // namespace

void quantize_f32_s8_static_avx512(const float* x, size_t count, QuantParams params, int8_t* q) {
  const Quantizer16 quantize16(params);
  // 64 at a time through two saturating packs (the clamp to [-128, 127]) and one store;
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

void quantize_f32_s8_pixels4_avx512(const float* x, size_t rows, size_t cols, size_t c, QuantParams params,
                                    uint8_t flip, int8_t* q, size_t q_row_stride) {
  const Quantizer16 quantize16(params);
  // Four pixels per step: their 4 * c floats in one masked load, a lane permute puts pixel p's
  // channels in lanes 4p .. 4p + c - 1 and zeros in the others, which quantize to the zero point, the
  // fill. (vexpandps from memory does the same in one instruction but took 2.5x as long here.)
  alignas(64) int32_t spread[16];
  for (int lane = 0; lane < 16; ++lane) spread[lane] = int32_t((lane / 4) * c + std::min(size_t(lane % 4), c - 1));
  const __m512i spread_lanes = _mm512_load_si512(spread);
  const __mmask16 channels = __mmask16(((1u << c) - 1) * 0x1111u);
  const __m128i flip_bytes = _mm_set1_epi8(int8_t(flip));
  for (size_t r = 0; r < rows; ++r, x += cols * c, q += q_row_stride) {
    size_t p = 0;
    const __mmask16 four_pixels = __mmask16((1u << (4 * c)) - 1);
    for (; p + 4 <= cols; p += 4) {
      const __m512 v = _mm512_maskz_permutexvar_ps(channels, spread_lanes, _mm512_maskz_loadu_ps(four_pixels, x + p * c));
      const __m128i bytes = _mm512_cvtsepi32_epi8(quantize16(v));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 4 * p), _mm_xor_si128(bytes, flip_bytes));
    }
    if (p < cols) {
      const size_t left = cols - p;   // 1..3 pixels: the load reads only their floats
      const __mmask16 lanes = __mmask16((1u << (4 * left)) - 1);
      const __mmask16 floats = __mmask16((1u << (left * c)) - 1);
      const __m512 v = _mm512_maskz_permutexvar_ps(channels & lanes, spread_lanes, _mm512_maskz_loadu_ps(floats, x + p * c));
      const __m128i bytes = _mm512_cvtsepi32_epi8(quantize16(v));
      _mm_mask_storeu_epi8(q + 4 * p, lanes, _mm_xor_si128(bytes, flip_bytes));
    }
  }
}

void quantize_window_means_s8_avx512(const int32_t* sums, size_t count, const WindowMeans& m, QuantParams params,
                                     int8_t* y) {
  const Quantizer16 quantize16(params);
  const __m512i zero_sum = _mm512_set1_epi32(m.zero_sum);
  const __m512 x_scale = _mm512_set1_ps(m.x_scale), inv = _mm512_set1_ps(m.inv);
  const __m512 lo = _mm512_set1_ps(m.lo), hi = _mm512_set1_ps(m.hi);
  for (size_t i = 0; i < count; i += 16) {
    const size_t left = count - i;
    const __mmask16 lanes = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
    const __m512i s = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(lanes, sums + i), zero_sum);
    // window_mean's operations in its order: std::max(lo, v) is v unless lo > v, which vmaxps(v, lo)
    // gives too (and returns lo for a NaN v, as the scalar comparison does); likewise the min.
    __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(s), x_scale), inv);
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    _mm_mask_storeu_epi8(y + i, lanes, _mm512_cvtsepi32_epi8(quantize16(v)));
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
