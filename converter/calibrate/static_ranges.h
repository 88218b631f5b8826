// Static int8 activation parameters (ternrt-convert --static-int8, docs/ptq.md, format 1.1):
// every non-constant tensor of the final model gets one scale and zero point, from ranges
// measured by running that model (ternary weights, dynamic activations) over calibration
// samples, or data-free from BatchNorm estimates. Reshape outputs copy their input's params so
// the runtime can treat a reshape as a view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "calibrate/activation_ranges.h"
#include "ir/graph.h"

namespace ternrt::calibrate {

// The runtime's formula (kernels/quantize/quantize-scalar.cc, in float): the range is extended to
// hold 0; scale = (hi - lo) / 255 and zero_point = clamp(-128 - round_half_even(lo / scale), -128,
// 127); hi == lo (or a scale below FLT_MIN, which the format rejects) gives scale 1, zero point 0.
convert::Int8Params int8_params_from_range(float lo, float hi);

struct StaticTensor {
  std::string name;
  convert::Shape shape;
  Range range;               // the range the params come from (unknown: no params)
  std::string from;          // "calibration", "batchnorm", "reshape input", "max pool input", "concat output" or "" (none)
  bool has_params = false;
  convert::Int8Params params;
};

struct StaticRangesReport {
  bool enabled = false;
  bool calibrated = false;
  std::string description;   // the activations.static metadata value
  size_t activation_tensors = 0;
  size_t with_params = 0;
  std::vector<StaticTensor> tensors;  // every non-constant tensor, in graph order
  double seconds = 0;
};

// Runs `graph` as it is (the final model) through the runtime on `samples` (source layout, one
// per invocation), collects each activation's range with `method`, and sets Tensor::int8 on every
// non-constant tensor. `description` goes into the report. Throws convert::ConvertError.
void attach_calibrated_ranges(convert::Graph& graph, const std::vector<std::vector<float>>& samples, RangeMethod method,
                              double percentile, bool progress, StaticRangesReport* report);

// Data-free: `estimates` by tensor name (batchnorm_range_estimates on the imported graph).
// Tensors without an estimate get no params.
void attach_estimated_ranges(convert::Graph& graph, const std::map<std::string, Range>& estimates,
                             StaticRangesReport* report);

// The report's "static_int8" value (null when not enabled) and lines for the human summary.
std::string static_ranges_json(const StaticRangesReport& report);
std::string static_ranges_table(const StaticRangesReport& report, size_t max_lines = 40);

}  // namespace ternrt::calibrate
