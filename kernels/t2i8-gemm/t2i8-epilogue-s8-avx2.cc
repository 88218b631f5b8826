// AVX2 int8 epilogue (t2i8-epilogue-s8.h): 8 channels per vector, the scalar operations in the
// same order (built with -mfma -ffp-contract=off: only the written-out fma fuses; the vector steps
// are in requantize-s8-avx2.h).
#include <immintrin.h>

#include "t2i8-gemm/requantize-s8-avx2.h"
#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

namespace {

inline __m256i requantize(__m256i x, __m256i corr, __m256 mul, __m256 add, __m256 lo, __m256 hi) {
  return requantize_s8_avx2(_mm256_sub_epi32(x, corr), mul, add, lo, hi);
}

inline __m128i narrow(__m256i q) { return narrow_s32(q); }

// The first `lanes` (<= 8) of 8 int32 in [-128, 127] as bytes at out (no byte past them).
inline void store_lanes(int8_t* out, __m256i q, size_t lanes) {
  const __m128i q16 = narrow(q);
  const __m128i q8 = _mm_packs_epi16(q16, q16);
  if (lanes == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), q8);
  } else {
    store_s8_partial(out, q8, lanes);
  }
}

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
  // 1..7 channels: masked loads, partial stores.
  const size_t left = nt - j;
  const __m256i corr = load_s32_partial(correction + j, left);
  const __m256 mul = load_f32_partial(multiplier + j, left), add = load_f32_partial(offset + j, left);
  for (size_t r = 0; r < mt; ++r) {
    store_lanes(c + r * c_stride + j, requantize(load_s32_partial(acc + r * acc_stride + j, left), corr, mul, add, lo, hi),
                left);
  }
}

// HardSwish form (t2i8-epilogue-s8.h): the scalar steps on 8 channels; vmaxps(x, c) returns c for a
// NaN x, as the scalar x > c ? x : c does.
void t2i8_epilogue_hswish_s8__avx2(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                   const int32_t* correction, const float* multiplier, const float* offset, float slope,
                                   float zero_point, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  const __m256 lo = _mm256_set1_ps(float(out_min)), hi = _mm256_set1_ps(float(out_max));
  const HswishConstsAvx2 h(slope, zero_point);
  for (size_t j = 0; j < nt; j += 8) {
    const size_t lanes = nt - j < 8 ? nt - j : 8;
    const __m256i corr = load_s32_partial(correction + j, lanes);
    const __m256 mul = load_f32_partial(multiplier + j, lanes), add = load_f32_partial(offset + j, lanes);
    for (size_t r = 0; r < mt; ++r) {
      const __m256i x = _mm256_sub_epi32(load_s32_partial(acc + r * acc_stride + j, lanes), corr);
      store_lanes(c + r * c_stride + j, hswish_s8_avx2(x, mul, add, h, lo, hi), lanes);
    }
  }
}

// scale_channels_s8 (t2i8-epilogue-s8.h): 8 values per vector, the plain epilogue's operations.
void scale_channels_s8__avx2(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                             const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                             size_t c_stride) {
  const __m256 lo = _mm256_set1_ps(float(out_min)), hi = _mm256_set1_ps(float(out_max));
  const __m256i zp = _mm256_set1_epi32(x_zero_point);
  for (size_t j = 0; j < nt; j += 8) {
    const size_t lanes = nt - j < 8 ? nt - j : 8;
    const __m256 mul = load_f32_partial(multiplier + j, lanes), add = load_f32_partial(offset + j, lanes);
    for (size_t r = 0; r < mt; ++r) {
      const int8_t* row = x + r * x_stride + j;
      const __m128i bytes = lanes == 8 ? _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row)) : load_s8_partial(row, lanes);
      const __m256i v = _mm256_sub_epi32(_mm256_cvtepi8_epi32(bytes), zp);
      store_lanes(c + r * c_stride + j, requantize_s8_avx2(v, mul, add, lo, hi), lanes);
    }
  }
}

}  // namespace ternrt::kernels
