// AVX2 t2i8 GEMM / GEMV (compiled with -mavx2 only), one template for every tile:
//   t2i8_gemm_{1,4}x16c4__avx2, t2i8_gemm_{1,8}x8c4__avx2    code_planes_c4, vec_cols = 8: one ymm =
//     8 channels x 4 k of u = t + 1 in {0,1,2}, read as 2-bit planes and unpacked in registers with
//     shift + and (once per MR rows);
//   t2i8_gemm_{1,4}x16c4u8__avx2                            codes_u8_c4: the same ymm stored
//     pre-expanded, one byte per u (4x the weight bytes, no unpacking: compute-bound layers).
// vpmaddubsw(u8 u, s8 a): each int16 lane is u0*a0 + u1*a1 in [-512, 508], so 64 additions stay
// inside int16 ([-32768, 32512]); a block of 64 steps of 4 k per lane is widened with
// vpmaddwd(ones), which also sums the two lanes of a channel. Finally sum_k a is subtracted.
// Reads a rows up to round_up(k, 4) bytes.
// Also the int8-weight i8i8_gemm_{1,4}x8c4__avx2 and i8i8_gemm_{1,2}x16c4__avx2, and the AVX2
// activation row sums (vpsadbw).
#include <immintrin.h>

#include <cstring>

#include "t2i8-gemm/requantize-s8-avx2.h"
#include "t2i8-ukernel-define.h"
#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kStepsPerBlock = 64;   // 64 vpmaddubsw results per int16 lane cannot overflow

inline __m256i broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return _mm256_set1_epi32(value);
}

// One step of 4 k (u: its multipliers) for every row, into int16.
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void maddubs_group(const __m256i (&u)[NV], const int8_t* const (&a_rows)[MR],
                                                         size_t kk, __m256i (&acc16)[MR][NV]) {
#pragma GCC unroll 16
  for (size_t r = 0; r < MR; ++r) {
    const __m256i x = broadcast_4bytes(a_rows[r] + kk);
#pragma GCC unroll 2
    for (size_t v = 0; v < NV; ++v) {
      acc16[r][v] = _mm256_add_epi16(acc16[r][v], _mm256_maddubs_epi16(u[v], x));
      __asm__("" : "+x"(acc16[r][v]));   // pins the update order: see gemm_4x16_avx2
    }
  }
}

