#include "ternary/ternarize_layers.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "trit-formats.h"

namespace ternrt::convert {
namespace {

bool is_depthwise(const Graph& graph, const Node& node) {
  if (node.kind != OpKind::conv || node.groups == 1) return false;
  const Shape& w = graph.tensors[node.inputs[1]].shape;  // (OC, KH, KW, IC/g)
  return w.back() == 1 && w[0] == node.groups;
}

}  // namespace

KeepFloat parse_keep_float(const std::string& spec) {
  KeepFloat keep;
  if (spec == "none") {
    keep.first = keep.last = keep.depthwise = false;
    return keep;
  }
  keep.first = keep.last = false;
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) throw ConvertError("--keep-float: empty name in '" + spec + "'");
    if (item == "first") keep.first = true;
    else if (item == "last") keep.last = true;
    else if (item == "none") throw ConvertError("--keep-float: 'none' cannot be combined with other names");
    else keep.names.insert(item);
  }
  return keep;
}

std::vector<LayerChoice> choose_layers(const Graph& graph, const TernaryConfig& config) {
  std::vector<LayerChoice> layers;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (node.kind != OpKind::conv && node.kind != OpKind::fully_connected) continue;
    LayerChoice c;
    c.node = static_cast<int>(i);
    const Tensor& w = graph.tensors[node.inputs[1]];
    c.name = node.name.empty() ? w.name : node.name;
    c.op = node.kind == OpKind::fully_connected ? "FullyConnected" : is_depthwise(graph, node) ? "DepthwiseConv2D" : "Conv2D";
    c.shape = w.shape;
    layers.push_back(c);
  }
  std::set<std::string> unmatched = config.keep.names;
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerChoice& c = layers[i];
    const Node& node = graph.nodes[c.node];
    const std::string& weight_name = graph.tensors[node.inputs[1]].name;
    const bool named = config.keep.names.count(node.name) || config.keep.names.count(weight_name);
    unmatched.erase(node.name);
    unmatched.erase(weight_name);
    if (!config.enabled) c.reason = "--method none";
    else if (config.keep.first && i == 0) c.reason = "first";
    else if (config.keep.last && i + 1 == layers.size()) c.reason = "last";
    else if (config.keep.depthwise && c.op == "DepthwiseConv2D") c.reason = "depthwise";
    else if (named) c.reason = "--keep-float";
    c.ternary = c.reason.empty();
  }
  if (!unmatched.empty()) {
    std::string known;
    for (const LayerChoice& c : layers) known += (known.empty() ? "" : ", ") + c.name;
    throw ConvertError("--keep-float: no Conv/FC layer named '" + *unmatched.begin() + "' (layers: " + known + ")");
  }
  return layers;
}

Summary3 summarize(std::vector<float> values) {
  Summary3 s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  s.min = values.front();
  s.max = values.back();
  s.median = n % 2 ? values[n / 2] : 0.5 * (double(values[n / 2 - 1]) + double(values[n / 2]));  // as numpy
  return s;
}

std::vector<LayerResult> ternarize_layers(Graph& graph, const std::vector<LayerChoice>& layers,
                                          const TernaryConfig& config,
                                          const std::function<void(const std::string&)>& progress) {
  std::vector<LayerResult> results;
  size_t total = 0, done = 0;
  for (const LayerChoice& c : layers) total += c.ternary;
  const auto format = config.packing == 1 ? trits::Format::base3_5per_byte : trits::Format::canonical_2bit;
  for (const LayerChoice& c : layers) {
    if (!c.ternary) continue;
    Node& node = graph.nodes[c.node];
    // A weight shared with another layer gets its own copy: each layer is ternarized once.
    int w_index = node.inputs[1];
    if (graph.tensors[w_index].ternary) {
      Tensor copy = graph.tensors[w_index];
      copy.ternary.reset();
      w_index = node.inputs[1] = graph.add_tensor(std::move(copy));
    }
    Tensor& w = graph.tensors[w_index];
    const size_t n = static_cast<size_t>(w.shape[0]);
    const size_t k = static_cast<size_t>(num_elements(w.shape)) / n;
    if (progress)
      progress("[" + std::to_string(++done) + "/" + std::to_string(total) + "] " + c.name + " (" + c.op + " " +
               shape_string(c.shape) + ")");
    quantize::Result q;
    try {
      q = quantize::ternarize(w.data.data(), n, k, config.quant, w.name);
    } catch (const std::exception& e) {
      throw ConvertError("layer '" + c.name + "': " + e.what());
    }
    LayerResult r;
    r.layer = c;
    r.method = quantize::method_name(config.quant.method);
    r.per_channel = config.quant.per_channel;
    r.threshold = summarize(q.thresholds);
    r.level = summarize(q.levels);
    r.stats = quantize::error_stats(w.data.data(), n, k, q);
    r.parameters = n * k;
    size_t packed = 0;
    trits::packed_bytes(format, n, k, &packed);
    r.packed_bytes = packed + q.scales.size() * sizeof(float);

    auto td = std::make_shared<TernaryData>();
    td->trits = std::move(q.trits);
    td->scales = std::move(q.scales);
    td->thresholds = std::move(q.thresholds);
    td->levels = std::move(q.levels);
    td->method = r.method;
    td->per_channel = config.quant.per_channel;
    td->packing = config.packing;
    w.ternary = std::move(td);
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace ternrt::convert
