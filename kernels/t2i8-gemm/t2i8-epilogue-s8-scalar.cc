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

}  // namespace ternrt::kernels
