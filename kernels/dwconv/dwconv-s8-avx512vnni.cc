// AVX-512 VNNI ukernel of the int8 depthwise convolution: dwconv-s8-avx512-impl.h with vpdpwssd
// (multiply int16 pairs and accumulate in one instruction; the same exact int32 sums).
#include <algorithm>

#include "dwconv/dwconv-s8-avx512-impl.h"
#include "t2i8-gemm/requantize-s8-avx512.h"

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

// Vector types of a column block: 64 channels in zmm registers (48 in Zmm48 below), or (for a last
// block of at most 32 channels) 32 in ymm registers, so that block runs without 512-bit instructions
// (which keep port 1 from vector work) and its padded lanes cost half. All give the same bits.
struct Zmm {
  static constexpr size_t kWidth = 64;      // bytes per vector
  static constexpr size_t kVectors = 4;     // accumulators per pixel (dwconv_column_vectors)
  static constexpr size_t kChannels = 64;   // block width
  using I = __m512i;
  using F = __m512;
  using Mask = __mmask64;
  using Hswish = HswishConsts;
  static I load(const void* p) { return _mm512_load_si512(p); }
  static I loadu(const void* p) { return _mm512_loadu_si512(p); }
  static F loadf(const float* p) { return _mm512_loadu_ps(p); }
  static I maskz_load8(Mask m, const void* p) { return _mm512_maskz_loadu_epi8(m, p); }
  static void store(void* p, I v) { _mm512_store_si512(p, v); }
  static void mask_store8(void* p, Mask m, I v) { _mm512_mask_storeu_epi8(p, m, v); }
  static I set1_8(int8_t v) { return _mm512_set1_epi8(v); }
  static F set1_ps(float v) { return _mm512_set1_ps(v); }
  static I zero() { return _mm512_setzero_si512(); }
  static I bit_xor(I a, I b) { return _mm512_xor_si512(a, b); }
  static I lo8(I a, I b) { return _mm512_unpacklo_epi8(a, b); }
  static I hi8(I a, I b) { return _mm512_unpackhi_epi8(a, b); }
  static I lo16(I a, I b) { return _mm512_unpacklo_epi16(a, b); }
  static I hi16(I a, I b) { return _mm512_unpackhi_epi16(a, b); }
  static I sub32(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I dot(I acc, I u, I s) { return _mm512_dpbusd_epi32(acc, u, s); }
  static I packs32(I a, I b) { return _mm512_packs_epi32(a, b); }
  static I packs16(I a, I b) { return _mm512_packs_epi16(a, b); }
  static I clamp8(I v, I lo, I hi) { return _mm512_min_epi8(_mm512_max_epi8(v, lo), hi); }
};
struct Ymm {
  static constexpr size_t kWidth = 32;
  static constexpr size_t kVectors = 4;
  static constexpr size_t kChannels = 32;
  using I = __m256i;
  using F = __m256;
  using Mask = __mmask32;
  using Hswish = HswishConsts256;
  static I load(const void* p) { return _mm256_load_si256(static_cast<const I*>(p)); }
  static I loadu(const void* p) { return _mm256_loadu_si256(static_cast<const I*>(p)); }
  static F loadf(const float* p) { return _mm256_loadu_ps(p); }
  static I maskz_load8(Mask m, const void* p) { return _mm256_maskz_loadu_epi8(m, p); }
  static void store(void* p, I v) { _mm256_store_si256(static_cast<I*>(p), v); }
  static void mask_store8(void* p, Mask m, I v) { _mm256_mask_storeu_epi8(p, m, v); }
  static I set1_8(int8_t v) { return _mm256_set1_epi8(v); }
  static F set1_ps(float v) { return _mm256_set1_ps(v); }
  static I zero() { return _mm256_setzero_si256(); }
  static I bit_xor(I a, I b) { return _mm256_xor_si256(a, b); }
  static I lo8(I a, I b) { return _mm256_unpacklo_epi8(a, b); }
  static I hi8(I a, I b) { return _mm256_unpackhi_epi8(a, b); }
  static I lo16(I a, I b) { return _mm256_unpacklo_epi16(a, b); }
  static I hi16(I a, I b) { return _mm256_unpackhi_epi16(a, b); }
  static I sub32(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I dot(I acc, I u, I s) { return _mm256_dpbusd_epi32(acc, u, s); }
  static I packs32(I a, I b) { return _mm256_packs_epi32(a, b); }
  static I packs16(I a, I b) { return _mm256_packs_epi16(a, b); }
  static I clamp8(I v, I lo, I hi) { return _mm256_min_epi8(_mm256_max_epi8(v, lo), hi); }
};

// 48-channel blocks (a last block of 33-48 channels): 12 channels per 128-bit lane, so three
// accumulators instead of four (a 36-channel layer ran a 64-lane block, 44% of it padding). The
// rows' bytes are spread to 12 per lane before the interleave, and the packed bytes gathered back.
struct Zmm48 : Zmm {
  static constexpr size_t kVectors = 3;
  static constexpr size_t kChannels = 48;
  // Bytes 12L .. 12L + 11 to lane L (its last dword is not used).
  static I spread(I v) {
    return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0), v);
  }
  // Lane L's first 12 bytes to bytes 12L .. 12L + 11.
  static I gather(I v) {
    return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 15, 15, 15), v);
  }
};