// MR rows x NV vectors of 8 channels: acc32 += sum u * a (the caller subtracts sum_k a).
// kExpanded: codes_u8_c4, else code_planes_c4 (a last chunk of k % 16 trits runs only its
// (k % 16 + 3) / 4 groups; the rest hold u = 0).
template <size_t MR, size_t NV, bool kExpanded>
__attribute__((always_inline)) inline void accumulate_avx2(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                           size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                           __m256i (&acc32)[MR][NV]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);

  // Plain loops over local arrays (no lambdas, no pointers to the accumulators) so every int16
  // accumulator stays in a register.
  const size_t steps = kExpanded ? (k + 3) / 4 : (k + 15) / 16 * 4;
  // int16 blocks restart with each slice (one widening per slice and block).
  for (size_t q = 0; q < slices; ++q) {
    size_t s = 0;
    while (s < steps) {
      const size_t block_end = s + kStepsPerBlock < steps ? s + kStepsPerBlock : steps;
      __m256i acc16[MR][NV];
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v) acc16[r][v] = _mm256_setzero_si256();
      if (kExpanded) {
        // Local cursors: GCC otherwise keeps s and w in memory, a store-forwarding chain per step.
        const uint8_t* wb = w;
        const size_t block_steps = block_end - s;
        const size_t k0 = 4 * s;
        for (size_t i = 0; i < block_steps; ++i, wb += 32 * NV) {
          __m256i u[NV];
          for (size_t v = 0; v < NV; ++v) u[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + 32 * v));
#pragma GCC unroll 16
          for (size_t r = 0; r < MR; ++r) {
            const __m256i x = broadcast_4bytes(a_rows[r] + k0 + 4 * i);
#pragma GCC unroll 2
            for (size_t v = 0; v < NV; ++v) {
              acc16[r][v] = _mm256_add_epi16(acc16[r][v], _mm256_maddubs_epi16(u[v], x));
              __asm__("" : "+x"(acc16[r][v]));   // pins the update order: see gemm_4x16_avx2
            }
          }
        }
        w = wb;
        s = block_end;
      } else {
        // Blocks are whole 16-k chunks (64 steps is a multiple of 4).
        const uint8_t* wb = w;
        const size_t block_chunks = (block_end - s) / 4;
        const size_t k0 = 4 * s;
        for (size_t i = 0; i < block_chunks; ++i, wb += 32 * NV) {
          __m256i planes[NV];
          for (size_t v = 0; v < NV; ++v) planes[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb + 32 * v));
          const size_t kc = k0 + 16 * i;
          if (kc + 16 <= k) {
#pragma GCC unroll 4
            for (size_t g = 0; g < 4; ++g) {
              __m256i u[NV];
              for (size_t v = 0; v < NV; ++v) u[v] = _mm256_and_si256(_mm256_srli_epi16(planes[v], int(2 * g)), mask);
              maddubs_group<MR, NV>(u, a_rows, kc + 4 * g, acc16);
            }
          } else {   // the partial last chunk: only its groups that hold trits
            for (size_t kg = kc; kg < k; kg += 4) {
              __m256i u[NV];
              for (size_t v = 0; v < NV; ++v) {
                u[v] = _mm256_and_si256(planes[v], mask);
                planes[v] = _mm256_srli_epi16(planes[v], 2);
              }
              maddubs_group<MR, NV>(u, a_rows, kg, acc16);
            }
          }
        }
        w = wb;
        s = block_end;
      }
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm256_add_epi32(acc32[r][v], _mm256_madd_epi16(acc16[r][v], ones));
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR, size_t NV, bool kExpanded>
__attribute__((always_inline)) inline void gemm_avx2(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                      size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {
  __m256i acc32[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm256_setzero_si256();
  accumulate_avx2<MR, NV, kExpanded>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  for (size_t r = 0; r < mr; ++r) {
    const __m256i sum = _mm256_set1_epi32(a_sums[r]);
    int32_t* c_row = c + r * c_stride;
    if (nc == 8 * NV) {
      for (size_t v = 0; v < NV; ++v)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c_row + 8 * v), _mm256_sub_epi32(acc32[r][v], sum));
    } else {
      for (size_t v = 0; v < NV; ++v)
        if (nc > 8 * v) store_s32_partial(c_row + 8 * v, _mm256_sub_epi32(acc32[r][v], sum), nc - 8 * v);
    }
  }
}

// Requantizing form (minmax-fp32-gemm.inc): accumulators from -(sum_k a + correction), the int8
// epilogue in registers (requantize-s8-avx2.h).
template <size_t MR, size_t NV, bool kExpanded>
__attribute__((always_inline)) inline void gemm_minmax_avx2(size_t mr, size_t nc, size_t k, size_t slices,
                                                            const int8_t* a, size_t a_stride, size_t a_slice_stride,
                                                            const uint8_t* w, const int32_t* a_sums,
                                                            const RequantS8Terms& t, int8_t* c, size_t c_stride) {
  __m256i acc32[MR][NV];
  start_minmax_tile_avx2<MR, NV>(mr, nc, a_sums, 1, t, acc32);
  accumulate_avx2<MR, NV, kExpanded>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  requantize_tile_avx2<MR, NV>(mr, nc, acc32, t, c, c_stride);
}

// The 4 x 16 tiles with named accumulators. GCC 12 otherwise hoists all broadcasts and products
// of a step ahead of the additions, which needs more than the 16 ymm registers: accumulators spill
// to the stack inside the inner loop. The empty asm after each row's additions pins the update
// order (it emits no instruction), so a step needs 8 accumulators + 2 weights + 1-2 temporaries.
#define TERNRT_AVX2_ROW4(c0, c1, u0, u1, p)                                     \
  {                                                                             \
    const __m256i x = broadcast_4bytes(p);                                      \
    c0 = _mm256_add_epi16(c0, _mm256_maddubs_epi16(u0, x));                     \
    c1 = _mm256_add_epi16(c1, _mm256_maddubs_epi16(u1, x));                     \
    __asm__("" : "+x"(c0), "+x"(c1));                                           \
  }

