// AVX-512 (F+BW+VL) ukernel of the int8 depthwise convolution for avx512bw (vpmaddwd + vpaddd); the
// body is dwconv-s8-avx512-impl.h.
#include "dwconv/dwconv-s8-avx512-impl.h"

namespace ternrt::kernels {

namespace {

struct MaddAdd {
  static inline __m512i step(__m512i a, __m512i x, __m512i w) { return _mm512_add_epi32(a, _mm512_madd_epi16(x, w)); }
};

}  // namespace

void dwconv_s8_ukernel__avx512(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                               size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                               bool accumulate) {
  dwconv_avx512::ukernel<MaddAdd>(channels, pixels, pairs, taps, input_step, weights, acc, acc_stride, accumulate);
}

}  // namespace ternrt::kernels
