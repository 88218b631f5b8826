// Per-ISA implementations of quantize_f32_s8_dynamic, quantize_f32_s8_static and
// dequantize_s8_f32 (private to kernels/). All of them compute the same thing bit for bit: min/max
// are exact, q is the correctly rounded x / scale rounded to nearest-even, exactly as the scalar
// code; dequantization is one exact subtraction and one multiplication.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace ternrt::kernels {

struct QuantParams {
  float scale;
  int32_t zero_point;
};

// scale = (max - min) / 255 and zero_point = clamp(-128 - round(min / scale)) from min <= 0 <= max.
QuantParams quant_params_from_range(float min, float max);

#define TERNRT_QUANTIZE_DECLARE(suffix)                                                                      \
  void quantize_f32_s8_##suffix(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);    \
  void quantize_f32_s8_static_##suffix(const float* x, size_t count, QuantParams params, int8_t* q);            \
  void dequantize_s8_f32_##suffix(const int8_t* q, size_t count, QuantParams params, float* x);

// quantize_f32_s8_pixels4 (t2i8-gemm.h) in one pass: AVX-512 only (other ISAs quantize, then copy).
#if defined(__x86_64__) || defined(_M_X64)
void quantize_f32_s8_pixels4_avx512(const float* x, size_t rows, size_t cols, size_t c, QuantParams params,
                                    uint8_t flip, int8_t* q, size_t q_row_stride);
#endif

// quantize_window_means_s8 (t2i8-gemm.h): AVX2 and AVX-512 in one pass; the scalar definition and NEON
// through quantize_window_means_s8_with.
struct WindowMeans {
  int32_t zero_sum;
  float x_scale, inv, lo, hi;
};
// The float mean of one sum, clamped.
inline float window_mean(int32_t sum, const WindowMeans& m) {
  const float mean = float(sum - m.zero_sum) * m.x_scale * m.inv;
  return std::min(m.hi, std::max(m.lo, mean));
}
// The means computed one by one, quantized in chunks by `fixed` (an ISA's quantize_f32_s8_static; with
// the scalar one this is the definition).
using QuantizeStaticFn = void (*)(const float* x, size_t count, QuantParams params, int8_t* q);
void quantize_window_means_s8_with(QuantizeStaticFn fixed, const int32_t* sums, size_t count, const WindowMeans& m,
                                   QuantParams params, int8_t* y);
#if defined(__x86_64__) || defined(_M_X64)
void quantize_window_means_s8_avx2(const int32_t* sums, size_t count, const WindowMeans& m, QuantParams params,
                                   int8_t* y);
void quantize_window_means_s8_avx512(const int32_t* sums, size_t count, const WindowMeans& m, QuantParams params,
                                     int8_t* y);
#endif

TERNRT_QUANTIZE_DECLARE(scalar)
#if defined(__x86_64__) || defined(_M_X64)
TERNRT_QUANTIZE_DECLARE(avx2)
TERNRT_QUANTIZE_DECLARE(avx512)
#endif
#if defined(__aarch64__)
TERNRT_QUANTIZE_DECLARE(neon)
#endif
#undef TERNRT_QUANTIZE_DECLARE

}  // namespace ternrt::kernels
