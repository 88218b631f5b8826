// AVX-512 (F+BW+VL) int8 epilogue (t2i8-epilogue-s8.h) for avx512bw and avx512vnni: 16 channels per
// vector, the scalar operations in the same order (built with -ffp-contract=off; the vector steps are
// in requantize-s8-avx512.h).
#include "avx512-intrinsics.h"

#include <algorithm>

#include "t2i8-gemm/requantize-s8-avx512.h"
#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

namespace {

// The per-channel terms of 16 channels.
struct Terms {
  __m512i corr;
  __m512 mul, add;
};

inline Terms load_terms(__mmask16 lanes, const int32_t* correction, const float* multiplier, const float* offset) {
  return {_mm512_maskz_loadu_epi32(lanes, correction), _mm512_maskz_loadu_ps(lanes, multiplier),
          _mm512_maskz_loadu_ps(lanes, offset)};
}

// The two forms as operations on 16 accumulators, giving int32 values whose saturating narrowing and
// int8 clamps are the result.
// Plain: requantize_s8 after the correction.
template <bool kBounded>
struct Plain {
  __m512 hi;
  explicit Plain(int8_t out_max) : hi(_mm512_set1_ps(float(out_max))) {}
  __m512i operator()(__m512i x, const Terms& t) const {
    return requantize_s8<kBounded>(_mm512_sub_epi32(x, t.corr), t.mul, t.add, hi);
  }
};

// HardSwish: hswish_s8 (requantize-s8-avx512.h) after the correction.
template <bool kBounded>
struct Hswish {
  HswishConsts h;
  __m512 hi;
  Hswish(float slope, float zero_point, int8_t out_max) : h(slope, zero_point), hi(_mm512_set1_ps(float(out_max))) {}
  __m512i operator()(__m512i x, const Terms& t) const {
    return hswish_s8<kBounded>(_mm512_sub_epi32(x, t.corr), t.mul, t.add, h, hi);
  }
};

// Rows of V * 16 channels: 4 / V rows packed into one vector of 64 bytes, the per-channel terms in
// registers. Rows back to back (c_stride == 16 V) take one 64-byte store; rows apart (a tile of a
// wider layer) one store of 16 V bytes each. Returns the rows done (a multiple of 4 / V).
// Measured alone on a 16 x 16 tile: 24 ns against 33 for one vpmovsdb store and two float clamps
// per vector; MobileNetV2's layers wider than a tile spent a quarter of their time in the vpmovsdb
// form before they took the strided stores.
template <size_t V, class Op>
size_t rows_in_packed_stores(size_t mt, const int32_t* acc, size_t acc_stride, const Terms* t, const Op& op,
                             int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  constexpr size_t kRows = 4 / V;
  const __m512i lo_bytes = _mm512_set1_epi8(out_min), hi_bytes = _mm512_set1_epi8(out_max);
  size_t r = 0;
  for (; r + kRows <= mt; r += kRows) {
    __m512i q[4];
    for (size_t i = 0; i < 4; ++i) {
      const size_t v = i % V;
      q[i] = op(_mm512_loadu_si512(acc + (r + i / V) * acc_stride + 16 * v), t[v]);
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

// Rows of 64 channels or more (a depthwise layer's column tile, a wide tile): each run of 64 channels
// of a row is one packed 64-byte store, the terms loaded per run.
template <class Op>
void runs_of_64_channels(size_t mt, size_t runs, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                         const float* multiplier, const float* offset, const Op& op, int8_t out_min,
                         int8_t out_max, int8_t* c, size_t c_stride) {
  const __m512i lo_bytes = _mm512_set1_epi8(out_min), hi_bytes = _mm512_set1_epi8(out_max);
  for (size_t r = 0; r < mt; ++r) {
    for (size_t j = 0; j < 64 * runs; j += 64) {
      __m512i q[4];
      for (size_t i = 0; i < 4; ++i) {
        const size_t ch = j + 16 * i;
        q[i] = op(_mm512_loadu_si512(acc + r * acc_stride + ch),
                  load_terms(0xFFFF, correction + ch, multiplier + ch, offset + ch));
      }
      const __m512i bytes = _mm512_max_epi8(pack_in_order(q[0], q[1], q[2], q[3]), lo_bytes);
      _mm512_storeu_si512(c + r * c_stride + j, _mm512_min_epi8(bytes, hi_bytes));
    }
  }
}

// Rows of up to 16 channels (lanes) anywhere: one masked 16-byte store per row.
template <class Op>
void rows_of_one_vector(size_t mt, __mmask16 lanes, const int32_t* acc, size_t acc_stride, const Terms& t,
                        const Op& op, int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  const __m128i lo_bytes = _mm_set1_epi8(out_min), hi_bytes = _mm_set1_epi8(out_max);
  for (size_t r = 0; r < mt; ++r) {
    const __m512i x = _mm512_maskz_loadu_epi32(lanes, acc + r * acc_stride);
    const __m128i bytes = _mm_max_epi8(_mm512_cvtsepi32_epi8(op(x, t)), lo_bytes);
    _mm_mask_storeu_epi8(c + r * c_stride, lanes, _mm_min_epi8(bytes, hi_bytes));
  }
}

// The last 1-8 channels of rows, several rows per vector: with up to 4 channels each row takes a
// 128-bit part (4 rows per vector), with 5-8 a 256-bit part (2 rows); masked loads and stores of the
// row's own channels only, the terms repeated in every part. Returns the rows done (a multiple of the
// rows per vector). One masked vector per row spent as much on a 36-channel depthwise layer's last 4
// channels as its packed stores on the other 32.
template <class Op>
size_t narrow_rest_rows(size_t mt, size_t width, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                        const float* multiplier, const float* offset, const Op& op, int8_t out_min, int8_t out_max,
                        int8_t* c, size_t c_stride) {
  const __mmask8 row_lanes = __mmask8((1u << width) - 1);
  const __m128i lo_bytes = _mm_set1_epi8(out_min), hi_bytes = _mm_set1_epi8(out_max);
  size_t r = 0;
  if (width <= 4) {
    const Terms t = {_mm512_broadcast_i32x4(_mm_maskz_loadu_epi32(row_lanes, correction)),
                     _mm512_broadcast_f32x4(_mm_maskz_loadu_ps(row_lanes, multiplier)),
                     _mm512_broadcast_f32x4(_mm_maskz_loadu_ps(row_lanes, offset))};
    for (; r + 4 <= mt; r += 4) {
      const int32_t* a = acc + r * acc_stride;
      __m512i x = _mm512_castsi128_si512(_mm_maskz_loadu_epi32(row_lanes, a));
      x = _mm512_inserti32x4(x, _mm_maskz_loadu_epi32(row_lanes, a + acc_stride), 1);
      x = _mm512_inserti32x4(x, _mm_maskz_loadu_epi32(row_lanes, a + 2 * acc_stride), 2);
      x = _mm512_inserti32x4(x, _mm_maskz_loadu_epi32(row_lanes, a + 3 * acc_stride), 3);
      const __m128i bytes = _mm_min_epi8(_mm_max_epi8(_mm512_cvtsepi32_epi8(op(x, t)), lo_bytes), hi_bytes);
      int8_t* row = c + r * c_stride;
      const __mmask16 store = row_lanes;
      _mm_mask_storeu_epi8(row, store, bytes);
      _mm_mask_storeu_epi8(row + c_stride, store, _mm_bsrli_si128(bytes, 4));
      _mm_mask_storeu_epi8(row + 2 * c_stride, store, _mm_bsrli_si128(bytes, 8));
      _mm_mask_storeu_epi8(row + 3 * c_stride, store, _mm_bsrli_si128(bytes, 12));
    }
    return r;
  }
  const Terms t = {_mm512_broadcast_i64x4(_mm256_maskz_loadu_epi32(row_lanes, correction)),
                   _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_maskz_loadu_ps(row_lanes, multiplier)))),
                   _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_maskz_loadu_ps(row_lanes, offset))))};
  for (; r + 2 <= mt; r += 2) {
    const int32_t* a = acc + r * acc_stride;
    const __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_maskz_loadu_epi32(row_lanes, a)),
                                         _mm256_maskz_loadu_epi32(row_lanes, a + acc_stride), 1);
    const __m128i bytes = _mm_min_epi8(_mm_max_epi8(_mm512_cvtsepi32_epi8(op(x, t)), lo_bytes), hi_bytes);
    _mm_mask_storeu_epi8(c + r * c_stride, row_lanes, bytes);
    _mm_mask_storeu_epi8(c + (r + 1) * c_stride, row_lanes, _mm_bsrli_si128(bytes, 8));
  }
  return r;
}

