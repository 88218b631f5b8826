// CONV_2D: float weights through XNNPACK (including depthwise / grouped), ternary weights
// through TernaryGemmOp. On the static int8 path a float-weight convolution (groups 1) whose input
// has a range runs through TernaryGemmOp too, with int8 weights (quantized per output channel at
// interpreter creation; the i8i8 kernels).
#include <limits>

#include <cmath>

#include "ops/common.h"
#include "ops/int8-convert.h"
#include "ops/op.h"
#include "ops/ternary-gemm.h"
#include "ternrt/kernels/dwconv-s8.h"

namespace ternrt {
namespace {

constexpr int32_t kMaxParam = 1 << 16;  // strides, pads, dilations, kernel sizes

struct ConvParams {
  ConvGeometry g;
  size_t groups = 1;
};

ConvParams conv_params(const Model& model, const OpDesc& op) {
  const auto& o = options_or_fail(model, op, op.fb->options_as_Conv2DOptions(), "Conv2DOptions");
  const TensorDesc& x = model.tensors()[op.inputs[0]];
  const TensorDesc& w = model.tensors()[op.inputs[1]];
  ConvParams p;
  const int32_t values[] = {o.stride_h(), o.stride_w(), o.dilation_h(), o.dilation_w(), o.groups()};
  for (int32_t v : values) {
    if (v < 1 || v > kMaxParam) op_fail(model, op, "strides, dilations and groups must be in [1, 65536], got " + std::to_string(v));
  }
  const int32_t pads[] = {o.pad_top(), o.pad_left(), o.pad_bottom(), o.pad_right()};
  for (int32_t v : pads) {
    if (v < 0 || v > kMaxParam) op_fail(model, op, "pads must be in [0, 65536], got " + std::to_string(v));
  }
  ConvGeometry& g = p.g;
  g.batch = x.shape[0];
  g.in_h = x.shape[1];
  g.in_w = x.shape[2];
  g.in_c = x.shape[3];
  g.out_c = w.shape[0];
  g.kernel_h = w.shape[1];
  g.kernel_w = w.shape[2];
  g.stride_h = o.stride_h();
  g.stride_w = o.stride_w();
  g.dilation_h = o.dilation_h();
  g.dilation_w = o.dilation_w();
  g.pad_top = o.pad_top();
  g.pad_left = o.pad_left();
  p.groups = o.groups();
  if (g.in_c % p.groups != 0 || g.out_c % p.groups != 0) {
    op_fail(model, op, "groups " + std::to_string(p.groups) + " must divide input channels " + std::to_string(g.in_c) +
                           " and output channels " + std::to_string(g.out_c));
  }
  if (static_cast<size_t>(w.shape[3]) != g.in_c / p.groups) {
    op_fail(model, op, "weights " + shape_str(w.shape) + " need " + std::to_string(g.in_c / p.groups) +
                           " input channels per group (input " + shape_str(x.shape) + ", groups " + std::to_string(p.groups) + ")");
  }
  const size_t eff_h = (g.kernel_h - 1) * g.dilation_h + 1, eff_w = (g.kernel_w - 1) * g.dilation_w + 1;
  const size_t padded_h = g.in_h + o.pad_top() + o.pad_bottom(), padded_w = g.in_w + o.pad_left() + o.pad_right();
  if (eff_h > padded_h || eff_w > padded_w) {
    op_fail(model, op, "kernel " + std::to_string(eff_h) + "x" + std::to_string(eff_w) + " (with dilation) is larger than the padded input " +
                           std::to_string(padded_h) + "x" + std::to_string(padded_w));
  }
  g.out_h = (padded_h - eff_h) / g.stride_h + 1;
  g.out_w = (padded_w - eff_w) / g.stride_w + 1;
  return p;
}

void check(const Model& model, const OpDesc& op) {
  check_arity(model, op, 2, 3, 1);
  const TensorDesc& x = f32_input(model, op, 0);
  check_rank(model, op, x, "input", 4);
  if (x.is_constant()) op_fail(model, op, "input must be an activation, not a constant");
  const TensorDesc& w = model.tensors()[op.inputs[1]];
  if (!w.is_constant()) op_fail(model, op, "weights " + w.label(op.inputs[1]) + " must be constant");
  if (w.type != fb::TensorType::F32 && w.type != fb::TensorType::TERNARY2) {
    op_fail(model, op, "weights have type " + std::string(fb::EnumNameTensorType(w.type)) + ", expected F32 or TERNARY2");
  }
  check_rank(model, op, w, "weights", 4);
  const ConvParams p = conv_params(model, op);
  if (op.inputs.size() == 3 && op.inputs[2] >= 0) {
    const TensorDesc& b = f32_input(model, op, 2);
    if (!b.is_constant() || b.shape != std::vector<int32_t>{static_cast<int32_t>(p.g.out_c)}) {
      op_fail(model, op, "bias '" + b.name + "' must be a constant of shape (" + std::to_string(p.g.out_c) + "), got " + shape_str(b.shape));
    }
  }
  const auto& o = *op.fb->options_as_Conv2DOptions();
  check_activation(model, op, o.activation());
  f32_output(model, op, 0);
  check_output_shape(model, op, {static_cast<int32_t>(p.g.batch), static_cast<int32_t>(p.g.out_h),
                                 static_cast<int32_t>(p.g.out_w), static_cast<int32_t>(p.g.out_c)});
}

// What the XNNPACK forms of a convolution with float (or expanded ternary) weights share.
class XnnConv2D : public Op {
 public:
  XnnConv2D(const ConvParams& p, Activation act, const fb::Conv2DOptions& o, int x, int w, int b, int y)
      : p_(p), act_(act), pad_bottom_(o.pad_bottom()), pad_right_(o.pad_right()), x_(x), w_(w), b_(b), y_(y) {}
  void run(pthreadpool_t pool) override { run_xnn(op_.get(), pool, "conv2d"); }

