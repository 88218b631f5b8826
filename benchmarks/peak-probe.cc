// Register-only throughput probes: the multiplier ceiling of this core for the instructions the
// ternary kernels use. 12 independent accumulators so latency never limits; no loads. The empty
// asm before each vpmaddubsw makes its input look new: otherwise GCC computes the one product once
// per iteration and the probe measures 12 vpaddw (it read 382 instead of ~240 GMAC/s on Zen 5).
// Only called after cpuinfo says the ISA is there (this file alone is compiled with AVX-512 flags).
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__)
// GCC 12 false positive inside its AVX-512 headers (bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace ternrt_bench {

#define TERNRT_REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// vpmaddubsw ymm + vpaddw: 32 MAC per pair (the AVX2 kernel's inner loop). Returns a checksum.
int64_t peak_vpmaddubsw_ymm(size_t iterations) {
  __m256i u = _mm256_set1_epi8(2), x = _mm256_set1_epi8(-3);
#define DECL(i) __m256i acc##i = _mm256_set1_epi16(i);
  TERNRT_REPEAT12(DECL)
#undef DECL
  for (size_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+x"(u), "+x"(x));   // keep the loop from being folded
#define STEP(i)              \
  __asm__("" : "+x"(x)); \
  acc##i = _mm256_add_epi16(acc##i, _mm256_maddubs_epi16(u, x));
    TERNRT_REPEAT12(STEP)
#undef STEP
  }
  __m256i sum = _mm256_setzero_si256();
#define SUM(i) sum = _mm256_add_epi16(sum, acc##i);
  TERNRT_REPEAT12(SUM)
#undef SUM
  return _mm256_extract_epi16(sum, 0);
}

// vpmaddubsw zmm + vpaddw: 64 MAC per pair (the AVX-512BW kernel's inner loop).
int64_t peak_vpmaddubsw_zmm(size_t iterations) {
  __m512i u = _mm512_set1_epi8(2), x = _mm512_set1_epi8(-3);
#define DECL(i) __m512i acc##i = _mm512_set1_epi16(i);
  TERNRT_REPEAT12(DECL)
#undef DECL
  for (size_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+v"(u), "+v"(x));
#define STEP(i)              \
  __asm__("" : "+v"(x)); \
  acc##i = _mm512_add_epi16(acc##i, _mm512_maddubs_epi16(u, x));
    TERNRT_REPEAT12(STEP)
#undef STEP
  }
  __m512i sum = _mm512_setzero_si512();
#define SUM(i) sum = _mm512_add_epi16(sum, acc##i);
  TERNRT_REPEAT12(SUM)
#undef SUM
  return _mm_extract_epi16(_mm512_castsi512_si128(sum), 0);
}

// vpdpbusd zmm: 64 MAC per instruction (the VNNI kernel's inner loop).
int64_t peak_vpdpbusd_zmm(size_t iterations) {
  __m512i u = _mm512_set1_epi8(2), x = _mm512_set1_epi8(-3);
#define DECL(i) __m512i acc##i = _mm512_set1_epi32(i);
  TERNRT_REPEAT12(DECL)
#undef DECL
  for (size_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+v"(u), "+v"(x));
#define STEP(i) acc##i = _mm512_dpbusd_epi32(acc##i, u, x);
    TERNRT_REPEAT12(STEP)
#undef STEP
  }
  __m512i sum = _mm512_setzero_si512();
#define SUM(i) sum = _mm512_add_epi32(sum, acc##i);
  TERNRT_REPEAT12(SUM)
#undef SUM
  return _mm_cvtsi128_si32(_mm512_castsi512_si128(sum));
}

}  // namespace ternrt_bench
#endif