// `steps` (>= 1) steps of 4 k of the expanded 4 x 16 tile (64 weight bytes per step: u0, then u1),
// in asm because GCC 12 computes each sum into the product's register and copies it back to the
// accumulator (a vmovdqa per update). On Zen 5 the copies take vector ALU slots: this loop ran 185
// GMAC/s with them and runs 222 without (the vpmaddubsw + vpaddw probe: 240). The 2-bit plane loop
// gains nothing from the same treatment (3 copies per 16 k, next to 14 unpacking operations).
// The compiler picks the accumulators' registers; ymm8-11 (u0, u1, broadcast, product) and r8-r11
// (rows) are scratch. Rows are addressed from their ends by an offset that counts up to 0.
#define TERNRT_AVX2_ASM_ROW(row, c0, c1)                                 \
  "vpbroadcastd (%%" row ",%[kk]), %%ymm10\n\t"                          \
  "vpmaddubsw %%ymm10, %%ymm8, %%ymm11\n\t"                              \
  "vpmaddubsw %%ymm10, %%ymm9, %%ymm10\n\t"                              \
  "vpaddw %%ymm11, %[" #c0 "], %[" #c0 "]\n\t"                           \
  "vpaddw %%ymm10, %[" #c1 "], %[" #c1 "]\n\t"
__attribute__((always_inline)) inline void expanded_steps_4x16_avx2(size_t steps, const int8_t* const (&a)[4],
                                                                    const uint8_t* w, __m256i& c00, __m256i& c01,
                                                                    __m256i& c10, __m256i& c11, __m256i& c20,
                                                                    __m256i& c21, __m256i& c30, __m256i& c31) {
  ptrdiff_t kk = -ptrdiff_t(4 * steps);
  const int8_t* const rows[4] = {a[0] - kk, a[1] - kk, a[2] - kk, a[3] - kk};
  __asm__("mov (%[rows]), %%r8\n\t"
          "mov 8(%[rows]), %%r9\n\t"
          "mov 16(%[rows]), %%r10\n\t"
          "mov 24(%[rows]), %%r11\n\t"
          "1:\n\t"
          "vmovdqu (%[w]), %%ymm8\n\t"
          "vmovdqu 32(%[w]), %%ymm9\n\t"
          TERNRT_AVX2_ASM_ROW("r8", c00, c01)
          TERNRT_AVX2_ASM_ROW("r9", c10, c11)
          TERNRT_AVX2_ASM_ROW("r10", c20, c21)
          TERNRT_AVX2_ASM_ROW("r11", c30, c31)
          "add $64, %[w]\n\t"
          "add $4, %[kk]\n\t"
          "jnz 1b"
          : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20),
            [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31), [w] "+r"(w), [kk] "+r"(kk)
          : [rows] "r"(rows)
          : "r8", "r9", "r10", "r11", "xmm8", "xmm9", "xmm10", "xmm11", "memory", "cc");
}
#undef TERNRT_AVX2_ASM_ROW

