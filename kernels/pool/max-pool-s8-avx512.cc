// max_pool_s8 built with -mavx512f -mavx512bw -mavx512vl (avx512bw and avx512vnni): 64 bytes per
// vpmaxsb, masked tails.
#include "avx512-intrinsics.h"

#include "pool/max-pool-s8-internal.h"
#include "pool/max-pool-s8-rows.h"

namespace ternrt::kernels {

namespace {

inline __mmask64 first_bytes(size_t n) { return n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1; }

struct Avx512Ops {
  static void rows_max(const int8_t* p, size_t row_stride, size_t rows, size_t n, int8_t* y) {
    for (size_t i = 0; i < n; i += 64) {
      const __mmask64 m = first_bytes(n - i);
      __m512i best = _mm512_maskz_loadu_epi8(m, p + i);
      for (size_t r = 1; r < rows; ++r) best = _mm512_max_epi8(best, _mm512_maskz_loadu_epi8(m, p + r * row_stride + i));
      _mm512_mask_storeu_epi8(y + i, m, best);
    }
  }
  // 16 channels at stride 2 (a small model's 3x3 / 2 pool): four outputs per vector. Windows start
  // every second 16-byte pixel, so each window tap takes pixels s, s + 2, s + 4, s + 6 (two loads
  // and one 128-bit shuffle); other shapes one output at a time.
  static void windows(const int8_t* p, size_t outputs, const MaxPoolGeometry& g, int8_t lo, int8_t hi, int8_t* y) {
    size_t o = 0;
    if (g.channels == 16 && g.stride_w == 2) {
      const __m512i vlo = _mm512_set1_epi8(lo), vhi = _mm512_set1_epi8(hi);
      for (; o + 4 <= outputs; o += 4) {
        __m512i best = _mm512_set1_epi8(-128);
        for (size_t k = 0; k < g.kernel_w; ++k) {
          const int8_t* s = p + (2 * o + k) * 16;
          // Pixels s .. s + 3 and s + 4 .. s + 6 (not s + 7: it may lie past the windows).
          const __m512i a = _mm512_loadu_si512(s), b = _mm512_maskz_loadu_epi8(0xFFFFFFFFFFFFull, s + 64);
          best = _mm512_max_epi8(best, _mm512_shuffle_i64x2(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        }
        _mm512_storeu_si512(y + 16 * o, _mm512_min_epi8(vhi, _mm512_max_epi8(vlo, best)));
      }
    }
    for (; o < outputs; ++o) window_max(p + o * g.stride_w * g.channels, g.kernel_w, g.channels, lo, hi, y + o * g.channels);
  }
  static void max_into(int8_t* acc, const int8_t* x, size_t n) {
    for (size_t i = 0; i < n; i += 64) {
      const __mmask64 m = first_bytes(n - i);
      _mm512_mask_storeu_epi8(acc + i, m, _mm512_max_epi8(_mm512_maskz_loadu_epi8(m, acc + i), _mm512_maskz_loadu_epi8(m, x + i)));
    }
  }
  static void clamp_store(const int8_t* v, size_t n, int8_t lo, int8_t hi, int8_t* y) {
    const __m512i vlo = _mm512_set1_epi8(lo), vhi = _mm512_set1_epi8(hi);
    for (size_t i = 0; i < n; i += 64) {
      const __mmask64 m = first_bytes(n - i);
      _mm512_mask_storeu_epi8(y + i, m, _mm512_min_epi8(vhi, _mm512_max_epi8(vlo, _mm512_maskz_loadu_epi8(m, v + i))));
    }
  }
  static void window_max(const int8_t* p, size_t count, size_t c, int8_t lo, int8_t hi, int8_t* y) {
    const __m512i vlo = _mm512_set1_epi8(lo), vhi = _mm512_set1_epi8(hi);
    for (size_t i = 0; i < c; i += 64) {
      const __mmask64 m = first_bytes(c - i);
      __m512i best = _mm512_maskz_loadu_epi8(m, p + i);
      for (size_t j = 1; j < count; ++j) best = _mm512_max_epi8(best, _mm512_maskz_loadu_epi8(m, p + j * c + i));
      _mm512_mask_storeu_epi8(y + i, m, _mm512_min_epi8(vhi, _mm512_max_epi8(vlo, best)));
    }
  }
};

}  // namespace

TERNRT_DEFINE_MAX_POOL_S8(max_pool_s8__avx512, Avx512Ops)

}  // namespace ternrt::kernels
