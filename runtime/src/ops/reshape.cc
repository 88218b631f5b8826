// RESHAPE (and Flatten): the output tensor's shape is the new shape; the data is copied
// unchanged (NHWC element order is kept; the converter made the order right).
#include <cstring>

#include "ops/common.h"
#include "ops/op.h"

namespace ternrt {
namespace {

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 1, 1, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  const TensorDesc& y = f32_output(model, op, 0);
  if (x.elements != y.elements) {
    op_fail(model, op, "cannot reshape " + shape_str(x.shape) + " (" + std::to_string(x.elements) + " elements) to " +
                           shape_str(y.shape) + " (" + std::to_string(y.elements) + " elements)");
  }
}

// A byte copy of float data, or on the static int8 path of int8 data when both sides are int8 with
// the same parameters (the converter gives a reshape's output its input's range).
class Reshape : public Op {
 public:
  Reshape(int x, int y, bool int8) : xi_(x), yi_(y), int8_(int8) {}
  void prepare(const PrepareArgs& args) override {
    x_ = args.tensor_data[xi_];
    y_ = args.tensor_data[yi_];
    const TensorDesc& x = args.tensor(xi_);
    bytes_ = int8_ ? x.elements : x.bytes;
  }
  void run(pthreadpool_t) override { std::memcpy(y_, x_, bytes_); }
  std::string kernel() const override { return int8_ ? "copy s8" : "copy"; }
  bool handles_int8() const override { return int8_; }

 private:
  int xi_, yi_;
  bool int8_;
  const void* x_ = nullptr;
  void* y_ = nullptr;
  size_t bytes_ = 0;
};

std::unique_ptr<Op> create(const Model& model, const OpDesc& op, const CreateOptions& options) {
  const int x = op.inputs[0], y = op.outputs[0];
  const TensorDesc &dx = model.tensors()[x], &dy = model.tensors()[y];
  const bool int8 = options.is_s8(x) && options.is_s8(y) && dx.act_scale == dy.act_scale && dx.act_zero_point == dy.act_zero_point;
  return std::make_unique<Reshape>(x, y, int8);
}

}  // namespace

const OpSpec kReshapeSpec = {fb::OpCode::RESHAPE, check, create};

}  // namespace ternrt
