#include "ops/int8-convert.h"

#include <cmath>

namespace ternrt {

int8_t quantized_bound(float real, float scale, int32_t zero_point) {
  if (std::isinf(real)) return real < 0 ? -128 : 127;
  const double q = std::nearbyint(static_cast<double>(real) / scale) + zero_point;
  return static_cast<int8_t>(q < -128 ? -128 : q > 127 ? 127 : q);
}

// XNNPACK's convert operators take channels x batch; one row of `count` channels is a single
// batch row, and XNNPACK splits it over threads itself.
void QuantizeS8::prepare(const float* x, int8_t* q, size_t count, float scale, int32_t zero_point, pthreadpool_t pool,
                         const std::string& label) {
  xnn_check(xnn_create_convert_nc_f32_qs8(count, count, count, scale, static_cast<int8_t>(zero_point), -128, 127, 0, op_.out()),
            label, "xnn_create_convert_nc_f32_qs8");
  xnn_check(xnn_setup_convert_nc_f32_qs8(op_.get(), 1, x, q, pool), label, "xnn_setup_convert_nc_f32_qs8");
}

void DequantizeS8::prepare(const int8_t* q, float* x, size_t count, float scale, int32_t zero_point, pthreadpool_t pool,
                           const std::string& label) {
  xnn_check(xnn_create_convert_nc_qs8_f32(count, count, count, scale, static_cast<int8_t>(zero_point), 0, op_.out()), label,
            "xnn_create_convert_nc_qs8_f32");
  xnn_check(xnn_setup_convert_nc_qs8_f32(op_.get(), 1, q, x, pool), label, "xnn_setup_convert_nc_qs8_f32");
}

}  // namespace ternrt
