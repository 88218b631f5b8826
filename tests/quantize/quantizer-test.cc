// Ternary quantizers against independent brute-force computations (docs/quantizers.md).
// Random weights are Gaussian, Laplace and Student-t (df = 3); every random test prints its seed
// (TERNRT_TEST_SEED overrides it). TERNRT_PRINT_QUANT_TABLE=1 prints the table of the docs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "quantizer.h"

namespace tq = ternrt::quantize;

namespace {

enum class Dist { gaussian, laplace, student_t3 };
constexpr Dist kDists[] = {Dist::gaussian, Dist::laplace, Dist::student_t3};
constexpr tq::Method kMethods[] = {tq::Method::rtn, tq::Method::twn, tq::Method::tquant,
                                   tq::Method::mquant, tq::Method::l2opt};

const char* dist_name(Dist d) {
  switch (d) {
    case Dist::gaussian: return "gaussian";
    case Dist::laplace: return "laplace";
    case Dist::student_t3: return "student-t3";
  }
  return "?";
}

uint64_t test_seed(const char* what, uint64_t offset) {
  const char* env = std::getenv("TERNRT_TEST_SEED");
  const uint64_t seed = (env != nullptr ? std::strtoull(env, nullptr, 0) : 7919ull) + offset;
  std::printf("%s: seed %llu (TERNRT_TEST_SEED=%llu to reproduce)\n", what,
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed - offset));
  return seed;
}

// Unit-variance samples of each distribution (scale only; all are symmetric about 0).
std::vector<float> draw(Dist dist, size_t count, std::mt19937_64& rng) {
  std::vector<float> w(count);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::exponential_distribution<double> exponential(1.0);
  std::bernoulli_distribution coin(0.5);
  std::student_t_distribution<double> student(3.0);
  for (float& v : w) {
    switch (dist) {
      case Dist::gaussian: v = static_cast<float>(normal(rng)); break;
      case Dist::laplace:  // b = 1/sqrt(2) gives variance 2 b^2 = 1
        v = static_cast<float>((coin(rng) ? 1 : -1) * exponential(rng) / std::sqrt(2.0));
        break;
      case Dist::student_t3: v = static_cast<float>(student(rng) / std::sqrt(3.0)); break;
    }
  }
  return w;
}

// --- Independent reference computations (no code shared with the library) ---

int ref_trit(double w, double t) { return std::fabs(w) > t ? (w > 0 ? 1 : -1) : 0; }

double ref_mse(const float* w, size_t count, double t, double a) {
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    const double e = w[i] - a * ref_trit(w[i], t);
    sum += e * e;
  }
  return sum / static_cast<double>(count);
}

double ref_max_error(const float* w, size_t count, double t, double a) {
  double worst = 0;
  for (size_t i = 0; i < count; ++i) worst = std::max(worst, std::fabs(w[i] - a * ref_trit(w[i], t)));
  return worst;
}

double ref_max_abs(const float* w, size_t count) {
  double m = 0;
  for (size_t i = 0; i < count; ++i) m = std::max(m, std::fabs(static_cast<double>(w[i])));
  return m;
}

// mean |w| over |w| > t; NaN when nothing is kept.
double ref_centroid(const float* w, size_t count, double t) {
  double sum = 0;
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    if (std::fabs(w[i]) > t) {
      sum += std::fabs(w[i]);
      ++kept;
    }
  }
  return kept != 0 ? sum / static_cast<double>(kept) : std::nan("");
}

