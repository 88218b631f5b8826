// ADD and MUL with numpy-style broadcasting (e.g. (N,1,1,C) x (N,H,W,C) for squeeze-excite),
// through XNNPACK's add_nd / multiply_nd: f32, or qs8 when the static int8 path stores the inputs
// and the output as int8 and the fused activation is a clamp.
#include <algorithm>

#include "ops/common.h"
#include "ops/int8-convert.h"
#include "ops/op.h"

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

template <bool kMultiply>
std::unique_ptr<Op> create(const Model&, const OpDesc& op, const CreateOptions& options) {
  const Activation act = activation_of(op.fb->options_as_ElementwiseOptions()->activation());
  const int a = op.inputs[0], b = op.inputs[1], y = op.outputs[0];
  // MUL stays float: the 2022 XNNPACK's qs8 multiply (the squeeze-excite broadcast) was ~3x slower
  // than its f32 one on the machine of benchmarks/RESULTS.md, more than the conversions around it.
  if (!kMultiply && options.is_s8(a) && options.is_s8(b) && options.is_s8(y) && act.post == fb::Activation::NONE) {
    return std::make_unique<BinaryElementwiseS8>(kMultiply, act, a, b, y);
  }
  return std::make_unique<BinaryElementwise>(kMultiply, act, a, b, y);
}

}  // namespace

const OpSpec kAddSpec = {fb::OpCode::ADD, check, create<false>};
const OpSpec kMulSpec = {fb::OpCode::MUL, check, create<true>};

}  // namespace ternrt
