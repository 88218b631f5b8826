// The vector steps of the int8 epilogue (t2i8-epilogue-s8.h) on AVX2 + FMA, shared by the epilogue
// (t2i8-epilogue-s8-avx2.cc) and the requantizing micro-kernels that apply it to their accumulators
// in registers (t2i8-gemm-avx2.cc). Both files are built with -mavx2 -mfma -ffp-contract=off.
// Internal linkage. Private to kernels/.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {
namespace {

// 8 outputs as int32 in [out_min, out_max]: y = fma(float(x), mul, add), x = acc - correction, clamped
// in float (vmaxps(y, lo) returns lo when y is NaN, like the scalar y > lo ? y : lo), rounded by
// vcvtps2dq with MXCSR (nearest-even), as lrintf does.
inline __m256i requantize_s8_avx2(__m256i x, __m256 mul, __m256 add, __m256 lo, __m256 hi) {
  __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), mul, add);
  y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);   // operand order matters for NaN
  return _mm256_cvtps_epi32(y);
}

// The residual form (RequantS8Terms::residual): one more fma, y = fma(float(r - zero_point), rmul, y),
// before the same clamps. r: the residual's 8 values as int32.
inline __m256i residual_s8_avx2(__m256i x, __m256 mul, __m256 add, __m256i r, __m256i r_zero_point, __m256 rmul,
                                __m256 lo, __m256 hi) {
  __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), mul, add);
  y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(r, r_zero_point)), rmul, y);
  y = _mm256_min_ps(_mm256_max_ps(y, lo), hi);
  return _mm256_cvtps_epi32(y);
}

// The HardSwish form (t2i8-epilogue-s8.h): u = fma(float(x), mul, add), g = min(max(fma(u, slope, 0.5),
// 0), 1), y = fma(u, g, zero_point), clamped in float like requantize_s8_avx2 (vmaxps(NaN, c) returns
// c, as the scalar x > c ? x : c does), rounded to int32.
struct HswishConstsAvx2 {
  __m256 slope, half, zero, one, zero_point;
  HswishConstsAvx2(float k, float zp)
      : slope(_mm256_set1_ps(k)), half(_mm256_set1_ps(0.5f)), zero(_mm256_setzero_ps()), one(_mm256_set1_ps(1.0f)),
        zero_point(_mm256_set1_ps(zp)) {}
};
inline __m256i hswish_s8_avx2(__m256i x, __m256 mul, __m256 add, const HswishConstsAvx2& h, __m256 lo, __m256 hi) {
  const __m256 u = _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), mul, add);
  const __m256 g = _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(u, h.slope, h.half), h.zero), h.one);
  const __m256 y = _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(u, g, h.zero_point), lo), hi);
  return _mm256_cvtps_epi32(y);
}

// 8 int32 in [-128, 127] -> 8 int16 (saturation never triggers).
inline __m128i narrow_s32(__m256i q) { return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)); }

