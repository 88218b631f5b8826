#include "onnx/onnx_importer.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace ternrt::convert {
namespace {

const onnx::AttributeProto* find_attr(const onnx::NodeProto& node, const char* name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const ImportOptions& options) : model_(model), options_(options) {}

  Graph run() {
    find_opset();
    const onnx::GraphProto& graph = model_.graph();
    for (const auto& init : graph.initializer()) {
      Tensor t;
      t.is_constant = true;
      read_tensor_proto(init, "initializer '" + init.name() + "'", &t);
      t.name = init.name();
      const int index = g_.add_tensor(std::move(t));
      names_[init.name()] = index;
    }
    for (const auto& input : graph.input()) {
      if (names_.count(input.name())) continue;  // old IR versions list initializers as inputs
      int t = g_.add_tensor(graph_input_tensor(input));
      names_[input.name()] = t;
      g_.inputs.push_back(t);
    }
    for (int i = 0; i < graph.node_size(); ++i) import_node(graph.node(i));
    for (const auto& output : graph.output()) {
      auto it = names_.find(output.name());
      if (it == names_.end())
        throw ConvertError("graph output '" + output.name() + "' is not produced by any node");
      if (g_.tensors[it->second].is_constant)
        throw ConvertError("graph output '" + output.name() + "' is a constant; constant outputs are not supported");
      g_.outputs.push_back(it->second);
    }
    if (g_.inputs.empty()) throw ConvertError("the graph has no (non-initializer) inputs");
    if (g_.outputs.empty()) throw ConvertError("the graph has no outputs");
    g_.metadata["onnx.opset"] = std::to_string(opset_);
    if (!model_.producer_name().empty())
      g_.metadata["onnx.producer"] = model_.producer_name() +
                                     (model_.producer_version().empty() ? "" : " " + model_.producer_version());
    return std::move(g_);
  }

 private:
  const onnx::ModelProto& model_;
  ImportOptions options_;
  Graph g_;
  int opset_ = 0;
  std::map<std::string, int> names_;
  const onnx::NodeProto* onnx_node_ = nullptr;  // node being imported
  Node current_;                                 // its IR node (for describe())

  [[noreturn]] void fail(const std::string& what) const { throw ConvertError(current_.describe() + ": " + what); }

  void find_opset() {
    bool found = false;
    for (const auto& op : model_.opset_import()) {
      if (op.domain().empty() || op.domain() == "ai.onnx") {
        opset_ = static_cast<int>(op.version());
        found = true;
      }
    }
    if (!found) throw ConvertError("the model declares no ai.onnx opset (opset_import is empty)");
    if (opset_ < kMinOpset || opset_ > kMaxOpset)
      throw ConvertError("ai.onnx opset " + std::to_string(opset_) + " is not supported (supported: " +
                         std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + ")");
  }

