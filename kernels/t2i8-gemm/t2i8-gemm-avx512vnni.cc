// AVX-512 VNNI t2i8 GEMM / GEMV: t2i8_gemm_{1,8}x32c4__avx512vnni and t2i8_gemm_{1,8,16}x16c4__avx512vnni
// and their u8-activation forms t2u8_gemm_* (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni only); at the end, the int8-weight
// i8i8_gemm_{1,8}x{16,32}c4__avx512vnni and i8i8_gemm_16x16c4__avx512vnni (layout s8_c4_wsums, no
// activation sums) and the u8-activation forms of the GEMM ones, u8i8_gemm_*__avx512vnni. The 16x16 tiles serve layers of up to 16 channels, where a call's work is small. t2i8 weights:
// code_planes_c4 with vec_cols = 16 (one zmm = 16 channels x 4 k); NV = nr / 16 weight vectors per chunk.
// vpdpbusd(acc, u8 u, s8 a) adds u0*a0 + .. + u3*a3 straight into int32 (no saturation, no int16
// stage); sum_k a is subtracted at the end. Reads a rows up to round_up(k, 4) bytes (GEMV: 16).
// The GEMV kernels (1x..) take any nc (consecutive tiles, see T2I8GemmUkernelFn) and run
// 128 channels at a time as separate weight streams with software prefetch: at batch 1 the weights
// come from DRAM, and one sequential stream left to the hardware prefetcher reached ~6 GB/s on the
// machine of benchmarks/RESULTS.md, four prefetched streams ~12 GB/s.
#include "avx512-intrinsics.h"

#include <cstring>

#include "hardware-config.h"
#include "t2i8-gemm/gemv-planes-avx512.h"
#include "t2i8-gemm/requantize-s8-avx512.h"
#include "t2i8-ukernel-define.h"
#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

inline __m512i broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return _mm512_set1_epi32(value);
}

// One group of 4 k (u: its multipliers, from the chunk's planes) for every row.
template <size_t MR, size_t NV, bool kU8>
__attribute__((always_inline)) inline void dot_group(const __m512i (&u)[NV], const int8_t* const (&a_rows)[MR], size_t kk,
                                                     __m512i (&acc)[MR][NV]) {
#pragma GCC unroll 16
  for (size_t r = 0; r < MR; ++r) {
    const __m512i x = broadcast_4bytes(a_rows[r] + kk);
#pragma GCC unroll 2
    for (size_t v = 0; v < NV; ++v)
      acc[r][v] = kU8 ? _mm512_dpbusd_epi32(acc[r][v], x, u[v]) : _mm512_dpbusd_epi32(acc[r][v], u[v], x);
  }
}

