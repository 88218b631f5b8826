// im2col_s8 (t2i8-gemm.h): convolution patches of an int8 NHWC image as GEMM rows. Portable code:
// the copies are fixed 16-byte moves the compiler turns into one vector load/store each, instead of
// a libc memcpy call per (ky, kx) tap, and taps that are contiguous in the image (stride-1 rows of
// kx inside the image) are copied as one run.
#include <algorithm>
#include <cstring>

#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::kernels {

namespace {

// Copies len bytes; may read up to 15 bytes past src + len, and writes past dst + len only while
// that stays below dst_end (those bytes belong to taps of the same row written later).
inline void copy_run(int8_t* dst, const int8_t* src, size_t len, const int8_t* dst_end) {
  const size_t rounded = (len + 15) & ~size_t(15);
  if (dst + rounded <= dst_end) {
    for (size_t i = 0; i < rounded; i += 16) std::memcpy(dst + i, src + i, 16);
  } else {
    std::memcpy(dst, src, len);
  }
}

void gather_output_row(const Im2colGeometry& g, const int8_t* image, int8_t pad_value, int8_t* rows,
                       size_t row_stride, size_t b, size_t oy) {
  const size_t ic = g.in_c, k = g.kernel_h * g.kernel_w * ic;
  const int8_t* batch_image = image + b * g.in_h * g.in_w * ic;
  int8_t* row = rows + (b * g.out_h + oy) * g.out_w * row_stride;
  for (size_t ox = 0; ox < g.out_w; ++ox, row += row_stride) {
    const int8_t* row_end = row + k;
    int8_t* dst = row;
    const ptrdiff_t ix0 = ptrdiff_t(ox * g.stride_w) - ptrdiff_t(g.pad_left);
    const bool contiguous_x = g.dilation_w == 1 && ix0 >= 0 && size_t(ix0) + g.kernel_w <= g.in_w;
    for (size_t ky = 0; ky < g.kernel_h; ++ky) {
      const ptrdiff_t iy = ptrdiff_t(oy * g.stride_h + ky * g.dilation_h) - ptrdiff_t(g.pad_top);
      const size_t run = g.kernel_w * ic;
      if (iy < 0 || iy >= ptrdiff_t(g.in_h)) {
        std::memset(dst, pad_value, run);   // float zero padding is the quantized zero point
        dst += run;
        continue;
      }
      const int8_t* image_row = batch_image + size_t(iy) * g.in_w * ic;
      if (contiguous_x) {
        copy_run(dst, image_row + size_t(ix0) * ic, run, row_end);
        dst += run;
        continue;
      }
      for (size_t kx = 0; kx < g.kernel_w; ++kx, dst += ic) {
        const ptrdiff_t ix = ix0 + ptrdiff_t(kx * g.dilation_w);
        if (ix < 0 || ix >= ptrdiff_t(g.in_w)) {
          std::memset(dst, pad_value, ic);
        } else {
          copy_run(dst, image_row + size_t(ix) * ic, ic, row_end);
        }
      }
    }
  }
}

}  // namespace

void im2col_s8(const Im2colGeometry& g, const int8_t* image, int8_t pad_value, int8_t* rows, size_t row_stride,
               pthreadpool_t pool) {
  const size_t tasks = g.batch * g.out_h;
  if (pool == nullptr || pthreadpool_get_threads_count(pool) <= 1) {
    for (size_t t = 0; t < tasks; ++t) gather_output_row(g, image, pad_value, rows, row_stride, t / g.out_h, t % g.out_h);
    return;
  }
  pthreadpool_parallelize_1d(
      pool, [&](size_t t) { gather_output_row(g, image, pad_value, rows, row_stride, t / g.out_h, t % g.out_h); }, tasks);
}

}  // namespace ternrt::kernels
