// PackedDwconvS8 (dwconv-s8.h): weight quantization and packing, the per-row driver and threading.
// Built with -ffp-contract=off: the per-channel multiplier/offset must be the same on every path.
//
// run() splits output rows (batch x out_h) over the pool. A row is done in tiles of pixels whose int32
// accumulators fit a stack buffer; pixels whose tap columns are inside the image go to the ukernel in
// runs that share one tap-pointer list (advanced by stride_w * C per pixel; kernel rows above or below
// the image point at a long row of in_zero_point), the pixels at the left and right edges in runs over
// a stack copy of their input window with the padding written out (edge_pixels). A small padded input
// can instead be framed once per run (run() with a workspace), which leaves no edge pixels. The
// epilogue of t2i8_gemm_s8 then requantizes the tile.
// Ukernels read whole 8-channel groups; where that would pass the end of the input (C not a multiple of
// 8, last pixels of the tensor) those pixels take the edge path too.
// The avx512vnni column path (column_row) instead runs whole output rows through dwconv_s8_columns, which
// handles padding itself, reads only the pixels' channels and writes int8 directly.
// Stack per task: about 40 KiB on the tap-pair path, 32 KiB in the column kernel.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

#include "dwconv/dwconv-s8-internal.h"
#include "t2i8-gemm-internal.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kChunkTaps = 64;    // taps per ukernel call (even); larger kernels accumulate chunks
constexpr size_t kWindow = 4096;     // channels per pass (a multiple of every block size)
constexpr size_t kAccElems = 4096;   // int32 accumulators on the stack of a task (16 KiB)
constexpr size_t kPatchBytes = 16384;      // the edge pixels' copy of their input windows (on the stack)
constexpr size_t kPatchMaxWindow = 4096;   // the largest window of one pixel (kernel_h x extent x channels)
constexpr size_t kFrameMaxBytes = 65536;   // the largest input frame (workspace) for explicit padding

// The ukernel of an ISA (the epilogues come from t2i8-gemm-internal.h, shared with the GEMMs).
struct IsaKernels {
  Isa isa;   // the minimum ISA of the ukernel (named in kernel_name)
  PackedDwconvS8::Ukernel ukernel;
  size_t max_block;
};

#if defined(__x86_64__) || defined(_M_X64)
// Whether the avx512vnni column path beats tap pairs on a layer. It multiplies whole 64-, 48- or
// 32-channel blocks and four kernel rows per dword (a 5-row kernel takes two groups), and builds every input column it
// reads once per output row; tap pairs pay per tap and pixel. Measured on the machine of
// benchmarks/RESULTS.md ("Fourteenth session"): columns 1.3-2x faster from 20 channels at stride 1
// (48 for 5x5), from 24 at stride 2 (128 for 5x5: 28x28x72 5x5/2 was 1.2x slower); narrower layers
// (16 channels: 1.2x slower, 8: 1.9x) and larger strides stay on tap pairs. With 48-channel blocks
// (fifteenth session) a 16x16x36 5x5 layer still took 4.3-5.6 us on columns against 4.1 on pairs.
bool columns_pay_off(const DwconvGeometry& g) {
  const bool tall = g.kernel_h > 4;
  if (g.stride_w == 1) return g.channels >= (tall ? 48 : 20);
  if (g.stride_w == 2) return g.channels >= (tall ? 128 : 24);
  return false;
}
#endif

IsaKernels kernels_for(Isa isa) {
  switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return {Isa::avx2, dwconv_s8_ukernel__avx2, kDwconvMaxBlockAvx2};
    case Isa::avx512bw: return {Isa::avx512bw, dwconv_s8_ukernel__avx512, kDwconvMaxBlockAvx512};
    case Isa::avx512vnni: return {Isa::avx512vnni, dwconv_s8_ukernel__avx512vnni, kDwconvMaxBlockAvx512};
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return {Isa::neon, dwconv_s8_ukernel__neon, kDwconvMaxBlockNeon};
#endif
    default: return {Isa::scalar, dwconv_s8_ukernel__scalar, kDwconvMaxBlockScalar};
  }
}

}  // namespace

