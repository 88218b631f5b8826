// The vector steps of the int8 epilogue (t2i8-epilogue-s8.h) on AVX-512 F+BW+VL, shared by the
// epilogue (t2i8-epilogue-s8-avx512.cc) and the requantizing micro-kernels that apply it to their
// accumulators in registers (t2i8-gemm-avx512bw.cc, t2i8-gemm-avx512vnni.cc), with their tile masks.
// Internal linkage: the files that include it are built with different ISA flags. Private to kernels/.
#pragma once

#include "avx512-intrinsics.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {
namespace {

// 16 outputs before the int8 clamps: round(y) as int32, y = fma(float(x), mul, add), x = acc -
// correction. The int8 max with out_min and min with out_max after the saturating narrowing then give
// the scalar result: a y below lo rounds to at most out_min, one above hi to at least out_max, and
// vcvtps2dq turns a NaN into INT32_MIN, so out_min, as the scalar max(y, lo) does. vcvtps2dq rounds
// with MXCSR (nearest-even), as lrintf does. Only a y at or above 2^31 would convert wrongly (to
// INT32_MIN as well): unless kBounded (the terms pass `terms_bound_y`, so no such y exists), y is
// first clamped to hi in float; vminps(hi, y) keeps a NaN y.
template <bool kBounded>
inline __m512i requantize_s8(__m512i x, __m512 mul, __m512 add, __m512 hi) {
  const __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), mul, add);
  return _mm512_cvtps_epi32(kBounded ? y : _mm512_min_ps(hi, y));
}

// The HardSwish form (t2i8-epilogue-s8.h) before the int8 clamps: u = fma(float(x), mul, add),
// g = min(max(fma(u, slope, 0.5), 0), 1) (vmaxps(NaN, 0) returns 0, as the scalar g > 0 ? g : 0 does),
// y = fma(u, g, zero_point), then as requantize_s8: only the clamp of y to hi in float (left out under
// terms_bound_y: |u| < 2^30, so |y| < 2^31), round to int32; the int8 clamps after the narrowing give the
// scalar result (both bounds are integers; a NaN y converts to INT32_MIN, so out_min).
struct HswishConsts {
  __m512 slope, half, zero, one, zero_point;
  HswishConsts(float k, float zp)
      : slope(_mm512_set1_ps(k)), half(_mm512_set1_ps(0.5f)), zero(_mm512_setzero_ps()), one(_mm512_set1_ps(1.0f)),
        zero_point(_mm512_set1_ps(zp)) {}
};
template <bool kBounded>
inline __m512i hswish_s8(__m512i x, __m512 mul, __m512 add, const HswishConsts& h, __m512 hi) {
  const __m512 u = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), mul, add);
  const __m512 g = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(u, h.slope, h.half), h.zero), h.one);
  const __m512 y = _mm512_fmadd_ps(u, g, h.zero_point);
  return _mm512_cvtps_epi32(kBounded ? y : _mm512_min_ps(hi, y));
}

// The same two steps on 256-bit vectors (AVX-512VL; the depthwise column kernel's narrow blocks, which
// run without 512-bit instructions so that port 1 stays open to vector work). Same operations, same
// operand order (NaN behaviour included).
template <bool kBounded>
inline __m256i requantize_s8(__m256i x, __m256 mul, __m256 add, __m256 hi) {
  const __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), mul, add);
  return _mm256_cvtps_epi32(kBounded ? y : _mm256_min_ps(hi, y));
}
struct HswishConsts256 {
  __m256 slope, half, zero, one, zero_point;
  HswishConsts256(float k, float zp)
      : slope(_mm256_set1_ps(k)), half(_mm256_set1_ps(0.5f)), zero(_mm256_setzero_ps()), one(_mm256_set1_ps(1.0f)),
        zero_point(_mm256_set1_ps(zp)) {}
};
template <bool kBounded>
inline __m256i hswish_s8(__m256i x, __m256 mul, __m256 add, const HswishConsts256& h, __m256 hi) {
  const __m256 u = _mm256_fmadd_ps(_mm256_cvtepi32_ps(x), mul, add);
  const __m256 g = _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(u, h.slope, h.half), h.zero), h.one);
  const __m256 y = _mm256_fmadd_ps(u, g, h.zero_point);
  return _mm256_cvtps_epi32(kBounded ? y : _mm256_min_ps(hi, y));
}

