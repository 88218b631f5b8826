// max_pool_s8 built with -mavx2: 32 bytes per vpmaxsb, the tails byte by byte.
#include <immintrin.h>

#include "pool/max-pool-s8-internal.h"
#include "pool/max-pool-s8-rows.h"

namespace ternrt::kernels {

namespace {

inline __m256i load32(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline void store32(int8_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

struct Avx2Ops : GenericWindows<Avx2Ops> {
  static void rows_max(const int8_t* p, size_t row_stride, size_t rows, size_t n, int8_t* y) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      __m256i best = load32(p + i);
      for (size_t r = 1; r < rows; ++r) best = _mm256_max_epi8(best, load32(p + r * row_stride + i));
      store32(y + i, best);
    }
    ByteLoops::rows_max(p, row_stride, rows, n, y, i);
  }
  static void max_into(int8_t* acc, const int8_t* x, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) store32(acc + i, _mm256_max_epi8(load32(acc + i), load32(x + i)));
    ByteLoops::max_into(acc, x, n, i);
  }
  static void clamp_store(const int8_t* v, size_t n, int8_t lo, int8_t hi, int8_t* y) {
    const __m256i vlo = _mm256_set1_epi8(lo), vhi = _mm256_set1_epi8(hi);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) store32(y + i, _mm256_min_epi8(vhi, _mm256_max_epi8(vlo, load32(v + i))));
    ByteLoops::clamp_store(v, n, lo, hi, y, i);
  }
  static void window_max(const int8_t* p, size_t count, size_t c, int8_t lo, int8_t hi, int8_t* y) {
    const __m256i vlo = _mm256_set1_epi8(lo), vhi = _mm256_set1_epi8(hi);
    size_t i = 0;
    for (; i + 32 <= c; i += 32) {
      __m256i best = load32(p + i);
      for (size_t j = 1; j < count; ++j) best = _mm256_max_epi8(best, load32(p + j * c + i));
      store32(y + i, _mm256_min_epi8(vhi, _mm256_max_epi8(vlo, best)));
    }
    ByteLoops::window_max(p, count, c, lo, hi, y, i);
  }
};

}  // namespace

TERNRT_DEFINE_MAX_POOL_S8(max_pool_s8__avx2, Avx2Ops)

}  // namespace ternrt::kernels
