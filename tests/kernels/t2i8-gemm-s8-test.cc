// t2i8_gemm_s8 (int8 output, static activation quantization): the requantization written out here
// from t2i8-gemm.h (its own round-half-to-even, no library rounding) on accumulators from the
// definition, compared bit for bit with every supported ISA's epilogue and the public entry point.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gemm-tester.h"

namespace ternrt_test {

namespace {

std::vector<Isa> s8_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    if (isa_supported(isa)) {
      isas.push_back(isa);
    } else {
      MESSAGE((std::string("skipping int8 epilogue for ") + isa_name(isa) + ": not supported here"));
    }
  }
  return isas;
}

struct Requant {
  float a_scale = 1.0f, out_scale = 1.0f;
  int32_t a_zero_point = 0, out_zero_point = 0;
  int8_t out_min = -128, out_max = 127;
  bool with_bias = true;
};

// Per-channel terms as t2i8-gemm.h documents them.
void channel_terms(const Requant& q, const std::vector<float>& channel_scale, const std::vector<float>& bias,
                   std::vector<float>* multiplier, std::vector<float>* offset) {
  const size_t n = channel_scale.size();
  multiplier->resize(n);
  offset->resize(n);
  for (size_t j = 0; j < n; ++j) {
    volatile float scale = channel_scale[j] * q.a_scale;
    (*multiplier)[j] = scale / q.out_scale;
    volatile float b = (q.with_bias ? bias[j] : 0.0f) / q.out_scale;
    (*offset)[j] = b + float(q.out_zero_point);
  }
}

struct Outcome {
  size_t mismatches = 0, low = 0, high = 0, ties = 0;
};

// Runs t2i8_gemm_s8 for isa and compares with the requantized definition; counts how many
// expected values sit on each clamp bound and how many were exact .5 ties (so callers can check
// their data exercised those).
Outcome run_s8(const GemmTester& tester, size_t m, size_t n, size_t k, Isa isa, size_t threads, bool workspace,
               const Requant& q, const std::vector<float>& channel_scale, const std::vector<float>& bias) {
  std::vector<int8_t> weights, a;
  tester.make_inputs(&weights, &a);
  const std::vector<uint8_t> codes = tester.codes_of(weights);
  const std::vector<int32_t> dot = tester.reference(weights, a);
  auto w = PackedTernaryWeights::pack(codes.data(), n, k, isa);
  REQUIRE(w != nullptr);
  REQUIRE(w->isa() == isa);
  INFO("isa ", std::string(isa_name(isa)), " kernel ", std::string(w->kernel_name()), " threads ", threads,
       " workspace ", workspace, " ", tester.describe(), " a_zp ", q.a_zero_point, " out_zp ", q.out_zero_point,
       " out [", int(q.out_min), ", ", int(q.out_max), "] bias ", q.with_bias);
  // The raw accumulators of the library agree with the definition (the s8 path builds on them).
  std::vector<int32_t> raw(m * n);
  t2i8_gemm_s32(*w, m, a.data(), k, raw.data(), n, nullptr);
  CHECK(raw == dot);

  std::vector<float> multiplier, offset;
  channel_terms(q, channel_scale, bias, &multiplier, &offset);
  Outcome outcome;
  std::vector<int8_t> expected(m * n);
  for (size_t r = 0; r < m; ++r) {
    for (size_t j = 0; j < n; ++j) {
      const int32_t x = dot[r * n + j] - q.a_zero_point * w->row_sums()[j];
      const int8_t v = requantize(x, multiplier[j], offset[j], q.out_min, q.out_max);
      expected[r * n + j] = v;
      outcome.low += v == q.out_min;
      outcome.high += v == q.out_max;
      const float y = std::fma(float(x), multiplier[j], offset[j]);
      outcome.ties += y > float(q.out_min) && y < float(q.out_max) && y - std::floor(y) == 0.5f;
    }
  }

  pthreadpool_t pool = threads ? pthreadpool_create(threads) : nullptr;
  const size_t c_stride = n + 3;
  const int8_t sentinel = 0x5A;
  std::vector<int8_t> c(m * c_stride, sentinel);
  const float* bias_ptr = q.with_bias ? bias.data() : nullptr;
  if (workspace) {
    std::vector<int32_t> scratch(t2i8_gemm_workspace_bytes(*w, m) / sizeof(int32_t), 0x7A7A7A7A);
    t2i8_gemm_s8(*w, m, a.data(), k, q.a_scale, q.a_zero_point, channel_scale.data(), bias_ptr, q.out_scale,
                 q.out_zero_point, q.out_min, q.out_max, c.data(), c_stride, pool, scratch.data());
  } else {
    t2i8_gemm_s8(*w, m, a.data(), k, q.a_scale, q.a_zero_point, channel_scale.data(), bias_ptr, q.out_scale,
                 q.out_zero_point, q.out_min, q.out_max, c.data(), c_stride, pool);
  }
  if (pool) pthreadpool_destroy(pool);
  size_t overwritten = 0;
  for (size_t r = 0; r < m; ++r) {
    for (size_t j = 0; j < n; ++j) {
      const int8_t got = c[r * c_stride + j], want = expected[r * n + j];
      if (got != want && ++outcome.mismatches <= 3) {
        FAIL_CHECK("row ", r, " col ", j, ": got ", int(got), " expected ", int(want));
      }
    }
    for (size_t j = n; j < c_stride; ++j) overwritten += c[r * c_stride + j] != sentinel;
  }
  CHECK(overwritten == 0);
  CHECK(outcome.mismatches == 0);
  return outcome;
}

