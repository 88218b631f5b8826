// quantize_f32_s8_dynamic, _static, _pixels4 and quantize_window_means_s8: the definitions written out here vs every
// ISA's implementation.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt_test {
uint32_t test_seed();
}

using namespace ternrt::kernels;

namespace {

struct Quantized {
  std::vector<int8_t> q;
  float scale = 0;
  int32_t zero_point = 0;
};

// scale = (max - min) / 255 over x and 0; zero_point = -128 - round(min / scale) (clamped);
// q = clamp(round(x / scale) + zero_point, -128, 127), rounding half to even.
Quantized reference_quantize(const std::vector<float>& x) {
  float min = 0, max = 0;
  for (float v : x) {
    min = std::min(min, v);
    max = std::max(max, v);
  }
  Quantized out;
  out.q.resize(x.size());
  if (min == max) {
    out.scale = 1.0f;
    out.zero_point = 0;
  } else {
    out.scale = (max - min) / 255.0f;
    out.zero_point = int32_t(std::clamp(-128.0f - std::nearbyint(min / out.scale), -128.0f, 127.0f));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const float v = std::nearbyint(x[i] / out.scale) + float(out.zero_point);
    out.q[i] = int8_t(std::clamp(v, -128.0f, 127.0f));
  }
  return out;
}

}  // namespace

TEST_CASE("quantize_f32_s8_dynamic: every ISA equals the definition") {
  std::mt19937 rng(ternrt_test::test_seed());
  const size_t sizes[] = {0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099};
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (!isa_supported(isa)) {
      MESSAGE((std::string("skipping quantize for ") + isa_name(isa) + ": not supported here"));
      continue;
    }
    for (size_t size : sizes) {
      for (int kind = 0; kind < 5; ++kind) {
        std::vector<float> x(size);
        std::uniform_real_distribution<float> dist(kind == 1 ? 0.0f : -3.0f, kind == 2 ? 0.0f : 5.0f);
        for (float& v : x) v = dist(rng);
        if (kind == 3) std::fill(x.begin(), x.end(), 0.0f);             // all zero: scale 1, zp 0
        if (kind == 4) for (size_t i = 0; i < size; ++i) x[i] = float(int(i % 7) - 3) * 0.5f;   // exact .5 ties
        const Quantized expected = reference_quantize(x);
        Quantized got;
        got.q.assign(size + 1, 0x55);
        REQUIRE(quantize_f32_s8_dynamic_isa(isa, x.data(), size, got.q.data(), &got.scale, &got.zero_point));
        INFO("isa ", std::string(isa_name(isa)), " size ", size, " kind ", kind);
        CHECK(std::memcmp(&got.scale, &expected.scale, sizeof(float)) == 0);
        CHECK(got.zero_point == expected.zero_point);
        CHECK(got.zero_point >= -128);
        CHECK(got.zero_point <= 127);
        CHECK(got.q[size] == 0x55);   // nothing written past count
        got.q.resize(size);
        CHECK(got.q == expected.q);
      }
    }
  }
}

TEST_CASE("quantize_f32_s8_dynamic: range ends map to -128 / 127, zero is exact") {
  std::vector<float> x = {-2.0f, 0.0f, 3.1f, 1.0f};
  std::vector<int8_t> q(x.size());
  float scale;
  int32_t zero_point;
  quantize_f32_s8_dynamic(x.data(), x.size(), q.data(), &scale, &zero_point);
  CHECK(scale == doctest::Approx(5.1f / 255.0f));
  CHECK(q[0] == -128);
  CHECK(q[2] == 127);
  CHECK(q[1] == zero_point);
  CHECK(std::abs((float(q[3]) - zero_point) * scale - 1.0f) <= scale / 2 + 1e-6f);
}