// acc += sum u * a over the tile's steps (the caller subtracts sum_k a).
template <bool kExpanded>
__attribute__((always_inline)) inline void accumulate_4x16_avx2(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                                size_t a_stride, size_t a_slice_stride,
                                                                const uint8_t* w, __m256i (&acc)[4][2]) {
  const int8_t* a0 = a;
  const int8_t* a1 = a + (mr > 1 ? 1 : 0) * a_stride;
  const int8_t* a2 = a + (mr > 2 ? 2 : mr - 1) * a_stride;
  const int8_t* a3 = a + (mr > 3 ? 3 : mr - 1) * a_stride;
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i d00 = acc[0][0], d01 = acc[0][1], d10 = acc[1][0], d11 = acc[1][1], d20 = acc[2][0], d21 = acc[2][1],
          d30 = acc[3][0], d31 = acc[3][1];
  const size_t chunks = (k + 15) / 16;             // planes: 16 k per chunk
  const size_t steps = (k + 3) / 4;                // u8: 4 k per step
  const size_t total = kExpanded ? steps : chunks;
  const size_t per_block = kExpanded ? kStepsPerBlock : kStepsPerBlock / 4;
  // int16 blocks restart with each slice (one widening per slice and block).
  for (size_t q = 0; q < slices; ++q) {
    size_t done = 0;
    while (done < total) {
      const size_t block = total - done < per_block ? total - done : per_block;
      __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      if (kExpanded) {
        const int8_t* const rows[4] = {a0 + 4 * done, a1 + 4 * done, a2 + 4 * done, a3 + 4 * done};
        expanded_steps_4x16_avx2(block, rows, w, c00, c01, c10, c11, c20, c21, c30, c31);
        w += 64 * block;
      } else {
        size_t kk = 16 * done;
        for (size_t i = 0; i < block; ++i, kk += 16, w += 64) {
          __m256i p0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
          __m256i p1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
          if (kk + 16 <= k) {
#pragma GCC unroll 4
            for (int g = 0; g < 4; ++g) {
              const __m256i u0 = _mm256_and_si256(_mm256_srli_epi16(p0, 2 * g), mask);
              const __m256i u1 = _mm256_and_si256(_mm256_srli_epi16(p1, 2 * g), mask);
              TERNRT_AVX2_ROW4(c00, c01, u0, u1, a0 + kk + 4 * g)
              TERNRT_AVX2_ROW4(c10, c11, u0, u1, a1 + kk + 4 * g)
              TERNRT_AVX2_ROW4(c20, c21, u0, u1, a2 + kk + 4 * g)
              TERNRT_AVX2_ROW4(c30, c31, u0, u1, a3 + kk + 4 * g)
            }
          } else {   // the partial last chunk: only its groups that hold trits
            for (size_t kg = kk; kg < k; kg += 4) {
              const __m256i u0 = _mm256_and_si256(p0, mask), u1 = _mm256_and_si256(p1, mask);
              p0 = _mm256_srli_epi16(p0, 2);
              p1 = _mm256_srli_epi16(p1, 2);
              TERNRT_AVX2_ROW4(c00, c01, u0, u1, a0 + kg)
              TERNRT_AVX2_ROW4(c10, c11, u0, u1, a1 + kg)
              TERNRT_AVX2_ROW4(c20, c21, u0, u1, a2 + kg)
              TERNRT_AVX2_ROW4(c30, c31, u0, u1, a3 + kg)
            }
          }
        }
      }
      done += block;
      d00 = _mm256_add_epi32(d00, _mm256_madd_epi16(c00, ones));
      d01 = _mm256_add_epi32(d01, _mm256_madd_epi16(c01, ones));
      d10 = _mm256_add_epi32(d10, _mm256_madd_epi16(c10, ones));
      d11 = _mm256_add_epi32(d11, _mm256_madd_epi16(c11, ones));
      d20 = _mm256_add_epi32(d20, _mm256_madd_epi16(c20, ones));
      d21 = _mm256_add_epi32(d21, _mm256_madd_epi16(c21, ones));
      d30 = _mm256_add_epi32(d30, _mm256_madd_epi16(c30, ones));
      d31 = _mm256_add_epi32(d31, _mm256_madd_epi16(c31, ones));
    }
    a0 += a_slice_stride;
    a1 += a_slice_stride;
    a2 += a_slice_stride;
    a3 += a_slice_stride;
  }
  acc[0][0] = d00, acc[0][1] = d01, acc[1][0] = d10, acc[1][1] = d11;
  acc[2][0] = d20, acc[2][1] = d21, acc[3][0] = d30, acc[3][1] = d31;
}

template <bool kExpanded>
__attribute__((always_inline)) inline void gemm_4x16_avx2(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                           size_t c_stride) {
  __m256i acc[4][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
  accumulate_4x16_avx2<kExpanded>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  for (size_t r = 0; r < mr; ++r) {
    const __m256i sum = _mm256_set1_epi32(a_sums[r]);
    int32_t* c_row = c + r * c_stride;
    if (nc == 16) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c_row), _mm256_sub_epi32(acc[r][0], sum));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c_row + 8), _mm256_sub_epi32(acc[r][1], sum));
    } else {
      store_s32_partial(c_row, _mm256_sub_epi32(acc[r][0], sum), nc);
      if (nc > 8) store_s32_partial(c_row + 8, _mm256_sub_epi32(acc[r][1], sum), nc - 8);
    }
  }
}

