// GLOBAL_AVG_POOL: (N, H, W, C) -> (N, 1, 1, C) through XNNPACK (f32, or qs8 on the static int8 path).
#include <algorithm>
#include <vector>

#include "ops/common.h"
#include "ops/int8-convert.h"
#include "ops/op.h"
#include "ternrt/kernels/channel-sums-s8.h"

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

class GlobalAvgPoolS8 : public Op {
 public:
  GlobalAvgPoolS8(int x, int y) : x_(x), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const TensorDesc &x = args.tensor(x_), &y = args.tensor(y_);
    const size_t c = x.shape[3];
    const std::string label = args.op.label();
    const xnn_status status = xnn_create_global_average_pooling_nwc_qs8(
        c, c, c, static_cast<int8_t>(x.act_zero_point), x.act_scale, static_cast<int8_t>(y.act_zero_point), y.act_scale, -128,
        127, 0, op_.out());
    if (status == xnn_status_invalid_parameter || status == xnn_status_unsupported_parameter) {
      throw Int8Unsupported{std::string("xnn_create_global_average_pooling_nwc_qs8 refuses the scales: ") + xnn_status_str(status)};
    }
    xnn_check(status, label, "xnn_create_global_average_pooling_nwc_qs8");
    xnn_check(xnn_setup_global_average_pooling_nwc_qs8(op_.get(), x.shape[0], static_cast<size_t>(x.shape[1]) * x.shape[2],
                                                       args.s8(x_), args.s8(y_), args.pool),
              label, "xnn_setup_global_average_pooling_nwc_qs8");
  }
  void run(pthreadpool_t pool) override { run_xnn(op_.get(), pool, "global_avg_pool"); }
  std::string kernel() const override { return "xnnpack qs8 gavgpool"; }
  bool handles_int8() const override { return true; }

 private:
  int x_, y_;
  XnnOp op_;
};

// int8 input, float output (e.g. a squeeze-excite branch whose first convolution runs in float):
// exact int32 sums per channel, then mean = float(sum - pixels * zero_point) * scale / pixels, the
// same on every ISA. Without it the pool's int8 input (the block's depthwise output, which the
// squeeze-excite MUL and the next layer read as int8) would be made float.
class GlobalAvgPoolS8ToF32 : public Op {
 public:
  GlobalAvgPoolS8ToF32(int x, int y) : x_(x), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const TensorDesc& x = args.tensor(x_);
    batch_ = x.shape[0];
    pixels_ = static_cast<size_t>(x.shape[1]) * x.shape[2];
    channels_ = x.shape[3];
    scale_ = x.act_scale;
    zero_point_ = x.act_zero_point;
    // int32 sums: |x - zero point| <= 255 per pixel.
    if (pixels_ > (size_t(1) << 23)) throw Int8Unsupported{"more than 2^23 pixels per channel"};
    x_data_ = args.s8(x_);
    y_data_ = args.f32(y_);
    sums_.assign(channels_, 0);
    sum_s8_ = kernels::channel_sums_s8_for(args.isa);
  }
  void run(pthreadpool_t) override {
    for (size_t b = 0; b < batch_; ++b) {
      std::fill(sums_.begin(), sums_.end(), 0);
      sum_s8_(1, pixels_, channels_, x_data_ + b * pixels_ * channels_, pixels_ * channels_, sums_.data());
      const int32_t zero_sum = static_cast<int32_t>(pixels_) * zero_point_;
      float* y = y_data_ + b * channels_;
      for (size_t c = 0; c < channels_; ++c) {
        y[c] = static_cast<float>(sums_[c] - zero_sum) * scale_ / static_cast<float>(pixels_);
      }
    }
  }
  std::string kernel() const override { return "ternrt gavgpool (s8 -> f32)"; }
  bool handles_int8() const override { return true; }

 private:
  int x_, y_;
  size_t batch_ = 0, pixels_ = 0, channels_ = 0;
  float scale_ = 1.0f;
  int32_t zero_point_ = 0;
  const int8_t* x_data_ = nullptr;
  float* y_data_ = nullptr;
  std::vector<int32_t> sums_;
  kernels::ChannelSumsS8Fn sum_s8_ = nullptr;
};

std::unique_ptr<Op> create(const Model&, const OpDesc& op, const CreateOptions& options) {
  if (options.is_s8(op.inputs[0]) && options.is_s8(op.outputs[0])) return std::make_unique<GlobalAvgPoolS8>(op.inputs[0], op.outputs[0]);
  if (options.is_s8(op.inputs[0])) return std::make_unique<GlobalAvgPoolS8ToF32>(op.inputs[0], op.outputs[0]);
  return std::make_unique<GlobalAvgPool>(op.inputs[0], op.outputs[0]);
}

}  // namespace

const OpSpec kGlobalAvgPoolSpec = {fb::OpCode::GLOBAL_AVG_POOL, check, create};

}  // namespace ternrt
