#include "ops/ternary-gemm.h"

#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt {

// Kernels may read up to this many bytes past the end of an activation row.
constexpr size_t kKernelReadPadding = 64;

void TernaryGemmOp::prepare(const PrepareArgs& args) {
  const TensorDesc& w = args.tensor(weights_);
  const TernaryDesc& t = *w.ternary;
  k_ = t.k;
  m_ = g_.batch * g_.out_h * g_.out_w;
  // The row count is a layout hint for the kernels (the expanded u8 layout stays opt-in: off here).
  const std::string what = args.model.source() + ": " + args.op.label();
  // Repacked weights are about the 2-bit codes plus per-channel sums and tile padding.
  args.budget.reserve(static_cast<uint64_t>(t.n) * ((t.k + 3) / 4 + 64), what + ": packed weights");
  const uint64_t patch_bytes = g_.is_pointwise() ? 0 : static_cast<uint64_t>(m_) * k_ + kKernelReadPadding;
  args.budget.reserve(args.tensor(input_).elements + kKernelReadPadding + patch_bytes, what + ": int8 input and patch buffers");
  kernels::PackOptions pack_options;
  pack_options.rows_hint = m_;
  packed_ = kernels::PackedTernaryWeights::pack(t.codes, t.n, t.k, args.isa, pack_options);
  if (!packed_) fail(TERNRT_OUT_OF_MEMORY, what + ": cannot allocate packed weights");
  channel_scales_ = t.channel_scales.data();
  bias_data_ = bias_ >= 0 ? reinterpret_cast<const float*>(args.tensor(bias_).data) : nullptr;
  x_ = args.f32(input_);
  y_ = args.f32(output_);
  quantized_.resize(args.tensor(input_).elements + kKernelReadPadding);
  if (!g_.is_pointwise()) patches_.resize(m_ * k_ + kKernelReadPadding);
  const size_t workspace_bytes = kernels::t2i8_gemm_workspace_bytes(*packed_, m_);
  args.budget.reserve(workspace_bytes, what + ": GEMM workspace");
  workspace_.resize((workspace_bytes + sizeof(int32_t) - 1) / sizeof(int32_t));
  post_.prepare(act_, y_, m_ * g_.out_c, args.op.label());
}

void TernaryGemmOp::run(pthreadpool_t pool) {
  float scale = 1.0f;
  int32_t zero_point = 0;
  const size_t count = quantized_.size() - kKernelReadPadding;
  // The packed weights' ISA (all implementations give the same bits); skips default_isa()'s
  // environment lookup on every call.
  kernels::quantize_f32_s8_dynamic_isa(packed_->isa(), x_, count, quantized_.data(), &scale, &zero_point);
  const int8_t* a = quantized_.data();
  if (!patches_.empty()) {
    // Row = output pixel (b, oy, ox); column = (ky, kx, c), matching the (OC, KH, KW, IC) weights.
    const kernels::Im2colGeometry geometry{g_.batch,    g_.in_h,     g_.in_w,       g_.in_c,       g_.out_h,
                                           g_.out_w,    g_.kernel_h, g_.kernel_w,   g_.stride_h,   g_.stride_w,
                                           g_.dilation_h, g_.dilation_w, g_.pad_top, g_.pad_left};
    kernels::im2col_s8(geometry, quantized_.data(), static_cast<int8_t>(zero_point), patches_.data(), k_, pool);
    a = patches_.data();
  }
  kernels::t2i8_gemm_f32(*packed_, m_, a, k_, scale, zero_point, channel_scales_, bias_data_, act_.min, act_.max, y_,
                         g_.out_c, pool, workspace_.data());
  post_.run(pool);
}

std::string TernaryGemmOp::kernel() const { return packed_ ? packed_->kernel_name() : "ternary"; }

}  // namespace ternrt
