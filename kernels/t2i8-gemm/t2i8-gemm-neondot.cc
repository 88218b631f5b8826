// ARM NEON dotprod t2i8 GEMM / GEMV: t2i8_gemm_{1,4}x16c4__neondot (compiled with
// -march=armv8.2-a+dotprod only). Weights: code_planes_c4 with vec_cols = 4.
// sdot (vdotq_lane_s32) adds u0*a0 + .. + u3*a3 (u in {0,1,2} read as s8) straight into int32;
// sum_k a is subtracted at the end. Reads a rows up to round_up(k, 16) bytes.
// Also the int8-weight i8i8_gemm_{1,4}x16c4__neondot (below).
#include <arm_neon.h>

#include <cstring>

#include "t2i8-gemm/requantize-s8-neon.h"
#include "t2i8-ukernel-define.h"
#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kVecs = 4;   // NR = 16 = 4 vectors of 4 channels

// acc = sum u * a over the tile (the caller subtracts sum_k a).
template <size_t MR>
__attribute__((always_inline)) inline void accumulate_neondot(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                              size_t a_stride, size_t a_slice_stride,
                                                              const uint8_t* w, int32x4_t (&acc)[MR][kVecs]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const uint8x16_t mask = vdupq_n_u8(3);
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = vdupq_n_s32(0);

  const size_t chunks = (k + 15) / 16;
  for (size_t q = 0; q < slices; ++q) {
    for (size_t chunk = 0, kk = 0; chunk < chunks; ++chunk, kk += 16, w += 16 * kVecs) {
      uint8x16_t planes[kVecs];
      for (size_t v = 0; v < kVecs; ++v) planes[v] = vld1q_u8(w + 16 * v);
      int8x16_t x[MR];   // 16 activation bytes of the chunk per row; lane g = k group g
      for (size_t r = 0; r < MR; ++r) x[r] = vld1q_s8(a_rows[r] + kk);
      // A partial last chunk runs only its groups that hold trits (the rest hold u = 0).
      const size_t groups = k - kk >= 16 ? 4 : (k - kk + 3) / 4;
      for (size_t v = 0; v < kVecs; ++v) {
        const int8x16_t u0 = vreinterpretq_s8_u8(vandq_u8(planes[v], mask));
        const int8x16_t u1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(planes[v], 2), mask));
        const int8x16_t u2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(planes[v], 4), mask));
        const int8x16_t u3 = vreinterpretq_s8_u8(vshrq_n_u8(planes[v], 6));
        for (size_t r = 0; r < MR; ++r) {
          acc[r][v] = vdotq_laneq_s32(acc[r][v], u0, x[r], 0);
          if (groups > 1) acc[r][v] = vdotq_laneq_s32(acc[r][v], u1, x[r], 1);
          if (groups > 2) acc[r][v] = vdotq_laneq_s32(acc[r][v], u2, x[r], 2);
          if (groups > 3) acc[r][v] = vdotq_laneq_s32(acc[r][v], u3, x[r], 3);
        }
      }
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR>
__attribute__((always_inline)) inline void gemm_neondot(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                         size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                         size_t c_stride) {
  int32x4_t acc[MR][kVecs];
  accumulate_neondot<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  for (size_t r = 0; r < mr; ++r) {
    const int32x4_t sum = vdupq_n_s32(a_sums[r]);
    int32_t out[4 * kVecs];
    for (size_t v = 0; v < kVecs; ++v) vst1q_s32(out + 4 * v, vsubq_s32(acc[r][v], sum));
    std::memcpy(c + r * c_stride, out, nc * sizeof(int32_t));
  }
}

// Requantizing form (minmax-fp32-gemm.inc): the int8 epilogue on the sums in registers.
template <size_t MR>
__attribute__((always_inline)) inline void gemm_minmax_neondot(size_t mr, size_t nc, size_t k, size_t slices,
                                                               const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                               const uint8_t* w, const int32_t* a_sums,
                                                               const RequantS8Terms& t, int8_t* c, size_t c_stride) {
  int32x4_t acc[MR][kVecs];
  accumulate_neondot<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  requantize_tile_neon<MR, kVecs>(mr, nc, acc, a_sums, t, c, c_stride);
}

}  // namespace

