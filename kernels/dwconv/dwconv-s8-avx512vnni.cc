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

constexpr size_t kColumnBytes = 4 * kDwconvColumnsBlock;   // one group of four rows of a column

// Kernel rows 4g..4g+3 of image column ix interleaved into dwords: vector k holds channels
// 16L + 4k + j (lane L, dword j) with the rows' bytes (flipped to u8) in its four bytes.
inline void build_column(const DwconvColumnsArgs& a, size_t b0, __mmask64 lanes, ptrdiff_t ix, int8_t* out) {
  const __m512i pad = _mm512_set1_epi8(a.pad_byte);
  if (ix < 0 || ix >= ptrdiff_t(a.in_w)) {
    for (size_t v = 0; v < 4 * a.groups; ++v) _mm512_store_si512(out + v * kDwconvColumnsBlock, pad);
    return;
  }
  const __m512i flip = _mm512_set1_epi8(int8_t(0x80));
  const size_t offset = size_t(ix) * a.channels + b0;
  for (size_t g = 0; g < a.groups; ++g, out += kColumnBytes) {
    __m512i r[4];
    for (size_t i = 0; i < 4; ++i) {
      const int8_t* row = a.rows[4 * g + i];
      r[i] = row != nullptr ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(lanes, row + offset), flip) : pad;
    }
    const __m512i lo01 = _mm512_unpacklo_epi8(r[0], r[1]), hi01 = _mm512_unpackhi_epi8(r[0], r[1]);
    const __m512i lo23 = _mm512_unpacklo_epi8(r[2], r[3]), hi23 = _mm512_unpackhi_epi8(r[2], r[3]);
    _mm512_store_si512(out, _mm512_unpacklo_epi16(lo01, lo23));
    _mm512_store_si512(out + 64, _mm512_unpackhi_epi16(lo01, lo23));
    _mm512_store_si512(out + 128, _mm512_unpacklo_epi16(hi01, hi23));
    _mm512_store_si512(out + 192, _mm512_unpackhi_epi16(hi01, hi23));
  }
}

// One 64-channel block of every pixel of the call. kFixed3: one group of rows and 3 columns (3x3 and
// smaller kernels), the twelve weight vectors held in registers.
template <bool kFixed3, bool kHswish, bool kBounded>
void columns_block(const DwconvColumnsArgs& a, size_t b0, int8_t* buf) {
  const size_t left = a.channels - b0;
  const __mmask64 lanes = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
  const size_t groups = a.groups, column_bytes = groups * kColumnBytes;
  const int8_t* w = a.weights + 4 * b0 * groups * a.kernel_w;
  __m512i start[4];
  __m512 mul[4], add[4];
  for (size_t k = 0; k < 4; ++k) {
    start[k] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_loadu_si512(a.correction + b0 + 16 * k));
    mul[k] = _mm512_loadu_ps(a.multiplier + b0 + 16 * k);
    add[k] = _mm512_loadu_ps(a.offset + b0 + 16 * k);
  }
  __m512i wr[kFixed3 ? 12 : 1];
  if constexpr (kFixed3) {
    for (size_t v = 0; v < 12; ++v) wr[v] = _mm512_loadu_si512(w + v * 64);
  }
  const HswishConsts h(a.slope, a.zero_point);
  const __m512 hi = _mm512_set1_ps(float(a.out_max));
  const __m512i lo_bytes = _mm512_set1_epi8(a.out_min), hi_bytes = _mm512_set1_epi8(a.out_max);
  const size_t extent = (a.kernel_w - 1) * a.dilation_w + 1;
  const size_t col_step = a.dilation_w * column_bytes;
  size_t built = 0;
  int8_t* out = a.out + b0;
  for (size_t i = 0; i < a.pixels; ++i, out += a.channels) {
    // Columns are built just before the first pixel that needs them, so the shuffles of the next
    // columns overlap the vpdpbusd of the current pixel.
    const size_t need = std::min(a.span, i * a.stride_w + extent);
    for (; built < need; ++built) build_column(a, b0, lanes, a.ix0 + ptrdiff_t(built), buf + built * column_bytes);
    __m512i q[4] = {start[0], start[1], start[2], start[3]};
    const int8_t* x = buf + i * a.stride_w * column_bytes;
    if constexpr (kFixed3) {
      for (size_t kx = 0; kx < 3; ++kx, x += col_step) {
        for (size_t k = 0; k < 4; ++k) q[k] = _mm512_dpbusd_epi32(q[k], _mm512_load_si512(x + 64 * k), wr[kx * 4 + k]);
      }
    } else {
      for (size_t kx = 0; kx < a.kernel_w; ++kx, x += col_step) {
        const int8_t* wv = w + kx * 4 * 64;
        for (size_t g = 0; g < groups; ++g, wv += a.kernel_w * 4 * 64) {
          const int8_t* xg = x + g * kColumnBytes;
          for (size_t k = 0; k < 4; ++k) {
            q[k] = _mm512_dpbusd_epi32(q[k], _mm512_load_si512(xg + 64 * k), _mm512_loadu_si512(wv + 64 * k));
          }
        }
      }
    }
    __m512i y[4];
    for (size_t k = 0; k < 4; ++k) {
      y[k] = kHswish ? hswish_s8<kBounded>(q[k], mul[k], add[k], h, hi) : requantize_s8<kBounded>(q[k], mul[k], add[k], hi);
    }
    // In-lane packs: lane L of the result holds channels 16L .. 16L + 15 in order.
    const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(y[0], y[1]), _mm512_packs_epi32(y[2], y[3]));
    _mm512_mask_storeu_epi8(out, lanes, _mm512_min_epi8(_mm512_max_epi8(bytes, lo_bytes), hi_bytes));
  }
}

template <bool kFixed3>
void columns_block_any(const DwconvColumnsArgs& a, size_t b0, int8_t* buf) {
  bool bounded = true;
  for (size_t k = 0; k < 4; ++k) {
    bounded = bounded && terms_bound_y(0xFFFF, _mm512_loadu_ps(a.multiplier + b0 + 16 * k),
                                       _mm512_loadu_ps(a.offset + b0 + 16 * k));
  }
  if (a.hardswish) {
    bounded ? columns_block<kFixed3, true, true>(a, b0, buf) : columns_block<kFixed3, true, false>(a, b0, buf);
  } else {
    bounded ? columns_block<kFixed3, false, true>(a, b0, buf) : columns_block<kFixed3, false, false>(a, b0, buf);
  }
}

}  // namespace

void dwconv_s8_columns__avx512vnni(const DwconvColumnsArgs& a) {
  alignas(64) int8_t buf[kDwconvColumnsMaxSpan * kDwconvColumnsMaxGroups * kColumnBytes];
  const bool fixed3 = a.groups == 1 && a.kernel_w == 3;
  for (size_t b0 = 0; b0 < a.channels; b0 += kDwconvColumnsBlock) {
    fixed3 ? columns_block_any<true>(a, b0, buf) : columns_block_any<false>(a, b0, buf);
  }
}

}  // namespace ternrt::kernels
