// Scalar reference ukernel of the int8 depthwise convolution (dwconv-s8-internal.h): int32 sums of
// int8 x int16 products, exact, so every ISA's ukernel gives the same accumulators.
#include "dwconv/dwconv-s8-internal.h"

namespace ternrt::kernels {

void dwconv_s8_ukernel__scalar(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                               size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                               bool accumulate) {
  for (size_t i = 0; i < pixels; ++i) {
    int32_t* out = acc + i * acc_stride;
    const size_t pixel = i * input_step;
    for (size_t b0 = 0; b0 < channels;) {
      const size_t block = dwconv_block(kDwconvMaxBlockScalar, channels - b0);
      const int16_t* w = weights + 2 * b0 * pairs;
      for (size_t lane = 0; lane < block; ++lane) {
        const size_t c = b0 + dwconv_lane_channel(block, lane);
        int32_t sum = accumulate ? out[c] : 0;
        for (size_t p = 0; p < pairs; ++p) {
          const int16_t* wp = w + (p * block + lane) * 2;
          sum += int32_t(wp[0]) * taps[2 * p][pixel + c] + int32_t(wp[1]) * taps[2 * p + 1][pixel + c];
        }
        out[c] = sum;
      }
      b0 += block;
    }
  }
}

}  // namespace ternrt::kernels
