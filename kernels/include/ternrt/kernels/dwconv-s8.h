// int8 depthwise convolution (static int8 path): NHWC, depth multiplier 1, int8 weights quantized
// per channel at pack time, int8 output requantized with the epilogue of t2i8_gemm_s8.
//
// Arithmetic (identical bits on every ISA and thread count; dwconv-s8-scalar.cc is the reference):
//   acc[p][c] = sum over taps (ky, kx) of wq[c][ky][kx] * (x[tap] - in_zero_point)        (int32, exact;
//               taps outside the image contribute 0, i.e. padding reads in_zero_point)
//   multiplier[c] = (s_w[c] * in_scale) / out_scale,  offset[c] = (bias ? bias[c] : 0) / out_scale + out_zero_point
//   y = fma(float(acc), multiplier[c], offset[c]) (one rounding);  clamp to [out_min, out_max];  round half to even
//   (with DwconvS8Quant::hardswish, the HardSwish form of that epilogue: t2i8_gemm_hardswish_s8 in t2i8-gemm.h).
// Weights: s_w[c] = max_i |w[c][i]| / 127 (1 when the channel is all zero),
//          wq = clamp(round_half_even(w / s_w[c]), -127, 127).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <pthreadpool.h>

#include "ternrt/kernels/t2i8-gemm.h"   // Isa

namespace ternrt::kernels {

struct DwconvColumnsArgs;   // kernels/dwconv/dwconv-s8-internal.h

struct DwconvGeometry {   // NHWC, depth multiplier 1 (out channels == in channels == groups)
  size_t batch, in_h, in_w, channels, out_h, out_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w,
      pad_top, pad_left;   // padding taps read the input zero point (= float 0)
};

struct DwconvS8Quant {    // static per-tensor int8 ranges of input and output (asymmetric), fused clamp in int8
  float in_scale;
  int32_t in_zero_point;   // in [-128, 127]
  float out_scale;
  int32_t out_zero_point;
  int8_t out_min, out_max;
  // A fused HardSwish before the requantization: the epilogue of t2i8_gemm_hardswish_s8 (t2i8-gemm.h),
  // offset[c] = bias[c] / out_scale without the zero point.
  bool hardswish = false;
};

class PackedDwconvS8 {
 public:
  // weights: float, ternrt's conv layout (C, KH, KW, 1), i.e. weights[(c * KH + ky) * KW + kx]; bias float[C]
  // or null. Returns null on allocation failure or a geometry with a zero extent (no exception escapes). An
  // unsupported isa falls back to scalar.
  static std::unique_ptr<PackedDwconvS8> pack(const DwconvGeometry& g, const float* weights, const float* bias,
                                              const DwconvS8Quant& q, Isa isa);
  ~PackedDwconvS8();

  // input: NHWC int8 (batch, in_h, in_w, C); output: NHWC int8 (batch, out_h, out_w, C). Nothing is read
  // outside the input tensor or written outside the output. No allocation (scratch, about 90 KiB, lives on
  // the stack of each task); output rows are split over the pool's threads, identical for any thread count.
  // Thread-safe: concurrent run() calls on one packed object are fine (each with its own workspace).
  // workspace: null, or workspace_bytes() bytes that run() may overwrite; with it, a small padded
  // input is copied once into a frame of in_zero_point, which spares the edge pixels their own path.
  // The output is the same either way.
  void run(const int8_t* input, int8_t* output, pthreadpool_t pool, int8_t* workspace = nullptr) const;
  size_t workspace_bytes() const { return workspace_bytes_; }   // 0: run() does not use a workspace

  const char* kernel_name() const { return name_; }   // e.g. "dwconv_s8_3x3c32__avx512" (kernels/NAMING.md)
  size_t packed_bytes() const;
  Isa isa() const { return isa_; }
  const DwconvGeometry& geometry() const { return g_; }

  // Raw per-tap products of one channel block and pixel run (see kernels/dwconv/dwconv-s8-internal.h).
  using Ukernel = void (*)(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps, size_t input_step,
                           const int16_t* weights, int32_t* acc, size_t acc_stride, bool accumulate);
  using Epilogue = void (*)(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                            const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride);
  using EpilogueHswish = void (*)(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                  const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                  float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride);
  using Columns = void (*)(const DwconvColumnsArgs& args);

 private:
  struct Row;
  struct Tail;
  PackedDwconvS8() = default;
  void run_row(const DwconvGeometry& g, const int8_t* input, ptrdiff_t input_bytes, int8_t* output,
               size_t task) const;
  void frame(const int8_t* input, int8_t* framed) const;
  void pair_tile(const Row& row, size_t c0, size_t n, size_t ox0, size_t mt, int32_t* acc, size_t acc_stride,
                 Tail& tail) const;
  void edge_pixels(const Row& row, size_t c0, size_t n, size_t begin, size_t end, size_t ox0, int32_t* acc,
                   size_t acc_stride, Tail& tail) const;
  void pixel_by_pixel(const Row& row, size_t c0, size_t n, size_t begin, size_t end, size_t ox0, int32_t* acc,
                      size_t acc_stride, Tail& tail) const;
  void column_row(const DwconvGeometry& g, const int8_t* input, size_t b, size_t oy, int8_t* out_row) const;
  // The epilogue (or its HardSwish form) on mt pixels of nt accumulator positions from position c0.
  void requantize(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, size_t c0, int8_t* out,
                  size_t out_stride) const;

  DwconvGeometry g_{};
  DwconvS8Quant q_{};
  Isa isa_ = Isa::scalar;
  Ukernel ukernel_ = nullptr;
  Epilogue epilogue_ = nullptr;
  EpilogueHswish epilogue_hswish_ = nullptr;   // q_.hardswish: used instead of epilogue_
  char name_[64] = {};
  size_t padded_channels_ = 0;          // channels rounded up to 8 (the smallest channel block)
  std::vector<size_t> chunk_taps_;      // taps per chunk (kernels with many taps run in chunks)
  std::vector<size_t> chunk_weights_;   // offset of each chunk in weights_
  std::vector<int16_t> weights_;        // per chunk: channel blocks x tap pairs x lanes x 2 (see pack)
  std::vector<int32_t> correction_;     // in_zero_point * sum of wq[c]
  std::vector<float> multiplier_, offset_;
  std::vector<int8_t> zero_row_;        // in_zero_point bytes for padding taps, as long as a row's run reads
  DwconvGeometry framed_{};             // g_ on the framed input (no padding), when workspace_bytes_ > 0
  size_t workspace_bytes_ = 0;
  // Column path (avx512vnni, see kernels/dwconv/dwconv-s8-internal.h): every channel, in blocks of 64
  // (column_channels_ = C rounded up); the per-channel arrays above are then in position order.
  size_t column_channels_ = 0;
  size_t column_groups_ = 0;
  std::vector<int8_t> column_weights_;
  Columns columns_ = nullptr;   // set: the column path runs the whole layer
};

}  // namespace ternrt::kernels