// Phi^-1(2/3) by bisection on the normal CDF written with std::erf.
double ref_gaussian_third_quantile() {
  double lo = 0, hi = 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    const double cdf = 0.5 * (1 + std::erf(mid / std::sqrt(2.0)));
    (cdf < 2.0 / 3.0 ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

// Lloyd-Max on magnitudes: t = a/2, a = centroid of |w| > t, from a start level, until stable.
double lloyd_max_mse(const float* w, size_t count, double a) {
  for (int iteration = 0; iteration < 1000; ++iteration) {
    const double next = ref_centroid(w, count, a / 2);
    if (std::isnan(next) || next == a) break;
    a = next;
  }
  return ref_mse(w, count, a / 2, a);
}

// MSE of row r of a result (per-channel scales).
double result_row_mse(const float* w, size_t k, const tq::Result& result, size_t r) {
  const double scale = result.scales.size() == 1 ? result.scales[0] : result.scales[r];
  double sum = 0;
  for (size_t c = 0; c < k; ++c) {
    const double e = w[r * k + c] - scale * result.trits[r * k + c];
    sum += e * e;
  }
  return sum / static_cast<double>(k);
}

double result_row_max_error(const float* w, size_t k, const tq::Result& result, size_t r) {
  const double scale = result.scales.size() == 1 ? result.scales[0] : result.scales[r];
  double worst = 0;
  for (size_t c = 0; c < k; ++c) {
    worst = std::max(worst, std::fabs(w[r * k + c] - scale * result.trits[r * k + c]));
  }
  return worst;
}

tq::Options options_for(tq::Method method, bool per_channel = true) {
  tq::Options o;
  o.method = method;
  o.per_channel = per_channel;
  return o;
}

bool result_is_valid(const tq::Result& r, size_t n, size_t k, size_t groups) {
  if (r.trits.size() != n * k || r.scales.size() != groups || r.thresholds.size() != groups ||
      r.levels.size() != groups) {
    return false;
  }
  for (int8_t t : r.trits) {
    if (t < -1 || t > 1) return false;
  }
  for (size_t g = 0; g < groups; ++g) {
    if (!std::isfinite(r.scales[g]) || !(r.scales[g] > 0)) return false;
    if (!std::isfinite(r.thresholds[g]) || r.thresholds[g] < 0) return false;
    if (!std::isfinite(r.levels[g]) || r.levels[g] < 0) return false;
  }
  return true;
}

// Codes equal sign(w) * (|w| > t) for the reported threshold, except within `slack` of t.
size_t threshold_rule_mismatches(const float* w, size_t count, const int8_t* trits, double t,
                                 double slack) {
  size_t bad = 0;
  for (size_t i = 0; i < count; ++i) {
    if (std::fabs(std::fabs(w[i]) - t) <= slack) continue;
    bad += trits[i] != ref_trit(w[i], t);
  }
  return bad;
}

}  // namespace

TEST_CASE("method names") {
  for (tq::Method m : kMethods) {
    tq::Method parsed = tq::Method::rtn;
    CHECK(tq::parse_method(tq::method_name(m), &parsed));
    CHECK(parsed == m);
  }
  CHECK(std::string(tq::method_name(tq::Method::tquant)) == "tquant");
  tq::Method untouched = tq::Method::twn;
  CHECK_FALSE(tq::parse_method("TQuant", &untouched));
  CHECK_FALSE(tq::parse_method("", &untouched));
  CHECK_FALSE(tq::parse_method("mquant ", &untouched));
  CHECK(untouched == tq::Method::twn);
}

TEST_CASE("rtn and twn match their formulas") {
  std::mt19937_64 rng(test_seed("rtn/twn formulas", 1));
  const size_t n = 6, k = 300;
  for (Dist dist : kDists) {
    const std::string dist_label = dist_name(dist);
    CAPTURE(dist_label);
    const std::vector<float> w = draw(dist, n * k, rng);
    for (bool per_channel : {true, false}) {
      CAPTURE(per_channel);
      const size_t groups = per_channel ? n : 1, size = per_channel ? k : n * k;
      const tq::Result rtn = tq::ternarize(w.data(), n, k, options_for(tq::Method::rtn, per_channel), "w");
      const tq::Result twn = tq::ternarize(w.data(), n, k, options_for(tq::Method::twn, per_channel), "w");
      REQUIRE(result_is_valid(rtn, n, k, groups));
      REQUIRE(result_is_valid(twn, n, k, groups));
      for (size_t g = 0; g < groups; ++g) {
        const float* group = w.data() + g * size;
        const double m = ref_max_abs(group, size);
        // rtn: t = M/2 and a = M are exact in float.
        CHECK(rtn.thresholds[g] == static_cast<float>(m / 2));
        CHECK(rtn.levels[g] == static_cast<float>(m));
        CHECK(rtn.scales[g] == rtn.levels[g]);
        CHECK(threshold_rule_mismatches(group, size, rtn.trits.data() + g * size, m / 2, 0) == 0);
        // The same via round-and-clip with s = M.
        for (size_t i = 0; i < size; ++i) {
          const double q = std::clamp(std::nearbyint(group[i] / m), -1.0, 1.0);
          if (std::fabs(std::fabs(group[i]) - m / 2) > 1e-9 * m) CHECK(rtn.trits[g * size + i] == q);
        }
        // twn: t = 0.7 mean|w|, a = mean |w| over |w| > t.
        double sum_abs = 0;
        for (size_t i = 0; i < size; ++i) sum_abs += std::fabs(group[i]);
        const double t = 0.7 * sum_abs / static_cast<double>(size);
        const double a = ref_centroid(group, size, t);
        CHECK(twn.thresholds[g] == doctest::Approx(t).epsilon(1e-6));
        CHECK(twn.levels[g] == doctest::Approx(a).epsilon(1e-6));
        CHECK(threshold_rule_mismatches(group, size, twn.trits.data() + g * size, t, 1e-5 * t) == 0);
        CHECK(threshold_rule_mismatches(group, size, twn.trits.data() + g * size, twn.thresholds[g], 0) == 0);
      }
    }
  }
}

TEST_CASE("tquant: max error is the grid minimum of (t, a)") {
  std::mt19937_64 rng(test_seed("tquant grid", 2));
  const size_t n = 3, k = 1152;
  // 127 steps: M/3 and 2M/3 are not grid points, so the grid does not contain TQuant's answer.
  const int steps = 127;
  for (Dist dist : kDists) {
    const std::string dist_label = dist_name(dist);
    CAPTURE(dist_label);
    const std::vector<float> w = draw(dist, n * k, rng);
    const tq::Result r = tq::ternarize(w.data(), n, k, options_for(tq::Method::tquant), "w");
    REQUIRE(result_is_valid(r, n, k, n));
    for (size_t row = 0; row < n; ++row) {
      CAPTURE(row);
      const float* g = w.data() + row * k;
      const double m = ref_max_abs(g, k);
      CHECK(r.thresholds[row] == doctest::Approx(m / 3).epsilon(1e-7));
      CHECK(r.levels[row] == doctest::Approx(2 * m / 3).epsilon(1e-7));
      CHECK(threshold_rule_mismatches(g, k, r.trits.data() + row * k, r.thresholds[row], 0) == 0);
      const double tquant_error = result_row_max_error(w.data(), k, r, row);
      // The largest weight is kept at 2M/3 and nothing is farther than M/3 from its level.
      CHECK(tquant_error == doctest::Approx(m / 3).epsilon(1e-6));
      double grid_min = std::numeric_limits<double>::infinity();
      const double step = m / steps;
      for (int i = 0; i <= steps; ++i) {
        for (int j = 1; j <= steps; ++j) grid_min = std::min(grid_min, ref_max_error(g, k, i * step, j * step));
      }
      // Within grid resolution: the grid point nearest (M/3, 2M/3) has worst case <= M/3 + step.
      CHECK(grid_min <= tquant_error + step);
      // Never worse than any grid point, up to the data gap around M/3: on finite data a (t, a)
      // can beat M/3 only through the gap between the largest |w| <= M/3 and the smallest above
      // (its worst case is >= (M - gap) / 3; derivation in docs/quantizers.md).
      double below = 0, above = m;
      for (size_t i = 0; i < k; ++i) {
        const double v = std::fabs(g[i]);
        if (v <= m / 3) below = std::max(below, v);
        else above = std::min(above, v);
      }
      const double gap = above - below;
      CHECK(tquant_error <= grid_min + gap / 3 + 1e-6 * m);
      std::printf("  %s row %zu: tquant max error %.5f, grid min %.5f, gap/3 %.5f\n", dist_name(dist),
                  row, tquant_error, grid_min, gap / 3);
    }
  }
}

TEST_CASE("l2opt: exact optimum by exhaustive search over kept sets (small rows)") {
  std::mt19937_64 rng(test_seed("l2opt exhaustive", 3));
  for (Dist dist : kDists) {
    for (size_t k = 1; k <= 12; ++k) {
      for (int trial = 0; trial < 4; ++trial) {
        const std::vector<float> w = draw(dist, k, rng);
        double best = std::numeric_limits<double>::infinity();
        for (uint32_t set = 1; set < (1u << k); ++set) {
          double sum = 0;
          int kept = 0;
          for (size_t i = 0; i < k; ++i) {
            if (set >> i & 1) {
              sum += std::fabs(w[i]);
              ++kept;
            }
          }
          const double a = sum / kept;
          double error = 0;
          for (size_t i = 0; i < k; ++i) {
            const double e = (set >> i & 1) ? std::fabs(w[i]) - a : w[i];
            error += e * e;
          }
          best = std::min(best, error / static_cast<double>(k));
        }
        const tq::Result r = tq::ternarize(w.data(), 1, k, options_for(tq::Method::l2opt), "w");
        REQUIRE(result_is_valid(r, 1, k, 1));
        const double mse = tq::error_stats(w.data(), 1, k, r).mse;
        const std::string dist_label = dist_name(dist);
        CAPTURE(dist_label);
        CAPTURE(k);
        CHECK(mse <= best * (1 + 1e-6) + 1e-15);
        CHECK(mse >= best * (1 - 1e-6) - 1e-15);
      }
    }
  }
}

TEST_CASE("l2opt: not beaten by a (t, a) grid, a centroid t-scan or Lloyd-Max") {
  std::mt19937_64 rng(test_seed("l2opt grid", 4));
  const size_t n = 3, k = 1152;
  for (Dist dist : kDists) {
    const std::string dist_label = dist_name(dist);
    CAPTURE(dist_label);
    const std::vector<float> w = draw(dist, n * k, rng);
    const tq::Result r = tq::ternarize(w.data(), n, k, options_for(tq::Method::l2opt), "w");
    REQUIRE(result_is_valid(r, n, k, n));
    for (size_t row = 0; row < n; ++row) {
      CAPTURE(row);
      const float* g = w.data() + row * k;
      const double m = ref_max_abs(g, k);
      const double mse = result_row_mse(w.data(), k, r, row);
      const double tolerance = 1e-9 + 1e-7 * mse;
      const int steps = 150;
      double grid_min = std::numeric_limits<double>::infinity();
      for (int i = 0; i <= steps; ++i) {
        for (int j = 1; j <= steps; ++j) grid_min = std::min(grid_min, ref_mse(g, k, i * m / steps, j * m / steps));
      }
      CHECK(mse <= grid_min + tolerance);
      double scan_min = std::numeric_limits<double>::infinity();
      for (int i = 0; i < 2000; ++i) {
        const double t = i * m / 2000;
        scan_min = std::min(scan_min, ref_mse(g, k, t, ref_centroid(g, k, t)));
      }
      CHECK(mse <= scan_min + tolerance);
      double sum_abs = 0, sum_sq = 0;
      for (size_t i = 0; i < k; ++i) {
        sum_abs += std::fabs(g[i]);
        sum_sq += static_cast<double>(g[i]) * g[i];
      }
      for (double start : {0.7 * sum_abs / k * 1.5, sum_abs / k, std::sqrt(sum_sq / k), 2 * m / 3, m, 0.05 * m}) {
        CHECK(mse <= lloyd_max_mse(g, k, start) + tolerance);
      }
      // The level is the centroid of the kept set; the kept set is |w| > t = a/2 up to ties.
      double kept_sum = 0;
      size_t kept = 0;
      for (size_t i = 0; i < k; ++i) {
        const int8_t t = r.trits[row * k + i];
        if (t != 0) {
          CHECK(t == (g[i] > 0 ? 1 : -1));
          kept_sum += std::fabs(g[i]);
          ++kept;
        }
      }
      REQUIRE(kept > 0);
      CHECK(r.levels[row] == doctest::Approx(kept_sum / kept).epsilon(1e-6));
      CHECK(r.thresholds[row] == doctest::Approx(r.levels[row] / 2.0).epsilon(1e-6));
      CHECK(threshold_rule_mismatches(g, k, r.trits.data() + row * k, r.thresholds[row],
                                      1e-6 * r.thresholds[row]) == 0);
      // The kept set is the top-|S| magnitudes.
      double min_kept = std::numeric_limits<double>::infinity(), max_dropped = 0;
      for (size_t i = 0; i < k; ++i) {
        if (r.trits[row * k + i] != 0) min_kept = std::min(min_kept, double{std::fabs(g[i])});
        else max_dropped = std::max(max_dropped, double{std::fabs(g[i])});
      }
      CHECK(min_kept >= max_dropped);
    }
  }
}

TEST_CASE("l2opt ties: the codes are the top-k set, lower index first") {
  // 1, 1, 1, 0.25: keeping the three ones is optimal (a = 1, error 0.0625); |w| > a/2 agrees.
  const float w[] = {1.0f, -1.0f, 1.0f, 0.25f};
  const tq::Result r = tq::ternarize(w, 1, 4, options_for(tq::Method::l2opt), "ties");
  CHECK(r.trits == std::vector<int8_t>{1, -1, 1, 0});
  CHECK(r.levels[0] == 1.0f);
  CHECK(r.thresholds[0] == 0.5f);
  // A boundary tie: for {2, 1, 1}, keeping {2} (P^2/k = 4) and {2, 1, 1} (16/3 = 5.33) and
  // {2, 1} (9/2 = 4.5): the set of all three wins, never a split of the tied ones.
  const float v[] = {1.0f, 2.0f, -1.0f};
  const tq::Result s = tq::ternarize(v, 1, 3, options_for(tq::Method::l2opt), "ties");
  CHECK(s.trits == std::vector<int8_t>{1, 1, -1});
  CHECK(s.levels[0] == doctest::Approx(4.0 / 3.0));
}

TEST_CASE("mquant: one third of the weights in the zero bin") {
  std::mt19937_64 rng(test_seed("mquant bins", 5));
  for (Dist dist : kDists) {
    const std::string dist_label = dist_name(dist);
    CAPTURE(dist_label);
    // Every k mod 3, including the smallest rows.
    for (size_t k : {1, 2, 3, 4, 5, 6, 7, 10, 11, 100, 1151, 1152, 1153}) {
      CAPTURE(k);
      const size_t n = 4;
      const std::vector<float> w = draw(dist, n * k, rng);
      for (tq::MQuantLevel level : {tq::MQuantLevel::centroid, tq::MQuantLevel::two_t}) {
        tq::Options o = options_for(tq::Method::mquant);
        o.mquant_level = level;
        const tq::Result r = tq::ternarize(w.data(), n, k, o, "w");
        REQUIRE(result_is_valid(r, n, k, n));
        for (size_t row = 0; row < n; ++row) {
          const float* g = w.data() + row * k;
          std::vector<float> magnitudes(g, g + k);
          for (float& v : magnitudes) v = std::fabs(v);
          std::sort(magnitudes.begin(), magnitudes.end());
          const size_t third = (k + 2) / 3;  // ceil(k/3)
          const float t = magnitudes[third - 1];
          CHECK(r.thresholds[row] == t);
          const size_t at_or_below = static_cast<size_t>(
              std::upper_bound(magnitudes.begin(), magnitudes.end(), t) - magnitudes.begin());
          const size_t zeros = static_cast<size_t>(std::count(r.trits.begin() + row * k,
                                                              r.trits.begin() + (row + 1) * k, 0));
          CHECK(zeros == at_or_below);
          CHECK(zeros >= third);  // equal when no other magnitude ties with t
          if (at_or_below == third) CHECK(zeros == third);
          CHECK(threshold_rule_mismatches(g, k, r.trits.data() + row * k, t, 0) == 0);
          if (level == tq::MQuantLevel::two_t) {
            CHECK(r.levels[row] == doctest::Approx(2.0 * t));
          } else if (zeros < k) {
            CHECK(r.levels[row] == doctest::Approx(ref_centroid(g, k, t)).epsilon(1e-6));
          }
        }
      }
    }
  }
  // The +/- bins: for sign-symmetric weights each holds about a third (binomial; 5 sigma).
  const size_t n = 256, k = 1152, count = n * k;
  for (Dist dist : kDists) {
    const std::vector<float> w = draw(dist, count, rng);
    const tq::Result r = tq::ternarize(w.data(), n, k, options_for(tq::Method::mquant, false), "w");
    const double plus = static_cast<double>(std::count(r.trits.begin(), r.trits.end(), 1));
    const double minus = static_cast<double>(std::count(r.trits.begin(), r.trits.end(), -1));
    const double zeros = static_cast<double>(count) - plus - minus;
    CHECK(zeros == static_cast<double>((count + 2) / 3));
    const double sigma = std::sqrt(2.0 * count / 3.0) / 2.0;
    CHECK(std::fabs(plus - count / 3.0) < 5 * sigma);
    CHECK(std::fabs(minus - count / 3.0) < 5 * sigma);
  }
}

TEST_CASE("mquant gaussian quantiles: t = Phi^-1(2/3) * rms = 0.4307 sigma") {
  std::mt19937_64 rng(test_seed("mquant gaussian", 6));
  const double c = ref_gaussian_third_quantile();
  CHECK(c == doctest::Approx(0.4307).epsilon(1e-4));
  const size_t n = 5, k = 700;
  for (Dist dist : kDists) {
    const std::string dist_label = dist_name(dist);
    CAPTURE(dist_label);
    std::vector<float> w = draw(dist, n * k, rng);
    for (size_t i = 0; i < k; ++i) w[2 * k + i] *= 100.0f;  // rows with different sigma
    for (bool per_channel : {true, false}) {
      tq::Options o = options_for(tq::Method::mquant, per_channel);
      o.mquant_quantiles = tq::QuantileSource::gaussian;
      const tq::Result r = tq::ternarize(w.data(), n, k, o, "w");
      const size_t groups = per_channel ? n : 1, size = per_channel ? k : n * k;
      REQUIRE(result_is_valid(r, n, k, groups));
      for (size_t g = 0; g < groups; ++g) {
        const float* group = w.data() + g * size;
        double sum_sq = 0;
        for (size_t i = 0; i < size; ++i) sum_sq += static_cast<double>(group[i]) * group[i];
        const double rms = std::sqrt(sum_sq / size);
        CHECK(r.thresholds[g] == doctest::Approx(c * rms).epsilon(1e-6));
        CHECK(r.levels[g] == doctest::Approx(ref_centroid(group, size, r.thresholds[g])).epsilon(1e-6));
        CHECK(threshold_rule_mismatches(group, size, r.trits.data() + g * size, r.thresholds[g], 0) == 0);
      }
    }
  }
  // On Gaussian weights the fitted quantile puts about a third in the zero bin.
  const std::vector<float> g = draw(Dist::gaussian, 256 * 1152, rng);
  tq::Options o = options_for(tq::Method::mquant, false);
  o.mquant_quantiles = tq::QuantileSource::gaussian;
  const tq::Result r = tq::ternarize(g.data(), 256, 1152, o, "w");
  CHECK(tq::error_stats(g.data(), 256, 1152, r).zero_fraction == doctest::Approx(1.0 / 3).epsilon(0.01));
}

TEST_CASE("N(0,1) constants of paper.md, measured on 10^6 samples") {
  std::mt19937_64 rng(test_seed("N(0,1) constants", 7));
  const size_t n = 1000, k = 1000;
  const std::vector<float> w = draw(Dist::gaussian, n * k, rng);
  auto stats = [&](tq::Method method, tq::MQuantLevel level, tq::Result* out) {
    tq::Options o = options_for(method, false);
    o.mquant_level = level;
    *out = tq::ternarize(w.data(), n, k, o, "w");
    return tq::error_stats(w.data(), n, k, *out);
  };
  tq::Result r;
  // paper.md section 1.3 / quick reference (analytic): equal mass t = 0.4307;
  // a = 2t: MSE 0.2418; centroid a = 1.0908: MSE 0.2068; L2 optimum t 0.612, a 1.224, MSE 0.1902.
  const tq::ErrorStats two_t = stats(tq::Method::mquant, tq::MQuantLevel::two_t, &r);
  CHECK(r.thresholds[0] == doctest::Approx(0.4307).epsilon(0.01));
  CHECK(two_t.mse == doctest::Approx(0.2418).epsilon(0.01));
  const tq::ErrorStats centroid = stats(tq::Method::mquant, tq::MQuantLevel::centroid, &r);
  CHECK(r.levels[0] == doctest::Approx(1.0908).epsilon(0.01));
  const float mquant_t = r.thresholds[0], mquant_a = r.levels[0];
  CHECK(centroid.mse == doctest::Approx(0.2068).epsilon(0.01));
  const tq::ErrorStats l2 = stats(tq::Method::l2opt, tq::MQuantLevel::centroid, &r);
  CHECK(r.thresholds[0] == doctest::Approx(0.612).epsilon(0.01));
  CHECK(r.levels[0] == doctest::Approx(1.224).epsilon(0.01));
  CHECK(l2.mse == doctest::Approx(0.1902).epsilon(0.01));
  const float l2_t = r.thresholds[0], l2_a = r.levels[0];
  const tq::ErrorStats twn = stats(tq::Method::twn, tq::MQuantLevel::centroid, &r);
  CHECK(twn.mse == doctest::Approx(0.192).epsilon(0.01));
  CHECK(centroid.mse < two_t.mse);
  CHECK(l2.mse <= twn.mse);
  if (std::getenv("TERNRT_PRINT_QUANT_TABLE") != nullptr) {
    std::printf("N(0,1), 10^6 samples, per tensor: mquant t %.4f; a=2t MSE %.4f; centroid a %.4f MSE %.4f; "
                "l2opt t %.4f a %.4f MSE %.4f zeros %.3f; twn t %.4f a %.4f MSE %.4f\n",
                mquant_t, two_t.mse, mquant_a, centroid.mse, l2_t, l2_a, l2.mse, l2.zero_fraction,
                r.thresholds[0], r.levels[0], twn.mse);
  }
}

TEST_CASE("per tensor vs per channel") {
  std::mt19937_64 rng(test_seed("per tensor vs per channel", 8));
  const size_t n = 7, k = 129;
  for (Dist dist : kDists) {
    const std::string dist_label = dist_name(dist);
    CAPTURE(dist_label);
    std::vector<float> w = draw(dist, n * k, rng);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < k; ++c) w[r * k + c] *= static_cast<float>(std::pow(3.0, static_cast<double>(r) - 3));
    }
    for (tq::Method method : kMethods) {
      const std::string method_label = tq::method_name(method);
      CAPTURE(method_label);
      const tq::Result channel = tq::ternarize(w.data(), n, k, options_for(method, true), "w");
      const tq::Result tensor = tq::ternarize(w.data(), n, k, options_for(method, false), "w");
      REQUIRE(result_is_valid(channel, n, k, n));
      REQUIRE(result_is_valid(tensor, n, k, 1));
      // Per tensor = one group of all n*k values.
      const tq::Result flat = tq::ternarize(w.data(), 1, n * k, options_for(method, true), "w");
      CHECK(tensor.trits == flat.trits);
      CHECK(tensor.thresholds == flat.thresholds);
      CHECK(tensor.levels == flat.levels);
      // Per channel = each row on its own.
      for (size_t r = 0; r < n; ++r) {
        const tq::Result row = tq::ternarize(w.data() + r * k, 1, k, options_for(method, false), "w");
        CHECK(std::equal(row.trits.begin(), row.trits.end(), channel.trits.begin() + r * k));
        CHECK(row.thresholds[0] == channel.thresholds[r]);
        CHECK(row.levels[0] == channel.levels[r]);
      }
      // Rows 3^r apart: per-channel levels follow the rows.
      CHECK(channel.levels[n - 1] > 9 * channel.levels[0]);
      const double mse_channel = tq::error_stats(w.data(), n, k, channel).mse;
      const double mse_tensor = tq::error_stats(w.data(), n, k, tensor).mse;
      if (method == tq::Method::l2opt) CHECK(mse_channel <= mse_tensor);
    }
  }
}

