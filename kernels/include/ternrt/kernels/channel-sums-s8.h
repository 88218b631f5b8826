// Per-channel sums of int8 NHWC pixels (the static int8 path's average pools, AVG_POOL_2D and
// GLOBAL_AVG_POOL on int8 inputs): for c < channels,
//   sums[c] += sum over r < rows, p < cols of x[r * row_stride + p * channels + c]
// Exact int32 sums (rows * cols < 2^23), so every ISA gives the same values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ternrt/kernels/t2i8-gemm.h"   // Isa

namespace ternrt::kernels {

// rows of cols pixels of `channels` bytes (pixels of a row back to back, rows row_stride bytes apart),
// added to sums[0 .. channels).
using ChannelSumsS8Fn = void (*)(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                                 int32_t* sums);

// The implementation for isa (scalar when isa is not supported here), and its name
// ("channel_sums_s8__<isa>").
ChannelSumsS8Fn channel_sums_s8_for(Isa isa);
const char* channel_sums_s8_name(Isa isa);

}  // namespace ternrt::kernels