// The residual form (RequantS8Terms::residual): y = fma(float(r - zero_point), multiplier, fma(float(x), mul,
// add)), then as requantize_s8 (under terms_bound_y and |multiplier| <= 2^21, |y| < 2^30 + 2^29: no clamp).
struct ResidualRows {
  const int8_t* data;
  size_t stride;
  __m512 multiplier;
  __m512i zero_point;
};
template <bool kBounded>
inline __m512i residual_s8(__m512i x, __m512 mul, __m512 add, __m512i r, const ResidualRows& res, __m512 hi) {
  const __m512 y0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), mul, add);
  const __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(r, res.zero_point)), res.multiplier, y0);
  return _mm512_cvtps_epi32(kBounded ? y : _mm512_min_ps(hi, y));
}

// |acc - correction| < 2^31, so |y| < 2^30 when |multiplier| <= 1/4 and |offset| <= 2^29 (NaN fails
// the test). Multipliers are scale ratios, about 0.001-0.1 in real layers: the float clamp, one of
// the ~7 operations per 16 outputs, is then left out.
inline bool terms_bound_y(__mmask16 lanes, __m512 mul, __m512 add) {
  const __mmask16 ok = _mm512_cmp_ps_mask(_mm512_abs_ps(mul), _mm512_set1_ps(0.25f), _CMP_LE_OQ) &
                       _mm512_cmp_ps_mask(_mm512_abs_ps(add), _mm512_set1_ps(0x1p29f), _CMP_LE_OQ);
  return (ok & lanes) == lanes;
}

// Four vectors of 16 int32 to 64 saturated int8 in the order a, b, c, d: the in-lane packs leave
// 128-bit lane i holding a[4i..4i+3], b[4i..], c[4i..], d[4i..]; a dword permutation restores the
// order.
inline __m512i pack_in_order(__m512i a, __m512i b, __m512i c, __m512i d) {
  const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), bytes);
}

// Lanes of vector v (channels 16 v .. 16 v + 15) that are among a tile's first nc channels.
inline __mmask16 lane_mask(size_t nc, size_t v) {
  const size_t first = 16 * v;
  if (nc >= first + 16) return __mmask16(0xFFFF);
  if (nc <= first) return __mmask16(0);
  return __mmask16((1u << (nc - first)) - 1);
}

// The end of the requantizing micro-kernels (minmax-fp32-gemm.inc): the int8 epilogue on
// accumulators that already hold acc - correction, 4 / NV rows packed into one vector of 64 bytes,
// one store of 16 * NV bytes per row (masked at a partial tile's last channels). Rows at or past mr
// are computed (from the last row's activations, or a repeated row when MR is not a multiple of
// 4 / NV) but not stored.
// kHswish: the HardSwish form (h) instead of the plain one; kResidual: the residual form (res).
template <size_t MR, size_t NV, bool kBounded, bool kHswish = false, bool kResidual = false>
__attribute__((always_inline)) inline void store_requantized(size_t mr, size_t nc, const __m512i (&acc)[MR][NV],
                                                             const __m512 (&mul)[NV], const __m512 (&add)[NV],
                                                             int8_t out_min, int8_t out_max, int8_t* c,
                                                             size_t c_stride, const HswishConsts* h = nullptr,
                                                             const ResidualRows* res = nullptr) {
  constexpr size_t kRows = 4 / NV;
  const __m512 hi = _mm512_set1_ps(float(out_max));
  const __m512i lo_bytes = _mm512_set1_epi8(out_min), hi_bytes = _mm512_set1_epi8(out_max);
  const bool clamp_bytes = out_min != -128 || out_max != 127;
  const bool whole = nc == 16 * NV;
  const uint64_t row_lanes = whole ? ~uint64_t(0) : (uint64_t(1) << nc) - 1;
#pragma GCC unroll 16
  for (size_t r = 0; r < MR; r += kRows) {
    if (r >= mr) break;
    __m512i q[4];
    for (size_t i = 0; i < 4; ++i) {
      const size_t row = r + i / NV < MR ? r + i / NV : MR - 1;
      if constexpr (kResidual) {   // rows at or past mr read nothing (they are not stored)
        const bool real = r + i / NV < mr;
        const __mmask16 lanes = real ? lane_mask(nc, i % NV) : __mmask16(0);
        const int8_t* src = res->data + (real ? r + i / NV : 0) * res->stride + 16 * (i % NV);
        const __m512i rv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(lanes, src));
        q[i] = residual_s8<kBounded>(acc[row][i % NV], mul[i % NV], add[i % NV], rv, *res, hi);
      } else if constexpr (kHswish) {
        q[i] = hswish_s8<kBounded>(acc[row][i % NV], mul[i % NV], add[i % NV], *h, hi);
      } else {
        q[i] = requantize_s8<kBounded>(acc[row][i % NV], mul[i % NV], add[i % NV], hi);
      }
    }
    __m512i bytes = pack_in_order(q[0], q[1], q[2], q[3]);
    // The full int8 range needs no clamps: the saturating packs are them (NaN: INT32_MIN -> -128).
    if (clamp_bytes) bytes = _mm512_min_epi8(_mm512_max_epi8(bytes, lo_bytes), hi_bytes);
    for (size_t i = 0; i < kRows; ++i) {
      if (r + i >= mr) break;   // also r + i >= MR
      int8_t* row = c + (r + i) * c_stride;
      if (NV == 2) {
        const __m256i half = i == 0 ? _mm512_castsi512_si256(bytes) : _mm512_extracti64x4_epi64(bytes, 1);
        if (whole) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(row), half);
        } else {
          _mm256_mask_storeu_epi8(row, __mmask32(row_lanes), half);
        }
      } else {
        const __m128i quarter = i == 0 ? _mm512_castsi512_si128(bytes)
                                : i == 1 ? _mm512_extracti32x4_epi32(bytes, 1)
                                : i == 2 ? _mm512_extracti32x4_epi32(bytes, 2)
                                         : _mm512_extracti32x4_epi32(bytes, 3);
        if (whole) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(row), quarter);
        } else {
          _mm_mask_storeu_epi8(row, __mmask16(row_lanes), quarter);
        }
      }
    }
  }
}

