// ACTIVATION: a standalone ReLU / ReLU6 / Clip (XNNPACK clamp) or HardSwish / Sigmoid /
// HardSigmoid (PostActivation), when the converter could not fuse it into its producer.
#include <cstring>

#include "ops/common.h"
#include "ops/op.h"

namespace ternrt {
namespace {

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 1, 1, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  const auto& o = options_or_fail(model, op, op.fb->options_as_ActivationOptions(), "ActivationOptions");
  check_activation(model, op, o.activation());
  f32_output(model, op, 0);
  check_output_shape(model, op, x.shape);
}

class StandaloneActivation : public Op {
 public:
  StandaloneActivation(const OpDesc& op)
      : xi_(op.inputs[0]), yi_(op.outputs[0]), act_(activation_of(op.fb->options_as_ActivationOptions()->activation())) {}
  void prepare(const PrepareArgs& args) override {
    count_ = args.tensor(xi_).elements;
    x_ = args.f32(xi_);
    y_ = args.f32(yi_);
    xnn_check(xnn_create_clamp_nc_f32(1, 1, 1, act_.min, act_.max, 0, clamp_.out()), args.op.label(), "xnn_create_clamp_nc_f32");
    xnn_check(xnn_setup_clamp_nc_f32(clamp_.get(), count_, x_, y_, args.pool), args.op.label(), "xnn_setup_clamp_nc_f32");
    post_.prepare(act_, y_, count_, args.op.label());
  }
  void run(pthreadpool_t pool) override {
    run_xnn(clamp_.get(), pool, "activation");  // a copy when only the post-op applies
    post_.run(pool);
  }
  std::string kernel() const override { return "xnnpack f32 activation"; }

 private:
  int xi_, yi_;
  Activation act_;
  size_t count_ = 0;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  XnnOp clamp_;
  PostActivation post_;
};

std::unique_ptr<Op> create(const Model&, const OpDesc& op, const CreateOptions&) { return std::make_unique<StandaloneActivation>(op); }

}  // namespace

const OpSpec kActivationSpec = {fb::OpCode::ACTIVATION, check, create};

}  // namespace ternrt
