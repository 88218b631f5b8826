// AArch64 NEON int8 epilogue (t2i8-epilogue-s8.h) for neon and neondot: 4 channels per vector, the
// scalar operations in the same order (built with -ffp-contract=off; the vector steps are in
// requantize-s8-neon.h).
#include <arm_neon.h>

#include <cstring>

#include "t2i8-gemm/requantize-s8-neon.h"
#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

namespace {

inline int32x4_t requantize(int32x4_t x, int32x4_t corr, float32x4_t mul, float32x4_t add, float32x4_t lo,
                            float32x4_t hi) {
  return requantize_s8_neon(vsubq_s32(x, corr), mul, add, lo, hi);
}

inline int8x8_t narrow(int32x4_t q0, int32x4_t q1) { return narrow_s32(q0, q1); }

}  // namespace

void t2i8_epilogue_s8__neon(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                            const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride) {
  const float32x4_t lo = vdupq_n_f32(float(out_min)), hi = vdupq_n_f32(float(out_max));
  size_t j = 0;
  for (; j + 8 <= nt; j += 8) {
    const int32x4_t corr0 = vld1q_s32(correction + j), corr1 = vld1q_s32(correction + j + 4);
    const float32x4_t mul0 = vld1q_f32(multiplier + j), mul1 = vld1q_f32(multiplier + j + 4);
    const float32x4_t add0 = vld1q_f32(offset + j), add1 = vld1q_f32(offset + j + 4);
    for (size_t r = 0; r < mt; ++r) {
      const int32_t* row = acc + r * acc_stride + j;
      const int32x4_t q0 = requantize(vld1q_s32(row), corr0, mul0, add0, lo, hi);
      const int32x4_t q1 = requantize(vld1q_s32(row + 4), corr1, mul1, add1, lo, hi);
      vst1_s8(c + r * c_stride + j, narrow(q0, q1));
    }
  }
  if (j == nt) return;
  // 1..7 channels through small buffers.
  const size_t left = nt - j;
  int32_t corr_buf[8] = {}, x_buf[8] = {};
  float mul_buf[8] = {}, add_buf[8] = {};
  int8_t q_buf[8];
  std::memcpy(corr_buf, correction + j, left * sizeof(int32_t));
  std::memcpy(mul_buf, multiplier + j, left * sizeof(float));
  std::memcpy(add_buf, offset + j, left * sizeof(float));
  const int32x4_t corr0 = vld1q_s32(corr_buf), corr1 = vld1q_s32(corr_buf + 4);
  const float32x4_t mul0 = vld1q_f32(mul_buf), mul1 = vld1q_f32(mul_buf + 4);
  const float32x4_t add0 = vld1q_f32(add_buf), add1 = vld1q_f32(add_buf + 4);
  for (size_t r = 0; r < mt; ++r) {
    std::memcpy(x_buf, acc + r * acc_stride + j, left * sizeof(int32_t));
    const int32x4_t q0 = requantize(vld1q_s32(x_buf), corr0, mul0, add0, lo, hi);
    const int32x4_t q1 = requantize(vld1q_s32(x_buf + 4), corr1, mul1, add1, lo, hi);
    vst1_s8(q_buf, narrow(q0, q1));
    std::memcpy(c + r * c_stride + j, q_buf, left);
  }
}

// HardSwish form (t2i8-epilogue-s8.h): the scalar steps on 4 channels; vmaxnmq(x, c) returns c for a
// NaN x, as the scalar x > c ? x : c does; partial vectors through small buffers.
void t2i8_epilogue_hswish_s8__neon(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                   const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                   float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  const float32x4_t lo = vdupq_n_f32(float(out_min)), hi = vdupq_n_f32(float(out_max));
  const HswishConstsNeon h(slope, zero_point);
  for (size_t j = 0; j < nt; j += 4) {
    const size_t lanes = nt - j < 4 ? nt - j : 4;
    int32_t corr_buf[4] = {}, x_buf[4] = {};
    float mul_buf[4] = {}, add_buf[4] = {};
    std::memcpy(corr_buf, correction + j, lanes * sizeof(int32_t));
    std::memcpy(mul_buf, multiplier + j, lanes * sizeof(float));
    std::memcpy(add_buf, offset + j, lanes * sizeof(float));
    const int32x4_t corr = vld1q_s32(corr_buf);
    const float32x4_t mul = vld1q_f32(mul_buf), add = vld1q_f32(add_buf);
    for (size_t r = 0; r < mt; ++r) {
      std::memcpy(x_buf, acc + r * acc_stride + j, lanes * sizeof(int32_t));
      const int32x4_t q = hswish_s8_neon(vsubq_s32(vld1q_s32(x_buf), corr), mul, add, h, lo, hi);
      int8_t q_buf[8];
      vst1_s8(q_buf, narrow(q, q));
      std::memcpy(c + r * c_stride + j, q_buf, lanes);
    }
  }
}

// scale_channels_s8 (t2i8-epilogue-s8.h): 8 values per step, the plain epilogue's operations.
void scale_channels_s8__neon(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                             const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                             size_t c_stride) {
  const float32x4_t lo = vdupq_n_f32(float(out_min)), hi = vdupq_n_f32(float(out_max));
  const int32x4_t zp = vdupq_n_s32(x_zero_point);
  for (size_t j = 0; j < nt; j += 8) {
    const size_t lanes = nt - j < 8 ? nt - j : 8;
    float mul_buf[8] = {}, add_buf[8] = {};
    std::memcpy(mul_buf, multiplier + j, lanes * sizeof(float));
    std::memcpy(add_buf, offset + j, lanes * sizeof(float));
    const float32x4_t mul0 = vld1q_f32(mul_buf), mul1 = vld1q_f32(mul_buf + 4);
    const float32x4_t add0 = vld1q_f32(add_buf), add1 = vld1q_f32(add_buf + 4);
    for (size_t r = 0; r < mt; ++r) {
      int8_t x_buf[8] = {};
      std::memcpy(x_buf, x + r * x_stride + j, lanes);
      const int16x8_t wide = vmovl_s8(vld1_s8(x_buf));
      const int32x4_t v0 = vsubq_s32(vmovl_s16(vget_low_s16(wide)), zp);
      const int32x4_t v1 = vsubq_s32(vmovl_s16(vget_high_s16(wide)), zp);
      const int8x8_t q = narrow(requantize_s8_neon(v0, mul0, add0, lo, hi), requantize_s8_neon(v1, mul1, add1, lo, hi));
      int8_t q_buf[8];
      vst1_s8(q_buf, q);
      std::memcpy(c + r * c_stride + j, q_buf, lanes);
    }
  }
}

}  // namespace ternrt::kernels
