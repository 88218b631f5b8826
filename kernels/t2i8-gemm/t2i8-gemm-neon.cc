// ARM NEON (ARMv8.0, no dotprod) t2i8 GEMM / GEMV: t2i8_gemm_{1,4}x8c4__neon.
// Weights: code_planes_c4 with vec_cols = 4 (one 16-byte vector = 4 channels x 4 k of u = t + 1).
// smlal (vmlal_s8) multiplies u in {0,1,2} by a in [-128,127]: each product is in [-256, 254], so an
// int16 lane can take 128 of them ([-32768, 32512]) before sadalp (vpadalq_s16) widens it; a block
// of 32 chunks = 128 steps per lane. Pairwise adds then fold the 4 k lanes of each channel, and
// sum_k a is subtracted. Reads a rows up to round_up(k, 16) bytes.
// Also the int8-weight i8i8_gemm_{1,4}x8c4__neon (below).
#include <arm_neon.h>

#include <cstring>

#include "t2i8-gemm/requantize-s8-neon.h"
#include "t2i8-ukernel-define.h"
#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kChunksPerBlock = 32;   // 32 chunks x 4 groups = 128 smlal steps per int16 lane

constexpr size_t kVecs = 2;   // NR = 8 = 2 vectors of 4 channels

// sums[r][v] = sum u * a of the 4 channels of vector v (the caller subtracts sum_k a).
template <size_t MR>
__attribute__((always_inline)) inline void accumulate_neon(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                           size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                           int32x4_t (&sums)[MR][kVecs]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const uint8x16_t mask = vdupq_n_u8(3);
  // acc32[r][v]: lanes = (channel 2h, k-pair 0/1), (channel 2h, pair 2/3)... folded at the end.
  int32x4_t acc32[MR][kVecs][2];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < kVecs; ++v) acc32[r][v][0] = acc32[r][v][1] = vdupq_n_s32(0);

  const size_t chunks = (k + 15) / 16;
  // int16 blocks restart with each slice (one widening per slice and block).
  for (size_t q = 0; q < slices; ++q) {
    size_t kk = 0;
    for (size_t chunk = 0; chunk < chunks;) {
      const size_t block_end = chunk + kChunksPerBlock < chunks ? chunk + kChunksPerBlock : chunks;
      // acc16[r][v][half]: half 0 = channels 0,1 of the vector (bytes 0..7), half 1 = channels 2,3.
      int16x8_t acc16[MR][kVecs][2];
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < kVecs; ++v) acc16[r][v][0] = acc16[r][v][1] = vdupq_n_s16(0);
      for (; chunk < block_end; ++chunk, kk += 16, w += 16 * kVecs) {
        uint8x16_t planes[kVecs];
        for (size_t v = 0; v < kVecs; ++v) planes[v] = vld1q_u8(w + 16 * v);
        for (int g = 0; g < 4; ++g) {
          if (kk + 4 * g >= k) break;   // a partial last chunk: the rest of its groups hold u = 0
          int8x16_t u[kVecs];
          for (size_t v = 0; v < kVecs; ++v) {
            const uint8x16_t shifted = g == 0 ? planes[v] : g == 1 ? vshrq_n_u8(planes[v], 2)
                                     : g == 2 ? vshrq_n_u8(planes[v], 4) : vshrq_n_u8(planes[v], 6);
            u[v] = vreinterpretq_s8_u8(vandq_u8(shifted, mask));
          }
          for (size_t r = 0; r < MR; ++r) {
            int32_t four;
            std::memcpy(&four, a_rows[r] + kk + 4 * g, sizeof(four));
            const int8x8_t x = vreinterpret_s8_s32(vdup_n_s32(four));   // the 4 bytes twice
            for (size_t v = 0; v < kVecs; ++v) {
              acc16[r][v][0] = vmlal_s8(acc16[r][v][0], vget_low_s8(u[v]), x);
              acc16[r][v][1] = vmlal_s8(acc16[r][v][1], vget_high_s8(u[v]), x);
            }
          }
        }
      }
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < kVecs; ++v) {
          acc32[r][v][0] = vpadalq_s16(acc32[r][v][0], acc16[r][v][0]);
          acc32[r][v][1] = vpadalq_s16(acc32[r][v][1], acc16[r][v][1]);
        }
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
  // [c0 k01, c0 k23, c1 k01, c1 k23] + [c2 .., c3 ..] -> pairwise -> [c0, c1, c2, c3]
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < kVecs; ++v) sums[r][v] = vpaddq_s32(acc32[r][v][0], acc32[r][v][1]);
}

