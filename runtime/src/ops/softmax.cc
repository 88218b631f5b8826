// SOFTMAX over the last axis through XNNPACK (beta = 1) or by hand (other beta).
#include <algorithm>
#include <cmath>

#include "ops/common.h"
#include "ops/op.h"

namespace ternrt {
namespace {

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 1, 1, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  const auto& o = options_or_fail(model, op, op.fb->options_as_SoftmaxOptions(), "SoftmaxOptions");
  if (!std::isfinite(o.beta()) || o.beta() <= 0) op_fail(model, op, "beta must be finite and > 0, got " + std::to_string(o.beta()));
  f32_output(model, op, 0);
  // Softmax runs over the last axis, which a rank-0 tensor lacks (prepare reads shape.back()).
  if (x.shape.empty()) op_fail(model, op, "input '" + x.name + "' has rank 0, expected rank >= 1");
  check_output_shape(model, op, x.shape);
}

class Softmax : public Op {
 public:
  Softmax(const OpDesc& op) : xi_(op.inputs[0]), yi_(op.outputs[0]), beta_(op.fb->options_as_SoftmaxOptions()->beta()) {}
  void prepare(const PrepareArgs& args) override {
    const TensorDesc& x = args.tensor(xi_);
    channels_ = x.shape.back();
    rows_ = x.elements / channels_;
    x_ = args.f32(xi_);
    y_ = args.f32(yi_);
    if (beta_ == 1.0f) {
      xnn_check(xnn_create_softmax_nc_f32(channels_, channels_, channels_, 0, op_.out()), args.op.label(), "xnn_create_softmax_nc_f32");
      xnn_check(xnn_setup_softmax_nc_f32(op_.get(), rows_, x_, y_, args.pool), args.op.label(), "xnn_setup_softmax_nc_f32");
    }
  }
  void run(pthreadpool_t pool) override {
    if (op_.get() != nullptr) {
      run_xnn(op_.get(), pool, "softmax");
      return;
    }
    for (size_t r = 0; r < rows_; ++r) {
      const float* in = x_ + r * channels_;
      float* out = y_ + r * channels_;
      const float mx = *std::max_element(in, in + channels_);
      float sum = 0;
      for (size_t c = 0; c < channels_; ++c) sum += out[c] = std::exp(beta_ * (in[c] - mx));
      for (size_t c = 0; c < channels_; ++c) out[c] /= sum;
    }
  }
  std::string kernel() const override { return op_.get() ? "xnnpack f32 softmax" : "ternrt f32 softmax"; }

 private:
  int xi_, yi_;
  float beta_;
  size_t channels_ = 0, rows_ = 0;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  XnnOp op_;
};

std::unique_ptr<Op> create(const Model&, const OpDesc& op, const CreateOptions&) { return std::make_unique<Softmax>(op); }

}  // namespace

const OpSpec kSoftmaxSpec = {fb::OpCode::SOFTMAX, check, create};

}  // namespace ternrt
