// The HardSwish form of the int8 epilogue (t2i8_gemm_hardswish_s8, t2i8-gemm.h): every ISA's
// implementation against the operations written out here (their own round-half-to-even), on tiles of
// every width with NaN / infinite / tie-making terms; the full layer against the definition from the
// GEMM's accumulators on every ISA, GEMV and GEMM, 0-3 threads; and within 1 of round(hardswish(v) /
// s_y) + z_y computed in double (the operations compute HardSwish). T2I8Conv::run_hardswish_s8 and
// PackedDwconvS8 with DwconvS8Quant::hardswish are checked in t2i8-conv-test.cc / dwconv-s8-test.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gemm-tester.h"

namespace ternrt_test {

namespace {

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (isa_supported(isa)) isas.push_back(isa);
    else MESSAGE((std::string("skipping the HardSwish epilogue for ") + isa_name(isa) + ": not supported here"));
  }
  return isas;
}

}  // namespace

TEST_CASE("HardSwish int8 epilogue: every ISA equals the written-out operations, every width, NaN and ties") {
  std::mt19937 rng(test_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<size_t> widths;
  for (size_t nt = 1; nt <= 70; nt += (nt < 40 ? 1 : 7)) widths.push_back(nt);
  for (size_t nt : {96, 100, 128, 150}) widths.push_back(nt);
  for (Isa isa : supported_isas()) {
    for (size_t nt : widths) {
      // Rows back to back (c_gap 0) or apart, whole groups of 4 / 2 rows and left-over rows.
      for (const auto& rows_gap : {std::pair<size_t, size_t>{1, 0}, {3, 2}, {16, 5}, {7, 0}, {8, 0}}) {
        const size_t mt = rows_gap.first, c_gap = rows_gap.second;   // no structured binding: INFO captures them
        // Terms that can take u anywhere (NaN, infinities, multiplier 1), or terms that keep |u| below 2^30
        // for any int32 accumulator (|multiplier| <= 1/4, |offset| <= 2^29: the AVX-512 one then leaves out
        // the float clamps of y and packs 64 outputs per store), with accumulators near the int32 ends.
        for (bool bounded : {false, true}) {
          const size_t acc_stride = nt + 3, c_stride = nt + c_gap;
          std::vector<int32_t> acc(mt * acc_stride), correction(nt);
          std::vector<float> multiplier(nt), offset(nt);
          for (size_t i = 0; i < acc.size(); ++i)
            acc[i] = i % 11 == 0 ? (i % 2 ? INT32_MAX - 100 : INT32_MIN + 200) : int32_t(rng() % 4001) - 2000;   // acc - correction fits int32
          for (size_t j = 0; j < nt; ++j) {
            correction[j] = int32_t(rng() % 201) - 100;
            if (bounded) {
              switch (j % 5) {
                case 0: multiplier[j] = 0.25f; offset[j] = (j % 2 ? 1.0f : -1.0f) * 0x1p29f; break;   // the bound
                case 1: multiplier[j] = 0.25f; offset[j] = 0.0f; break;    // u on quarters: ties after the gate
                case 2: multiplier[j] = -0.125f; offset[j] = float(int(rng() % 9) - 4); break;
                default: multiplier[j] = 0.05f * dist(rng); offset[j] = 40.0f * dist(rng); break;
              }
              continue;
            }
            switch (j % 8) {
              case 0: multiplier[j] = 0.5f; offset[j] = 0.0f; break;   // u on halves: ties after the gate
              case 1: multiplier[j] = nan; offset[j] = 0.0f; break;
              case 2: multiplier[j] = (j % 2) ? inf : -inf; offset[j] = 0.0f; break;   // -inf * gate 0: NaN
              case 3: multiplier[j] = 1.0f; offset[j] = 0.0f; break;   // saturates both ways
              default: multiplier[j] = 0.05f * dist(rng); offset[j] = 40.0f * dist(rng); break;
            }
          }
          for (float slope : {0.004f, 0.05f, 1.0f / 6.0f}) {
            for (const auto& range : {std::pair<int8_t, int8_t>{-128, 127}, {-20, 90}}) {
              const float zero_point = float(int(rng() % 256) - 128);
              INFO("isa ", std::string(isa_name(isa)), " mt ", mt, " nt ", nt, " slope ", slope, " zp ", zero_point, " range [",
                   int(range.first), ", ", int(range.second), "]", bounded ? " bounded terms" : "");
              std::vector<int8_t> c(mt * c_stride + 64, 0x33);
              REQUIRE(t2i8_epilogue_hswish_s8_isa(isa, mt, nt, acc.data(), acc_stride, correction.data(),
                                                  multiplier.data(), offset.data(), slope, zero_point, range.first,
                                                  range.second, c.data(), c_stride));
              size_t mismatches = 0, overwritten = 0;
              for (size_t r = 0; r < mt; ++r) {
                for (size_t j = 0; j < nt; ++j) {
                  const int8_t want = hswish_requantize(acc[r * acc_stride + j] - correction[j], multiplier[j],
                                                        offset[j], slope, zero_point, range.first, range.second);
                  if (c[r * c_stride + j] != want && ++mismatches <= 3)
                    FAIL_CHECK("row ", r, " col ", j, ": got ", int(c[r * c_stride + j]), " expected ", int(want));
                }
                for (size_t j = nt; j < c_stride; ++j) overwritten += c[r * c_stride + j] != 0x33;
              }
              for (size_t i = mt * c_stride; i < c.size(); ++i) overwritten += c[i] != 0x33;
              CHECK(mismatches == 0);
              CHECK(overwritten == 0);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("t2i8_gemm_hardswish_s8: every ISA, GEMV and GEMM, threads, the definition and HardSwish itself") {
  const struct { size_t m, n, k; } shapes[] = {{1, 1, 1}, {1, 1100, 301}, {3, 33, 17}, {13, 45, 301}, {37, 77, 300}};
  size_t below_zero = 0, gated = 0;   // outputs on HardSwish's negative dip, and inside its quadratic part
  for (Isa isa : supported_isas()) {
    uint32_t index = 0;
    for (const auto& s : shapes) {
      std::mt19937 rng(test_seed() + ++index);
      GemmTester tester;
      tester.m(s.m).n(s.n).k(s.k).seed(test_seed() + index);
      std::vector<int8_t> weights, a;
      tester.make_inputs(&weights, &a);
      const std::vector<uint8_t> codes = tester.codes_of(weights);
      const std::vector<int32_t> dot = tester.reference(weights, a);
      auto w = PackedTernaryWeights::pack(codes.data(), s.n, s.k, isa);
      REQUIRE(w);
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      std::vector<float> channel_scale(s.n), bias(s.n);
      for (size_t j = 0; j < s.n; ++j) {
        channel_scale[j] = 0.5f + 0.5f * std::abs(dist(rng));
        bias[j] = 2.0f * dist(rng);
      }
      // v = acc * channel_scale * a_scale + bias spans about -6..6, where HardSwish bends.
      const float a_scale = 3.0f / (60.0f * std::sqrt(float(s.k)));
      const float out_scale = 8.0f / 255.0f;
      for (int32_t a_zp : {-128, 0, 127}) {
        for (int32_t out_zp : {-128, -90, 0}) {
          std::vector<int8_t> want(s.m * s.n);
          for (size_t r = 0; r < s.m; ++r) {
            for (size_t j = 0; j < s.n; ++j) {
              const int32_t x = dot[r * s.n + j] - a_zp * w->row_sums()[j];
              volatile float mul = channel_scale[j] * a_scale;
              const float multiplier = mul / out_scale;
              const float offset = bias[j] / out_scale;
              want[r * s.n + j] = hswish_requantize(x, multiplier, offset, out_scale / 6.0f, float(out_zp), -128, 127);
              // The operations compute HardSwish: within one step of it in double.
              const double v = double(x) * channel_scale[j] * a_scale + bias[j];
              const double h = v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0);
              const double q = std::clamp(std::nearbyint(h / out_scale) + out_zp, -128.0, 127.0);
              CHECK(std::abs(q - want[r * s.n + j]) <= 1);
              below_zero += v < 0 && v > -3;
              gated += v > -3 && v < 3;
            }
          }
          for (size_t threads : {0, 2, 3}) {
            pthreadpool_t pool = threads ? pthreadpool_create(threads) : nullptr;
            std::vector<int32_t> scratch(t2i8_gemm_workspace_bytes(*w, s.m) / 4 + 1, 0x7A7A7A7A);
            std::vector<int8_t> c(s.m * (s.n + 3), 0x5A);
            t2i8_gemm_hardswish_s8(*w, s.m, a.data(), s.k, a_scale, a_zp, channel_scale.data(), bias.data(), out_scale,
                                   out_zp, -128, 127, c.data(), s.n + 3, pool, scratch.data());
            if (pool) pthreadpool_destroy(pool);
            INFO("isa ", std::string(isa_name(isa)), " kernel ", std::string(w->kernel_name()), " ", tester.describe(), " a_zp ", a_zp,
                 " out_zp ", out_zp, " threads ", threads);
            size_t mismatches = 0, overwritten = 0;
            for (size_t r = 0; r < s.m; ++r) {
              for (size_t j = 0; j < s.n; ++j) mismatches += c[r * (s.n + 3) + j] != want[r * s.n + j];
              for (size_t j = s.n; j < s.n + 3; ++j) overwritten += c[r * (s.n + 3) + j] != 0x5A;
            }
            CHECK(mismatches == 0);
            CHECK(overwritten == 0);
          }
        }
      }
    }
  }
  CHECK(below_zero > 0);
  CHECK(gated > 0);
}

}  // namespace ternrt_test