template <bool kExpanded>
__attribute__((always_inline)) inline void gemm_minmax_4x16_avx2(size_t mr, size_t nc, size_t k, size_t slices,
                                                                 const int8_t* a, size_t a_stride,
                                                                 size_t a_slice_stride, const uint8_t* w,
                                                                 const int32_t* a_sums, const RequantS8Terms& t,
                                                                 int8_t* c, size_t c_stride) {
  __m256i acc[4][2];
  start_minmax_tile_avx2<4, 2>(mr, nc, a_sums, 1, t, acc);
  accumulate_4x16_avx2<kExpanded>(mr, k, slices, a, a_stride, a_slice_stride, w, acc);
  requantize_tile_avx2<4, 2>(mr, nc, acc, t, c, c_stride);
}
#undef TERNRT_AVX2_ROW4

// i8i8 (int8 weights), layout offset_nibbles_c4 with vec_cols = 8: per step of 4 k, NV ymm of the
// low nibbles of u = w + 128, then NV of the high ones. vpmaddubsw(nibble, s8 a) lanes are in
// [-3840, 3810], so 8 steps fit int16 (|sum| <= 30720); each 8-step block is widened with
// vpmaddwd(ones) for the low and vpmaddwd(16) for the high nibbles. 128 * sum_k a is subtracted at
// the end. Reads a rows up to round_up(k, 4) bytes.
constexpr size_t kNibbleStepsPerBlock = 8;

// acc32 += sum u * a (u = w + 128; the caller subtracts 128 * sum_k a).
template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void accumulate_i8i8_avx2(size_t mr, size_t k, size_t slices, const int8_t* a,
                                                                size_t a_stride, size_t a_slice_stride,
                                                                const uint8_t* w, __m256i (&acc32)[MR][NV]) {
  const int8_t* a_rows[MR];
  tile_row_pointers<MR>(mr, a, a_stride, a_rows);
  const __m256i ones = _mm256_set1_epi16(1), sixteens = _mm256_set1_epi16(16);
  const size_t steps = (k + 3) / 4;
  for (size_t q = 0; q < slices; ++q) {
    for (size_t step = 0, kk = 0; step < steps;) {
      const size_t block_end = step + kNibbleStepsPerBlock < steps ? step + kNibbleStepsPerBlock : steps;
      __m256i lo16[MR][NV], hi16[MR][NV];
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v) lo16[r][v] = hi16[r][v] = _mm256_setzero_si256();
      for (; step < block_end; ++step, kk += 4, w += 64 * NV) {
        __m256i lo[NV], hi[NV];
        for (size_t v = 0; v < NV; ++v) {
          lo[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * v));
          hi[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32 * (NV + v)));
        }
        for (size_t r = 0; r < MR; ++r) {
          const __m256i x = broadcast_4bytes(a_rows[r] + kk);
          for (size_t v = 0; v < NV; ++v) {
            lo16[r][v] = _mm256_add_epi16(lo16[r][v], _mm256_maddubs_epi16(lo[v], x));
            hi16[r][v] = _mm256_add_epi16(hi16[r][v], _mm256_maddubs_epi16(hi[v], x));
          }
        }
      }
      for (size_t r = 0; r < MR; ++r)
        for (size_t v = 0; v < NV; ++v)
          acc32[r][v] = _mm256_add_epi32(acc32[r][v], _mm256_add_epi32(_mm256_madd_epi16(lo16[r][v], ones),
                                                                       _mm256_madd_epi16(hi16[r][v], sixteens)));
    }
    for (size_t r = 0; r < MR; ++r) a_rows[r] += a_slice_stride;
  }
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void i8i8_gemm_avx2(size_t mr, size_t nc, size_t k, size_t slices, const int8_t* a,
                                                          size_t a_stride, size_t a_slice_stride, const uint8_t* w,
                                                          const int32_t* a_sums, int32_t* c, size_t c_stride) {
  __m256i acc32[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc32[r][v] = _mm256_setzero_si256();
  accumulate_i8i8_avx2<MR, NV>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  for (size_t r = 0; r < mr; ++r) {
    const __m256i offset = _mm256_set1_epi32(a_sums[r] * 128);
    for (size_t v = 0; v < NV && nc > 8 * v; ++v)
      store_s32_partial(c + r * c_stride + 8 * v, _mm256_sub_epi32(acc32[r][v], offset), nc - 8 * v);
  }
}

template <size_t MR, size_t NV>
__attribute__((always_inline)) inline void i8i8_gemm_minmax_avx2(size_t mr, size_t nc, size_t k, size_t slices,
                                                                 const int8_t* a, size_t a_stride,
                                                                 size_t a_slice_stride, const uint8_t* w,
                                                                 const int32_t* a_sums, const RequantS8Terms& t,
                                                                 int8_t* c, size_t c_stride) {
  __m256i acc32[MR][NV];
  start_minmax_tile_avx2<MR, NV>(mr, nc, a_sums, 128, t, acc32);
  accumulate_i8i8_avx2<MR, NV>(mr, k, slices, a, a_stride, a_slice_stride, w, acc32);
  requantize_tile_avx2<MR, NV>(mr, nc, acc32, t, c, c_stride);
}

// GEMV: any nc, one tile after the other (tiles are consecutive).
template <size_t NV>
void i8i8_gemv_avx2(size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_slice_stride, const uint8_t* w,
                    const int32_t* a_sums, int32_t* c) {
  constexpr size_t kTile = 8 * NV;
  const size_t tile_bytes = 2 * kTile * slices * ((k + 3) / 4 * 4);
  for (size_t j = 0; j < nc; j += kTile, w += tile_bytes) {
    i8i8_gemm_avx2<1, NV>(1, nc - j < kTile ? nc - j : kTile, k, slices, a, 0, a_slice_stride, w, a_sums, c + j, 0);
  }
}

}  // namespace

