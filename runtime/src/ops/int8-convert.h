// Conversions between float and the static int8 representation of a tensor (real = scale * (q -
// zero_point), TensorDesc::act_scale / act_zero_point) with ternrt's vectorized kernels
// (kernels::quantize_f32_s8_static / dequantize_s8_f32), split over the pool for large tensors.
// Used at the edges of the int8 graph (FloatFallback) and by operators whose fused activation has no
// int8 form.
#pragma once

#include <cstdint>
#include <string>

#include "ops/common.h"

namespace ternrt {

// The int8 bound of a real clamp bound (the fused activation's min or max): -inf/+inf give
// -128/127, finite bounds round to the nearest representable value.
int8_t quantized_bound(float real, float scale, int32_t zero_point);

// Converts `count` values between float and int8 with one scale / zero point:
// ConvertS8<float, int8_t> quantizes (q = clamp(round(x / scale) + zero_point, -128, 127)),
// ConvertS8<int8_t, float> dequantizes (x = scale * (q - zero_point)).
template <typename From, typename To>
class ConvertS8 {
 public:
  void prepare(const From* in, To* out, size_t count, float scale, int32_t zero_point, kernels::Isa isa) {
    in_ = in;
    out_ = out;
    count_ = count;
    scale_ = scale;
    zero_point_ = zero_point;
    isa_ = isa;
  }
  void run(pthreadpool_t pool);

 private:
  const From* in_ = nullptr;
  To* out_ = nullptr;
  size_t count_ = 0;
  float scale_ = 1.0f;
  int32_t zero_point_ = 0;
  kernels::Isa isa_ = kernels::Isa::scalar;
};

using QuantizeS8 = ConvertS8<float, int8_t>;
using DequantizeS8 = ConvertS8<int8_t, float>;

}  // namespace ternrt
