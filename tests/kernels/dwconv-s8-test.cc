// PackedDwconvS8 (int8 depthwise convolution) against a reference written here from dwconv-s8.h: its
// own weight quantization, int32 sums over the taps inside the image, the documented requantization
// with its own round-half-to-even. Checked bit for bit on every supported ISA and 1 / 2 threads, and
// within 1 of the float convolution of the dequantized tensors (the reference itself is sane).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <pthreadpool.h>

#include "ternrt/kernels/dwconv-s8.h"

namespace ternrt_test {

uint32_t test_seed();

namespace {

using namespace ternrt::kernels;

size_t out_size(size_t in, size_t kernel, size_t stride, size_t dilation, size_t pad_before, size_t pad_after) {
  const size_t span = dilation * (kernel - 1) + 1;
  if (in + pad_before + pad_after < span) return 0;
  return (in + pad_before + pad_after - span) / stride + 1;
}

float round_half_even(float y) {
  const float down = std::floor(y), diff = y - down;
  if (diff > 0.5f) return down + 1.0f;
  if (diff < 0.5f) return down;
  return std::fmod(down, 2.0f) == 0.0f ? down : down + 1.0f;
}

enum class Fill { random, min_values, max_values, zero_point };

struct Case {
  DwconvGeometry g{};
  DwconvS8Quant q{};
  bool with_bias = true;
  Fill input = Fill::random;
  int zero_channel_every = 0;   // every n-th channel has all-zero weights (0: none)