  static void read_tensor_proto(const onnx::TensorProto& tp, const std::string& what, Tensor* t) {
    if (tp.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
      throw ConvertError(what + ": external data files are not supported (save the model with its weights inside)");
    t->shape.assign(tp.dims().begin(), tp.dims().end());
    for (int64_t d : t->shape)
      if (d < 0) throw ConvertError(what + ": negative dimension in " + shape_string(t->shape));
    const int64_t n = num_elements(t->shape);
    const std::string& raw = tp.raw_data();
    auto check_count = [&](int64_t got) {
      if (got != n)
        throw ConvertError(what + ": holds " + std::to_string(got) + " values but its shape " +
                           shape_string(t->shape) + " needs " + std::to_string(n));
    };
    auto from_raw = [&](auto element) {
      using E = decltype(element);
      if (raw.size() % sizeof(E) != 0) check_count(-1);
      check_count(static_cast<int64_t>(raw.size() / sizeof(E)));
      std::vector<E> v(static_cast<size_t>(n));
      if (n) std::memcpy(v.data(), raw.data(), raw.size());  // little-endian host, like ONNX
      return v;
    };
    switch (tp.data_type()) {
      case onnx::TensorProto_DataType_FLOAT:
        if (tp.has_raw_data()) {
          t->data = from_raw(float{});
        } else {
          check_count(tp.float_data_size());
          t->data.assign(tp.float_data().begin(), tp.float_data().end());
        }
        break;
      case onnx::TensorProto_DataType_DOUBLE: {
        std::vector<double> v;
        if (tp.has_raw_data()) {
          v = from_raw(double{});
        } else {
          check_count(tp.double_data_size());
          v.assign(tp.double_data().begin(), tp.double_data().end());
        }
        t->data.assign(v.begin(), v.end());
        break;
      }
      case onnx::TensorProto_DataType_INT64:
        t->is_int = true;
        if (tp.has_raw_data()) {
          t->int_data = from_raw(int64_t{});
        } else {
          check_count(tp.int64_data_size());
          t->int_data.assign(tp.int64_data().begin(), tp.int64_data().end());
        }
        break;
      case onnx::TensorProto_DataType_INT32: {
        t->is_int = true;
        std::vector<int32_t> v;
        if (tp.has_raw_data()) {
          v = from_raw(int32_t{});
        } else {
          check_count(tp.int32_data_size());
          v.assign(tp.int32_data().begin(), tp.int32_data().end());
        }
        t->int_data.assign(v.begin(), v.end());
        break;
      }
      default:
        throw ConvertError(what + ": element type " + std::to_string(tp.data_type()) +
                           " is not supported (expected float, double, int32 or int64)");
    }
  }

  Tensor graph_input_tensor(const onnx::ValueInfoProto& input) const {
    const std::string what = "graph input '" + input.name() + "'";
    if (!input.type().has_tensor_type()) throw ConvertError(what + ": not a tensor");
    const auto& tt = input.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto_DataType_FLOAT)
      throw ConvertError(what + ": element type " + std::to_string(tt.elem_type()) + " is not supported (expected float)");
    if (!tt.has_shape()) throw ConvertError(what + ": has no shape; a static shape is required");
    Tensor t;
    t.name = input.name();
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto& dim = tt.shape().dim(i);
      if (dim.has_dim_value() && dim.dim_value() > 0) {
        t.shape.push_back(dim.dim_value());
      } else if (i == 0) {
        t.shape.push_back(options_.batch);  // dynamic batch: --batch N (default 1)
      } else {
        throw ConvertError(what + ": dimension " + std::to_string(i) + " is dynamic ('" +
                           (dim.has_dim_param() ? dim.dim_param() : std::string("?")) +
                           "'); only the batch dimension may be dynamic");
      }
    }
    return t;
  }

  // ---- attributes
  int64_t attr_int(const char* name, int64_t fallback) const {
    const auto* a = find_attr(*onnx_node_, name);
    return a ? a->i() : fallback;
  }
  float attr_float(const char* name, float fallback) const {
    const auto* a = find_attr(*onnx_node_, name);
    return a ? a->f() : fallback;
  }
  std::string attr_string(const char* name, const std::string& fallback) const {
    const auto* a = find_attr(*onnx_node_, name);
    return a ? a->s() : fallback;
  }
  std::vector<int64_t> attr_ints(const char* name) const {
    const auto* a = find_attr(*onnx_node_, name);
    if (!a) return {};
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }

  // ---- inputs
  int num_inputs() const {
    // Trailing empty names are absent optional inputs.
    int n = onnx_node_->input_size();
    while (n > 0 && onnx_node_->input(n - 1).empty()) --n;
    return n;
  }
  int input(int i) const {
    if (i >= onnx_node_->input_size() || onnx_node_->input(i).empty()) return -1;
    auto it = names_.find(onnx_node_->input(i));
    if (it == names_.end()) fail("input '" + onnx_node_->input(i) + "' is not defined before this node");
    return it->second;
  }
  int required_input(int i) const {
    int t = input(i);
    if (t < 0) fail("input " + std::to_string(i) + " is missing");
    return t;
  }
  const Tensor& constant_input(int i, const char* role) const {
    int t = required_input(i);
    const Tensor& tensor = g_.tensors[t];
    if (!tensor.is_constant)
      fail(std::string(role) + " '" + tensor.name + "' must be a constant (initializer or Constant node)");
    return tensor;
  }
  const Tensor& float_constant(int i, const char* role) const {
    const Tensor& t = constant_input(i, role);
    if (t.is_int) fail(std::string(role) + " '" + t.name + "' must be a float tensor");
    return t;
  }
  std::vector<int64_t> int_constant(int i, const char* role) const {
    const Tensor& t = constant_input(i, role);
    if (!t.is_int) fail(std::string(role) + " '" + t.name + "' must be an integer tensor");
    return t.int_data;
  }
  const Shape& shape_of(int t) const { return g_.tensors[t].shape; }
  int activation_input(int i, size_t rank, const char* role) const {
    int t = required_input(i);
    if (g_.tensors[t].is_constant) fail(std::string(role) + " '" + g_.tensors[t].name + "' must not be a constant");
    if (rank && shape_of(t).size() != rank)
      fail(std::string(role) + " '" + g_.tensors[t].name + "' has shape " + shape_string(shape_of(t)) + "; expected rank " +
           std::to_string(rank));
    return t;
  }

  // Creates the IR node's output tensor(s); only the first output may be used (others must be unused).
  int make_output(const Shape& shape) {
    for (int i = 1; i < onnx_node_->output_size(); ++i)
      if (!onnx_node_->output(i).empty() && output_used(onnx_node_->output(i)))
        fail("optional output '" + onnx_node_->output(i) + "' is used; only the first output is supported");
    Tensor t;
    t.name = onnx_node_->output(0);
    t.shape = shape;
    for (int64_t d : shape)
      if (d <= 0) fail("output '" + t.name + "' would have shape " + shape_string(shape) + " (empty tensor)");
    int index = g_.add_tensor(std::move(t));
    names_[onnx_node_->output(0)] = index;
    return index;
  }
  bool output_used(const std::string& name) const {
    for (const auto& n : model_.graph().node())
      for (const auto& in : n.input())
        if (in == name) return true;
    for (const auto& out : model_.graph().output())
      if (out.name() == name) return true;
    return false;
  }
  void add_constant_output(Tensor t) {
    t.name = onnx_node_->output(0);
    t.is_constant = true;
    const int index = g_.add_tensor(std::move(t));
    names_[onnx_node_->output(0)] = index;
  }
  void emit(Node node, const Shape& out_shape) {
    node.outputs = {make_output(out_shape)};
    g_.nodes.push_back(std::move(node));
  }

  // ---- node import
  void import_node(const onnx::NodeProto& proto) {
    onnx_node_ = &proto;
    current_ = Node();
    current_.name = proto.name();
    current_.onnx_op = proto.op_type();
    current_.opset = opset_;
    current_.output_name = proto.output_size() ? proto.output(0) : std::string();
    if (!proto.domain().empty() && proto.domain() != "ai.onnx")
      fail("operator domain '" + proto.domain() + "' is not supported (only ai.onnx)");
    if (proto.output_size() < 1 || proto.output(0).empty()) fail("node has no output");
    const std::string& op = proto.op_type();
    if (op == "Conv") return import_conv();
    if (op == "Gemm") return import_gemm();
    if (op == "MatMul") return import_matmul();
    if (op == "BatchNormalization") return import_batchnorm();
    if (op == "Relu") return import_activation({ActivationType::relu});
    if (op == "Sigmoid") return import_activation({ActivationType::sigmoid});
    if (op == "HardSwish") return import_activation({ActivationType::hard_swish});
    if (op == "HardSigmoid") {
      Activation a{ActivationType::hard_sigmoid};
      a.alpha = attr_float("alpha", 0.2f);
      a.beta = attr_float("beta", 0.5f);
      return import_activation(a);
    }
    if (op == "Clip") return import_clip();
    if (op == "Add") return import_binary(OpKind::add);
    if (op == "Mul") return import_binary(OpKind::mul);
    if (op == "MaxPool") return import_pool(OpKind::max_pool);
    if (op == "AveragePool") return import_pool(OpKind::avg_pool);
    if (op == "GlobalAveragePool") return import_global_avg_pool();
    if (op == "Flatten") return import_flatten();
    if (op == "Reshape") return import_reshape();
    if (op == "Concat") return import_concat();
    if (op == "Pad") return import_pad();
    if (op == "Softmax") return import_softmax();
    if (op == "Constant") return import_constant();
    if (op == "Identity" || op == "Dropout") return import_identity();
    if (op == "Shape" || op == "Gather" || op == "Unsqueeze" || op == "Squeeze" || op == "ConstantOfShape" ||
        op == "Slice" || op == "Transpose" || op == "Cast")
      return import_shape_arithmetic(op);
    fail("operator '" + op + "' is not supported");
  }

  // Conv/pool spatial geometry: kernel, strides, dilations, pads (explicit or auto_pad).
  // Returns the output (H, W).
  std::pair<int64_t, int64_t> geometry(Node& n, int64_t in_h, int64_t in_w, bool allow_ceil) {
    auto strides = attr_ints("strides");
    auto dilations = attr_ints("dilations");
    auto pads = attr_ints("pads");
    if (!strides.empty() && strides.size() != 2) fail("strides must have 2 values for a 2-D op");
    if (!dilations.empty() && dilations.size() != 2) fail("dilations must have 2 values for a 2-D op");
    if (!pads.empty() && pads.size() != 4) fail("pads must have 4 values for a 2-D op");
    if (!strides.empty()) n.stride_h = static_cast<int>(strides[0]), n.stride_w = static_cast<int>(strides[1]);
    if (!dilations.empty()) n.dilation_h = static_cast<int>(dilations[0]), n.dilation_w = static_cast<int>(dilations[1]);
    if (n.stride_h < 1 || n.stride_w < 1) fail("strides must be >= 1");
    if (n.dilation_h < 1 || n.dilation_w < 1) fail("dilations must be >= 1");
    const int64_t eff_kh = int64_t(n.kernel_h - 1) * n.dilation_h + 1;
    const int64_t eff_kw = int64_t(n.kernel_w - 1) * n.dilation_w + 1;
    const std::string auto_pad = attr_string("auto_pad", "NOTSET");
    if (auto_pad == "NOTSET") {
      if (!pads.empty()) {
        for (int64_t p : pads)
          if (p < 0) fail("negative pads are not supported");
        n.pad_top = static_cast<int>(pads[0]);
        n.pad_left = static_cast<int>(pads[1]);
        n.pad_bottom = static_cast<int>(pads[2]);
        n.pad_right = static_cast<int>(pads[3]);
      }
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      auto same = [&](int64_t in, int64_t stride, int64_t eff_k, int* begin, int* end) {
        int64_t out = (in + stride - 1) / stride;
        int64_t total = std::max<int64_t>(0, (out - 1) * stride + eff_k - in);
        int64_t small = total / 2;
        *begin = static_cast<int>(auto_pad == "SAME_UPPER" ? small : total - small);
        *end = static_cast<int>(total - *begin);
      };
      same(in_h, n.stride_h, eff_kh, &n.pad_top, &n.pad_bottom);
      same(in_w, n.stride_w, eff_kw, &n.pad_left, &n.pad_right);
    } else if (auto_pad != "VALID") {
      fail("auto_pad '" + auto_pad + "' is not supported");
    }
    auto out_dim = [&](int64_t in, int64_t stride, int64_t eff_k, int pb, int* pe, const char* axis) {
      int64_t span = in + pb + *pe - eff_k;
      if (span < 0)
        fail(std::string("kernel (") + std::to_string(eff_k) + ") is larger than the padded input along " + axis);
      int64_t out = span / stride + 1;
      if (allow_ceil && attr_int("ceil_mode", 0)) {
        int64_t out_ceil = (span + stride - 1) / stride + 1;
        // The last window must start inside the input or the leading padding (ONNX/PyTorch rule).
        if ((out_ceil - 1) * stride >= in + pb) --out_ceil;
        if (out_ceil > out) {
          // Same result as ceil_mode: extend the trailing padding so floor division covers it.
          *pe += static_cast<int>((out_ceil - 1) * stride + eff_k - (in + pb + *pe));
          out = out_ceil;
          return std::make_pair(out, true);
        }
      }
      return std::make_pair(out, false);
    };
    auto [out_h, ceil_h] = out_dim(in_h, n.stride_h, eff_kh, n.pad_top, &n.pad_bottom, "H");
    auto [out_w, ceil_w] = out_dim(in_w, n.stride_w, eff_kw, n.pad_left, &n.pad_right, "W");
    ceil_used_ = ceil_h || ceil_w;
    return {out_h, out_w};
  }
  bool ceil_used_ = false;

  void import_conv() {
    Node n = current_;
    n.kind = OpKind::conv;
    int x = activation_input(0, 0, "input");
    if (shape_of(x).size() != 4)
      fail("input has shape " + shape_string(shape_of(x)) + "; only 2-D convolutions (4-D NCHW input) are supported");
    const Tensor& w = float_constant(1, "weights");
    if (w.shape.size() != 4) fail("weights '" + w.name + "' have shape " + shape_string(w.shape) + "; expected (OC, IC/groups, KH, KW)");
    const Shape xs = shape_of(x);
    const int64_t oc = w.shape[0];
    n.groups = static_cast<int>(attr_int("group", 1));
    if (n.groups < 1 || xs[1] % n.groups != 0 || oc % n.groups != 0)
      fail("group " + std::to_string(n.groups) + " does not divide input channels " + std::to_string(xs[1]) +
           " and output channels " + std::to_string(oc));
    if (w.shape[1] * n.groups != xs[1])
      fail("weights '" + w.name + "' have shape " + shape_string(w.shape) + " but the input has " + std::to_string(xs[1]) +
           " channels and group is " + std::to_string(n.groups));
    auto kernel = attr_ints("kernel_shape");
    if (!kernel.empty() && (kernel.size() != 2 || kernel[0] != w.shape[2] || kernel[1] != w.shape[3]))
      fail("kernel_shape does not match the weights' shape " + shape_string(w.shape));
    n.kernel_h = static_cast<int>(w.shape[2]);
    n.kernel_w = static_cast<int>(w.shape[3]);
    auto [oh, ow] = geometry(n, xs[2], xs[3], false);
    int w_index = required_input(1);
    int bias;
    if (input(2) >= 0) {
      const Tensor& b = float_constant(2, "bias");
      if (num_elements(b.shape) != oc || b.shape.size() != 1)
        fail("bias '" + b.name + "' has shape " + shape_string(b.shape) + "; expected (" + std::to_string(oc) + ")");
      bias = input(2);
    } else {
      bias = g_.add_constant(onnx_node_->output(0) + ".bias", {oc}, std::vector<float>(oc, 0.0f));
    }
    n.inputs = {x, w_index, bias};
    emit(std::move(n), {xs[0], oc, oh, ow});
  }

  // Adds an FC node. weights_nk: (N, K) row-major. bias: N values.
  void emit_fc(int x, std::vector<float> weights_nk, int64_t n_out, int64_t k, std::vector<float> bias,
               std::string weight_name, std::string bias_name) {
    Node n = current_;
    n.kind = OpKind::fully_connected;
    int w = g_.add_constant(weight_name, {n_out, k}, std::move(weights_nk));
    int b = g_.add_constant(std::move(bias_name), {n_out}, std::move(bias));
    n.inputs = {x, w, b};
    emit(std::move(n), {shape_of(x)[0], n_out});
  }

  void import_gemm() {
    int a = activation_input(0, 2, "input A");
    if (attr_int("transA", 0) != 0) fail("transA=1 is not supported (the activation must be (M, K))");
    const Tensor& b = float_constant(1, "input B (weights)");
    if (b.shape.size() != 2) fail("B '" + b.name + "' has shape " + shape_string(b.shape) + "; expected 2-D");
    const bool trans_b = attr_int("transB", 0) != 0;
    const float alpha = attr_float("alpha", 1.0f), beta = attr_float("beta", 1.0f);
    const int64_t k = trans_b ? b.shape[1] : b.shape[0];
    const int64_t n_out = trans_b ? b.shape[0] : b.shape[1];
    if (shape_of(a)[1] != k)
      fail("input A has shape " + shape_string(shape_of(a)) + " but B " + shape_string(b.shape) +
           (trans_b ? " (transposed)" : "") + " needs K = " + std::to_string(k));
    std::vector<float> w(static_cast<size_t>(n_out * k));
    for (int64_t i = 0; i < n_out; ++i)
      for (int64_t j = 0; j < k; ++j)
        w[i * k + j] = alpha * (trans_b ? b.data[i * k + j] : b.data[j * n_out + i]);
    std::vector<float> bias(static_cast<size_t>(n_out), 0.0f);
    std::string bias_name = b.name + ".bias";
    if (input(2) >= 0) {
      const Tensor& c = float_constant(2, "input C (bias)");
      const int64_t count = num_elements(c.shape);
      const bool row = count == n_out && (c.shape.size() == 1 || (c.shape.size() == 2 && c.shape[0] == 1));
      const bool scalar = count == 1;
      if (!row && !scalar)
        fail("C '" + c.name + "' has shape " + shape_string(c.shape) + "; expected (" + std::to_string(n_out) + "), (1, " +
             std::to_string(n_out) + ") or a scalar");
      for (int64_t i = 0; i < n_out; ++i) bias[i] = beta * c.data[scalar ? 0 : i];
      bias_name = c.name;
    }
    emit_fc(a, std::move(w), n_out, k, std::move(bias), b.name, bias_name);
  }

  void import_matmul() {
    int a = activation_input(0, 0, "input A");
    if (shape_of(a).size() != 2)
      fail("input A has shape " + shape_string(shape_of(a)) + "; only 2-D MatMul (M, K) x (K, N) with constant B is supported");
    const Tensor& b = float_constant(1, "input B (weights)");
    if (b.shape.size() != 2 || b.shape[0] != shape_of(a)[1])
      fail("B '" + b.name + "' has shape " + shape_string(b.shape) + "; expected (" + std::to_string(shape_of(a)[1]) + ", N)");
    const int64_t k = b.shape[0], n_out = b.shape[1];
    std::vector<float> w(static_cast<size_t>(n_out * k));
    for (int64_t i = 0; i < n_out; ++i)
      for (int64_t j = 0; j < k; ++j) w[i * k + j] = b.data[j * n_out + i];
    // A following Add of a constant (N) vector is folded into this bias by fold_fc_bias.
    emit_fc(a, std::move(w), n_out, k, std::vector<float>(static_cast<size_t>(n_out), 0.0f), b.name, b.name + ".bias");
  }

  void import_batchnorm() {
    Node n = current_;
    n.kind = OpKind::batch_norm;
    int x = activation_input(0, 0, "input");
    if (shape_of(x).size() < 2) fail("input must have a channel dimension");
    if (attr_int("training_mode", 0) != 0) fail("training_mode=1 is not supported (export the model in eval mode)");
    const int64_t c = shape_of(x)[1];
    const char* roles[] = {"scale", "B", "mean", "var"};
    for (int i = 1; i <= 4; ++i) {
      const Tensor& p = float_constant(i, roles[i - 1]);
      if (num_elements(p.shape) != c || p.shape.size() != 1)
        fail(std::string(roles[i - 1]) + " '" + p.name + "' has shape " + shape_string(p.shape) + "; expected (" +
             std::to_string(c) + ")");
    }
    n.epsilon = attr_float("epsilon", 1e-5f);
    n.inputs = {x, input(1), input(2), input(3), input(4)};
    emit(std::move(n), shape_of(x));
  }

  void import_activation(Activation a) {
    Node n = current_;
    n.kind = OpKind::activation;
    n.activation = a;
    int x = activation_input(0, 0, "input");
    n.inputs = {x};
    emit(std::move(n), shape_of(x));
  }

  void import_clip() {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (opset_ < 11) {
      lo = attr_float("min", lo);
      hi = attr_float("max", hi);
    } else {
      auto bound = [&](int i, float* value, const char* role) {
        if (input(i) < 0) return;
        const Tensor& t = float_constant(i, role);
        if (num_elements(t.shape) != 1) fail(std::string(role) + " '" + t.name + "' must be a scalar");
        *value = t.data[0];
      };
      bound(1, &lo, "min");
      bound(2, &hi, "max");
    }
    if (std::isnan(lo) || std::isnan(hi) || lo > hi) fail("invalid bounds [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    Activation a;
    if (lo == 0.0f && hi == 6.0f) {
      a.type = ActivationType::relu6;
    } else if (lo == 0.0f && std::isinf(hi)) {
      a.type = ActivationType::relu;
    } else {
      a.type = ActivationType::clip;
      a.clip_min = std::isinf(lo) ? -FLT_MAX : lo;
      a.clip_max = std::isinf(hi) ? FLT_MAX : hi;
    }
    import_activation(a);
  }

  void import_binary(OpKind kind) {
    Node n = current_;
    n.kind = kind;
    int a = required_input(0), b = required_input(1);
    const Shape& sa = shape_of(a);
    const Shape& sb = shape_of(b);
    if (g_.tensors[a].is_constant && g_.tensors[b].is_constant) fail("both inputs are constants (constant folding is not supported)");
    if (g_.tensors[a].is_int || g_.tensors[b].is_int) fail("integer inputs are not supported");
    // numpy broadcasting
    Shape out(std::max(sa.size(), sb.size()), 1);
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t da = i < out.size() - sa.size() ? 1 : sa[i - (out.size() - sa.size())];
      int64_t db = i < out.size() - sb.size() ? 1 : sb[i - (out.size() - sb.size())];
      if (da != db && da != 1 && db != 1)
        fail("input shapes " + shape_string(sa) + " and " + shape_string(sb) + " do not broadcast");
      out[i] = std::max(da, db);
    }
    // The format broadcasts only the second input: put the full-shaped non-constant one first.
    bool a_full = sa == out && !g_.tensors[a].is_constant;
    bool b_full = sb == out && !g_.tensors[b].is_constant;
    if (!a_full && b_full) std::swap(a, b);
    else if (!a_full)
      fail("input shapes " + shape_string(sa) + " and " + shape_string(sb) +
           " broadcast both ways; one non-constant input must have the output shape");
    n.inputs = {a, b};
    emit(std::move(n), out);
  }

  void import_pool(OpKind kind) {
    Node n = current_;
    n.kind = kind;
    int x = activation_input(0, 4, "input");
    auto kernel = attr_ints("kernel_shape");
    if (kernel.size() != 2) fail("kernel_shape must have 2 values (only 2-D pooling is supported)");
    n.kernel_h = static_cast<int>(kernel[0]);
    n.kernel_w = static_cast<int>(kernel[1]);
    if (n.kernel_h < 1 || n.kernel_w < 1) fail("kernel_shape must be positive");
    if (kind == OpKind::max_pool && attr_int("storage_order", 0) != 0) fail("storage_order=1 is not supported");
    const Shape xs = shape_of(x);
    auto [oh, ow] = geometry(n, xs[2], xs[3], true);
    if (n.dilation_h != 1 || n.dilation_w != 1) fail("dilations other than 1 are not supported for pooling");
    if (kind == OpKind::avg_pool) {
      n.count_include_pad = attr_int("count_include_pad", 0) != 0;
      if (ceil_used_)
        fail("ceil_mode=1 changes the output size here; not supported for AveragePool");
    }
    n.inputs = {x};
    emit(std::move(n), {xs[0], xs[1], oh, ow});
  }

  void import_global_avg_pool() {
    Node n = current_;
    n.kind = OpKind::global_avg_pool;
    int x = activation_input(0, 4, "input");
    n.inputs = {x};
    emit(std::move(n), {shape_of(x)[0], shape_of(x)[1], 1, 1});
  }

  void emit_reshape(int x, const Shape& out) {
    Node n = current_;
    n.kind = OpKind::reshape;
    if (num_elements(out) != num_elements(shape_of(x)))
      fail("cannot reshape " + shape_string(shape_of(x)) + " to " + shape_string(out));
    n.inputs = {x};
    emit(std::move(n), out);
  }

  void import_flatten() {
    int x = activation_input(0, 0, "input");
    const Shape xs = shape_of(x);
    int64_t axis = attr_int("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(xs.size());
    if (axis < 0 || axis > static_cast<int64_t>(xs.size())) fail("axis " + std::to_string(attr_int("axis", 1)) + " is out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < static_cast<int64_t>(xs.size()); ++i) (i < axis ? outer : inner) *= xs[i];
    emit_reshape(x, {outer, inner});
  }

  void import_reshape() {
    if (required_input(0) >= 0 && g_.tensors[required_input(0)].is_int) {  // shape arithmetic
      Tensor t = g_.tensors[required_input(0)];
      std::vector<int64_t> spec = int_constant(1, "shape");
      Shape out;
      int64_t known = 1;
      int infer = -1;
      for (size_t i = 0; i < spec.size(); ++i) {
        int64_t d = spec[i] == 0 && i < t.shape.size() ? t.shape[i] : spec[i];
        if (d == -1) infer = static_cast<int>(i), d = 1;
        out.push_back(d);
        known *= d;
      }
      if (infer >= 0 && known > 0) out[infer] = num_elements(t.shape) / known;
      if (num_elements(out) != num_elements(t.shape)) fail("cannot reshape the integer constant");
      t.shape = out;
      return add_constant_output(std::move(t));
    }
    int x = activation_input(0, 0, "input");
    const Shape xs = shape_of(x);
    std::vector<int64_t> spec = opset_ < 5 ? attr_ints("shape") : int_constant(1, "shape");
    const bool allow_zero = attr_int("allowzero", 0) != 0;
    Shape out;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < spec.size(); ++i) {
      int64_t d = spec[i];
      if (d == 0 && !allow_zero) {
        if (i >= xs.size()) fail("shape value 0 at position " + std::to_string(i) + " has no input dimension to copy");
        d = xs[i];
      } else if (d == -1) {
        if (infer >= 0) fail("shape has more than one -1");
        infer = static_cast<int>(i);
        out.push_back(1);
        continue;
      } else if (d <= 0) {
        fail("shape value " + std::to_string(d) + " at position " + std::to_string(i) + " is not supported");
      }
      out.push_back(d);
      // Untrusted shape values: an overflowing product is an error, not undefined behaviour.
      if (__builtin_mul_overflow(known, d, &known)) fail("shape " + shape_string(out) + " has too many elements");
    }
    if (infer >= 0) {
      if (known == 0 || num_elements(xs) % known != 0)
        fail("cannot infer -1 when reshaping " + shape_string(xs) + " with known dims product " + std::to_string(known));
      out[infer] = num_elements(xs) / known;
    }
    emit_reshape(x, out);
  }

  void import_concat() {
    Node n = current_;
    n.kind = OpKind::concat;
    int count = num_inputs();
    if (count < 1) fail("no inputs");
    // Concat of integer constants is shape arithmetic (x.view(x.size(0), -1)): fold it.
    bool all_int = true;
    for (int i = 0; i < count; ++i) all_int = all_int && g_.tensors[required_input(i)].is_int;
    if (all_int) {
      Tensor t;
      t.is_int = true;
      for (int i = 0; i < count; ++i) {
        const Tensor& in = g_.tensors[required_input(i)];
        if (in.shape.size() > 1) fail("integer concat supports only 1-D inputs");
        t.int_data.insert(t.int_data.end(), in.int_data.begin(), in.int_data.end());
      }
      t.shape = {static_cast<int64_t>(t.int_data.size())};
      return add_constant_output(std::move(t));
    }
    const Shape& first = shape_of(activation_input(0, 0, "input 0"));
    int64_t axis = attr_int("axis", opset_ < 4 ? 1 : 0);
    if (axis < 0) axis += static_cast<int64_t>(first.size());
    if (axis < 0 || axis >= static_cast<int64_t>(first.size())) fail("axis " + std::to_string(attr_int("axis", 0)) + " is out of range");
    Shape out = first;
    out[axis] = 0;
    for (int i = 0; i < count; ++i) {
      int t = activation_input(i, first.size(), "input");
      const Shape& s = shape_of(t);
      for (size_t d = 0; d < s.size(); ++d)
        if (static_cast<int64_t>(d) != axis && s[d] != first[d])
          fail("input '" + g_.tensors[t].name + "' has shape " + shape_string(s) + ", incompatible with " +
               shape_string(first) + " for concatenation along axis " + std::to_string(axis));
      out[axis] += s[axis];
      n.inputs.push_back(t);
    }
    n.axis = static_cast<int>(axis);
    emit(std::move(n), out);
  }

  void import_pad() {
    Node n = current_;
    n.kind = OpKind::pad;
    int x = activation_input(0, 0, "input");
    const Shape xs = shape_of(x);
    const std::string mode = attr_string("mode", "constant");
    if (mode != "constant") fail("mode '" + mode + "' is not supported (only constant)");
    std::vector<int64_t> pads;
    float value = 0;
    if (opset_ < 11) {
      pads = attr_ints(opset_ < 2 ? "paddings" : "pads");
      value = attr_float("value", 0.0f);
    } else {
      pads = int_constant(1, "pads");
      if (input(2) >= 0) {
        const Tensor& v = float_constant(2, "constant_value");
        if (num_elements(v.shape) != 1) fail("constant_value must be a scalar");
        value = v.data[0];
      }
      if (input(3) >= 0) fail("the axes input is not supported");
    }
    if (pads.size() != 2 * xs.size())
      fail("pads has " + std::to_string(pads.size()) + " values; expected " + std::to_string(2 * xs.size()) + " for input " +
           shape_string(xs));
    Shape out = xs;
    for (size_t d = 0; d < xs.size(); ++d) {
      if (pads[d] < 0 || pads[d + xs.size()] < 0) fail("negative pads (cropping) are not supported");
      out[d] += pads[d] + pads[d + xs.size()];
      n.paddings.push_back(pads[d]);
      n.paddings.push_back(pads[d + xs.size()]);
    }
    n.pad_value = value;
    n.inputs = {x};
    emit(std::move(n), out);
  }

  void import_softmax() {
    Node n = current_;
    n.kind = OpKind::softmax;
    int x = activation_input(0, 0, "input");
    const Shape xs = shape_of(x);
    const int64_t rank = static_cast<int64_t>(xs.size());
    int64_t axis = attr_int("axis", opset_ < 13 ? 1 : -1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) fail("axis is out of range for input " + shape_string(xs));
    // Before opset 13 Softmax works on the input flattened at `axis`; that equals a softmax over
    // the last axis only when every dimension after `axis` is 1, or axis is the last.
    int64_t trailing = 1;
    for (int64_t d = axis + 1; d < rank; ++d) trailing *= xs[d];
    if (axis != rank - 1 && trailing != 1 && (opset_ < 13 || rank != 4 || axis != 1))
      fail("softmax over axis " + std::to_string(axis) + " of " + shape_string(xs) +
           " is not supported (only the last axis, or the channel axis of a 4-D tensor)");
    n.axis = static_cast<int>(axis);
    n.inputs = {x};
    emit(std::move(n), xs);
  }

  void import_constant() {
    Tensor t;
    const auto& node = *onnx_node_;
    if (const auto* a = find_attr(node, "value")) {
      read_tensor_proto(a->t(), current_.describe() + ": value", &t);
    } else if (const auto* a = find_attr(node, "value_float")) {
      t.data = {a->f()};
    } else if (const auto* a = find_attr(node, "value_floats")) {
      t.data.assign(a->floats().begin(), a->floats().end());
      t.shape = {static_cast<int64_t>(t.data.size())};
    } else if (const auto* a = find_attr(node, "value_int")) {
      t.is_int = true;
      t.int_data = {a->i()};
    } else if (const auto* a = find_attr(node, "value_ints")) {
      t.is_int = true;
      t.int_data.assign(a->ints().begin(), a->ints().end());
      t.shape = {static_cast<int64_t>(t.int_data.size())};
    } else {
      fail("only value, value_float(s) and value_int(s) constants are supported");
    }
    add_constant_output(std::move(t));
  }

  void import_identity() {
    Node n = current_;
    n.kind = OpKind::identity;
    int x = required_input(0);
    if (g_.tensors[x].is_constant) {  // pass the constant through under the new name
      Tensor t = g_.tensors[x];
      return add_constant_output(std::move(t));
    }
    n.inputs = {x};
    emit(std::move(n), shape_of(x));
  }

  // Shape arithmetic exporters emit for x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze ->
  // Concat -> Reshape. All shapes are static here, so these fold to integer constants.
  void import_shape_arithmetic(const std::string& op) {
    Tensor t;
    t.is_int = true;
    if (op == "Shape") {
      int x = required_input(0);
      if (attr_int("start", 0) != 0 || find_attr(*onnx_node_, "end")) fail("start/end attributes are not supported");
      t.int_data = shape_of(x);
      t.shape = {static_cast<int64_t>(t.int_data.size())};
      return add_constant_output(std::move(t));
    }
    if (op == "ConstantOfShape") {
      const std::vector<int64_t> dims = int_constant(0, "shape");
      Tensor value;
      value.data = {0.0f};
      if (const auto* a = find_attr(*onnx_node_, "value")) read_tensor_proto(a->t(), current_.describe() + ": value", &value);
      t.shape = dims;
      const size_t count = static_cast<size_t>(num_elements(dims));
      if (value.is_int) {
        t.int_data.assign(count, value.int_data.at(0));
      } else {
        t.is_int = false;
        t.data.assign(count, value.data.at(0));
      }
      return add_constant_output(std::move(t));
    }
    const Tensor& data = constant_input(0, "data");
    if (op == "Cast") {
      const int64_t to = attr_int("to", 0);
      Tensor c = data;
      if (to == onnx::TensorProto_DataType_INT64 || to == onnx::TensorProto_DataType_INT32) {
        if (!c.is_int) fail("casting float constants to integers is not supported");
      } else if (to == onnx::TensorProto_DataType_FLOAT) {
        if (c.is_int) c.data.assign(c.int_data.begin(), c.int_data.end());
        c.is_int = false;
        c.int_data.clear();
      } else {
        fail("cast to type " + std::to_string(to) + " is not supported");
      }
      return add_constant_output(std::move(c));
    }
    if (!data.is_int) fail("only integer (shape) tensors are supported for " + op);
    if (op == "Transpose" || op == "Slice") return fold_index_op(op, data);
    std::vector<int64_t> axes;
    if (op == "Gather") {
      if (data.shape.size() != 1 || attr_int("axis", 0) != 0) fail("only 1-D gather along axis 0 is supported");
      std::vector<int64_t> indices = int_constant(1, "indices");
      const Shape index_shape = g_.tensors[required_input(1)].shape;
      for (int64_t i : indices) {
        if (i < 0) i += static_cast<int64_t>(data.int_data.size());
        if (i < 0 || i >= static_cast<int64_t>(data.int_data.size())) fail("index out of range");
        t.int_data.push_back(data.int_data[i]);
      }
      t.shape = index_shape;
      return add_constant_output(std::move(t));
    }
    // Unsqueeze / Squeeze: axes as attribute (< 13) or input (>= 13)
    axes = opset_ < 13 ? attr_ints("axes") : (input(1) >= 0 ? int_constant(1, "axes") : std::vector<int64_t>{});
    t.int_data = data.int_data;
    if (op == "Unsqueeze") {
      t.shape = data.shape;
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) {
        int64_t rank = static_cast<int64_t>(t.shape.size()) + 1;
        if (a < 0) a += rank;
        if (a < 0 || a >= rank) fail("axis out of range");
        t.shape.insert(t.shape.begin() + a, 1);
      }
    } else {
      for (int64_t d : data.shape)
        if (d != 1) t.shape.push_back(d);
      if (!axes.empty() && t.shape.size() + axes.size() != data.shape.size()) fail("only squeezing unit axes is supported");
    }
    add_constant_output(std::move(t));
  }

  // Transpose / Slice of a (small) integer constant: the pads arithmetic of PyTorch's F.pad export.
  void fold_index_op(const std::string& op, const Tensor& data) {
    const Shape& in = data.shape;
    const size_t rank = in.size();
    std::vector<int64_t> in_strides(rank, 1);
    for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * in[d];
    // out[i] = in[sum_d (start[d] + i_d * step[d]) * in_stride[perm[d]]]
    Shape out_shape(rank), start(rank, 0), step(rank, 1);
    std::vector<size_t> perm(rank);
    for (size_t d = 0; d < rank; ++d) perm[d] = d, out_shape[d] = in[d];
    if (op == "Transpose") {
      auto p = attr_ints("perm");
      if (p.empty())
        for (size_t d = 0; d < rank; ++d) p.push_back(static_cast<int64_t>(rank - 1 - d));
      if (p.size() != rank) fail("perm has the wrong length");
      for (size_t d = 0; d < rank; ++d) {
        if (p[d] < 0 || p[d] >= static_cast<int64_t>(rank)) fail("perm value out of range");
        perm[d] = static_cast<size_t>(p[d]);
        out_shape[d] = in[perm[d]];
      }
    } else {
      std::vector<int64_t> starts, ends, axes, steps;
      if (opset_ < 10) {
        starts = attr_ints("starts"), ends = attr_ints("ends"), axes = attr_ints("axes");
      } else {
        starts = int_constant(1, "starts"), ends = int_constant(2, "ends");
        if (input(3) >= 0) axes = int_constant(3, "axes");
        if (input(4) >= 0) steps = int_constant(4, "steps");
      }
      if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
      if (steps.empty()) steps.assign(starts.size(), 1);
      if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        fail("starts/ends/axes/steps lengths differ");
      for (size_t i = 0; i < starts.size(); ++i) {
        int64_t axis = axes[i] < 0 ? axes[i] + static_cast<int64_t>(rank) : axes[i];
        if (axis < 0 || axis >= static_cast<int64_t>(rank) || steps[i] == 0) fail("invalid axis or step");
        const int64_t dim = in[axis];
        int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
        int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
        if (steps[i] > 0) {
          b = std::clamp<int64_t>(b, 0, dim), e = std::clamp<int64_t>(e, 0, dim);
          out_shape[axis] = std::max<int64_t>(0, (e - b + steps[i] - 1) / steps[i]);
        } else {
          b = std::clamp<int64_t>(b, 0, dim - 1), e = std::clamp<int64_t>(e, -1, dim - 1);
          out_shape[axis] = std::max<int64_t>(0, (b - e + (-steps[i]) - 1) / (-steps[i]));
        }
        start[axis] = b;
        step[axis] = steps[i];
      }
    }
    Tensor t;
    t.is_int = true;
    t.shape = out_shape;
    const int64_t count = num_elements(out_shape);
    std::vector<int64_t> index(rank, 0);
    for (int64_t flat = 0; flat < count; ++flat) {
      int64_t src = 0;
      for (size_t d = 0; d < rank; ++d) src += (start[perm[d]] + index[d] * step[perm[d]]) * in_strides[perm[d]];
      t.int_data.push_back(data.int_data[static_cast<size_t>(src)]);
      for (size_t d = rank; d-- > 0;) {
        if (++index[d] < out_shape[d]) break;
        index[d] = 0;
      }
    }
    add_constant_output(std::move(t));
  }
};

}  // namespace

Graph import_onnx_model(const onnx::ModelProto& model, const ImportOptions& options) {
  if (options.batch < 1) throw ConvertError("--batch must be >= 1");
  return Importer(model, options).run();
}

Graph import_onnx_file(const std::string& path, const ImportOptions& options) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConvertError("cannot open '" + path + "': " + std::strerror(errno));
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&file))
    throw ConvertError("'" + path + "' is not a valid ONNX model (protobuf parsing failed)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw ConvertError("'" + path + "' is not a valid ONNX model (no graph or no nodes)");
  return import_onnx_model(model, options);
}

}  // namespace ternrt::convert
