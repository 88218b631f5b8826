#include "ir/graph.h"

#include <algorithm>
#include <sstream>

namespace ternrt::convert {

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::conv: return "Conv2D";
    case OpKind::fully_connected: return "FullyConnected";
    case OpKind::batch_norm: return "BatchNorm";
    case OpKind::add: return "Add";
    case OpKind::mul: return "Mul";
    case OpKind::max_pool: return "MaxPool2D";
    case OpKind::avg_pool: return "AvgPool2D";
    case OpKind::global_avg_pool: return "GlobalAvgPool";
    case OpKind::reshape: return "Reshape";
    case OpKind::concat: return "Concat";
    case OpKind::pad: return "Pad";
    case OpKind::softmax: return "Softmax";
    case OpKind::activation: return "Activation";
    case OpKind::identity: return "Identity";
  }
  return "?";
}

std::string Node::describe() const {
  std::ostringstream s;
  if (name.empty() && !output_name.empty())
    s << "unnamed node producing '" << output_name << "' (";
  else
    s << "node '" << name << "' (";
  s << (onnx_op.empty() ? op_kind_name(kind) : onnx_op.c_str());
  if (opset > 0) s << ", opset " << opset;
  s << ")";
  return s.str();
}

int Graph::add_tensor(Tensor tensor) {
  tensors.push_back(std::move(tensor));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::add_constant(std::string name, Shape shape, std::vector<float> data) {
  Tensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.is_constant = true;
  t.data = std::move(data);
  return add_tensor(std::move(t));
}

std::vector<int> Graph::consumers(int t) const {
  std::vector<int> result;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].removed) continue;
    for (int in : nodes[i].inputs) {
      if (in == t) {
        result.push_back(static_cast<int>(i));
        break;
      }
    }
  }
  return result;
}

int Graph::producer(int t) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].removed) continue;
    for (int out : nodes[i].outputs)
      if (out == t) return static_cast<int>(i);
  }
  return -1;
}

bool Graph::is_graph_output(int t) const {
  return std::find(outputs.begin(), outputs.end(), t) != outputs.end();
}

bool Graph::is_graph_input(int t) const {
  return std::find(inputs.begin(), inputs.end(), t) != inputs.end();
}

void Graph::replace_uses(int from, int to) {
  for (Node& n : nodes) {
    if (n.removed) continue;
    for (int& in : n.inputs)
      if (in == from) in = to;
  }
  for (int& out : outputs)
    if (out == from) out = to;
}

void Graph::compact() {
  std::vector<Node> kept;
  for (Node& n : nodes)
    if (!n.removed) kept.push_back(std::move(n));
  nodes = std::move(kept);

  std::vector<char> used(tensors.size(), 0);
  for (int t : inputs) used[t] = 1;
  for (int t : outputs) used[t] = 1;
  for (const Node& n : nodes) {
    for (int t : n.inputs)
      if (t >= 0) used[t] = 1;
    for (int t : n.outputs)
      if (t >= 0) used[t] = 1;
  }
  std::vector<int> remap(tensors.size(), -1);
  std::vector<Tensor> new_tensors;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!used[i]) continue;
    remap[i] = static_cast<int>(new_tensors.size());
    new_tensors.push_back(std::move(tensors[i]));
  }
  tensors = std::move(new_tensors);
  auto fix = [&](std::vector<int>& v) {
    for (int& t : v)
      if (t >= 0) t = remap[t];
  };
  fix(inputs);
  fix(outputs);
  for (Node& n : nodes) {
    fix(n.inputs);
    fix(n.outputs);
  }
}

void Graph::check_topological() const {
  std::vector<char> available(tensors.size(), 0);
  for (int t : inputs) available[t] = 1;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].is_constant) available[i] = 1;
  for (const Node& n : nodes) {
    if (n.removed) continue;
    for (int t : n.inputs) {
      if (t < 0) continue;
      if (t >= static_cast<int>(tensors.size()))
        throw ConvertError(n.describe() + ": input tensor index " + std::to_string(t) + " out of range");
      if (!available[t])
        throw ConvertError(n.describe() + ": input '" + tensors[t].name +
                           "' is used before it is produced (graph not in topological order)");
    }
    for (int t : n.outputs) available[t] = 1;
  }
  for (int t : outputs)
    if (!available[t])
      throw ConvertError("graph output '" + tensors[t].name + "' is never produced");
}

int64_t num_elements(const Shape& shape) {
  // Shapes come from untrusted ONNX files: a product that overflows (signed overflow is undefined
  // behaviour) or exceeds what the runtime accepts (2^40 elements) is an error, not a wrapped value.
  constexpr int64_t kMaxElements = int64_t{1} << 40;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxElements || n < -kMaxElements)
      throw ConvertError("shape " + shape_string(shape) + " has more than 2^40 elements");
  }
  return n;
}

std::string shape_string(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace ternrt::convert