template <size_t MR>
__attribute__((always_inline)) inline void gemm_neon(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                      size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {
  int32x4_t sums[MR][kVecs];
  accumulate_neon<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, sums);
  for (size_t r = 0; r < mr; ++r) {
    const int32x4_t sum = vdupq_n_s32(a_sums[r]);
    int32_t out[4 * kVecs];
    for (size_t v = 0; v < kVecs; ++v) vst1q_s32(out + 4 * v, vsubq_s32(sums[r][v], sum));
    std::memcpy(c + r * c_stride, out, nc * sizeof(int32_t));
  }
}

// Requantizing form (minmax-fp32-gemm.inc): the int8 epilogue on the sums in registers.
template <size_t MR>
__attribute__((always_inline)) inline void gemm_minmax_neon(size_t mr, size_t nc, size_t k, size_t slices,
                                                            const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                            const uint8_t* w, const int32_t* a_sums,
                                                            const RequantS8Terms& t, int8_t* c, size_t c_stride) {
  int32x4_t sums[MR][kVecs];
  accumulate_neon<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, sums);
  requantize_tile_neon<MR, kVecs>(mr, nc, sums, a_sums, t, c, c_stride);
}

}  // namespace

void t2i8_gemm_1x8c4__neon(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {
  // GEMV: any nc, one tile of 8 channels after the other (tiles are consecutive).
  (void)mr;
  const size_t tile_bytes = 8 * slices * ((k + 15) / 16 * 16) / 4;
  for (size_t j = 0; j < nc; j += 8, w += tile_bytes) {
    gemm_neon<1>(1, nc - j < 8 ? nc - j : 8, k, slices, a, a_stride, a_slice_stride, w, a_sums, c + j, c_stride);
  }
}

TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_4x8c4__neon, gemm_neon<4>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_4x8c4__neon, 4, gemm_minmax_neon<4>)

// i8i8 (int8 weights in [-127, 127]), layout s8_c4 with vec_cols = 4: per step of 4 k, 2 vectors of
// 4 channels x 4 k. smull (vmull_s8) products are in [-16256, 16256], so an int16 lane takes two of
// them (smlal of the next step) before sadalp widens it; pairwise adds then fold each channel's
// lanes. No activation sums. Reads a rows up to round_up(k, 4) bytes.
namespace {

inline int8x16_t broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return vreinterpretq_s8_s32(vdupq_n_s32(value));
}

