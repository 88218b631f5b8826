// Per-channel int8 sums (channel-sums-s8.h) on NEON: 16 channels per vaddw_s8 pair into int16 lanes
// for runs of kChannelSumsS8Run pixels, then widened into the int32 sums; the last channels (fewer
// than 16) as the reference does them.
#include <arm_neon.h>

#include <algorithm>

#include "pool/channel-sums-s8-internal.h"

namespace ternrt::kernels {

void channel_sums_s8__neon(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                           int32_t* sums) {
  const size_t pixels = rows * cols, vector_channels = channels / 16 * 16;
  for (size_t c = 0; c < vector_channels; c += 16) {
    int32x4_t total[4];
    for (size_t q = 0; q < 4; ++q) total[q] = vld1q_s32(sums + c + 4 * q);
    size_t r = 0, p = 0;   // pixel `first` (each run goes on where the last one ended)
    for (size_t first = 0; first < pixels; first += kChannelSumsS8Run) {
      const size_t last = std::min(pixels, first + kChannelSumsS8Run);
      int16x8_t lo = vdupq_n_s16(0), hi = vdupq_n_s16(0);
      for (size_t i = first; i < last; ++i) {
        const int8x16_t v = vld1q_s8(x + r * row_stride + p * channels + c);
        lo = vaddw_s8(lo, vget_low_s8(v));
        hi = vaddw_s8(hi, vget_high_s8(v));
        if (++p == cols) p = 0, ++r;
      }
      total[0] = vaddw_s16(total[0], vget_low_s16(lo));
      total[1] = vaddw_s16(total[1], vget_high_s16(lo));
      total[2] = vaddw_s16(total[2], vget_low_s16(hi));
      total[3] = vaddw_s16(total[3], vget_high_s16(hi));
    }
    for (size_t q = 0; q < 4; ++q) vst1q_s32(sums + c + 4 * q, total[q]);
  }
  if (vector_channels < channels) channel_sums_s8_from(vector_channels, rows, cols, channels, x, row_stride, sums);
}

}  // namespace ternrt::kernels