// GEMV (mr == 1): any nc, one tile of 8 * NV channels after the other (tiles are consecutive).
#define TERNRT_AVX2_GEMV_UKERNEL(name, NV, EXPANDED)                                                      \
  void name(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t a_stride,          \
            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c, size_t c_stride) {     \
    const size_t tile_bytes = 8 * NV * slices * (EXPANDED ? (k + 3) / 4 * 4 : (k + 15) / 16 * 16 / 4);    \
    for (size_t j = 0; j < nc; j += 8 * NV, w += tile_bytes) {                                              \
      gemm_avx2<1, NV, EXPANDED>(1, nc - j < 8 * NV ? nc - j : 8 * NV, k, slices, a, a_stride, a_slice_stride, \
                                 w, a_sums, c + j, c_stride);                                              \
    }                                                                                                      \
  }
TERNRT_AVX2_GEMV_UKERNEL(t2i8_gemm_1x16c4__avx2, 2, false)
TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_4x16c4__avx2, gemm_4x16_avx2<false>)
TERNRT_AVX2_GEMV_UKERNEL(t2i8_gemm_1x8c4__avx2, 1, false)
TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_8x8c4__avx2, gemm_avx2<8, 1, false>)
TERNRT_AVX2_GEMV_UKERNEL(t2i8_gemm_1x16c4u8__avx2, 2, true)
TERNRT_DEFINE_SLICED_UKERNEL(t2i8_gemm_4x16c4u8__avx2, gemm_4x16_avx2<true>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_4x16c4__avx2, 4, gemm_minmax_4x16_avx2<false>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_8x8c4__avx2, 8, gemm_minmax_avx2<8, 1, false>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(t2i8_gemm_minmax_fp32_4x16c4u8__avx2, 4, gemm_minmax_4x16_avx2<true>)
#undef TERNRT_AVX2_GEMV_UKERNEL

// sum_k a[r][k] via vpsadbw: bytes biased by +128 (xor 0x80) become unsigned, 32 at a time are
// summed into 4 u64 lanes; the bias (128 per byte) is removed at the end. Exact for any k < 2^24.
void t2i8_activation_sums__avx2(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums) {
  const __m256i bias = _mm256_set1_epi8(int8_t(0x80));
  const __m256i zero = _mm256_setzero_si256();
  const __m128i flip16 = _mm_set1_epi8(int8_t(0x80)), flip8 = _mm_set_epi64x(0, int64_t(0x8080808080808080ull)),
                flip4 = _mm_set_epi32(0, 0, 0, int32_t(0x80808080u));
  for (size_t r = 0; r < m; ++r) {
    const int8_t* row = a + r * a_stride;
    __m256i acc = zero;
    size_t kk = 0;
    for (; kk + 32 <= k; kk += 32) {
      const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + kk)), bias);
      acc = _mm256_add_epi64(acc, _mm256_sad_epu8(x, zero));
    }
    // The last k % 32 bytes in 16-, 8- and 4-byte pieces (never past the row; small layers have
    // only these, and a byte loop cost ~5 ns per row at K = 12 or 20), the last 0-3 one by one.
    __m128i folded = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    const __m128i zero128 = _mm_setzero_si128();
    if (kk + 16 <= k) {
      const __m128i x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + kk)), flip16);
      folded = _mm_add_epi64(folded, _mm_sad_epu8(x, zero128));
      kk += 16;
    }
    if (kk + 8 <= k) {
      const __m128i x = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + kk)), flip8);
      folded = _mm_add_epi64(folded, _mm_sad_epu8(x, zero128));
      kk += 8;
    }
    if (kk + 4 <= k) {
      int32_t word;
      std::memcpy(&word, row + kk, sizeof(word));
      folded = _mm_add_epi64(folded, _mm_sad_epu8(_mm_xor_si128(_mm_cvtsi32_si128(word), flip4), zero128));
      kk += 4;
    }
    int64_t total = _mm_cvtsi128_si64(folded) + _mm_extract_epi64(folded, 1) - int64_t(128) * int64_t(kk);
    for (; kk < k; ++kk) total += row[kk];
    sums[r] = int32_t(total);
  }
}

}  // namespace ternrt::kernels

