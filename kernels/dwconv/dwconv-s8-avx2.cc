// AVX2 ukernel of the int8 depthwise convolution (dwconv-s8-internal.h), blocks of 16 and 8 channels.
// Per tap pair: the two taps' bytes are interleaved (vpunpck{l,h}bw), sign-extended to int16 pairs
// (vpmovsxbw) and multiplied with the (tap 2p, tap 2p+1) weight pairs by vpmaddwd: int32 sums of two
// exact int16 products (|x| <= 128, |w| <= 127), so the result is exact like the scalar one.
#include <immintrin.h>

#include "dwconv/dwconv-s8-internal.h"

namespace ternrt::kernels {

void dwconv_s8_ukernel__avx2(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                             size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                             bool accumulate) {
  for (size_t i = 0; i < pixels; ++i) {
    int32_t* out = acc + i * acc_stride;
    const size_t pixel = i * input_step;
    size_t b0 = 0;
    for (; b0 + 16 <= channels; b0 += 16) {
      const int16_t* w = weights + 2 * b0 * pairs;
      __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
      if (accumulate) {
        a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out + b0));
        a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out + b0 + 8));
      }
      const size_t offset = pixel + b0;
      for (size_t p = 0; p < pairs; ++p, w += 32) {
        const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[2 * p] + offset));
        const __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[2 * p + 1] + offset));
        const __m256i lo = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1));
        const __m256i hi = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w))));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16))));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + b0), a0);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + b0 + 8), a1);
    }
    if (b0 < channels) {   // one block of 8
      const int16_t* w = weights + 2 * b0 * pairs;
      __m256i a0 = accumulate ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out + b0)) : _mm256_setzero_si256();
      const size_t offset = pixel + b0;
      for (size_t p = 0; p < pairs; ++p, w += 16) {
        const __m128i x0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(taps[2 * p] + offset));
        const __m128i x1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(taps[2 * p + 1] + offset));
        const __m256i x = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w))));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + b0), a0);
    }
  }
}

}  // namespace ternrt::kernels
