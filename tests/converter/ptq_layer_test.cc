// Weight-side PTQ steps on synthetic layers (converter/ptq/layer_ptq.h): every check compares
// against quantities computed directly from the raw rows, not from the statistics under test.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "ptq/layer_ptq.h"
#include "quantizer.h"

using namespace ternrt::ptq;

namespace {

struct Synthetic {
  size_t n = 0, k = 0, rows = 0;
  std::vector<float> x, xq, w, bias;
};

// Rows with a per-input mean (so bias and scale interact) and xq = x + noise (the quantized
// model's input differs from the float model's, as after earlier ternary layers).
Synthetic make_layer(size_t n, size_t k, size_t rows, float noise, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Synthetic s{n, k, rows, {}, {}, {}, {}};
  std::vector<float> mean(k);
  for (float& m : mean) m = 0.5f * normal(rng);
  for (size_t p = 0; p < rows; ++p)
    for (size_t i = 0; i < k; ++i) {
      const float v = std::max(0.0f, mean[i] + normal(rng));  // ReLU-like inputs
      s.x.push_back(v);
      s.xq.push_back(v + noise * normal(rng));
    }
  for (size_t i = 0; i < n * k; ++i) s.w.push_back(0.1f * normal(rng));
  for (size_t i = 0; i < n; ++i) s.bias.push_back(0.2f * normal(rng));
  return s;
}

LayerStats stats_of(const Synthetic& s, const std::vector<int8_t>& trits, bool gram) {
  LayerStats st(s.n, s.k, gram);
  // Two batches: accumulation across calls must equal one pass.
  const size_t half = s.rows / 2;
  st.add_rows(s.x.data(), s.xq.data(), half, s.w.data(), trits.data());
  st.add_rows(s.x.data() + half * s.k, s.xq.data() + half * s.k, s.rows - half, s.w.data(), trits.data());
  return st;
}

TernaryLayer data_free(const Synthetic& s, ternrt::quantize::Method method) {
  ternrt::quantize::Options o;
  o.method = method;
  const ternrt::quantize::Result q = ternrt::quantize::ternarize(s.w.data(), s.n, s.k, o, "synthetic");
  return TernaryLayer{q.trits, q.scales, q.thresholds, s.bias};
}

// Direct output error of channel n: sum over rows of (<w,x> + b - alpha <t,xq> - c)^2.
double direct_error(const Synthetic& s, const TernaryLayer& l, size_t n) {
  double e = 0;
  const float alpha = l.scales.size() == 1 ? l.scales[0] : l.scales[n];
  for (size_t p = 0; p < s.rows; ++p) {
    double y = s.bias[n], z = 0;
    for (size_t i = 0; i < s.k; ++i) {
      y += double(s.w[n * s.k + i]) * s.x[p * s.k + i];
      z += double(l.trits[n * s.k + i]) * s.xq[p * s.k + i];
    }
    const double d = y - (alpha * z + l.bias[n]);
    e += d * d;
  }
  return e;
}

double direct_total(const Synthetic& s, const TernaryLayer& l) {
  double e = 0;
  for (size_t n = 0; n < s.n; ++n) e += direct_error(s, l, n);
  return e;
}

// Sum of squares of the float layer's outputs over all rows: the signal of the output SQNR.
double float_output_energy(const Synthetic& s) {
  double signal = 0;
  for (size_t n = 0; n < s.n; ++n)
    for (size_t p = 0; p < s.rows; ++p) {
      double y = s.bias[n];
      for (size_t i = 0; i < s.k; ++i) y += double(s.w[n * s.k + i]) * s.x[p * s.k + i];
      signal += y * y;
    }
  return signal;
}

}  // namespace

TEST_CASE("bias correction removes a known injected output shift") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq bias correction seed %u\n", seed);
  Synthetic s = make_layer(6, 20, 400, 0.0f, seed);
  // Weights that are exactly ternary: without the shift the ternary layer is exact.
  std::mt19937 rng(seed + 1);
  std::uniform_int_distribution<int> trit(-1, 1);
  TernaryLayer l;
  for (size_t n = 0; n < s.n; ++n) {
    const float alpha = 0.05f + 0.01f * float(n);
    l.scales.push_back(alpha);
    l.thresholds.push_back(alpha / 2);
    for (size_t i = 0; i < s.k; ++i) {
      const int t = trit(rng);
      l.trits.push_back(static_cast<int8_t>(t));
      s.w[n * s.k + i] = alpha * float(t);
    }
  }
  std::vector<float> shift(s.n);
  for (size_t n = 0; n < s.n; ++n) {
    shift[n] = 0.3f * float(n) - 0.7f;
    l.bias.push_back(s.bias[n] - shift[n]);  // the stored bias is off by a known amount
  }
  CHECK(direct_total(s, l) > 1.0);
  const LayerStats st = stats_of(s, l.trits, false);
  StepOptions o;
  o.scale_refit = false;
  const StepSqnr sq = optimize_layer(st, s.w.data(), s.bias, &l, o);
  for (size_t n = 0; n < s.n; ++n) CHECK(l.bias[n] == doctest::Approx(s.bias[n]).epsilon(1e-4));
  CHECK(direct_total(s, l) < 1e-6);
  CHECK(sq.bias > 60.0);
  CHECK(std::isnan(sq.refit));
  CHECK(sq.data_free < 30.0);
}

