// Per-ISA implementations of the per-channel int8 sums (channel-sums-s8.h); private to kernels/.
// The vector ones add bytes into int16 lanes for at most kChannelSumsS8Run pixels (|sum| <= 256 * 128
// fits int16), then widen into the int32 sums.
#pragma once

#include "ternrt/kernels/channel-sums-s8.h"

namespace ternrt::kernels {

constexpr size_t kChannelSumsS8Run = 256;

namespace {   // internal linkage: the files that include this are built with different ISA flags

// Channels [first, channels) the reference way (the whole of channel_sums_s8__scalar; the last
// channels of the vector ones).
inline void channel_sums_s8_from(size_t first, size_t rows, size_t cols, size_t channels, const int8_t* x,
                                 size_t row_stride, int32_t* sums) {
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* pixel = x + r * row_stride;
    for (size_t p = 0; p < cols; ++p, pixel += channels) {
      for (size_t c = first; c < channels; ++c) sums[c] += pixel[c];
    }
  }
}

}  // namespace

void channel_sums_s8__scalar(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                             int32_t* sums);
#if defined(__x86_64__) || defined(_M_X64)
void channel_sums_s8__avx2(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                           int32_t* sums);
void channel_sums_s8__avx512(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                             int32_t* sums);
#endif
#if defined(__aarch64__)
void channel_sums_s8__neon(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                           int32_t* sums);
#endif

}  // namespace ternrt::kernels