// Channel scales around 1 and out_scale chosen so y has a spread of about 80 around the zero
// point: a full-range output saturates at both ends now and then.
void make_channel_terms(size_t n, size_t k, std::mt19937& rng, Requant* q, std::vector<float>* channel_scale,
                        std::vector<float>* bias) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  channel_scale->resize(n);
  bias->resize(n);
  for (size_t j = 0; j < n; ++j) {
    (*channel_scale)[j] = 0.5f + 0.5f * std::abs(dist(rng));
    (*bias)[j] = 20.0f * dist(rng);
  }
  q->a_scale = 0.0173f;
  // sum of k products t * a (t uniform in {-1,0,1}, a roughly uniform in int8): sd ~ 60 sqrt(k).
  const float acc_sd = 60.0f * std::sqrt(float(k));
  q->out_scale = q->a_scale * 0.75f * acc_sd / 80.0f;
}

}  // namespace

TEST_CASE("t2i8 int8 epilogue: every ISA equals the written-out requantization, every tail width, row stride") {
  std::mt19937 rng(test_seed());
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // Every width to 70, and wide tiles of several 64-channel runs (the AVX-512 one stores those 64 at a time).
  std::vector<size_t> widths;
  for (size_t nt = 1; nt <= 70; ++nt) widths.push_back(nt);
  for (size_t nt : {128, 150, 192}) widths.push_back(nt);
  for (Isa isa : s8_isas()) {
    for (size_t nt : widths) {
      // Rows back to back (c_stride == nt: the AVX-512 one packs 64 bytes of 16- or 32-channel rows
      // per store) or apart (it packs them too and stores each row), whole groups of 4 / 2 rows and
      // left-over rows.
      for (const auto& rows_gap : {std::pair<size_t, size_t>{1, 2}, {3, 2}, {5, 2}, {16, 7}, {1, 0}, {2, 0}, {5, 0},
                                   {16, 0}, {7, 0}}) {
        const size_t mt = rows_gap.first, c_gap = rows_gap.second;   // no structured binding: INFO captures them
        // Terms that can take y anywhere (NaN, infinities, multiplier 1), or terms that keep |y| below
        // 2^30 for any int32 accumulator (|multiplier| <= 1/4, |offset| <= 2^29: the AVX-512 one then
        // skips its float clamp), with accumulators near the int32 ends so the bytes still saturate.
        for (bool bounded : {false, true}) {
          const size_t acc_stride = nt + 5, c_stride = nt + c_gap;
          std::vector<int32_t> acc(mt * acc_stride), correction(nt);
          std::vector<float> multiplier(nt), offset(nt);
          for (size_t i = 0; i < acc.size(); ++i) {
            acc[i] = bounded && i % 5 == 0 ? (i % 2 ? 1 : -1) * (INT32_MAX - 100) : int32_t(rng() % 4001) - 2000;
          }
          for (size_t j = 0; j < nt; ++j) {
            correction[j] = int32_t(rng() % 201) - 100;
            if (bounded) {
              switch (j % 5) {
                case 0: multiplier[j] = 0.25f; offset[j] = (j % 2 ? 1.0f : -1.0f) * 0x1p29f; break;   // the bound
                case 1: multiplier[j] = 0.25f; offset[j] = 0.25f; break;                               // ties
                case 2: multiplier[j] = -0.125f; offset[j] = float(int(rng() % 9) - 4); break;        // ties
                default: multiplier[j] = 0.1f * dist(rng); offset[j] = 30.0f * dist(rng); break;
              }
              continue;
            }
            switch (j % 7) {
              case 0: multiplier[j] = 0.5f; offset[j] = float(int(rng() % 9) - 4); break;     // exact ties
              case 1: multiplier[j] = 0.25f; offset[j] = 0.25f; break;                           // ties
              case 2: multiplier[j] = 1.0f; offset[j] = 0.0f; break;                             // saturates
              case 3: multiplier[j] = nan; offset[j] = 0.0f; break;                              // NaN -> out_min
              case 4: multiplier[j] = (j % 2) ? inf : -inf; offset[j] = 0.0f; break;             // +-inf, 0 * inf
              default: multiplier[j] = 0.1f * dist(rng); offset[j] = 30.0f * dist(rng); break;
            }
          }
          for (const auto& range : {std::pair<int8_t, int8_t>{-128, 127}, {-5, 90}, {0, 127}, {-128, -128}}) {
            INFO("isa ", std::string(isa_name(isa)), " mt ", mt, " nt ", nt, " range [", int(range.first), ", ",
                 int(range.second), "]", bounded ? " bounded terms" : "");
            const int8_t sentinel = 0x33;
            std::vector<int8_t> c(mt * c_stride + 64, sentinel);
            REQUIRE(t2i8_epilogue_s8_isa(isa, mt, nt, acc.data(), acc_stride, correction.data(), multiplier.data(),
                                         offset.data(), range.first, range.second, c.data(), c_stride));
            size_t mismatches = 0, overwritten = 0;
            for (size_t r = 0; r < mt; ++r) {
              for (size_t j = 0; j < nt; ++j) {
                const int8_t want = requantize(acc[r * acc_stride + j] - correction[j], multiplier[j], offset[j],
                                               range.first, range.second);
                if (c[r * c_stride + j] != want && ++mismatches <= 3) {
                  FAIL_CHECK("row ", r, " col ", j, ": got ", int(c[r * c_stride + j]), " expected ", int(want));
                }
              }
              for (size_t j = nt; j < c_stride; ++j) overwritten += c[r * c_stride + j] != sentinel;
            }
            for (size_t i = mt * c_stride; i < c.size(); ++i) overwritten += c[i] != sentinel;
            CHECK(mismatches == 0);
            CHECK(overwritten == 0);
          }
        }
      }
    }
  }
}

