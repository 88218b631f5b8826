// AVX-512BW t2i8 GEMM / GEMV: t2i8_gemm_{1,6}x32c4__avx512bw and t2i8_gemm_{1,12}x16c4__avx512bw
// (compiled with -mavx512f -mavx512bw -mavx512vl only). Weights: code_planes_c4 with vec_cols = 16
// (one zmm = 16 channels x 4 k); NV = nr / 16 weight vectors per chunk.
// Same arithmetic as the AVX2 kernel: vpmaddubsw(u8 u, s8 a) lanes are in [-512, 508], so 64 int16
// additions (16 chunks) cannot overflow before vpmaddwd(ones) widens them; then sum_k a is
// subtracted. Reads a rows up to round_up(k, 4) bytes (GEMV: 16).
// The GEMV kernels (1x..) take any nc (consecutive tiles) and run 64 channels at a time as
// separate prefetched weight streams, or tile after tile as one stream where the hardware config
// prefers that (AMD), like the VNNI ones (see t2i8-gemm-avx512vnni.cc for why).
// Also the int8-weight i8i8_gemm_{1,6}x16c4__avx512bw and i8i8_gemm_{1,4}x32c4__avx512bw, and the
// AVX-512 float epilogue and activation row sums (used by the avx512bw and avx512vnni paths).
#include "avx512-intrinsics.h"

#include <cstring>

#include "hardware-config.h"
#include "t2i8-gemm/gemv-planes-avx512.h"
#include "t2i8-gemm/requantize-s8-avx512.h"
#include "t2i8-ukernel-define.h"
#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kChunksPerBlock = 16;

inline __m512i broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return _mm512_set1_epi32(value);
}

// One group of 4 k (u: its multipliers, from the chunk's planes) for every row, into int16.
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void maddubs_group(const __m512i (&u)[NV], const int8_t* const (&a_rows)[MR],
                                                         size_t kk, __m512i (&acc16)[MR][NV]) {
#pragma GCC unroll 16
  for (size_t r = 0; r < MR; ++r) {
    const __m512i x = broadcast_4bytes(a_rows[r] + kk);
#pragma GCC unroll 2
    for (size_t v = 0; v < NV; ++v) {
      acc16[r][v] = _mm512_add_epi16(acc16[r][v], _mm512_maddubs_epi16(u[v], x));
      __asm__("" : "+v"(acc16[r][v]));   // pins the update order (see t2i8-gemm-avx2.cc)
    }
  }
}