  std::string describe() const {
    char text[400];
    std::snprintf(text, sizeof(text),
                  "batch %zu in %zux%zux%zu out %zux%zu kernel %zux%zu stride %zux%zu dilation %zux%zu pads %zu,%zu "
                  "in_scale %g zp %d out_scale %g zp %d clamp [%d, %d] bias %d fill %d zero channels %d hardswish %d",
                  g.batch, g.in_h, g.in_w, g.channels, g.out_h, g.out_w, g.kernel_h, g.kernel_w, g.stride_h,
                  g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, double(q.in_scale),
                  int(q.in_zero_point), double(q.out_scale), int(q.out_zero_point), int(q.out_min), int(q.out_max),
                  int(with_bias), int(input), zero_channel_every, int(q.hardswish));
    return text;
  }
};

struct Data {
  std::vector<float> weights, bias;
  std::vector<int8_t> input;
};

Data make_data(const Case& k, std::mt19937& rng) {
  const DwconvGeometry& g = k.g;
  Data d;
  const size_t taps = g.kernel_h * g.kernel_w;
  std::uniform_real_distribution<float> w_dist(-1.0f, 1.0f), b_dist(-2.0f, 2.0f);
  d.weights.resize(g.channels * taps);
  for (size_t c = 0; c < g.channels; ++c) {
    const bool zero = k.zero_channel_every && c % size_t(k.zero_channel_every) == 0;
    const float channel_range = 0.01f + float(rng() % 100) / 25.0f;   // scales differ per channel
    for (size_t t = 0; t < taps; ++t) d.weights[c * taps + t] = zero ? 0.0f : w_dist(rng) * channel_range;
  }
  if (k.with_bias) {
    d.bias.resize(g.channels);
    for (auto& b : d.bias) b = b_dist(rng);
  }
  d.input.resize(g.batch * g.in_h * g.in_w * g.channels);
  for (auto& x : d.input) {
    switch (k.input) {
      case Fill::random: x = int8_t(int(rng() % 256) - 128); break;
      case Fill::min_values: x = -128; break;
      case Fill::max_values: x = 127; break;
      case Fill::zero_point: x = int8_t(k.q.in_zero_point); break;
    }
  }
  return d;
}

// The definition of dwconv-s8.h. float_check: the float convolution of the dequantized tensors,
// requantized (to compare within 1).
std::vector<int8_t> reference(const Case& k, const Data& d, std::vector<int>* float_check) {
  const DwconvGeometry& g = k.g;
  const DwconvS8Quant& q = k.q;
  const size_t taps = g.kernel_h * g.kernel_w;
  std::vector<int32_t> wq(d.weights.size());
  std::vector<float> w_scale(g.channels);
  for (size_t c = 0; c < g.channels; ++c) {
    float max_abs = 0.0f;
    for (size_t t = 0; t < taps; ++t) max_abs = std::max(max_abs, std::fabs(d.weights[c * taps + t]));
    w_scale[c] = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    for (size_t t = 0; t < taps; ++t) {
      volatile float ratio = d.weights[c * taps + t] / w_scale[c];
      wq[c * taps + t] = int32_t(std::clamp(round_half_even(ratio), -127.0f, 127.0f));
    }
  }
  std::vector<int8_t> out(g.batch * g.out_h * g.out_w * g.channels);
  float_check->assign(out.size(), 0);
  for (size_t b = 0; b < g.batch; ++b)
    for (size_t oy = 0; oy < g.out_h; ++oy)
      for (size_t ox = 0; ox < g.out_w; ++ox)
        for (size_t c = 0; c < g.channels; ++c) {
          int32_t acc = 0;
          double real = 0.0;
          for (size_t ky = 0; ky < g.kernel_h; ++ky)
            for (size_t kx = 0; kx < g.kernel_w; ++kx) {
              const long iy = long(oy * g.stride_h + ky * g.dilation_h) - long(g.pad_top);
              const long ix = long(ox * g.stride_w + kx * g.dilation_w) - long(g.pad_left);
              if (iy < 0 || iy >= long(g.in_h) || ix < 0 || ix >= long(g.in_w)) continue;
              const int32_t x = d.input[((b * g.in_h + size_t(iy)) * g.in_w + size_t(ix)) * g.channels + c];
              const int32_t w = wq[c * taps + ky * g.kernel_w + kx];
              acc += w * (x - q.in_zero_point);
              real += double(w) * double(w_scale[c]) * double(x - q.in_zero_point) * double(q.in_scale);
            }
          const float bias = k.with_bias ? d.bias[c] : 0.0f;
          volatile float multiplier = w_scale[c] * q.in_scale;
          multiplier = multiplier / q.out_scale;
          volatile float offset = bias / q.out_scale;
          float y;
          if (q.hardswish) {   // the HardSwish form (t2i8_gemm_hardswish_s8 in t2i8-gemm.h)
            const float u = std::fma(float(acc), float(multiplier), float(offset));
            float gate = std::fma(u, q.out_scale / 6.0f, 0.5f);
            gate = gate > 0.0f ? gate : 0.0f;
            gate = gate < 1.0f ? gate : 1.0f;
            y = std::fma(u, gate, float(q.out_zero_point));
          } else {
            offset = offset + float(q.out_zero_point);
            y = std::fma(float(acc), float(multiplier), float(offset));   // one rounding, as the epilogue
          }
          if (!(y > float(q.out_min))) y = float(q.out_min);
          if (!(y < float(q.out_max))) y = float(q.out_max);
          const size_t o = ((b * g.out_h + oy) * g.out_w + ox) * g.channels + c;
          out[o] = int8_t(round_half_even(y));
          double v = real + bias;
          if (q.hardswish) v = v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0);
          const double yr = std::nearbyint(v / q.out_scale) + q.out_zero_point;
          (*float_check)[o] = int(std::clamp(yr, double(q.out_min), double(q.out_max)));
        }
  return out;
}

std::vector<Isa> dwconv_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (isa_supported(isa)) {
      isas.push_back(isa);
    } else {
      MESSAGE((std::string("skipping dwconv_s8 for ") + isa_name(isa) + ": not supported here"));
    }
  }
  return isas;
}

