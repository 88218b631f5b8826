// Executes a ternary Conv2D or FullyConnected layer (architecture section 4), or on the static int8
// path a Conv2D with its (float or expanded ternary) weights quantized to int8 per output channel at load
// (symmetric: scale = max |w| / 127, w_q = round(w / scale) in [-127, 127]; the i8i8 kernels, same
// arithmetic with w_q in place of the trits). Dynamic activations:
// quantize the float input to int8 per tensor (vectorized), gather k x k patches
// (kernels::Im2colPlan, padding written once per zero point) when the convolution is not a plain 1x1, run the ternary GEMM with the float
// epilogue, then any activation XNNPACK-style clamping cannot express. Static int8 path: an int8
// input is used as it is (its scale and zero point come from the model) and an int8 output is
// written by the requantizing epilogue (kernels::t2i8_gemm_s8; the interpreter gives int8 outputs
// only to layers whose activation is a clamp). Every buffer (int8 input, patches, GEMM workspace) is
// sized in prepare() (int8 input and workspace in the interpreter's SharedScratch): run() does not
// allocate.
#pragma once

#include <memory>
#include <vector>

#include "ops/common.h"
#include "ternrt/kernels/im2col.h"
#include "ternrt/kernels/t2i8-conv.h"
#include "ops/int8-convert.h"
#include "ops/op.h"

namespace ternrt {

struct ConvGeometry {
  size_t batch = 1, in_h = 1, in_w = 1, in_c = 0;
  size_t out_h = 1, out_w = 1, out_c = 0;
  size_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  size_t pad_top = 0, pad_left = 0;
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0;
  }
};

// Ternary layers with fewer than this many inputs per output (K = kh * kw * in_c) run in float
// with expanded weights (scale * trit) through XNNPACK, as grouped ones do: below it, quantizing the
// input, the activation sums and the epilogue cost more than the int8 products save (MobileNet 1x1
// expansions with K = 16 / 24 took 17 / 7 us against 9 / 5.5 us in XNNPACK f32 on the machine of
// benchmarks/RESULTS.md). Between int8 tensors (static path) there is no quantizing pass and they
// run on the ternary kernels (conv2d.cc, fully-connected.cc): MobileNetV2's K = 16 / 24 expansions
// are as fast there as on the int8-weight kernels with VNNI and 1.5-1.8x faster with AVX-512BW / AVX2.
constexpr size_t kMinTernaryGemmDepth = 32;

// On the static int8 path, a ternary layer with fewer output channels than this and a float output
// runs in float with expanded weights too (its input then stays float): the int8 GEMM fills only
// part of each 16-channel vector, and the int8 input it reads costs its producer a quantization pass.
// The fixture MobileNet's 1x1 projection (K = 36, N = 12, 1024 rows) took 14.5 us on t2i8 against
// 14.1 us in f32, plus ~6 us of quantizing in the depthwise layer before it (benchmarks/RESULTS.md).
constexpr size_t kMinTernaryGemmOutputsToFloat = 16;

// Float-weight convolutions reading a float input with a static range (a model's first layer) run
// with int8 weights from this K on, or with fewer than 4 input channels (kPaddedChannels) and an
// int8 output (conv2d.cc); otherwise they stay in XNNPACK f32. A 3x3 stem on 3 channels (K = 27) through im2col took 18 us as int8
// against 11 us in f32 (im2col of 9-byte rows and per-row sums dominate); read in place on 4-channel
// pixels with the VNNI kernels (no activation sums) it takes about 10 us with an int8 output.
// ResNet-18's 7x7 stem (K = 147) runs its GEMM at ~170 GMAC/s with VNNI, ~4x f32
// (benchmarks/RESULTS.md).
constexpr size_t kMinInt8WeightDepth = 64;