TEST_CASE("quantize_f32_s8_dynamic: values next to rounding ties, scales across magnitudes, every ISA") {
  // Vector paths may divide by other means than vdivps (e.g. a corrected reciprocal); the result of
  // round(x / scale) must still be exactly the division's. Values one and two ulp around (j + 0.5) *
  // scale and j * scale hit the cases where a quotient 1 ulp off would round the other way.
  std::mt19937 rng(ternrt_test::test_seed());
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-70, 70);
  size_t cases = 0;
  for (int trial = 0; trial < 400; ++trial) {
    // Ranges with random magnitude and mantissa, sometimes with an all-ones scale mantissa.
    const float span = std::ldexp(trial % 50 == 0 ? std::nextafter(2.0f, 0.0f) : mantissa(rng), exponent(rng));
    const float min = -span * float(rng() % 256) / 255.0f, max = min + span;
    std::vector<float> x = {min, max};
    const float scale = (std::max(max, 0.0f) - std::min(min, 0.0f)) / 255.0f;
    for (int j = -128; j <= 128; ++j) {
      for (float center : {(float(j) + 0.5f) * scale, float(j) * scale}) {
        float below = center, above = center;
        for (int step = 0; step < 3; ++step) {
          for (float v : {below, above})
            if (v >= min && v <= max) x.push_back(v);
          below = std::nextafter(below, -INFINITY);
          above = std::nextafter(above, INFINITY);
        }
      }
    }
    const Quantized expected = reference_quantize(x);
    for (Isa isa : {Isa::avx2, Isa::avx512bw, Isa::neon}) {
      if (!isa_supported(isa)) continue;
      Quantized got;
      got.q.resize(x.size());
      REQUIRE(quantize_f32_s8_dynamic_isa(isa, x.data(), x.size(), got.q.data(), &got.scale, &got.zero_point));
      INFO("isa ", std::string(isa_name(isa)), " trial ", trial, " span ", span, " min ", min);
      CHECK(got.scale == expected.scale);
      CHECK(got.zero_point == expected.zero_point);
      size_t mismatches = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        if (got.q[i] != expected.q[i] && ++mismatches <= 3)
          FAIL_CHECK("x = ", x[i], " (", x[i] / expected.scale, " scales): got ", int(got.q[i]), " expected ", int(expected.q[i]));
      }
      CHECK(mismatches == 0);
      ++cases;
    }
  }
  MESSAGE("tie-neighbourhood quantize cases: " << cases);
}

TEST_CASE("quantize_f32_s8_static / dequantize_s8_f32: every ISA equals the definition, far outside the range too") {
  std::mt19937 rng(ternrt_test::test_seed());
  const size_t sizes[] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099};
  const struct {
    float scale;
    int32_t zero_point;
  } params[] = {{0.02f, -128}, {0.0137f, 5}, {1.0f, 127}, {3e-7f, 0}, {0x1p-70f, -3}};
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (!isa_supported(isa)) {
      MESSAGE((std::string("skipping static quantize for ") + isa_name(isa) + ": not supported here"));
      continue;
    }
    for (const auto& p : params) {
      for (size_t n : sizes) {
        // Values inside the range, ties (k + 0.5 steps), huge or infinite ones that must saturate, NaN.
        std::uniform_real_distribution<float> inside(-3.0f, 3.0f);
        std::vector<float> x(n);
        for (size_t i = 0; i < n; ++i) {
          switch (i % 7) {
            case 0: x[i] = inside(rng) * 128.0f * p.scale; break;
            case 1: x[i] = (std::floor(inside(rng) * 40.0f) + 0.5f) * p.scale; break;
            case 2: x[i] = (i % 2 ? 1.0f : -1.0f) * 3e38f; break;
            case 3: x[i] = inside(rng) * 1e20f; break;
            case 4: x[i] = (i % 3 ? -1.0f : 1.0f) * INFINITY; break;
            case 5: x[i] = NAN; break;
            default: x[i] = 0.0f;
          }
        }
        // A NaN quantizes to -128 on every ISA (documented in t2i8-gemm.h).
        std::vector<int8_t> q(n + 1, 0x5A), want(n);
        for (size_t i = 0; i < n; ++i) {
          const float v = std::nearbyint(x[i] / p.scale) + float(p.zero_point);
          want[i] = std::isnan(v) ? int8_t(-128) : int8_t(std::clamp(v, -128.0f, 127.0f));
        }
        quantize_f32_s8_static(isa, x.data(), n, p.scale, p.zero_point, q.data());
        INFO(isa_name(isa) << " n=" << n << " scale=" << p.scale << " zp=" << p.zero_point);
        CHECK(std::equal(want.begin(), want.end(), q.begin()));
        CHECK(q[n] == 0x5A);  // nothing written past the end
        std::vector<float> back(n + 1, -7.0f);
        dequantize_s8_f32(isa, q.data(), n, p.scale, p.zero_point, back.data());
        bool same = true;
        for (size_t i = 0; i < n; ++i) same = same && back[i] == float(int32_t(q[i]) - p.zero_point) * p.scale;
        CHECK(same);
        CHECK(back[n] == -7.0f);
      }
    }
  }
}