// Runs every ISA with 1 and 2 threads; all must equal the reference bit for bit.
void check_case(const Case& k, std::mt19937& rng, pthreadpool_t pool, const std::vector<Isa>& isas) {
  const Data d = make_data(k, rng);
  std::vector<int> float_check;
  const std::vector<int8_t> expected = reference(k, d, &float_check);
  INFO("seed ", test_seed(), " ", k.describe());
  size_t far = 0;
  for (size_t i = 0; i < expected.size(); ++i) far += std::abs(int(expected[i]) - float_check[i]) > 1;
  CHECK_MESSAGE(far == 0, "reference more than 1 away from the float convolution");
  for (Isa isa : isas) {
    const std::unique_ptr<PackedDwconvS8> packed =
        PackedDwconvS8::pack(k.g, d.weights.data(), k.with_bias ? d.bias.data() : nullptr, k.q, isa);
    REQUIRE(packed != nullptr);
    // With a workspace (the framed input, where pack offers one) and without (the edge pixels' path).
    std::vector<int8_t> workspace(packed->workspace_bytes());
    for (int framed = 0; framed < (workspace.empty() ? 1 : 2); ++framed)
    for (pthreadpool_t p : {pthreadpool_t(nullptr), pool}) {
      // Guard bytes around the output: nothing outside it may be written.
      std::vector<int8_t> got(expected.size() + 64, int8_t(0x5A));
      packed->run(d.input.data(), got.data() + 32, p, framed ? workspace.data() : nullptr);
      INFO("isa ", std::string(isa_name(isa)), " kernel ", std::string(packed->kernel_name()), " threads ", p ? 2 : 1,
           " framed ", framed);
      size_t mismatches = 0, first = 0;
      for (size_t i = 0; i < expected.size(); ++i) {
        if (got[32 + i] != expected[i] && mismatches++ == 0) first = i;
      }
      INFO("first mismatch at ", first, " got ", int(got[32 + first]), " expected ", int(expected[first]));
      CHECK(mismatches == 0);
      bool guards = true;
      for (size_t i = 0; i < 32; ++i) guards &= got[i] == 0x5A && got[32 + expected.size() + i] == 0x5A;
      CHECK(guards);
    }
  }
}

Case random_case(std::mt19937& rng, int trial) {
  static const size_t kChannels[] = {12, 20, 36, 64};
  Case k;
  DwconvGeometry& g = k.g;
  g.batch = 1 + rng() % 2;
  g.channels = trial % 3 == 0 ? kChannels[(trial / 3) % 4] : 1 + rng() % 70;
  g.kernel_h = 1 + rng() % 5;
  g.kernel_w = trial % 4 == 1 ? g.kernel_h : 1 + rng() % 5;
  g.stride_h = 1 + rng() % 3;
  g.stride_w = 1 + rng() % 3;
  g.dilation_h = 1 + rng() % 2;
  g.dilation_w = 1 + rng() % 2;
  g.pad_top = rng() % (g.kernel_h + 1);
  g.pad_left = rng() % (g.kernel_w + 1);
  const size_t pad_bottom = rng() % (g.kernel_h + 1), pad_right = rng() % (g.kernel_w + 1);
  g.in_h = g.dilation_h * (g.kernel_h - 1) + 1 + rng() % 12;
  g.in_w = g.dilation_w * (g.kernel_w - 1) + 1 + rng() % 12;
  g.out_h = out_size(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, pad_bottom);
  g.out_w = out_size(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, pad_right);
  k.q.in_scale = 0.002f + float(rng() % 1000) * 1e-4f;
  k.q.in_zero_point = int32_t(rng() % 256) - 128;
  k.q.out_scale = 0.005f + float(rng() % 1000) * 5e-4f;
  k.q.out_zero_point = int32_t(rng() % 256) - 128;
  k.q.out_min = -128;
  k.q.out_max = 127;
  if (trial % 5 == 2) {   // a fused clamp, e.g. ReLU6-like
    k.q.out_min = int8_t(std::max(-128, int(k.q.out_zero_point) - int(rng() % 5)));
    k.q.out_max = int8_t(std::min(127, int(k.q.out_min) + 1 + int(rng() % 100)));
  }
  k.with_bias = trial % 7 != 3;
  k.zero_channel_every = trial % 6 == 4 ? 3 : 0;
  k.q.hardswish = trial % 4 == 3;   // the HardSwish epilogue on every path (pairs, columns, windows)
  return k;
}

}  // namespace