// Whether the terms of channels [j0, j1) pass terms_bound_y.
inline bool bounded(size_t j0, size_t j1, const float* multiplier, const float* offset) {
  bool ok = true;
  for (size_t j = j0; j < j1 && ok; j += 16) {
    const __mmask16 lanes = j1 - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (j1 - j)) - 1);
    ok = terms_bound_y(lanes, _mm512_maskz_loadu_ps(lanes, multiplier + j), _mm512_maskz_loadu_ps(lanes, offset + j));
  }
  return ok;
}

// Channels [j0, j1) of rows [r0, mt), one vector at a time, masked at the last channels.
template <class Op>
void one_vector_rows(size_t r0, size_t mt, size_t j0, size_t j1, const int32_t* acc, size_t acc_stride,
                     const int32_t* correction, const float* multiplier, const float* offset, const Op& op,
                     int8_t out_min, int8_t out_max, int8_t* c, size_t c_stride) {
  for (size_t j = j0; j < j1 && r0 < mt; j += 16) {
    const __mmask16 lanes = j1 - j >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (j1 - j)) - 1);
    rows_of_one_vector(mt - r0, lanes, acc + r0 * acc_stride + j, acc_stride,
                       load_terms(lanes, correction + j, multiplier + j, offset + j), op, out_min, out_max,
                       c + r0 * c_stride + j, c_stride);
  }
}