 protected:
  ConvParams p_;
  Activation act_;
  size_t pad_bottom_, pad_right_;
  int x_, w_, b_, y_;
  XnnOp op_;
};

class FloatConv2D : public XnnConv2D {
 public:
  using XnnConv2D::XnnConv2D;

  void prepare(const PrepareArgs& args) override {
    const ConvGeometry& g = p_.g;
    const size_t gic = g.in_c / p_.groups, goc = g.out_c / p_.groups;
    const float* bias = b_ >= 0 ? reinterpret_cast<const float*>(args.tensor(b_).data) : nullptr;
    const std::string label = args.op.label();
    xnn_check(xnn_create_convolution2d_nhwc_f32(
                  g.pad_top, pad_right_, pad_bottom_, g.pad_left, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w,
                  g.dilation_h, g.dilation_w, p_.groups, gic, goc, g.in_c, g.out_c,
                  expanded_weights(args, w_, dequantized_), bias, act_.min, act_.max, 0, op_.out()),
              label, "xnn_create_convolution2d_nhwc_f32");
    xnn_check(xnn_setup_convolution2d_nhwc_f32(op_.get(), g.batch, g.in_h, g.in_w, args.f32(x_), args.f32(y_), args.pool),
              label, "xnn_setup_convolution2d_nhwc_f32");
    post_.prepare(act_, args.f32(y_), g.batch * g.out_h * g.out_w * g.out_c, label);
  }
  void run(pthreadpool_t pool) override {
    XnnConv2D::run(pool);
    post_.run(pool);
  }
  std::string kernel() const override {
    std::string k = p_.groups == p_.g.in_c && p_.groups > 1 ? "xnnpack f32 dwconv" : "xnnpack f32 conv";
    return dequantized_.empty() ? k : k + " (ternary weights expanded)";
  }

