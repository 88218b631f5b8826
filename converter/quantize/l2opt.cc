// l2opt: the exact minimum-MSE ternary approximation of a group (paper.md 1.4b), beyond the paper.
// For a kept set S the best level is a = sum_S |w| / |S| and the error is
// sum w^2 - (sum_S |w|)^2 / |S|, so S must be the k largest magnitudes for some k: sort |w|
// descending, prefix sums P_k, k* = argmax P_k^2 / k (the smallest k on exact ties), a = P_k*/k*.
// The reported threshold is t = a/2 (the nearest-neighbour condition holds at the optimum), but
// the codes are the top-k* set itself: with ties or float rounding at |w| == a/2 the rule
// |w| > t could keep a different set and lose optimality. Ties among equal magnitudes at the
// boundary are broken by lower index first.
#include "quantize-internal.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ternrt::quantize::detail {

GroupParams l2opt_quantize(const float* w, size_t count, int8_t* trits) {
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [w](size_t x, size_t y) {
    const float ax = std::fabs(w[x]);
    const float ay = std::fabs(w[y]);
    return ax > ay || (ax == ay && x < y);
  });
  double prefix = 0;
  double best_prefix = 0;
  double best_objective = -1;
  size_t best_k = 1;
  for (size_t k = 1; k <= count; ++k) {
    prefix += std::fabs(static_cast<double>(w[order[k - 1]]));
    const double objective = prefix * prefix / static_cast<double>(k);
    if (objective > best_objective) {
      best_objective = objective;
      best_prefix = prefix;
      best_k = k;
    }
  }
  std::fill(trits, trits + count, int8_t{0});
  for (size_t j = 0; j < best_k; ++j) {
    const size_t i = order[j];
    if (w[i] != 0) trits[i] = w[i] > 0 ? int8_t{1} : int8_t{-1};
  }
  const double a = best_prefix / static_cast<double>(best_k);
  return {to_threshold(a / 2), to_level(a)};
}

}  // namespace ternrt::quantize::detail
