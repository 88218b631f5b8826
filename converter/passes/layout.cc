#include <set>

#include "passes/passes.h"

namespace ternrt::convert {
namespace {

Shape to_nhwc(const Shape& s) { return {s[0], s[2], s[3], s[1]}; }

// Permutes a 4-D NCHW constant's data and shape to NHWC.
void permute_constant_nhwc(Tensor& t) {
  const int64_t n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
  std::vector<float> out(t.data.size());
  for (int64_t in = 0; in < n; ++in)
    for (int64_t ic = 0; ic < c; ++ic)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < w; ++iw)
          out[((in * h + ih) * w + iw) * c + ic] = t.data[((in * c + ic) * h + ih) * w + iw];
  t.data = std::move(out);
  t.shape = to_nhwc(t.shape);
}

bool is_4d_activation(const Tensor& t) { return !t.is_constant && t.shape.size() == 4; }

}  // namespace

void convert_layout(Graph& graph) {
  if (graph.nhwc) return;
  std::set<int> converted_constants;  // shared constants are converted once
  // Copy-on-write for a constant that one node permutes differently from others.
  auto private_copy = [&](int t) {
    Tensor copy = graph.tensors[t];
    return graph.add_tensor(std::move(copy));
  };

  for (Node& node : graph.nodes) {
    if (node.removed) continue;
    switch (node.kind) {
      case OpKind::conv: {
        const int w = node.inputs[1];
        if (converted_constants.count(w)) break;
        Tensor& t = graph.tensors[w];
        // (OC, IC/g, KH, KW) -> (OC, KH, KW, IC/g): the same permutation as NCHW -> NHWC.
        permute_constant_nhwc(t);
        converted_constants.insert(w);
        break;
      }
      case OpKind::fully_connected: {
        const int x = node.inputs[0];
        const int p = graph.producer(x);
        if (p < 0 || graph.nodes[p].kind != OpKind::reshape) break;
        const Shape src = graph.tensors[graph.nodes[p].inputs[0]].shape;
        if (src.size() != 4 || src[2] * src[3] == 1) break;
        // The flatten now reads NHWC memory: reorder the weight columns from (c,h,w) to (h,w,c).
        const int w = node.inputs[1] = private_copy(node.inputs[1]);
        Tensor& t = graph.tensors[w];
        const int64_t rows = t.shape[0], c = src[1], h = src[2], wd = src[3];
        std::vector<float> out(t.data.size());
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t ic = 0; ic < c; ++ic)
            for (int64_t ih = 0; ih < h; ++ih)
              for (int64_t iw = 0; iw < wd; ++iw)
                out[r * c * h * wd + (ih * wd + iw) * c + ic] = t.data[r * c * h * wd + (ic * h + ih) * wd + iw];
        t.data = std::move(out);
        break;
      }
      case OpKind::reshape: {
        const Shape& in = graph.tensors[node.inputs[0]].shape;
        const Shape& out = graph.tensors[node.outputs[0]].shape;
        const bool in_spatial = in.size() == 4 && in[2] * in[3] > 1;
        const bool out_spatial = out.size() == 4 && out[2] * out[3] > 1;
        if (!in_spatial && !out_spatial) break;  // NCHW and NHWC memory orders agree
        bool ok = false;
        if (in_spatial && !out_spatial && out.size() == 2 && out[0] == in[0]) {
          const std::vector<int> users = graph.consumers(node.outputs[0]);
          ok = !graph.is_graph_output(node.outputs[0]) && !users.empty();
          for (int u : users) ok = ok && graph.nodes[u].kind == OpKind::fully_connected;
        }
        if (!ok)
          throw ConvertError(node.describe() + ": reshape " + shape_string(in) + " -> " + shape_string(out) +
                             " is not supported in NHWC; only a flatten to (N, C*H*W) that feeds FullyConnected layers "
                             "(or one whose 4-D side has H = W = 1)");
        break;
      }
      case OpKind::concat: {
        const size_t rank = graph.tensors[node.outputs[0]].shape.size();
        if (rank == 4 && node.axis == 1) {
          node.axis = 3;
        } else if (rank != 4 && node.axis == static_cast<int>(rank) - 1) {
          // already the last axis
        } else {
          throw ConvertError(node.describe() + ": concatenation along axis " + std::to_string(node.axis) + " of a rank-" +
                             std::to_string(rank) + " tensor is not supported (only the channel axis)");
        }
        break;
      }
      case OpKind::softmax: {
        const size_t rank = graph.tensors[node.outputs[0]].shape.size();
        if (rank == 4 && node.axis == 1) {
          node.axis = 3;
        } else if (rank == 4 || node.axis != static_cast<int>(rank) - 1) {
          throw ConvertError(node.describe() + ": softmax over axis " + std::to_string(node.axis) + " of a rank-" +
                             std::to_string(rank) + " tensor is not supported (only the last or the channel axis)");
        }
        break;
      }
      case OpKind::pad: {
        if (node.paddings.size() == 8) {
          const std::vector<int64_t> p = node.paddings;  // pairs in N, C, H, W order
          node.paddings = {p[0], p[1], p[4], p[5], p[6], p[7], p[2], p[3]};
        }
        break;
      }
      case OpKind::add:
      case OpKind::mul: {
        const Shape out = graph.tensors[node.outputs[0]].shape;
        int b = node.inputs[1];
        if (graph.tensors[b].is_constant) {
          if (converted_constants.count(b)) b = node.inputs[1] = private_copy(b);
          Tensor& t = graph.tensors[b];
          while (t.shape.size() < out.size()) t.shape.insert(t.shape.begin(), 1);  // numpy alignment
          if (num_elements(t.shape) == 1) {
            t.shape = {1};
          } else if (t.shape.size() == 4) {
            permute_constant_nhwc(t);
          }
          converted_constants.insert(b);
        }
        break;
      }
      default:
        break;
    }
  }

  bool converted_input = false;
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    Tensor& t = graph.tensors[i];
    if (!is_4d_activation(t)) continue;
    t.shape = to_nhwc(t.shape);
    converted_input = converted_input || graph.is_graph_input(static_cast<int>(i));
  }
  if (converted_input) graph.metadata["source_layout"] = "NCHW";

  // The format broadcasts the second input of Add/Mul only as equal shape, (…,1,1,C), (C) or a scalar.
  for (const Node& node : graph.nodes) {
    if (node.removed || (node.kind != OpKind::add && node.kind != OpKind::mul)) continue;
    const Shape& a = graph.tensors[node.inputs[0]].shape;
    Shape b = graph.tensors[node.inputs[1]].shape;
    if (b == a || num_elements(b) == 1) continue;
    bool channel = !a.empty() && b.back() == a.back();
    for (size_t d = 0; d + 1 < b.size(); ++d) {
      const size_t ad = a.size() - b.size() + d;
      channel = channel && (b[d] == 1 || (ad == 0 && b[d] == a[0]));
    }
    if (!channel)
      throw ConvertError(node.describe() + ": broadcasting " + shape_string(b) + " against " + shape_string(a) +
                         " (NHWC) is not supported; the second input must have the same shape, be per-channel "
                         "(1,1,1,C)/(N,1,1,C)/(C) or be a scalar");
  }
  graph.nhwc = true;
}

}  // namespace ternrt::convert
