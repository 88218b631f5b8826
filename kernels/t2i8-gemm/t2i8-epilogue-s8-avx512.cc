// AVX-512 (F+BW+VL) int8 epilogue (t2i8-epilogue-s8.h) for avx512bw and avx512vnni: 16 channels per
// vector, the scalar operations in the same order (built with -ffp-contract=off; the vector steps are
// in requantize-s8-avx512.h).
#include "avx512-intrinsics.h"

#include "t2i8-gemm/requantize-s8-avx512.h"
#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

namespace {

// requantize_s8 after the correction.
template <bool kBounded>
inline __m512i requantize(__m512i x, __m512i corr, __m512 mul, __m512 add, __m512 hi) {
  return requantize_s8<kBounded>(_mm512_sub_epi32(x, corr), mul, add, hi);
}

// Rows of V * 16 channels: 4 / V rows packed into one vector of 64 bytes, the per-channel terms in
// registers. Rows back to back (c_stride == 16 V) take one 64-byte store; rows apart (a tile of a
// wider layer) one store of 16 V bytes each. Returns the rows done (a multiple of 4 / V).
// Measured alone on a 16 x 16 tile: 24 ns against 33 for one vpmovsdb store and two float clamps
// per vector; MobileNetV2's layers wider than a tile spent a quarter of their time in the vpmovsdb
// form before they took the strided stores.
template <size_t V, bool kBounded>
size_t rows_in_packed_stores(size_t mt, const int32_t* acc, size_t acc_stride, const __m512i* corr, const __m512* mul,
                             const __m512* add, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  constexpr size_t kRows = 4 / V;
  const __m512 hi = _mm512_set1_ps(float(out_max));
  const __m512i lo_bytes = _mm512_set1_epi8(out_min), hi_bytes = _mm512_set1_epi8(out_max);
  size_t r = 0;
  for (; r + kRows <= mt; r += kRows) {
    __m512i q[4];
    for (size_t i = 0; i < 4; ++i) {
      const size_t v = i % V;
      q[i] = requantize<kBounded>(_mm512_loadu_si512(acc + (r + i / V) * acc_stride + 16 * v), corr[v], mul[v], add[v],
                                  hi);
    }
    const __m512i bytes = _mm512_min_epi8(_mm512_max_epi8(pack_in_order(q[0], q[1], q[2], q[3]), lo_bytes), hi_bytes);
    int8_t* row = c + r * c_stride;
    if (c_stride == 16 * V) {
      _mm512_storeu_si512(row, bytes);
    } else if (V == 2) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(row), _mm512_castsi512_si256(bytes));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + c_stride), _mm512_extracti64x4_epi64(bytes, 1));
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row), _mm512_castsi512_si128(bytes));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row + c_stride), _mm512_extracti32x4_epi32(bytes, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row + 2 * c_stride), _mm512_extracti32x4_epi32(bytes, 2));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row + 3 * c_stride), _mm512_extracti32x4_epi32(bytes, 3));
    }
  }
  return r;
}

template <size_t V>
size_t rows_in_packed_stores(size_t mt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                             const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                             size_t c_stride) {
  __m512i corr[V];
  __m512 mul[V], add[V];
  bool bounded = true;
  for (size_t v = 0; v < V; ++v) {
    corr[v] = _mm512_loadu_si512(correction + 16 * v);
    mul[v] = _mm512_loadu_ps(multiplier + 16 * v);
    add[v] = _mm512_loadu_ps(offset + 16 * v);
    bounded = bounded && terms_bound_y(0xFFFF, mul[v], add[v]);
  }
  return bounded ? rows_in_packed_stores<V, true>(mt, acc, acc_stride, corr, mul, add, out_min, out_max, c, c_stride)
                 : rows_in_packed_stores<V, false>(mt, acc, acc_stride, corr, mul, add, out_min, out_max, c, c_stride);
}

// Rows of 64 channels or more (a depthwise layer's column tile, a wide tile): each run of 64 channels
// of a row is one packed 64-byte store, the terms loaded per run.
template <bool kBounded>
void runs_of_64_channels(size_t mt, size_t runs, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                         const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                         size_t c_stride) {
  const __m512 hi = _mm512_set1_ps(float(out_max));
  const __m512i lo_bytes = _mm512_set1_epi8(out_min), hi_bytes = _mm512_set1_epi8(out_max);
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < 64 * runs; j += 64) {
      __m512i q[4];
      for (size_t i = 0; i < 4; ++i) {
        const size_t ch = j + 16 * i;
        q[i] = requantize<kBounded>(_mm512_loadu_si512(acc + r * acc_stride + ch), _mm512_loadu_si512(correction + ch),
                                    _mm512_loadu_ps(multiplier + ch), _mm512_loadu_ps(offset + ch), hi);
      }
      const __m512i bytes = _mm512_max_epi8(pack_in_order(q[0], q[1], q[2], q[3]), lo_bytes);
      _mm512_storeu_si512(c + r * c_stride + j, _mm512_min_epi8(bytes, hi_bytes));
    }
  }
}

// Rows of up to 16 channels (lanes) anywhere: one masked 16-byte store per row.
template <bool kBounded>
void rows_of_one_vector(size_t mt, __mmask16 lanes, const int32_t* acc, size_t acc_stride, __m512i corr, __m512 mul,
                        __m512 add, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  const __m512 hi = _mm512_set1_ps(float(out_max));
  const __m128i lo_bytes = _mm_set1_epi8(out_min), hi_bytes = _mm_set1_epi8(out_max);
  for (size_t r = 0; r < mt; ++r) {
    const __m512i x = _mm512_maskz_loadu_epi32(lanes, acc + r * acc_stride);
    const __m128i bytes = _mm_max_epi8(_mm512_cvtsepi32_epi8(requantize<kBounded>(x, corr, mul, add, hi)), lo_bytes);
    _mm_mask_storeu_epi8(c + r * c_stride, lanes, _mm_min_epi8(bytes, hi_bytes));
  }
}

}  // namespace