// Partial vectors without a libc call per row (variable-length memcpy was a call; the forced-AVX2
// fixture MobileNet spent a quarter of its time in the HardSwish epilogue's 12-channel tiles):
// vpmaskmovd for 32-bit lanes (masked-out lanes neither fault nor are written), and byte stores of
// 8 / 4 / 2 / 1 for int8 (AVX2 has no byte-masked store).
inline __m256i first_lanes(size_t n) {   // all-ones in the first n (<= 8) 32-bit lanes
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
// The first n (<= 8) values of p in a vector, the others 0.
inline __m256i load_s32_partial(const int32_t* p, size_t n) {
  if (n >= 8) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm256_maskload_epi32(reinterpret_cast<const int*>(p), first_lanes(n));
}
inline __m256 load_f32_partial(const float* p, size_t n) {
  if (n >= 8) return _mm256_loadu_ps(p);
  return _mm256_maskload_ps(p, first_lanes(n));
}
inline void store_s32_partial(int32_t* p, __m256i v, size_t n) {
  _mm256_maskstore_epi32(reinterpret_cast<int*>(p), first_lanes(n), v);
}
inline void store_f32_partial(float* p, __m256 v, size_t n) { _mm256_maskstore_ps(p, first_lanes(n), v); }
// The first n (< 16) bytes of v.
inline void store_s8_partial(int8_t* p, __m128i v, size_t n) {
  uint64_t low = uint64_t(_mm_cvtsi128_si64(v));
  if (n & 8) {
    std::memcpy(p, &low, 8);
    p += 8;
    low = uint64_t(_mm_extract_epi64(v, 1));
  }
  if (n & 4) {
    const uint32_t part = uint32_t(low);
    std::memcpy(p, &part, 4);
    p += 4;
    low >>= 32;
  }
  if (n & 2) {
    const uint16_t part = uint16_t(low);
    std::memcpy(p, &part, 2);
    p += 2;
    low >>= 16;
  }
  if (n & 1) *p = int8_t(uint8_t(low));
}
// The first n (< 8) bytes of p in the low bytes of a vector, the others 0.
inline __m128i load_s8_partial(const int8_t* p, size_t n) {
  uint64_t value = 0;
  size_t shift = 0;
  if (n & 1) {
    value = uint8_t(p[0]);
    shift = 8;
  }
  if (n & 2) {
    uint16_t part;
    std::memcpy(&part, p + shift / 8, 2);
    value |= uint64_t(part) << shift;
    shift += 16;
  }
  if (n & 4) {
    uint32_t part;
    std::memcpy(&part, p + shift / 8, 4);
    value |= uint64_t(part) << shift;
  }
  return _mm_cvtsi64_si128(int64_t(value));
}

// Channels of vector v (8 each) among a tile's first nc.
inline size_t lanes_of(size_t nc, size_t v) { return nc <= 8 * v ? 0 : nc - 8 * v < 8 ? nc - 8 * v : 8; }

// Accumulators of a requantizing form whose kernel subtracts a per-row term at the end: row r starts
// at -(a_sums[r] * scale + correction[j]) (scale 1: sum_k a; 128: 128 * sum_k a of the nibble
// layouts), so the accumulation leaves acc - correction, what the int8 epilogue needs.
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void start_minmax_tile_avx2(size_t mr, size_t nc, const int32_t* a_sums,
                                                                  int32_t scale, const RequantS8Terms& t,
                                                                  __m256i (&acc)[MR][NV]) {
  __m256i neg_corr[NV];
  for (size_t v = 0; v < NV; ++v)
    neg_corr[v] = _mm256_sub_epi32(_mm256_setzero_si256(), load_s32_partial(t.correction + 8 * v, lanes_of(nc, v)));
  for (size_t r = 0; r < MR; ++r) {
    const __m256i row_term = _mm256_set1_epi32(r < mr ? a_sums[r] * scale : 0);
    for (size_t v = 0; v < NV; ++v) acc[r][v] = _mm256_sub_epi32(neg_corr[v], row_term);
  }
}

// The int8 epilogue on accumulators holding acc - correction: rows r < mr, channels j < nc, one store
// of 8 * NV bytes per row (through a buffer for a partial tile).
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void requantize_tile_avx2(size_t mr, size_t nc, const __m256i (&acc)[MR][NV],
                                                                const RequantS8Terms& t, int8_t* c, size_t c_stride) {
  static_assert(NV == 1 || NV == 2, "8 or 16 channels per row");
  __m256 mul[NV], add[NV];
  for (size_t v = 0; v < NV; ++v) {
    mul[v] = load_f32_partial(t.multiplier + 8 * v, lanes_of(nc, v));
    add[v] = load_f32_partial(t.offset + 8 * v, lanes_of(nc, v));
  }
  const __m256 lo = _mm256_set1_ps(float(t.out_min)), hi = _mm256_set1_ps(float(t.out_max));
  const bool whole = nc == 8 * NV;
  const HswishConstsAvx2 h(t.slope, t.zero_point);
  const __m256i r_zero_point = _mm256_set1_epi32(t.residual_zero_point);
  const __m256 rmul = _mm256_set1_ps(t.residual_multiplier);
  auto step = [&](__m256i x, size_t v, const int8_t* residual) {   // the plain, HardSwish or residual form
    if (residual != nullptr) {
      const size_t n = lanes_of(nc, v);
      const __m128i bytes = n == 8 ? _mm_loadl_epi64(reinterpret_cast<const __m128i*>(residual + 8 * v))
                                   : load_s8_partial(residual + 8 * v, n);
      return narrow_s32(residual_s8_avx2(x, mul[v], add[v], _mm256_cvtepi8_epi32(bytes), r_zero_point, rmul, lo, hi));
    }
    return narrow_s32(t.hardswish ? hswish_s8_avx2(x, mul[v], add[v], h, lo, hi)
                                  : requantize_s8_avx2(x, mul[v], add[v], lo, hi));
  };
  for (size_t r = 0; r < MR; ++r) {
    if (r >= mr) break;
    int8_t* row = c + r * c_stride;
    const int8_t* residual = t.residual != nullptr ? t.residual + r * t.residual_stride : nullptr;
    const __m128i q0 = step(acc[r][0], 0, residual);
    const __m128i q1 = NV == 2 ? step(acc[r][NV - 1], NV - 1, residual) : q0;
    const __m128i bytes = _mm_packs_epi16(q0, q1);
    if (whole) {
      if (NV == 2) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row), bytes);
      } else {
        _mm_storel_epi64(reinterpret_cast<__m128i*>(row), bytes);
      }
    } else {
      store_s8_partial(row, bytes, nc);
    }
  }
}

}  // namespace
}  // namespace ternrt::kernels
