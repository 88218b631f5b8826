#include <cmath>

#include "passes/passes.h"

namespace ternrt::convert {

void fold_batchnorm(Graph& graph) {
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].removed || graph.nodes[i].kind != OpKind::batch_norm) continue;
    Node bn = graph.nodes[i];
    const int x = bn.inputs[0];
    const std::vector<float>& gamma = graph.tensors[bn.inputs[1]].data;
    const std::vector<float>& beta = graph.tensors[bn.inputs[2]].data;
    const std::vector<float>& mean = graph.tensors[bn.inputs[3]].data;
    const std::vector<float>& var = graph.tensors[bn.inputs[4]].data;
    const size_t channels = gamma.size();
    // y = gamma * (x - mean) / sqrt(var + eps) + beta = scale * x + shift
    std::vector<float> scale(channels), shift(channels);
    for (size_t c = 0; c < channels; ++c) {
      const double s = double(gamma[c]) / std::sqrt(double(var[c]) + double(bn.epsilon));
      if (!std::isfinite(s) || var[c] + bn.epsilon <= 0)
        throw ConvertError(bn.describe() + ": variance " + std::to_string(var[c]) + " + epsilon of channel " +
                           std::to_string(c) + " is not positive");
      scale[c] = static_cast<float>(s);
      shift[c] = static_cast<float>(double(beta[c]) - double(mean[c]) * s);
    }

    const int p = graph.producer(x);
    const bool foldable = p >= 0 && !graph.is_graph_output(x) && graph.consumers(x).size() == 1 &&
                          (graph.nodes[p].kind == OpKind::conv || graph.nodes[p].kind == OpKind::fully_connected) &&
                          graph.nodes[p].activation.type == ActivationType::none;
    if (foldable) {
      Node& producer = graph.nodes[p];
      // Weights are (OC, ...) in both layouts: scale each output row. Copies: the weight
      // constant may be shared with another node.
      Tensor w = graph.tensors[producer.inputs[1]];
      Tensor b = graph.tensors[producer.inputs[2]];
      const size_t row = w.data.size() / channels;
      if (w.shape[0] != static_cast<int64_t>(channels))
        throw ConvertError(bn.describe() + ": has " + std::to_string(channels) + " channels but its producer " +
                           producer.describe() + " has " + std::to_string(w.shape[0]));
      for (size_t c = 0; c < channels; ++c) {
        for (size_t k = 0; k < row; ++k) w.data[c * row + k] *= scale[c];
        b.data[c] = b.data[c] * scale[c] + shift[c];
      }
      producer.inputs[1] = graph.add_tensor(std::move(w));
      producer.inputs[2] = graph.add_tensor(std::move(b));
      graph.nodes[i].removed = true;
      // The producer now writes the BN's output tensor (keeps graph-output names).
      Node& prod = graph.nodes[p];
      for (int& t : prod.outputs)
        if (t == x) t = bn.outputs[0];
      continue;
    }

    // Not foldable: per-channel Mul then Add, constants broadcast over the channel axis (1).
    const Shape xs = graph.tensors[x].shape;
    Shape cshape(xs.size(), 1);
    cshape[1] = static_cast<int64_t>(channels);
    const std::string base = bn.name.empty() ? graph.tensors[bn.outputs[0]].name : bn.name;
    int scale_t = graph.add_constant(base + ".bn_scale", cshape, scale);
    int shift_t = graph.add_constant(base + ".bn_shift", cshape, shift);
    Tensor mid;
    mid.name = base + ".bn_scaled";
    mid.shape = xs;
    int mid_t = graph.add_tensor(std::move(mid));
    Node mul = bn;
    mul.kind = OpKind::mul;
    mul.inputs = {x, scale_t};
    mul.outputs = {mid_t};
    Node add = bn;
    add.kind = OpKind::add;
    add.inputs = {mid_t, shift_t};
    add.outputs = bn.outputs;
    graph.nodes[i] = mul;
    graph.nodes.insert(graph.nodes.begin() + static_cast<long>(i) + 1, add);
    ++i;
  }
}

}  // namespace ternrt::convert
