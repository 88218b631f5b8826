// MAX_POOL_2D (XNNPACK f32, implicit -inf padding; on the static int8 path kernels::max_pool_s8)
// and AVG_POOL_2D (own loop: XNNPACK's average pooling cannot express count_include_pad, and the op
// is rare in the models we target).
#include <algorithm>
#include <limits>
#include <vector>

#include "ops/common.h"
#include "ops/int8-convert.h"
#include "ops/op.h"
#include "ternrt/kernels/channel-sums-s8.h"
#include "ternrt/kernels/max-pool-s8.h"

namespace ternrt {
namespace {

constexpr int32_t kMaxParam = 1 << 16;

struct PoolGeometry {
  size_t batch, in_h, in_w, channels, out_h, out_w;
  size_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right;
  bool count_include_pad;
};

PoolGeometry pool_geometry(const Model& model, const OpDesc& op) {
  const auto& o = options_or_fail(model, op, op.fb->options_as_Pool2DOptions(), "Pool2DOptions");
  const TensorDesc& x = model.tensors()[op.inputs[0]];
  for (int32_t v : {o.kernel_h(), o.kernel_w(), o.stride_h(), o.stride_w()}) {
    if (v < 1 || v > kMaxParam) op_fail(model, op, "kernel sizes and strides must be in [1, 65536], got " + std::to_string(v));
  }
  for (int32_t v : {o.pad_top(), o.pad_left(), o.pad_bottom(), o.pad_right()}) {
    if (v < 0 || v > kMaxParam) op_fail(model, op, "pads must be in [0, 65536], got " + std::to_string(v));
  }
  if (o.pad_top() >= o.kernel_h() || o.pad_bottom() >= o.kernel_h() || o.pad_left() >= o.kernel_w() || o.pad_right() >= o.kernel_w()) {
    op_fail(model, op, "pads must be smaller than the pooling window");
  }
  PoolGeometry g{};
  g.batch = x.shape[0];
  g.in_h = x.shape[1];
  g.in_w = x.shape[2];
  g.channels = x.shape[3];
  g.kernel_h = o.kernel_h();
  g.kernel_w = o.kernel_w();
  g.stride_h = o.stride_h();
  g.stride_w = o.stride_w();
  g.pad_top = o.pad_top();
  g.pad_left = o.pad_left();
  g.pad_bottom = o.pad_bottom();
  g.pad_right = o.pad_right();
  g.count_include_pad = o.count_include_pad();
  const size_t ph = g.in_h + g.pad_top + g.pad_bottom, pw = g.in_w + g.pad_left + g.pad_right;
  if (g.kernel_h > ph || g.kernel_w > pw) op_fail(model, op, "pooling window is larger than the padded input");
  g.out_h = (ph - g.kernel_h) / g.stride_h + 1;
  g.out_w = (pw - g.kernel_w) / g.stride_w + 1;
  return g;
}

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 1, 1, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  check_rank(model, op, x, "input", 4);
  const PoolGeometry g = pool_geometry(model, op);
  check_activation(model, op, op.fb->options_as_Pool2DOptions()->activation());
  f32_output(model, op, 0);
  check_output_shape(model, op, {static_cast<int32_t>(g.batch), static_cast<int32_t>(g.out_h), static_cast<int32_t>(g.out_w),
                                 static_cast<int32_t>(g.channels)});
}

class MaxPool2D : public Op {
 public:
  MaxPool2D(const PoolGeometry& g, Activation act, int x, int y) : g_(g), act_(act), x_(x), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const std::string label = args.op.label();
    xnn_check(xnn_create_max_pooling2d_nhwc_f32(g_.pad_top, g_.pad_right, g_.pad_bottom, g_.pad_left, g_.kernel_h, g_.kernel_w,
                                                g_.stride_h, g_.stride_w, 1, 1, g_.channels, g_.channels, g_.channels, act_.min,
                                                act_.max, 0, op_.out()),
              label, "xnn_create_max_pooling2d_nhwc_f32");
    xnn_check(xnn_setup_max_pooling2d_nhwc_f32(op_.get(), g_.batch, g_.in_h, g_.in_w, args.f32(x_), args.f32(y_), args.pool),
              label, "xnn_setup_max_pooling2d_nhwc_f32");
    post_.prepare(act_, args.f32(y_), g_.batch * g_.out_h * g_.out_w * g_.channels, label);
  }
  void run(pthreadpool_t pool) override {
    run_xnn(op_.get(), pool, "max_pool_2d");
    post_.run(pool);
  }
  std::string kernel() const override { return "xnnpack f32 maxpool"; }

