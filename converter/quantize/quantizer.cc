// Dispatch (per channel or per tensor), input checks, the edge cases every method shares, error
// statistics and method names. The methods themselves live in one file each.
#include "quantizer.h"

#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "quantize-internal.h"

namespace ternrt::quantize {
namespace detail {

float max_abs(const float* w, size_t count) {
  float m = 0;
  for (size_t i = 0; i < count; ++i) m = std::fmax(m, std::fabs(w[i]));
  return m;
}

double kept_mean_abs(const float* w, size_t count, float t, double if_empty) {
  double sum = 0;
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    const float magnitude = std::fabs(w[i]);
    if (magnitude > t) {
      sum += magnitude;
      ++kept;
    }
  }
  return kept == 0 ? if_empty : sum / static_cast<double>(kept);
}

float to_level(double a) {
  if (!(a > 0)) return FLT_TRUE_MIN;  // unreachable for non-zero groups; keeps the scale valid
  if (a >= static_cast<double>(FLT_MAX)) return FLT_MAX;
  const float level = static_cast<float>(a);
  return level > 0 ? level : FLT_TRUE_MIN;
}

float to_threshold(double t) {
  if (!(t > 0)) return 0;
  return t >= static_cast<double>(FLT_MAX) ? FLT_MAX : static_cast<float>(t);
}

}  // namespace detail

namespace {

using detail::GroupParams;

[[noreturn]] void fail(const std::string& tensor_name, const std::string& what) {
  throw std::invalid_argument("ternarize: tensor '" + tensor_name + "': " + what);
}

void check_weights(const float* w, size_t n, size_t k, const std::string& tensor_name) {
  if (n == 0 || k == 0) {
    fail(tensor_name, "shape " + std::to_string(n) + " x " + std::to_string(k) +
                          " is empty; expected at least one weight");
  }
  if (n > std::numeric_limits<size_t>::max() / k) {
    fail(tensor_name, "shape " + std::to_string(n) + " x " + std::to_string(k) + " overflows size_t");
  }
  if (w == nullptr) fail(tensor_name, "weight pointer is null");
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const float v = w[r * k + c];
      if (!std::isfinite(v)) {
        fail(tensor_name, std::string("weight at (row ") + std::to_string(r) + ", col " +
                              std::to_string(c) + ") is " + (std::isnan(v) ? "NaN" : "Inf") +
                              "; expected finite values");
      }
    }
  }
}

void apply_threshold(const float* w, size_t count, float t, int8_t* trits) {
  for (size_t i = 0; i < count; ++i) {
    const float magnitude = std::fabs(w[i]);
    trits[i] = magnitude > t ? (w[i] > 0 ? int8_t{1} : int8_t{-1}) : int8_t{0};
  }
}

// One group: an output channel (per channel) or the whole tensor (per tensor).
GroupParams quantize_group(const float* w, size_t count, const Options& options, int8_t* trits,
                           const std::string& tensor_name) {
  if (detail::max_abs(w, count) == 0) {
    // All-zero group: zero codes; scale 1 keeps the scale valid, level 0 records "nothing kept".
    std::fill(trits, trits + count, int8_t{0});
    return {0.0f, 0.0f};
  }
  GroupParams params{};
  switch (options.method) {
    case Method::rtn: params = detail::rtn_params(w, count); break;
    case Method::twn: params = detail::twn_params(w, count); break;
    case Method::tquant: params = detail::tquant_params(w, count); break;
    case Method::mquant:
      params = detail::mquant_params(w, count, options.mquant_level, options.mquant_quantiles);
      break;
    case Method::l2opt: return detail::l2opt_quantize(w, count, trits);
    default:
      fail(tensor_name, "unknown quantization method " + std::to_string(static_cast<int>(options.method)));
  }
  apply_threshold(w, count, params.threshold, trits);
  return params;
}

}  // namespace

const char* method_name(Method method) {
  switch (method) {
    case Method::rtn: return "rtn";
    case Method::twn: return "twn";
    case Method::tquant: return "tquant";
    case Method::mquant: return "mquant";
    case Method::l2opt: return "l2opt";
  }
  return "unknown";
}

bool parse_method(std::string_view name, Method* method) {
  for (Method m : {Method::rtn, Method::twn, Method::tquant, Method::mquant, Method::l2opt}) {
    if (name == method_name(m)) {
      *method = m;
      return true;
    }
  }
  return false;
}

Result ternarize(const float* w, size_t n, size_t k, const Options& options,
                 const std::string& tensor_name) {
  check_weights(w, n, k, tensor_name);
  const size_t groups = options.per_channel ? n : 1;
  const size_t group_size = options.per_channel ? k : n * k;
  Result result;
  result.trits.resize(n * k);
  result.scales.resize(groups);
  result.thresholds.resize(groups);
  result.levels.resize(groups);
  for (size_t g = 0; g < groups; ++g) {
    const GroupParams params = quantize_group(w + g * group_size, group_size, options,
                                              result.trits.data() + g * group_size, tensor_name);
    result.thresholds[g] = params.threshold;
    result.levels[g] = params.level;
    result.scales[g] = params.level > 0 ? params.level : 1.0f;
  }
  return result;
}

ErrorStats error_stats(const float* w, size_t n, size_t k, const Result& result) {
  if (n == 0 || k == 0 || n > std::numeric_limits<size_t>::max() / k || w == nullptr) {
    throw std::invalid_argument("error_stats: shape " + std::to_string(n) + " x " +
                                std::to_string(k) + " is empty or too large, or weights are null");
  }
  if (result.trits.size() != n * k || (result.scales.size() != n && result.scales.size() != 1)) {
    throw std::invalid_argument("error_stats: result has " + std::to_string(result.trits.size()) +
                                " trits and " + std::to_string(result.scales.size()) +
                                " scales; expected " + std::to_string(n * k) + " trits and " +
                                std::to_string(n) + " or 1 scales");
  }
  const bool per_channel = result.scales.size() == n;
  double sum_error_squares = 0;
  double sum_weight_squares = 0;
  double max_error = 0;
  size_t zeros = 0;
  for (size_t r = 0; r < n; ++r) {
    const double scale = result.scales[per_channel ? r : 0];
    for (size_t c = 0; c < k; ++c) {
      const double weight = w[r * k + c];
      const int trit = result.trits[r * k + c];
      const double error = weight - scale * trit;
      sum_error_squares += error * error;
      sum_weight_squares += weight * weight;
      max_error = std::fmax(max_error, std::fabs(error));
      zeros += trit == 0;
    }
  }
  ErrorStats stats;
  const double count = static_cast<double>(n * k);
  stats.mse = sum_error_squares / count;
  stats.max_error = max_error;
  stats.sqnr_db = sum_error_squares == 0 ? std::numeric_limits<double>::infinity()
                                         : 10 * std::log10(sum_weight_squares / sum_error_squares);
  stats.zero_fraction = static_cast<double>(zeros) / count;
  return stats;
}

}  // namespace ternrt::quantize
