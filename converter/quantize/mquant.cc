// mquant: mass equalization (paper.md 1.3 and 1.4c): the threshold puts one third of the weights
// in the zero bin (and, for sign-balanced weights, one third in each of the +/- bins).
//   threshold, empirical (default): t = sorted(|w|)[ceil(n/3) - 1], the smallest order statistic
//     with at least n/3 values at or below it, so with the tie rule |w| > t -> +/-1 exactly
//     ceil(n/3) weights are zero when the magnitudes are distinct (more when values tie with t).
//   threshold, gaussian: t = Phi^-1(2/3) * sigma, sigma = sqrt(mean w^2) (a zero-mean Gaussian fit).
//   level, centroid (default): a = mean |w| over |w| > t, the MSE-optimal level for this assignment.
//   level, two_t: a = 2t (the round-and-clip form q = clip(round(w / 2t), -1, 1)).
#include "quantize-internal.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ternrt::quantize::detail {
namespace {

// Phi^-1(2/3), the 2/3-quantile of N(0, 1): P(|z| <= c) = 1/3 for z ~ N(0, 1).
// From Python's statistics.NormalDist().inv_cdf(2/3); the tests re-derive it from std::erf.
constexpr double kGaussianThirdQuantile = 0.43072729929545733;

float empirical_threshold(const float* w, size_t count) {
  std::vector<float> magnitudes(count);
  for (size_t i = 0; i < count; ++i) magnitudes[i] = std::fabs(w[i]);
  const size_t rank = (count + 2) / 3 - 1;  // ceil(count / 3) - 1, count >= 1
  std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(rank),
                   magnitudes.end());
  return magnitudes[rank];
}

float gaussian_threshold(const float* w, size_t count) {
  double sum_squares = 0;
  for (size_t i = 0; i < count; ++i) sum_squares += static_cast<double>(w[i]) * w[i];
  const double sigma = std::sqrt(sum_squares / static_cast<double>(count));
  return to_threshold(kGaussianThirdQuantile * sigma);
}

}  // namespace

GroupParams mquant_params(const float* w, size_t count, MQuantLevel level, QuantileSource quantiles) {
  const float t = quantiles == QuantileSource::empirical ? empirical_threshold(w, count)
                                                         : gaussian_threshold(w, count);
  // No weight above t happens when all magnitudes tie with t (e.g. a single weight, or +/-c);
  // the codes are then all zero and any positive level gives the same error: use max|w|.
  const double if_empty = max_abs(w, count);
  double a = 0;
  if (level == MQuantLevel::two_t && t > 0) {
    a = 2.0 * t;
  } else {
    // centroid, and two_t with t == 0 (at least a third of the weights are exactly 0), where 2t
    // would be no scale at all.
    a = kept_mean_abs(w, count, t, if_empty);
  }
  return {t, to_level(a)};
}

}  // namespace ternrt::quantize::detail
