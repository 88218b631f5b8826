#include "calibrate/static_ranges.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>

#include "calibrate/model_runner.h"
#include "json_text.h"
#include "calibrate/progress.h"

namespace ternrt::calibrate {
namespace {

using convert::Graph;
using convert::OpKind;

// Reservoir memory for percentile / MSE ranges over all tensors together.
constexpr size_t kReservoirBudgetValues = size_t(64) << 20;  // 256 MiB of floats

// t -> the tensor it must share params with (-1: none), following chains: a reshape's output shares
// its input's, and so does a max pool's without fused activation (its values are some of its
// input's, so the input's range covers them; equal params let the runtime pool on int8, exactly).
std::vector<int> reshape_sources(const Graph& graph) {
  std::vector<int> source(graph.tensors.size(), -1);
  for (const convert::Node& node : graph.nodes) {
    if (node.removed || node.inputs.empty() || node.outputs.empty()) continue;
    const bool shares = node.kind == OpKind::reshape ||
                        (node.kind == OpKind::max_pool && node.activation.type == convert::ActivationType::none);
    if (!shares) continue;
    const int in = node.inputs[0];
    source[node.outputs[0]] = source[in] >= 0 ? source[in] : in;
  }
  return source;
}

bool produced_by_max_pool(const Graph& graph, size_t t) {
  for (const convert::Node& node : graph.nodes) {
    if (!node.removed && !node.outputs.empty() && node.outputs[0] == static_cast<int>(t)) return node.kind == OpKind::max_pool;
  }
  return false;
}

void begin_report(const Graph& graph, StaticRangesReport* report) {
  report->enabled = true;
  report->tensors.clear();
  report->activation_tensors = 0;
  report->with_params = 0;
  for (const convert::Tensor& t : graph.tensors) {
    if (t.is_constant) continue;
    ++report->activation_tensors;
  }
}

// A CONCAT's inputs take its output's range (TFLite's rule for int8 concatenation): the runtime then
// concatenates int8 by copying bytes, and each producer requantizes once, straight to the output's
// scale. Without it the concat ran in float, and through the runtime's choice of int8 tensors so did
// its producers and the layers before them (a two-branch block of the fixture MobileNet). The output's
// values are the union of the inputs', so its range covers each input (only coarser). Concats are
// taken last to first, so a concat of concats gives its range to the inner ones' inputs too. An input
// whose range group (reshape / max-pool chains included) is a graph input, or was already given to
// another concat (a tensor feeding two: the later concat takes it), keeps its own range, and that
// concat stays float. `source` (reshape_sources) is extended; `ranges` gets the output's range where
// only the inputs' were known (batch-norm estimates).
void share_concat_ranges(const Graph& graph, std::vector<int>& source, std::vector<Range>& ranges,
                         std::vector<char>& from_concat) {
  const auto root = [&](int t) { return source[t] >= 0 ? source[t] : t; };
  for (auto node = graph.nodes.rbegin(); node != graph.nodes.rend(); ++node) {
    if (node->removed || node->kind != OpKind::concat || node->outputs.empty()) continue;
    const int out = root(node->outputs[0]);
    bool ok = true;
    Range merged = ranges[out];
    std::vector<int> roots;
    for (int t : node->inputs) {
      if (t < 0) continue;
      const int r = root(t);
      ok = r != out && !from_concat[t] && !graph.is_graph_input(r) && !graph.tensors[r].is_constant &&
           std::find(roots.begin(), roots.end(), r) == roots.end();
      if (ok && !ranges[out].known()) {
        ok = ranges[r].known();
        if (ok) {
          merged = merged.known() ? Range{std::min(merged.lo, ranges[r].lo), std::max(merged.hi, ranges[r].hi)} : ranges[r];
        }
      }
      if (!ok) break;
      roots.push_back(r);
    }
    if (!ok || roots.empty() || !merged.known()) continue;
    ranges[out] = merged;
    for (int r : roots) {
      for (size_t t = 0; t < source.size(); ++t) {
        if (root(int(t)) != r) continue;
        source[t] = out;
        from_concat[t] = 1;
      }
    }
  }
}

// Sets params from `ranges` (by tensor index), reshape / max pool outputs from their source, concat
// inputs from the concat's output, and fills the report.
void attach(Graph& graph, std::vector<Range> ranges, const std::string& from, StaticRangesReport* report) {
  std::vector<int> source = reshape_sources(graph);
  std::vector<char> from_concat(graph.tensors.size(), 0);
  share_concat_ranges(graph, source, ranges, from_concat);
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    convert::Tensor& tensor = graph.tensors[t];
    if (tensor.is_constant) continue;
    StaticTensor entry;
    entry.name = tensor.name;
    entry.shape = tensor.shape;
    const size_t s = source[t] >= 0 ? static_cast<size_t>(source[t]) : t;
    entry.range = ranges[s];
    tensor.int8.reset();
    if (entry.range.known()) {
      entry.from = s == t              ? from
                   : from_concat[t]    ? "concat output"
                   : produced_by_max_pool(graph, t) ? "max pool input"
                                                    : "reshape input";
      entry.has_params = true;
      entry.params = int8_params_from_range(static_cast<float>(entry.range.lo), static_cast<float>(entry.range.hi));
      tensor.int8 = entry.params;
      ++report->with_params;
    }
    report->tensors.push_back(std::move(entry));
  }
}

}  // namespace

convert::Int8Params int8_params_from_range(float lo, float hi) {
  // Same operations, in float, as kernels::quant_params_from_range.
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (hi == lo) return {1.0f, 0};
  const float scale = (hi - lo) / 255.0f;
  if (!(scale >= std::numeric_limits<float>::min()) || !std::isfinite(scale)) return {1.0f, 0};
  const float zp = -128.0f - std::nearbyint(lo / scale);
  return {scale, static_cast<int32_t>(std::min(127.0f, std::max(-128.0f, zp)))};
}