// Kernel rows 4g..4g+3 of image column ix interleaved into dwords (block of V::kChannels channels):
// vector k < kVectors holds channels lc * L + 4k + j (lane L, dword j; lc = channels per 128-bit lane,
// 16, or 12 in 48-channel blocks) with the rows' bytes (flipped to u8) in its four bytes.
// Always inlined: with a third block type GCC stopped inlining it, and every column block ran 3-10%
// slower for the call.
template <class V>
__attribute__((always_inline)) inline void build_column(const DwconvColumnsArgs& a, size_t b0, typename V::Mask lanes,
                                                        ptrdiff_t ix, int8_t* out) {
  constexpr size_t W = V::kWidth, kVec = V::kVectors;
  const typename V::I pad = V::set1_8(a.pad_byte);
  if (ix < 0 || ix >= ptrdiff_t(a.in_w)) {
    for (size_t v = 0; v < kVec * a.groups; ++v) V::store(out + v * W, pad);
    return;
  }
  const typename V::I flip = V::set1_8(int8_t(0x80));
  const size_t offset = size_t(ix) * a.channels + b0;
  for (size_t g = 0; g < a.groups; ++g, out += kVec * W) {
    typename V::I r[4];
    for (size_t i = 0; i < 4; ++i) {
      const int8_t* row = a.rows[4 * g + i];
      r[i] = row != nullptr ? V::bit_xor(V::maskz_load8(lanes, row + offset), flip) : pad;
      if constexpr (kVec == 3) r[i] = V::spread(r[i]);   // (pad is a broadcast: unchanged)
    }
    const typename V::I lo01 = V::lo8(r[0], r[1]), hi01 = V::hi8(r[0], r[1]);
    const typename V::I lo23 = V::lo8(r[2], r[3]), hi23 = V::hi8(r[2], r[3]);
    V::store(out, V::lo16(lo01, lo23));
    V::store(out + W, V::hi16(lo01, lo23));
    V::store(out + 2 * W, V::lo16(hi01, hi23));
    if constexpr (kVec == 4) V::store(out + 3 * W, V::hi16(hi01, hi23));
  }
}