 private:
  PoolGeometry g_;
  Activation act_;
  int x_, y_;
  XnnOp op_;
  PostActivation post_;
};

// Max pooling commutes with quantization (rounding and clamping are monotonic): on int8 with the
// output's scale and zero point (what the converter gives a max pool) it is exact, the max of the
// quantized values being the quantized max. A float output (a consumer without an int8 form) is the
// int8 result dequantized, which equals pooling the dequantized input: a quarter of the bytes to read
// for the pool and 1 / window of them to convert.
class MaxPool2DS8 : public Op {
 public:
  MaxPool2DS8(const PoolGeometry& g, Activation act, int x, int y) : g_(g), act_(act), x_(x), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const std::string label = args.op.label();
    const TensorDesc& x = args.tensor(x_);
    int8_t* out = nullptr;
    if (args.is_s8(y_)) {
      out = args.s8(y_);
    } else {
      const size_t count = g_.batch * g_.out_h * g_.out_w * g_.channels;
      args.budget.reserve(count, args.model.source() + ": " + label + ": int8 pooling result");
      pooled_.resize(count);
      out = pooled_.data();
      dequantize_.prepare(out, args.f32(y_), count, x.act_scale, x.act_zero_point, args.isa);
    }
    lo_ = quantized_bound(act_.min, x.act_scale, x.act_zero_point);
    hi_ = quantized_bound(act_.max, x.act_scale, x.act_zero_point);
    kg_ = kernels::MaxPoolGeometry{g_.batch,    g_.in_h,     g_.in_w,     g_.channels, g_.out_h,   g_.out_w,
                                   g_.kernel_h, g_.kernel_w, g_.stride_h, g_.stride_w, g_.pad_top, g_.pad_left};
    x_data_ = args.s8(x_);
    y_data_ = out;
    isa_ = args.isa;
  }
  void run(pthreadpool_t pool) override {
    kernels::max_pool_s8(isa_, kg_, x_data_, lo_, hi_, y_data_, pool);
    if (!pooled_.empty()) dequantize_.run(pool);
  }
  std::string kernel() const override { return pooled_.empty() ? "max_pool_s8" : "max_pool_s8 (f32 out)"; }
  bool handles_int8() const override { return true; }

 private:
  PoolGeometry g_;
  Activation act_;
  int x_, y_;
  kernels::MaxPoolGeometry kg_{};
  kernels::Isa isa_ = kernels::Isa::scalar;
  const int8_t* x_data_ = nullptr;
  int8_t* y_data_ = nullptr;
  int8_t lo_ = -128, hi_ = 127;
  std::vector<int8_t> pooled_;   // float output: the int8 result before dequantizing
  DequantizeS8 dequantize_;
};

