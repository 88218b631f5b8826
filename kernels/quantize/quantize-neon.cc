// NEON quantize_f32_s8_dynamic: same operations as the scalar code per element (exact min/max,
// IEEE division vdivq_f32, round-to-nearest-even vrndnq_f32, clamp), so bit-identical.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "quantize-internal.h"

namespace ternrt::kernels {

void quantize_f32_s8_neon(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point) {
  float32x4_t vmin = vdupq_n_f32(0.0f), vmax = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    vmin = vminq_f32(vmin, v);
    vmax = vmaxq_f32(vmax, v);
  }
  float min = vminvq_f32(vmin), max = vmaxvq_f32(vmax);
  for (size_t t = i; t < count; ++t) {
    min = std::min(min, x[t]);
    max = std::max(max, x[t]);
  }
  const QuantParams params = quant_params_from_range(min, max);
  quantize_f32_s8_static_neon(x, count, params, q);
  *scale = params.scale;
  *zero_point = params.zero_point;
}

void quantize_f32_s8_static_neon(const float* x, size_t count, QuantParams params, int8_t* q) {
  const float zp = float(params.zero_point);
  const float32x4_t vscale = vdupq_n_f32(params.scale), vzp = vdupq_n_f32(zp);
  const float32x4_t lo = vdupq_n_f32(-128.0f), hi = vdupq_n_f32(127.0f);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    float32x4_t v0 = vrndnq_f32(vdivq_f32(vld1q_f32(x + i), vscale));
    float32x4_t v1 = vrndnq_f32(vdivq_f32(vld1q_f32(x + i + 4), vscale));
    // vmaxnm returns lo for a NaN (vmax would keep the NaN, which converts to 0): -128, as the scalar
    // std::max(-128.0f, v) and the x86 conversions give.
    v0 = vminq_f32(hi, vmaxnmq_f32(vaddq_f32(v0, vzp), lo));
    v1 = vminq_f32(hi, vmaxnmq_f32(vaddq_f32(v1, vzp), lo));
    const int16x8_t halves = vcombine_s16(vmovn_s32(vcvtq_s32_f32(v0)), vmovn_s32(vcvtq_s32_f32(v1)));
    vst1_s8(q + i, vmovn_s16(halves));
  }
  for (; i < count; ++i) {
    const float v = std::nearbyint(x[i] / params.scale) + zp;
    q[i] = int8_t(std::min(127.0f, std::max(-128.0f, v)));
  }
}

void dequantize_s8_f32_neon(const int8_t* q, size_t count, QuantParams params, float* x) {
  const int32x4_t vzp = vdupq_n_s32(params.zero_point);
  const float32x4_t vscale = vdupq_n_f32(params.scale);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const int16x8_t v = vmovl_s8(vld1_s8(q + i));
    const int32x4_t lo = vsubq_s32(vmovl_s16(vget_low_s16(v)), vzp), hi = vsubq_s32(vmovl_s16(vget_high_s16(v)), vzp);
    vst1q_f32(x + i, vmulq_f32(vcvtq_f32_s32(lo), vscale));
    vst1q_f32(x + i + 4, vmulq_f32(vcvtq_f32_s32(hi), vscale));
  }
  for (; i < count; ++i) x[i] = float(int32_t(q[i]) - params.zero_point) * params.scale;
}

}  // namespace ternrt::kernels
