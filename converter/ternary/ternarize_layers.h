// Chooses which Conv/FC layers become ternary (--keep-float) and ternarizes their weights with
// the quantizers of converter/quantize/ (--method, --per-tensor, MQuant variants). Runs after the
// layout pass: weights are (OC, KH, KW, IC/groups) or (N, K), rows = output channels.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "quantizer.h"

namespace ternrt::convert {

// --keep-float: which Conv/FC layers stay float.
struct KeepFloat {
  bool first = true;      // the first Conv/FC layer in topological order
  bool last = true;       // the last one
  bool depthwise = true;  // depthwise convolutions (groups == IC == OC, IC/groups == 1)
  std::set<std::string> names;  // node names or weight tensor names
};
// "first,last" (default), "none" (ternarize every Conv/FC, depthwise too), or a comma list of
// first / last / layer names. Depthwise convolutions stay float unless "none". Throws ConvertError.
KeepFloat parse_keep_float(const std::string& spec);

struct TernaryConfig {
  bool enabled = true;     // false: --method none, the float reference model
  quantize::Options quant;
  KeepFloat keep;
  int packing = 0;         // 0 = canonical 2-bit, 1 = base-3 (--pack 1.6)
};

struct LayerChoice {
  int node = -1;
  std::string name;        // node name, or the weight initializer name when the node has none
  std::string op;          // "Conv2D", "DepthwiseConv2D", "FullyConnected"
  Shape shape;             // weight shape (OC,KH,KW,IC/g) or (N,K)
  bool ternary = false;
  std::string reason;      // why it stays float: "first", "last", "depthwise", "--keep-float", "--method none"
};

struct Summary3 {
  double min = 0, median = 0, max = 0;
};

struct LayerResult {
  LayerChoice layer;
  std::string method;
  bool per_channel = true;
  Summary3 threshold, level;
  quantize::ErrorStats stats;
  size_t parameters = 0;
  size_t packed_bytes = 0;     // packed codes + scales as stored
};

// Which layers become ternary; throws ConvertError when --keep-float names an unknown layer.
std::vector<LayerChoice> choose_layers(const Graph& graph, const TernaryConfig& config);

// Ternarizes the chosen layers' weights in place (Tensor::ternary). `progress` (may be empty)
// receives one line per layer. Throws ConvertError (quantizer errors name the tensor).
std::vector<LayerResult> ternarize_layers(Graph& graph, const std::vector<LayerChoice>& layers,
                                          const TernaryConfig& config,
                                          const std::function<void(const std::string&)>& progress);

Summary3 summarize(std::vector<float> values);

}  // namespace ternrt::convert