// kU8: the t2u8 forms (t2u8-gemm.inc): activation bytes read as u8, weights as t = u - 1 in s8
// (one subtraction per weight vector and group), acc += sum t * a_u8 with no activation sums.
// Otherwise acc += sum u * a (the caller subtracts sum_k a).
template <size_t MR, size_t NV, bool kU8>
__attribute__((always_inline)) inline void accumulate_t2i8(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                           size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                           __m512i (&acc)[MR][NV]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i one = _mm512_set1_epi8(1);
  // A last chunk of k % 16 trits runs only its (k % 16 + 3) / 4 groups: the rest hold u = 0, and
  // K = 12, 20 or 36 would spend a quarter to a third of the multiplies on them.
  const size_t full_chunks = k / 16, tail_groups = (k % 16 + 3) / 4;
  for (size_t q = 0; q < slices; ++q) {
    size_t kk = 0;
    for (size_t chunk = 0; chunk < full_chunks; ++chunk, kk += 16, w += 64 * NV) {
      __m512i planes[NV];
      for (size_t v = 0; v < NV; ++v) planes[v] = _mm512_loadu_si512(w + 64 * v);
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        __m512i u[NV];
        for (size_t v = 0; v < NV; ++v) {
          u[v] = _mm512_and_si512(_mm512_srli_epi16(planes[v], 2 * g), mask);
          if (kU8) u[v] = _mm512_sub_epi8(u[v], one);   // t
        }
        dot_group<MR, NV, kU8>(u, a_rows, kk + 4 * g, acc);
      }
    }
    if (tail_groups != 0) {
      __m512i planes[NV];
      for (size_t v = 0; v < NV; ++v) planes[v] = _mm512_loadu_si512(w + 64 * v);
      w += 64 * NV;
      for (size_t g = 0; g < tail_groups; ++g, kk += 4) {
        __m512i u[NV];
        for (size_t v = 0; v < NV; ++v) {
          u[v] = _mm512_and_si512(planes[v], mask);
          planes[v] = _mm512_srli_epi16(planes[v], 2);
          if (kU8) u[v] = _mm512_sub_epi8(u[v], one);   // t
        }
        dot_group<MR, NV, kU8>(u, a_rows, kk, acc);
      }
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR, size_t NV, bool kU8 = false>
__attribute__((always_inline)) inline void gemm_avx512vnni(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                            size_t c_stride) {
  __m512i acc[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();
  accumulate_t2i8<MR, NV, kU8>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  for (size_t r = 0; r < mr; ++r) {
    const __m512i sum = kU8 ? _mm512_setzero_si512() : _mm512_set1_epi32(a_sums[r]);
    int32_t* c_row = c + r * c_stride;
    for (size_t v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(c_row + 16 * v, lane_mask(nc, v), _mm512_sub_epi32(acc[r][v], sum));
  }
}

template <size_t MR, size_t NV, bool kU8 = false>
__attribute__((always_inline)) inline void gemm_minmax_avx512vnni(size_t mr, size_t nc, size_t k, size_t slices,
                                                                  const int8_t* a, size_t a_stride,
                                                                  size_t a_slice_stride, const uint8_t* w,
                                                                  const int32_t* a_sums, const RequantS8Terms& t,
                                                                  int8_t* c, size_t c_stride) {
  __m512i acc[MR][NV];
  start_minmax_tile<MR, NV>(mr, nc, a_sums, kU8 ? 0 : 1, t, acc);
  accumulate_t2i8<MR, NV, kU8>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  requantize_tile<MR, NV>(mr, nc, acc, t, c, c_stride);
}

// Bytes ahead of each weight stream to prefetch (into L1): 1 KiB per stream was the best of
// 512 / 1024 / 1536 / 2048 with 4 streams (benchmarks/RESULTS.md).
constexpr size_t kGemvPrefetchBytes = 1024;

// GEMV over `tiles` consecutive tiles (T of NV vectors each, tile_bytes apart) as T streams; nc
// channels are written (nc <= 16 * NV * T). Each channel's arithmetic is that of gemm_avx512vnni.
template <size_t NV, size_t T>
inline void gemv_tiles_avx512vnni(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride,
                                  const uint8_t* w, size_t tile_bytes, int32_t a_sum, int32_t* c) {
  const __m512i mask = _mm512_set1_epi8(3);
  __m512i acc[T][NV];
  const uint8_t* stream[T];
  for (size_t t = 0; t < T; ++t) {
    stream[t] = w + t * tile_bytes;
    for (size_t v = 0; v < NV; ++v) acc[t][v] = _mm512_setzero_si512();
  }
  const size_t chunks = (k + 15) / 16;
  for (size_t q = 0; q < slices; ++q, a += a_slice_stride) {
    for (size_t chunk = 0, kk = 0; chunk < chunks; ++chunk, kk += 16) {
      __m512i planes[T][NV];
      for (size_t t = 0; t < T; ++t) {
        // One prefetch per 64-byte line (NV lines per chunk and stream); prefetches past the end of
        // the weights are harmless (no fault).
        for (size_t v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(stream[t]) + kGemvPrefetchBytes + 64 * v, _MM_HINT_T0);
        for (size_t v = 0; v < NV; ++v) planes[t][v] = _mm512_loadu_si512(stream[t] + 64 * v);
        stream[t] += 64 * NV;
      }
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        const __m512i x = broadcast_4bytes(a + kk + 4 * g);
        for (size_t t = 0; t < T; ++t)
          for (size_t v = 0; v < NV; ++v)
            acc[t][v] = _mm512_dpbusd_epi32(acc[t][v], _mm512_and_si512(_mm512_srli_epi16(planes[t][v], 2 * g), mask), x);
      }
    }
  }
  const __m512i sum = _mm512_set1_epi32(a_sum);
  for (size_t t = 0; t < T; ++t)
    for (size_t v = 0; v < NV; ++v)
      _mm512_mask_storeu_epi32(c + 16 * (NV * t + v), lane_mask(nc, NV * t + v), _mm512_sub_epi32(acc[t][v], sum));
}

// GEMV as one weight stream, tile after tile, prefetching kPrefetch bytes ahead; the even and odd
// groups of a chunk go to two accumulator sets (one set's dependency chain bounded the loop). Where
// the hardware config prefers it (AMD: on the Zen 5 machine of benchmarks/RESULTS.md, 140-160 GMAC/s
// from DRAM against 85-97 with the four streams below; prefetch distances 1-16 KiB and 1, 2, 4, 8
// streams were tried, 8 KiB and one stream best). Same sums, so the same results.
template <size_t NV, size_t kPrefetch>
inline void gemv_one_stream_avx512vnni(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride,
                                       const uint8_t* w, const int32_t* a_sums, int32_t* c) {
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i sum = _mm512_set1_epi32(a_sums[0]);
  const size_t chunks = (k + 15) / 16;
  for (size_t n0 = 0; n0 < nc; n0 += 16 * NV, c += 16 * NV) {
    __m512i acc[2][NV];
    for (size_t v = 0; v < NV; ++v) acc[0][v] = acc[1][v] = _mm512_setzero_si512();
    const int8_t* ap = a;
    for (size_t q = 0; q < slices; ++q, ap += a_slice_stride) {
      for (size_t chunk = 0, kk = 0; chunk < chunks; ++chunk, kk += 16) {
        __m512i planes[NV];
        w = load_planes_prefetched<NV, kPrefetch>(w, planes);
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) {
          const __m512i x = broadcast_4bytes(ap + kk + 4 * g);
          for (size_t v = 0; v < NV; ++v)
            acc[g & 1][v] = _mm512_dpbusd_epi32(acc[g & 1][v], _mm512_and_si512(_mm512_srli_epi16(planes[v], 2 * g), mask), x);
        }
      }
    }
    const size_t left = nc - n0;
    for (size_t v = 0; v < NV; ++v)
      _mm512_mask_storeu_epi32(c + 16 * v, lane_mask(left, v), _mm512_sub_epi32(_mm512_add_epi32(acc[0][v], acc[1][v]), sum));
  }
}

// 128 channels per pass: 4 streams of 32-wide tiles or 8 of 16-wide ones (16 accumulators).
template <size_t NV>
inline void gemv_avx512vnni(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride, const uint8_t* w,
                            const int32_t* a_sums, int32_t* c) {
  constexpr size_t kStreams = 8 / NV, kTileChannels = 16 * NV;
  const size_t tile_bytes = kTileChannels * (slices * ((k + 15) / 16 * 16)) / 4;
  for (; nc >= kStreams * kTileChannels; nc -= kStreams * kTileChannels) {
    gemv_tiles_avx512vnni<NV, kStreams>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c);
    w += kStreams * tile_bytes;
    c += kStreams * kTileChannels;
  }
  if (nc == 0) return;
  // 1..kStreams tiles left (kStreams when the last one is partial).
  switch ((nc + kTileChannels - 1) / kTileChannels) {
    case 1: gemv_tiles_avx512vnni<NV, 1>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 2: gemv_tiles_avx512vnni<NV, 2>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 3: gemv_tiles_avx512vnni<NV, 3>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 4: gemv_tiles_avx512vnni<NV, 4>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 5: gemv_tiles_avx512vnni<NV, 5>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 6: gemv_tiles_avx512vnni<NV, 6>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 7: gemv_tiles_avx512vnni<NV, 7>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    default: gemv_tiles_avx512vnni<NV, 8>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;   // partial last tile
  }
}

}  // namespace

