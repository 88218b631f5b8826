// T2I8Conv (t2i8-conv.h): convolution from the image in place, with the GEMM micro-kernels.
#include "ternrt/kernels/t2i8-conv.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <new>

#include "t2i8-gemm-internal.h"

namespace ternrt::kernels {

namespace {

// Accumulator tiles live on the stack: up to 16 rows x 32 channels.
constexpr size_t kMaxRows = 16, kMaxChannels = 32;
// Kernel rows shorter than this (in_c * kernel_w) go through im2col when the kernels take activation
// sums: 48 bytes (16 channels, 3 taps) was measured faster in place (benchmarks/RESULTS.md), and
// the per-window sums weigh more the shorter the row. Kernels without sums run any row in place:
// a 3x3 stem on 4-channel pixels (12-byte rows) took 17 us in place against 23-27 us with im2col.
constexpr size_t kMinRowDepth = 48;
// The micro-kernels may read this far past a row's last byte (t2i8-gemm.h).
constexpr size_t kReadPadding = 64;

// 4 int32 lanes (GCC / Clang vector extension): SSE2 or NEON registers without ISA flags.
typedef int32_t Int32x4 __attribute__((vector_size(16)));
inline Int32x4 load4(const int32_t* p) {
  Int32x4 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void store4(int32_t* p, Int32x4 v) { std::memcpy(p, &v, sizeof(v)); }

inline size_t round_up4(size_t bytes) { return (bytes + 3) / 4 * 4; }

// dst[i] = src[i] ^ 0x80 (the u8 value a + 128); src may equal dst. 16 bytes at a time in SSE2 / NEON
// registers (GCC / Clang vector extension): a byte loop was 2% of a small ResNet's time.
void flip_copy(const int8_t* src, int8_t* dst, size_t bytes) {
  typedef uint8_t Bytes16 __attribute__((vector_size(16)));
  const Bytes16 flip = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
  size_t i = 0;
  for (; i + 16 <= bytes; i += 16) {
    Bytes16 v;
    std::memcpy(&v, src + i, sizeof(v));
    v ^= flip;
    std::memcpy(dst + i, &v, sizeof(v));
  }
  for (; i < bytes; ++i) dst[i] = int8_t(src[i] ^ 0x80);
}

// run_residual_s8's epilogue: the residual tensor and its terms (RequantS8Terms::residual for the
// requantizing forms, t2i8_epilogue_residual_s8__scalar otherwise).
struct ResidualEpilogue {
  const int8_t* data;
  size_t stride;
  float multiplier;
  int32_t zero_point;
};

}  // namespace

struct T2I8Conv::Workspace {
  int8_t* padded;        // padded image (null when the layer has no padding)
  int32_t* pixel_sums;   // per pixel of the (padded) image
  int32_t* out_sums;     // per output pixel: the activation sum of its receptive field (null: no sums)
  int32_t* correction;   // per output channel: zero point * sum of trits
  float* multiplier;
  float* offset;
};

T2I8Conv::T2I8Conv(const PackedTernaryWeights& w, const Im2colGeometry& g, ImageEncoding encoding)
    : w_(w), g_(g), encoding_(encoding) {
  const T2I8GemmUkernel& ukernel = *impl(w).gemm_;
  const U8FormUkernel* u8_form = encoding == ImageEncoding::flipped_u8 ? u8i8_form_of(ukernel) : nullptr;
  ukernel_ = u8_form ? u8_form->fn : ukernel.fn;
  kernel_name_ = u8_form ? u8_form->name : ukernel.name;
  // Rows and columns the last output pixel reaches, with the padding before the image.
  const size_t need_h = (g.out_h - 1) * g.stride_h + g.dilation_h * (g.kernel_h - 1) + 1;
  const size_t need_w = (g.out_w - 1) * g.stride_w + g.kernel_w;
  padded_h_ = std::max(need_h, g.pad_top + g.in_h);
  padded_w_ = std::max(need_w, g.pad_left + g.in_w);
  padded_ = padded_h_ != g.in_h || padded_w_ != g.in_w;
  // Ternary weights on a padded layer: the copy into the padded buffer may as well flip the image,
  // so the u8 form runs without per-pixel and per-window activation sums (t2u8-gemm.inc). Only for
  // layers of one channel tile, where the sums are shared by the fewest outputs: the 8x32 u8 form
  // (one more vpsubb per weight vector) ran up to 12% slower on ResNet-18's deep layers, where the
  // sums were a few percent (benchmarks/RESULTS.md, "Ninth session").
  const U8FormUkernel* t2u8 =
      encoding == ImageEncoding::s8 && padded_ && w_.n() <= ukernel.nr ? t2u8_form_of(ukernel) : nullptr;
  if (t2u8 != nullptr) {
    ukernel_ = t2u8->fn;
    kernel_name_ = t2u8->name;
    flips_copy_ = true;
  }
  minmax_ = minmax_fp32_form_of(ukernel_);
}

std::unique_ptr<T2I8Conv> T2I8Conv::create(const PackedTernaryWeights& weights, const Im2colGeometry& g,
                                           ImageEncoding encoding) {
  const PackedWeightsImpl& w = impl(weights);
  const T2I8GemmUkernel& ukernel = *w.gemm_;
  const size_t k_row = g.kernel_w * g.in_c;
  const bool short_row = k_row < kMinRowDepth && layout_uses_activation_sums(ukernel.layout);
  if (g.dilation_w != 1 || k_row % t2i8_slice_depth_multiple(ukernel.layout) != 0 || short_row ||
      g.kernel_h * k_row != w.k_ || ukernel.mr > kMaxRows || ukernel.nr > kMaxChannels || w.n_ == 0 ||
      g.out_h == 0 || g.out_w == 0 || g.batch == 0)
    return nullptr;
  if (encoding == ImageEncoding::flipped_u8 && u8i8_form_of(ukernel) == nullptr) return nullptr;
  try {
    return std::unique_ptr<T2I8Conv>(new T2I8Conv(weights, g, encoding));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

size_t T2I8Conv::padded_pixels() const { return g_.batch * padded_h_ * padded_w_; }

size_t T2I8Conv::padded_image_bytes() const {
  return padded_ ? round_up4(padded_pixels() * g_.in_c + kReadPadding) : 0;
}

size_t T2I8Conv::output_pixels() const { return g_.batch * g_.out_h * g_.out_w; }

size_t T2I8Conv::workspace_bytes() const {
  return padded_image_bytes() + (sum_elements() + 3 * w_.n()) * sizeof(int32_t);
}

// Per-pixel and per-output-pixel activation sums: only for kernels that take them.
size_t T2I8Conv::sum_elements() const {
  return layout_uses_activation_sums(impl(w_).gemm_->layout) && !flips_copy_ ? padded_pixels() + output_pixels() : 0;
}

// [padded image][pixel sums][output sums][correction][multiplier][offset]; fills the correction.
T2I8Conv::Workspace T2I8Conv::split(void* workspace, int32_t a_zero_point) const {
  Workspace ws;
  ws.padded = padded_ ? static_cast<int8_t*>(workspace) : nullptr;
  ws.pixel_sums = reinterpret_cast<int32_t*>(static_cast<char*>(workspace) + padded_image_bytes());
  ws.out_sums = sum_elements() != 0 ? ws.pixel_sums + padded_pixels() : nullptr;
  ws.correction = ws.pixel_sums + sum_elements();
  ws.multiplier = reinterpret_cast<float*>(ws.correction + w_.n());
  ws.offset = ws.multiplier + w_.n();
  // A flipped copy holds a + 128: its zero point is a_zero_point + 128 (t2u8-gemm.inc).
  zero_point_correction(impl(w_), flips_copy_ ? a_zero_point + 128 : a_zero_point, ws.correction);
  return ws;
}

T2I8Conv::ImageSlot T2I8Conv::image_slot(void* workspace) const {
  if (!padded_) return ImageSlot{nullptr, 0, 0};
  const size_t row_stride = padded_w_ * g_.in_c;
  int8_t* first = static_cast<int8_t*>(workspace) + g_.pad_top * row_stride + g_.pad_left * g_.in_c;
  return ImageSlot{first, row_stride, padded_h_ * row_stride};
}

// The activation sum of every output pixel's receptive field (for kernels of layouts that take
// them): per-pixel sums, then kernel_h x kernel_w of them added along output rows.
void T2I8Conv::activation_sums(const int8_t* src, const Workspace& ws, pthreadpool_t pool) const {
  const PackedWeightsImpl& w = impl(w_);
  const Im2colGeometry& g = g_;
  const size_t ic = g.in_c;
  const bool threaded = pool != nullptr && pthreadpool_get_threads_count(pool) > 1;
  // Per-pixel sums; a kernel row's activation sum is then kernel_w additions.
  const size_t pixels = padded_pixels();
  constexpr size_t kPixelsPerTask = 1024;
  if (!threaded || pixels <= kPixelsPerTask) {
    w.activation_sums_(pixels, ic, src, ic, ws.pixel_sums);
  } else {
    pthreadpool_parallelize_1d_tile_1d(
        pool, [&](size_t p0, size_t count) { w.activation_sums_(count, ic, src + p0 * ic, ic, ws.pixel_sums + p0); },
        pixels, kPixelsPerTask);
  }

  // Each output pixel's activation sum (kernel_h x kernel_w pixel sums), up to 16 output pixels at a
  // time in registers (a load and a store of the output row per window tap took 5% of a small
  // ResNet's time).
  for (size_t b = 0; b < g.batch; ++b) {
    for (size_t oy = 0; oy < g.out_h; ++oy) {
      int32_t* o = ws.out_sums + (b * g.out_h + oy) * g.out_w;
      const int32_t* rows = ws.pixel_sums + (b * padded_h_ + oy * g.stride_h) * padded_w_;
      const size_t row_step = g.dilation_h * padded_w_;
      size_t ox = 0;
      if (g.stride_w == 1) {   // contiguous: 16, then 4 output pixels at a time
        for (; ox + 16 <= g.out_w; ox += 16) {
          Int32x4 s0 = {}, s1 = {}, s2 = {}, s3 = {};
          for (size_t ky = 0; ky < g.kernel_h; ++ky) {
            for (size_t kx = 0; kx < g.kernel_w; ++kx) {
              const int32_t* p = rows + ky * row_step + ox + kx;
              s0 += load4(p), s1 += load4(p + 4), s2 += load4(p + 8), s3 += load4(p + 12);
            }
          }
          store4(o + ox, s0), store4(o + ox + 4, s1), store4(o + ox + 8, s2), store4(o + ox + 12, s3);
        }
        for (; ox + 4 <= g.out_w; ox += 4) {
          Int32x4 s0 = {};
          for (size_t ky = 0; ky < g.kernel_h; ++ky)
            for (size_t kx = 0; kx < g.kernel_w; ++kx) s0 += load4(rows + ky * row_step + ox + kx);
          store4(o + ox, s0);
        }
      }
      for (; ox < g.out_w; ++ox) {
        int32_t s = 0;
        for (size_t ky = 0; ky < g.kernel_h; ++ky) {
          const int32_t* p = rows + ky * row_step + ox * g.stride_w;
          for (size_t kx = 0; kx < g.kernel_w; ++kx) s += p[kx];
        }
        o[ox] = s;
      }
    }
  }
}

template <typename Out, typename Bound, typename Epilogue>
void T2I8Conv::run(const int8_t* image, int32_t a_zero_point, const Workspace& ws, Epilogue epilogue,
                   const MinmaxFormUkernel* minmax, Bound out_min, Bound out_max, Out* c, size_t c_stride,
                   pthreadpool_t pool) const {
  const PackedWeightsImpl& w = impl(w_);
  const Im2colGeometry& g = g_;
  const T2I8GemmUkernel& ukernel = *w.gemm_;
  const size_t ic = g.in_c, n = w.n_;
  const bool threaded = pool != nullptr && pthreadpool_get_threads_count(pool) > 1;

  // The image with its border of zero points (the quantized float 0 that padding stands for); a
  // null image is in the padded buffer already (image_slot), only its border is written.
  const int8_t* src = image;
  if (padded_) {
    const bool flipped = encoding_ == ImageEncoding::flipped_u8 || flips_copy_;
    const int8_t pad = int8_t(flipped ? a_zero_point ^ 0x80 : a_zero_point);
    const size_t row_bytes = padded_w_ * ic, left = g.pad_left * ic, inner = g.in_w * ic;
    for (size_t b = 0; b < g.batch; ++b) {
      for (size_t py = 0; py < padded_h_; ++py) {
        int8_t* dst = ws.padded + (b * padded_h_ + py) * row_bytes;
        if (py < g.pad_top || py >= g.pad_top + g.in_h) {
          std::memset(dst, pad, row_bytes);
          continue;
        }
        std::memset(dst, pad, left);
        int8_t* row = dst + left;
        const int8_t* from = image != nullptr ? image + (b * g.in_h + py - g.pad_top) * inner : row;   // or the slot
        if (flips_copy_) {
          flip_copy(from, row, inner);
        } else if (image != nullptr) {
          std::memcpy(row, from, inner);
        }
        std::memset(dst + left + inner, pad, row_bytes - left - inner);
      }
    }
    src = ws.padded;
  }

  if (ws.out_sums != nullptr) activation_sums(src, ws, pool);

  const size_t tile_bytes = t2i8_packed_tile_bytes(ukernel, w.k_);
  // Pixels per call: a tile's MR, or a whole output row for a requantizing form (it loops over row
  // tiles itself).
  const bool requantizing = std::is_same_v<Out, int8_t> && minmax != nullptr;
  const size_t pixels_per_call = requantizing ? g.out_w : ukernel.mr;
  const size_t column_tiles = (g.out_w + pixels_per_call - 1) / pixels_per_call;
  const size_t channel_tiles = (n + ukernel.nr - 1) / ukernel.nr;
  const size_t k_row = g.kernel_w * ic, a_stride = g.stride_w * ic, a_slice_stride = g.dilation_h * padded_w_ * ic;
  const uint8_t* data = w.data_.data();

  // One tile: up to pixels_per_call output pixels of one output row x NR output channels, one
  // micro-kernel call with a K slice per kernel row.
  // Output row `row` (b * out_h + oy), pixels from ox0, channel tile ct.
  auto tile = [&](size_t row, size_t b, size_t oy, size_t ox0, size_t ct) {
    const size_t n0 = ct * ukernel.nr, nt = std::min(ukernel.nr, n - n0);
    const size_t mt = std::min(pixels_per_call, g.out_w - ox0);
    const size_t pixel = (b * padded_h_ + oy * g.stride_h) * padded_w_ + ox0 * g.stride_w;
    const int32_t* sums = ws.out_sums != nullptr ? ws.out_sums + row * g.out_w + ox0 : nullptr;
    Out* out = c + (row * g.out_w + ox0) * c_stride + n0;
    if constexpr (std::is_same_v<Out, int8_t>) {
      if (minmax != nullptr) {   // the requantizing form: no int32 tile
        RequantS8Terms terms{ws.correction + n0, ws.multiplier + n0, ws.offset + n0, out_min, out_max};
        if constexpr (std::is_same_v<Epilogue, HswishEpilogue>) {   // the form's HardSwish form
          terms.hardswish = true;
          terms.slope = epilogue.slope;
          terms.zero_point = epilogue.zero_point;
        }
        if constexpr (std::is_same_v<Epilogue, ResidualEpilogue>) {   // its residual form
          terms.residual = epilogue.data + (row * g.out_w + ox0) * epilogue.stride + n0;
          terms.residual_stride = epilogue.stride;
          terms.residual_multiplier = epilogue.multiplier;
          terms.residual_zero_point = epilogue.zero_point;
        }
        minmax->fn(mt, nt, k_row, g.kernel_h, src + pixel * ic, a_stride, a_slice_stride, data + ct * tile_bytes, sums,
                    terms, out, c_stride);
        return;
      }
    }
    alignas(64) int32_t acc[kMaxRows * kMaxChannels];
    ukernel_(mt, nt, k_row, g.kernel_h, src + pixel * ic, a_stride, a_slice_stride, data + ct * tile_bytes,
             sums, acc, nt);
    if constexpr (std::is_same_v<Epilogue, ResidualEpilogue>) {
      t2i8_epilogue_residual_s8__scalar(mt, nt, acc, nt, ws.correction + n0, ws.multiplier + n0, ws.offset + n0,
                                        epilogue.data + (row * g.out_w + ox0) * epilogue.stride + n0, epilogue.stride,
                                        epilogue.multiplier, epilogue.zero_point, out_min, out_max, out, c_stride);
    } else {
      epilogue(mt, nt, acc, nt, ws.correction + n0, ws.multiplier + n0, ws.offset + n0, out_min, out_max, out,
               c_stride);
    }
  };
  if (!threaded) {   // nested loops: no divisions per tile (~5% of a small model's time was this loop)
    for (size_t b = 0, row = 0; b < g.batch; ++b)
      for (size_t oy = 0; oy < g.out_h; ++oy, ++row)
        for (size_t ox0 = 0; ox0 < g.out_w; ox0 += pixels_per_call)
          for (size_t ct = 0; ct < channel_tiles; ++ct) tile(row, b, oy, ox0, ct);
    return;
  }
  const size_t row_tiles = g.batch * g.out_h * column_tiles;
  pthreadpool_parallelize_2d(
      pool,
      [&](size_t rt, size_t ct) {
        const size_t row = rt / column_tiles;
        tile(row, row / g.out_h, row % g.out_h, rt % column_tiles * pixels_per_call, ct);
      },
      row_tiles, channel_tiles);
}

void T2I8Conv::run_f32(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
                       const float* bias, float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool,
                       void* workspace) const {
  const PackedWeightsImpl& w = impl(w_);
  const Workspace ws = split(workspace, a_zero_point);
  epilogue_terms_f32(w.n_, a_scale, channel_scale, bias, ws.multiplier, ws.offset);
  run(image, a_zero_point, ws, w.epilogue_, nullptr, out_min, out_max, c, c_stride, pool);
}

void T2I8Conv::run_s8(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
                      const float* bias, float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                      int8_t* c, size_t c_stride, pthreadpool_t pool, void* workspace) const {
  const PackedWeightsImpl& w = impl(w_);
  const Workspace ws = split(workspace, a_zero_point);
  epilogue_terms_s8(w.n_, a_scale, channel_scale, bias, out_scale, out_zero_point, ws.multiplier, ws.offset);
  run(image, a_zero_point, ws, w.epilogue_s8_, minmax_, out_min, out_max, c, c_stride, pool);
}

void T2I8Conv::run_hardswish_s8(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
                                const float* bias, float out_scale, int32_t out_zero_point, int8_t out_min,
                                int8_t out_max, int8_t* c, size_t c_stride, pthreadpool_t pool, void* workspace) const {
  const PackedWeightsImpl& w = impl(w_);
  const Workspace ws = split(workspace, a_zero_point);
  epilogue_terms_hswish_s8(w.n_, a_scale, channel_scale, bias, out_scale, ws.multiplier, ws.offset);
  run(image, a_zero_point, ws, HswishEpilogue(w.isa_, out_scale, out_zero_point), minmax_, out_min, out_max, c,
      c_stride, pool);
}

void T2I8Conv::run_residual_s8(const int8_t* image, float a_scale, int32_t a_zero_point, const float* channel_scale,
                               const float* bias, float out_scale, int32_t out_zero_point, int8_t out_min,
                               int8_t out_max, const ResidualS8& residual, int8_t* c, size_t c_stride,
                               pthreadpool_t pool, void* workspace) const {
  const PackedWeightsImpl& w = impl(w_);
  const Workspace ws = split(workspace, a_zero_point);
  epilogue_terms_s8(w.n_, a_scale, channel_scale, bias, out_scale, out_zero_point, ws.multiplier, ws.offset);
  const ResidualEpilogue epilogue{residual.data, residual.stride, residual.scale / out_scale, residual.zero_point};
  run(image, a_zero_point, ws, epilogue, minmax_, out_min, out_max, c, c_stride, pool);
}

}  // namespace ternrt::kernels