TEST_CASE("t2i8 int8 epilogue: the multiply-add rounds once on every ISA") {
  // acc * multiplier needs more bits than a float holds and the offset cancels all but 3.5 of its
  // rounded value: a separate multiply leaves the tie 3.5 (-> 4), the fused one 3.45 / 3.4 (-> 3).
  // Multiplier 0.2 passes the AVX-512 bound (no float clamp), 0.7 does not.
  const struct { int32_t acc; float multiplier, offset; } cases[] = {{(1 << 23) + 1, 0.2f, -1677718.375f},
                                                                    {(1 << 23) + 2, 0.7f, -5872023.5f}};
  for (Isa isa : s8_isas()) {
    for (const auto& t : cases) {
      for (size_t nt : {5, 16, 32}) {
        const size_t mt = 4;
        std::vector<int32_t> correction(nt), acc(mt * nt);
        for (size_t j = 0; j < nt; ++j) correction[j] = int32_t(j) - 2;
        for (size_t i = 0; i < acc.size(); ++i) acc[i] = t.acc + correction[i % nt];
        const std::vector<float> multiplier(nt, t.multiplier), offset(nt, t.offset);
        std::vector<int8_t> c(mt * nt, 0);
        REQUIRE(t2i8_epilogue_s8_isa(isa, mt, nt, acc.data(), nt, correction.data(), multiplier.data(),
                                     offset.data(), -128, 127, c.data(), nt));
        INFO("isa " << isa_name(isa) << " nt " << nt << " multiplier " << t.multiplier);
        CHECK(std::count(c.begin(), c.end(), int8_t(3)) == std::ptrdiff_t(c.size()));
      }
    }
  }
}