TEST_CASE("error_stats on a hand-computed example") {
  // w = [1.0, -0.2; 0.5, -2.0], trits [1, 0; 0, -1], scales 0.8 / 1.5:
  // errors 0.2, -0.2, 0.5, -0.5 -> sum e^2 = 0.58, MSE 0.145, max 0.5; sum w^2 = 5.29;
  // SQNR = 10 log10(5.29 / 0.58) = 9.6003 dB; zeros 2 of 4.
  const float w[] = {1.0f, -0.2f, 0.5f, -2.0f};
  tq::Result r;
  r.trits = {1, 0, 0, -1};
  r.scales = {0.8f, 1.5f};
  const tq::ErrorStats s = tq::error_stats(w, 2, 2, r);
  CHECK(s.mse == doctest::Approx(0.145).epsilon(1e-6));
  CHECK(s.max_error == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(s.sqnr_db == doctest::Approx(9.6003).epsilon(1e-4));
  CHECK(s.zero_fraction == 0.5);
  // One scale for the tensor: errors 0.2, -0.2, 0.5, -1.2.
  r.scales = {0.8f};
  const tq::ErrorStats t = tq::error_stats(w, 2, 2, r);
  CHECK(t.mse == doctest::Approx((0.04 + 0.04 + 0.25 + 1.44) / 4).epsilon(1e-6));
  CHECK(t.max_error == doctest::Approx(1.2).epsilon(1e-6));
  // Exact reconstruction: +inf SQNR.
  const float exact[] = {2.0f, 0.0f, -2.0f};
  tq::Result e;
  e.trits = {1, 0, -1};
  e.scales = {2.0f};
  CHECK(tq::error_stats(exact, 1, 3, e).sqnr_db == std::numeric_limits<double>::infinity());
  CHECK(tq::error_stats(exact, 1, 3, e).mse == 0);
  // Mismatched sizes are an error, not a crash.
  e.scales = {1.0f, 2.0f};
  CHECK_THROWS_AS(tq::error_stats(exact, 1, 3, e), std::invalid_argument);
  e.trits.pop_back();
  CHECK_THROWS_AS(tq::error_stats(exact, 1, 3, e), std::invalid_argument);
}

TEST_CASE("edge cases: all-zero rows, single weights, nothing above the threshold, extremes") {
  SUBCASE("all-zero rows") {
    const float w[] = {0.0f, -0.0f, 0.0f, 1.0f, -2.0f, 0.5f, 0.0f, 0.0f, 0.0f};
    for (tq::Method method : kMethods) {
      const std::string method_label = tq::method_name(method);
      CAPTURE(method_label);
      const tq::Result r = tq::ternarize(w, 3, 3, options_for(method), "w");
      REQUIRE(result_is_valid(r, 3, 3, 3));
      for (size_t row : {0, 2}) {
        CHECK(r.scales[row] == 1.0f);
        CHECK(r.thresholds[row] == 0.0f);
        CHECK(r.levels[row] == 0.0f);
        for (size_t c = 0; c < 3; ++c) CHECK(r.trits[row * 3 + c] == 0);
      }
      CHECK(r.levels[1] > 0);
      const tq::Result tensor = tq::ternarize(w, 1, 3, options_for(method, false), "w");
      CHECK(tensor.scales[0] == 1.0f);
      CHECK(tensor.levels[0] == 0.0f);
      CHECK(tensor.thresholds[0] == 0.0f);
    }
  }
  SUBCASE("single-element rows") {
    const float w[] = {2.5f, -0.5f, 1e-30f, 3e38f, -1e-37f};
    const size_t n = 5;
    for (tq::Method method : kMethods) {
      for (tq::QuantileSource q : {tq::QuantileSource::empirical, tq::QuantileSource::gaussian}) {
        const std::string method_label = tq::method_name(method);
        CAPTURE(method_label);
        tq::Options o = options_for(method);
        o.mquant_quantiles = q;
        const tq::Result r = tq::ternarize(w, n, 1, o, "w");
        REQUIRE(result_is_valid(r, n, 1, n));
        for (size_t row = 0; row < n; ++row) {
          CAPTURE(row);
          const float magnitude = std::fabs(w[row]);
          const int sign = w[row] > 0 ? 1 : -1;
          switch (method) {
            case tq::Method::rtn:
            case tq::Method::twn:
            case tq::Method::l2opt:  // exact: the weight itself is the level
              CHECK(r.trits[row] == sign);
              CHECK(r.scales[row] == magnitude);
              break;
            case tq::Method::tquant:
              CHECK(r.trits[row] == sign);
              CHECK(r.scales[row] == doctest::Approx(2.0 * magnitude / 3));
              break;
            case tq::Method::mquant:
              if (q == tq::QuantileSource::empirical) {
                // t = the weight's own magnitude: nothing is above it, level falls back to max|w|.
                CHECK(r.trits[row] == 0);
                CHECK(r.thresholds[row] == magnitude);
              } else {
                CHECK(r.trits[row] == sign);
              }
              CHECK(r.scales[row] == magnitude);
              break;
          }
        }
      }
    }
  }
  SUBCASE("nothing above the threshold, and t = 0") {
    const float equal[] = {0.75f, -0.75f, 0.75f, -0.75f};
    for (tq::MQuantLevel level : {tq::MQuantLevel::centroid, tq::MQuantLevel::two_t}) {
      tq::Options o = options_for(tq::Method::mquant);
      o.mquant_level = level;
      const tq::Result r = tq::ternarize(equal, 1, 4, o, "w");
      REQUIRE(result_is_valid(r, 1, 4, 1));
      CHECK(r.thresholds[0] == 0.75f);
      CHECK(r.trits == std::vector<int8_t>{0, 0, 0, 0});
      CHECK(r.scales[0] == (level == tq::MQuantLevel::two_t ? 1.5f : 0.75f));
      // More than a third exactly zero: t = 0, and a = 2t = 0 would be no scale: centroid instead.
      const float sparse[] = {0.0f, 0.0f, 3.0f, -1.0f};
      const tq::Result s = tq::ternarize(sparse, 1, 4, o, "w");
      REQUIRE(result_is_valid(s, 1, 4, 1));
      CHECK(s.thresholds[0] == 0.0f);
      CHECK(s.trits == std::vector<int8_t>{0, 0, 1, -1});
      CHECK(s.scales[0] == 2.0f);
    }
  }
  SUBCASE("extreme magnitudes keep scales finite and positive") {
    const float w[] = {FLT_MAX, -FLT_MAX, FLT_MAX, 1.0f, FLT_TRUE_MIN, -FLT_TRUE_MIN, 0.0f, FLT_TRUE_MIN};
    for (tq::Method method : kMethods) {
      for (tq::MQuantLevel level : {tq::MQuantLevel::centroid, tq::MQuantLevel::two_t}) {
        for (bool per_channel : {true, false}) {
          const std::string method_label = tq::method_name(method);
          CAPTURE(method_label);
          tq::Options o = options_for(method, per_channel);
          o.mquant_level = level;
          const tq::Result r = tq::ternarize(w, 2, 4, o, "w");
          CHECK(result_is_valid(r, 2, 4, per_channel ? 2 : 1));
        }
      }
    }
  }
}

TEST_CASE("bad input: NaN/Inf name the tensor and the first bad (row, col); empty shapes") {
  std::vector<float> w(4 * 6, 0.5f);
  w[2 * 6 + 5] = std::numeric_limits<float>::quiet_NaN();
  w[3 * 6 + 0] = std::numeric_limits<float>::infinity();
  for (tq::Method method : kMethods) {
    for (bool per_channel : {true, false}) {
      try {
        tq::ternarize(w.data(), 4, 6, options_for(method, per_channel), "layer1.conv.weight");
        FAIL("NaN accepted");
      } catch (const std::invalid_argument& e) {
        const std::string message = e.what();
        CHECK(message.find("layer1.conv.weight") != std::string::npos);
        CHECK(message.find("(row 2, col 5) is NaN") != std::string::npos);
      }
    }
  }
  w[2 * 6 + 5] = 0.5f;
  w[3 * 6 + 0] = -std::numeric_limits<float>::infinity();
  try {
    tq::ternarize(w.data(), 4, 6, tq::Options{}, "fc.weight");
    FAIL("Inf accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("'fc.weight': weight at (row 3, col 0) is Inf") != std::string::npos);
  }
  try {
    tq::ternarize(w.data(), 0, 6, tq::Options{}, "empty.weight");
    FAIL("empty shape accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("empty.weight") != std::string::npos);
  }
  CHECK_THROWS_AS(tq::ternarize(w.data(), 4, 0, tq::Options{}, "x"), std::invalid_argument);
  CHECK_THROWS_AS(tq::ternarize(nullptr, 4, 6, tq::Options{}, "x"), std::invalid_argument);
  tq::Options unknown;
  unknown.method = static_cast<tq::Method>(42);
  CHECK_THROWS_AS(tq::ternarize(w.data(), 4, 6, unknown, "x"), std::invalid_argument);
}

TEST_CASE("docs table: weight error per method on synthetic 256x1152 tensors") {
  // Produces the table of docs/quantizers.md (TERNRT_PRINT_QUANT_TABLE=1 prints it). Checks the
  // one ordering that must hold on any data: per-channel l2opt has the lowest MSE.
  std::mt19937_64 rng(test_seed("docs table", 9));
  const bool print = std::getenv("TERNRT_PRINT_QUANT_TABLE") != nullptr;
  const size_t n = 256, k = 1152;
  struct Config {
    const char* name;
    tq::Method method;
    tq::MQuantLevel level;
    tq::QuantileSource quantiles;
  };
  const Config configs[] = {
      {"rtn", tq::Method::rtn, tq::MQuantLevel::centroid, tq::QuantileSource::empirical},
      {"twn", tq::Method::twn, tq::MQuantLevel::centroid, tq::QuantileSource::empirical},
      {"tquant", tq::Method::tquant, tq::MQuantLevel::centroid, tq::QuantileSource::empirical},
      {"mquant (centroid, empirical; default)", tq::Method::mquant, tq::MQuantLevel::centroid,
       tq::QuantileSource::empirical},
      {"mquant (a = 2t, empirical)", tq::Method::mquant, tq::MQuantLevel::two_t, tq::QuantileSource::empirical},
      {"mquant (centroid, gaussian)", tq::Method::mquant, tq::MQuantLevel::centroid, tq::QuantileSource::gaussian},
      {"l2opt", tq::Method::l2opt, tq::MQuantLevel::centroid, tq::QuantileSource::empirical},
  };
  if (print) std::printf("\n| weights | method | MSE | max error | SQNR dB | zeros |\n|---|---|---|---|---|---|\n");
  for (Dist dist : kDists) {
    const std::vector<float> w = draw(dist, n * k, rng);
    double l2opt_mse = 0, smallest_other = std::numeric_limits<double>::infinity();
    for (const Config& c : configs) {
      tq::Options o = options_for(c.method);
      o.mquant_level = c.level;
      o.mquant_quantiles = c.quantiles;
      const tq::Result r = tq::ternarize(w.data(), n, k, o, "synthetic");
      REQUIRE(result_is_valid(r, n, k, n));
      const tq::ErrorStats s = tq::error_stats(w.data(), n, k, r);
      if (c.method == tq::Method::l2opt) l2opt_mse = s.mse;
      else smallest_other = std::min(smallest_other, s.mse);
      if (print) {
        std::printf("| %s | %s | %.4f | %.3f | %.2f | %.1f %% |\n", dist_name(dist), c.name, s.mse,
                    s.max_error, s.sqnr_db, 100 * s.zero_fraction);
      }
    }
    CHECK(l2opt_mse <= smallest_other);
  }
}
