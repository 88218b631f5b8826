#include <cmath>

#include "passes/passes.h"

namespace ternrt::convert {
namespace {

// The single consumer of `t`, or -1 when t has several/no consumers or is a graph output.
int sole_consumer(const Graph& graph, int t) {
  if (graph.is_graph_output(t)) return -1;
  std::vector<int> users = graph.consumers(t);
  return users.size() == 1 ? users[0] : -1;
}

// The removed node's output is now written by `writer` (keeps downstream tensor names).
void redirect_output(Graph& graph, int writer, int old_output, int new_output) {
  for (int& t : graph.nodes[writer].outputs)
    if (t == old_output) t = new_output;
}

// x * HardSigmoid(x) with alpha 1/6, beta 1/2 is HardSwish (PyTorch's export below opset 14).
void fuse_hard_swish(Graph& graph) {
  for (Node& mul : graph.nodes) {
    if (mul.removed || mul.kind != OpKind::mul) continue;
    for (int side = 0; side < 2; ++side) {
      const int h = mul.inputs[side], x = mul.inputs[1 - side];
      const int p = graph.producer(h);
      if (p < 0) continue;
      Node& hs = graph.nodes[p];
      const bool is_hsig = hs.kind == OpKind::activation && hs.activation.type == ActivationType::hard_sigmoid &&
                           std::fabs(hs.activation.alpha - 1.0f / 6.0f) < 1e-6f &&
                           std::fabs(hs.activation.beta - 0.5f) < 1e-6f && hs.inputs[0] == x;
      if (!is_hsig || sole_consumer(graph, h) < 0) continue;
      hs.removed = true;
      mul.kind = OpKind::activation;
      mul.activation = Activation{ActivationType::hard_swish};
      mul.inputs = {x};
      break;
    }
  }
}

// Zero Pad of H/W only, feeding one Conv (or AvgPool that then counts the padding).
void fold_pad(Graph& graph) {
  for (Node& pad : graph.nodes) {
    if (pad.removed || pad.kind != OpKind::pad || pad.paddings.size() != 8 || pad.pad_value != 0.0f) continue;
    const std::vector<int64_t>& p = pad.paddings;  // NCHW (before, after) pairs
    if (p[0] || p[1] || p[2] || p[3]) continue;
    const int c = sole_consumer(graph, pad.outputs[0]);
    if (c < 0) continue;
    Node& next = graph.nodes[c];
    if (next.inputs[0] != pad.outputs[0]) continue;
    if (next.kind == OpKind::avg_pool) {
      const bool pool_padded = next.pad_top || next.pad_left || next.pad_bottom || next.pad_right;
      if (pool_padded && !next.count_include_pad) continue;  // mixed counting: not expressible
      next.count_include_pad = true;
    } else if (next.kind != OpKind::conv) {
      continue;
    }
    next.pad_top += static_cast<int>(p[4]);
    next.pad_bottom += static_cast<int>(p[5]);
    next.pad_left += static_cast<int>(p[6]);
    next.pad_right += static_cast<int>(p[7]);
    next.inputs[0] = pad.inputs[0];
    pad.removed = true;
  }
}

// FC followed by Add of a constant (N) or (1, N) vector: MatMul + Add as exported by PyTorch.
void fold_fc_bias(Graph& graph) {
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& add = graph.nodes[i];
    if (add.removed || add.kind != OpKind::add) continue;
    const int x = add.inputs[0], c = add.inputs[1];
    const int p = graph.producer(x);
    if (p < 0 || !graph.tensors[c].is_constant || sole_consumer(graph, x) != static_cast<int>(i)) continue;
    Node& fc = graph.nodes[p];
    if (fc.kind != OpKind::fully_connected || fc.activation.type != ActivationType::none) continue;
    const Tensor& bias_add = graph.tensors[c];
    const int64_t n = graph.tensors[fc.inputs[2]].shape[0];
    const bool vector = num_elements(bias_add.shape) == n &&
                        (bias_add.shape.size() == 1 || (bias_add.shape.size() == 2 && bias_add.shape[0] == 1));
    if (!vector) continue;
    Tensor bias = graph.tensors[fc.inputs[2]];
    for (int64_t j = 0; j < n; ++j) bias.data[j] += bias_add.data[j];
    fc.inputs[2] = graph.add_tensor(std::move(bias));
    redirect_output(graph, p, x, graph.nodes[i].outputs[0]);
    graph.nodes[i].removed = true;
  }
}

}  // namespace

void fuse_patterns(Graph& graph) {
  fuse_hard_swish(graph);
  fold_pad(graph);
  fold_fc_bias(graph);
}

}  // namespace ternrt::convert
