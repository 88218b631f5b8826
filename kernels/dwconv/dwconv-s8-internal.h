// Micro-kernels of the int8 depthwise convolution (private to kernels/; public face: dwconv-s8.h).
//
// A ukernel adds raw products for `pixels` output pixels and `channels` channels (a multiple of 8):
//   acc[i * acc_stride + c] (+)= sum_{p < pairs} sum_{j < 2} w(p, j, c) * taps[2p + j][i * input_step + c]
// (x as stored, without the zero point: the epilogue's correction removes in_zero_point * sum w).
// With accumulate false acc is overwritten. Each tap pointer reads `channels` bytes per pixel.
//
// Weights are int16 pairs (tap 2p, tap 2p+1) per channel, grouped in channel blocks: the ukernel walks
// blocks of the largest size in {32, 16, 8} not above its max_block that fits the channels left; block b0
// of size B holds pairs x B lanes x 2 int16 starting at weights + 2 * b0 * pairs. Lane order inside a block
// is the channel order, except 32-lane blocks (AVX-512): lanes 0-7, 8-15, 16-23, 24-31 hold channels
// 0-7, 16-23, 8-15, 24-31 (the order vpunpck{l,h}bw on 256 bits produces).
#pragma once

#include <cstddef>
#include <cstdint>

#include "ternrt/kernels/dwconv-s8.h"

namespace ternrt::kernels {

// Block size for `remaining` channels (a multiple of 8) under an ISA's largest block.
inline size_t dwconv_block(size_t max_block, size_t remaining) {
  if (max_block >= 32 && remaining >= 32) return 32;
  if (max_block >= 16 && remaining >= 16) return 16;
  return 8;
}

// Channel held by lane l of a block of size B.
inline size_t dwconv_lane_channel(size_t block, size_t lane) {
  if (block != 32) return lane;
  static constexpr unsigned char kOrder[4] = {0, 2, 1, 3};
  return kOrder[lane / 8] * 8 + lane % 8;
}

void dwconv_s8_ukernel__scalar(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                               size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                               bool accumulate);
constexpr size_t kDwconvMaxBlockScalar = 16;
#if defined(__x86_64__) || defined(_M_X64)
void dwconv_s8_ukernel__avx2(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                             size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                             bool accumulate);
constexpr size_t kDwconvMaxBlockAvx2 = 16;
void dwconv_s8_ukernel__avx512(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                               size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                               bool accumulate);
void dwconv_s8_ukernel__avx512vnni(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                                   size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                                   bool accumulate);
constexpr size_t kDwconvMaxBlockAvx512 = 32;   // both AVX-512 ukernels
#endif
#if defined(__aarch64__)
void dwconv_s8_ukernel__neon(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                             size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                             bool accumulate);
constexpr size_t kDwconvMaxBlockNeon = 16;
#endif

}  // namespace ternrt::kernels

namespace ternrt::kernels {

// Column path (avx512vnni, 3x3-like kernels): four kernel rows of one input column are interleaved
// into dwords (bytes x ^ 0x80, i.e. x + 128 as u8) once per column and shared by every output pixel
// that uses the column; vpdpbusd multiplies them with the four rows' s8 weights (exact int32 sums).
// Output pixels i < pixels use columns i * stride_w + kx * dilation_w < span; rows[(col * groups + g)
// * 4 + r] points at the channel-0 byte of kernel row 4g + r in that column (the zero-point row for
// padding and for rows >= kernel_h, whose weights are 0). Channels (a multiple of 16) go in blocks of
// 64, 32, 16 (dwconv_column_block); block b0 of width W keeps 4 * groups * kernel_w vectors of W
// bytes at weights + 4 * b0 * groups * kernel_w: vector ((g * kernel_w + kx) * 4 + k), lane L, dword
// j, byte r is the weight of channel b0 + 16L + 4k + j, row 4g + r, column kx. Accumulators are
// stored in position order: position b0 + k * W / 4 + 4L + j holds channel b0 + 16L + 4k + j.
constexpr size_t kDwconvColumnsMaxSpan = 64, kDwconvColumnsMaxGroups = 2, kDwconvColumnsMaxRun = 48;

inline size_t dwconv_column_block(size_t remaining) { return remaining >= 64 ? 64 : remaining >= 32 ? 32 : 16; }

// Channel (relative to the block) held at position pos of a column block of width W.
inline size_t dwconv_column_channel(size_t block, size_t pos) {
  const size_t quarter = block / 4, k = pos / quarter, lane = (pos % quarter) / 4, j = pos % 4;
  return 16 * lane + 4 * k + j;
}

#if defined(__x86_64__) || defined(_M_X64)
void dwconv_s8_columns__avx512vnni(size_t channels, size_t pixels, size_t span, size_t groups, size_t kernel_w,
                                   size_t stride_w, size_t dilation_w, const int8_t* const* rows,
                                   const int8_t* weights, int32_t* acc, size_t acc_stride);
// int8 results in position order (src) to channel order (dst), `channels` bytes per pixel: positions
// below fast_channels are column blocks, the rest are in channel order already.
void dwconv_s8_unpermute__avx512vnni(size_t fast_channels, size_t channels, size_t pixels, const int8_t* src,
                                     size_t src_stride, int8_t* dst, size_t dst_stride);
#endif

}  // namespace ternrt::kernels