TEST_CASE("t2i8_gemm_s8: every ISA, GEMV and GEMM, ragged shapes, zero points, clamp ranges, bias") {
  const struct { size_t m, n, k; } shapes[] = {{1, 1, 1},     {1, 37, 17},   {1, 1100, 301}, {3, 33, 17},
                                               {7, 70, 259},  {13, 45, 301}, {37, 77, 300},  {5, 100, 1027}};
  size_t low = 0, high = 0;
  for (Isa isa : s8_isas()) {
    uint32_t index = 0;
    for (const auto& s : shapes) {
      std::mt19937 rng(test_seed() + ++index);
      GemmTester tester;
      tester.m(s.m).n(s.n).k(s.k).seed(test_seed() + index);
      Requant q;
      std::vector<float> channel_scale, bias;
      make_channel_terms(s.n, s.k, rng, &q, &channel_scale, &bias);
      for (int32_t a_zp : {-128, 0, 127}) {
        for (int32_t out_zp : {-128, 0, 127}) {
          q.a_zero_point = a_zp;
          q.out_zero_point = out_zp;
          // Full range, ReLU (min = zero point) and a narrow band.
          const std::pair<int8_t, int8_t> ranges[] = {
              {-128, 127}, {int8_t(out_zp), 127}, {int8_t(std::max(-128, out_zp - 20)), int8_t(std::min(127, out_zp + 20))}};
          for (const auto& range : ranges) {
            q.out_min = range.first;
            q.out_max = range.second;
            q.with_bias = (index + a_zp + out_zp) % 2 == 0;
            const Outcome o = run_s8(tester, s.m, s.n, s.k, isa, 0, index % 2 == 0, q, channel_scale, bias);
            if (range.first == -128 && range.second == 127 && out_zp == 0) {
              low += o.low;
              high += o.high;
            }
          }
        }
      }
    }
  }
  // The data must have hit both int8 ends (else saturation went untested).
  CHECK(low > 0);
  CHECK(high > 0);
}

TEST_CASE("t2i8_gemm_residual_s8: every ISA, GEMV and GEMM, threads, the residual's own stride and zero point") {
  const struct { size_t m, n, k; } shapes[] = {{1, 37, 17}, {1, 300, 301}, {3, 33, 17}, {7, 70, 259}, {37, 77, 300},
                                               {64, 12, 36}, {100, 36, 12}};
  size_t low = 0, high = 0;
  for (Isa isa : s8_isas()) {
    uint32_t index = 0;
    for (const auto& s : shapes) {
      std::mt19937 rng(test_seed() + 100 + ++index);
      GemmTester tester;
      tester.m(s.m).n(s.n).k(s.k).seed(test_seed() + index);
      std::vector<int8_t> weights, a;
      tester.make_inputs(&weights, &a);
      const std::vector<int32_t> dot = tester.reference(weights, a);
      auto w = PackedTernaryWeights::pack(tester.codes_of(weights).data(), s.n, s.k, isa);
      REQUIRE(w != nullptr);
      Requant q;
      std::vector<float> channel_scale, bias;
      make_channel_terms(s.n, s.k, rng, &q, &channel_scale, &bias);
      q.a_zero_point = int32_t(rng() % 256) - 128;
      q.out_zero_point = int32_t(rng() % 101) - 50;
      q.out_min = index % 3 == 0 ? int8_t(q.out_zero_point) : int8_t(-128);   // ReLU after the add, or none
      std::vector<float> multiplier, offset;
      channel_terms(q, channel_scale, bias, &multiplier, &offset);
      const size_t r_stride = s.n + 2, c_stride = s.n + 3;
      std::vector<int8_t> residual(s.m * r_stride);
      for (int8_t& v : residual) v = int8_t(int(rng() % 256) - 128);
      const ResidualS8 res{residual.data(), r_stride, q.out_scale * (0.3f + float(index) * 0.2f),
                           int32_t(rng() % 256) - 128};
      volatile float r_multiplier = res.scale;
      r_multiplier = r_multiplier / q.out_scale;
      for (size_t threads : {0, 2}) {
        INFO("isa ", std::string(isa_name(isa)), " kernel ", std::string(w->kernel_name_s8()), " m ", s.m, " n ", s.n,
             " k ", s.k, " threads ", threads);
        pthreadpool_t pool = threads ? pthreadpool_create(threads) : nullptr;
        std::vector<int8_t> c(s.m * c_stride, 0x5A);
        std::vector<int32_t> scratch(t2i8_gemm_workspace_bytes(*w, s.m) / sizeof(int32_t) + 1);
        t2i8_gemm_residual_s8(*w, s.m, a.data(), s.k, q.a_scale, q.a_zero_point, channel_scale.data(), bias.data(),
                              q.out_scale, q.out_zero_point, q.out_min, q.out_max, res, c.data(), c_stride, pool,
                              scratch.data());
        if (pool) pthreadpool_destroy(pool);
        size_t mismatches = 0, overwritten = 0;
        for (size_t r = 0; r < s.m; ++r) {
          for (size_t j = 0; j < s.n; ++j) {
            const int32_t x = dot[r * s.n + j] - q.a_zero_point * w->row_sums()[j];
            const int8_t want = residual_requantize(x, multiplier[j], offset[j], residual[r * r_stride + j],
                                                    res.zero_point, r_multiplier, q.out_min, q.out_max);
            low += want == -128;
            high += want == 127;
            if (c[r * c_stride + j] != want && ++mismatches <= 3) {
              FAIL_CHECK("row ", r, " col ", j, ": got ", int(c[r * c_stride + j]), " expected ", int(want));
            }
          }
          for (size_t j = s.n; j < c_stride; ++j) overwritten += c[r * c_stride + j] != 0x5A;
        }
        CHECK(mismatches == 0);
        CHECK(overwritten == 0);
      }
    }
  }
  CHECK(low > 0);   // saturation at both ends was exercised
  CHECK(high > 0);
}

