// ADD and MUL with numpy-style broadcasting (e.g. (N,1,1,C) x (N,H,W,C) for squeeze-excite),
// through XNNPACK's add_nd / multiply_nd: f32, or qs8 when the static int8 path stores the inputs
// and the output as int8 and the fused activation is a clamp. On the static path a MUL of an int8
// tensor by a per-channel operand (the squeeze-excite product) runs on ternrt's scale_channels_s8.
#include <algorithm>

#include "ops/common.h"
#include "ops/int8-convert.h"
#include "ops/op.h"
#include "ternrt/kernels/scale-channels-s8.h"

namespace ternrt {
namespace {

constexpr size_t kMaxDims = 6;  // XNN_MAX_TENSOR_DIMS in the 2022 XNNPACK

std::vector<int32_t> broadcast_shape(const Model& model, const OpDesc& op, const TensorDesc& a, const TensorDesc& b) {
  if (a.shape.size() > kMaxDims || b.shape.size() > kMaxDims) op_fail(model, op, "inputs of rank above 6 are not supported");
  const size_t rank = std::max(a.shape.size(), b.shape.size());
  std::vector<int32_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < rank - a.shape.size() ? 1 : a.shape[i - (rank - a.shape.size())];
    const int32_t db = i < rank - b.shape.size() ? 1 : b.shape[i - (rank - b.shape.size())];
    if (da != db && da != 1 && db != 1) {
      op_fail(model, op, "input shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " cannot be broadcast together");
    }
    out[i] = std::max(da, db);
  }
  return out;
}

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 2, 2, 1);
  const TensorDesc& a = f32_input(model, op, 0);
  const TensorDesc& b = f32_input(model, op, 1);
  const auto& o = options_or_fail(model, op, op.fb->options_as_ElementwiseOptions(), "ElementwiseOptions");
  check_activation(model, op, o.activation());
  f32_output(model, op, 0);
  check_output_shape(model, op, broadcast_shape(model, op, a, b));
}

class BinaryElementwise : public Op {
 public:
  BinaryElementwise(bool multiply, Activation act, int a, int b, int y) : multiply_(multiply), act_(act), a_(a), b_(b), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const std::string label = args.op.label();
    std::vector<size_t> sa(args.tensor(a_).shape.begin(), args.tensor(a_).shape.end());
    std::vector<size_t> sb(args.tensor(b_).shape.begin(), args.tensor(b_).shape.end());
    if (multiply_) {
      xnn_check(xnn_create_multiply_nd_f32(act_.min, act_.max, 0, op_.out()), label, "xnn_create_multiply_nd_f32");
      xnn_check(xnn_setup_multiply_nd_f32(op_.get(), sa.size(), sa.data(), sb.size(), sb.data(), args.f32(a_), args.f32(b_),
                                          args.f32(y_), args.pool),
                label, "xnn_setup_multiply_nd_f32");
    } else {
      xnn_check(xnn_create_add_nd_f32(act_.min, act_.max, 0, op_.out()), label, "xnn_create_add_nd_f32");
      xnn_check(xnn_setup_add_nd_f32(op_.get(), sa.size(), sa.data(), sb.size(), sb.data(), args.f32(a_), args.f32(b_),
                                     args.f32(y_), args.pool),
                label, "xnn_setup_add_nd_f32");
    }
    post_.prepare(act_, args.f32(y_), args.tensor(y_).elements, label);
  }
  void run(pthreadpool_t pool) override {
    run_xnn(op_.get(), pool, multiply_ ? "mul" : "add");
    post_.run(pool);
  }
  std::string kernel() const override { return multiply_ ? "xnnpack f32 mul" : "xnnpack f32 add"; }

 private:
  bool multiply_;
  Activation act_;
  int a_, b_, y_;
  XnnOp op_;
  PostActivation post_;
};