class TernaryGemmOp : public Op {
 public:
  // int8_weights: quantize the (float) weights to int8 per output channel and run the i8i8 kernels;
  // otherwise the weights must be ternary (t2i8 kernels).
  TernaryGemmOp(const ConvGeometry& geometry, Activation activation, int input, int weights, int bias, int output,
                bool int8_weights = false)
      : g_(geometry), act_(activation), input_(input), weights_(weights), bias_(bias), output_(output),
        int8_weights_(int8_weights) {}
  // A float image with fewer than this many channels (a model's first layer, static path) is
  // quantized into pixels of this many channels (the extra ones hold the zero point, so they add
  // nothing whatever their weight; the weights there are 0): a kernel row is then kernel_w whole
  // 4-byte steps, which the in-place convolution reads (3-byte pixels need im2col).
  static constexpr size_t kPaddedChannels = 4;

  void prepare(const PrepareArgs& args) override;
  void run(pthreadpool_t pool) override;
  std::string kernel() const override;
  // Its int8 input and GEMM workspace live in the interpreter's SharedScratch.
  size_t scratch_bytes() const override { return patches_.size(); }
  bool handles_int8() const override { return true; }
  size_t packed_weight_bytes() const override { return packed_ ? packed_->packed_bytes() : 0; }
  // Ternary weights and no activation of its own: its int8 epilogue adds a residual
  // (kernels::t2i8_gemm_residual_s8 / T2I8Conv::run_residual_s8), one rounding instead of two.
  bool can_fuse_residual() const override;
  void fuse_residual(int residual, int output, float clamp_min, float clamp_max) override;

 private:
  kernels::Im2colGeometry im2col_geometry() const;
  size_t kernel_channels() const { return pad_channels_ ? kPaddedChannels : g_.in_c; }
  size_t in_pixels() const;
  // int8_weights_: quantizes and packs the weights (int8_scales_, channel_scales_, packed_); throws
  // Int8Unsupported for non-finite weights (the operator then runs in float).
  void pack_int8_weights(const PrepareArgs& args, const std::string& what);
  ConvGeometry g_;
  Activation act_;
  int input_, weights_, bias_, output_;
  bool int8_weights_;
  bool pad_channels_ = false;      // see kernel_channels()
  bool flip_padded_ = false;       // pad_channels_: the 4-channel image is flipped (conv_ reads it as u8)
  bool hardswish_s8_ = false;      // int8 output with a fused HardSwish (the epilogue's HardSwish form)
  std::unique_ptr<kernels::PackedTernaryWeights> packed_;
  const float* x_ = nullptr;       // float input (dynamic quantization), or
  const int8_t* x_s8_ = nullptr;   // int8 input with the model's static scale / zero point
  bool static_input_ = false;      // float input quantized with the model's range (static path)
  float x_scale_ = 1.0f;
  int32_t x_zero_point_ = 0;
  float* y_ = nullptr;             // float output
  int8_t* y_s8_ = nullptr;         // int8 output written by the requantizing epilogue
  float y_scale_ = 1.0f;
  int32_t y_zero_point_ = 0;
  int8_t y_min_ = -128, y_max_ = 127;
  int residual_ = -1;              // fused residual ADD: the tensor added (int8, the output's shape)
  kernels::ResidualS8 residual_s8_{};
  const float* channel_scales_ = nullptr;   // the ternary tensor's, or int8_scales_
  std::vector<float> int8_scales_;           // float weights run as int8: per-channel scales
  const float* bias_data_ = nullptr;
  // In the shared scratch: the whole input as int8 (float input only; + tail padding kernels may
  // read) at 0, the GEMM workspace at workspace_offset_.
  SharedScratch* scratch_ = nullptr;
  size_t quantized_count_ = 0, workspace_offset_ = 0;
  size_t padded_offset_ = 0;       // pad_channels_: the 4-channel image, after the quantized one
  std::vector<int8_t> patches_;    // im2col rows (M x K), empty for pointwise / in-place layers
  kernels::Im2colPlan im2col_;
  std::unique_ptr<kernels::T2I8Conv> conv_;   // k x k layers read in place (no patches), when possible
  int32_t patches_pad_ = -1000;    // pad value the patches' padding bytes hold (-1000: not written yet)
  size_t m_ = 0, k_ = 0;
  PostActivation post_;
};

}  // namespace ternrt
