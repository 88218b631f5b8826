// AArch64 NEON ukernel of the int8 depthwise convolution (dwconv-s8-internal.h) for neon and neondot:
// 8 channels per step (blocks of 16 and 8 keep the channel order, so 8-lane groups are contiguous).
// The taps are sign-extended to int16 and multiplied into int32 by smlal/smlal2: exact, as the scalar one.
#include <arm_neon.h>

#include "dwconv/dwconv-s8-internal.h"

namespace ternrt::kernels {

void dwconv_s8_ukernel__neon(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                             size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                             bool accumulate) {
  for (size_t i = 0; i < pixels; ++i) {
    int32_t* out = acc + i * acc_stride;
    const size_t pixel = i * input_step;
    for (size_t b0 = 0; b0 < channels;) {
      const size_t block = dwconv_block(kDwconvMaxBlockNeon, channels - b0);
      for (size_t g = 0; g < block; g += 8) {
        const size_t c = b0 + g;
        int32x4_t a0 = accumulate ? vld1q_s32(out + c) : vdupq_n_s32(0);
        int32x4_t a1 = accumulate ? vld1q_s32(out + c + 4) : vdupq_n_s32(0);
        const int16_t* w = weights + 2 * b0 * pairs + 2 * g;
        for (size_t p = 0; p < pairs; ++p, w += 2 * block) {
          const int16x8x2_t wp = vld2q_s16(w);   // [0]: tap 2p, [1]: tap 2p + 1
          const int16x8_t x0 = vmovl_s8(vld1_s8(taps[2 * p] + pixel + c));
          const int16x8_t x1 = vmovl_s8(vld1_s8(taps[2 * p + 1] + pixel + c));
          a0 = vmlal_s16(a0, vget_low_s16(x0), vget_low_s16(wp.val[0]));
          a1 = vmlal_high_s16(a1, x0, wp.val[0]);
          a0 = vmlal_s16(a0, vget_low_s16(x1), vget_low_s16(wp.val[1]));
          a1 = vmlal_high_s16(a1, x1, wp.val[1]);
        }
        vst1q_s32(out + c, a0);
        vst1q_s32(out + c + 4, a1);
      }
      b0 += block;
    }
  }
}

}  // namespace ternrt::kernels