class BinaryElementwiseS8 : public Op {
 public:
  BinaryElementwiseS8(bool multiply, Activation act, int a, int b, int y) : multiply_(multiply), act_(act), a_(a), b_(b), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const std::string label = args.op.label();
    const TensorDesc &a = args.tensor(a_), &b = args.tensor(b_), &y = args.tensor(y_);
    std::vector<size_t> sa(a.shape.begin(), a.shape.end()), sb(b.shape.begin(), b.shape.end());
    const int8_t za = static_cast<int8_t>(a.act_zero_point), zb = static_cast<int8_t>(b.act_zero_point),
                 zy = static_cast<int8_t>(y.act_zero_point);
    const int8_t lo = quantized_bound(act_.min, y.act_scale, y.act_zero_point);
    const int8_t hi = quantized_bound(act_.max, y.act_scale, y.act_zero_point);
    const char* create_name = multiply_ ? "xnn_create_multiply_nd_qs8" : "xnn_create_add_nd_qs8";
    const xnn_status status =
        multiply_ ? xnn_create_multiply_nd_qs8(za, a.act_scale, zb, b.act_scale, zy, y.act_scale, lo, hi, 0, op_.out())
                  : xnn_create_add_nd_qs8(za, a.act_scale, zb, b.act_scale, zy, y.act_scale, lo, hi, 0, op_.out());
    if (status == xnn_status_invalid_parameter || status == xnn_status_unsupported_parameter) {
      throw Int8Unsupported{std::string(create_name) + " refuses the scales: " + xnn_status_str(status)};
    }
    xnn_check(status, label, create_name);
    if (multiply_) {
      xnn_check(xnn_setup_multiply_nd_qs8(op_.get(), sa.size(), sa.data(), sb.size(), sb.data(), args.s8(a_), args.s8(b_),
                                          args.s8(y_), args.pool),
                label, "xnn_setup_multiply_nd_qs8");
    } else {
      xnn_check(xnn_setup_add_nd_qs8(op_.get(), sa.size(), sa.data(), sb.size(), sb.data(), args.s8(a_), args.s8(b_),
                                     args.s8(y_), args.pool),
                label, "xnn_setup_add_nd_qs8");
    }
  }
  void run(pthreadpool_t pool) override { run_xnn(op_.get(), pool, multiply_ ? "mul" : "add"); }
  std::string kernel() const override { return multiply_ ? "xnnpack qs8 mul" : "xnnpack qs8 add"; }
  bool handles_int8() const override { return true; }

 private:
  bool multiply_;
  Activation act_;
  int a_, b_, y_;
  XnnOp op_;
};

// y = x * gate on the static path: x and y int8 of one shape (..., C), gate (float or int8) of
// shape (N or 1, 1, ..., 1, C) against y's (N, ..., C). Per invoke, each batch's per-channel
// multipliers s_x * gate[c] / s_y go to kernels::scale_channels_s8 (the int8 epilogue of the ternary
// layers: the same bytes on every ISA and thread count).
class ChannelScaleS8 : public Op {
 public:
  ChannelScaleS8(Activation act, int x, int gate, int y) : act_(act), x_(x), gate_(gate), y_(y) {}

  // Whether MUL(a, b) -> y has this form, with x = a (else x = b).
  static bool applies(const Model& model, int a, int b, int y, const Activation& act, const CreateOptions& options,
                      bool* x_is_a) {
    if (!options.static_ranges || act.post != fb::Activation::NONE || !options.is_s8(y)) return false;
    const auto& ts = model.tensors();
    const std::vector<int32_t>& ys = ts[y].shape;
    for (int pass = 0; pass < 2; ++pass) {
      const int x = pass == 0 ? a : b, g = pass == 0 ? b : a;
      if (!options.is_s8(x) || ts[x].shape != ys || ys.size() < 2) continue;
      if (!per_channel(ts[g].shape, ys)) continue;
      *x_is_a = pass == 0;
      return true;
    }
    return false;
  }

  void prepare(const PrepareArgs& args) override {
    const TensorDesc &x = args.tensor(x_), &g = args.tensor(gate_), &y = args.tensor(y_);
    channels_ = static_cast<size_t>(y.shape.back());
    batch_ = static_cast<size_t>(y.shape.front());
    pixels_ = y.elements / (batch_ * channels_);
    gate_batches_ = g.elements / channels_;   // 1 or batch_
    args.budget.reserve(2 * batch_ * channels_ * sizeof(float), args.model.source() + ": " + args.op.label() +
                                                                    ": per-channel multipliers");
    multiplier_.assign(batch_ * channels_, 0.0f);
    offset_.assign(channels_, static_cast<float>(y.act_zero_point));
    x_scale_ = x.act_scale;
    x_zero_point_ = x.act_zero_point;
    y_scale_ = y.act_scale;
    gate_s8_ = args.is_s8(gate_);
    gate_scale_ = g.act_scale;
    gate_zero_point_ = g.act_zero_point;
    gate_data_ = args.tensor_data[gate_];
    x_data_ = args.s8(x_);
    y_data_ = args.s8(y_);
    y_min_ = quantized_bound(act_.min, y.act_scale, y.act_zero_point);
    y_max_ = quantized_bound(act_.max, y.act_scale, y.act_zero_point);
    isa_ = args.isa;
  }

