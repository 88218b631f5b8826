// Per-channel int8 sums (channel-sums-s8.h) built with AVX-512 F+BW+VL: 64 channels per step (masked
// at the last ones), vpmovsxbw + vpaddw into int16 lanes for runs of kChannelSumsS8Run pixels, then
// widened into the int32 sums.
#include "avx512-intrinsics.h"

#include <algorithm>

#include "pool/channel-sums-s8-internal.h"

namespace ternrt::kernels {

void channel_sums_s8__avx512(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                             int32_t* sums) {
  const size_t pixels = rows * cols;
  for (size_t c = 0; c < channels; c += 64) {
    const size_t n = std::min<size_t>(64, channels - c);
    const __mmask64 bytes = n == 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1;
    __mmask16 lanes[4];
    __m512i total[4];
    for (size_t q = 0; q < 4; ++q) {
      lanes[q] = n >= 16 * (q + 1) ? __mmask16(0xFFFF) : n > 16 * q ? __mmask16((1u << (n - 16 * q)) - 1) : 0;
      total[q] = _mm512_maskz_loadu_epi32(lanes[q], sums + c + 16 * q);
    }
    size_t r = 0, p = 0;   // pixel `first` (each run goes on where the last one ended)
    for (size_t first = 0; first < pixels; first += kChannelSumsS8Run) {
      const size_t last = std::min(pixels, first + kChannelSumsS8Run);
      __m512i run_lo = _mm512_setzero_si512(), run_hi = _mm512_setzero_si512();   // channels 0-31, 32-63
      for (size_t i = first; i < last; ++i) {
        const __m512i v = _mm512_maskz_loadu_epi8(bytes, x + r * row_stride + p * channels + c);
        run_lo = _mm512_add_epi16(run_lo, _mm512_cvtepi8_epi16(_mm512_castsi512_si256(v)));
        run_hi = _mm512_add_epi16(run_hi, _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(v, 1)));
        if (++p == cols) p = 0, ++r;
      }
      total[0] = _mm512_add_epi32(total[0], _mm512_cvtepi16_epi32(_mm512_castsi512_si256(run_lo)));
      total[1] = _mm512_add_epi32(total[1], _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(run_lo, 1)));
      total[2] = _mm512_add_epi32(total[2], _mm512_cvtepi16_epi32(_mm512_castsi512_si256(run_hi)));
      total[3] = _mm512_add_epi32(total[3], _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(run_hi, 1)));
    }
    for (size_t q = 0; q < 4; ++q) _mm512_mask_storeu_epi32(sums + c + 16 * q, lanes[q], total[q]);
  }
}

}  // namespace ternrt::kernels
