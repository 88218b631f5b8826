// The one max pooling algorithm behind max_pool_s8 (max-pool-s8.h), compiled once per ISA file
// (max-pool-s8-<isa>.cc) so that the compiler vectorizes its byte loops for that ISA. Private to
// kernels/.
//
// One output row at a time, window columns first: the maximum of the window's rows for every
// input column a block of outputs needs (kernel_h - 1 maxima per byte, over whole image rows: long
// vectors however few the channels), then per output pixel the maximum over its kernel_w columns.
// XNNPACK's s8 kernel takes kernel_h * kernel_w maxima per output pixel in 16-byte vectors.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ternrt/kernels/max-pool-s8.h"

namespace ternrt::kernels {
namespace {

// Column maxima of one block live on the stack.
constexpr size_t kColumnBytes = 16384;

// Ops: the ISA file's byte loops, static members
//   max_into(int8_t* acc, const int8_t* x, size_t n)      acc[i] = max(acc[i], x[i])
//   clamp_store(const int8_t* v, size_t n, int8_t lo, int8_t hi, int8_t* y)   y[i] = min(hi, max(lo, v[i]))
//     (v and y may be the same bytes)
//   rows_max(const int8_t* p, size_t row_stride, size_t rows, size_t n, int8_t* y)
//     y[i] = max_{r < rows} p[r * row_stride + i] for i < n, rows >= 1
//   window_max(const int8_t* p, size_t count, size_t c, int8_t lo, int8_t hi, int8_t* y)
//     y[i] = min(hi, max(lo, max_{j < count} p[j * c + i])) for i < c, count >= 1
//   windows(const int8_t* p, size_t outputs, const MaxPoolGeometry& g, int8_t lo, int8_t hi, int8_t* y)
//     window_max(p + o * stride_w * c, kernel_w, c, lo, hi, y + o * c) for o < outputs (whole windows)
// GenericWindows gives `windows` from window_max.
template <typename Ops>
struct GenericWindows {
  static void windows(const int8_t* p, size_t outputs, const MaxPoolGeometry& g, int8_t lo, int8_t hi, int8_t* y) {
    const size_t c = g.channels;
    for (size_t o = 0; o < outputs; ++o) Ops::window_max(p + o * g.stride_w * c, g.kernel_w, c, lo, hi, y + o * c);
  }
};

// The byte loops from byte `from` on: the scalar build's ops, and the tails of wider ones.
struct ByteLoops {
  static void max_into(int8_t* acc, const int8_t* x, size_t n, size_t from = 0) {
    for (size_t i = from; i < n; ++i) acc[i] = std::max(acc[i], x[i]);
  }
  static void clamp_store(const int8_t* v, size_t n, int8_t lo, int8_t hi, int8_t* y, size_t from = 0) {
    for (size_t i = from; i < n; ++i) y[i] = std::min(hi, std::max(lo, v[i]));
  }
  static void rows_max(const int8_t* p, size_t row_stride, size_t rows, size_t n, int8_t* y, size_t from = 0) {
    for (size_t i = from; i < n; ++i) {
      int8_t best = p[i];
      for (size_t r = 1; r < rows; ++r) best = std::max(best, p[r * row_stride + i]);
      y[i] = best;
    }
  }
  static void window_max(const int8_t* p, size_t count, size_t c, int8_t lo, int8_t hi, int8_t* y, size_t from = 0) {
    for (size_t i = from; i < c; ++i) {
      int8_t best = p[i];
      for (size_t j = 1; j < count; ++j) best = std::max(best, p[j * c + i]);
      y[i] = std::min(hi, std::max(lo, best));
    }
  }
};

// Output row (b, oy).
template <typename Ops>
void max_pool_s8_row(const MaxPoolGeometry& g, const int8_t* x, int8_t lo, int8_t hi, int8_t* y, size_t b,
                            size_t oy) {
  const size_t c = g.channels;
  const ptrdiff_t y0 = ptrdiff_t(oy * g.stride_h) - ptrdiff_t(g.pad_top);
  const size_t row0 = size_t(std::max<ptrdiff_t>(y0, 0));
  const size_t row1 = size_t(std::min<ptrdiff_t>(y0 + ptrdiff_t(g.kernel_h), ptrdiff_t(g.in_h)));
  const int8_t* image = x + b * g.in_h * g.in_w * c;
  int8_t* out = y + (b * g.out_h + oy) * g.out_w * c;
  // Output pixels per block: their columns' maxima must fit the stack buffer.
  const size_t block_columns = kColumnBytes / c;
  size_t block = block_columns >= g.kernel_w ? (block_columns - g.kernel_w) / g.stride_w + 1 : 0;
  alignas(64) int8_t columns[kColumnBytes];
  if (block == 0) {
    // Windows too wide for the buffer (thousands of channels): window pixel by window pixel.
    for (size_t ox = 0; ox < g.out_w; ++ox) {
      const ptrdiff_t x0 = ptrdiff_t(ox * g.stride_w) - ptrdiff_t(g.pad_left);
      const size_t col0 = size_t(std::max<ptrdiff_t>(x0, 0));
      const size_t col1 = size_t(std::min<ptrdiff_t>(x0 + ptrdiff_t(g.kernel_w), ptrdiff_t(g.in_w)));
      int8_t* o = out + ox * c;
      std::memset(o, -128, c);   // below every value: a start for the maxima
      for (size_t r = row0; r < row1; ++r)
        for (size_t col = col0; col < col1; ++col) Ops::max_into(o, image + (r * g.in_w + col) * c, c);
      Ops::clamp_store(o, c, lo, hi, o);
    }
    return;
  }
  for (size_t ox0 = 0; ox0 < g.out_w; ox0 += block) {
    const size_t ox1 = std::min(g.out_w, ox0 + block);
    // Input columns [first, last) the block's windows reach inside the image.
    const ptrdiff_t start = ptrdiff_t(ox0 * g.stride_w) - ptrdiff_t(g.pad_left);
    const size_t first = size_t(std::max<ptrdiff_t>(start, 0));
    const size_t last = size_t(std::min<ptrdiff_t>(ptrdiff_t((ox1 - 1) * g.stride_w) - ptrdiff_t(g.pad_left) +
                                                       ptrdiff_t(g.kernel_w),
                                                   ptrdiff_t(g.in_w)));
    const size_t bytes = (last - first) * c;
    if (row1 > row0) {
      Ops::rows_max(image + (row0 * g.in_w + first) * c, g.in_w * c, row1 - row0, bytes, columns);
    } else {
      std::memset(columns, -128, bytes);   // no row inside the image (not for valid pads)
    }
    // Whole windows [inner0, inner1) in one call, the clipped ones at the ends one by one.
    size_t ox = ox0;
    auto clipped = [&](size_t o) {
      const ptrdiff_t x0 = ptrdiff_t(o * g.stride_w) - ptrdiff_t(g.pad_left);
      const size_t col0 = size_t(std::max<ptrdiff_t>(x0, 0));
      const size_t col1 = size_t(std::min<ptrdiff_t>(x0 + ptrdiff_t(g.kernel_w), ptrdiff_t(g.in_w)));
      Ops::window_max(columns + (col0 - first) * c, col1 - col0, c, lo, hi, out + o * c);
    };
    for (; ox < ox1 && ox * g.stride_w < g.pad_left; ++ox) clipped(ox);
    size_t inner1 = ox;
    while (inner1 < ox1 && inner1 * g.stride_w - g.pad_left + g.kernel_w <= last) ++inner1;
    if (inner1 > ox) {
      Ops::windows(columns + (ox * g.stride_w - g.pad_left - first) * c, inner1 - ox, g, lo, hi, out + ox * c);
    }
    for (ox = inner1; ox < ox1; ++ox) clipped(ox);
  }
}

}  // namespace
}  // namespace ternrt::kernels

// Defines max_pool_s8__<isa> (declared in max-pool-s8-internal.h) over the algorithm above.
#define TERNRT_DEFINE_MAX_POOL_S8(name, Ops)                                                           \
  void name(const MaxPoolGeometry& g, const int8_t* x, int8_t lo, int8_t hi, int8_t* y, size_t row_begin, \
            size_t row_end) {                                                                          \
    for (size_t row = row_begin; row < row_end; ++row)                                                 \
      max_pool_s8_row<Ops>(g, x, lo, hi, y, row / g.out_h, row % g.out_h);                             \
  }
