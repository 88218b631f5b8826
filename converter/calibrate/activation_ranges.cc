#include "calibrate/activation_ranges.h"

#include <algorithm>

namespace ternrt::calibrate {

const char* range_method_name(RangeMethod method) {
  switch (method) {
    case RangeMethod::minmax: return "minmax";
    case RangeMethod::percentile: return "percentile";
    case RangeMethod::mse: return "mse";
  }
  return "?";
}

bool parse_range_method(const std::string& name, RangeMethod* method) {
  if (name == "minmax") *method = RangeMethod::minmax;
  else if (name == "percentile") *method = RangeMethod::percentile;
  else if (name == "mse") *method = RangeMethod::mse;
  else return false;
  return true;
}

RangeCollector::RangeCollector(size_t reservoir) : capacity_(std::max<size_t>(reservoir, 1)) {}

void RangeCollector::add(const float* values, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const float v = values[i];
    min_ = std::min(min_, double(v));
    max_ = std::max(max_, double(v));
    // Reservoir sampling (Algorithm R): every value seen so far is kept with equal probability.
    if (sample_.size() < capacity_) {
      sample_.push_back(v);
    } else {
      const size_t j = static_cast<size_t>(rng_() % (seen_ + 1));
      if (j < capacity_) sample_[j] = v;
    }
    ++seen_;
  }
}

Range RangeCollector::minmax() const {
  if (!seen_) return {};
  return {min_, max_};
}

Range RangeCollector::percentile(double p) const {
  if (sample_.empty()) return {};
  std::vector<float> sorted = sample_;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) {  // linear interpolation between order statistics, as numpy
    const double pos = q / 100.0 * double(sorted.size() - 1);
    const size_t i = static_cast<size_t>(pos);
    const size_t j = std::min(i + 1, sorted.size() - 1);
    return double(sorted[i]) + (pos - double(i)) * (double(sorted[j]) - double(sorted[i]));
  };
  return {at(100.0 - p), at(p)};
}

double int8_quantization_mse(const std::vector<float>& values, double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (values.empty()) return 0;
  if (hi - lo <= 0) {
    double e = 0;
    for (float v : values) e += double(v) * double(v);
    return e / double(values.size());
  }
  const double step = (hi - lo) / 255.0;
  double e = 0;
  for (float v : values) {
    const double c = std::min(std::max(double(v), lo), hi);
    const double q = lo + std::nearbyint((c - lo) / step) * step;
    e += (double(v) - q) * (double(v) - q);
  }
  return e / double(values.size());
}

Range RangeCollector::mse_optimal() const {
  if (sample_.empty()) return {};
  const double lo = std::min(min_, 0.0), hi = std::max(max_, 0.0);
  double best_f = 1.0, best = int8_quantization_mse(sample_, lo, hi);
  // A fixed grid keeps it deterministic; int8 error is smooth enough in f for 1% steps.
  for (int i = 99; i >= 5; --i) {
    const double f = i / 100.0;
    const double e = int8_quantization_mse(sample_, f * lo, f * hi);
    if (e < best) {
      best = e;
      best_f = f;
    }
  }
  return {best_f * lo, best_f * hi};
}

Range RangeCollector::compute(RangeMethod method, double percentile_value) const {
  switch (method) {
    case RangeMethod::minmax: return minmax();
    case RangeMethod::percentile: return percentile(percentile_value);
    case RangeMethod::mse: return mse_optimal();
  }
  return {};
}

Range activation_range(const convert::Activation& a, Range in) {
  using convert::ActivationType;
  if (!in.known()) return in;
  auto clamp = [&](double lo, double hi) {
    return Range{std::min(std::max(in.lo, lo), hi), std::min(std::max(in.hi, lo), hi)};
  };
  switch (a.type) {
    case ActivationType::none: return in;
    case ActivationType::relu: return clamp(0, INFINITY);
    case ActivationType::relu6: return clamp(0, 6);
    case ActivationType::clip: return clamp(a.clip_min, a.clip_max);
    case ActivationType::sigmoid: return {1 / (1 + std::exp(-in.lo)), 1 / (1 + std::exp(-in.hi))};
    case ActivationType::hard_sigmoid: {
      auto f = [&](double x) { return std::min(std::max(a.alpha * x + a.beta, 0.0), 1.0); };
      return {f(in.lo), f(in.hi)};
    }
    case ActivationType::hard_swish: {
      // x * relu6(x + 3) / 6: decreasing below -1.5, increasing above.
      auto f = [](double x) { return x * std::min(std::max(x + 3, 0.0), 6.0) / 6; };
      double lo = std::min(f(in.lo), f(in.hi));
      if (in.lo < -1.5 && in.hi > -1.5) lo = f(-1.5);
      return {lo, std::max(f(in.lo), f(in.hi))};
    }
  }
  return {};
}

std::map<std::string, Range> batchnorm_range_estimates(const convert::Graph& graph, double k) {
  using convert::OpKind;
  std::vector<Range> r(graph.tensors.size());
  auto known = [&](int t) { return t >= 0 && static_cast<size_t>(t) < r.size() && r[t].known(); };
  auto unite = [](Range a, Range b) { return Range{std::min(a.lo, b.lo), std::max(a.hi, b.hi)}; };
  for (const convert::Node& node : graph.nodes) {
    if (node.removed || node.outputs.empty()) continue;
    const int out = node.outputs[0];
    const int x = node.inputs.empty() ? -1 : node.inputs[0];
    Range result;
    switch (node.kind) {
      case OpKind::batch_norm: {
        const std::vector<float>& gamma = graph.tensors[node.inputs[1]].data;
        const std::vector<float>& beta = graph.tensors[node.inputs[2]].data;
        if (gamma.empty() || gamma.size() != beta.size()) break;
        result = {INFINITY, -INFINITY};
        for (size_t c = 0; c < gamma.size(); ++c) {
          // A BN output is distributed with mean beta and std |gamma| (on the training data).
          result.lo = std::min(result.lo, double(beta[c]) - k * std::fabs(double(gamma[c])));
          result.hi = std::max(result.hi, double(beta[c]) + k * std::fabs(double(gamma[c])));
        }
        result = activation_range(node.activation, result);
        break;
      }
      case OpKind::activation:
        if (known(x)) result = activation_range(node.activation, r[x]);
        break;
      case OpKind::max_pool:
      case OpKind::avg_pool:
      case OpKind::global_avg_pool:
      case OpKind::reshape:
      case OpKind::identity:
        if (known(x)) result = activation_range(node.activation, r[x]);
        break;
      case OpKind::pad:
        if (known(x)) result = unite(r[x], Range{node.pad_value, node.pad_value});
        break;
      case OpKind::add:
        if (node.inputs.size() == 2 && known(node.inputs[0]) && known(node.inputs[1]))
          result = activation_range(node.activation, Range{r[node.inputs[0]].lo + r[node.inputs[1]].lo,
                                                           r[node.inputs[0]].hi + r[node.inputs[1]].hi});
        break;
      case OpKind::concat: {
        bool all = !node.inputs.empty();
        Range u{INFINITY, -INFINITY};
        for (int t : node.inputs) {
          if (!known(t)) {
            all = false;
            break;
          }
          u = unite(u, r[t]);
        }
        if (all) result = u;
        break;
      }
      default: break;
    }
    if (static_cast<size_t>(out) < r.size()) r[out] = result;
  }
  std::map<std::string, Range> by_name;
  for (size_t t = 0; t < r.size(); ++t)
    if (r[t].known()) by_name[graph.tensors[t].name] = r[t];
  return by_name;
}

}  // namespace ternrt::calibrate