TEST_CASE("t2i8_gemm_s8: 1, 2 and 3 threads, null and non-null bias") {
  for (Isa isa : s8_isas()) {
    for (size_t m : {size_t(1), size_t(37)}) {
      const size_t n = m == 1 ? 1000 : 77, k = 300;
      std::mt19937 rng(test_seed());
      GemmTester tester;
      tester.m(m).n(n).k(k).seed(test_seed());
      Requant q;
      std::vector<float> channel_scale, bias;
      make_channel_terms(n, k, rng, &q, &channel_scale, &bias);
      q.a_zero_point = -17;
      q.out_zero_point = 5;
      for (size_t threads : {1, 2, 3}) {
        for (bool with_bias : {false, true}) {
          q.with_bias = with_bias;
          run_s8(tester, m, n, k, isa, threads, with_bias, q, channel_scale, bias);
        }
      }
    }
  }
}

TEST_CASE("t2i8_gemm_s8: exact .5 ties round to even") {
  // multiplier 0.5 (channel_scale 0.5, a_scale 1, out_scale 1): every odd accumulator is a tie.
  for (Isa isa : s8_isas()) {
    const size_t m = 9, n = 40, k = 5;
    GemmTester tester;
    tester.m(m).n(n).k(k).seed(test_seed());
    Requant q;
    q.out_zero_point = 3;
    std::vector<float> channel_scale(n, 0.5f), bias(n, 0.0f);
    const Outcome o = run_s8(tester, m, n, k, isa, 0, false, q, channel_scale, bias);
    CHECK(o.ties > 0);
  }
}

TEST_CASE("t2i8_gemm_s8: within 1 of quantizing t2i8_gemm_f32's output") {
  const size_t m = 13, n = 45, k = 301;
  GemmTester tester;
  tester.m(m).n(n).k(k).seed(test_seed());
  std::vector<int8_t> weights, a;
  tester.make_inputs(&weights, &a);
  const std::vector<uint8_t> codes = tester.codes_of(weights);
  std::mt19937 rng(test_seed());
  Requant q;
  std::vector<float> channel_scale, bias;
  make_channel_terms(n, k, rng, &q, &channel_scale, &bias);
  q.a_zero_point = 11;
  q.out_zero_point = -9;
  for (Isa isa : s8_isas()) {
    INFO("isa ", std::string(isa_name(isa)));
    auto w = PackedTernaryWeights::pack(codes.data(), n, k, isa);
    REQUIRE(w != nullptr);
    std::vector<float> f(m * n);
    std::vector<int8_t> c(m * n);
    t2i8_gemm_f32(*w, m, a.data(), k, q.a_scale, q.a_zero_point, channel_scale.data(), bias.data(), -INFINITY,
                  INFINITY, f.data(), n, nullptr);
    t2i8_gemm_s8(*w, m, a.data(), k, q.a_scale, q.a_zero_point, channel_scale.data(), bias.data(), q.out_scale,
                 q.out_zero_point, -128, 127, c.data(), n, nullptr);
    size_t off_by_one = 0, worse = 0;
    for (size_t i = 0; i < m * n; ++i) {
      const float v = std::clamp(std::nearbyint(f[i] / q.out_scale) + float(q.out_zero_point), -128.0f, 127.0f);
      const int diff = std::abs(int(v) - int(c[i]));
      off_by_one += diff == 1;
      worse += diff > 1;
    }
    CHECK(worse == 0);
    CHECK(off_by_one <= m * n / 20);   // rare: only where the two roundings straddle a .5
  }
}


