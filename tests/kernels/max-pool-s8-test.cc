// max_pool_s8 against the definition written out here (maximum over the window's pixels inside the
// image, then the clamp) on every supported ISA, 0 and 2 threads: random geometries (kernels 1-5,
// strides 1-3, padding on every side, 1-300 channels, several blocks of output pixels), the
// extreme values, clamp ranges.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <pthreadpool.h>

#include "ternrt/kernels/max-pool-s8.h"

namespace ternrt_test {
uint32_t test_seed();
}

using namespace ternrt::kernels;

namespace {

std::vector<int8_t> reference(const MaxPoolGeometry& g, const std::vector<int8_t>& x, int8_t lo, int8_t hi) {
  std::vector<int8_t> y(g.batch * g.out_h * g.out_w * g.channels);
  for (size_t b = 0; b < g.batch; ++b)
    for (size_t oy = 0; oy < g.out_h; ++oy)
      for (size_t ox = 0; ox < g.out_w; ++ox)
        for (size_t ch = 0; ch < g.channels; ++ch) {
          int best = -1000;
          for (size_t ky = 0; ky < g.kernel_h; ++ky)
            for (size_t kx = 0; kx < g.kernel_w; ++kx) {
              const long iy = long(oy * g.stride_h + ky) - long(g.pad_top);
              const long ix = long(ox * g.stride_w + kx) - long(g.pad_left);
              if (iy < 0 || ix < 0 || iy >= long(g.in_h) || ix >= long(g.in_w)) continue;
              best = std::max(best, int(x[((b * g.in_h + size_t(iy)) * g.in_w + size_t(ix)) * g.channels + ch]));
            }
          y[((b * g.out_h + oy) * g.out_w + ox) * g.channels + ch] = int8_t(std::min(int(hi), std::max(int(lo), best)));
        }
  return y;
}

}  // namespace

TEST_CASE("max_pool_s8: every ISA and thread count equals the definition") {
  std::mt19937 rng(ternrt_test::test_seed());
  pthreadpool_t pool = pthreadpool_create(2);
  const size_t channel_counts[] = {1, 3, 16, 17, 24, 64, 100, 300};
  for (int trial = 0; trial < 72; ++trial) {
    MaxPoolGeometry g{};
    g.batch = 1 + rng() % 2;
    g.channels = channel_counts[rng() % 8];
    g.kernel_h = 1 + rng() % 5;
    g.kernel_w = 1 + rng() % 5;
    g.stride_h = 1 + rng() % 3;
    g.stride_w = 1 + rng() % 3;
    if (trial < 12) {   // 16 channels at stride 2 (AVX-512 takes four outputs per vector)
      g.channels = 16;
      g.stride_w = 2;
    }
    g.pad_top = rng() % g.kernel_h;
    g.pad_left = rng() % g.kernel_w;
    const size_t pad_bottom = rng() % g.kernel_h, pad_right = rng() % g.kernel_w;
    g.in_h = g.kernel_h + rng() % 9;
    // Some rows wider than one block of column maxima (16 KiB).
    g.in_w = g.kernel_w + rng() % 12 + (trial % 6 == 5 ? 16384 / g.channels + 3 : 0) + (trial < 12 ? 20 : 0);
    g.out_h = (g.in_h + g.pad_top + pad_bottom - g.kernel_h) / g.stride_h + 1;
    g.out_w = (g.in_w + g.pad_left + pad_right - g.kernel_w) / g.stride_w + 1;
    std::vector<int8_t> x(g.batch * g.in_h * g.in_w * g.channels);
    const int fill = trial % 5;   // 0, 3, 4: random; 1: all -128; 2: all 127
    for (auto& v : x) v = fill == 1 ? int8_t(-128) : fill == 2 ? int8_t(127) : int8_t(int(rng() % 256) - 128);
    const int8_t lo = trial % 3 == 0 ? int8_t(-128) : int8_t(int(rng() % 100) - 60);
    const int8_t hi = trial % 4 == 0 ? int8_t(127) : int8_t(std::max<int>(lo, int(rng() % 100)));
    const std::vector<int8_t> want = reference(g, x, lo, hi);
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
      if (!isa_supported(isa)) continue;
      for (pthreadpool_t p : {pthreadpool_t(nullptr), pool}) {
        std::vector<int8_t> y(want.size() + 64, 0x33);
        max_pool_s8(isa, g, x.data(), lo, hi, y.data(), p);
        INFO("trial ", trial, " isa ", std::string(isa_name(isa)), " threads ", p ? 2 : 0, " in ", g.in_h, "x", g.in_w, "x",
             g.channels, " kernel ", g.kernel_h, "x", g.kernel_w, " stride ", g.stride_h, "x", g.stride_w, " pads ",
             g.pad_top, ",", g.pad_left, " range [", int(lo), ", ", int(hi), "]");
        CHECK(std::equal(want.begin(), want.end(), y.begin()));
        CHECK(std::all_of(y.begin() + long(want.size()), y.end(), [](int8_t v) { return v == 0x33; }));
      }
    }
  }
  pthreadpool_destroy(pool);
}
