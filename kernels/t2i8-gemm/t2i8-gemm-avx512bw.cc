// AVX-512BW t2i8 GEMM / GEMV: t2i8_gemm_{1,6}x32c4__avx512bw (compiled with -mavx512f -mavx512bw
// -mavx512vl only). Weights: code_planes_c4 with vec_cols = 16 (one zmm = 16 channels x 4 k).
// Same arithmetic as the AVX2 kernel: vpmaddubsw(u8 u, s8 a) lanes are in [-512, 508], so 64 int16
// additions (16 chunks) cannot overflow before vpmaddwd(ones) widens them; then sum_k a is
// subtracted. Reads a rows up to round_up(k, 16) bytes.
#include <immintrin.h>

#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kChunksPerBlock = 16;

inline __m512i broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return _mm512_set1_epi32(value);
}

template <size_t MR>
inline void gemm_avx512bw(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride, const uint8_t* w,
                          const int32_t* a_sums, int32_t* c, size_t c_stride) {
  const int8_t* a_rows[MR];
  for (size_t r = 0; r < MR; ++r) a_rows[r] = a + (r < mr ? r : mr - 1) * a_stride;
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i acc32[MR][2];
  for (size_t r = 0; r < MR; ++r) acc32[r][0] = acc32[r][1] = _mm512_setzero_si512();

  const size_t chunks = (k + 15) / 16;
  size_t kk = 0;
  for (size_t chunk = 0; chunk < chunks;) {
    const size_t block_end = chunk + kChunksPerBlock < chunks ? chunk + kChunksPerBlock : chunks;
    __m512i acc16[MR][2];
    for (size_t r = 0; r < MR; ++r) acc16[r][0] = acc16[r][1] = _mm512_setzero_si512();
    for (; chunk < block_end; ++chunk, kk += 16, w += 128) {
      const __m512i planes0 = _mm512_loadu_si512(w);
      const __m512i planes1 = _mm512_loadu_si512(w + 64);
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        const __m512i u0 = _mm512_and_si512(_mm512_srli_epi16(planes0, 2 * g), mask);
        const __m512i u1 = _mm512_and_si512(_mm512_srli_epi16(planes1, 2 * g), mask);
#pragma GCC unroll 8
        for (size_t r = 0; r < MR; ++r) {
          const __m512i x = broadcast_4bytes(a_rows[r] + kk + 4 * g);
          acc16[r][0] = _mm512_add_epi16(acc16[r][0], _mm512_maddubs_epi16(u0, x));
          acc16[r][1] = _mm512_add_epi16(acc16[r][1], _mm512_maddubs_epi16(u1, x));
        }
      }
    }
    for (size_t r = 0; r < MR; ++r) {
      acc32[r][0] = _mm512_add_epi32(acc32[r][0], _mm512_madd_epi16(acc16[r][0], ones));
      acc32[r][1] = _mm512_add_epi32(acc32[r][1], _mm512_madd_epi16(acc16[r][1], ones));
    }
  }

  const __mmask16 mask_lo = nc >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nc) - 1);
  const __mmask16 mask_hi = nc >= 32 ? __mmask16(0xFFFF) : nc <= 16 ? __mmask16(0) : __mmask16((1u << (nc - 16)) - 1);
  for (size_t r = 0; r < mr; ++r) {
    const __m512i sum = _mm512_set1_epi32(a_sums[r]);
    int32_t* c_row = c + r * c_stride;
    _mm512_mask_storeu_epi32(c_row, mask_lo, _mm512_sub_epi32(acc32[r][0], sum));
    _mm512_mask_storeu_epi32(c_row + 16, mask_hi, _mm512_sub_epi32(acc32[r][1], sum));
  }
}

}  // namespace

void t2i8_gemm_1x32c4__avx512bw(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride,
                                const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {
  gemm_avx512bw<1>(mr, nc, k, a, a_stride, w, a_sums, c, c_stride);
}

void t2i8_gemm_6x32c4__avx512bw(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride,
                                const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {
  gemm_avx512bw<6>(mr, nc, k, a, a_stride, w, a_sums, c, c_stride);
}

}  // namespace ternrt::kernels
