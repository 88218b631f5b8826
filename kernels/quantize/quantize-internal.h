// Per-ISA implementations of quantize_f32_s8_dynamic (private to kernels/). All of them compute
// the same thing bit for bit: min/max are exact, q uses IEEE division (never a reciprocal) and
// round-to-nearest-even, exactly as the scalar code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ternrt::kernels {

struct QuantParams {
  float scale;
  int32_t zero_point;
};

// scale = (max - min) / 255 and zero_point = clamp(-128 - round(min / scale)) from min <= 0 <= max.
QuantParams quant_params_from_range(float min, float max);

void quantize_f32_s8_scalar(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);
#if defined(__x86_64__) || defined(_M_X64)
void quantize_f32_s8_avx2(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);
void quantize_f32_s8_avx512(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);
#endif
#if defined(__aarch64__)
void quantize_f32_s8_neon(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);
#endif

}  // namespace ternrt::kernels