// One channel block of every pixel of the call. kFixed3: one group of rows and 3 columns (3x3 and
// smaller kernels), the 3 * kVectors weight vectors held in registers.
template <class V, bool kFixed3, bool kHswish, bool kBounded>
void columns_block(const DwconvColumnsArgs& a, size_t b0, int8_t* buf) {
  using I = typename V::I;
  using F = typename V::F;
  constexpr size_t W = V::kWidth, kVec = V::kVectors, kQuarter = W / 4;   // kQuarter: positions per vector
  const size_t left = std::min(a.channels - b0, V::kChannels);
  const typename V::Mask lanes = left >= W ? typename V::Mask(~uint64_t(0)) : typename V::Mask((uint64_t(1) << left) - 1);
  const size_t groups = a.groups, column_bytes = groups * kVec * W;
  const int8_t* w = a.weights + 4 * b0 * groups * a.kernel_w;
  I start[kVec];
  F mul[kVec], add[kVec];
  for (size_t k = 0; k < kVec; ++k) {
    start[k] = V::sub32(V::zero(), V::loadu(a.correction + b0 + kQuarter * k));
    mul[k] = V::loadf(a.multiplier + b0 + kQuarter * k);
    add[k] = V::loadf(a.offset + b0 + kQuarter * k);
  }
  I wr[kFixed3 ? 3 * kVec : 1];
  if constexpr (kFixed3) {
    for (size_t v = 0; v < 3 * kVec; ++v) wr[v] = V::loadu(w + v * W);
  }
  const typename V::Hswish h(a.slope, a.zero_point);
  const F hi = V::set1_ps(float(a.out_max));
  const I lo_bytes = V::set1_8(a.out_min), hi_bytes = V::set1_8(a.out_max);
  const bool clamp_bytes = a.out_min != -128 || a.out_max != 127;
  const size_t extent = (a.kernel_w - 1) * a.dilation_w + 1;
  const size_t col_step = a.dilation_w * column_bytes;
  size_t built = 0;
  int8_t* out = a.out + b0;
  for (size_t i = 0; i < a.pixels; ++i, out += a.channels) {
    // Columns are built just before the first pixel that needs them, so the shuffles of the next
    // columns overlap the vpdpbusd of the current pixel.
    const size_t need = std::min(a.span, i * a.stride_w + extent);
    for (; built < need; ++built) build_column<V>(a, b0, lanes, a.ix0 + ptrdiff_t(built), buf + built * column_bytes);
    I q[kVec];
    for (size_t k = 0; k < kVec; ++k) q[k] = start[k];
    const int8_t* x = buf + i * a.stride_w * column_bytes;
    if constexpr (kFixed3) {
      for (size_t kx = 0; kx < 3; ++kx, x += col_step) {
        for (size_t k = 0; k < kVec; ++k) q[k] = V::dot(q[k], V::load(x + W * k), wr[kx * kVec + k]);
      }
    } else {
      for (size_t kx = 0; kx < a.kernel_w; ++kx, x += col_step) {
        const int8_t* wv = w + kx * kVec * W;
        for (size_t g = 0; g < groups; ++g, wv += a.kernel_w * kVec * W) {
          const int8_t* xg = x + g * kVec * W;
          for (size_t k = 0; k < kVec; ++k) q[k] = V::dot(q[k], V::load(xg + W * k), V::loadu(wv + W * k));
        }
      }
    }
    I y[kVec];
    for (size_t k = 0; k < kVec; ++k) {
      y[k] = kHswish ? hswish_s8<kBounded>(q[k], mul[k], add[k], h, hi) : requantize_s8<kBounded>(q[k], mul[k], add[k], hi);
    }
    // In-lane packs: lane L of the result holds channels 16L .. 16L + 15 in order (48-channel
    // blocks: 12L .. 12L + 11, then gathered).
    I bytes;
    if constexpr (kVec == 4) {
      bytes = V::packs16(V::packs32(y[0], y[1]), V::packs32(y[2], y[3]));
    } else {
      bytes = V::gather(V::packs16(V::packs32(y[0], y[1]), V::packs32(y[2], y[2])));
    }
    if (clamp_bytes) bytes = V::clamp8(bytes, lo_bytes, hi_bytes);   // the full range: the packs saturate
    V::mask_store8(out, lanes, bytes);
  }
}

// requantize_s8's bound (terms_bound_y) at every position of the block.
inline bool block_bounded(const DwconvColumnsArgs& a, size_t b0, size_t width) {
  bool bounded = true;
  for (size_t pos = b0; pos < b0 + width; pos += 16) {
    bounded = bounded && terms_bound_y(0xFFFF, _mm512_loadu_ps(a.multiplier + pos), _mm512_loadu_ps(a.offset + pos));
  }
  return bounded;
}

template <class V, bool kFixed3>
void columns_block_any(const DwconvColumnsArgs& a, size_t b0, int8_t* buf) {
  const bool bounded = block_bounded(a, b0, V::kChannels);
  if (a.hardswish) {
    bounded ? columns_block<V, kFixed3, true, true>(a, b0, buf) : columns_block<V, kFixed3, true, false>(a, b0, buf);
  } else {
    bounded ? columns_block<V, kFixed3, false, true>(a, b0, buf) : columns_block<V, kFixed3, false, false>(a, b0, buf);
  }
}

}  // namespace

void dwconv_s8_columns__avx512vnni(const DwconvColumnsArgs& a) {
  alignas(64) int8_t buf[kDwconvColumnsMaxSpan * kDwconvColumnsMaxGroups * 4 * kDwconvColumnsBlock];
  const bool fixed3 = a.groups == 1 && a.kernel_w == 3;
  for (size_t b0 = 0; b0 < a.channels;) {
    const size_t block = dwconv_column_block(a.channels - b0);
    if (block == 64) {
      fixed3 ? columns_block_any<Zmm, true>(a, b0, buf) : columns_block_any<Zmm, false>(a, b0, buf);
    } else if (block == 48) {
      fixed3 ? columns_block_any<Zmm48, true>(a, b0, buf) : columns_block_any<Zmm48, false>(a, b0, buf);
    } else {
      fixed3 ? columns_block_any<Ymm, true>(a, b0, buf) : columns_block_any<Ymm, false>(a, b0, buf);
    }
    b0 += block;
  }
}

}  // namespace ternrt::kernels
