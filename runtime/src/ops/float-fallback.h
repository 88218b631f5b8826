// Runs a float operator inside the static int8 graph: its int8 inputs are dequantized into float
// scratch before it runs and its int8 outputs quantized from float scratch after (the "edges" of
// the int8 graph, and operators or fused activations without an int8 form). The wrapped operator
// never sees int8: it is prepared with the scratch buffers in place of the int8 tensors.
#pragma once

#include <memory>
#include <vector>

#include "ops/int8-convert.h"
#include "ops/op.h"

namespace ternrt {

class FloatFallback : public Op {
 public:
  explicit FloatFallback(std::unique_ptr<Op> inner) : inner_(std::move(inner)) {}
  void prepare(const PrepareArgs& args) override;
  void run(pthreadpool_t pool) override;
  std::string kernel() const override;
  size_t scratch_bytes() const override;
  size_t packed_weight_bytes() const override { return inner_->packed_weight_bytes(); }

 private:
  std::unique_ptr<Op> inner_;
  std::vector<std::vector<float>> buffers_;
  std::vector<DequantizeS8> dequantize_;
  std::vector<QuantizeS8> quantize_;
};

}  // namespace ternrt