TEST_CASE("least-squares scale refit reaches the closed-form optimum") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq scale refit seed %u\n", seed);
  const Synthetic s = make_layer(5, 27, 300, 0.05f, seed);
  TernaryLayer l = data_free(s, ternrt::quantize::Method::mquant);
  const LayerStats st = stats_of(s, l.trits, false);
  StepOptions o;
  o.bias_correction = false;
  const double before = direct_total(s, l);
  optimize_layer(st, s.w.data(), s.bias, &l, o);
  for (size_t n = 0; n < s.n; ++n) {
    // alpha* = <y - b, z> / <z, z> over the raw rows.
    double yz = 0, zz = 0;
    for (size_t p = 0; p < s.rows; ++p) {
      double y = 0, z = 0;
      for (size_t i = 0; i < s.k; ++i) {
        y += double(s.w[n * s.k + i]) * s.x[p * s.k + i];
        z += double(l.trits[n * s.k + i]) * s.xq[p * s.k + i];
      }
      yz += y * z;
      zz += z * z;
    }
    CHECK(l.scales[n] == doctest::Approx(yz / zz).epsilon(1e-4));
    // It is a minimum: moving the scale either way costs.
    TernaryLayer up = l, down = l;
    up.scales[n] *= 1.01f;
    down.scales[n] *= 0.99f;
    CHECK(direct_error(s, up, n) > direct_error(s, l, n));
    CHECK(direct_error(s, down, n) > direct_error(s, l, n));
  }
  CHECK(direct_total(s, l) <= before);
}

TEST_CASE("scale refit + bias correction is the joint least-squares fit") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq joint fit seed %u\n", seed);
  const Synthetic s = make_layer(4, 18, 250, 0.1f, seed);
  TernaryLayer l = data_free(s, ternrt::quantize::Method::tquant);
  const LayerStats st = stats_of(s, l.trits, false);
  const StepSqnr sq = optimize_layer(st, s.w.data(), s.bias, &l, StepOptions{});
  CHECK(sq.refit >= sq.data_free - 1e-9);
  CHECK(sq.bias >= sq.refit - 1e-9);
  for (size_t n = 0; n < s.n; ++n) {
    // Gradient of the direct error in (alpha, c) vanishes at the optimum: probe both directions.
    const double e = direct_error(s, l, n);
    for (int d : {-1, 1}) {
      TernaryLayer a = l, c = l;
      a.scales[n] *= 1.0f + 0.01f * float(d);
      c.bias[n] += 0.01f * float(d) * (std::fabs(l.bias[n]) + 0.1f);
      CHECK(direct_error(s, a, n) >= e);
      CHECK(direct_error(s, c, n) >= e);
    }
  }
}

TEST_CASE("threshold search never increases the layer's output error") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq threshold search seed %u\n", seed);
  for (int trial = 0; trial < 6; ++trial) {
    const Synthetic s = make_layer(4 + trial, 16 + 5 * trial, 200, 0.02f * trial, seed + trial);
    for (auto method : {ternrt::quantize::Method::mquant, ternrt::quantize::Method::twn, ternrt::quantize::Method::rtn}) {
      for (int flags = 0; flags < 4; ++flags) {
        TernaryLayer l = data_free(s, method);
        const LayerStats st = stats_of(s, l.trits, true);
        StepOptions o;
        o.scale_refit = flags & 1;
        o.bias_correction = flags & 2;
        o.threshold_search = false;
        TernaryLayer without = l;
        optimize_layer(st, s.w.data(), s.bias, &without, o);
        o.threshold_search = true;
        const StepSqnr sq = optimize_layer(st, s.w.data(), s.bias, &l, o);
        const double e_without = direct_total(s, without), e_with = direct_total(s, l);
        CAPTURE(trial);
        CAPTURE(flags);
        CHECK(e_with <= e_without * (1 + 1e-6) + 1e-9);
        // The reported SQNR is the direct one.
        const double signal = float_output_energy(s);
        CHECK(sq.threshold == doctest::Approx(10 * std::log10(signal / e_with)).epsilon(1e-4));
        // Trits still follow the recorded threshold rule.
        for (size_t n = 0; n < s.n; ++n)
          for (size_t i = 0; i < s.k; ++i) {
            const float w = s.w[n * s.k + i];
            const int8_t t = l.trits[n * s.k + i];
            if (t != without.trits[n * s.k + i]) CHECK(t == (std::fabs(w) > l.thresholds[n] ? (w > 0 ? 1 : -1) : 0));
          }
        for (float a : l.scales) CHECK((std::isfinite(a) && a > 0));
      }
    }
  }
}

