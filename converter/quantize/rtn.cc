// rtn: naive rounding to nearest with the symmetric 2-bit scale s = max|w| (paper.md 1.1):
// q = clip(round(w / M), -1, 1), i.e. t = M/2 and a = M. The baseline TQuant/MQuant improve on.
#include "quantize-internal.h"

namespace ternrt::quantize::detail {

GroupParams rtn_params(const float* w, size_t count) {
  const double m = max_abs(w, count);
  return {to_threshold(m / 2), to_level(m)};
}

}  // namespace ternrt::quantize::detail
