// im2col for int8 NHWC images: convolution patches as GEMM rows (row = output pixel (b, oy, ox),
// column = (ky, kx, c), K = kernel_h * kernel_w * in_c); taps outside the image hold pad_value (the
// quantized float 0). Portable code (kernels/im2col.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <pthreadpool.h>

namespace ternrt::kernels {

struct Im2colGeometry {
  size_t batch, in_h, in_w, in_c, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w,
      pad_top, pad_left;
};

// The copies of one geometry, worked out once (a convolution layer's prepare): for every output
// column the range of kx inside the image, for every output row the range of ky. A run then only
// moves bytes: one exact-length copy per (output pixel, ky) when dilation_w is 1. The padding bytes
// of a rows buffer never change for a given pad value, so they are written separately
// (fill_padding) and only when the value changes (the caller tracks that).
class Im2colPlan {
 public:
  Im2colPlan() = default;
  Im2colPlan(const Im2colGeometry& g, size_t row_stride);   // may throw std::bad_alloc
  // Writes the padding bytes (taps outside the image) of every row.
  void fill_padding(int8_t pad_value, int8_t* rows) const;
  // Copies the taps inside the image; rows are split over the pool's threads. Reads nothing past
  // the image, writes nothing outside the bytes [0, K) of every row.
  void copy_taps(const int8_t* image, int8_t* rows, pthreadpool_t pool) const;
  size_t rows() const { return g_.batch * g_.out_h * g_.out_w; }

 private:
  struct Range {            // taps [first, end) of one output column (kx) or row (ky) are inside
    uint32_t first, end;
    ptrdiff_t origin;       // input x (or y) of tap 0: ox * stride - pad (may be negative)
  };
  void copy_output_row(const int8_t* image, int8_t* rows, size_t task) const;
  Im2colGeometry g_{};
  size_t row_stride_ = 0;
  std::vector<Range> columns_, lines_;   // per ox, per oy
};

// One-off convenience (tests, callers without a prepare step): plan, padding and copies in one call.
// rows: batch * out_h * out_w rows of row_stride bytes (>= K); bytes [0, K) of every row are
// written, nothing else.
void im2col_s8(const Im2colGeometry& g, const int8_t* image, int8_t pad_value, int8_t* rows, size_t row_stride,
               pthreadpool_t pool);

}  // namespace ternrt::kernels