  void run(pthreadpool_t pool) override {
    for (size_t n = 0; n < batch_; ++n) {
      const size_t gn = gate_batches_ == 1 ? 0 : n;
      float* m = multiplier_.data() + n * channels_;
      for (size_t c = 0; c < channels_; ++c) {
        const size_t i = gn * channels_ + c;
        const float gate = gate_s8_ ? gate_scale_ * float(int32_t(static_cast<const int8_t*>(gate_data_)[i]) - gate_zero_point_)
                                    : static_cast<const float*>(gate_data_)[i];
        m[c] = x_scale_ * gate / y_scale_;
      }
      const size_t offset = n * pixels_ * channels_;
      kernels::scale_channels_s8(isa_, pixels_, channels_, x_data_ + offset, x_zero_point_, m, offset_.data(), y_min_,
                                 y_max_, y_data_ + offset, pool);
    }
  }
  std::string kernel() const override { return kernels::scale_channels_s8_name(isa_); }
  bool handles_int8() const override { return true; }

 private:
  // gate: (N or 1, 1, ..., 1, C) against y: (N, ..., C), after numpy's alignment of the ranks.
  static bool per_channel(const std::vector<int32_t>& gate, const std::vector<int32_t>& y) {
    if (gate.empty() || gate.size() > y.size() || gate.back() != y.back()) return false;
    const size_t lead = y.size() - gate.size();
    for (size_t i = 0; i + 1 < gate.size(); ++i) {
      const size_t axis = lead + i;
      if (gate[i] != 1 && !(axis == 0 && gate[i] == y[0])) return false;
    }
    return true;
  }

  Activation act_;
  int x_, gate_, y_;
  size_t batch_ = 0, pixels_ = 0, channels_ = 0, gate_batches_ = 1;
  std::vector<float> multiplier_, offset_;
  float x_scale_ = 1, y_scale_ = 1, gate_scale_ = 1;
  int32_t x_zero_point_ = 0, gate_zero_point_ = 0;
  bool gate_s8_ = false;
  const void* gate_data_ = nullptr;
  const int8_t* x_data_ = nullptr;
  int8_t* y_data_ = nullptr;
  int8_t y_min_ = -128, y_max_ = 127;
  kernels::Isa isa_ = kernels::Isa::scalar;
};

template <bool kMultiply>
std::unique_ptr<Op> create(const Model& model, const OpDesc& op, const CreateOptions& options) {
  const Activation act = activation_of(op.fb->options_as_ElementwiseOptions()->activation());
  const int a = op.inputs[0], b = op.inputs[1], y = op.outputs[0];
  // XNNPACK's qs8 MUL is not used: the 2022 XNNPACK's qs8 multiply (the squeeze-excite broadcast) was
  // ~3x slower than its f32 one on the machine of benchmarks/RESULTS.md, more than the conversions
  // around it. The per-channel form runs on ternrt's kernel instead; other MULs stay float.
  bool x_is_a = true;
  if (kMultiply && ChannelScaleS8::applies(model, a, b, y, act, options, &x_is_a)) {
    return std::make_unique<ChannelScaleS8>(act, x_is_a ? a : b, x_is_a ? b : a, y);
  }
  if (!kMultiply && options.is_s8(a) && options.is_s8(b) && options.is_s8(y) && act.post == fb::Activation::NONE) {
    return std::make_unique<BinaryElementwiseS8>(kMultiply, act, a, b, y);
  }
  return std::make_unique<BinaryElementwise>(kMultiply, act, a, b, y);
}

}  // namespace

const OpSpec kAddSpec = {fb::OpCode::ADD, check, create<false>};
const OpSpec kMulSpec = {fb::OpCode::MUL, check, create<true>};

}  // namespace ternrt