 private:
  PostActivation post_;
  std::vector<float> dequantized_;  // only for ternary weights run as float
};

// Depthwise convolution on int8 tensors with ternrt's own kernels (kernels::PackedDwconvS8): float
// (or expanded ternary) weights quantized per channel to int8 at interpreter creation, the
// requantizing epilogue of the ternary layers. XNNPACK's qc8 depthwise is not used: it was about 2x
// slower than its f32 one on the machine of benchmarks/RESULTS.md.
class DepthwiseConvS8 : public Op {
 public:
  DepthwiseConvS8(const ConvParams& p, Activation act, int x, int w, int b, int y)
      : p_(p), act_(act), x_(x), w_(w), b_(b), y_(y) {}
  void prepare(const PrepareArgs& args) override {
    const ConvGeometry& g = p_.g;
    const std::string what = args.model.source() + ": " + args.op.label();
    const TensorDesc &x = args.tensor(x_), &y = args.tensor(y_);
    std::vector<float> expanded;
    const float* weights = expanded_weights(args, w_, expanded);
    const float* bias = b_ >= 0 ? reinterpret_cast<const float*>(args.tensor(b_).data) : nullptr;
    // int16 weight pairs per tap and channel, plus per-channel terms and block padding.
    args.budget.reserve(static_cast<uint64_t>(g.out_c + 64) * (g.kernel_h * g.kernel_w + 1) * 2 * sizeof(int16_t) +
                            g.out_c * 16,
                        what + ": packed int8 depthwise weights");
    const kernels::DwconvGeometry dg{g.batch,    g.in_h,     g.in_w,       g.in_c,       g.out_h,
                                     g.out_w,    g.kernel_h, g.kernel_w,   g.stride_h,   g.stride_w,
                                     g.dilation_h, g.dilation_w, g.pad_top, g.pad_left};
    const kernels::DwconvS8Quant q{x.act_scale, x.act_zero_point, y.act_scale, y.act_zero_point,
                                   quantized_bound(act_.min, y.act_scale, y.act_zero_point),
                                   quantized_bound(act_.max, y.act_scale, y.act_zero_point),
                                   act_.post == fb::Activation::HARD_SWISH};
    packed_ = kernels::PackedDwconvS8::pack(dg, weights, bias, q, args.isa);
    if (!packed_) fail(TERNRT_OUT_OF_MEMORY, what + ": cannot allocate packed int8 depthwise weights");
    x_data_ = args.s8(x_);
    y_data_ = args.s8(y_);
    // A small padded input is framed once per run (kernels/dwconv-s8.h), in the shared scratch.
    if (packed_->workspace_bytes() > 0) {
      scratch_ = args.scratch;
      scratch_->request(packed_->workspace_bytes(), args.budget, what + ": padded int8 input");
    }
  }
  void run(pthreadpool_t pool) override {
    packed_->run(x_data_, y_data_, pool, scratch_ ? reinterpret_cast<int8_t*>(scratch_->data()) : nullptr);
  }
  std::string kernel() const override {
    const std::string name = packed_ ? packed_->kernel_name() : "ternrt s8 dwconv";
    return act_.post == fb::Activation::HARD_SWISH ? name + " (hardswish)" : name;
  }
  bool handles_int8() const override { return true; }
  size_t packed_weight_bytes() const override { return packed_ ? packed_->packed_bytes() : 0; }

