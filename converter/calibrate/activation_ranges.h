// Activation ranges of the tensors that feed ternary layers (--act-range): from calibration data
// (min/max, a two-sided percentile, or the clipping range minimizing int8 quantization MSE), or
// data-free from BatchNorm statistics (beta +- k*|gamma| per channel, propagated through
// activations, pooling and residual adds). They are recorded in the conversion report for the
// static int8 path; the dynamic path measures its range per invocation. docs/ptq.md.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace ternrt::calibrate {

enum class RangeMethod { minmax, percentile, mse };
const char* range_method_name(RangeMethod method);
bool parse_range_method(const std::string& name, RangeMethod* method);

struct Range {
  double lo = NAN, hi = NAN;
  bool known() const { return std::isfinite(lo) && std::isfinite(hi); }
};

// Streams the values of one tensor over all calibration samples: exact min/max plus a uniform
// reservoir sample (fixed seed, so conversions are reproducible) for percentile and MSE ranges.
class RangeCollector {
 public:
  explicit RangeCollector(size_t reservoir = size_t(1) << 20);
  void add(const float* values, size_t count);
  size_t count() const { return seen_; }

  Range minmax() const;
  // [q(100 - p), q(p)] of the values, p in (50, 100].
  Range percentile(double p) const;
  // The range [f*lo, f*hi] (f in (0, 1], 0 kept inside as the runtime does) that minimizes the mean
  // squared error of asymmetric int8 quantization (255 steps, clipping outside) on the sample.
  Range mse_optimal() const;
  Range compute(RangeMethod method, double percentile_value) const;

 private:
  size_t capacity_;
  size_t seen_ = 0;
  double min_ = INFINITY, max_ = -INFINITY;
  std::vector<float> sample_;
  std::mt19937_64 rng_{0x7e2a11u};
};

// Mean squared error of int8 asymmetric quantization of `values` with range [lo, hi] (0 inside).
double int8_quantization_mse(const std::vector<float>& values, double lo, double hi);

// Data-free ranges per tensor name of a graph *before* the float passes (BatchNorm still present):
// BatchNorm outputs get the union over channels of beta_c +- k*|gamma_c|; activations, pooling,
// pad, reshape, concat and add propagate by interval arithmetic. Tensors without an estimate
// are absent.
std::map<std::string, Range> batchnorm_range_estimates(const convert::Graph& graph, double k);

// The interval of an activation's output for inputs in `in`.
Range activation_range(const convert::Activation& activation, Range in);

}  // namespace ternrt::calibrate
