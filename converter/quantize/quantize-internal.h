// Shared by the per-method files and the dispatcher in quantizer.cc; not part of the API.
// Every method sees one group of weights (one output channel, or the whole tensor) that is
// non-empty, finite and not all zero: the dispatcher handles the other cases.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quantizer.h"

namespace ternrt::quantize::detail {

struct GroupParams {
  float threshold;  // t: trit = sign(w) * (|w| > t)
  float level;      // a > 0, finite: the reconstruction is a * trit
};

GroupParams rtn_params(const float* w, size_t count);
GroupParams twn_params(const float* w, size_t count);
GroupParams tquant_params(const float* w, size_t count);
GroupParams mquant_params(const float* w, size_t count, MQuantLevel level, QuantileSource quantiles);
// l2opt decides the codes itself (the exact top-k set, see l2opt.cc) and writes them to `trits`.
GroupParams l2opt_quantize(const float* w, size_t count, int8_t* trits);

// Helpers.
float max_abs(const float* w, size_t count);
// mean |w| over |w| > t, or `if_empty` when no weight exceeds t (the level is then irrelevant to
// the error, but it must still be a valid scale).
double kept_mean_abs(const float* w, size_t count, float t, double if_empty);
// A level as a float scale: finite and > 0 (rounding to float cannot make a positive mean of
// floats 0, but 2t or 2M/3 can overflow or underflow at the ends of the float range).
float to_level(double a);
// A threshold as a float, never negative.
float to_threshold(double t);

}  // namespace ternrt::quantize::detail