namespace ternrt::kernels {

// Float epilogue of one tile (see t2i8_epilogue_f32__scalar) on 8 lanes, same operations and order
// (this file is compiled with -ffp-contract=off); vmaxps(lo, y) / vminps(hi, y) keep NaN like the
// scalar comparisons. Partial vectors go through a small buffer (AVX2 has no byte-exact masks).
void t2i8_epilogue_f32__avx2(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                             const float* multiplier, const float* offset, float out_min, float out_max, float* c,
                             size_t c_stride) {
  const __m256 lo = _mm256_set1_ps(out_min), hi = _mm256_set1_ps(out_max);
  size_t j = 0;
  for (; j + 8 <= nt; j += 8) {
    const __m256i corr = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction + j));
    const __m256 mul = _mm256_loadu_ps(multiplier + j), add = _mm256_loadu_ps(offset + j);
    for (size_t r = 0; r < mt; ++r) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + r * acc_stride + j));
      __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(x, corr)), mul);
      y = _mm256_add_ps(y, add);
      _mm256_storeu_ps(c + r * c_stride + j, _mm256_min_ps(hi, _mm256_max_ps(lo, y)));
    }
  }
  if (j == nt) return;
  const size_t left = nt - j;
  const __m256i corr = load_s32_partial(correction + j, left);
  const __m256 mul = load_f32_partial(multiplier + j, left), add = load_f32_partial(offset + j, left);
  for (size_t r = 0; r < mt; ++r) {
    const __m256i x = load_s32_partial(acc + r * acc_stride + j, left);
    __m256 y = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(x, corr)), mul);
    y = _mm256_add_ps(y, add);
    store_f32_partial(c + r * c_stride + j, _mm256_min_ps(hi, _mm256_max_ps(lo, y)), left);
  }
}

void i8i8_gemm_1x8c4__avx2(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,
                           size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                           size_t /*c_stride*/) {
  i8i8_gemv_avx2<1>(nc, k, slices, a, a_slice_stride, w, a_sums, c);
}
void i8i8_gemm_1x16c4__avx2(size_t /*mr*/, size_t nc, size_t k, size_t slices, const int8_t* a, size_t /*a_stride*/,
                            size_t a_slice_stride, const uint8_t* w, const int32_t* a_sums, int32_t* c,
                            size_t /*c_stride*/) {
  i8i8_gemv_avx2<2>(nc, k, slices, a, a_slice_stride, w, a_sums, c);
}
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_4x8c4__avx2, i8i8_gemm_avx2<4, 1>)
TERNRT_DEFINE_SLICED_UKERNEL(i8i8_gemm_2x16c4__avx2, i8i8_gemm_avx2<2, 2>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_4x8c4__avx2, 4, i8i8_gemm_minmax_avx2<4, 1>)
TERNRT_DEFINE_SLICED_MINMAX_UKERNEL(i8i8_gemm_minmax_fp32_2x16c4__avx2, 2, i8i8_gemm_minmax_avx2<2, 2>)

}  // namespace ternrt::kernels
