// scale_channels_s8: the int8 epilogue of t2i8_gemm_s8 run on an int8 tensor widened to int32 in
// small blocks (on the stack, in L1), so it shares that epilogue's per-ISA implementations and bits.
#include "ternrt/kernels/scale-channels-s8.h"

#include <algorithm>

#include "t2i8-gemm-internal.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kBlockValues = 2048;           // int32 values widened per epilogue call (8 KiB)
constexpr size_t kMinValuesPerTask = 1 << 15;   // below this, threads cost more than they save

struct Args {
  EpilogueS8Fn epilogue;
  size_t channels;
  const int8_t* x;
  int32_t x_zero_point;
  const float* multiplier;
  const float* offset;
  int8_t out_min, out_max;
  int8_t* y;
};

// Pixels [p0, p0 + count): whole pixels per epilogue call when a pixel fits the block, else channel
// chunks of one pixel.
void scale_pixels(const Args& a, size_t p0, size_t count) {
  int32_t widened[kBlockValues];
  int32_t correction[kBlockValues];
  const size_t chunk = std::min(a.channels, kBlockValues);
  std::fill(correction, correction + chunk, a.x_zero_point);
  const size_t rows = std::max<size_t>(1, kBlockValues / a.channels);
  for (size_t p = p0; p < p0 + count;) {
    const size_t mt = std::min(rows, p0 + count - p);
    for (size_t c0 = 0; c0 < a.channels; c0 += chunk) {
      const size_t nt = std::min(chunk, a.channels - c0);
      for (size_t r = 0; r < mt; ++r) {
        const int8_t* src = a.x + (p + r) * a.channels + c0;
        int32_t* dst = widened + r * nt;
        for (size_t j = 0; j < nt; ++j) dst[j] = src[j];
      }
      a.epilogue(mt, nt, widened, nt, correction, a.multiplier + c0, a.offset + c0, a.out_min, a.out_max,
                 a.y + p * a.channels + c0, a.channels);
    }
    p += mt;
  }
}

}  // namespace

void scale_channels_s8(Isa isa, size_t pixels, size_t channels, const int8_t* x, int32_t x_zero_point,
                       const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* y,
                       pthreadpool_t pool) {
  if (pixels == 0 || channels == 0) return;
  if (!isa_supported(isa)) isa = Isa::scalar;
  const Args a{epilogue_s8_for(isa), channels, x, x_zero_point, multiplier, offset, out_min, out_max, y};
  const size_t per_task = std::max<size_t>(1, kMinValuesPerTask / channels);
  if (pool == nullptr || pthreadpool_get_threads_count(pool) <= 1 || pixels <= per_task) {
    scale_pixels(a, 0, pixels);
    return;
  }
  pthreadpool_parallelize_1d_tile_1d(pool, [&a](size_t p0, size_t count) { scale_pixels(a, p0, count); }, pixels,
                                     per_task);
}

const char* scale_channels_s8_name(Isa isa) {
  if (!isa_supported(isa)) isa = Isa::scalar;
  switch (isa) {   // the epilogue's implementations (epilogue_s8_for)
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return "scale_channels_s8__avx2";
    case Isa::avx512bw:
    case Isa::avx512vnni: return "scale_channels_s8__avx512";
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return "scale_channels_s8__neon";
#endif
    default: return "scale_channels_s8__scalar";
  }
}

}  // namespace ternrt::kernels
