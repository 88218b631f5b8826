// Scalar reference of the int8 epilogue (t2i8-epilogue-s8.h). Built with -ffp-contract=off.
#include <cmath>

#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

void t2i8_epilogue_s8__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride) {
  const float lo = float(out_min), hi = float(out_max);
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < nt; ++j) {
      float y = std::fma(float(acc[r * acc_stride + j] - correction[j]), multiplier[j], offset[j]);
      y = y > lo ? y : lo;   // NaN -> lo, like maxps(y, lo)
      y = y < hi ? y : hi;
      // y is in [-128, 127]: lrintf (current mode: nearest-even) cannot overflow.
      c[r * c_stride + j] = int8_t(std::lrintf(y));
    }
  }
}

void t2i8_epilogue_residual_s8__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                       const int32_t* correction, const float* multiplier, const float* offset,
                                       const int8_t* residual, size_t residual_stride, float residual_multiplier,
                                       int32_t residual_zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                       size_t c_stride) {
  const float lo = float(out_min), hi = float(out_max);
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < nt; ++j) {
      float y = std::fma(float(acc[r * acc_stride + j] - correction[j]), multiplier[j], offset[j]);
      y = std::fma(float(int32_t(residual[r * residual_stride + j]) - residual_zero_point), residual_multiplier, y);
      y = y > lo ? y : lo;   // NaN -> lo
      y = y < hi ? y : hi;
      c[r * c_stride + j] = int8_t(std::lrintf(y));
    }
  }
}

void t2i8_epilogue_hswish_s8__scalar(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                     const int32_t* correction, const float* multiplier, const float* offset,
                                     float slope, float zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                     size_t c_stride) {
  const float lo = float(out_min), hi = float(out_max);
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < nt; ++j) {
      const float u = std::fma(float(acc[r * acc_stride + j] - correction[j]), multiplier[j], offset[j]);
      float g = std::fma(u, slope, 0.5f);
      g = g > 0.0f ? g : 0.0f;   // NaN -> 0, like maxps(g, 0)
      g = g < 1.0f ? g : 1.0f;
      float y = std::fma(u, g, zero_point);
      y = y > lo ? y : lo;   // NaN -> lo
      y = y < hi ? y : hi;
      c[r * c_stride + j] = int8_t(std::lrintf(y));
    }
  }
}

void scale_channels_s8__scalar(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                               const float* multiplier, const float* offset, int8_t out_min, int8_t out_max,
                               int8_t* c, size_t c_stride) {
  const float lo = float(out_min), hi = float(out_max);
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < nt; ++j) {
      float y = std::fma(float(int32_t(x[r * x_stride + j]) - x_zero_point), multiplier[j], offset[j]);
      y = y > lo ? y : lo;   // NaN -> lo
      y = y < hi ? y : hi;
      c[r * c_stride + j] = int8_t(std::lrintf(y));
    }
  }
}

}  // namespace ternrt::kernels
