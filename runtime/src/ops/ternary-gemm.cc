#include "ops/ternary-gemm.h"

#include <cstring>

namespace ternrt {

// Kernels may read up to this many bytes past the end of an activation row.
constexpr size_t kKernelReadPadding = 64;

void TernaryGemmOp::prepare(const PrepareArgs& args) {
  const TensorDesc& w = args.tensor(weights_);
  const TernaryDesc& t = *w.ternary;
  packed_ = kernels::PackedTernaryWeights::pack(t.codes, t.n, t.k, args.isa);
  if (!packed_) fail(TERNRT_OUT_OF_MEMORY, args.model.source() + ": " + args.op.label() + ": cannot allocate packed weights");
  channel_scales_ = t.channel_scales.data();
  bias_data_ = bias_ >= 0 ? reinterpret_cast<const float*>(args.tensor(bias_).data) : nullptr;
  x_ = args.f32(input_);
  y_ = args.f32(output_);
  k_ = t.k;
  m_ = g_.batch * g_.out_h * g_.out_w;
  quantized_.resize(args.tensor(input_).elements + kKernelReadPadding);
  if (!g_.is_pointwise()) patches_.resize(m_ * k_ + kKernelReadPadding);
  post_.prepare(act_, y_, m_ * g_.out_c, args.op.label());
}

void TernaryGemmOp::gather_patches(int8_t zero_point) {
  // Row r = output pixel (b, oy, ox); column = (ky, kx, c), matching the (OC, KH, KW, IC) weights.
  const size_t ic = g_.in_c;
  int8_t* row = patches_.data();
  for (size_t b = 0; b < g_.batch; ++b) {
    const int8_t* image = quantized_.data() + b * g_.in_h * g_.in_w * ic;
    for (size_t oy = 0; oy < g_.out_h; ++oy) {
      for (size_t ox = 0; ox < g_.out_w; ++ox) {
        int8_t* dst = row;
        for (size_t ky = 0; ky < g_.kernel_h; ++ky) {
          const ptrdiff_t iy = static_cast<ptrdiff_t>(oy * g_.stride_h + ky * g_.dilation_h) - static_cast<ptrdiff_t>(g_.pad_top);
          for (size_t kx = 0; kx < g_.kernel_w; ++kx) {
            const ptrdiff_t ix = static_cast<ptrdiff_t>(ox * g_.stride_w + kx * g_.dilation_w) - static_cast<ptrdiff_t>(g_.pad_left);
            if (iy < 0 || iy >= static_cast<ptrdiff_t>(g_.in_h) || ix < 0 || ix >= static_cast<ptrdiff_t>(g_.in_w)) {
              // Float zero padding is the quantized zero point.
              std::memset(dst, zero_point, ic);
            } else {
              std::memcpy(dst, image + (static_cast<size_t>(iy) * g_.in_w + static_cast<size_t>(ix)) * ic, ic);
            }
            dst += ic;
          }
        }
        row += k_;
      }
    }
  }
}

void TernaryGemmOp::run(pthreadpool_t pool) {
  float scale = 1.0f;
  int32_t zero_point = 0;
  const size_t count = quantized_.size() - kKernelReadPadding;
  kernels::quantize_f32_s8_dynamic(x_, count, quantized_.data(), &scale, &zero_point);
  const int8_t* a = quantized_.data();
  if (!patches_.empty()) {
    gather_patches(static_cast<int8_t>(zero_point));
    a = patches_.data();
  }
  kernels::t2i8_gemm_f32(*packed_, m_, a, k_, scale, zero_point, channel_scales_, bias_data_, act_.min, act_.max, y_,
                         g_.out_c, pool);
  post_.run(pool);
}

std::string TernaryGemmOp::kernel() const { return packed_ ? packed_->kernel_name() : "ternary"; }

}  // namespace ternrt
