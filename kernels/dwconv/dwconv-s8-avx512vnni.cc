// AVX-512 VNNI ukernel of the int8 depthwise convolution: dwconv-s8-avx512-impl.h with vpdpwssd
// (multiply int16 pairs and accumulate in one instruction; the same exact int32 sums).
#include <algorithm>

#include "dwconv/dwconv-s8-avx512-impl.h"

namespace ternrt::kernels {

namespace {

struct Dpwssd {
  static inline __m512i step(__m512i a, __m512i x, __m512i w) { return _mm512_dpwssd_epi32(a, x, w); }
};

}  // namespace

void dwconv_s8_ukernel__avx512vnni(size_t channels, size_t pixels, size_t pairs, const int8_t* const* taps,
                                   size_t input_step, const int16_t* weights, int32_t* acc, size_t acc_stride,
                                   bool accumulate) {
  dwconv_avx512::ukernel<Dpwssd>(channels, pixels, pairs, taps, input_step, weights, acc, acc_stride, accumulate);
}

}  // namespace ternrt::kernels

// Column path (dwconv-s8-internal.h).
namespace ternrt::kernels {

namespace {

template <size_t W>
struct Vec;

template <>
struct Vec<64> {
  using T = __m512i;
  static T load(const void* p) { return _mm512_loadu_si512(p); }
  static void store(void* p, T v) { _mm512_storeu_si512(p, v); }
  static T flip(T v) { return _mm512_xor_si512(v, _mm512_set1_epi8(int8_t(0x80))); }
  static T lo8(T a, T b) { return _mm512_unpacklo_epi8(a, b); }
  static T hi8(T a, T b) { return _mm512_unpackhi_epi8(a, b); }
  static T lo16(T a, T b) { return _mm512_unpacklo_epi16(a, b); }
  static T hi16(T a, T b) { return _mm512_unpackhi_epi16(a, b); }
  static T zero() { return _mm512_setzero_si512(); }
  static T dot(T acc, T u, T s) { return _mm512_dpbusd_epi32(acc, u, s); }
};

template <>
struct Vec<32> {
  using T = __m256i;
  static T load(const void* p) { return _mm256_loadu_si256(static_cast<const T*>(p)); }
  static void store(void* p, T v) { _mm256_storeu_si256(static_cast<T*>(p), v); }
  static T flip(T v) { return _mm256_xor_si256(v, _mm256_set1_epi8(int8_t(0x80))); }
  static T lo8(T a, T b) { return _mm256_unpacklo_epi8(a, b); }
  static T hi8(T a, T b) { return _mm256_unpackhi_epi8(a, b); }
  static T lo16(T a, T b) { return _mm256_unpacklo_epi16(a, b); }
  static T hi16(T a, T b) { return _mm256_unpackhi_epi16(a, b); }
  static T zero() { return _mm256_setzero_si256(); }
  static T dot(T acc, T u, T s) { return _mm256_dpbusd_epi32(acc, u, s); }
};

template <>
struct Vec<16> {
  using T = __m128i;
  static T load(const void* p) { return _mm_loadu_si128(static_cast<const T*>(p)); }
  static void store(void* p, T v) { _mm_storeu_si128(static_cast<T*>(p), v); }
  static T flip(T v) { return _mm_xor_si128(v, _mm_set1_epi8(int8_t(0x80))); }
  static T lo8(T a, T b) { return _mm_unpacklo_epi8(a, b); }
  static T hi8(T a, T b) { return _mm_unpackhi_epi8(a, b); }
  static T lo16(T a, T b) { return _mm_unpacklo_epi16(a, b); }
  static T hi16(T a, T b) { return _mm_unpackhi_epi16(a, b); }
  static T zero() { return _mm_setzero_si128(); }
  static T dot(T acc, T u, T s) { return _mm_dpbusd_epi32(acc, u, s); }
};

// Rows 4g..4g+3 of column col interleaved into dwords (vector k: channels 16L + 4k + j).
template <size_t W>
inline void build_column(size_t b0, size_t col, size_t groups, const int8_t* const* rows, int8_t* buf) {
  using V = Vec<W>;
  using T = typename V::T;
  for (size_t g = 0; g < groups; ++g) {
    const int8_t* const* r = rows + (col * groups + g) * 4;
    const T r0 = V::flip(V::load(r[0] + b0)), r1 = V::flip(V::load(r[1] + b0));
    const T r2 = V::flip(V::load(r[2] + b0)), r3 = V::flip(V::load(r[3] + b0));
    const T a = V::lo8(r0, r1), b = V::hi8(r0, r1), c = V::lo8(r2, r3), d = V::hi8(r2, r3);
    int8_t* out = buf + (col * groups + g) * 4 * W;
    V::store(out, V::lo16(a, c));
    V::store(out + W, V::hi16(a, c));
    V::store(out + 2 * W, V::lo16(b, d));
    V::store(out + 3 * W, V::hi16(b, d));
  }
}

template <size_t W>
void columns_block(size_t b0, size_t pixels, size_t span, size_t groups, size_t kernel_w, size_t stride_w,
                   size_t dilation_w, const int8_t* const* rows, const int8_t* w, int32_t* acc, size_t acc_stride,
                   int8_t* buf) {
  using V = Vec<W>;
  using T = typename V::T;
  // Columns are built just before the first pixel that needs them, so the shuffles of the next
  // columns (port 5) overlap the vpdpbusd of the current pixel (port 0).
  const size_t extent = (kernel_w - 1) * dilation_w + 1;
  size_t built = 0;
  const bool fixed3 = groups == 1 && kernel_w == 3;   // 3x3: the twelve weight vectors stay in registers
  T wr[12];
  if (fixed3) {
    for (size_t v = 0; v < 12; ++v) wr[v] = V::load(w + v * W);
  }
  for (size_t i = 0; i < pixels; ++i) {
    const size_t need = std::min(span, i * stride_w + extent);
    for (; built < need; ++built) build_column<W>(b0, built, groups, rows, buf);
    T q0 = V::zero(), q1 = V::zero(), q2 = V::zero(), q3 = V::zero();
    if (fixed3) {
      const int8_t* x = buf + i * stride_w * 4 * W;
      const size_t col_step = dilation_w * 4 * W;
      for (size_t kx = 0; kx < 3; ++kx, x += col_step) {
        q0 = V::dot(q0, V::load(x), wr[kx * 4]);
        q1 = V::dot(q1, V::load(x + W), wr[kx * 4 + 1]);
        q2 = V::dot(q2, V::load(x + 2 * W), wr[kx * 4 + 2]);
        q3 = V::dot(q3, V::load(x + 3 * W), wr[kx * 4 + 3]);
      }
    } else {
      for (size_t g = 0; g < groups; ++g) {
        for (size_t kx = 0; kx < kernel_w; ++kx) {
          const int8_t* x = buf + ((i * stride_w + kx * dilation_w) * groups + g) * 4 * W;
          const int8_t* wv = w + (g * kernel_w + kx) * 4 * W;
          q0 = V::dot(q0, V::load(x), V::load(wv));
          q1 = V::dot(q1, V::load(x + W), V::load(wv + W));
          q2 = V::dot(q2, V::load(x + 2 * W), V::load(wv + 2 * W));
          q3 = V::dot(q3, V::load(x + 3 * W), V::load(wv + 3 * W));
        }
      }
    }
    int32_t* out = acc + i * acc_stride + b0;
    V::store(out, q0);
    V::store(out + W / 4, q1);
    V::store(out + W / 2, q2);
    V::store(out + 3 * W / 4, q3);
  }
}

}  // namespace

void dwconv_s8_columns__avx512vnni(size_t channels, size_t pixels, size_t span, size_t groups, size_t kernel_w,
                                   size_t stride_w, size_t dilation_w, const int8_t* const* rows,
                                   const int8_t* weights, int32_t* acc, size_t acc_stride) {
  alignas(64) int8_t buf[kDwconvColumnsMaxSpan * kDwconvColumnsMaxGroups * 4 * 64];
  for (size_t b0 = 0; b0 < channels;) {
    const size_t block = dwconv_column_block(channels - b0);
    const int8_t* w = weights + 4 * b0 * groups * kernel_w;
    auto run = [&](auto block_fn) {
      block_fn(b0, pixels, span, groups, kernel_w, stride_w, dilation_w, rows, w, acc, acc_stride, buf);
    };
    switch (block) {
      case 64: run(columns_block<64>); break;
      case 32: run(columns_block<32>); break;
      default: run(columns_block<16>); break;
    }
    b0 += block;
  }
}

void dwconv_s8_unpermute__avx512vnni(size_t fast_channels, size_t channels, size_t pixels, const int8_t* src,
                                     size_t src_stride, int8_t* dst, size_t dst_stride) {
  // Output dword 4L + k (channels 16L + 4k .. + 3) comes from position dword k * W / 16 + L.
  const __m512i idx64 = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  const __m256i idx32 = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  size_t b0 = 0;
  for (; b0 < fast_channels && b0 < channels;) {
    const size_t block = dwconv_column_block(fast_channels - b0), left = channels - b0;
    const __mmask64 mask = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;   // bytes of real channels
    const int8_t* s = src + b0;
    int8_t* d = dst + b0;
    if (block == 64) {
      for (size_t i = 0; i < pixels; ++i, s += src_stride, d += dst_stride)
        _mm512_mask_storeu_epi8(d, mask, _mm512_permutexvar_epi32(idx64, _mm512_loadu_si512(s)));
    } else if (block == 32) {
      for (size_t i = 0; i < pixels; ++i, s += src_stride, d += dst_stride) {
        const __m256i v = _mm256_permutevar8x32_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s)), idx32);
        _mm256_mask_storeu_epi8(d, __mmask32(mask), v);
      }
    } else {
      for (size_t i = 0; i < pixels; ++i, s += src_stride, d += dst_stride)
        _mm_mask_storeu_epi8(d, __mmask16(mask), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
    }
    b0 += block;
  }
  if (b0 < channels) {   // fewer than 16 channels past the column blocks, already in order
    const __mmask16 mask = __mmask16((1u << (channels - b0)) - 1);
    for (size_t i = 0; i < pixels; ++i)
      _mm_mask_storeu_epi8(dst + i * dst_stride + b0, mask, _mm_maskz_loadu_epi8(mask, src + i * src_stride + b0));
  }
}

}  // namespace ternrt::kernels
