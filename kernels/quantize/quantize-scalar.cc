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

void quantize_f32_s8_static_scalar(const float* x, size_t count, QuantParams params, int8_t* q) {
  const float zp = float(params.zero_point);
  for (size_t i = 0; i < count; ++i) {
    // round(x / scale) + zp is exact in float once clamped (the clamp comes after the add, and
    // |x / scale| beyond 2^24 saturates either way).
    const float v = std::nearbyint(x[i] / params.scale) + zp;
    q[i] = int8_t(std::min(127.0f, std::max(-128.0f, v)));
  }
}

void quantize_window_means_s8_with(QuantizeStaticFn fixed, const int32_t* sums, size_t count, const WindowMeans& m,
                                   QuantParams params, int8_t* y) {
  float means[64];
  for (size_t i = 0; i < count; i += 64) {
    const size_t n = std::min<size_t>(64, count - i);
    for (size_t j = 0; j < n; ++j) means[j] = window_mean(sums[i + j], m);
    fixed(means, n, params, y + i);
  }
}

void quantize_f32_s8_scalar(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  float min = 0.0f, max = 0.0f;
  for (size_t i = 0; i < count; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
  const QuantParams params = quant_params_from_range(min, max);
  quantize_f32_s8_static_scalar(x, count, params, q);
  *scale = params.scale;
  *zero_point = params.zero_point;
}

void dequantize_s8_f32_scalar(const int8_t* q, size_t count, QuantParams params, float* x) {
  for (size_t i = 0; i < count; ++i) x[i] = float(int32_t(q[i]) - params.zero_point) * params.scale;
}

}  // namespace ternrt::kernels
