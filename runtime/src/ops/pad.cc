// PAD with a constant value through XNNPACK's constant_pad_nd.
#include <cstring>

#include "ops/common.h"
#include "ops/op.h"

namespace ternrt {
namespace {

constexpr int32_t kMaxPad = 1 << 16;

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 1, 1, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  const auto& o = options_or_fail(model, op, op.fb->options_as_PadOptions(), "PadOptions");
  const size_t rank = x.shape.size();
  if (rank > 6) op_fail(model, op, "input rank above 6 is not supported");
  if (o.paddings() == nullptr || o.paddings()->size() != 2 * rank) {
    op_fail(model, op, "needs 2 * rank = " + std::to_string(2 * rank) + " paddings, has " +
                           std::to_string(o.paddings() ? o.paddings()->size() : 0));
  }
  if (!std::isfinite(o.value())) op_fail(model, op, "pad value must be finite");
  std::vector<int32_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t before = o.paddings()->Get(2 * i), after = o.paddings()->Get(2 * i + 1);
    if (before < 0 || after < 0 || before > kMaxPad || after > kMaxPad) {
      op_fail(model, op, "paddings must be in [0, 65536], got (" + std::to_string(before) + ", " + std::to_string(after) + ") on axis " + std::to_string(i));
    }
    out[i] = x.shape[i] + before + after;
  }
  f32_output(model, op, 0);
  check_output_shape(model, op, out);
}

class Pad : public Op {
 public:
  Pad(const OpDesc& op) : x_(op.inputs[0]), y_(op.outputs[0]) {
    const auto& o = *op.fb->options_as_PadOptions();
    value_ = o.value();
    for (size_t i = 0; i < o.paddings()->size() / 2; ++i) {
      pre_.push_back(o.paddings()->Get(2 * i));
      post_.push_back(o.paddings()->Get(2 * i + 1));
    }
  }
  void prepare(const PrepareArgs& args) override {
    std::vector<size_t> shape(args.tensor(x_).shape.begin(), args.tensor(x_).shape.end());
    uint32_t bits;
    std::memcpy(&bits, &value_, sizeof bits);
    xnn_check(xnn_create_constant_pad_nd_x32(&bits, 0, op_.out()), args.op.label(), "xnn_create_constant_pad_nd_x32");
    xnn_check(xnn_setup_constant_pad_nd_x32(op_.get(), shape.size(), shape.data(), pre_.data(), post_.data(), args.f32(x_),
                                            args.f32(y_), args.pool),
              args.op.label(), "xnn_setup_constant_pad_nd_x32");
  }
  void run(pthreadpool_t pool) override { run_xnn(op_.get(), pool, "pad"); }
  std::string kernel() const override { return "xnnpack x32 pad"; }

 private:
  int x_, y_;
  float value_;
  std::vector<size_t> pre_, post_;
  XnnOp op_;
};

std::unique_ptr<Op> create(const Model&, const OpDesc& op, const CreateOptions&) { return std::make_unique<Pad>(op); }

}  // namespace

const OpSpec kPadSpec = {fb::OpCode::PAD, check, create};

}  // namespace ternrt
