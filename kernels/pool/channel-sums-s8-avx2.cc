// Per-channel int8 sums (channel-sums-s8.h) built with -mavx2: 16 channels per vpmovsxbw + vpaddw
// (int16 lanes for runs of kChannelSumsS8Run pixels, then widened into the int32 sums); the last
// channels (fewer than 16) as the reference does them.
#include <immintrin.h>

#include <algorithm>

#include "pool/channel-sums-s8-internal.h"

namespace ternrt::kernels {

void channel_sums_s8__avx2(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                           int32_t* sums) {
  const size_t pixels = rows * cols, vector_channels = channels / 16 * 16;
  for (size_t c = 0; c < vector_channels; c += 16) {
    __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + c));
    __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + c + 8));
    size_t r = 0, p = 0;   // pixel `first` (each run goes on where the last one ended)
    for (size_t first = 0; first < pixels; first += kChannelSumsS8Run) {
      const size_t last = std::min(pixels, first + kChannelSumsS8Run);
      __m256i run = _mm256_setzero_si256();
      for (size_t i = first; i < last; ++i) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + r * row_stride + p * channels + c));
        run = _mm256_add_epi16(run, _mm256_cvtepi8_epi16(v));
        if (++p == cols) p = 0, ++r;
      }
      lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(run)));
      hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(run, 1)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + c), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + c + 8), hi);
  }
  if (vector_channels < channels) channel_sums_s8_from(vector_channels, rows, cols, channels, x, row_stride, sums);
}

}  // namespace ternrt::kernels
