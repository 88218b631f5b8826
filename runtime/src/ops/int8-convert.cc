#include "ops/int8-convert.h"

#include <cmath>

namespace ternrt {

namespace {
// Elements per task: below this a tensor is converted on the calling thread (a task costs more).
constexpr size_t kElementsPerTask = 16384;

template <typename F>
void split(pthreadpool_t pool, size_t count, const F& body) {
  if (pool == nullptr || count <= kElementsPerTask) {
    body(size_t(0), count);
    return;
  }
  pthreadpool_parallelize_1d_tile_1d(pool, [&](size_t start, size_t n) { body(start, n); }, count, kElementsPerTask);
}
}  // namespace

int8_t quantized_bound(float real, float scale, int32_t zero_point) {
  if (std::isinf(real)) return real < 0 ? -128 : 127;
  const double q = std::nearbyint(static_cast<double>(real) / scale) + zero_point;
  return static_cast<int8_t>(q < -128 ? -128 : q > 127 ? 127 : q);
}

namespace {
void convert(kernels::Isa isa, const float* x, size_t n, float scale, int32_t zero_point, int8_t* q) {
  kernels::quantize_f32_s8_static(isa, x, n, scale, zero_point, q);
}
void convert(kernels::Isa isa, const int8_t* q, size_t n, float scale, int32_t zero_point, float* x) {
  kernels::dequantize_s8_f32(isa, q, n, scale, zero_point, x);
}
}  // namespace

template <typename From, typename To>
void ConvertS8<From, To>::run(pthreadpool_t pool) {
  split(pool, count_, [this](size_t start, size_t n) { convert(isa_, in_ + start, n, scale_, zero_point_, out_ + start); });
}

template class ConvertS8<float, int8_t>;
template class ConvertS8<int8_t, float>;

}  // namespace ternrt