// Accumulators for a requantizing form whose kernel subtracts a per-row term at the end: row r
// starts at -(a_sums[r] * scale + correction[j]), so the accumulation leaves what the int8 epilogue
// needs. scale: 1 (t2i8: sum_k a), 128 (offset_nibbles_c4: 128 * sum_k a), or 0 with a_sums null
// (t2u8: no row term).
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void start_minmax_tile(size_t mr, size_t nc, const int32_t* a_sums, int32_t scale,
                                                             const RequantS8Terms& t, __m512i (&acc32)[MR][NV]) {
  __m512i neg_corr[NV];
  for (size_t v = 0; v < NV; ++v)
    neg_corr[v] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_maskz_loadu_epi32(lane_mask(nc, v), t.correction + 16 * v));
  for (size_t r = 0; r < MR; ++r) {
    const __m512i row_term = _mm512_set1_epi32(r < mr && scale != 0 ? a_sums[r] * scale : 0);
    for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm512_sub_epi32(neg_corr[v], row_term);
  }
}

// The tile's epilogue terms (lanes past nc read as 0) and the int8 stores.
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void requantize_tile(size_t mr, size_t nc, const __m512i (&acc)[MR][NV],
                                                           const RequantS8Terms& t, int8_t* c, size_t c_stride) {
  __m512 mul[NV], add[NV];
  bool bounded = true;
  for (size_t v = 0; v < NV; ++v) {
    const __mmask16 lanes = lane_mask(nc, v);
    mul[v] = _mm512_maskz_loadu_ps(lanes, t.multiplier + 16 * v);
    add[v] = _mm512_maskz_loadu_ps(lanes, t.offset + 16 * v);
    bounded = bounded && terms_bound_y(0xFFFF, mul[v], add[v]);
  }
  if (t.residual != nullptr) {
    const ResidualRows res{t.residual, t.residual_stride, _mm512_set1_ps(t.residual_multiplier),
                           _mm512_set1_epi32(t.residual_zero_point)};
    if (bounded && std::fabs(t.residual_multiplier) <= 0x1p21f) {
      store_requantized<MR, NV, true, false, true>(mr, nc, acc, mul, add, t.out_min, t.out_max, c, c_stride, nullptr, &res);
    } else {
      store_requantized<MR, NV, false, false, true>(mr, nc, acc, mul, add, t.out_min, t.out_max, c, c_stride, nullptr, &res);
    }
  } else if (t.hardswish) {
    const HswishConsts h(t.slope, t.zero_point);
    if (bounded) {
      store_requantized<MR, NV, true, true>(mr, nc, acc, mul, add, t.out_min, t.out_max, c, c_stride, &h);
    } else {
      store_requantized<MR, NV, false, true>(mr, nc, acc, mul, add, t.out_min, t.out_max, c, c_stride, &h);
    }
  } else if (bounded) {
    store_requantized<MR, NV, true>(mr, nc, acc, mul, add, t.out_min, t.out_max, c, c_stride);
  } else {
    store_requantized<MR, NV, false>(mr, nc, acc, mul, add, t.out_min, t.out_max, c, c_stride);
  }
}

}  // namespace
}  // namespace ternrt::kernels
