// Conversions between float and the static int8 representation of a tensor (real = scale * (q -
// zero_point), TensorDesc::act_scale / act_zero_point): XNNPACK's vectorized convert operators,
// set up once. Used at the edges of the int8 graph (FloatFallback) and by operators whose fused
// activation has no int8 form.
#pragma once

#include <cstdint>
#include <string>

#include "ops/common.h"

namespace ternrt {

// The int8 bound of a real clamp bound (the fused activation's min or max): -inf/+inf give
// -128/127, finite bounds round to the nearest representable value.
int8_t quantized_bound(float real, float scale, int32_t zero_point);

// q = clamp(round(x / scale) + zero_point, -128, 127) for `count` values.
class QuantizeS8 {
 public:
  void prepare(const float* x, int8_t* q, size_t count, float scale, int32_t zero_point, pthreadpool_t pool,
               const std::string& label);
  void run(pthreadpool_t pool) { run_xnn(op_.get(), pool, "quantize"); }

 private:
  XnnOp op_;
};

// x = scale * (q - zero_point) for `count` values.
class DequantizeS8 {
 public:
  void prepare(const int8_t* q, float* x, size_t count, float scale, int32_t zero_point, pthreadpool_t pool,
               const std::string& label);
  void run(pthreadpool_t pool) { run_xnn(op_.get(), pool, "dequantize"); }

 private:
  XnnOp op_;
};

}  // namespace ternrt