namespace {

// The kernel of t2i8-gemm.inc / i8i8-gemm.inc whose tile and packing a requantizing form's base has:
// the base itself, or the kernel it is a u8-activation form of (t2u8 / u8i8; *u8_form set then).
const T2I8GemmUkernel* list_kernel_of(T2I8GemmUkernelFn base, const U8FormUkernel** u8_form) {
  *u8_form = nullptr;
  using FormsList = const U8FormUkernel* (*)(size_t*);
  for (FormsList forms_list : {FormsList(t2u8_gemm_ukernels), FormsList(u8i8_gemm_ukernels)}) {
    size_t count = 0;
    const U8FormUkernel* forms = forms_list(&count);
    for (size_t i = 0; i < count; ++i) {
      if (forms[i].fn == base) {
        *u8_form = &forms[i];
        base = forms[i].base;
      }
    }
  }
  using List = const T2I8GemmUkernel* (*)(size_t*);
  for (List list : {List(t2i8_gemm_ukernels), List(i8i8_gemm_ukernels)}) {
    size_t count = 0;
    const T2I8GemmUkernel* kernels = list(&count);
    for (size_t i = 0; i < count; ++i) {
      if (kernels[i].fn == base) return &kernels[i];
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("minmax_fp32 forms: each is the form of one listed kernel, named after it") {
  size_t count = 0;
  const MinmaxFormUkernel* forms = minmax_fp32_gemm_ukernels(&count);
  for (size_t i = 0; i < count; ++i) {
    INFO(forms[i].name);
    const U8FormUkernel* u8_form = nullptr;
    const T2I8GemmUkernel* kernel = list_kernel_of(forms[i].base, &u8_form);
    REQUIRE(kernel != nullptr);
    CHECK(kernel->mr > 1);
    CHECK(std::strcmp(u8_form ? u8_form->name : kernel->name, forms[i].base_name) == 0);
    // "<type>_gemm_<tile>__<isa>" -> "<type>_gemm_minmax_fp32_<tile>__<isa>"
    const std::string base = forms[i].base_name;
    CHECK(std::string(forms[i].name) == base.substr(0, 10) + "minmax_fp32_" + base.substr(10));
    CHECK(minmax_fp32_form_of(forms[i].base) == &forms[i]);
  }
#if defined(__x86_64__) || defined(_M_X64)
  CHECK(count > 0);
#endif
}

TEST_CASE("minmax_fp32 forms: the base kernel's sums requantized, every tile shape, row blocks, slices, terms, strides") {
  size_t count = 0;
  const MinmaxFormUkernel* forms = minmax_fp32_gemm_ukernels(&count);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  size_t saturated_low = 0, saturated_high = 0, unbounded_trials = 0;
  for (size_t f = 0; f < count; ++f) {
    const MinmaxFormUkernel& form = forms[f];
    const U8FormUkernel* u8_form = nullptr;
    const T2I8GemmUkernel* kernel = list_kernel_of(form.base, &u8_form);
    REQUIRE(kernel != nullptr);
    if (!isa_supported(kernel->isa)) {
      MESSAGE((std::string("skipping ") + form.name + ": " + isa_name(kernel->isa) + " not supported here"));
      continue;
    }
    const bool int8_weights = layout_is_int8(kernel->layout);
    const bool t2u8 = u8_form != nullptr && !int8_weights;
    const size_t multiple = t2i8_slice_depth_multiple(kernel->layout);
    std::mt19937 rng(test_seed() + uint32_t(f));
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
    constexpr int kRandomTrials = 120, kExtremeTrials = 21;
    for (int trial = 0; trial < kRandomTrials + kExtremeTrials; ++trial) {
      // Every row count and channel count of the tile, then random ones; then whole tiles with
      // all-zero / all-extreme weights and extreme activations at the int16 blocks' limits
      // (k = 256 fills a vpmaddubsw lane to -32768 with -128 x +1).
      const bool extreme = trial >= kRandomTrials;
      const int e = trial - kRandomTrials;
      // The forms take any row count (row tiles of MR in a loop): every other random trial has
      // several tiles and a partial last one.
      size_t mr = trial < int(kernel->mr) ? size_t(trial) + 1 : 1 + rng() % (trial % 2 ? kernel->mr : 3 * kernel->mr + 5);
      size_t nc = trial < int(kernel->nr) ? size_t(trial) + 1 : 1 + rng() % kernel->nr;
      size_t slices = 1 + rng() % 3;
      size_t k = 1 + rng() % 150;
      if (extreme) {
        static constexpr size_t kLimits[] = {255, 256, 257, 511, 512, 513, 4099};
        mr = e % 4 == 3 ? 2 * kernel->mr + 1 : kernel->mr;
        nc = e % 2 ? kernel->nr : kernel->nr - 1;
        slices = 1;
        k = kLimits[e % 7];
      }
      // t2u8 forms: whole 16-k chunks (a padded code reads as t = -1); sliced K: the layout's multiple.
      if (t2u8 || slices > 1) k = (k + multiple - 1) / multiple * (t2u8 ? 16 : multiple);
      GemmTester tester;
      tester.m(mr).n(nc).k(k).slices(slices).a_stride(k + rng() % 9).int8_weights(int8_weights).seed(rng());
      if (extreme) {
        static constexpr WeightFill kWeights[] = {WeightFill::zeros, WeightFill::plus_ones, WeightFill::minus_ones};
        static constexpr ActFill kActs[] = {ActFill::min_values, ActFill::max_values, ActFill::random};
        tester.weights(kWeights[e % 3]).activations(kActs[e / 3 % 3]);
      }
      std::vector<int8_t> weights, a;
      tester.make_inputs(&weights, &a);
      std::vector<int32_t> base = tester.reference(weights, a);   // what the base kernel returns
      const size_t k_total = tester.total_k();
      if (t2u8) {   // sum t * (a + 128)
        for (size_t j = 0; j < nc; ++j) {
          int32_t t_sum = 0;
          for (size_t kk = 0; kk < k_total; ++kk) t_sum += weights[j * k_total + kk];
          for (size_t r = 0; r < mr; ++r) base[r * nc + j] += 128 * t_sum;
        }
      }
      std::vector<uint8_t> packed(t2i8_packed_bytes(*kernel, nc, k_total));
      if (int8_weights) {
        i8i8_pack_weights(*kernel, weights.data(), nc, k_total, packed.data());
      } else {
        t2i8_pack_weights(*kernel, tester.codes_of(weights).data(), nc, k_total, packed.data());
      }
      std::vector<int32_t> a_sums(mr, 0), slice_sums(mr);
      for (size_t q = 0; q < slices; ++q) {
        t2i8_activation_sums(mr, k, a.data() + tester.a_index(0, q, 0), tester.get_a_stride(), slice_sums.data());
        for (size_t r = 0; r < mr; ++r) a_sums[r] += slice_sums[r];
      }
      if (u8_form != nullptr) {
        for (int8_t& v : a) v = int8_t(v ^ 0x80);
      }
      // Terms: one trial in 4 unbounded (multipliers 0.5 to 2 and NaN: the form clamps in float
      // first), the others within the bound it may skip that clamp for; y spreads over about +-150
      // so both int8 ends are hit.
      const bool unbounded = !extreme && trial % 4 == 3;
      unbounded_trials += unbounded;
      const float spread = 150.0f / ((int8_weights ? 73.0f : 0.8f) * 74.0f * std::sqrt(float(k_total)));
      std::vector<int32_t> correction(nc);
      std::vector<float> multiplier(nc), offset(nc);
      for (size_t j = 0; j < nc; ++j) {
        correction[j] = int32_t(rng() % 20001) - 10000;
        multiplier[j] = std::min(0.25f, spread * (0.5f + 0.5f * std::abs(unit(rng))));
        offset[j] = 40.0f * unit(rng) + float(correction[j]) * multiplier[j];   // y centred again
        if (unbounded && j % 3 == 0) multiplier[j] = j % 2 ? nan : 0.5f + 1.5f * std::abs(unit(rng));
        if (unbounded && j % 6 == 0) {   // y beyond +-2^31: converted unclamped, it would wrap to out_min
          correction[j] = (j % 12 ? 1 : -1) * int32_t(1500000000 + rng() % 1000);
          multiplier[j] = 1.5f;
          offset[j] = 0.0f;
        }
      }
      const std::pair<int8_t, int8_t> ranges[] = {{-128, 127}, {0, 127}, {-20, 45}};
      const auto range = ranges[trial % 3];
      const size_t c_stride = nc + rng() % 6;
      const int8_t sentinel = 0x5A;
      std::vector<int8_t> c(mr * c_stride + 64, sentinel);
      RequantS8Terms terms{correction.data(), multiplier.data(), offset.data(), range.first, range.second};
      // Every other trial the HardSwish form (offset without a zero point, a random output zero point);
      // one in four the residual form (rows of their own stride, extreme values and zero points; in half
      // of them a residual multiplier past the bound under which the float clamp is skipped, or NaN).
      const bool hswish = trial % 2 == 1;
      if (hswish) {
        terms.hardswish = true;
        terms.slope = 0.02f + 0.2f * std::abs(unit(rng));
        terms.zero_point = float(int(rng() % 41) - 20);
      }
      const bool residual = trial % 4 == 2;
      const size_t r_stride = nc + rng() % 5;
      std::vector<int8_t> residual_rows(residual ? (mr - 1) * r_stride + nc : 0);
      for (int8_t& v : residual_rows) v = int8_t(trial % 8 == 6 ? (rng() % 2 ? 127 : -128) : int(rng() % 256) - 128);
      if (residual) {
        terms.residual = residual_rows.data();
        terms.residual_stride = r_stride;
        terms.residual_zero_point = int32_t(rng() % 256) - 128;
        terms.residual_multiplier = 0.1f + 1.5f * std::abs(unit(rng));
        if (trial % 8 == 2) terms.residual_multiplier = trial % 16 == 2 ? 3e7f : nan;
      }
      // Layouts without activation sums get none: the form must not read them.
      form.fn(mr, nc, k, slices, a.data(), tester.get_a_stride(), tester.get_a_slice_stride(), packed.data(),
              layout_uses_activation_sums(kernel->layout) && !t2u8 ? a_sums.data() : nullptr, terms, c.data(),
              c_stride);
      INFO(form.name, " trial ", trial, " ", tester.describe(), " range [", int(range.first), ", ",
           int(range.second), "]", unbounded ? " unbounded terms" : "", hswish ? " hardswish" : "",
           residual ? " residual" : "");
      size_t mismatches = 0, overwritten = 0;
      for (size_t r = 0; r < mr; ++r) {
        for (size_t j = 0; j < nc; ++j) {
          const int32_t x = base[r * nc + j] - correction[j];
          const int8_t want =
              hswish     ? hswish_requantize(x, multiplier[j], offset[j], terms.slope, terms.zero_point, range.first,
                                             range.second)
              : residual ? residual_requantize(x, multiplier[j], offset[j], residual_rows[r * r_stride + j],
                                               terms.residual_zero_point, terms.residual_multiplier, range.first,
                                               range.second)
                         : requantize(x, multiplier[j], offset[j], range.first, range.second);
          saturated_low += want == -128;
          saturated_high += want == 127;
          if (c[r * c_stride + j] != want && ++mismatches <= 3) {
            FAIL_CHECK("row ", r, " col ", j, ": got ", int(c[r * c_stride + j]), " expected ", int(want));
          }
        }
        for (size_t j = nc; j < c_stride; ++j) overwritten += c[r * c_stride + j] != sentinel;
      }
      for (size_t i = mr * c_stride; i < c.size(); ++i) overwritten += c[i] != sentinel;
      CHECK(mismatches == 0);
      CHECK(overwritten == 0);
    }
  }
  if (saturated_low + saturated_high + unbounded_trials > 0) {   // some form ran: its data hit both ends
    CHECK(saturated_low > 0);
    CHECK(saturated_high > 0);
  }
}

}  // namespace ternrt_test
