// AVX-512 (F+BW+VL) body of the int8 depthwise ukernel (dwconv-s8-internal.h), included by
// dwconv-s8-avx512.cc (avx512bw: vpmaddwd + vpaddd) and dwconv-s8-avx512vnni.cc (vpdpwssd).
// Blocks of 32, 16 and 8 channels, each block over all pixels (weights stay in registers for the
// common 3x3 and 5x5 kernels). Per tap pair the two taps' bytes are interleaved (vpunpck{l,h}bw),
// sign-extended to int16 pairs (vpmovsxbw) and multiplied with the weight pairs: int32 sums of
// exact products (|x| <= 128, |w| <= 127). On 256 bits the interleave yields channels 0-7 | 16-23
// and 8-15 | 24-31, so 32-channel blocks are packed in that lane order and reordered on store.
#pragma once

#include "avx512-intrinsics.h"

#include "dwconv/dwconv-s8-internal.h"

namespace ternrt::kernels::dwconv_avx512 {

// Dot: static __m512i step(acc, x, w) = acc + madd(x, w) (int32 lanes).
template <class Dot, size_t kPairs>
inline __attribute__((always_inline)) void block32(size_t pixels, size_t pairs_runtime, const int8_t* const* taps,
                                                   size_t input_step, size_t b0, const int16_t* w, int32_t* acc,
                                                   size_t acc_stride, bool accumulate) {
  // kPairs > 0: fixed pair count, weights held in registers; 0: any count, weights from memory.
  const size_t pairs = kPairs ? kPairs : pairs_runtime;
  __m512i wr[kPairs ? 2 * kPairs : 1];
  if constexpr (kPairs > 0) {
    for (size_t p = 0; p < kPairs; ++p) {
      wr[2 * p] = _mm512_loadu_si512(w + p * 64);
      wr[2 * p + 1] = _mm512_loadu_si512(w + p * 64 + 32);
    }
  }
  for (size_t i = 0; i < pixels; ++i) {
    int32_t* out = acc + i * acc_stride + b0;
    const size_t offset = i * input_step + b0;
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();   // channels 0-7|16-23, 8-15|24-31
    if (accumulate) {
      const __m512i c0 = _mm512_loadu_si512(out), c1 = _mm512_loadu_si512(out + 16);
      a0 = _mm512_shuffle_i64x2(c0, c1, _MM_SHUFFLE(1, 0, 1, 0));
      a1 = _mm512_shuffle_i64x2(c0, c1, _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (size_t p = 0; p < pairs; ++p) {
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(taps[2 * p] + offset));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(taps[2 * p + 1] + offset));
      const __m512i lo = _mm512_cvtepi8_epi16(_mm256_unpacklo_epi8(x0, x1));
      const __m512i hi = _mm512_cvtepi8_epi16(_mm256_unpackhi_epi8(x0, x1));
      if constexpr (kPairs > 0) {
        a0 = Dot::step(a0, lo, wr[2 * p]);
        a1 = Dot::step(a1, hi, wr[2 * p + 1]);
      } else {
        a0 = Dot::step(a0, lo, _mm512_loadu_si512(w + p * 64));
        a1 = Dot::step(a1, hi, _mm512_loadu_si512(w + p * 64 + 32));
      }
    }
    _mm512_storeu_si512(out, _mm512_shuffle_i64x2(a0, a1, _MM_SHUFFLE(1, 0, 1, 0)));
    _mm512_storeu_si512(out + 16, _mm512_shuffle_i64x2(a0, a1, _MM_SHUFFLE(3, 2, 3, 2)));
  }
}

// kPairs as for block32: a fixed count unrolls the pair loop, so the tap pointers and weights stay out
// of it (the 8-channel tail of a 36-channel layer spent a third of its time on the loop itself).
template <class Dot, size_t kPairs>
inline __attribute__((always_inline)) void block16(size_t pixels, size_t pairs_runtime, const int8_t* const* taps,
                                                   size_t input_step, size_t b0, const int16_t* w, int32_t* acc,
                                                   size_t acc_stride, bool accumulate) {
  const size_t pairs = kPairs ? kPairs : pairs_runtime;
  for (size_t i = 0; i < pixels; ++i) {
    int32_t* out = acc + i * acc_stride + b0;
    const size_t offset = i * input_step + b0;
    __m512i a0 = accumulate ? _mm512_loadu_si512(out) : _mm512_setzero_si512();
    for (size_t p = 0; p < pairs; ++p) {
      const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[2 * p] + offset));
      const __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(taps[2 * p + 1] + offset));
      const __m256i both =
          _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi8(x0, x1)), _mm_unpackhi_epi8(x0, x1), 1);
      a0 = Dot::step(a0, _mm512_cvtepi8_epi16(both), _mm512_loadu_si512(w + p * 32));
    }
    _mm512_storeu_si512(out, a0);
  }
}

template <size_t kPairs>
inline __attribute__((always_inline)) void block8(size_t pixels, size_t pairs_runtime, const int8_t* const* taps,
                                                  size_t input_step, size_t b0, const int16_t* w, int32_t* acc,
                                                  size_t acc_stride, bool accumulate) {
  const size_t pairs = kPairs ? kPairs : pairs_runtime;
  for (size_t i = 0; i < pixels; ++i) {
    int32_t* out = acc + i * acc_stride + b0;
    const size_t offset = i * input_step + b0;
    __m256i a0 = accumulate ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out)) : _mm256_setzero_si256();
    for (size_t p = 0; p < pairs; ++p) {
      const __m128i x0 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(taps[2 * p] + offset));
      const __m128i x1 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(taps[2 * p + 1] + offset));
      const __m256i x = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + p * 16))));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), a0);
  }
}

template <class Dot>
inline __attribute__((always_inline)) void ukernel(size_t channels, size_t pixels, size_t pairs,
                                                   const int8_t* const* taps, size_t input_step,
                                                   const int16_t* weights, int32_t* acc, size_t acc_stride,
                                                   bool accumulate) {
  size_t b0 = 0;
  for (; b0 + 32 <= channels; b0 += 32) {
    const int16_t* w = weights + 2 * b0 * pairs;
    switch (pairs) {   // 3x3 and 5x5 kernels
      case 5: block32<Dot, 5>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
      case 13: block32<Dot, 13>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
      default: block32<Dot, 0>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
    }
  }
  if (b0 + 16 <= channels) {
    const int16_t* w = weights + 2 * b0 * pairs;
    switch (pairs) {
      case 5: block16<Dot, 5>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
      case 13: block16<Dot, 13>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
      default: block16<Dot, 0>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
    }
    b0 += 16;
  }
  if (b0 < channels) {
    const int16_t* w = weights + 2 * b0 * pairs;
    switch (pairs) {
      case 5: block8<5>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
      case 13: block8<13>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
      default: block8<0>(pixels, pairs, taps, input_step, b0, w, acc, acc_stride, accumulate); break;
    }
  }
}

}  // namespace ternrt::kernels::dwconv_avx512
