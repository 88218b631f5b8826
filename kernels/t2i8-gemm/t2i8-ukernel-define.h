// Defines a t2i8 micro-kernel (the T2I8GemmUkernelFn signature, t2i8-gemm-ukernels.h) as calls of an
// always-inline kernel template: one inlined copy for slices == 1 (every GEMM), in which the slice
// loop folds away, and one for convolutions read in place. With a single copy, GCC 12 ran the AVX2
// 4x16 GEMM at K = 32 12-15% slower than before the slice loop existed. Also the row pointers every
// micro-kernel starts from. Private to kernels/.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ternrt::kernels {
namespace {

// a_rows[r] = row min(r, mr - 1) of a: the rows past a partial tile repeat its last one. A running
// pointer: GCC 12 turned the indexed form, a + min(r, mr - 1) * a_stride, into AVX-512 qword
// arithmetic and extractions to the stack on every call (a fifth of a 16x16 tile's time at K = 12).
template <size_t MR>
__attribute__((always_inline)) inline void tile_row_pointers(size_t mr, const int8_t* a, size_t a_stride,
                                                             const int8_t* (&a_rows)[MR]) {
  const int8_t* p = a;
  for (size_t r = 0; r < MR; ++r) {
    a_rows[r] = p;
    if (r + 1 < mr) p += a_stride;
  }
}

}  // namespace
}  // namespace ternrt::kernels

// kernel: a template-id such as gemm_avx512vnni<8, 2> (commas allowed: it is the variadic part).
#define TERNRT_DEFINE_SLICED_UKERNEL(name, ...)                                                         \
  void name(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,           \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) { \
    if (slices == 1) {                                                                                 \
      __VA_ARGS__(mr, nc, k, 1, a, a_stride, 0, w, a_sums, c, c_stride);                               \
    } else {                                                                                           \
      __VA_ARGS__(mr, nc, k, slices, a, a_stride, a_slice_stride, w, a_sums, c, c_stride);             \
    }                                                                                                  \
  }

// The same for a requantizing form (T2I8GemmMinmaxUkernelFn, minmax-fp32-gemm.inc), which takes any
// number of rows: the kernel (MR rows) runs over row tiles in a loop here, so one call covers a whole
// block of rows (the per-call work of a 16-row tile at K = 12 was about a fifth of its time).
#define TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(name, MR, ...)                                                  \
  void name(size_t m, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,                 \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, const RequantS8Terms& terms,     \
            int8_t* c, size_t c_stride) {                                                                   \
    RequantS8Terms tile_terms = terms;                                                                      \
    for (size_t m0 = 0; m0 < m; m0 += (MR)) {                                                               \
      const size_t mr = m - m0 < (MR) ? m - m0 : (MR);                                                      \
      const int32_t* sums = a_sums != nullptr ? a_sums + m0 : nullptr;                                      \
      if (terms.residual != nullptr) tile_terms.residual = terms.residual + m0 * terms.residual_stride;      \
      if (slices == 1) {                                                                                    \
        __VA_ARGS__(mr, nc, k, 1, a + m0 * a_stride, a_stride, 0, w, sums, tile_terms, c + m0 * c_stride,    \
                    c_stride);                                                                              \
      } else {                                                                                              \
        __VA_ARGS__(mr, nc, k, slices, a + m0 * a_stride, a_stride, a_slice_stride, w, sums, tile_terms,    \
                    c + m0 * c_stride, c_stride);                                                           \
      }                                                                                                     \
    }                                                                                                       \
  }
