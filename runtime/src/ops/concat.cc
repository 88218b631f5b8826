// CONCAT along the last (channel) axis: one strided XNNPACK copy per input.
#include "ops/common.h"
#include "ops/op.h"

namespace ternrt {
namespace {

void check(const Model& model, const OpDesc& op) {
  if (op.inputs.empty() || op.inputs.size() > 64) op_fail(model, op, "needs 1..64 inputs, has " + std::to_string(op.inputs.size()));
  check_arity(model, op, op.inputs.size(), op.inputs.size(), 1);
  const auto& o = options_or_fail(model, op, op.fb->options_as_ConcatOptions(), "ConcatOptions");
  const TensorDesc& first = f32_input(model, op, 0);
  const int rank = static_cast<int>(first.shape.size());
  // The last axis must exist: with rank 0, out.back() below would write through a null pointer.
  if (rank == 0) op_fail(model, op, "input 0 '" + first.name + "' has rank 0, expected rank >= 1");
  if (o.axis() != -1 && o.axis() != rank - 1) {
    op_fail(model, op, "axis " + std::to_string(o.axis()) + " is not supported, only the last axis (-1 or " + std::to_string(rank - 1) + ")");
  }
  std::vector<int32_t> out = first.shape;
  out.back() = 0;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    const TensorDesc& t = f32_input(model, op, i);
    if (t.shape.size() != first.shape.size() || !std::equal(t.shape.begin(), t.shape.end() - 1, first.shape.begin())) {
      op_fail(model, op, "input " + std::to_string(i) + " has shape " + shape_str(t.shape) + ", which differs from input 0 " +
                             shape_str(first.shape) + " outside the last axis");
    }
    out.back() += t.shape.back();
  }
  f32_output(model, op, 0);
  check_output_shape(model, op, out);
}

// One strided copy per input into its channel range of the output: 4-byte floats, or on the static int8
// path bytes, when every input is int8 with the output's parameters (the converter gives a concat's
// inputs its output's range; a model without that runs the concat in float between conversions).
class Concat : public Op {
 public:
  Concat(const OpDesc& op, bool int8) : inputs_(op.inputs), output_(op.outputs[0]), int8_(int8) {}
  void prepare(const PrepareArgs& args) override {
    const TensorDesc& y = args.tensor(output_);
    const size_t total = y.shape.back(), pixels = y.elements / total;
    size_t offset = 0;
    copies_.reset(new XnnOp[inputs_.size()]);
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const size_t c = args.tensor(inputs_[i]).shape.back();
      if (int8_) {
        xnn_check(xnn_create_copy_nc_x8(c, c, total, 0, copies_[i].out()), args.op.label(), "xnn_create_copy_nc_x8");
        xnn_check(xnn_setup_copy_nc_x8(copies_[i].get(), pixels, args.s8(inputs_[i]), args.s8(output_) + offset, args.pool),
                  args.op.label(), "xnn_setup_copy_nc_x8");
      } else {
        xnn_check(xnn_create_copy_nc_x32(c, c, total, 0, copies_[i].out()), args.op.label(), "xnn_create_copy_nc_x32");
        xnn_check(xnn_setup_copy_nc_x32(copies_[i].get(), pixels, args.f32(inputs_[i]), args.f32(output_) + offset, args.pool),
                  args.op.label(), "xnn_setup_copy_nc_x32");
      }
      offset += c;
    }
  }
  void run(pthreadpool_t pool) override {
    for (size_t i = 0; i < inputs_.size(); ++i) run_xnn(copies_[i].get(), pool, "concat");
  }
  std::string kernel() const override { return int8_ ? "xnnpack x8 copy" : "xnnpack x32 copy"; }
  bool handles_int8() const override { return int8_; }

 private:
  std::vector<int> inputs_;
  int output_;
  bool int8_;
  std::unique_ptr<XnnOp[]> copies_;
};

std::unique_ptr<Op> create(const Model& model, const OpDesc& op, const CreateOptions& options) {
  const int y = op.outputs[0];
  const TensorDesc& dy = model.tensors()[y];
  bool int8 = options.is_s8(y);
  for (int x : op.inputs) {
    const TensorDesc& dx = model.tensors()[x];
    int8 = int8 && options.is_s8(x) && dx.act_scale == dy.act_scale && dx.act_zero_point == dy.act_zero_point;
  }
  return std::make_unique<Concat>(op, int8);
}

}  // namespace

const OpSpec kConcatSpec = {fb::OpCode::CONCAT, check, create};

}  // namespace ternrt
