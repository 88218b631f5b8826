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

// Column path (avx512vnni, kernels of up to 8 rows): four kernel rows of one input column are
// interleaved into dwords (bytes x ^ 0x80, i.e. x + 128 as u8) once per column and shared by every
// output pixel that uses the column; vpdpbusd multiplies them with the four rows' s8 weights (exact
// int32 sums), and the int8 epilogue of t2i8_gemm_s8 (or its HardSwish form) requantizes them in
// registers. One call computes `pixels` output pixels of one output row, every channel, in blocks of
// 64 channels, and a last block of 48 or 32 where at most 48 or 32 channels are left (the last block
// masked): no int32 tile, no second pass.
// A block of B channels is V = dwconv_column_vectors(B) vectors of dwconv_column_vector_bytes(B) bytes
// per group of rows and kernel column, lc = dwconv_column_lane_channels(B) channels per 128-bit lane.
// Layout of a block at channel b0: 4 * B * groups * kernel_w bytes at weights + 4 * b0 * groups *
// kernel_w: vector ((g * kernel_w + kx) * V + k), lane L, dword j, byte r is the weight of channel
// b0 + lc * L + 4k + j, row 4g + r, column kx (0 past the channels or rows). The per-channel terms
// are in the same position order: position b0 + k * (vector bytes / 4) + 4L + j holds that channel
// (the order of the accumulators; the in-lane int8 packs of the epilogue turn it back into channel
// order, with a dword gather in 48-channel blocks).
constexpr size_t kDwconvColumnsMaxSpan = 64, kDwconvColumnsMaxGroups = 2, kDwconvColumnsMaxRun = 48;
constexpr size_t kDwconvColumnsBlock = 64;   // the widest block

// Width of the block that starts with `remaining` channels left.
inline size_t dwconv_column_block(size_t remaining) { return remaining > 48 ? 64 : remaining > 32 ? 48 : 32; }
inline size_t dwconv_column_vectors(size_t block) { return block == 48 ? 3 : 4; }
inline size_t dwconv_column_vector_bytes(size_t block) { return block == 32 ? 32 : 64; }
inline size_t dwconv_column_lane_channels(size_t block) { return block == 48 ? 12 : 16; }

// Channels the blocks cover (C rounded up to its blocks).
inline size_t dwconv_column_positions(size_t channels) {
  size_t positions = 0;
  while (positions < channels) positions += dwconv_column_block(channels - positions);
  return positions;
}

// Channel (relative to the block) held at position pos (relative to the block) of a block of width B.
inline size_t dwconv_column_channel(size_t block, size_t pos) {
  const size_t quarter = dwconv_column_vector_bytes(block) / 4, k = pos / quarter, lane = pos % quarter / 4, j = pos % 4;
  return dwconv_column_lane_channels(block) * lane + 4 * k + j;
}

struct DwconvColumnsArgs {
  size_t channels;   // C: bytes per input and output pixel
  size_t in_w;
  size_t pixels;     // output pixels of this call, at most kDwconvColumnsMaxRun
  size_t span;       // input columns they read: (pixels - 1) * stride_w + (kernel_w - 1) * dilation_w + 1 <= max span
  ptrdiff_t ix0;     // image column of the first of them (negative in the left padding)
  size_t groups, kernel_w, stride_w, dilation_w;
  // 4 * groups kernel rows: channel 0 of image column 0 of the input row, null where the row is padding
  // (or past kernel_h: its weights are 0).
  const int8_t* const* rows;
  const int8_t* weights;
  const int32_t* correction;   // (in_zero_point + 128) * sum of the channel's weights, position order
  const float* multiplier;
  const float* offset;
  int8_t pad_byte;             // in_zero_point ^ 0x80: what a padding tap reads
  int8_t out_min, out_max;
  bool hardswish;              // the HardSwish form: slope = out_scale / 6, zero_point = out_zero_point
  float slope, zero_point;
  int8_t* out;                 // channel 0 of the first output pixel; pixels are C bytes apart
};

#if defined(__x86_64__) || defined(_M_X64)
void dwconv_s8_columns__avx512vnni(const DwconvColumnsArgs& args);
#endif

}  // namespace ternrt::kernels