void attach_calibrated_ranges(Graph& graph, const std::vector<std::vector<float>>& samples, RangeMethod method,
                              double percentile, bool progress, StaticRangesReport* report) {
  const auto started = std::chrono::steady_clock::now();
  begin_report(graph, report);
  report->calibrated = true;
  const std::vector<int> source = reshape_sources(graph);
  std::vector<int> measured;  // activations read from the runtime (reshape / max pool outputs share their source)
  for (size_t t = 0; t < graph.tensors.size(); ++t)
    if (!graph.tensors[t].is_constant && source[t] < 0) measured.push_back(static_cast<int>(t));

  // min/max is exact and cheap; percentile and MSE need a reservoir sample per tensor.
  const bool sampled = method != RangeMethod::minmax;
  const size_t reservoir =
      std::clamp<size_t>(kReservoirBudgetValues / std::max<size_t>(measured.size(), 1), size_t(1) << 16, size_t(1) << 20);
  std::vector<std::unique_ptr<RangeCollector>> collectors(graph.tensors.size());
  std::vector<double> lo(graph.tensors.size(), INFINITY), hi(graph.tensors.size(), -INFINITY);
  std::vector<size_t> seen(graph.tensors.size(), 0);
  if (sampled)
    for (int t : measured) collectors[t] = std::make_unique<RangeCollector>(reservoir);

  ModelRunner runner(graph, "final model");
  ProgressBar bar(progress);
  bar.start("static int8 ranges of " + std::to_string(measured.size()) + " activations", samples.size());
  for (size_t si = 0; si < samples.size(); ++si) {
    runner.run(samples[si]);
    for (int t : measured) {
      size_t count = 0;
      const float* x = runner.tensor(graph.tensors[t].name, &count);
      if (sampled) {
        collectors[t]->add(x, count);
      } else {
        float mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < count; ++i) {
          mn = std::min(mn, x[i]);
          mx = std::max(mx, x[i]);
        }
        lo[t] = std::min(lo[t], double(mn));
        hi[t] = std::max(hi[t], double(mx));
      }
      seen[t] += count;
    }
    bar.update(si + 1);
  }
  std::vector<Range> ranges(graph.tensors.size());
  for (int t : measured) {
    if (!seen[t]) continue;
    ranges[t] = sampled ? collectors[t]->compute(method, percentile) : Range{lo[t], hi[t]};
    collectors[t].reset();
  }
  attach(graph, ranges, "calibration", report);
  char note[96];
  std::snprintf(note, sizeof note, "%zu of %zu activation tensors have params", report->with_params,
                report->activation_tensors);
  bar.finish(note);
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void attach_estimated_ranges(Graph& graph, const std::map<std::string, Range>& estimates, StaticRangesReport* report) {
  begin_report(graph, report);
  report->calibrated = false;
  std::vector<Range> ranges(graph.tensors.size());
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    if (graph.tensors[t].is_constant) continue;
    const auto it = estimates.find(graph.tensors[t].name);
    if (it != estimates.end()) ranges[t] = it->second;
  }
  attach(graph, ranges, "batchnorm", report);
}

std::string static_ranges_json(const StaticRangesReport& report) {
  if (!report.enabled) return "null";
  std::ostringstream out;
  out << "{\"calibrated\": " << (report.calibrated ? "true" : "false") << ", \"description\": " << convert::json_string(report.description)
      << ", \"activation_tensors\": " << report.activation_tensors << ", \"with_params\": " << report.with_params
      << ", \"seconds\": " << convert::json_number(report.seconds) << ",\n    \"tensors\": [";
  for (size_t i = 0; i < report.tensors.size(); ++i) {
    const StaticTensor& t = report.tensors[i];
    out << (i ? "," : "") << "\n      {\"name\": " << convert::json_string(t.name) << ", \"from\": " << convert::json_string(t.from) << ", \"range\": ";
    if (t.has_params) out << "[" << convert::json_number(t.range.lo) << ", " << convert::json_number(t.range.hi) << "]";
    else out << "null";
    if (t.has_params) out << ", \"scale\": " << convert::json_number(t.params.scale) << ", \"zero_point\": " << t.params.zero_point;
    out << "}";
  }
  out << "\n    ]}";
  return out.str();
}

std::string static_ranges_table(const StaticRangesReport& report, size_t max_lines) {
  if (!report.enabled) return "";
  std::ostringstream out;
  char line[320];
  std::snprintf(line, sizeof line, "static int8: %zu of %zu activation tensors have params (%s)\n", report.with_params,
                report.activation_tensors, report.description.c_str());
  out << line;
  std::snprintf(line, sizeof line, "  %-40s %-22s %12s %5s  %s\n", "tensor", "range", "scale", "zp", "from");
  out << line;
  size_t shown = 0;
  for (const StaticTensor& t : report.tensors) {
    if (shown == max_lines) {
      std::snprintf(line, sizeof line, "  ... %zu more (see --report)\n", report.tensors.size() - shown);
      out << line;
      break;
    }
    ++shown;
    if (!t.has_params) {
      std::snprintf(line, sizeof line, "  %-40.40s %-22s %12s %5s  (stays float)\n", t.name.c_str(), "-", "-", "-");
    } else {
      char range[64];
      std::snprintf(range, sizeof range, "[%.4g, %.4g]", t.range.lo, t.range.hi);
      std::snprintf(line, sizeof line, "  %-40.40s %-22s %12.6g %5d  %s\n", t.name.c_str(), range, double(t.params.scale),
                    t.params.zero_point, t.from.c_str());
    }
    out << line;
  }
  return out.str();
}

}  // namespace ternrt::calibrate
