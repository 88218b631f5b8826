// The scalar reference micro-kernels: the specification every SIMD kernel must match bit for bit.
// Layout trits_s8_rows: one row of k int8 trits per output channel; int32 accumulation. The i8i8
// (int8-weight) reference kernels run the same loop on layout s8_rows (one row of k int8 weights).
#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {
void gemm_scalar(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                 size_t a_slice_stride, const uint8_t* w, int32_t* c, size_t c_stride) {
  const int8_t* trits = reinterpret_cast<const int8_t*>(w);
  for (size_t r = 0; r < mr; ++r) {
    for (size_t j = 0; j < nc; ++j) {
      int32_t acc = 0;
      for (size_t q = 0; q < slices; ++q) {
        const int8_t* a_slice = a + r * a_stride + q * a_slice_stride;
        const int8_t* t_slice = trits + (j * slices + q) * k;
        for (size_t kk = 0; kk < k; ++kk) acc += int32_t(t_slice[kk]) * int32_t(a_slice[kk]);
      }
      c[r * c_stride + j] = acc;
    }
  }
}
}  // namespace

void t2i8_gemm_1x4__scalar(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                           size_t c_stride) {
  gemm_scalar(mr, nc, k, slices, a, a_stride, a_slice_stride, w, c, c_stride);
}

void t2i8_gemm_4x4__scalar(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                           size_t c_stride) {
  gemm_scalar(mr, nc, k, slices, a, a_stride, a_slice_stride, w, c, c_stride);
}

void i8i8_gemm_1x4__scalar(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                           size_t c_stride) {
  gemm_scalar(mr, nc, k, slices, a, a_stride, a_slice_stride, w, c, c_stride);
}

void i8i8_gemm_4x4__scalar(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                           size_t c_stride) {
  gemm_scalar(mr, nc, k, slices, a, a_stride, a_slice_stride, w, c, c_stride);
}

}  // namespace ternrt::kernels