#define TERNRT_VNNI_GEMV_UKERNEL(name, NV)                                                                \
  void name(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,      \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t /*c_stride*/) { \
    if (hardware_config().gemv_one_stream) {                                                               \
      gemv_one_stream_avx512vnni<NV, kGemvOneStreamPrefetchBytes>(nc, k, slices, a, a_slice_stride, w, a_sums, c); \
    } else {                                                                                               \
      gemv_avx512vnni<NV>(nc, k, slices, a, a_slice_stride, w, a_sums, c);                                 \
    }                                                                                                      \
  }
TERNRT_VNNI_GEMV_UKERNEL(t2i8_gemm_1x32c4__avx512vnni, 2)
TERNRT_VNNI_GEMV_UKERNEL(t2i8_gemm_1x16c4__avx512vnni, 1)
#undef TERNRT_VNNI_GEMV_UKERNEL

TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_8x32c4__avx512vnni, gemm_avx512vnni<8, 2>)
TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_8x16c4__avx512vnni, gemm_avx512vnni<8, 1>)
TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_16x16c4__avx512vnni, gemm_avx512vnni<16, 1>)
TERNRT_DEFINE_SLICED_UKERNEL(t2u8_gemm_8x32c4__avx512vnni, gemm_avx512vnni<8, 2, true>)
TERNRT_DEFINE_SLICED_UKERNEL(t2u8_gemm_8x16c4__avx512vnni, gemm_avx512vnni<8, 1, true>)
TERNRT_DEFINE_SLICED_UKERNEL(t2u8_gemm_16x16c4__avx512vnni, gemm_avx512vnni<16, 1, true>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_8x32c4__avx512vnni, 8, gemm_minmax_avx512vnni<8, 2>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_8x16c4__avx512vnni, 8, gemm_minmax_avx512vnni<8, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_16x16c4__avx512vnni, 16, gemm_minmax_avx512vnni<16, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2u8_gemm_minmax_fp32_8x32c4__avx512vnni, 8, gemm_minmax_avx512vnni<8, 2, true>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2u8_gemm_minmax_fp32_8x16c4__avx512vnni, 8, gemm_minmax_avx512vnni<8, 1, true>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2u8_gemm_minmax_fp32_16x16c4__avx512vnni, 16, gemm_minmax_avx512vnni<16, 1, true>)

