#include <algorithm>
#include <cmath>

#include "quantize-internal.h"

namespace ternrt::kernels {

QuantParams quant_params_from_range(float min, float max) {
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  if (max == min) return {1.0f, 0};   // all zero
  const float scale = (max - min) / 255.0f;
  const float zp = -128.0f - std::nearbyint(min / scale);
  return {scale, int32_t(std::min(127.0f, std::max(-128.0f, zp)))};
}

void quantize_f32_s8_scalar(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  float min = 0.0f, max = 0.0f;
  for (size_t i = 0; i < count; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
  const QuantParams params = quant_params_from_range(min, max);
  const float zp = float(params.zero_point);
  for (size_t i = 0; i < count; ++i) {
    // round(x / scale) + zp is exact in float (|value| < 2^24), then clamped.
    const float v = std::nearbyint(x[i] / params.scale) + zp;
    q[i] = int8_t(std::min(127.0f, std::max(-128.0f, v)));
  }
  *scale = params.scale;
  *zero_point = params.zero_point;
}

}  // namespace ternrt::kernels