TEST_CASE("dwconv_s8: random geometries, every ISA equals the definition") {
  std::mt19937 rng(test_seed() + 7001);
  pthreadpool_t pool = pthreadpool_create(2);
  const std::vector<Isa> isas = dwconv_isas();
  for (int trial = 0; trial < 250; ++trial) check_case(random_case(rng, trial), rng, pool, isas);
  pthreadpool_destroy(pool);
}

TEST_CASE("dwconv_s8: extreme inputs, zero points at the ends, clamps, all-zero channels") {
  std::mt19937 rng(test_seed() + 7002);
  pthreadpool_t pool = pthreadpool_create(2);
  const std::vector<Isa> isas = dwconv_isas();
  int trial = 0;
  for (Fill fill : {Fill::min_values, Fill::max_values, Fill::zero_point, Fill::random}) {
    for (int32_t in_zp : {-128, 127, 0}) {
      for (int32_t out_zp : {-128, 127}) {
        Case k = random_case(rng, trial++);
        k.g.kernel_h = k.g.kernel_w = 5;   // 25 taps: the largest magnitudes (|x - zp| up to 255)
        k.g.stride_h = k.g.stride_w = 1;
        k.g.dilation_h = k.g.dilation_w = 1;
        k.g.pad_top = k.g.pad_left = 2;
        k.g.in_h = 7;
        k.g.in_w = 9;
        k.g.out_h = 7;
        k.g.out_w = 9;
        k.input = fill;
        k.q.in_zero_point = in_zp;
        k.q.out_zero_point = out_zp;
        k.q.out_min = -128;
        k.q.out_max = 127;
        k.zero_channel_every = 2;
        check_case(k, rng, pool, isas);
        k.q.out_min = -5;   // clamp inside the range
        k.q.out_max = 9;
        check_case(k, rng, pool, isas);
      }
    }
  }
  pthreadpool_destroy(pool);
}

TEST_CASE("dwconv_s8: benchmark shapes, large kernels (tap chunks) and many channels (windows)") {
  std::mt19937 rng(test_seed() + 7003);
  pthreadpool_t pool = pthreadpool_create(2);
  const std::vector<Isa> isas = dwconv_isas();
  struct Shape {
    size_t h, w, c, k, s, pad;
  };
  // Benchmark shapes (small spatial copies where large), a 9x9 kernel (81 taps: two chunks), 4100
  // and 8200 channels (more than one 4096-channel window; 8200 also needs a padded last window).
  const Shape shapes[] = {{32, 32, 36, 3, 1, 1}, {16, 16, 36, 5, 1, 2}, {16, 16, 60, 3, 1, 1}, {17, 17, 12, 3, 2, 0},
                          {8, 8, 20, 3, 1, 1},   {28, 28, 48, 3, 2, 1}, {14, 14, 72, 3, 1, 1}, {9, 9, 96, 3, 2, 1},
                          {7, 7, 960, 3, 1, 1},  {12, 11, 13, 9, 1, 4}, {3, 3, 4100, 3, 1, 1}, {2, 3, 8203, 3, 1, 1},
                          {1, 1, 1, 3, 1, 1},    {1, 2, 3, 1, 1, 0}};
  int trial = 0;
  for (const Shape& s : shapes) {
    Case k = random_case(rng, trial++);
    DwconvGeometry& g = k.g;
    g.batch = 1 + size_t(trial % 2);
    g.in_h = s.h;
    g.in_w = s.w;
    g.channels = s.c;
    g.kernel_h = g.kernel_w = s.k;
    g.stride_h = g.stride_w = s.s;
    g.dilation_h = g.dilation_w = 1;
    g.pad_top = g.pad_left = s.pad;
    g.out_h = out_size(s.h, s.k, s.s, 1, s.pad, s.pad);
    g.out_w = out_size(s.w, s.k, s.s, 1, s.pad, s.pad);
    check_case(k, rng, pool, isas);
  }
  pthreadpool_destroy(pool);
}

