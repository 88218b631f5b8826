// scale_channels_s8 against the definition written out here (scale-channels-s8.h: one fma, the clamp
// that turns NaN into out_min, round half to even) on every supported ISA, serial and with 2 threads:
// random shapes (1-4 and 1000s of pixels, channel counts around the vector widths and past the 2048-value
// block), every zero point extreme, multipliers that are 0, negative, huge, infinite or NaN, clamp ranges.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <pthreadpool.h>

#include "ternrt/kernels/scale-channels-s8.h"

namespace ternrt_test {
uint32_t test_seed();
}

using namespace ternrt::kernels;

namespace {

int8_t reference_value(int8_t x, int32_t zp, float m, float o, int8_t lo, int8_t hi) {
  float y = std::fma(float(int32_t(x) - zp), m, o);
  y = y > float(lo) ? y : float(lo);
  y = y < float(hi) ? y : float(hi);
  return int8_t(std::nearbyint(y));
}

}  // namespace

TEST_CASE("scale_channels_s8: every ISA and thread count equals the definition") {
  std::mt19937 rng(ternrt_test::test_seed());
  pthreadpool_t pool = pthreadpool_create(2);
  const size_t channel_counts[] = {1, 7, 16, 17, 40, 64, 72, 120, 960, 2047, 2048, 2049, 3000};
  for (int trial = 0; trial < 60; ++trial) {
    const size_t channels = channel_counts[trial % 13];
    const size_t pixels = trial % 4 == 0 ? 1 + rng() % 4 : trial % 4 == 1 ? 40000 / channels + rng() % 50 : 1 + rng() % 300;
    std::vector<int8_t> x(pixels * channels);
    const int fill = trial % 5;   // 1: all -128, 2: all 127, else random
    for (auto& v : x) v = fill == 1 ? int8_t(-128) : fill == 2 ? int8_t(127) : int8_t(int(rng() % 256) - 128);
    const int32_t zps[] = {-128, 127, 0, int32_t(rng() % 256) - 128};
    const int32_t zp = zps[trial % 4];
    std::uniform_real_distribution<float> gate(0.0f, 1.0f), scale(0.001f, 0.3f);
    std::vector<float> m(channels), o(channels);
    const float s_x = scale(rng), s_y = scale(rng);
    const float y_zp = float(int(rng() % 256) - 128);
    for (size_t c = 0; c < channels; ++c) {
      m[c] = s_x * gate(rng) / s_y;   // a squeeze-excite product
      o[c] = y_zp;
      switch (rng() % 16) {           // and the values a gate should not have, in some channels
        case 0: m[c] = 0.0f; break;
        case 1: m[c] = -m[c]; break;
        case 2: m[c] = 3.0e38f; break;
        case 3: m[c] = std::numeric_limits<float>::infinity(); break;
        case 4: m[c] = std::numeric_limits<float>::quiet_NaN(); break;
        case 5: o[c] = 0.5f; break;   // a tie for some x
        default: break;
      }
    }
    const int8_t lo = trial % 3 == 0 ? int8_t(-128) : int8_t(int(rng() % 100) - 60);
    const int8_t hi = trial % 4 == 0 ? int8_t(127) : int8_t(std::max<int>(lo, int(rng() % 100)));
    std::vector<int8_t> want(x.size());
    for (size_t p = 0; p < pixels; ++p)
      for (size_t c = 0; c < channels; ++c)
        want[p * channels + c] = reference_value(x[p * channels + c], zp, m[c], o[c], lo, hi);
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
      if (!isa_supported(isa)) continue;
      for (pthreadpool_t p : {pthreadpool_t(nullptr), pool}) {
        std::vector<int8_t> y(want.size() + 64, 0x33);
        scale_channels_s8(isa, pixels, channels, x.data(), zp, m.data(), o.data(), lo, hi, y.data(), p);
        INFO("trial ", trial, " isa ", std::string(isa_name(isa)), " threads ", p ? 2 : 0, " ", pixels, " pixels x ", channels,
             " channels, x zero point ", zp, ", range [", int(lo), ", ", int(hi), "]");
        size_t first_bad = want.size();
        for (size_t i = 0; i < want.size() && first_bad == want.size(); ++i)
          if (y[i] != want[i]) first_bad = i;
        CHECK_MESSAGE(first_bad == want.size(), "first difference at value ", first_bad);
        CHECK(std::all_of(y.begin() + long(want.size()), y.end(), [](int8_t v) { return v == 0x33; }));
      }
    }
  }
  pthreadpool_destroy(pool);
}

TEST_CASE("scale_channels_s8: names the epilogue implementation it runs") {
  CHECK(std::string(scale_channels_s8_name(Isa::scalar)) == "scale_channels_s8__scalar");
  for (Isa isa : {Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    const std::string name = scale_channels_s8_name(isa);
    INFO(std::string(isa_name(isa)), ": ", name);
    if (!isa_supported(isa)) {
      CHECK(name == "scale_channels_s8__scalar");
    } else {
      CHECK(name.rfind("scale_channels_s8__", 0) == 0);
      CHECK(name != "scale_channels_s8__scalar");
    }
  }
}