// The layout of both forms: runs of 64 channels, then a group of 32 and one of 16 in packed stores (the
// rows that fill a vector), a rest of up to 8 channels with several rows per vector, then what is left
// one vector at a time (a 36-channel depthwise layer spent a quarter of its time here when every channel
// of it took the one-vector form).
template <class Op>
void epilogue(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
              const float* multiplier, const float* offset, const Op& op, int8_t out_min, int8_t out_max, int8_t* c,
              size_t c_stride) {
  size_t j = 0;
  if (nt >= 64) {
    const size_t runs = nt / 64;
    runs_of_64_channels(mt, runs, acc, acc_stride, correction, multiplier, offset, op, out_min, out_max, c, c_stride);
    j = 64 * runs;
  }
  if (nt - j >= 32) {
    const Terms t[2] = {load_terms(0xFFFF, correction + j, multiplier + j, offset + j),
                        load_terms(0xFFFF, correction + j + 16, multiplier + j + 16, offset + j + 16)};
    const size_t done = rows_in_packed_stores<2>(mt, acc + j, acc_stride, t, op, out_min, out_max, c + j, c_stride);
    one_vector_rows(done, mt, j, j + 32, acc, acc_stride, correction, multiplier, offset, op, out_min, out_max, c,
                    c_stride);
    j += 32;
  }
  if (nt - j >= 16) {
    const Terms t[1] = {load_terms(0xFFFF, correction + j, multiplier + j, offset + j)};
    const size_t done = rows_in_packed_stores<1>(mt, acc + j, acc_stride, t, op, out_min, out_max, c + j, c_stride);
    one_vector_rows(done, mt, j, j + 16, acc, acc_stride, correction, multiplier, offset, op, out_min, out_max, c,
                    c_stride);
    j += 16;
  }
  size_t done = 0;
  if (nt > j && nt - j <= 8) {
    done = narrow_rest_rows(mt, nt - j, acc + j, acc_stride, correction + j, multiplier + j, offset + j, op, out_min,
                            out_max, c + j, c_stride);
  }
  one_vector_rows(done, mt, j, nt, acc, acc_stride, correction, multiplier, offset, op, out_min, out_max, c, c_stride);
}

}  // namespace

// The float clamp of y is left out when every channel's terms pass terms_bound_y.
void t2i8_epilogue_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                              const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                              size_t c_stride) {
  if (bounded(0, nt, multiplier, offset)) {
    epilogue(mt, nt, acc, acc_stride, correction, multiplier, offset, Plain<true>(out_max), out_min, out_max, c,
             c_stride);
  } else {
    epilogue(mt, nt, acc, acc_stride, correction, multiplier, offset, Plain<false>(out_max), out_min, out_max, c,
             c_stride);
  }
}

void t2i8_epilogue_hswish_s8__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride,
                                     const int32_t* correction, const float* multiplier, const float* offset,
                                     float slope, float zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                                     size_t c_stride) {
  if (bounded(0, nt, multiplier, offset)) {
    epilogue(mt, nt, acc, acc_stride, correction, multiplier, offset, Hswish<true>(slope, zero_point, out_max),
             out_min, out_max, c, c_stride);
  } else {
    epilogue(mt, nt, acc, acc_stride, correction, multiplier, offset, Hswish<false>(slope, zero_point, out_max),
             out_min, out_max, c, c_stride);
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
