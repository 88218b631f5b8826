// The converter's intermediate representation: a graph of nodes over tensors, with constants
// held as float (or int64) vectors. The ONNX importer builds it in ONNX's NCHW layout; the passes
// fold/fuse/clean it; the layout pass turns it into ternrt's NHWC layout once; the writer
// serializes it to the .tern FlatBuffer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ternrt::convert {

// Any conversion failure. The message names the node/tensor and what was expected; the tool
// prefixes it with "ternrt-convert: <file>: ".
class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Shape = std::vector<int64_t>;

// Ternary form of a Conv/FC weight tensor: value[n][k] = scales[n or 0] * trits[n][k], rows =
// shape[0] (output channels), K = product of the other dims, in the tensor's current layout.
struct TernaryData {
  std::vector<int8_t> trits;      // n * k values in {-1, 0, +1}
  std::vector<float> scales;      // n (per channel) or 1 (per tensor)
  std::vector<float> thresholds;  // same count as scales
  std::vector<float> levels;      // same count as scales
  std::string method;             // "rtn", "twn", "tquant", "mquant", "l2opt"
  bool per_channel = true;
  int packing = 0;                // 0 = canonical 2-bit, 1 = base-3 (5 trits per byte)
};

// Static int8 parameters of an activation tensor (format 1.1, docs/format.md):
// real = scale * (q - zero_point), q in [-128, 127].
struct Int8Params {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

struct Tensor {
  std::string name;
  Shape shape;
  bool is_constant = false;
  std::vector<float> data;        // float constants (weights, biases, scalars)
  std::vector<int64_t> int_data;  // integer constants (shapes, pads, axes); never written
  bool is_int = false;            // the constant's payload lives in int_data
  std::shared_ptr<TernaryData> ternary;  // set: written as TERNARY2 instead of `data`
  std::optional<Int8Params> int8;        // activations only (--static-int8): Tensor.quantization
};

enum class ActivationType { none, relu, relu6, clip, hard_swish, hard_sigmoid, sigmoid };

struct Activation {
  ActivationType type = ActivationType::none;
  float clip_min = 0, clip_max = 0;  // clip
  float alpha = 0.2f, beta = 0.5f;   // hard_sigmoid
};

enum class OpKind {
  conv,             // inputs: x, weights, bias (always present after import)
  fully_connected,  // inputs: x (B, K), weights (N, K), bias (N)
  batch_norm,       // inputs: x, scale, bias, mean, var (folded or lowered by fold_batchnorm)
  add,
  mul,
  max_pool,
  avg_pool,
  global_avg_pool,
  reshape,          // output shape = output tensor's shape (Flatten is a Reshape)
  concat,
  pad,
  softmax,
  activation,       // standalone activation
  identity,         // Identity / Dropout: removed by remove_noops
};

const char* op_kind_name(OpKind kind);

struct Node {
  OpKind kind = OpKind::identity;
  std::string name;       // ONNX node name (may be empty)
  std::string onnx_op;    // the ONNX op type it came from, for messages
  std::string output_name;  // first output's name: identifies unnamed nodes in messages
  int opset = 0;
  std::vector<int> inputs;   // tensor indices; -1 = absent
  std::vector<int> outputs;

  // conv / pooling geometry (NCHW-independent: h/w)
  int kernel_h = 0, kernel_w = 0;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int groups = 1;
  bool count_include_pad = false;

  Activation activation;   // fused (conv, fc, add, mul, pools) or the op itself (activation)
  int axis = -1;           // concat / softmax, in the graph's current layout
  std::vector<int64_t> paddings;  // pad: (before, after) per dimension, current layout
  float pad_value = 0;
  float epsilon = 1e-5f;   // batch_norm

  bool removed = false;    // marked by passes, dropped by Graph::compact()

  // "node 'conv3' (Conv, opset 13)" for error messages.
  std::string describe() const;
};

struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;   // topological order
  std::vector<int> inputs, outputs;
  std::map<std::string, std::string> metadata;
  bool nhwc = false;         // set by the layout pass

  int add_tensor(Tensor tensor);
  int add_constant(std::string name, Shape shape, std::vector<float> data);
  // Indices of nodes reading tensor `t` (excluding removed nodes).
  std::vector<int> consumers(int t) const;
  // Index of the node producing tensor `t`, or -1 (graph input / constant).
  int producer(int t) const;
  bool is_graph_output(int t) const;
  bool is_graph_input(int t) const;
  // Replaces every use of tensor `from` (node inputs and graph outputs) by `to`.
  void replace_uses(int from, int to);
  // Drops removed nodes and tensors no longer referenced, renumbering indices.
  void compact();
  // Throws ConvertError when nodes are not in topological order or reference bad tensors.
  void check_topological() const;
};

int64_t num_elements(const Shape& shape);
std::string shape_string(const Shape& shape);

}  // namespace ternrt::convert
