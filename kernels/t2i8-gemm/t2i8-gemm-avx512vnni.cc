// AVX-512 VNNI t2i8 GEMM / GEMV: t2i8_gemm_{1,8}x32c4__avx512vnni and t2i8_gemm_{1,8}x16c4__avx512vnni
// (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni only). Weights: code_planes_c4 with
// vec_cols = 16 (one zmm = 16 channels x 4 k); NV = nr / 16 weight vectors per chunk.
// vpdpbusd(acc, u8 u, s8 a) adds u0*a0 + .. + u3*a3 straight into int32 (no saturation, no int16
// stage); sum_k a is subtracted at the end. Reads a rows up to round_up(k, 16) bytes.
#include <immintrin.h>

#include <cstring>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"

namespace ternrt::kernels {

namespace {

inline __m512i broadcast_4bytes(const int8_t* p) {
  int32_t value;
  std::memcpy(&value, p, sizeof(value));
  return _mm512_set1_epi32(value);
}

inline __mmask16 lane_mask(size_t nc, size_t v) {
  const size_t first = 16 * v;
  if (nc >= first + 16) return __mmask16(0xFFFF);
  if (nc <= first) return __mmask16(0);
  return __mmask16((1u << (nc - first)) - 1);
}

template <size_t MR, size_t NV>
inline void gemm_avx512vnni(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride, const uint8_t* w,
                            const int32_t* a_sums, int32_t* c, size_t c_stride) {
  const int8_t* a_rows[MR];
  for (size_t r = 0; r < MR; ++r) a_rows[r] = a + (r < mr ? r : mr - 1) * a_stride;
  const __m512i mask = _mm512_set1_epi8(3);
  __m512i acc[MR][NV];
  for (size_t r = 0; r < MR; ++r)
    for (size_t v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_si512();

  const size_t chunks = (k + 15) / 16;
  for (size_t chunk = 0, kk = 0; chunk < chunks; ++chunk, kk += 16, w += 64 * NV) {
    __m512i planes[NV];
    for (size_t v = 0; v < NV; ++v) planes[v] = _mm512_loadu_si512(w + 64 * v);
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
      __m512i u[NV];
      for (size_t v = 0; v < NV; ++v) u[v] = _mm512_and_si512(_mm512_srli_epi16(planes[v], 2 * g), mask);
#pragma GCC unroll 16
      for (size_t r = 0; r < MR; ++r) {
        const __m512i x = broadcast_4bytes(a_rows[r] + kk + 4 * g);
#pragma GCC unroll 2
        for (size_t v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], u[v], x);
      }
    }
  }

  for (size_t r = 0; r < mr; ++r) {
    const __m512i sum = _mm512_set1_epi32(a_sums[r]);
    int32_t* c_row = c + r * c_stride;
    for (size_t v = 0; v < NV; ++v) _mm512_mask_storeu_epi32(c_row + 16 * v, lane_mask(nc, v), _mm512_sub_epi32(acc[r][v], sum));
  }
}

}  // namespace

#define TERNRT_VNNI_UKERNEL(name, MR, NV)                                                                 \
  void name(size_t mr, size_t nc, size_t k, const int8_t* a, size_t a_stride, const uint8_t* w,            \
            const int32_t* a_sums, int32_t* c, size_t c_stride) {                                          \
    gemm_avx512vnni<MR, NV>(mr, nc, k, a, a_stride, w, a_sums, c, c_stride);                               \
  }
TERNRT_VNNI_UKERNEL(t2i8_gemm_1x32c4__avx512vnni, 1, 2)
TERNRT_VNNI_UKERNEL(t2i8_gemm_8x32c4__avx512vnni, 8, 2)
TERNRT_VNNI_UKERNEL(t2i8_gemm_1x16c4__avx512vnni, 1, 1)
TERNRT_VNNI_UKERNEL(t2i8_gemm_8x16c4__avx512vnni, 8, 1)
#undef TERNRT_VNNI_UKERNEL

}  // namespace ternrt::kernels