 private:
  ConvParams p_;
  Activation act_;
  int x_, w_, b_, y_;
  std::unique_ptr<kernels::PackedDwconvS8> packed_;
  SharedScratch* scratch_ = nullptr;   // set when the kernel frames its input
  const int8_t* x_data_ = nullptr;
  int8_t* y_data_ = nullptr;
};

// Which GEMM a groups-1 convolution runs on (TernaryGemmOp), if any.
enum class GemmForm { none, ternary, int8_weights };

GemmForm gemm_form(const Model& model, const OpDesc& op, const ConvParams& p, const CreateOptions& options) {
  if (p.groups != 1) return GemmForm::none;
  const bool ternary = model.tensors()[op.inputs[1]].type == fb::TensorType::TERNARY2;
  const size_t depth = p.g.kernel_h * p.g.kernel_w * p.g.in_c;
  const bool in_s8 = options.is_s8(op.inputs[0]);
  const bool out_s8 = options.is_s8(op.outputs[0]);
  // Static path: narrow layers with a float output run in float too (kMinTernaryGemmOutputsToFloat).
  const bool narrow_to_float = options.static_ranges && p.g.out_c < kMinTernaryGemmOutputsToFloat && !out_s8;
  // Shallow ternary layers between int8 tensors have no quantizing pass to pay for (kMinTernaryGemmDepth).
  const bool shallow_s8 = options.static_ranges && in_s8 && out_s8;
  if (ternary && !options.ternary_as_float && (depth >= kMinTernaryGemmDepth || shallow_s8) && !narrow_to_float)
    return GemmForm::ternary;
  // Static int8 path: float weights run as int8 (the i8i8 kernels) when the input is int8, or a float
  // with a range (e.g. a model's first layer) and either K is deep enough to pay for quantizing it,
  // the patches and the epilogue, or the image has fewer than 4 channels and the output is int8
  // (quantized into 4-channel pixels, read in place: ternary-gemm.h; with a float output that gained
  // nothing on 3 channels, 12.1 against 12.0 us, and lost on 1 channel, 4x the products of K = 9: 13.7
  // against 11.2 us, on the machine of benchmarks/RESULTS.md). Ternary layers with K < 32 and a float
  // side stay in XNNPACK f32 (faster than the t2i8 or i8i8 GEMM at such depths). The rule is the same
  // on every ISA, so results do not depend on it.
  const bool few_channels = p.g.in_c < TernaryGemmOp::kPaddedChannels && !p.g.is_pointwise() && out_s8;
  const bool first_layer_int8 =
      (depth >= kMinInt8WeightDepth || few_channels) && model.tensors()[op.inputs[0]].has_act_quant();
  const bool int8_weights = options.static_ranges && !ternary && (in_s8 || first_layer_int8);
  return int8_weights ? GemmForm::int8_weights : GemmForm::none;
}

// Whether `tensor` is written by an operator that runs on int8 (a GEMM convolution, a qs8 ADD, a
// squeeze-excite MUL, an int8 depthwise layer, ...), which writes int8 for free. A depthwise layer
// reads int8 only after one: after a float operator the int8 input costs that operator a quantization
// pass (or, before the i8i8 kernels, XNNPACK qc8), more than the int8 depthwise kernels save
// (benchmarks/RESULTS.md). At first this took GEMM convolutions only, which left the depthwise layer
// after a residual ADD (a stride-2 block after a residual one) and, through the tensors' fixed point,
// the blocks before it in float.
bool produced_in_int8(const Model& model, int tensor, const CreateOptions& options) {
  if (!options.is_s8(tensor)) return false;
  for (const OpDesc& producer : model.ops()) {
    if (producer.outputs.empty() || producer.outputs[0] != tensor) continue;
    return find_op_spec(producer.opcode)->create(model, producer, options)->handles_int8();
  }
  return false;   // a graph input (float)
}

std::unique_ptr<Op> create(const Model& model, const OpDesc& op, const CreateOptions& options) {
  const ConvParams p = conv_params(model, op);
  const auto& o = *op.fb->options_as_Conv2DOptions();
  const Activation act = activation_of(o.activation());
  const int bias = op.inputs.size() == 3 ? op.inputs[2] : -1;
  switch (gemm_form(model, op, p, options)) {
    case GemmForm::ternary:
      return std::make_unique<TernaryGemmOp>(p.g, act, op.inputs[0], op.inputs[1], bias, op.outputs[0]);
    case GemmForm::int8_weights:
      return std::make_unique<TernaryGemmOp>(p.g, act, op.inputs[0], op.inputs[1], bias, op.outputs[0], true);
    case GemmForm::none: break;
  }
  // Depthwise on int8 tensors: ternrt's kernels (the 2022 XNNPACK's qc8 depthwise was about 2x slower
  // than its f32 one on the machine of benchmarks/RESULTS.md), where the int8 input is free. Other
  // grouped convolutions (ternary weights expanded to scale * trit) stay float: K per group is tiny.
  const bool depthwise = p.groups > 1 && p.groups == p.g.in_c && p.g.out_c == p.g.in_c;
  const bool int8_activation = act.post == fb::Activation::NONE || act.post == fb::Activation::HARD_SWISH;
  if (depthwise && options.static_ranges && options.is_s8(op.inputs[0]) && options.is_s8(op.outputs[0]) &&
      int8_activation && produced_in_int8(model, op.inputs[0], options)) {
    return std::make_unique<DepthwiseConvS8>(p, act, op.inputs[0], op.inputs[1], bias, op.outputs[0]);
  }
  return std::make_unique<FloatConv2D>(p, act, o, op.inputs[0], op.inputs[1], bias, op.outputs[0]);
}

}  // namespace

const OpSpec kConv2DSpec = {fb::OpCode::CONV_2D, check, create};

}  // namespace ternrt