PackedDwconvS8::~PackedDwconvS8() = default;

std::unique_ptr<PackedDwconvS8> PackedDwconvS8::pack(const DwconvGeometry& g, const float* weights, const float* bias,
                                                     const DwconvS8Quant& q, Isa isa) {
  if (weights == nullptr || g.channels == 0 || g.kernel_h == 0 || g.kernel_w == 0 || g.stride_h == 0 ||
      g.stride_w == 0 || g.dilation_h == 0 || g.dilation_w == 0 || q.in_zero_point < -128 || q.in_zero_point > 127) {
    return nullptr;
  }
  try {
    std::unique_ptr<PackedDwconvS8> d(new PackedDwconvS8());
    const IsaKernels k = kernels_for(isa_supported(isa) ? isa : Isa::scalar);
    d->g_ = g;
    d->q_ = q;
    d->isa_ = isa_supported(isa) ? isa : Isa::scalar;
    d->ukernel_ = k.ukernel;
    d->epilogue_ = epilogue_s8_for(d->isa_);
    d->epilogue_hswish_ = q.hardswish ? epilogue_hswish_s8_for(d->isa_) : nullptr;

    const size_t c_count = g.channels, taps = g.kernel_h * g.kernel_w;
    const size_t cp = (c_count + 7) / 8 * 8;
    d->padded_channels_ = cp;

    // The column path (avx512vnni) takes every channel where the kernel's rows fit two groups of four,
    // a run of columns fits its buffer, and it was measured faster than tap pairs (columns_pay_off).
    bool columns = false;
#if defined(__x86_64__) || defined(_M_X64)
    columns = k.isa == Isa::avx512vnni && columns_pay_off(g) && g.kernel_h <= 4 * kDwconvColumnsMaxGroups &&
              (g.kernel_w - 1) * g.dilation_w + 1 <= kDwconvColumnsMaxSpan;
    if (columns) {
      d->columns_ = dwconv_s8_columns__avx512vnni;
      d->column_channels_ = dwconv_column_positions(c_count);
      d->column_groups_ = (g.kernel_h + 3) / 4;
    }
#endif
    const size_t cf = d->column_channels_;
    if (k.isa == Isa::scalar) {
      std::snprintf(d->name_, sizeof(d->name_), "dwconv_s8_%zux%zu__scalar", g.kernel_h, g.kernel_w);
    } else {
      std::snprintf(d->name_, sizeof(d->name_), "dwconv_s8_%zux%zuc%zu%s__%s", g.kernel_h, g.kernel_w,
                    columns ? size_t(64) : k.max_block, columns ? "r4" : "", isa_name(k.isa));
    }

    // Per-channel symmetric quantization.
    std::vector<int8_t> wq(c_count * taps);
    std::vector<float> scale(c_count);
    std::vector<int32_t> sums(c_count);
    for (size_t c = 0; c < c_count; ++c) {
      const float* wc = weights + c * taps;
      float max_abs = 0.0f;
      for (size_t i = 0; i < taps; ++i) max_abs = std::max(max_abs, std::fabs(wc[i]));
      scale[c] = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
      int32_t sum = 0;
      for (size_t i = 0; i < taps; ++i) {
        float r = std::nearbyint(wc[i] / scale[c]);   // default rounding mode: half to even
        if (!(r >= -127.0f)) r = -127.0f;              // also NaN
        if (r > 127.0f) r = 127.0f;
        wq[c * taps + i] = int8_t(r);
        sum += int32_t(r);
      }
      sums[c] = sum;
    }

    // Epilogue terms by accumulator position (the operation order of dwconv-s8.h). The column path
    // sums w * (x + 128), so its correction is (in_zero_point + 128) * sum w; the pair path sums w * x.
    const size_t positions = columns ? cf : cp;
    d->correction_.assign(positions, 0);
    d->multiplier_.assign(positions, 0.0f);
    d->offset_.assign(positions, 0.0f);
    const float out_zero_point = q.hardswish ? 0.0f : float(q.out_zero_point);   // the HardSwish form adds it last
    for (size_t pos = 0, b0 = 0; pos < positions; ++pos) {
      if (columns && pos == b0 + dwconv_column_block(c_count - b0)) b0 = pos;   // the next block
      const size_t c = columns ? b0 + dwconv_column_channel(dwconv_column_block(c_count - b0), pos - b0) : pos;
      if (c >= c_count) continue;
      d->correction_[pos] = (columns ? q.in_zero_point + 128 : q.in_zero_point) * sums[c];
      d->multiplier_[pos] = (scale[c] * q.in_scale) / q.out_scale;
      d->offset_[pos] = (bias ? bias[c] : 0.0f) / q.out_scale + out_zero_point;
    }

    // Column weights (layout in dwconv-s8-internal.h).
    const size_t groups = d->column_groups_;
    d->column_weights_.assign(4 * cf * groups * g.kernel_w, 0);
    for (size_t b0 = 0, block = 0; b0 < cf; b0 += block) {
      block = dwconv_column_block(c_count - b0);
      const size_t vectors = dwconv_column_vectors(block), bytes = dwconv_column_vector_bytes(block);
      const size_t lane_channels = dwconv_column_lane_channels(block);
      int8_t* base = d->column_weights_.data() + 4 * b0 * groups * g.kernel_w;
      for (size_t gr = 0; gr < groups; ++gr)
        for (size_t kx = 0; kx < g.kernel_w; ++kx)
          for (size_t kk = 0; kk < vectors; ++kk)
            for (size_t byte = 0; byte < bytes; ++byte) {
              const size_t lane = byte / 16, j = byte % 16 / 4, r = byte % 4;
              const size_t c = b0 + lane_channels * lane + 4 * kk + j, ky = 4 * gr + r;
              if (4 * kk + j < lane_channels && c < c_count && ky < g.kernel_h) {
                base[((gr * g.kernel_w + kx) * vectors + kk) * bytes + byte] = wq[c * taps + ky * g.kernel_w + kx];
              }
            }
    }

    // Pair weights (the tap-pair path only): per chunk of taps, channel blocks x tap pairs x lanes x
    // (tap 2p, tap 2p + 1); zero for padded channels and an odd last tap's partner.
    size_t total = 0;
    for (size_t t0 = 0; t0 < taps && !columns; t0 += kChunkTaps) {
      const size_t count = std::min(kChunkTaps, taps - t0);
      d->chunk_taps_.push_back(count);
      d->chunk_weights_.push_back(total);
      total += cp * 2 * ((count + 1) / 2);
    }
    d->weights_.assign(total, 0);
    for (size_t chunk = 0; chunk < d->chunk_taps_.size(); ++chunk) {
      const size_t t0 = chunk * kChunkTaps, count = d->chunk_taps_[chunk], pairs = (count + 1) / 2;
      int16_t* base = d->weights_.data() + d->chunk_weights_[chunk];
      for (size_t b0 = 0; b0 < cp;) {
        const size_t block = dwconv_block(k.max_block, cp - b0);
        for (size_t p = 0; p < pairs; ++p) {
          for (size_t lane = 0; lane < block; ++lane) {
            const size_t c = b0 + dwconv_lane_channel(block, lane);
            for (size_t j = 0; j < 2; ++j) {
              const size_t t = 2 * p + j;
              base[2 * b0 * pairs + (p * block + lane) * 2 + j] =
                  c < c_count && t < count ? int16_t(wq[c * taps + t0 + t]) : int16_t(0);
            }
          }
        }
        b0 += block;
      }
    }

    // Padding taps: as long as the bytes a run of a whole output row reads from one input row.
    if (!columns) d->zero_row_.assign((g.out_w - 1) * g.stride_w * c_count + cp, int8_t(q.in_zero_point));
    // Explicit padding (run() with a workspace): the input copied once into a zero-point frame, so
    // every pixel takes the interior runs; only where the frame is small (the copy is then a small
    // part of the work and the edge pixels a large one: 16x16x36 5x5 1.5x faster).
    if (g.pad_top > 0 || g.pad_left > 0 || (g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1 > g.in_h ||
        (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1 > g.in_w) {
      DwconvGeometry& f = d->framed_;
      f = g;
      f.in_h = std::max(g.pad_top + g.in_h, (g.out_h - 1) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1);
      f.in_w = std::max(g.pad_left + g.in_w, (g.out_w - 1) * g.stride_w + (g.kernel_w - 1) * g.dilation_w + 1);
      f.pad_top = f.pad_left = 0;
      const size_t bytes = f.batch * f.in_h * f.in_w * c_count + cp;   // + the reads past the last pixel
      // The column path reads padding through its row pointers: only the tap-pair path gains.
      if (bytes <= kFrameMaxBytes && !columns) d->workspace_bytes_ = bytes;
    }
    return d;
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

size_t PackedDwconvS8::packed_bytes() const {
  return weights_.size() * sizeof(int16_t) + column_weights_.size() + correction_.size() * sizeof(int32_t) +
         (multiplier_.size() + offset_.size()) * sizeof(float) + zero_row_.size();
}

// One output row (b, oy) of a run.
struct PackedDwconvS8::Row {
  const DwconvGeometry* g;   // g_, or framed_ for a framed input
  const int8_t* input;
  ptrdiff_t total;   // input bytes (that may be read)
  ptrdiff_t image;   // offset of image b
  ptrdiff_t iy0;     // input row of kernel row 0
  size_t xa, xb;     // interior output columns (every tap inside the image)
};

// Ukernels read whole channel groups: a tap at input offset off reading n bytes passes the tensor's
// end when off > total - n; such taps read `data`, a copy of input offsets [total - n, total + n)
// (zeros past the end), filled on first use.
struct PackedDwconvS8::Tail {
  alignas(64) int8_t data[2 * kWindow];
  size_t n = 0;
  bool ready = false;

  const int8_t* pointer(const int8_t* input, ptrdiff_t total, ptrdiff_t off, size_t bytes) {
    const ptrdiff_t safe = total - ptrdiff_t(bytes);
    if (off <= safe) return input + off;
    if (!ready || n != bytes) {
      const ptrdiff_t from = std::max<ptrdiff_t>(safe, 0);
      std::memset(data, 0, 2 * bytes);
      std::memcpy(data + (from - safe), input + from, size_t(total - from));
      n = bytes;
      ready = true;
    }
    return data + (off - safe);
  }
};

void PackedDwconvS8::pair_tile(const Row& row, size_t c0, size_t n, size_t ox0, size_t mt, int32_t* acc,
                               size_t acc_stride, Tail& tail) const {
  const DwconvGeometry& g = *row.g;
  const ptrdiff_t pixel_bytes = ptrdiff_t(g.channels);
  const ptrdiff_t step = ptrdiff_t(g.stride_w) * pixel_bytes;
  const size_t end = ox0 + mt;
  // Pixels [xa, xb) have every tap column inside the image; kernel rows outside it read the long
  // zero-point row, which advances with the pixels like an input row.
  const size_t mid_begin = std::clamp(row.xa, ox0, end), mid_end = std::clamp(row.xb, mid_begin, end);
  size_t run = mid_end - mid_begin;
  if (run > 0) {
    const ptrdiff_t ix0 = ptrdiff_t(mid_begin * g.stride_w) - ptrdiff_t(g.pad_left);
    ptrdiff_t furthest = -1;   // input offset of the first pixel's furthest tap (the last inside row's)
    for (size_t ky = 0; ky < g.kernel_h; ++ky) {
      const ptrdiff_t iy = row.iy0 + ptrdiff_t(ky * g.dilation_h);
      if (iy >= 0 && iy < ptrdiff_t(g.in_h)) {
        furthest = row.image + (iy * ptrdiff_t(g.in_w) + ix0 + ptrdiff_t((g.kernel_w - 1) * g.dilation_w)) *
                                   pixel_bytes + ptrdiff_t(c0);
      }
    }
    // The last pixels go to the edge path if their n-byte reads would pass the tensor's end.
    while (run > 0 && furthest >= 0 && furthest + ptrdiff_t(run - 1) * step > row.total - ptrdiff_t(n)) --run;
    const int8_t* taps[kChunkTaps];
    const ptrdiff_t column_step = ptrdiff_t(g.dilation_w) * pixel_bytes;
    for (size_t chunk = 0; run > 0 && chunk < chunk_taps_.size(); ++chunk) {
      const size_t t0 = chunk * kChunkTaps, count = chunk_taps_[chunk], pairs = (count + 1) / 2;
      size_t ky = t0 == 0 ? 0 : t0 / g.kernel_w, kx = t0 == 0 ? 0 : t0 % g.kernel_w;
      // Kernel row ky's first tap (column kx = 0), or the zero-point row (column steps of 0).
      const int8_t* first = nullptr;
      ptrdiff_t step_x = 0;
      auto start_row = [&] {
        const ptrdiff_t iy = row.iy0 + ptrdiff_t(ky * g.dilation_h);
        const bool inside = iy >= 0 && iy < ptrdiff_t(g.in_h);
        first = inside ? row.input + row.image + (iy * ptrdiff_t(g.in_w) + ix0) * pixel_bytes + ptrdiff_t(c0)
                       : zero_row_.data();
        step_x = inside ? column_step : 0;
      };
      start_row();
      for (size_t t = 0; t < count; ++t) {
        taps[t] = first + ptrdiff_t(kx) * step_x;
        if (++kx == g.kernel_w) {
          kx = 0;
          ++ky;
          if (t + 1 < count) start_row();
        }
      }
      if (count % 2) taps[count] = taps[0];   // zero weights; moves with the pixel like a real tap
      ukernel_(n, run, pairs, taps, size_t(step),
               weights_.data() + chunk_weights_[chunk] + 2 * c0 * pairs,
               acc + (mid_begin - ox0) * acc_stride, acc_stride, chunk > 0);
    }
  }
  if (mid_begin > ox0) edge_pixels(row, c0, n, ox0, mid_begin, ox0, acc, acc_stride, tail);
  if (mid_begin + run < end) edge_pixels(row, c0, n, mid_begin + run, end, ox0, acc, acc_stride, tail);
}

// Pixels [begin, end) of a row whose taps leave the image (or would read past the tensor's end): each
// group of pixels gets a copy of its input window with the padding written out (the patch: kernel_h rows
// of input columns), then runs like an interior run. The patch keeps the input's pixel stride when it
// holds all channels (one copy per kernel row; the reads of padded channels run into the next pixel and
// a tail of in_zero_point), else one copy per pixel.
void PackedDwconvS8::edge_pixels(const Row& row, size_t c0, size_t n, size_t begin, size_t end, size_t ox0,
                                 int32_t* acc, size_t acc_stride, Tail& tail) const {
  const DwconvGeometry& g = *row.g;
  const size_t extent = (g.kernel_w - 1) * g.dilation_w + 1, rows = g.kernel_h, channels = g.channels;
  // Copying a pixel's window costs about as much as computing it, so wide windows (many channels or
  // taps) go pixel by pixel instead, where the overhead per pixel is fixed.
  if (rows * extent * n > kPatchMaxWindow) {
    pixel_by_pixel(row, c0, n, begin, end, ox0, acc, acc_stride, tail);
    return;
  }
  alignas(64) int8_t patch[kPatchBytes];
  const int8_t* taps[kChunkTaps];
  const int zero_point = q_.in_zero_point;
  const size_t real = c0 < channels ? std::min(n, channels - c0) : 0;   // the rest are padded channels
  const size_t ps = c0 == 0 && real == channels ? channels : n;        // patch pixel stride
  const size_t max_width = (kPatchBytes - n) / (rows * ps);           // >= extent (kPatchMaxWindow)
  const size_t group = (max_width - extent) / g.stride_w + 1;
  for (size_t p = begin; p < end; p += group) {
    const size_t pixels = std::min(group, end - p), width = (pixels - 1) * g.stride_w + extent;
    const ptrdiff_t ix_first = ptrdiff_t(p * g.stride_w) - ptrdiff_t(g.pad_left);
    // Patch columns [lo, hi) are inside the image.
    const size_t lo = size_t(std::clamp<ptrdiff_t>(-ix_first, 0, ptrdiff_t(width)));
    const size_t hi = size_t(std::clamp<ptrdiff_t>(ptrdiff_t(g.in_w) - ix_first, ptrdiff_t(lo), ptrdiff_t(width)));
    for (size_t ky = 0; ky < rows; ++ky) {
      const ptrdiff_t iy = row.iy0 + ptrdiff_t(ky * g.dilation_h);
      int8_t* dst = patch + ky * width * ps;
      if (iy < 0 || iy >= ptrdiff_t(g.in_h) || lo == hi) {
        std::memset(dst, zero_point, width * ps);
        continue;
      }
      const int8_t* src = row.input + row.image + (iy * ptrdiff_t(g.in_w) + ix_first + ptrdiff_t(lo)) *
                                                      ptrdiff_t(channels) + ptrdiff_t(c0);
      std::memset(dst, zero_point, lo * ps);
      if (ps == channels) {
        std::memcpy(dst + lo * ps, src, (hi - lo) * channels);
      } else {
        for (size_t j = lo; j < hi; ++j, src += channels) {
          std::memcpy(dst + j * ps, src, real);
          std::memset(dst + j * ps + real, zero_point, ps - real);
        }
      }
      std::memset(dst + hi * ps, zero_point, (width - hi) * ps);
    }
    std::memset(patch + rows * width * ps, zero_point, n - ps);   // read past the last pixel
    for (size_t chunk = 0; chunk < chunk_taps_.size(); ++chunk) {
      const size_t t0 = chunk * kChunkTaps, count = chunk_taps_[chunk], pairs = (count + 1) / 2;
      size_t ky = t0 == 0 ? 0 : t0 / g.kernel_w, kx = t0 == 0 ? 0 : t0 % g.kernel_w;
      for (size_t t = 0; t < count; ++t, kx = kx + 1 == g.kernel_w ? (++ky, 0) : kx + 1) {
        taps[t] = patch + (ky * width + kx * g.dilation_w) * ps;
      }
      if (count % 2) taps[count] = taps[0];
      ukernel_(n, pixels, pairs, taps, g.stride_w * ps,
               weights_.data() + chunk_weights_[chunk] + 2 * c0 * pairs,
               acc + (p - ox0) * acc_stride, acc_stride, chunk > 0);
    }
  }
}

// The edge path for wide windows: one pixel at a time, padding taps
// pointing at the zero-point row.
void PackedDwconvS8::pixel_by_pixel(const Row& row, size_t c0, size_t n, size_t begin, size_t end, size_t ox0,
                                    int32_t* acc, size_t acc_stride, Tail& tail) const {
  const DwconvGeometry& g = *row.g;
  const ptrdiff_t pixel_bytes = ptrdiff_t(g.channels);
  const int8_t* taps[kChunkTaps];
  for (size_t ox = begin; ox < end; ++ox) {
    const ptrdiff_t ix0 = ptrdiff_t(ox * g.stride_w) - ptrdiff_t(g.pad_left);
    for (size_t chunk = 0; chunk < chunk_taps_.size(); ++chunk) {
      const size_t t0 = chunk * kChunkTaps, count = chunk_taps_[chunk], pairs = (count + 1) / 2;
      size_t ky = t0 == 0 ? 0 : t0 / g.kernel_w, kx = t0 == 0 ? 0 : t0 % g.kernel_w;
      for (size_t t = 0; t < count; ++t, kx = kx + 1 == g.kernel_w ? (++ky, 0) : kx + 1) {
        const ptrdiff_t iy = row.iy0 + ptrdiff_t(ky * g.dilation_h), ix = ix0 + ptrdiff_t(kx * g.dilation_w);
        if (iy < 0 || iy >= ptrdiff_t(g.in_h) || ix < 0 || ix >= ptrdiff_t(g.in_w)) {
          taps[t] = zero_row_.data();
        } else {
          taps[t] = tail.pointer(row.input, row.total,
                                 row.image + (iy * ptrdiff_t(g.in_w) + ix) * pixel_bytes + ptrdiff_t(c0), n);
        }
      }
      if (count % 2) taps[count] = taps[0];
      ukernel_(n, 1, pairs, taps, 0, weights_.data() + chunk_weights_[chunk] + 2 * c0 * pairs,
               acc + (ox - ox0) * acc_stride, acc_stride, chunk > 0);
    }
  }
}

// One output row on the column path: runs of output pixels whose input columns fit the kernel's
// buffer; padding rows are null row pointers, padding columns the kernel's own (no frame, no tail copy:
// the kernel's loads are masked to the pixel's channels).
void PackedDwconvS8::column_row(const DwconvGeometry& g, const int8_t* input, size_t b, size_t oy,
                                int8_t* out_row) const {
  const size_t extent = (g.kernel_w - 1) * g.dilation_w + 1;
  const size_t max_run = std::min(kDwconvColumnsMaxRun, (kDwconvColumnsMaxSpan - extent) / g.stride_w + 1);
  const int8_t* rows[4 * kDwconvColumnsMaxGroups];
  const ptrdiff_t iy0 = ptrdiff_t(oy * g.stride_h) - ptrdiff_t(g.pad_top);
  for (size_t r = 0; r < 4 * column_groups_; ++r) {
    const ptrdiff_t iy = iy0 + ptrdiff_t(r * g.dilation_h);
    rows[r] = r < g.kernel_h && iy >= 0 && iy < ptrdiff_t(g.in_h)
                  ? input + ((b * g.in_h + size_t(iy)) * g.in_w) * g.channels
                  : nullptr;
  }
  DwconvColumnsArgs args;
  args.channels = g.channels;
  args.in_w = g.in_w;
  args.groups = column_groups_;
  args.kernel_w = g.kernel_w;
  args.stride_w = g.stride_w;
  args.dilation_w = g.dilation_w;
  args.rows = rows;
  args.weights = column_weights_.data();
  args.correction = correction_.data();
  args.multiplier = multiplier_.data();
  args.offset = offset_.data();
  args.pad_byte = int8_t(q_.in_zero_point ^ 0x80);
  args.out_min = q_.out_min;
  args.out_max = q_.out_max;
  args.hardswish = q_.hardswish;
  args.slope = q_.out_scale / 6.0f;
  args.zero_point = float(q_.out_zero_point);
  for (size_t ox = 0; ox < g.out_w; ox += args.pixels) {
    args.pixels = std::min(max_run, g.out_w - ox);
    args.span = (args.pixels - 1) * g.stride_w + extent;
    args.ix0 = ptrdiff_t(ox * g.stride_w) - ptrdiff_t(g.pad_left);
    args.out = out_row + ox * g.channels;
    columns_(args);
  }
}

void PackedDwconvS8::run_row(const DwconvGeometry& g, const int8_t* input, ptrdiff_t input_bytes, int8_t* output,
                             size_t task) const {
  const size_t c_count = g.channels, cp = padded_channels_;
  const size_t b = task / g.out_h, oy = task % g.out_h;
  int8_t* out_row = output + (b * g.out_h + oy) * g.out_w * c_count;
  if (columns_ != nullptr) {
    column_row(g, input, b, oy, out_row);
    return;
  }
  Row row;
  row.g = &g;
  row.input = input;
  row.total = input_bytes;
  row.image = ptrdiff_t(b * g.in_h * g.in_w * c_count);
  row.iy0 = ptrdiff_t(oy * g.stride_h) - ptrdiff_t(g.pad_top);

  // Interior columns [xa, xb): ox * stride_w >= pad_left and the last tap's column is inside.
  row.xa = (g.pad_left + g.stride_w - 1) / g.stride_w;
  const ptrdiff_t last = ptrdiff_t(g.in_w) - 1 + ptrdiff_t(g.pad_left) - ptrdiff_t((g.kernel_w - 1) * g.dilation_w);
  row.xb = last >= 0 ? std::min(g.out_w, size_t(last) / g.stride_w + 1) : 0;
  if (row.xa >= row.xb) row.xa = row.xb = 0;

  alignas(64) int32_t acc[kAccElems];
  Tail tail;
  for (size_t c0 = 0; c0 < cp; c0 += kWindow) {
    const size_t n = std::min(kWindow, cp - c0), real = std::min(n, c_count - c0);
    const size_t tile = kAccElems / n;
    for (size_t ox0 = 0; ox0 < g.out_w; ox0 += tile) {
      const size_t mt = std::min(tile, g.out_w - ox0);
      pair_tile(row, c0, n, ox0, mt, acc, n, tail);
      requantize(mt, real, acc, n, c0, out_row + ox0 * c_count + c0, c_count);
    }
  }
}

void PackedDwconvS8::requantize(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, size_t c0, int8_t* out,
                                size_t out_stride) const {
  if (epilogue_hswish_ != nullptr) {
    epilogue_hswish_(mt, nt, acc, acc_stride, correction_.data() + c0, multiplier_.data() + c0, offset_.data() + c0,
                     q_.out_scale / 6.0f, float(q_.out_zero_point), q_.out_min, q_.out_max, out, out_stride);
  } else {
    epilogue_(mt, nt, acc, acc_stride, correction_.data() + c0, multiplier_.data() + c0, offset_.data() + c0,
              q_.out_min, q_.out_max, out, out_stride);
  }
}

void PackedDwconvS8::run(const int8_t* input, int8_t* output, pthreadpool_t pool, int8_t* workspace) const {
  const size_t tasks = g_.batch * g_.out_h;
  if (tasks == 0 || g_.out_w == 0) return;
  const DwconvGeometry* g = &g_;
  ptrdiff_t input_bytes = ptrdiff_t(g_.batch * g_.in_h * g_.in_w * g_.channels);
  if (workspace != nullptr && workspace_bytes_ > 0) {
    frame(input, workspace);
    g = &framed_;
    input = workspace;
    input_bytes = ptrdiff_t(workspace_bytes_);
  }
  if (pool == nullptr || pthreadpool_get_threads_count(pool) <= 1) {
    for (size_t t = 0; t < tasks; ++t) run_row(*g, input, input_bytes, output, t);
    return;
  }
  pthreadpool_parallelize_1d(pool, [&](size_t t) { run_row(*g, input, input_bytes, output, t); }, tasks);
}

// The input in its zero-point frame: rows of framed_.in_w pixels, the image at (pad_top, pad_left).
void PackedDwconvS8::frame(const int8_t* input, int8_t* framed) const {
  const DwconvGeometry &g = g_, &f = framed_;
  const size_t pixel = g.channels, row_bytes = f.in_w * pixel;
  const int zero_point = q_.in_zero_point;
  for (size_t b = 0; b < g.batch; ++b) {
    for (size_t y = 0; y < f.in_h; ++y) {
      int8_t* dst = framed + (b * f.in_h + y) * row_bytes;
      if (y < g.pad_top || y >= g.pad_top + g.in_h) {
        std::memset(dst, zero_point, row_bytes);
        continue;
      }
      std::memset(dst, zero_point, g.pad_left * pixel);
      std::memcpy(dst + g.pad_left * pixel, input + (b * g.in_h + y - g.pad_top) * g.in_w * pixel, g.in_w * pixel);
      std::memset(dst + (g.pad_left + g.in_w) * pixel, zero_point, (f.in_w - g.pad_left - g.in_w) * pixel);
    }
  }
  std::memset(framed + f.batch * f.in_h * row_bytes, zero_point, padded_channels_);
}

}  // namespace ternrt::kernels