TEST_CASE("per-tensor scale refit fits one scale for the whole layer") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq per-tensor seed %u\n", seed);
  const Synthetic s = make_layer(5, 12, 200, 0.0f, seed);
  ternrt::quantize::Options qo;
  qo.per_channel = false;
  const auto q = ternrt::quantize::ternarize(s.w.data(), s.n, s.k, qo, "synthetic");
  TernaryLayer l{q.trits, q.scales, q.thresholds, s.bias};
  const LayerStats st = stats_of(s, l.trits, true);
  const double before = direct_total(s, l);
  StepOptions o;
  o.threshold_search = true;  // not applicable per tensor: must leave the trits alone
  const StepSqnr sq = optimize_layer(st, s.w.data(), s.bias, &l, o);
  CHECK(l.scales.size() == 1);
  CHECK(l.trits == q.trits);
  CHECK(std::isnan(sq.threshold));
  CHECK(direct_total(s, l) <= before);
}

TEST_CASE("trit refinement lowers the output error left by the threshold search") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq trit refinement seed %u\n", seed);
  double sum_with = 0, sum_without = 0;
  for (int trial = 0; trial < 4; ++trial) {
    const Synthetic s = make_layer(4 + trial, 16 + 6 * trial, 300, 0.3f, seed + trial);
    for (auto method : {ternrt::quantize::Method::mquant, ternrt::quantize::Method::tquant}) {
      for (int flags = 0; flags < 4; ++flags) {
        TernaryLayer l = data_free(s, method);
        const LayerStats st = stats_of(s, l.trits, true);
        StepOptions o;
        o.scale_refit = flags & 1;
        o.bias_correction = flags & 2;
        o.threshold_search = true;
        TernaryLayer without = l;
        optimize_layer(st, s.w.data(), s.bias, &without, o);
        o.trit_search = true;
        const StepSqnr sq = optimize_layer(st, s.w.data(), s.bias, &l, o);
        const double e_without = direct_total(s, without), e_with = direct_total(s, l);
        CAPTURE(trial);
        CAPTURE(flags);
        // Per channel, never worse than the threshold search (checked on the raw rows).
        for (size_t n = 0; n < s.n; ++n) CHECK(direct_error(s, l, n) <= direct_error(s, without, n) * (1 + 1e-6) + 1e-9);
        const double signal = float_output_energy(s);
        CHECK(sq.trits == doctest::Approx(10 * std::log10(signal / e_with)).epsilon(1e-4));
        for (float a : l.scales) CHECK((std::isfinite(a) && a > 0));
        for (int8_t t : l.trits) CHECK((t >= -1 && t <= 1));
        sum_with += e_with;
        sum_without += e_without;
      }
    }
  }
  // With noisy, correlated inputs the threshold rule is far from the best trits: a clear gain.
  std::printf("trit refinement: total error %.4g -> %.4g\n", sum_without, sum_with);
  CHECK(sum_with < 0.95 * sum_without);
}