// Average pooling, ternrt's loop: float input, or int8 on the static path (exact int32 window sums,
// then one float formula, the same on every ISA); float output, or int8 (requantized, clamp-only
// activation). An int8 input keeps its producer, and the operators before it, on int8 where a float
// pool would have made that tensor float (the interpreter's fixed point of int8 tensors).
class AvgPool2D : public Op {
 public:
  AvgPool2D(const PoolGeometry& g, Activation act, int x, int y) : g_(g), act_(act), xi_(x), yi_(y) {}
  // int8 tensors with a clamp-only activation; a post-activation (HardSwish, ...) runs in float
  // between conversions (FloatFallback).
  bool handles_int8() const override { return act_.post == fb::Activation::NONE; }
  void prepare(const PrepareArgs& args) override {
    const TensorDesc &x = args.tensor(xi_), &y = args.tensor(yi_);
    isa_ = args.isa;
    if (args.is_s8(xi_)) {
      x_s8_ = args.s8(xi_);
      x_scale_ = x.act_scale;
      x_zero_point_ = x.act_zero_point;
      sums_.assign(g_.channels, 0);
      sum_s8_ = kernels::channel_sums_s8_for(args.isa);
    } else {
      x_ = args.f32(xi_);
    }
    if (args.is_s8(yi_)) {
      y_s8_ = args.s8(yi_);
      y_scale_ = y.act_scale;
      y_zero_point_ = y.act_zero_point;
      if (x_s8_ != nullptr) {
        sums_.assign(g_.out_w * g_.channels, 0);   // an output row's window sums (run_s8)
      } else {
        row_.assign(g_.out_w * g_.channels, 0.0f);
      }
    } else {
      y_ = args.f32(yi_);
      post_.prepare(act_, y_, g_.batch * g_.out_h * g_.out_w * g_.channels, args.op.label());
    }
  }
  // One output pixel's window, clipped to the real input.
  struct Window {
    size_t first;         // element offset of its first input pixel
    size_t rows, cols;    // inside the image
    size_t divisor;       // count_include_pad: the window clipped to the padded input; else rows * cols
  };
  Window window(size_t b, size_t oy, size_t ox) const {
    // Window in padded coordinates, clipped to the real input.
    const ptrdiff_t y0 = static_cast<ptrdiff_t>(oy * g_.stride_h) - static_cast<ptrdiff_t>(g_.pad_top);
    const ptrdiff_t x0 = static_cast<ptrdiff_t>(ox * g_.stride_w) - static_cast<ptrdiff_t>(g_.pad_left);
    const ptrdiff_t y1 = y0 + static_cast<ptrdiff_t>(g_.kernel_h), x1 = x0 + static_cast<ptrdiff_t>(g_.kernel_w);
    const ptrdiff_t iy0 = std::max<ptrdiff_t>(y0, 0), iy1 = std::min<ptrdiff_t>(y1, g_.in_h);
    const ptrdiff_t ix0 = std::max<ptrdiff_t>(x0, 0), ix1 = std::min<ptrdiff_t>(x1, g_.in_w);
    Window w;
    w.rows = static_cast<size_t>(std::max<ptrdiff_t>(iy1 - iy0, 0));
    w.cols = static_cast<size_t>(std::max<ptrdiff_t>(ix1 - ix0, 0));
    w.first = ((b * g_.in_h + static_cast<size_t>(iy0)) * g_.in_w + static_cast<size_t>(ix0)) * g_.channels;
    // count_include_pad divides by the window clipped to the padded input (PyTorch/ONNX rule).
    const ptrdiff_t py1 = std::min<ptrdiff_t>(y1, g_.in_h + g_.pad_bottom), px1 = std::min<ptrdiff_t>(x1, g_.in_w + g_.pad_right);
    w.divisor = g_.count_include_pad ? static_cast<size_t>((py1 - y0) * (px1 - x0)) : std::max<size_t>(w.rows * w.cols, 1);
    return w;
  }
  void run(pthreadpool_t pool) override {
    if (x_s8_ != nullptr && y_s8_ != nullptr) {
      run_s8();
      return;
    }
    const size_t c = g_.channels;
    for (size_t b = 0; b < g_.batch; ++b) {
      for (size_t oy = 0; oy < g_.out_h; ++oy) {
        const size_t row_start = (b * g_.out_h + oy) * g_.out_w * c;
        // An int8 output collects the output row in row_ and quantizes it in one call.
        float* out_row = y_ ? y_ + row_start : row_.data();
        for (size_t ox = 0; ox < g_.out_w; ++ox) {
          float* out = out_row + ox * c;
          const Window w = window(b, oy, ox);
          const size_t count = w.rows * w.cols;
          const float inv = 1.0f / static_cast<float>(w.divisor);
          const float lo = act_.min, hi = act_.max;
          if (x_s8_ != nullptr) {
            std::fill(sums_.begin(), sums_.end(), 0);
            if (count > 0) sum_s8_(w.rows, w.cols, c, x_s8_ + w.first, g_.in_w * c, sums_.data());
            // The window's sum of dequantized values, averaged and clamped: kernels' window_mean.
            const int32_t zero_sum = static_cast<int32_t>(count) * x_zero_point_;
            const int32_t* sums = sums_.data();
            const float x_scale = x_scale_;
            for (size_t ch = 0; ch < c; ++ch) {
              const float sum = static_cast<float>(sums[ch] - zero_sum) * x_scale;
              out[ch] = std::min(hi, std::max(lo, sum * inv));
            }
            continue;
          }
          std::fill(out, out + c, 0.0f);
          for (size_t r = 0; r < w.rows; ++r) {
            for (size_t p = 0; p < w.cols; ++p) {
              const float* pixel = x_ + w.first + (r * g_.in_w + p) * c;
              for (size_t ch = 0; ch < c; ++ch) out[ch] += pixel[ch];
            }
          }
          for (size_t ch = 0; ch < c; ++ch) out[ch] = std::min(hi, std::max(lo, out[ch] * inv));
        }
        if (y_s8_ != nullptr) {
          kernels::quantize_f32_s8_static(isa_, out_row, g_.out_w * c, y_scale_, y_zero_point_, y_s8_ + row_start);
        }
      }
    }
    if (y_ != nullptr) post_.run(pool);
  }
  // int8 in and out: an output row's window sums, then one requantizing call per run of pixels
  // whose windows have the same size (the whole row away from the padding).
  void run_s8() {
    const size_t c = g_.channels;
    int32_t* sums = sums_.data();
    for (size_t b = 0; b < g_.batch; ++b) {
      for (size_t oy = 0; oy < g_.out_h; ++oy) {
        const size_t row_start = (b * g_.out_h + oy) * g_.out_w * c;
        std::fill(sums_.begin(), sums_.end(), 0);
        size_t run_start = 0, run_count = 0, run_divisor = 0;
        auto flush = [&](size_t end) {
          if (end == run_start) return;
          kernels::quantize_window_means_s8(isa_, sums + run_start * c, (end - run_start) * c,
                                            static_cast<int32_t>(run_count) * x_zero_point_, x_scale_,
                                            1.0f / static_cast<float>(run_divisor), act_.min, act_.max, y_scale_,
                                            y_zero_point_, y_s8_ + row_start + run_start * c);
        };
        for (size_t ox = 0; ox < g_.out_w; ++ox) {
          const Window w = window(b, oy, ox);
          const size_t count = w.rows * w.cols;
          if (count > 0) sum_s8_(w.rows, w.cols, c, x_s8_ + w.first, g_.in_w * c, sums + ox * c);
          if (ox == 0 || count != run_count || w.divisor != run_divisor) {
            flush(ox);
            run_start = ox, run_count = count, run_divisor = w.divisor;
          }
        }
        flush(g_.out_w);
      }
    }
  }
  std::string kernel() const override {
    if (x_s8_ == nullptr && y_s8_ == nullptr) return "ternrt f32 avgpool";
    return std::string("ternrt avgpool (") + (x_s8_ ? "s8" : "f32") + " -> " + (y_s8_ ? "s8" : "f32") + ")";
  }