// i8i8 (int8 weights), layout s8_c4_wsums with vec_cols = 16: per step of 4 k, NV zmm of int8
// weights; after the steps, 16 * NV int32 of 128 * sum_k w. vpdpbusd multiplies u8 by s8, so each
// activation byte is flipped to a + 128 (XOR 0x80) as it is broadcast, and 128 * sum_k w, a constant
// of the weights, is subtracted at the end: no activation sums (t2i8 layouts need them), which saves a
// pass over the rows, or for a convolution read in place, over the image and every window.
// Exact: |sum (a + 128) w| <= K * 255 * 127 fits int32 for any K below 66000. Reads a rows up to
// round_up(k, 4) bytes. kFlip = false: the u8i8 forms (u8i8-gemm.inc), for activations stored
// flipped already; with one zmm of weights per step the flip was half the ALU instructions.
namespace {

// acc += sum over the tile's steps of (a + 128) * w (kFlip) or a_u8 * w; returns w at the tile's
// weight sums.
template <size_t MR, size_t NV, bool kFlip>
__attribute__((always_inline)) inline const uint8_t* accumulate_i8i8(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                                     size_t a_stride, size_t a_slice_stride,
                                                                     const uint8_t* w, __m512i (&acc)[MR][NV]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const __m512i flip = _mm512_set1_epi8(-128);
  const size_t steps = (k + 3) / 4;
  for (size_t q = 0; q < slices; ++q) {
    for (size_t step = 0, kk = 0; step < steps; ++step, kk += 4, w += 64 * NV) {
      __m512i weights[NV];
      for (size_t v = 0; v < NV; ++v) weights[v] = _mm512_loadu_si512(w + 64 * v);
#pragma GCC unroll 16
      for (size_t r = 0; r < MR; ++r) {
        const __m512i x = kFlip ? _mm512_xor_si512(broadcast_4bytes(a_rows[r] + kk), flip) : broadcast_4bytes(a_rows[r] + kk);
        for (size_t v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], x, weights[v]);
      }
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
  return w;
}

template <size_t MR, size_t NV, bool kFlip = true>
__attribute__((always_inline)) inline void i8i8_gemm_avx512vnni(size_t mr, size_t nc, size_t k, size_t slices,
                                                                const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                                const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                                                                size_t c_stride) {
  __m512i acc[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();
  w = accumulate_i8i8<MR, NV, kFlip>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  __m512i offset[NV];
  for (size_t v = 0; v < NV; ++v) offset[v] = _mm512_loadu_si512(w + 64 * v);
  for (size_t r = 0; r < mr; ++r) {
    int32_t* c_row = c + r * c_stride;
    for (size_t v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(c_row + 16 * v, lane_mask(nc, v), _mm512_sub_epi32(acc[r][v], offset[v]));
  }
}

// Requantizing form: the accumulators start at -(128 * sum_k w + correction), both per channel.
template <size_t MR, size_t NV, bool kFlip = true>
__attribute__((always_inline)) inline void i8i8_gemm_minmax_avx512vnni(size_t mr, size_t nc, size_t k, size_t slices,
                                                                       const int8_t* a, size_t a_stride,
                                                                       size_t a_slice_stride, const uint8_t* w,
                                                                       const int32_t* /*a_sums*/,
                                                                       const RequantS8Terms& t, int8_t* c,
                                                                       size_t c_stride) {
  const uint8_t* sums = w + slices * ((k + 3) / 4) * 64 * NV;
  __m512i start[NV];
  for (size_t v = 0; v < NV; ++v) {
    const __m512i corr = _mm512_maskz_loadu_epi32(lane_mask(nc, v), t.correction + 16 * v);
    start[v] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_add_epi32(_mm512_loadu_si512(sums + 64 * v), corr));
  }
  __m512i acc[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc[r][v] = start[v];
  accumulate_i8i8<MR, NV, kFlip>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  requantize_tile<MR, NV>(mr, nc, acc, t, c, c_stride);
}

// GEMV: any nc, one tile after the other (tiles are consecutive).
template <size_t NV>
void i8i8_gemv_avx512vnni(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride, const uint8_t* w,
                          int32_t* c) {
  constexpr size_t kTile = 16 * NV;
  const size_t tile_bytes = kTile * (slices * ((k + 3) / 4 * 4) + sizeof(int32_t));
  for (size_t j = 0; j < nc; j += kTile, w += tile_bytes) {
    i8i8_gemm_avx512vnni<1, NV>(1, nc - j < kTile ? nc - j : kTile, k, slices, a, 0, a_slice_stride, w, nullptr, c + j, 0);
  }
}

}  // namespace

void i8i8_gemm_1x16c4__avx512vnni(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,
                                  size_t a_slice_stride, const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                                  size_t /*c_stride*/) {
  i8i8_gemv_avx512vnni<1>(nc, k, slices, a, a_slice_stride, w, c);
}
void i8i8_gemm_1x32c4__avx512vnni(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,
                                  size_t a_slice_stride, const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                                  size_t /*c_stride*/) {
  i8i8_gemv_avx512vnni<2>(nc, k, slices, a, a_slice_stride, w, c);
}
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_8x16c4__avx512vnni, i8i8_gemm_avx512vnni<8, 1>)
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_8x32c4__avx512vnni, i8i8_gemm_avx512vnni<8, 2>)
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_16x16c4__avx512vnni, i8i8_gemm_avx512vnni<16, 1>)
TERNRT_DEFINE_SLICED_UKERNEL(u8i8_gemm_8x16c4__avx512vnni, i8i8_gemm_avx512vnni<8, 1, false>)
TERNRT_DEFINE_SLICED_UKERNEL(u8i8_gemm_8x32c4__avx512vnni, i8i8_gemm_avx512vnni<8, 2, false>)
TERNRT_DEFINE_SLICED_UKERNEL(u8i8_gemm_16x16c4__avx512vnni, i8i8_gemm_avx512vnni<16, 1, false>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_8x16c4__avx512vnni, 8, i8i8_gemm_minmax_avx512vnni<8, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_8x32c4__avx512vnni, 8, i8i8_gemm_minmax_avx512vnni<8, 2>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_16x16c4__avx512vnni, 16, i8i8_gemm_minmax_avx512vnni<16, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(u8i8_gemm_minmax_fp32_8x16c4__avx512vnni, 8, i8i8_gemm_minmax_avx512vnni<8, 1, false>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(u8i8_gemm_minmax_fp32_8x32c4__avx512vnni, 8, i8i8_gemm_minmax_avx512vnni<8, 2, false>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(u8i8_gemm_minmax_fp32_16x16c4__avx512vnni, 16, i8i8_gemm_minmax_avx512vnni<16, 1, false>)

}  // namespace ternrt::kernels
