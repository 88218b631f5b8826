// scale_channels_s8: the int8 epilogue of t2i8_gemm_s8 on int8 values, one implementation per
// epilogue ISA (t2i8-gemm/t2i8-epilogue-s8-<isa>.cc, the same operations and bits).
#include "ternrt/kernels/scale-channels-s8.h"

#include <algorithm>

#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

namespace {

constexpr size_t kMinValuesPerTask = 1 << 15;   // below this, threads cost more than they save

struct Implementation {
  ScaleChannelsS8Fn fn;
  const char* name;
};

Implementation implementation_for(Isa isa) {
  switch (isa_supported(isa) ? isa : Isa::scalar) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return {scale_channels_s8__avx2, "scale_channels_s8__avx2"};
    case Isa::avx512bw:
    case Isa::avx512vnni: return {scale_channels_s8__avx512, "scale_channels_s8__avx512"};
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return {scale_channels_s8__neon, "scale_channels_s8__neon"};
#endif
    default: return {scale_channels_s8__scalar, "scale_channels_s8__scalar"};
  }
}

}  // namespace

void scale_channels_s8(Isa isa, size_t pixels, size_t channels, const int8_t* x, int32_t x_zero_point,
                       const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* y,
                       pthreadpool_t pool) {
  if (pixels == 0 || channels == 0) return;
  const ScaleChannelsS8Fn fn = implementation_for(isa).fn;
  auto rows = [&](size_t p0, size_t count) {
    fn(count, channels, x + p0 * channels, channels, x_zero_point, multiplier, offset, out_min, out_max,
       y + p0 * channels, channels);
  };
  const size_t per_task = std::max<size_t>(1, kMinValuesPerTask / channels);
  if (pool == nullptr || pthreadpool_get_threads_count(pool) <= 1 || pixels <= per_task) {
    rows(0, pixels);
    return;
  }
  pthreadpool_parallelize_1d_tile_1d(pool, rows, pixels, per_task);
}

const char* scale_channels_s8_name(Isa isa) { return implementation_for(isa).name; }

}  // namespace ternrt::kernels