TEST_CASE("dwconv_s8: shapes of the avx512vnni column path (20+ channels, strides 1 and 2)") {
  std::mt19937 rng(test_seed() + 7004);
  pthreadpool_t pool = pthreadpool_create(2);
  const std::vector<Isa> isas = dwconv_isas();
  if (isa_supported(Isa::avx512vnni)) {   // the shapes below do take the path
    const DwconvS8Quant q{0.1f, 3, 0.2f, -4, -128, 127};
    for (size_t channels : {16, 20, 36}) {
      const DwconvGeometry g{1, 8, 8, channels, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1};
      std::vector<float> w(channels * 9, 0.5f);
      const auto packed = PackedDwconvS8::pack(g, w.data(), nullptr, q, Isa::avx512vnni);
      REQUIRE(packed != nullptr);
      CHECK(std::string(packed->kernel_name()) ==
            (channels >= 20 ? "dwconv_s8_3x3c64r4__avx512vnni" : "dwconv_s8_3x3c32__avx512vnni"));
    }
  }
  int trial = 0;
  // Channel counts below, at and above one 64-channel block and the path's thresholds, last blocks of
  // 32, 48 (33-48 channels left: 36, 40, 48, 100, 112) and 64; 1 to 8 kernel rows (one or two groups
  // of four); strides 1 and 2 (the path's), rows longer than one run.
  for (size_t channels : {20, 24, 36, 40, 48, 52, 64, 67, 100, 112, 130, 144}) {
    for (size_t kernel_h : {1, 3, 4, 5, 8}) {
      Case k = random_case(rng, trial++);
      DwconvGeometry& g = k.g;
      g.channels = channels;
      g.kernel_h = kernel_h;
      g.kernel_w = 1 + rng() % 5;
      g.stride_w = 1 + size_t(trial % 2);
      g.stride_h = 1 + rng() % 2;
      g.dilation_h = 1 + rng() % 2;
      g.dilation_w = 1 + rng() % 2;
      g.pad_top = rng() % (g.kernel_h + 1);
      g.pad_left = rng() % (g.kernel_w + 1);
      g.in_h = g.dilation_h * (g.kernel_h - 1) + 1 + rng() % 6;
      g.in_w = g.dilation_w * (g.kernel_w - 1) + 1 + rng() % 100;   // rows longer than one column run
      g.out_h = out_size(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, rng() % (g.kernel_h + 1));
      g.out_w = out_size(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, rng() % (g.kernel_w + 1));
      check_case(k, rng, pool, isas);
    }
  }
  pthreadpool_destroy(pool);
}

TEST_CASE("dwconv_s8: pack names the kernel, falls back and refuses bad input") {
  DwconvGeometry g{1, 4, 4, 8, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1};
  const DwconvS8Quant q{0.1f, 3, 0.2f, -4, -128, 127};
  std::vector<float> w(8 * 9, 0.5f);
  for (Isa isa : dwconv_isas()) {
    const auto packed = PackedDwconvS8::pack(g, w.data(), nullptr, q, isa);
    REQUIRE(packed != nullptr);
    CHECK(packed->isa() == isa);
    CHECK(packed->packed_bytes() > 0);
    const std::string name = packed->kernel_name();
    CHECK(name.rfind("dwconv_s8_3x3", 0) == 0);
    CHECK(name.find(std::string("__") + (isa == Isa::neondot ? "neon" : isa_name(isa))) != std::string::npos);
  }
  g.channels = 0;
  CHECK(PackedDwconvS8::pack(g, w.data(), nullptr, q, Isa::scalar) == nullptr);
  g.channels = 8;
  g.stride_w = 0;
  CHECK(PackedDwconvS8::pack(g, w.data(), nullptr, q, Isa::scalar) == nullptr);
}

}  // namespace ternrt_test