// sums[r][v] = sum w * a of the 4 channels of vector v.
template <size_t MR>
__attribute__((always_inline)) inline void accumulate_i8i8_neon(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                                size_t a_stride, size_t a_slice_stride,
                                                                const uint8_t* w, int32x4_t (&sums)[MR][kVecs]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  int32x4_t acc_lo[MR][kVecs], acc_hi[MR][kVecs];   // channels 0-1 / 2-3 of a vector, 2 lanes each
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < kVecs; ++v) acc_lo[r][v] = acc_hi[r][v] = vdupq_n_s32(0);
  const size_t steps = (k + 3) / 4;
  const int8_t* wb = reinterpret_cast<const int8_t*>(w);
  for (size_t q = 0; q < slices; ++q) {
    size_t step = 0, kk = 0;
    for (; step + 2 <= steps; step += 2, kk += 8, wb += 2 * 16 * kVecs) {
      int8x16_t w0[kVecs], w1[kVecs];
      for (size_t v = 0; v < kVecs; ++v) {
        w0[v] = vld1q_s8(wb + 16 * v);
        w1[v] = vld1q_s8(wb + 16 * (kVecs + v));
      }
      for (size_t r = 0; r < MR; ++r) {
        const int8x16_t x0 = broadcast_4bytes(a_rows[r] + kk), x1 = broadcast_4bytes(a_rows[r] + kk + 4);
        for (size_t v = 0; v < kVecs; ++v) {
          int16x8_t lo = vmull_s8(vget_low_s8(w0[v]), vget_low_s8(x0));
          int16x8_t hi = vmull_high_s8(w0[v], x0);
          lo = vmlal_s8(lo, vget_low_s8(w1[v]), vget_low_s8(x1));
          hi = vmlal_high_s8(hi, w1[v], x1);
          acc_lo[r][v] = vpadalq_s16(acc_lo[r][v], lo);
          acc_hi[r][v] = vpadalq_s16(acc_hi[r][v], hi);
        }
      }
    }
    if (step < steps) {
      int8x16_t w0[kVecs];
      for (size_t v = 0; v < kVecs; ++v) w0[v] = vld1q_s8(wb + 16 * v);
      for (size_t r = 0; r < MR; ++r) {
        const int8x16_t x0 = broadcast_4bytes(a_rows[r] + kk);
        for (size_t v = 0; v < kVecs; ++v) {
          acc_lo[r][v] = vpadalq_s16(acc_lo[r][v], vmull_s8(vget_low_s8(w0[v]), vget_low_s8(x0)));
          acc_hi[r][v] = vpadalq_s16(acc_hi[r][v], vmull_high_s8(w0[v], x0));
        }
      }
      wb += 16 * kVecs;
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < kVecs; ++v) sums[r][v] = vpaddq_s32(acc_lo[r][v], acc_hi[r][v]);
}

template <size_t MR>
__attribute__((always_inline)) inline void i8i8_gemm_neon(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a,
                                                          size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                          const int32_t* /*a_sums*/, int32_t* c, size_t c_stride) {
  int32x4_t sums[MR][kVecs];
  accumulate_i8i8_neon<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, sums);
  for (size_t r = 0; r < mr; ++r) {
    int32_t out[4 * kVecs];
    for (size_t v = 0; v < kVecs; ++v) vst1q_s32(out + 4 * v, sums[r][v]);
    std::memcpy(c + r * c_stride, out, nc * sizeof(int32_t));
  }
}

template <size_t MR>
__attribute__((always_inline)) inline void i8i8_gemm_minmax_neon(size_t mr, size_t nc, size_t k, size_t slices,
                                                                 const int8_t* a, size_t a_stride,
                                                                 size_t a_slice_stride, const uint8_t* w,
                                                                 const int32_t* /*a_sums*/, const RequantS8Terms& t,
                                                                 int8_t* c, size_t c_stride) {
  int32x4_t sums[MR][kVecs];
  accumulate_i8i8_neon<MR>(mr, k, slices, a, a_stride, a_slice_stride, w, sums);
  requantize_tile_neon<MR, kVecs>(mr, nc, sums, nullptr, t, c, c_stride);
}

}  // namespace

void i8i8_gemm_1x8c4__neon(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {
  // GEMV: any nc, one tile of 8 channels after the other (tiles are consecutive).
  const size_t tile_bytes = 8 * slices * ((k + 3) / 4 * 4);
  for (size_t j = 0; j < nc; j += 8, w += tile_bytes) {
    i8i8_gemm_neon<1>(1, nc - j < 8 ? nc - j : 8, k, slices, a, a_stride, a_slice_stride, w, a_sums, c + j, c_stride);
  }
}

TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_4x8c4__neon, i8i8_gemm_neon<4>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_4x8c4__neon, 4, i8i8_gemm_minmax_neon<4>)

}  // namespace ternrt::kernels
