// GLOBAL_AVG_POOL: (N, H, W, C) -> (N, 1, 1, C) through XNNPACK.
#include "ops/common.h"
#include "ops/op.h"

namespace ternrt {
namespace {

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 1, 1, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  check_rank(model, op, x, "input", 4);
  f32_output(model, op, 0);
  check_output_shape(model, op, {x.shape[0], 1, 1, x.shape[3]});
}

class GlobalAvgPool : public Op {
 public:
  GlobalAvgPool(int x, int y) : x_(x), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const auto& s = args.tensor(x_).shape;
    const size_t c = s[3];
    const std::string label = args.op.label();
    xnn_check(xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, op_.out()), label,
              "xnn_create_global_average_pooling_nwc_f32");
    xnn_check(xnn_setup_global_average_pooling_nwc_f32(op_.get(), s[0], static_cast<size_t>(s[1]) * s[2], args.f32(x_), args.f32(y_),
                                                       args.pool),
              label, "xnn_setup_global_average_pooling_nwc_f32");
  }
  void run(pthreadpool_t pool) override { run_xnn(op_.get(), pool, "global_avg_pool"); }
  std::string kernel() const override { return "xnnpack f32 gavgpool"; }

 private:
  int x_, y_;
  XnnOp op_;
};

std::unique_ptr<Op> create(const Model&, const OpDesc& op, const CreateOptions&) { return std::make_unique<GlobalAvgPool>(op.inputs[0], op.outputs[0]); }

}  // namespace

const OpSpec kGlobalAvgPoolSpec = {fb::OpCode::GLOBAL_AVG_POOL, check, create};

}  // namespace ternrt