void t2i8_epilogue_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride) {
  size_t done = 0, first_channel = 0;   // rows done (all channels); channels done (all rows)
  if (nt == 16) {
    done = rows_in_packed_stores<1>(mt, acc, acc_stride, correction, multiplier, offset, out_min, out_max, c, c_stride);
  } else if (nt == 32) {
    done = rows_in_packed_stores<2>(mt, acc, acc_stride, correction, multiplier, offset, out_min, out_max, c, c_stride);
  } else if (nt >= 64) {
    const size_t runs = nt / 64;
    bool bounded = true;
    for (size_t j = 0; j < 64 * runs; j += 16) {
      bounded = bounded && terms_bound_y(0xFFFF, _mm512_loadu_ps(multiplier + j), _mm512_loadu_ps(offset + j));
    }
    if (bounded) {
      runs_of_64_channels<true>(mt, runs, acc, acc_stride, correction, multiplier, offset, out_min, out_max, c, c_stride);
    } else {
      runs_of_64_channels<false>(mt, runs, acc, acc_stride, correction, multiplier, offset, out_min, out_max, c, c_stride);
    }
    first_channel = 64 * runs;
  }
  if (done == mt || first_channel == nt) return;
  // Any other tile, the rows or channels left: one vector at a time, masked at the last channels.
  acc += done * acc_stride;
  c += done * c_stride;
  for (size_t j = first_channel; j < nt; j += 16) {
    const __mmask16 lanes = nt - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (nt - j)) - 1);
    const __m512i corr = _mm512_maskz_loadu_epi32(lanes, correction + j);
    const __m512 mul = _mm512_maskz_loadu_ps(lanes, multiplier + j);
    const __m512 add = _mm512_maskz_loadu_ps(lanes, offset + j);
    if (terms_bound_y(lanes, mul, add)) {
      rows_of_one_vector<true>(mt - done, lanes, acc + j, acc_stride, corr, mul, add, out_min, out_max, c + j, c_stride);
    } else {
      rows_of_one_vector<false>(mt - done, lanes, acc + j, acc_stride, corr, mul, add, out_min, out_max, c + j, c_stride);
    }
  }
}

// HardSwish form (t2i8-epilogue-s8.h): the scalar steps on 16 channels, masked at the last ones;
// vmaxps(x, c) returns c for a NaN x, as the scalar x > c ? x : c does.
void t2i8_epilogue_hswish_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                     const int32_t* correction, const float* multiplier, const float* offset,
                                     float slope, float zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                     size_t c_stride) {
  const __m512 lo = _mm512_set1_ps(float(out_min)), hi = _mm512_set1_ps(float(out_max));
  const __m512 k = _mm512_set1_ps(slope), half = _mm512_set1_ps(0.5f), zero = _mm512_setzero_ps(),
               one = _mm512_set1_ps(1.0f), zp = _mm512_set1_ps(zero_point);
  for (size_t j = 0; j < nt; j += 16) {
    const __mmask16 lanes = nt - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (nt - j)) - 1);
    const __m512i corr = _mm512_maskz_loadu_epi32(lanes, correction + j);
    const __m512 mul = _mm512_maskz_loadu_ps(lanes, multiplier + j), add = _mm512_maskz_loadu_ps(lanes, offset + j);
    for (size_t r = 0; r < mt; ++r) {
      const __m512i x = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(lanes, acc + r * acc_stride + j), corr);
      const __m512 u = _mm512_fmadd_ps(_mm512_cvtepi32_ps(x), mul, add);
      const __m512 g = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(u, k, half), zero), one);
      const __m512 y = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(u, g, zp), lo), hi);
      _mm_mask_storeu_epi8(c + r * c_stride + j, lanes, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(y)));
    }
  }
}

// scale_channels_s8 (t2i8-epilogue-s8.h): 64 values per step, the plain epilogue's operations with the
// float clamp (vmaxps(y, lo) returns lo for a NaN y), masked at the last channels.
void scale_channels_s8__avx512(size_t mt, size_t nt, const int8_t* x, size_t x_stride, int32_t x_zero_point,
                               const float* multiplier, const float* offset, int8_t out_min, int8_t out_max,
                               int8_t* c, size_t c_stride) {
  const __m512 lo = _mm512_set1_ps(float(out_min)), hi = _mm512_set1_ps(float(out_max));
  const __m512i zp = _mm512_set1_epi32(x_zero_point);
  for (size_t j = 0; j < nt; j += 16) {
    const __mmask16 lanes = nt - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (nt - j)) - 1);
    const __m512 mul = _mm512_maskz_loadu_ps(lanes, multiplier + j), add = _mm512_maskz_loadu_ps(lanes, offset + j);
    for (size_t r = 0; r < mt; ++r) {
      const __m512i v = _mm512_sub_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(lanes, x + r * x_stride + j)), zp);
      const __m512 y = _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(_mm512_cvtepi32_ps(v), mul, add), lo), hi);
      _mm_mask_storeu_epi8(c + r * c_stride + j, lanes, _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(y)));
    }
  }
}

}  // namespace ternrt::kernels