TEST_CASE("quantize_f32_s8_pixels4: every ISA equals the definition, 1-3 channels, flipped or not, strided rows") {
  std::mt19937 rng(ternrt_test::test_seed());
  const struct {
    float scale;
    int32_t zero_point;
  } params[] = {{0.02f, -128}, {0.0137f, 5}, {1.0f, 127}, {0x1p-70f, -3}};
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (!isa_supported(isa)) continue;
    for (const auto& p : params) {
      for (size_t c : {1, 2, 3}) {
        for (size_t cols : {1, 2, 3, 4, 5, 7, 8, 13, 32, 35}) {
          for (bool flipped : {false, true}) {
            const size_t rows = 1 + rng() % 3, stride = 4 * cols + rng() % 9;
            std::uniform_real_distribution<float> inside(-3.0f, 3.0f);
            std::vector<float> x(rows * cols * c);
            for (size_t i = 0; i < x.size(); ++i) {
              switch (i % 5) {
                case 0: x[i] = inside(rng) * 128.0f * p.scale; break;
                case 1: x[i] = (std::floor(inside(rng) * 40.0f) + 0.5f) * p.scale; break;   // ties
                case 2: x[i] = (i % 3 ? 1.0f : -1.0f) * 3e38f; break;                         // saturates
                case 3: x[i] = NAN; break;                                                    // -> -128
                default: x[i] = 0.0f;
              }
            }
            // The definition: static quantization per value, then 4-byte pixels, the zero point in
            // the channels past c, every byte XORed with 0x80 when flipped; nothing else written.
            const int8_t sentinel = 0x5A;
            std::vector<int8_t> want(rows * stride + 16, sentinel), got(want.size(), sentinel);
            const int flip = flipped ? 0x80 : 0;
            for (size_t r = 0; r < rows; ++r) {
              for (size_t px = 0; px < cols; ++px) {
                for (size_t i = 0; i < 4; ++i) {
                  int q = p.zero_point;
                  if (i < c) {
                    const float v = std::nearbyint(x[(r * cols + px) * c + i] / p.scale) + float(p.zero_point);
                    q = std::isnan(v) ? -128 : int(std::clamp(v, -128.0f, 127.0f));
                  }
                  want[r * stride + 4 * px + i] = int8_t(q ^ flip);
                }
              }
            }
            std::vector<int8_t> scratch(cols * c + 64);
            quantize_f32_s8_pixels4(isa, x.data(), rows, cols, c, p.scale, p.zero_point, flipped, got.data(), stride,
                                    scratch.data());
            INFO(isa_name(isa) << " c=" << c << " cols=" << cols << " rows=" << rows << " stride=" << stride
                               << " flipped=" << flipped << " scale=" << p.scale << " zp=" << p.zero_point);
            CHECK(got == want);
          }
        }
      }
    }
  }
}

TEST_CASE("quantize_window_means_s8: every ISA equals the definition (average pools' means)") {
  std::mt19937 rng(ternrt_test::test_seed() + 1);
  const float inf = std::numeric_limits<float>::infinity();
  const struct {
    int32_t zero_sum;
    float x_scale, inv, lo, hi, y_scale;
    int32_t y_zero_point;
  } cases[] = {
      {4 * -7, 0.02f, 0.25f, -inf, inf, 0.019f, -3},         // a 2x2 window
      {9 * 12, 0.013f, 1.0f / 9.0f, 0.0f, 6.0f, 0.023f, -128}, // 3x3 with ReLU6
      {0, 1.0f, 1.0f / 7.0f, -inf, inf, 0x1p-70f, 5},          // saturates
      {6 * 127, 0.5f, 1.0f / 6.0f, -1.0f, 1.0f, 1.0f / 127.0f, 0},
  };
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (!isa_supported(isa)) continue;
    for (const auto& p : cases) {
      for (size_t count : {1, 3, 15, 16, 17, 20, 36, 63, 64, 65, 100, 160}) {
        std::vector<int32_t> sums(count);
        for (size_t i = 0; i < count; ++i) {
          // Window sums of up to 9 int8 values, ties of the division and the extremes.
          switch (i % 4) {
            case 0: sums[i] = int32_t(rng() % (9 * 255 + 1)) - 9 * 128; break;
            case 1: sums[i] = p.zero_sum + int32_t(rng() % 5) - 2; break;
            case 2: sums[i] = i % 8 == 2 ? 9 * 127 : -9 * 128; break;
            default: sums[i] = int32_t(rng() % 41) - 20;
          }
        }
        std::vector<int8_t> want(count + 8, 0x5A), got(want);
        for (size_t i = 0; i < count; ++i) {
          const float mean = std::min(p.hi, std::max(p.lo, float(sums[i] - p.zero_sum) * p.x_scale * p.inv));
          const float v = std::nearbyint(mean / p.y_scale) + float(p.y_zero_point);
          want[i] = int8_t(std::clamp(v, -128.0f, 127.0f));
        }
        quantize_window_means_s8(isa, sums.data(), count, p.zero_sum, p.x_scale, p.inv, p.lo, p.hi, p.y_scale,
                                 p.y_zero_point, got.data());
        INFO(isa_name(isa) << " count=" << count << " y_scale=" << p.y_scale << " lo=" << p.lo);
        CHECK(got == want);
      }
    }
  }
}
