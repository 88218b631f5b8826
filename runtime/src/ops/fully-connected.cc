// FULLY_CONNECTED: y = x W^T + b with x flattened to (batch, K). Float weights through XNNPACK,
// ternary weights through TernaryGemmOp.
#include "ops/common.h"
#include "ops/op.h"
#include "ops/ternary-gemm.h"

namespace ternrt {
namespace {

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 2, 3, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  if (x.shape.size() < 2) op_fail(model, op, "input '" + x.name + "' has shape " + shape_str(x.shape) + ", expected rank >= 2 (batch first)");
  const TensorDesc& w = model.tensors()[op.inputs[1]];
  if (!w.is_constant()) op_fail(model, op, "weights " + w.label(op.inputs[1]) + " must be constant");
  if (w.type != fb::TensorType::F32 && w.type != fb::TensorType::TERNARY2) {
    op_fail(model, op, "weights have type " + std::string(fb::EnumNameTensorType(w.type)) + ", expected F32 or TERNARY2");
  }
  check_rank(model, op, w, "weights", 2);
  const size_t batch = x.shape[0], k = x.elements / batch;
  if (static_cast<size_t>(w.shape[1]) != k) {
    op_fail(model, op, "weights " + shape_str(w.shape) + " need K = " + std::to_string(w.shape[1]) + " but input " + shape_str(x.shape) +
                           " flattens to K = " + std::to_string(k));
  }
  if (op.inputs.size() == 3 && op.inputs[2] >= 0) {
    const TensorDesc& b = f32_input(model, op, 2);
    if (!b.is_constant() || b.shape != std::vector<int32_t>{w.shape[0]}) {
      op_fail(model, op, "bias '" + b.name + "' must be a constant of shape (" + std::to_string(w.shape[0]) + "), got " + shape_str(b.shape));
    }
  }
  const auto& o = options_or_fail(model, op, op.fb->options_as_FullyConnectedOptions(), "FullyConnectedOptions");
  check_activation(model, op, o.activation());
  f32_output(model, op, 0);
  check_output_shape(model, op, {static_cast<int32_t>(batch), w.shape[0]});
}

class FloatFullyConnected : public Op {
 public:
  FloatFullyConnected(size_t batch, size_t k, size_t n, Activation act, int x, int w, int b, int y)
      : batch_(batch), k_(k), n_(n), act_(act), x_(x), w_(w), b_(b), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const float* bias = b_ >= 0 ? reinterpret_cast<const float*>(args.tensor(b_).data) : nullptr;
    const std::string label = args.op.label();
    xnn_check(xnn_create_fully_connected_nc_f32(k_, n_, k_, n_, expanded_weights(args, w_, dequantized_), bias,
                                                act_.min, act_.max, 0, op_.out()),
              label, "xnn_create_fully_connected_nc_f32");
    xnn_check(xnn_setup_fully_connected_nc_f32(op_.get(), batch_, args.f32(x_), args.f32(y_), args.pool), label,
              "xnn_setup_fully_connected_nc_f32");
    post_.prepare(act_, args.f32(y_), batch_ * n_, label);
  }
  void run(pthreadpool_t pool) override {
    run_xnn(op_.get(), pool, "fully_connected");
    post_.run(pool);
  }
  std::string kernel() const override {
    return dequantized_.empty() ? "xnnpack f32 fc" : "xnnpack f32 fc (ternary weights expanded)";
  }

 private:
  size_t batch_, k_, n_;
  Activation act_;
  int x_, w_, b_, y_;
  XnnOp op_;
  PostActivation post_;
  std::vector<float> dequantized_;  // only for ternary weights run as float
};

std::unique_ptr<Op> create(const Model& model, const OpDesc& op, const CreateOptions& options) {
  const TensorDesc& x = model.tensors()[op.inputs[0]];
  const TensorDesc& w = model.tensors()[op.inputs[1]];
  const size_t batch = x.shape[0], k = x.elements / batch, n = w.shape[0];
  const Activation act = activation_of(op.fb->options_as_FullyConnectedOptions()->activation());
  const int bias = op.inputs.size() == 3 ? op.inputs[2] : -1;
  // Shallow ternary layers too when their input is int8 (no quantizing pass to pay for; kMinTernaryGemmDepth).
  const bool s8_input = options.static_ranges && options.is_s8(op.inputs[0]);
  if (w.type == fb::TensorType::TERNARY2 && !options.ternary_as_float && (k >= kMinTernaryGemmDepth || s8_input)) {
    ConvGeometry g;
    g.batch = batch;
    g.in_c = k;
    g.out_c = n;
    return std::make_unique<TernaryGemmOp>(g, act, op.inputs[0], op.inputs[1], bias, op.outputs[0]);
  }
  // Static int8 path: a float-weight layer reading an int8 input, typically a classifier head, runs
  // with int8 weights (i8i8 kernels), as convolutions do (conv2d.cc): its input then needs no float
  // copy, and the tensors before it can stay int8.
  if (s8_input && w.type != fb::TensorType::TERNARY2) {
    ConvGeometry g;
    g.batch = batch;
    g.in_c = k;
    g.out_c = n;
    return std::make_unique<TernaryGemmOp>(g, act, op.inputs[0], op.inputs[1], bias, op.outputs[0], true);
  }
  return std::make_unique<FloatFullyConnected>(batch, k, n, act, op.inputs[0], op.inputs[1], bias, op.outputs[0]);
}

}  // namespace

const OpSpec kFullyConnectedSpec = {fb::OpCode::FULLY_CONNECTED, check, create};

}  // namespace ternrt
