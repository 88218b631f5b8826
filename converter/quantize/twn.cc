// twn: Ternary Weight Networks (Li, Zhang & Liu 2016): t = 0.7 * mean|w|, a = mean |w| over
// |w| > t. The 0.7 approximates the MSE-optimal threshold for uniform and Gaussian weights.
#include "quantize-internal.h"

#include <cmath>

namespace ternrt::quantize::detail {

GroupParams twn_params(const float* w, size_t count) {
  double sum_abs = 0;
  for (size_t i = 0; i < count; ++i) sum_abs += std::fabs(static_cast<double>(w[i]));
  const float t = to_threshold(0.7 * (sum_abs / static_cast<double>(count)));
  // max|w| >= mean|w| > 0.7 mean|w|, so the kept set is never empty; the fallback is a formality.
  const double a = kept_mean_abs(w, count, t, max_abs(w, count));
  return {t, to_level(a)};
}

}  // namespace ternrt::quantize::detail