TEST_CASE("float refit reproduces the float output from an affinely shifted input") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq float refit seed %u\n", seed);
  // xq = a * x + b per input: an exact refit exists (w_i / a_i, bias absorbs the offsets).
  Synthetic s = make_layer(3, 10, 400, 0.0f, seed);
  std::mt19937 rng(seed + 7);
  std::uniform_real_distribution<float> gain(0.6f, 1.4f), offset(-0.3f, 0.3f);
  std::vector<float> a(s.k), b(s.k);
  for (size_t i = 0; i < s.k; ++i) {
    a[i] = gain(rng);
    b[i] = offset(rng);
  }
  for (size_t p = 0; p < s.rows; ++p)
    for (size_t i = 0; i < s.k; ++i) s.xq[p * s.k + i] = a[i] * s.x[p * s.k + i] + b[i];
  const std::vector<int8_t> no_trits(s.n * s.k, 0);
  const LayerStats st = stats_of(s, no_trits, true);
  for (size_t n = 0; n < s.n; ++n) {
    CAPTURE(n);
    // Direct error of float weights w with bias c on xq.
    auto error = [&](const float* w, float c) {
      double e = 0;
      for (size_t p = 0; p < s.rows; ++p) {
        double y = s.bias[n], yq = c;
        for (size_t i = 0; i < s.k; ++i) {
          y += double(s.w[n * s.k + i]) * s.x[p * s.k + i];
          yq += double(w[i]) * s.xq[p * s.k + i];
        }
        e += (y - yq) * (y - yq);
      }
      return e;
    };
    const double before = error(&s.w[n * s.k], s.bias[n]);
    std::vector<float> w(s.k);
    float c = 0;
    REQUIRE(refit_float_channel(st, n, &s.w[n * s.k], s.bias[n], 0.0, w.data(), &c));
    CHECK(error(w.data(), c) < 1e-6 * before);
    for (size_t i = 0; i < s.k; ++i) CHECK(w[i] == doctest::Approx(s.w[n * s.k + i] / a[i]).epsilon(1e-3).scale(1e-3));
    // A ridge pulls toward the float weights: error in between, never above the bias-only fit.
    std::vector<float> wr(s.k);
    float cr = 0;
    REQUIRE(refit_float_channel(st, n, &s.w[n * s.k], s.bias[n], 1.0, wr.data(), &cr));
    double mean_shift = 0;
    for (size_t p = 0; p < s.rows; ++p)
      for (size_t i = 0; i < s.k; ++i) mean_shift += double(s.w[n * s.k + i]) * (s.x[p * s.k + i] - s.xq[p * s.k + i]);
    const double bias_only = error(&s.w[n * s.k], static_cast<float>(s.bias[n] + mean_shift / double(s.rows)));
    CHECK(error(wr.data(), cr) <= bias_only * (1 + 1e-6));
    CHECK(error(wr.data(), cr) > error(w.data(), c));
  }
  // One factorization serves every channel (solve must not depend on earlier solves): the same bits
  // as a fresh refit per channel, channels taken in reverse order.
  for (double ridge : {0.0, 1.0}) {
    const FloatRefit shared(st, ridge);
    for (size_t n = s.n; n-- > 0;) {
      std::vector<float> w1(s.k), w2(s.k);
      float c1 = 0, c2 = 0;
      REQUIRE(shared.solve(n, &s.w[n * s.k], s.bias[n], w1.data(), &c1));
      REQUIRE(refit_float_channel(st, n, &s.w[n * s.k], s.bias[n], ridge, w2.data(), &c2));
      CHECK(w1 == w2);
      CHECK(c1 == c2);
    }
  }
}

TEST_CASE("cross-validated float ridge: weak for a well-posed shift, strong for few noisy rows") {
  const uint32_t seed = std::random_device{}();
  std::printf("ptq float ridge seed %u\n", seed);
  auto folds = [](const Synthetic& s, std::vector<LayerStats>* a, std::vector<LayerStats>* b) {
    const std::vector<int8_t> no_trits(s.n * s.k, 0);
    a->assign(1, LayerStats(s.n, s.k, true));
    b->assign(1, LayerStats(s.n, s.k, true));
    for (size_t p = 0; p < s.rows; ++p)
      ((p % 2) ? *b : *a)[0].add_rows(&s.x[p * s.k], &s.xq[p * s.k], 1, s.w.data(), no_trits.data());
  };
  // Many rows, xq an affine map of x: the exact refit generalizes, so a weak ridge wins.
  Synthetic good = make_layer(3, 8, 600, 0.0f, seed);
  for (size_t p = 0; p < good.rows; ++p)
    for (size_t i = 0; i < good.k; ++i) good.xq[p * good.k + i] = (0.7f + 0.05f * i) * good.x[p * good.k + i] - 0.1f;
  std::vector<LayerStats> a, b;
  folds(good, &a, &b);
  const double weak = choose_float_ridge(a, b, good.n, good.w.data(), good.bias);
  CHECK(weak <= 1e-2);
  // Fewer rows than inputs and xq = x + small noise: the float weights are nearly right, a fit on
  // 15 rows per fold would interpolate the noise.
  Synthetic bad = make_layer(3, 40, 30, 0.1f, seed + 1);
  folds(bad, &a, &b);
  const double strong = choose_float_ridge(a, b, bad.n, bad.w.data(), bad.bias);
  CHECK(strong >= 1);
}
