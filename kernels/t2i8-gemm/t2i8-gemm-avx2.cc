// AVX2 t2i8 GEMM / GEMV: t2i8_gemm_{1,4}x16c4__avx2 (compiled with -mavx2 only).
// Weights: code_planes_c4 with vec_cols = 8 (one ymm = 8 channels x 4 k of u = t + 1 in {0,1,2}),
// read as 2-bit planes and unpacked in registers with shift + and (once per MR rows).
// vpmaddubsw(u8 u, s8 a): each int16 lane is u0*a0 + u1*a1 in [-512, 508], so 64 additions stay
// inside int16 ([-32768, 32512]); a block of 16 chunks = 64 steps per lane is widened with
// vpmaddwd(ones), which also sums the two lanes of a channel. Finally sum_k a is subtracted.
// Reads a rows up to round_up(k, 16) bytes.
#include <immintrin.h>

#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kChunksPerBlock = 16;   // 16 chunks x 4 maddubs steps = 64 int16 additions

inline __m256i broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return _mm256_set1_epi32(value);
}

template <size_t MR>
inline void gemm_avx2(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride, const uint8_t* w,
                      const int32_t* a_sums, int32_t* c, size_t c_stride) {
  const int8_t* a_rows[MR];
  for (size_t r = 0; r < MR; ++r) a_rows[r] = a + (r < mr ? r : mr - 1) * a_stride;
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc32[MR][2];
  for (size_t r = 0; r < MR; ++r) acc32[r][0] = acc32[r][1] = _mm256_setzero_si256();

  const size_t chunks = (k + 15) / 16;
  size_t kk = 0;
  for (size_t chunk = 0; chunk < chunks;) {
    const size_t block_end = chunk + kChunksPerBlock < chunks ? chunk + kChunksPerBlock : chunks;
    __m256i acc16[MR][2];
    for (size_t r = 0; r < MR; ++r) acc16[r][0] = acc16[r][1] = _mm256_setzero_si256();
    for (; chunk < block_end; ++chunk, kk += 16, w += 64) {
      const __m256i planes0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i planes1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        const __m256i u0 = _mm256_and_si256(_mm256_srli_epi16(planes0, 2 * g), mask);
        const __m256i u1 = _mm256_and_si256(_mm256_srli_epi16(planes1, 2 * g), mask);
#pragma GCC unroll 8
        for (size_t r = 0; r < MR; ++r) {
          const __m256i x = broadcast_4bytes(a_rows[r] + kk + 4 * g);
          acc16[r][0] = _mm256_add_epi16(acc16[r][0], _mm256_maddubs_epi16(u0, x));
          acc16[r][1] = _mm256_add_epi16(acc16[r][1], _mm256_maddubs_epi16(u1, x));
        }
      }
    }
    for (size_t r = 0; r < MR; ++r) {
      acc32[r][0] = _mm256_add_epi32(acc32[r][0], _mm256_madd_epi16(acc16[r][0], ones));
      acc32[r][1] = _mm256_add_epi32(acc32[r][1], _mm256_madd_epi16(acc16[r][1], ones));
    }
  }

  for (size_t r = 0; r < mr; ++r) {
    const __m256i sum = _mm256_set1_epi32(a_sums[r]);
    const __m256i lo = _mm256_sub_epi32(acc32[r][0], sum);
    const __m256i hi = _mm256_sub_epi32(acc32[r][1], sum);
    int32_t* c_row = c + r * c_stride;
    if (nc == 16) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c_row), lo);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c_row + 8), hi);
    } else {
      alignas(32) int32_t tmp[16];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), lo);
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), hi);
      std::memcpy(c_row, tmp, nc * sizeof(int32_t));
    }
  }
}

}  // namespace

void t2i8_gemm_1x16c4__avx2(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride, const uint8_t* w,
                            const int32_t* a_sums, int32_t* c, size_t c_stride) {
  gemm_avx2<1>(mr, nc, k, a, a_stride, w, a_sums, c, c_stride);
}

void t2i8_gemm_4x16c4__avx2(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride, const uint8_t* w,
                            const int32_t* a_sums, int32_t* c, size_t c_stride) {
  gemm_avx2<4>(mr, nc, k, a, a_stride, w, a_sums, c, c_stride);
}

}  // namespace ternrt::kernels
