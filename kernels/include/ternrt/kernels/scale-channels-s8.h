// Per-channel requantization of an int8 NHWC tensor (the static int8 path's squeeze-excite product
// x * gate[c], MUL with a per-channel operand): for pixel p and channel c,
//   y[p][c] = int8 epilogue of t2i8_gemm_s8 applied to x[p][c] - x_zero_point:
//             fma(float(x - x_zero_point), multiplier[c], offset[c]), clamped to [out_min, out_max]
//             (a NaN becomes out_min), rounded half to even
// (kernels/t2i8-gemm/t2i8-epilogue-s8.h, which also holds its per-ISA implementations), so every ISA
// and thread count gives the same bytes.
// For y = x * gate with scales s_x, s_y: multiplier[c] = s_x * gate[c] / s_y, offset[c] = y_zero_point.
#pragma once

#include <cstddef>
#include <cstdint>

#include <pthreadpool.h>

#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::kernels {

// x and y: `pixels` rows of `channels` bytes, back to back (y may not overlap x); multiplier and
// offset: `channels` values. isa: the epilogue's ISA (scalar when not supported here); pool: rows in
// parallel for large tensors (null or one thread: serial).
void scale_channels_s8(Isa isa, size_t pixels, size_t channels, const int8_t* x, int32_t x_zero_point,
                       const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* y,
                       pthreadpool_t pool);

// "scale_channels_s8__<isa>": the name of the implementation scale_channels_s8 runs for isa.
const char* scale_channels_s8_name(Isa isa);

}  // namespace ternrt::kernels
