// Requantizing int8 epilogues of t2i8_gemm_s8 (private to kernels/). One tile of accumulators:
// per row r < mt and channel j < nt,
//   y = fma(float(acc[r][j] - correction[j]), multiplier[j], offset[j]);   (one rounding)
//   y = y > out_min ? y : out_min;  y = y < out_max ? y : out_max;   (a NaN y becomes out_min)
//   c[r][j] = int8(round to nearest, ties to even (y))
// Every implementation performs exactly these IEEE operations (a fused multiply-add, and nothing
// else fused: files built with -ffp-contract=off), so all give the same bits. Writes exactly mt x nt
// bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ternrt::kernels {

using EpilogueS8Fn = void (*)(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride);

void t2i8_epilogue_s8__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride);
// The same with a fused HardSwish (a layer's HARD_SWISH activation before the int8 output). With the
// multiplier and offset of the plain epilogue less the output zero point (u below is the pre-activation
// value v over the output scale s_y), slope = s_y / 6 and zero_point = z_y:
//   u = fma(float(acc[r][j] - correction[j]), multiplier[j], offset[j]);
//   g = fma(u, slope, 0.5);  g = g > 0 ? g : 0;  g = g < 1 ? g : 1;      (clamp(v / 6 + 1/2, 0, 1))
//   y = fma(u, g, zero_point);  y = y > out_min ? y : out_min;  y = y < out_max ? y : out_max;
//   c[r][j] = int8(round to nearest, ties to even (y))
// i.e. round(hardswish(v) / s_y) + z_y. A NaN u gives out_min. Same bits on every implementation.
using EpilogueHswishS8Fn = void (*)(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                    const int32_t* correction, const float* multiplier, const float* offset,
                                    float slope, float zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                    size_t c_stride);

void t2i8_epilogue_hswish_s8__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                     const int32_t* correction, const float* multiplier, const float* offset,
                                     float slope, float zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                     size_t c_stride);
#if defined(__x86_64__) || defined(_M_X64)
void t2i8_epilogue_hswish_s8__avx2(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                   const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                   float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride);
void t2i8_epilogue_hswish_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                     const int32_t* correction, const float* multiplier, const float* offset,
                                     float slope, float zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                     size_t c_stride);
#endif
#if defined(__aarch64__)
void t2i8_epilogue_hswish_s8__neon(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                   const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                   float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride);
#endif

// The residual form (t2i8_gemm_residual_s8): the plain epilogue with one more fma before the clamps,
//   y = fma(float(acc[r][j] - correction[j]), multiplier[j], offset[j]);
//   y = fma(float(residual[r][j] - residual_zero_point), residual_multiplier, y);
// then the clamps and rounding above. residual rows are residual_stride bytes apart. The reference for
// the requantizing micro-kernels' residual form (RequantS8Terms::residual), and what the layers whose
// kernel has no requantizing form run on every ISA.
void t2i8_epilogue_residual_s8__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                       const int32_t* correction, const float* multiplier, const float* offset,
                                       const int8_t* residual, size_t residual_stride, float residual_multiplier,
                                       int32_t residual_zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                       size_t c_stride);

// The plain epilogue on int8 values instead of int32 accumulators (scale_channels_s8, kernels/
// scale-channels-s8.h): rows of nt values x[r][j] - x_zero_point, the same operations and bits.
using ScaleChannelsS8Fn = void (*)(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                                   const float* multiplier, const float* offset, int8_t out_min, int8_t out_max,
                                   int8_t* c, size_t c_stride);
void scale_channels_s8__scalar(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                               const float* multiplier, const float* offset, int8_t out_min, int8_t out_max,
                               int8_t* c, size_t c_stride);
#if defined(__x86_64__) || defined(_M_X64)
void scale_channels_s8__avx2(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                             const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                             size_t c_stride);
void scale_channels_s8__avx512(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                               const float* multiplier, const float* offset, int8_t out_min, int8_t out_max,
                               int8_t* c, size_t c_stride);
#endif
#if defined(__aarch64__)
void scale_channels_s8__neon(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                             const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                             size_t c_stride);
#endif

#if defined(__x86_64__) || defined(_M_X64)
void t2i8_epilogue_s8__avx2(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                            const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride);
// AVX-512 F+BW+VL: serves avx512bw and avx512vnni.
void t2i8_epilogue_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride);
#endif
#if defined(__aarch64__)
// Serves neon and neondot.
void t2i8_epilogue_s8__neon(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                            const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride);
#endif

}  // namespace ternrt::kernels