// acc32 += sum u * a over the tile's chunks (the caller subtracts sum_k a). A last chunk of
// k % 16 trits runs only its (k % 16 + 3) / 4 groups (the rest hold u = 0).
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void accumulate_t2i8(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                           size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                           __m512i (&acc32)[MR][NV]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i ones = _mm512_set1_epi16(1);

  // int16 blocks restart with each slice (one widening per slice and block).
  const size_t chunks = (k + 15) / 16, full_chunks = k / 16, tail_groups = (k % 16 + 3) / 4;
  for (size_t q = 0; q < slices; ++q) {
    size_t kk = 0;
    for (size_t chunk = 0; chunk < chunks;) {
      const size_t block_end = chunk + kChunksPerBlock < chunks ? chunk + kChunksPerBlock : chunks;
      const size_t full_end = block_end < full_chunks ? block_end : full_chunks;
      __m512i acc16[MR][NV];
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v) acc16[r][v] = _mm512_setzero_si512();
      for (; chunk < full_end; ++chunk, kk += 16, w += 64 * NV) {
        __m512i planes[NV];
        for (size_t v = 0; v < NV; ++v) planes[v] = _mm512_loadu_si512(w + 64 * v);
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) {
          __m512i u[NV];
          for (size_t v = 0; v < NV; ++v) u[v] = _mm512_and_si512(_mm512_srli_epi16(planes[v], 2 * g), mask);
          maddubs_group<MR, NV>(u, a_rows, kk + 4 * g, acc16);
        }
      }
      if (chunk < block_end) {   // the partial last chunk
        __m512i planes[NV];
        for (size_t v = 0; v < NV; ++v) planes[v] = _mm512_loadu_si512(w + 64 * v);
        for (size_t g = 0; g < tail_groups; ++g) {
          __m512i u[NV];
          for (size_t v = 0; v < NV; ++v) {
            u[v] = _mm512_and_si512(planes[v], mask);
            planes[v] = _mm512_srli_epi16(planes[v], 2);
          }
          maddubs_group<MR, NV>(u, a_rows, kk + 4 * g, acc16);
        }
        ++chunk, kk += 16, w += 64 * NV;
      }
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm512_add_epi32(acc32[r][v], _mm512_madd_epi16(acc16[r][v], ones));
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void gemm_avx512bw(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                          size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                          size_t c_stride) {
  __m512i acc32[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm512_setzero_si512();
  accumulate_t2i8<MR, NV>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  for (size_t r = 0; r < mr; ++r) {
    const __m512i sum = _mm512_set1_epi32(a_sums[r]);
    int32_t* c_row = c + r * c_stride;
    for (size_t v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(c_row + 16 * v, lane_mask(nc, v), _mm512_sub_epi32(acc32[r][v], sum));
  }
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void gemm_minmax_avx512bw(size_t mr, size_t nc, size_t k, size_t slices,
                                                                const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                                const uint8_t* w, const int32_t* a_sums,
                                                                const RequantS8Terms& t, int8_t* c, size_t c_stride) {
  __m512i acc32[MR][NV];
  start_minmax_tile<MR, NV>(mr, nc, a_sums, 1, t, acc32);
  accumulate_t2i8<MR, NV>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  requantize_tile<MR, NV>(mr, nc, acc32, t, c, c_stride);
}

// i8i8 (int8 weights), layout offset_nibbles_c4 with vec_cols = 16: per step of 4 k, NV zmm of the
// low nibbles of u = w + 128, then NV of the high ones. vpmaddubsw(nibble, s8 a) lanes are in
// [-3840, 3810], so 8 steps fit int16 (|sum| <= 30720); each 8-step block is widened with
// vpmaddwd(ones) for the low and vpmaddwd(16) for the high nibbles. 128 * sum_k a is subtracted at
// the end. Reads a rows up to round_up(k, 4) bytes.
constexpr size_t kNibbleStepsPerBlock = 8;

// acc32 += sum u * a over the tile's steps (u = w + 128; the caller subtracts 128 * sum_k a).
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void accumulate_i8i8(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                           size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                           __m512i (&acc32)[MR][NV]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const __m512i ones = _mm512_set1_epi16(1), sixteens = _mm512_set1_epi16(16);
  const size_t steps = (k + 3) / 4;
  for (size_t q = 0; q < slices; ++q) {
    for (size_t step = 0, kk = 0; step < steps;) {
      const size_t block_end = step + kNibbleStepsPerBlock < steps ? step + kNibbleStepsPerBlock : steps;
      __m512i lo16[MR][NV], hi16[MR][NV];
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v) lo16[r][v] = hi16[r][v] = _mm512_setzero_si512();
      for (; step < block_end; ++step, kk += 4, w += 128 * NV) {
        __m512i lo[NV], hi[NV];
        for (size_t v = 0; v < NV; ++v) {
          lo[v] = _mm512_loadu_si512(w + 64 * v);
          hi[v] = _mm512_loadu_si512(w + 64 * (NV + v));
        }
#pragma GCC unroll 16
        for (size_t r = 0; r < MR; ++r) {
          const __m512i x = broadcast_4bytes(a_rows[r] + kk);
          for (size_t v = 0; v < NV; ++v) {
            lo16[r][v] = _mm512_add_epi16(lo16[r][v], _mm512_maddubs_epi16(lo[v], x));
            hi16[r][v] = _mm512_add_epi16(hi16[r][v], _mm512_maddubs_epi16(hi[v], x));
            __asm__("" : "+v"(lo16[r][v]), "+v"(hi16[r][v]));   // pins the update order
          }
        }
      }
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v)
          acc32[r][v] = _mm512_add_epi32(acc32[r][v], _mm512_add_epi32(_mm512_madd_epi16(lo16[r][v], ones),
                                                                       _mm512_madd_epi16(hi16[r][v], sixteens)));
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void i8i8_gemm_avx512bw(size_t mr, size_t nc, size_t k, size_t slices,
                                                              const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                              const uint8_t* w, const int32_t* a_sums, int32_t* c,
                                                              size_t c_stride) {
  __m512i acc32[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm512_setzero_si512();
  accumulate_i8i8<MR, NV>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  for (size_t r = 0; r < mr; ++r) {
    const __m512i offset = _mm512_set1_epi32(a_sums[r] * 128);
    int32_t* c_row = c + r * c_stride;
    for (size_t v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(c_row + 16 * v, lane_mask(nc, v), _mm512_sub_epi32(acc32[r][v], offset));
  }
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void i8i8_gemm_minmax_avx512bw(size_t mr, size_t nc, size_t k, size_t slices,
                                                                     const int8_t* a, size_t a_stride,
                                                                     size_t a_slice_stride, const uint8_t* w,
                                                                     const int32_t* a_sums, const RequantS8Terms& t,
                                                                     int8_t* c, size_t c_stride) {
  __m512i acc32[MR][NV];
  start_minmax_tile<MR, NV>(mr, nc, a_sums, 128, t, acc32);
  accumulate_i8i8<MR, NV>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  requantize_tile<MR, NV>(mr, nc, acc32, t, c, c_stride);
}

// GEMV: any nc, one tile after the other (tiles are consecutive).
template <size_t NV>
void i8i8_gemv_avx512bw(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride, const uint8_t* w,
                        const int32_t* a_sums, int32_t* c) {
  constexpr size_t kTile = 16 * NV;
  const size_t tile_bytes = 2 * kTile * slices * ((k + 3) / 4 * 4);
  for (size_t j = 0; j < nc; j += kTile, w += tile_bytes) {
    i8i8_gemm_avx512bw<1, NV>(1, nc - j < kTile ? nc - j : kTile, k, slices, a, 0, a_slice_stride, w, a_sums, c + j, 0);
  }
}

constexpr size_t kGemvPrefetchBytes = 1024;   // per stream, as in t2i8-gemm-avx512vnni.cc

// GEMV over T consecutive tiles (NV vectors each, tile_bytes apart) as T streams; writes nc
// channels (nc <= 16 * NV * T). Same int16 blocks and widening as gemm_avx512bw.
template <size_t NV, size_t T>
inline void gemv_tiles_avx512bw(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride,
                                const uint8_t* w, size_t tile_bytes, int32_t a_sum, int32_t* c) {
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i acc32[T][NV];
  const uint8_t* stream[T];
  for (size_t t = 0; t < T; ++t) {
    stream[t] = w + t * tile_bytes;
    for (size_t v = 0; v < NV; ++v) acc32[t][v] = _mm512_setzero_si512();
  }
  const size_t chunks = (k + 15) / 16;
  for (size_t q = 0; q < slices; ++q, a += a_slice_stride) {
    size_t kk = 0;
    for (size_t chunk = 0; chunk < chunks;) {
      const size_t block_end = chunk + kChunksPerBlock < chunks ? chunk + kChunksPerBlock : chunks;
      __m512i acc16[T][NV];
      for (size_t t = 0; t < T; ++t)
        for (size_t v = 0; v < NV; ++v) acc16[t][v] = _mm512_setzero_si512();
      for (; chunk < block_end; ++chunk, kk += 16) {
        __m512i planes[T][NV];
        for (size_t t = 0; t < T; ++t) {
          for (size_t v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(stream[t]) + kGemvPrefetchBytes + 64 * v, _MM_HINT_T0);
          for (size_t v = 0; v < NV; ++v) planes[t][v] = _mm512_loadu_si512(stream[t] + 64 * v);
          stream[t] += 64 * NV;
        }
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) {
          const __m512i x = broadcast_4bytes(a + kk + 4 * g);
          for (size_t t = 0; t < T; ++t)
            for (size_t v = 0; v < NV; ++v)
              acc16[t][v] = _mm512_add_epi16(acc16[t][v],
                                             _mm512_maddubs_epi16(_mm512_and_si512(_mm512_srli_epi16(planes[t][v], 2 * g), mask), x));
        }
      }
      for (size_t t = 0; t < T; ++t)
        for (size_t v = 0; v < NV; ++v) acc32[t][v] = _mm512_add_epi32(acc32[t][v], _mm512_madd_epi16(acc16[t][v], ones));
    }
  }
  const __m512i sum = _mm512_set1_epi32(a_sum);
  for (size_t t = 0; t < T; ++t)
    for (size_t v = 0; v < NV; ++v)
      _mm512_mask_storeu_epi32(c + 16 * (NV * t + v), lane_mask(nc, NV * t + v), _mm512_sub_epi32(acc32[t][v], sum));
}

// GEMV as one weight stream, tile after tile, prefetching kPrefetch bytes ahead, as the VNNI
// kernel does where the hardware config prefers it (AMD; t2i8-gemm-avx512vnni.cc): on Zen 5 the
// streams below read 66-88 GMAC/s from DRAM, below the AVX2 kernel's single stream (96-99); this
// form 127-155. The even and odd groups of a chunk go to two int16 accumulator sets of 32 of a
// block's 64 steps each, so neither they nor their sum can overflow. Same sums, same results.
template <size_t NV, size_t kPrefetch>
inline void gemv_one_stream_avx512bw(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride,
                                     const uint8_t* w, const int32_t* a_sums, int32_t* c) {
  const __m512i mask = _mm512_set1_epi8(3);
  const __m512i ones = _mm512_set1_epi16(1);
  const __m512i sum = _mm512_set1_epi32(a_sums[0]);
  const size_t chunks = (k + 15) / 16;
  for (size_t n0 = 0; n0 < nc; n0 += 16 * NV, c += 16 * NV) {
    __m512i acc32[NV];
    for (size_t v = 0; v < NV; ++v) acc32[v] = _mm512_setzero_si512();
    const int8_t* ap = a;
    for (size_t q = 0; q < slices; ++q, ap += a_slice_stride) {
      size_t kk = 0;
      for (size_t chunk = 0; chunk < chunks;) {
        const size_t block_end = chunk + kChunksPerBlock < chunks ? chunk + kChunksPerBlock : chunks;
        __m512i acc16[2][NV];
        for (size_t v = 0; v < NV; ++v) acc16[0][v] = acc16[1][v] = _mm512_setzero_si512();
        for (; chunk < block_end; ++chunk, kk += 16) {
          __m512i planes[NV];
          w = load_planes_prefetched<NV, kPrefetch>(w, planes);
#pragma GCC unroll 4
          for (int g = 0; g < 4; ++g) {
            const __m512i x = broadcast_4bytes(ap + kk + 4 * g);
            for (size_t v = 0; v < NV; ++v) {
              const __m512i u = _mm512_and_si512(_mm512_srli_epi16(planes[v], 2 * g), mask);
              acc16[g & 1][v] = _mm512_add_epi16(acc16[g & 1][v], _mm512_maddubs_epi16(u, x));
            }
          }
        }
        for (size_t v = 0; v < NV; ++v)
          acc32[v] = _mm512_add_epi32(acc32[v], _mm512_madd_epi16(_mm512_add_epi16(acc16[0][v], acc16[1][v]), ones));
      }
    }
    const size_t left = nc - n0;
    for (size_t v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(c + 16 * v, lane_mask(left, v), _mm512_sub_epi32(acc32[v], sum));
  }
}

// 64 channels per pass: 2 streams of 32-wide tiles or 4 of 16-wide ones (8 int16 + 8 int32
// accumulators, 8 weight vectors: more streams would spill).
template <size_t NV>
inline void gemv_avx512bw(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride, const uint8_t* w,
                          const int32_t* a_sums, int32_t* c) {
  constexpr size_t kStreams = 4 / NV, kTileChannels = 16 * NV;
  const size_t tile_bytes = kTileChannels * (slices * ((k + 15) / 16 * 16)) / 4;
  for (; nc >= kStreams * kTileChannels; nc -= kStreams * kTileChannels) {
    gemv_tiles_avx512bw<NV, kStreams>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c);
    w += kStreams * tile_bytes;
    c += kStreams * kTileChannels;
  }
  if (nc == 0) return;
  // 1..kStreams tiles left (kStreams when the last one is partial).
  switch ((nc + kTileChannels - 1) / kTileChannels) {
    case 1: gemv_tiles_avx512bw<NV, 1>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 2: gemv_tiles_avx512bw<NV, 2>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    case 3: gemv_tiles_avx512bw<NV, 3>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;
    default: gemv_tiles_avx512bw<NV, 4>(nc, k, slices, a, a_slice_stride, w, tile_bytes, a_sums[0], c); break;   // partial last tile
  }
}

}  // namespace

#define TERNRT_AVX512BW_GEMV_UKERNEL(name, NV)                                                            \
  void name(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,      \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t /*c_stride*/) { \
    if (hardware_config().gemv_one_stream) {                                                               \
      gemv_one_stream_avx512bw<NV, kGemvOneStreamPrefetchBytes>(nc, k, slices, a, a_slice_stride, w, a_sums, c); \
    } else {                                                                                               \
      gemv_avx512bw<NV>(nc, k, slices, a, a_slice_stride, w, a_sums, c);                                   \
    }                                                                                                      \
  }
TERNRT_AVX512BW_GEMV_UKERNEL(t2i8_gemm_1x32c4__avx512bw, 2)
TERNRT_AVX512BW_GEMV_UKERNEL(t2i8_gemm_1x16c4__avx512bw, 1)
#undef TERNRT_AVX512BW_GEMV_UKERNEL

TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_6x32c4__avx512bw, gemm_avx512bw<6, 2>)
TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_12x16c4__avx512bw, gemm_avx512bw<12, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_6x32c4__avx512bw, 6, gemm_minmax_avx512bw<6, 2>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_12x16c4__avx512bw, 12, gemm_minmax_avx512bw<12, 1>)

}  // namespace ternrt::kernels

namespace ternrt::kernels {

// Float epilogue of one tile (see t2i8_epilogue_f32__scalar): the same IEEE operations in the same
// order on 16 lanes (this file is compiled with -ffp-contract=off, so no FMA). vmaxps(lo, y) and
// vminps(hi, y) return y when y is NaN, exactly like the scalar (y < lo ? lo : y) and (hi < y ? hi : y).
void t2i8_epilogue_f32__avx512(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                               const float* multiplier, const float* offset, float out_min, float out_max, float* c,
                               size_t c_stride) {
  const __m512 lo = _mm512_set1_ps(out_min), hi = _mm512_set1_ps(out_max);
  for (size_t j = 0; j < nt; j += 16) {
    const __mmask16 lanes = lane_mask(nt - j, 0);
    const __m512i corr = _mm512_maskz_loadu_epi32(lanes, correction + j);
    const __m512 mul = _mm512_maskz_loadu_ps(lanes, multiplier + j);
    const __m512 add = _mm512_maskz_loadu_ps(lanes, offset + j);
    for (size_t r = 0; r < mt; ++r) {
      const __m512i x = _mm512_maskz_loadu_epi32(lanes, acc + r * acc_stride + j);
      __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(x, corr)), mul);
      y = _mm512_add_ps(y, add);
      y = _mm512_min_ps(hi, _mm512_max_ps(lo, y));
      _mm512_mask_storeu_ps(c + r * c_stride + j, lanes, y);
    }
  }
}

// sum_k a[r][k] with vpsadbw on 64 (or, for short rows, 16) bytes at a time: bytes biased by +128
// (xor 0x80) are unsigned; masked tails load 0x80, which the xor turns into 0. Exact for k < 2^24.
void t2i8_activation_sums__avx512(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums) {
  const int64_t bias_total = int64_t(128) * int64_t(k);
  if (k == 16 && a_stride == 16) {
    // Back-to-back 16-byte rows (the per-pixel sums of a 16-channel image, T2I8Conv): 16 rows per
    // step, 4 per load; one row per masked load, sad and two extractions took ~4% of a small
    // ResNet's time. vpsadbw leaves each row's two 8-byte halves in the two qwords of its 128-bit
    // lane; the halves are added, and dword 0 of every lane collected.
    const __m512i flip = _mm512_set1_epi8(int8_t(0x80)), zero = _mm512_setzero_si512();
    const __m512i bias = _mm512_set1_epi32(128 * 16);
    const __m512i low_rows = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i high_rows = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 8, 12, 16, 20, 24, 28);
    size_t r = 0;
    for (; r + 16 <= m; r += 16) {
      __m512i lanes[4];
      for (size_t i = 0; i < 4; ++i) {
        const __m512i s = _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(a + (r + 4 * i) * 16), flip), zero);
        lanes[i] = _mm512_add_epi64(s, _mm512_bsrli_epi128(s, 8));
      }
      const __m512i low = _mm512_permutex2var_epi32(lanes[0], low_rows, lanes[1]);
      const __m512i high = _mm512_permutex2var_epi32(lanes[2], high_rows, lanes[3]);
      _mm512_storeu_si512(sums + r, _mm512_sub_epi32(_mm512_mask_blend_epi32(0xFF00, low, high), bias));
    }
    a += r * 16, sums += r, m -= r;
  }
  if (k <= 64) {
    // Rows of up to 64 bytes (small pointwise layers), 16 at a time: one zero-filled load per row,
    // dword sums of 4 bytes (vpmaddubsw by 1, vpmaddwd by 1, exact), then a transpose-and-add tree
    // folds the 16 vectors into one of 16 row sums. One row at a time, the horizontal sum of each
    // row cost ~6 cycles, more than the multiplies of a K = 36, N = 12 layer.
    const __mmask64 lanes = k == 64 ? ~__mmask64(0) : (__mmask64(1) << k) - 1;
    const __m512i ones8 = _mm512_set1_epi8(1), ones16 = _mm512_set1_epi16(1);
    size_t r = 0;
    for (; r + 16 <= m; r += 16) {
      __m512i d[16];
      for (size_t i = 0; i < 16; ++i) {
        const __m512i x = _mm512_maskz_loadu_epi8(lanes, a + (r + i) * a_stride);
        d[i] = _mm512_madd_epi16(_mm512_maddubs_epi16(ones8, x), ones16);
      }
      // Per 128-bit lane: rows i, i+1 -> [i, i+1, i, i+1] partials, then rows i..i+3 -> [i, i+1, i+2, i+3].
      __m512i q[4];
      for (size_t i = 0; i < 4; ++i) {
        const __m512i p0 = _mm512_add_epi32(_mm512_unpacklo_epi32(d[4 * i], d[4 * i + 1]),
                                            _mm512_unpackhi_epi32(d[4 * i], d[4 * i + 1]));
        const __m512i p1 = _mm512_add_epi32(_mm512_unpacklo_epi32(d[4 * i + 2], d[4 * i + 3]),
                                            _mm512_unpackhi_epi32(d[4 * i + 2], d[4 * i + 3]));
        q[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
      }
      // Across the four 128-bit lanes: pairs of lanes, then the rest; lane L ends with rows 4L..4L+3.
      const __m512i h0 = _mm512_add_epi32(_mm512_shuffle_i64x2(q[0], q[1], 0x88), _mm512_shuffle_i64x2(q[0], q[1], 0xDD));
      const __m512i h1 = _mm512_add_epi32(_mm512_shuffle_i64x2(q[2], q[3], 0x88), _mm512_shuffle_i64x2(q[2], q[3], 0xDD));
      _mm512_storeu_si512(sums + r, _mm512_add_epi32(_mm512_shuffle_i64x2(h0, h1, 0x88), _mm512_shuffle_i64x2(h0, h1, 0xDD)));
    }
    a += r * a_stride, sums += r, m -= r;
  }
  if (k <= 16) {
    const __m128i bias = _mm_set1_epi8(int8_t(0x80));
    const __mmask16 lanes = __mmask16((1u << k) - 1);
    for (size_t r = 0; r < m; ++r) {
      const __m128i x = _mm_xor_si128(_mm_mask_loadu_epi8(bias, lanes, a + r * a_stride), bias);
      const __m128i s = _mm_sad_epu8(x, _mm_setzero_si128());
      sums[r] = int32_t(_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1) - bias_total);
    }
    return;
  }
  const __m512i bias = _mm512_set1_epi8(int8_t(0x80));
  const size_t tail = k % 64;
  const __mmask64 tail_lanes = tail ? (__mmask64(1) << tail) - 1 : 0;
  for (size_t r = 0; r < m; ++r) {
    const int8_t* row = a + r * a_stride;
    __m512i acc = _mm512_setzero_si512();
    size_t kk = 0;
    for (; kk + 64 <= k; kk += 64) {
      const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(row + kk), bias);
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(x, _mm512_setzero_si512()));
    }
    if (tail) {
      const __m512i x = _mm512_xor_si512(_mm512_mask_loadu_epi8(bias, tail_lanes, row + kk), bias);
      acc = _mm512_add_epi64(acc, _mm512_sad_epu8(x, _mm512_setzero_si512()));
    }
    const __m256i half = _mm256_add_epi64(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
    const __m128i quarter = _mm_add_epi64(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
    sums[r] = int32_t(_mm_cvtsi128_si64(quarter) + _mm_extract_epi64(quarter, 1) - bias_total);
  }
}

void i8i8_gemm_1x16c4__avx512bw(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,
                                size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                                size_t /*c_stride*/) {
  i8i8_gemv_avx512bw<1>(nc, k, slices, a, a_slice_stride, w, a_sums, c);
}
void i8i8_gemm_1x32c4__avx512bw(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,
                                size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                                size_t /*c_stride*/) {
  i8i8_gemv_avx512bw<2>(nc, k, slices, a, a_slice_stride, w, a_sums, c);
}
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_6x16c4__avx512bw, i8i8_gemm_avx512bw<6, 1>)
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_4x32c4__avx512bw, i8i8_gemm_avx512bw<4, 2>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_6x16c4__avx512bw, 6, i8i8_gemm_minmax_avx512bw<6, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_4x32c4__avx512bw, 4, i8i8_gemm_minmax_avx512bw<4, 2>)

}  // namespace ternrt::kernels
