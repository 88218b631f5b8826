// im2col_s8 and Im2colPlan against a reference written from the definition: random geometries
// (padding, strides, dilation, channel counts around the 16/8/4-byte copy widths), 0 and 2 threads;
// bytes past K in a row stay untouched; padding written once and reused across images.
#include <cstdio>
#include <random>
#include <vector>

#include <doctest/doctest.h>
#include <pthreadpool.h>

#include "gemm-tester.h"
#include "ternrt/kernels/im2col.h"

namespace ternrt_test {

namespace {

size_t out_size(size_t in, size_t kernel, size_t stride, size_t dilation, size_t pad_before, size_t pad_after) {
  const size_t span = dilation * (kernel - 1) + 1;
  return (in + pad_before + pad_after - span) / stride + 1;
}

}  // namespace

TEST_CASE("im2col_s8 and Im2colPlan equal the definition") {
  std::mt19937 rng(test_seed());
  pthreadpool_t pool = pthreadpool_create(2);
  for (int trial = 0; trial < 300; ++trial) {
    Im2colGeometry g{};
    g.batch = 1 + rng() % 2;
    g.in_c = 1 + rng() % 40;
    g.kernel_h = 1 + rng() % 5;
    g.kernel_w = 1 + rng() % 5;
    g.stride_h = 1 + rng() % 3;
    g.stride_w = 1 + rng() % 3;
    g.dilation_h = 1 + rng() % 2;
    g.dilation_w = trial % 3 == 0 ? 2 : 1;
    g.pad_top = rng() % (g.kernel_h + 1);
    g.pad_left = rng() % (g.kernel_w + 1);
    const size_t pad_bottom = rng() % (g.kernel_h + 1), pad_right = rng() % (g.kernel_w + 1);
    g.in_h = g.dilation_h * (g.kernel_h - 1) + 1 + rng() % 9;
    g.in_w = g.dilation_w * (g.kernel_w - 1) + 1 + rng() % 9;
    g.out_h = out_size(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, pad_bottom);
    g.out_w = out_size(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, pad_right);
    const size_t k = g.kernel_h * g.kernel_w * g.in_c, rows = g.batch * g.out_h * g.out_w;
    const size_t row_stride = k + (trial % 2 ? 0 : 5);
    std::vector<int8_t> image(g.batch * g.in_h * g.in_w * g.in_c);   // exact: ASan sees over-reads
    for (auto& v : image) v = int8_t(int(rng() % 256) - 128);
    const int8_t pad_value = int8_t(int(rng() % 256) - 128);

    // expected rows for image and pad_value, built from the definition
    auto reference = [&](const std::vector<int8_t>& img, int8_t pad) {
      std::vector<int8_t> expected(rows * row_stride, int8_t(0x5A));
      for (size_t b = 0; b < g.batch; ++b)
        for (size_t oy = 0; oy < g.out_h; ++oy)
          for (size_t ox = 0; ox < g.out_w; ++ox)
            for (size_t ky = 0; ky < g.kernel_h; ++ky)
              for (size_t kx = 0; kx < g.kernel_w; ++kx)
                for (size_t c = 0; c < g.in_c; ++c) {
                  const long iy = long(oy * g.stride_h + ky * g.dilation_h) - long(g.pad_top);
                  const long ix = long(ox * g.stride_w + kx * g.dilation_w) - long(g.pad_left);
                  const bool inside = iy >= 0 && iy < long(g.in_h) && ix >= 0 && ix < long(g.in_w);
                  const size_t row = (b * g.out_h + oy) * g.out_w + ox;
                  expected[row * row_stride + (ky * g.kernel_w + kx) * g.in_c + c] =
                      inside ? img[((b * g.in_h + size_t(iy)) * g.in_w + size_t(ix)) * g.in_c + c] : pad;
                }
      return expected;
    };
    const std::vector<int8_t> expected = reference(image, pad_value);
    for (pthreadpool_t p : {pthreadpool_t(nullptr), pool}) {
      std::vector<int8_t> got(rows * row_stride, int8_t(0x5A));
      im2col_s8(g, image.data(), pad_value, got.data(), row_stride, p);
      INFO("trial ", trial, " seed ", test_seed(), " in ", g.in_h, "x", g.in_w, "x", g.in_c, " kernel ", g.kernel_h, "x",
           g.kernel_w, " stride ", g.stride_h, "x", g.stride_w, " dilation ", g.dilation_h, "x", g.dilation_w, " pads ",
           g.pad_top, ",", g.pad_left, " threads ", p ? 2 : 0);
      CHECK(got == expected);

      // The runtime's use: padding written once per pad value, taps copied on every call. A second
      // image with the same padding, then a new pad value, over the same buffer.
      const Im2colPlan plan(g, row_stride);
      std::vector<int8_t> image2(image.size());
      for (auto& v : image2) v = int8_t(int(rng() % 256) - 128);
      const int8_t pad2 = int8_t(pad_value ^ 0x33);
      std::vector<int8_t> reused(rows * row_stride, int8_t(0x5A));
      plan.fill_padding(pad_value, reused.data());
      plan.copy_taps(image.data(), reused.data(), p);
      plan.copy_taps(image2.data(), reused.data(), p);
      CHECK(reused == reference(image2, pad_value));
      plan.fill_padding(pad2, reused.data());
      plan.copy_taps(image2.data(), reused.data(), p);
      CHECK(reused == reference(image2, pad2));
    }
  }
  pthreadpool_destroy(pool);
}

}  // namespace ternrt_test