void t2i8_gemm_1x16c4__neondot(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                               size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                               size_t c_stride) {
  // GEMV: any nc, one tile of 16 channels after the other (tiles are consecutive).
  (void)mr;
  const size_t tile_bytes = 16 * slices * ((k + 15) / 16 * 16) / 4;
  for (size_t j = 0; j < nc; j += 16, w += tile_bytes) {
    gemm_neondot<1>(1, nc - j < 16 ? nc - j : 16, k, slices, a, a_stride, a_slice_stride, w, a_sums, c + j, c_stride);
  }
}

TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_4x16c4__neondot, gemm_neondot<4>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_4x16c4__neondot, 4, gemm_minmax_neondot<4>)

// i8i8 (int8 weights), layout s8_c4 with vec_cols = 4: per step of 4 k, 4 vectors of 4 channels x
// 4 k; sdot (vdotq_s32) accumulates w * a exactly in int32. No activation sums. Reads a rows up
// to round_up(k, 4) bytes.
namespace {

inline int8x16_t broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return vreinterpretq_s8_s32(vdupq_n_s32(value));
}

// acc = sum w * a over the tile.
template <size_t MR>
__attribute__((always_inline)) inline void accumulate_i8i8_neondot(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                                   size_t a_stride, size_t a_slice_stride,
                                                                   const uint8_t* w, int32x4_t (&acc)[MR][kVecs]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = vdupq_n_s32(0);
  const size_t steps = (k + 3) / 4;
  const int8_t* wb = reinterpret_cast<const int8_t*>(w);
  for (size_t q = 0; q < slices; ++q) {
    for (size_t step = 0, kk = 0; step < steps; ++step, kk += 4, wb += 16 * kVecs) {
      int8x16_t wv[kVecs];
      for (size_t v = 0; v < kVecs; ++v) wv[v] = vld1q_s8(wb + 16 * v);
      for (size_t r = 0; r < MR; ++r) {
        const int8x16_t x = broadcast_4bytes(a_rows[r] + kk);
        for (size_t v = 0; v < kVecs; ++v) acc[r][v] = vdotq_s32(acc[r][v], wv[v], x);
      }
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR>
__attribute__((always_inline)) inline void i8i8_gemm_neondot(size_t mr, size_t nc, size_t k, size_t slices,
                                                             const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                             const uint8_t* w, const int32_t* /*a_sums*/, int32_t* c,
                                                             size_t c_stride) {
  int32x4_t acc[MR][kVecs];
  accumulate_i8i8_neondot<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  for (size_t r = 0; r < mr; ++r) {
    int32_t out[4 * kVecs];
    for (size_t v = 0; v < kVecs; ++v) vst1q_s32(out + 4 * v, acc[r][v]);
    std::memcpy(c + r * c_stride, out, nc * sizeof(int32_t));
  }
}

template <size_t MR>
__attribute__((always_inline)) inline void i8i8_gemm_minmax_neondot(size_t mr, size_t nc, size_t k, size_t slices,
                                                                    const int8_t* a, size_t a_stride,
                                                                    size_t a_slice_stride, const uint8_t* w,
                                                                    const int32_t* /*a_sums*/, const RequantS8Terms& t,
                                                                    int8_t* c, size_t c_stride) {
  int32x4_t acc[MR][kVecs];
  accumulate_i8i8_neondot<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  requantize_tile_neon<MR, kVecs>(mr, nc, acc, nullptr, t, c, c_stride);
}

}  // namespace

void i8i8_gemm_1x16c4__neondot(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                               size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                               size_t c_stride) {
  // GEMV: any nc, one tile of 16 channels after the other (tiles are consecutive).
  const size_t tile_bytes = 16 * slices * ((k + 3) / 4 * 4);
  for (size_t j = 0; j < nc; j += 16, w += tile_bytes) {
    i8i8_gemm_neondot<1>(1, nc - j < 16 ? nc - j : 16, k, slices, a, a_stride, a_slice_stride, w, a_sums, c + j, c_stride);
  }
}

TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_4x16c4__neondot, i8i8_gemm_neondot<4>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_4x16c4__neondot, 4, i8i8_gemm_minmax_neondot<4>)

}  // namespace ternrt::kernels