 private:
  PoolGeometry g_;
  Activation act_;
  int xi_, yi_;
  const float* x_ = nullptr;
  const int8_t* x_s8_ = nullptr;
  float x_scale_ = 1.0f;
  int32_t x_zero_point_ = 0;
  float* y_ = nullptr;
  int8_t* y_s8_ = nullptr;
  float y_scale_ = 1.0f;
  int32_t y_zero_point_ = 0;
  std::vector<int32_t> sums_;   // int8 input: one window's sums (an output row's with an int8 output)
  kernels::ChannelSumsS8Fn sum_s8_ = nullptr;
  std::vector<float> row_;      // float input, int8 output: an output row before requantizing
  kernels::Isa isa_ = kernels::Isa::scalar;   // of the quantizers (every ISA gives the same bytes)
  PostActivation post_;
};

template <bool kMax>
std::unique_ptr<Op> create(const Model& model, const OpDesc& op, const CreateOptions& options) {
  const PoolGeometry g = pool_geometry(model, op);
  const Activation act = activation_of(op.fb->options_as_Pool2DOptions()->activation());
  if (kMax) {
    // int8 input; an int8 output with the same quantization (no requantization in between) and a
    // clamp-only activation, or a float output without activation (a clamp in float differs from
    // the rounded int8 bounds).
    const TensorDesc &x = model.tensors()[op.inputs[0]], &y = model.tensors()[op.outputs[0]];
    const bool s8_out = options.is_s8(op.outputs[0]) && act.post == fb::Activation::NONE &&
                        x.act_scale == y.act_scale && x.act_zero_point == y.act_zero_point;
    const bool f32_out = !options.is_s8(op.outputs[0]) && act.post == fb::Activation::NONE &&
                         act.min == -std::numeric_limits<float>::infinity() &&
                         act.max == std::numeric_limits<float>::infinity();
    if (options.is_s8(op.inputs[0]) && (s8_out || f32_out)) {
      return std::make_unique<MaxPool2DS8>(g, act, op.inputs[0], op.outputs[0]);
    }
    return std::make_unique<MaxPool2D>(g, act, op.inputs[0], op.outputs[0]);
  }
  return std::make_unique<AvgPool2D>(g, act, op.inputs[0], op.outputs[0]);
}

}  // namespace

const OpSpec kMaxPool2DSpec = {fb::OpCode::MAX_POOL_2D, check, create<true>};
const OpSpec kAvgPool2DSpec = {fb::OpCode::AVG_POOL_2D, check, create<false>};

}  // namespace ternrt
