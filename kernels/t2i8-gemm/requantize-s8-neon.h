// The vector steps of the int8 epilogue (t2i8-epilogue-s8.h) on AArch64 NEON, shared by the epilogue
// (t2i8-epilogue-s8-neon.cc) and the requantizing micro-kernels that apply it to their accumulators
// in registers (t2i8-gemm-neon.cc, t2i8-gemm-neondot.cc). Every file that includes it is built with
// -ffp-contract=off (vfmaq is the scalar fma; nothing else fuses). Internal linkage. Private to
// kernels/.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {
namespace {

// 4 outputs as int32 in [out_min, out_max]: y = fma(float(x), mul, add), x = acc - correction,
// clamped in float (vmaxnmq(y, lo) returns lo when y is NaN, like the scalar y > lo ? y : lo), then
// vcvtnq (nearest-even, lrintf in the default rounding mode).
inline int32x4_t requantize_s8_neon(int32x4_t x, float32x4_t mul, float32x4_t add, float32x4_t lo, float32x4_t hi) {
  float32x4_t y = vfmaq_f32(add, vcvtq_f32_s32(x), mul);   // fused: one rounding
  y = vminnmq_f32(vmaxnmq_f32(y, lo), hi);
  return vcvtnq_s32_f32(y);
}

// The residual form (RequantS8Terms::residual): one more fma, y = fma(float(r - zero_point), rmul, y),
// before the same clamps. r: the residual's 4 values as int32.
inline int32x4_t residual_s8_neon(int32x4_t x, float32x4_t mul, float32x4_t add, int32x4_t r, int32x4_t r_zero_point,
                                  float32x4_t rmul, float32x4_t lo, float32x4_t hi) {
  float32x4_t y = vfmaq_f32(add, vcvtq_f32_s32(x), mul);
  y = vfmaq_f32(y, vcvtq_f32_s32(vsubq_s32(r, r_zero_point)), rmul);
  y = vminnmq_f32(vmaxnmq_f32(y, lo), hi);
  return vcvtnq_s32_f32(y);
}

// The HardSwish form (t2i8-epilogue-s8.h): u = fma(float(x), mul, add), g = min(max(fma(u, slope, 0.5),
// 0), 1), y = fma(u, g, zero_point), clamped in float like requantize_s8_neon (vmaxnmq(NaN, c) returns c,
// as the scalar x > c ? x : c does), rounded to int32.
struct HswishConstsNeon {
  float32x4_t slope, half, zero, one, zero_point;
  HswishConstsNeon(float k, float zp)
      : slope(vdupq_n_f32(k)), half(vdupq_n_f32(0.5f)), zero(vdupq_n_f32(0.0f)), one(vdupq_n_f32(1.0f)),
        zero_point(vdupq_n_f32(zp)) {}
};
inline int32x4_t hswish_s8_neon(int32x4_t x, float32x4_t mul, float32x4_t add, const HswishConstsNeon& h,
                                float32x4_t lo, float32x4_t hi) {
  const float32x4_t u = vfmaq_f32(add, vcvtq_f32_s32(x), mul);
  const float32x4_t g = vminnmq_f32(vmaxnmq_f32(vfmaq_f32(h.half, u, h.slope), h.zero), h.one);
  const float32x4_t y = vminnmq_f32(vmaxnmq_f32(vfmaq_f32(h.zero_point, u, g), lo), hi);
  return vcvtnq_s32_f32(y);
}

// 8 int32 in [-128, 127] -> 8 int8 (the saturating narrowing never saturates).
inline int8x8_t narrow_s32(int32x4_t q0, int32x4_t q1) { return vqmovn_s16(vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1))); }

// The int8 epilogue on a tile of raw sums (NV vectors of 4 channels, NV even): rows r < mr, channels
// j < nc, x = acc[r][j] - row_sums[r] - correction[j] (row_sums null: no row term), one store of
// 4 * NV bytes per row (nc bytes for a partial tile).
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void requantize_tile_neon(size_t mr, size_t nc, const int32x4_t (&acc)[MR][NV],
                                                                const int32_t* row_sums, const RequantS8Terms& t,
                                                                int8_t* c, size_t c_stride) {
  static_assert(NV % 2 == 0, "channels in groups of 8");
  int32_t corr_buf[4 * NV] = {};
  float mul_buf[4 * NV] = {}, add_buf[4 * NV] = {};
  const bool whole = nc == 4 * NV;
  const int32_t* corr_src = t.correction;
  const float *mul_src = t.multiplier, *add_src = t.offset;
  if (!whole) {   // lanes past nc read as 0
    std::memcpy(corr_buf, t.correction, nc * sizeof(int32_t));
    std::memcpy(mul_buf, t.multiplier, nc * sizeof(float));
    std::memcpy(add_buf, t.offset, nc * sizeof(float));
    corr_src = corr_buf, mul_src = mul_buf, add_src = add_buf;
  }
  int32x4_t corr[NV];
  float32x4_t mul[NV], add[NV];
  for (size_t v = 0; v < NV; ++v) {
    corr[v] = vld1q_s32(corr_src + 4 * v);
    mul[v] = vld1q_f32(mul_src + 4 * v);
    add[v] = vld1q_f32(add_src + 4 * v);
  }
  const float32x4_t lo = vdupq_n_f32(float(t.out_min)), hi = vdupq_n_f32(float(t.out_max));
  const HswishConstsNeon h(t.slope, t.zero_point);
  const int32x4_t r_zero_point = vdupq_n_s32(t.residual_zero_point);
  const float32x4_t rmul = vdupq_n_f32(t.residual_multiplier);
  int32x4_t res[NV];   // the residual form: this row's residual values
  for (size_t v = 0; v < NV; ++v) res[v] = vdupq_n_s32(0);
  auto step = [&](int32x4_t x, size_t v) {   // the plain, HardSwish or residual form
    if (t.residual != nullptr) return residual_s8_neon(x, mul[v], add[v], res[v], r_zero_point, rmul, lo, hi);
    return t.hardswish ? hswish_s8_neon(x, mul[v], add[v], h, lo, hi) : requantize_s8_neon(x, mul[v], add[v], lo, hi);
  };
  for (size_t r = 0; r < MR; ++r) {
    if (r >= mr) break;
    const int32x4_t row_term = vdupq_n_s32(row_sums != nullptr ? row_sums[r] : 0);
    if (t.residual != nullptr) {
      int8_t residual[4 * NV] = {};
      std::memcpy(residual, t.residual + r * t.residual_stride, whole ? 4 * NV : nc);
      for (size_t v = 0; v < NV; v += 2) {
        const int16x8_t wide = vmovl_s8(vld1_s8(residual + 4 * v));
        res[v] = vmovl_s16(vget_low_s16(wide));
        res[v + 1] = vmovl_s16(vget_high_s16(wide));
      }
    }
    int8_t bytes[4 * NV];
    for (size_t v = 0; v < NV; v += 2) {
      const int32x4_t q0 = step(vsubq_s32(vsubq_s32(acc[r][v], row_term), corr[v]), v);
      const int32x4_t q1 = step(vsubq_s32(vsubq_s32(acc[r][v + 1], row_term), corr[v + 1]), v + 1);
      vst1_s8(bytes + 4 * v, narrow_s32(q0, q1));
    }
    std::memcpy(c + r * c_stride, bytes, whole ? 4 * NV : nc);
  }
}

}  // namespace
}  // namespace ternrt::kernels
