// AVX2 int8 epilogue (t2i8-epilogue-s8.h): 8 channels per vector, the scalar operations in the
// same order (built with -mfma -ffp-contract=off: only the written-out fma fuses; the vector steps
// are in requantize-s8-avx2.h).
#include <immintrin.h>

#include <cstring>

#include "t2i8-gemm/requantize-s8-avx2.h"
#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

namespace {

inline __m256i requantize(__m256i x, __m256i corr, __m256 mul, __m256 add, __m256 lo, __m256 hi) {
  return requantize_s8_avx2(_mm256_sub_epi32(x, corr), mul, add, lo, hi);
}

inline __m128i narrow(__m256i q) { return narrow_s32(q); }

}  // namespace

void t2i8_epilogue_s8__avx2(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                            const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride) {
  const __m256 lo = _mm256_set1_ps(float(out_min)), hi = _mm256_set1_ps(float(out_max));
  size_t j = 0;
  for (; j + 16 <= nt; j += 16) {
    const __m256i corr0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction + j));
    const __m256i corr1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction + j + 8));
    const __m256 mul0 = _mm256_loadu_ps(multiplier + j), mul1 = _mm256_loadu_ps(multiplier + j + 8);
    const __m256 add0 = _mm256_loadu_ps(offset + j), add1 = _mm256_loadu_ps(offset + j + 8);
    for (size_t r = 0; r < mt; ++r) {
      const int32_t* row = acc + r * acc_stride + j;
      const __m256i q0 = requantize(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)), corr0, mul0, add0, lo, hi);
      const __m256i q1 =
          requantize(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8)), corr1, mul1, add1, lo, hi);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(c + r * c_stride + j), _mm_packs_epi16(narrow(q0), narrow(q1)));
    }
  }
  if (j + 8 <= nt) {
    const __m256i corr = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction + j));
    const __m256 mul = _mm256_loadu_ps(multiplier + j), add = _mm256_loadu_ps(offset + j);
    for (size_t r = 0; r < mt; ++r) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + r * acc_stride + j));
      const __m128i q = narrow(requantize(x, corr, mul, add, lo, hi));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(c + r * c_stride + j), _mm_packs_epi16(q, q));
    }
    j += 8;
  }
  if (j == nt) return;
  // 1..7 channels through small buffers (AVX2 has no byte-exact masked stores).
  const size_t left = nt - j;
  alignas(32) int32_t corr_buf[8] = {}, x_buf[8] = {};
  alignas(32) float mul_buf[8] = {}, add_buf[8] = {};
  alignas(16) int8_t q_buf[16];
  std::memcpy(corr_buf, correction + j, left * sizeof(int32_t));
  std::memcpy(mul_buf, multiplier + j, left * sizeof(float));
  std::memcpy(add_buf, offset + j, left * sizeof(float));
  const __m256i corr = _mm256_load_si256(reinterpret_cast<const __m256i*>(corr_buf));
  const __m256 mul = _mm256_load_ps(mul_buf), add = _mm256_load_ps(add_buf);
  for (size_t r = 0; r < mt; ++r) {
    std::memcpy(x_buf, acc + r * acc_stride + j, left * sizeof(int32_t));
    const __m128i q = narrow(requantize(_mm256_load_si256(reinterpret_cast<const __m256i*>(x_buf)), corr, mul, add, lo, hi));
    _mm_store_si128(reinterpret_cast<__m128i*>(q_buf), _mm_packs_epi16(q, q));
    std::memcpy(c + r * c_stride + j, q_buf, left);
  }
}

}  // namespace ternrt::kernels
