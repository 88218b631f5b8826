#include "ops/ternary-gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt {

// Kernels may read up to this many bytes past the end of an activation row.
constexpr size_t kKernelReadPadding = 64;

kernels::Im2colGeometry TernaryGemmOp::im2col_geometry() const {
  return kernels::Im2colGeometry{g_.batch,  g_.in_h,       g_.in_w,       kernel_channels(), g_.out_h,
                                 g_.out_w,  g_.kernel_h,   g_.kernel_w,   g_.stride_h,   g_.stride_w,
                                 g_.dilation_h, g_.dilation_w, g_.pad_top, g_.pad_left};
}

size_t TernaryGemmOp::in_pixels() const { return g_.batch * g_.in_h * g_.in_w; }

void TernaryGemmOp::pack_int8_weights(const PrepareArgs& args, const std::string& what) {
  std::vector<float> expanded;   // float weights here (ternary ones go to the t2i8 kernels)
  const float* weights = expanded_weights(args, weights_, expanded);
  const size_t n = g_.out_c;
  // The nibble layout holds two bytes per weight, plus per-channel sums and tile padding.
  args.budget.reserve(static_cast<uint64_t>(n) * (3 * k_ + 128) + n * sizeof(float), what + ": int8 weights");
  // k_ counts the kernel's channels; the model's rows have in_c per tap (fewer with pad_channels_:
  // the extra channels get weight 0).
  const size_t taps = g_.kernel_h * g_.kernel_w, in_c = g_.in_c, kernel_c = kernel_channels();
  std::vector<int8_t> quantized(n * k_, 0);
  int8_scales_.resize(n);
  for (size_t j = 0; j < n; ++j) {
    const float* row = weights + j * taps * in_c;
    float max_abs = 0.0f;
    for (size_t i = 0; i < taps * in_c; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
    if (!std::isfinite(max_abs)) throw Int8Unsupported{"weights are not finite"};
    const float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    int8_scales_[j] = scale;
    for (size_t t = 0; t < taps; ++t) {
      for (size_t c = 0; c < in_c; ++c) {
        const float q = std::min(127.0f, std::max(-127.0f, std::nearbyint(row[t * in_c + c] / scale)));
        quantized[j * k_ + t * kernel_c + c] = static_cast<int8_t>(q);
      }
    }
  }
  packed_ = kernels::PackedTernaryWeights::pack_s8(quantized.data(), n, k_, args.isa);
  if (!packed_) fail(TERNRT_OUT_OF_MEMORY, what + ": cannot allocate packed weights");
  channel_scales_ = int8_scales_.data();
}

bool TernaryGemmOp::can_fuse_residual() const {
  return !int8_weights_ && act_.post == fb::Activation::NONE && std::isinf(act_.min) && act_.min < 0 &&
         std::isinf(act_.max) && act_.max > 0;
}

void TernaryGemmOp::fuse_residual(int residual, int output, float clamp_min, float clamp_max) {
  residual_ = residual;
  output_ = output;
  act_.min = clamp_min;   // the ADD's clamp (its activation is a clamp: residual-fusion.cc)
  act_.max = clamp_max;
}

void TernaryGemmOp::prepare(const PrepareArgs& args) {
  // An int8 output with HardSwish runs the epilogue's HardSwish form; Sigmoid / HardSigmoid have no
  // int8 form (the interpreter keeps such outputs float, choose_int8_tensors).
  if (args.is_s8(output_) && act_.post != fb::Activation::NONE && act_.post != fb::Activation::HARD_SWISH) {
    throw Int8Unsupported{"an int8 output with a Sigmoid / HardSigmoid activation"};
  }
  hardswish_s8_ = args.is_s8(output_) && act_.post == fb::Activation::HARD_SWISH;
  const TensorDesc& w = args.tensor(weights_);
  m_ = g_.batch * g_.out_h * g_.out_w;
  const std::string what = args.model.source() + ": " + args.op.label();
  if (!int8_weights_) {
    const TernaryDesc& t = *w.ternary;
    k_ = t.k;
    // The row count is a layout hint for the kernels; the expanded layout (one byte per trit, AVX2)
    // only with TERNRT_FLAG_EXPAND_WEIGHTS.
    kernels::PackOptions pack_options;
    pack_options.rows_hint = m_;
    pack_options.allow_expanded = args.expand_weights;
    // Repacked weights are about the 2-bit codes, or a byte per trit (the expanded layout, the scalar
    // kernel's rows), plus per-channel sums and tile padding.
    const kernels::WeightLayout layout = kernels::t2i8_gemm_choose_ukernel(args.isa, t.n, t.k, pack_options)->layout;
    const bool byte_per_trit =
        layout == kernels::WeightLayout::codes_u8_c4 || layout == kernels::WeightLayout::trits_s8_rows;
    const uint64_t row_bytes = byte_per_trit ? (t.k + 3) / 4 * 4 : (t.k + 3) / 4;
    args.budget.reserve(static_cast<uint64_t>(t.n) * (row_bytes + 64), what + ": packed weights");
    packed_ = kernels::PackedTernaryWeights::pack(t.codes, t.n, t.k, args.isa, pack_options);
    if (!packed_) fail(TERNRT_OUT_OF_MEMORY, what + ": cannot allocate packed weights");
    channel_scales_ = t.channel_scales.data();
  } else {
    const TensorDesc& x = args.tensor(input_);
    pad_channels_ = !args.is_s8(input_) && args.static_ranges && x.has_act_quant() && !g_.is_pointwise() &&
                    g_.in_c < kPaddedChannels;
    k_ = g_.kernel_h * g_.kernel_w * kernel_channels();
    pack_int8_weights(args, what);
  }
  // k x k convolutions read the image in place when the kernels allow it (T2I8Conv), else im2col.
  // A first layer's 4-channel image is written here, flipped when the kernel has a u8 form for it.
  if (!g_.is_pointwise()) {
    if (pad_channels_) conv_ = kernels::T2I8Conv::create(*packed_, im2col_geometry(), kernels::ImageEncoding::flipped_u8);
    flip_padded_ = conv_ != nullptr;
    if (!conv_) conv_ = kernels::T2I8Conv::create(*packed_, im2col_geometry());
  }
  const bool in_s8 = args.is_s8(input_);
  bias_data_ = bias_ >= 0 ? reinterpret_cast<const float*>(args.tensor(bias_).data) : nullptr;
  const TensorDesc& x = args.tensor(input_);
  x_scale_ = x.act_scale;
  x_zero_point_ = x.act_zero_point;
  size_t quantized_bytes = 0;
  if (in_s8) {
    x_s8_ = args.s8(input_);  // the arena pads every tensor for the kernels' over-read
  } else {
    x_ = args.f32(input_);
    quantized_count_ = x.elements;
    quantized_bytes = x.elements + kKernelReadPadding;
    // Static path, float input with a range: quantize with it (no min/max pass per invoke).
    static_input_ = args.static_ranges && x.has_act_quant();
  }
  if (pad_channels_) {   // the 4-channel image after the quantized one
    padded_offset_ = (quantized_bytes + 63) / 64 * 64;
    quantized_bytes = padded_offset_ + in_pixels() * kPaddedChannels + kKernelReadPadding;
  }
  // im2col rows stay with the operator: their padding bytes are written once per zero point.
  const uint64_t patch_bytes = g_.is_pointwise() || conv_ ? 0 : static_cast<uint64_t>(m_) * k_ + kKernelReadPadding;
  args.budget.reserve(patch_bytes, what + ": patch buffers");
  if (patch_bytes != 0) {
    patches_.resize(patch_bytes);
    im2col_ = kernels::Im2colPlan(im2col_geometry(), k_);
  }
  const size_t workspace_bytes =
      conv_ ? conv_->workspace_bytes() : kernels::t2i8_gemm_workspace_bytes(*packed_, m_);
  // int8 input | GEMM workspace, in the interpreter's shared scratch.
  workspace_offset_ = (quantized_bytes + 63) / 64 * 64;
  scratch_ = args.scratch;
  scratch_->request(workspace_offset_ + workspace_bytes, args.budget, what + ": int8 input and GEMM workspace");
  const size_t count = m_ * g_.out_c;
  if (!args.is_s8(output_)) {
    y_ = args.f32(output_);
    post_.prepare(act_, y_, count, args.op.label());
    return;
  }
  const TensorDesc& y = args.tensor(output_);
  y_scale_ = y.act_scale;
  y_zero_point_ = y.act_zero_point;
  y_s8_ = args.s8(output_);   // the clamp of the fused activation, in int8
  y_min_ = quantized_bound(act_.min, y_scale_, y_zero_point_);
  y_max_ = quantized_bound(act_.max, y_scale_, y_zero_point_);
  if (residual_ >= 0) {
    const TensorDesc& r = args.tensor(residual_);
    if (!args.is_s8(residual_) || hardswish_s8_ || r.elements != count) {
      fail(TERNRT_INTERNAL, what + ": cannot add residual " + r.label(residual_) + " (int8 of the output's shape expected)");
    }
    residual_s8_ = kernels::ResidualS8{args.s8(residual_), g_.out_c, r.act_scale, r.act_zero_point};
  }
}

void TernaryGemmOp::run(pthreadpool_t pool) {
  uint8_t* scratch = scratch_->data();
  int8_t* quantized = reinterpret_cast<int8_t*>(scratch);
  int32_t* workspace = reinterpret_cast<int32_t*>(scratch + workspace_offset_);
  float scale = x_scale_;
  int32_t zero_point = x_zero_point_;
  const int8_t* image = x_s8_;
  if (pad_channels_) {
    // Static float input of 1-3 channels, quantized into 4-byte pixels: straight into the padded
    // buffer of the in-place convolution when it has one (image = nullptr tells it so), else into
    // our own; the quantized area is the per-row scratch.
    const kernels::T2I8Conv::ImageSlot slot =
        conv_ ? conv_->image_slot(workspace) : kernels::T2I8Conv::ImageSlot{nullptr, 0, 0};
    const size_t image_floats = g_.in_h * g_.in_w * g_.in_c;
    if (slot.data != nullptr) {
      for (size_t b = 0; b < g_.batch; ++b) {
        kernels::quantize_f32_s8_pixels4(packed_->isa(), x_ + b * image_floats, g_.in_h, g_.in_w, g_.in_c, scale,
                                         zero_point, flip_padded_, slot.data + b * slot.batch_stride, slot.row_stride,
                                         quantized);
      }
      image = nullptr;
    } else {
      int8_t* padded = reinterpret_cast<int8_t*>(scratch + padded_offset_);
      kernels::quantize_f32_s8_pixels4(packed_->isa(), x_, g_.batch * g_.in_h, g_.in_w, g_.in_c, scale, zero_point,
                                       flip_padded_, padded, g_.in_w * kPaddedChannels, quantized);
      image = padded;
    }
  } else if (image == nullptr) {
    // The packed weights' ISA (all implementations give the same bits); skips default_isa()'s
    // environment lookup on every call.
    if (static_input_) {
      kernels::quantize_f32_s8_static(packed_->isa(), x_, quantized_count_, scale, zero_point, quantized);
    } else {
      kernels::quantize_f32_s8_dynamic_isa(packed_->isa(), x_, quantized_count_, quantized, &scale, &zero_point);
    }
    image = quantized;
  }
  if (conv_) {
    if (hardswish_s8_) {
      conv_->run_hardswish_s8(image, scale, zero_point, channel_scales_, bias_data_, y_scale_, y_zero_point_, y_min_,
                              y_max_, y_s8_, g_.out_c, pool, workspace);
      return;
    }
    if (residual_ >= 0) {
      conv_->run_residual_s8(image, scale, zero_point, channel_scales_, bias_data_, y_scale_, y_zero_point_, y_min_,
                             y_max_, residual_s8_, y_s8_, g_.out_c, pool, workspace);
      return;
    }
    if (y_s8_ != nullptr) {
      conv_->run_s8(image, scale, zero_point, channel_scales_, bias_data_, y_scale_, y_zero_point_, y_min_, y_max_, y_s8_,
                    g_.out_c, pool, workspace);
      return;
    }
    conv_->run_f32(image, scale, zero_point, channel_scales_, bias_data_, act_.min, act_.max, y_, g_.out_c, pool,
                   workspace);
  } else {
    const int8_t* a = image;
    if (!patches_.empty()) {
      // Row = output pixel (b, oy, ox); column = (ky, kx, c), matching the (OC, KH, KW, IC) weights.
      // Padding bytes only change with the zero point (every invoke on the dynamic path, never on
      // the static one).
      if (zero_point != patches_pad_) {
        im2col_.fill_padding(static_cast<int8_t>(zero_point), patches_.data());
        patches_pad_ = zero_point;
      }
      im2col_.copy_taps(image, patches_.data(), pool);
      a = patches_.data();
    }
    if (hardswish_s8_) {
      kernels::t2i8_gemm_hardswish_s8(*packed_, m_, a, k_, scale, zero_point, channel_scales_, bias_data_, y_scale_,
                                      y_zero_point_, y_min_, y_max_, y_s8_, g_.out_c, pool, workspace);
      return;
    }
    if (residual_ >= 0) {
      kernels::t2i8_gemm_residual_s8(*packed_, m_, a, k_, scale, zero_point, channel_scales_, bias_data_, y_scale_,
                                     y_zero_point_, y_min_, y_max_, residual_s8_, y_s8_, g_.out_c, pool, workspace);
      return;
    }
    if (y_s8_ != nullptr) {
      kernels::t2i8_gemm_s8(*packed_, m_, a, k_, scale, zero_point, channel_scales_, bias_data_, y_scale_,
                            y_zero_point_, y_min_, y_max_, y_s8_, g_.out_c, pool, workspace);
      return;
    }
    kernels::t2i8_gemm_f32(*packed_, m_, a, k_, scale, zero_point, channel_scales_, bias_data_, act_.min, act_.max, y_,
                           g_.out_c, pool, workspace);
  }
  // Float output: the activation XNNPACK-style clamping cannot express.
  post_.run(pool);
}

std::string TernaryGemmOp::kernel() const {
  const bool out_s8 = y_s8_ != nullptr;
  // An int8 output runs the kernel's requantizing form, if it has one (GEMM rows only: m_ == 1 is a
  // GEMV), with HardSwish in its HardSwish form.
  const bool minmax = out_s8;
  std::string name = conv_ ? (minmax ? conv_->kernel_name_s8() : conv_->kernel_name())
                     : packed_ ? (minmax && m_ > 1 ? packed_->kernel_name_s8() : packed_->kernel_name())
                               : "ternary";
  if (conv_) name += " in place";   // k x k convolution without im2col (T2I8Conv)
  if (pad_channels_) name += " on 4-channel pixels";
  if (x_s8_ != nullptr || out_s8 || static_input_) {
    name += std::string(" (") + (x_s8_ ? "s8" : static_input_ ? "f32 static" : "f32") + " -> " + (out_s8 ? "s8" : "f32") +
            (hardswish_s8_ ? ", hardswish" : "") + (residual_ >= 0 ? ", + residual" : "") + ")";
  }
  return name;
}

}  // namespace ternrt
