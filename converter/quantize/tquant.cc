// tquant: support equalization (paper.md 1.2 and 1.4a). The three bins [-M,-M/3], [-M/3,M/3],
// [M/3,M] have equal width: t = M/3, a = 2M/3, the unique minimizer of the worst-case error
// max(t, a - t, M - a) over [-M, M]; that worst case is M/3 (rtn: M/2).
#include "quantize-internal.h"

namespace ternrt::quantize::detail {

GroupParams tquant_params(const float* w, size_t count) {
  const double m = max_abs(w, count);
  return {to_threshold(m / 3), to_level(2 * m / 3)};
}

}  // namespace ternrt::quantize::detail
