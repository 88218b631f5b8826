// Max pooling of int8 NHWC images (the static int8 path's MAX_POOL_2D): each output is the maximum
// of the window's pixels inside the image (padding takes no part), clamped to [out_min, out_max].
// Exact, so every ISA gives the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include <pthreadpool.h>

#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::kernels {

// Every window must reach into the image: pads smaller than the window on every side, and out_h /
// out_w at most what those pads give ((in + pad_before + pad_after - kernel) / stride + 1); the
// runtime's MAX_POOL_2D validation guarantees it.
struct MaxPoolGeometry {
  size_t batch, in_h, in_w, channels;   // pixels of `channels` bytes, back to back
  size_t out_h, out_w;
  size_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;   // pad_* < kernel_*
};

// The implementation for isa (scalar when isa is not supported here); pool: output rows in
// parallel (null or one thread: serial).
void max_pool_s8(Isa isa, const MaxPoolGeometry& g, const int8_t* x, int8_t out_min, int8_t out_max, int8_t* y,
                 pthreadpool_t pool);

}  // namespace ternrt::kernels
