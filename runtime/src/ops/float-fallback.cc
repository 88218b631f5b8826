#include "ops/float-fallback.h"

#include <algorithm>

namespace ternrt {

namespace {
constexpr size_t kReadPadding = 64;  // as the arena's tail padding: kernels may over-read
}

void FloatFallback::prepare(const PrepareArgs& args) {
  std::vector<void*> data = args.tensor_data;
  std::vector<int> inputs, outputs;
  for (int t : args.op.inputs) {
    if (args.is_s8(t) && std::find(inputs.begin(), inputs.end(), t) == inputs.end()) inputs.push_back(t);
  }
  for (int t : args.op.outputs) {
    if (args.is_s8(t)) outputs.push_back(t);
  }
  buffers_.resize(inputs.size() + outputs.size());
  dequantize_ = std::vector<DequantizeS8>(inputs.size());
  quantize_ = std::vector<QuantizeS8>(outputs.size());
  const std::string label = args.op.label();
  size_t b = 0;
  auto float_buffer = [&](int t) {
    const TensorDesc& d = args.tensor(t);
    args.budget.reserve(static_cast<uint64_t>(d.elements) * sizeof(float) + kReadPadding,
                        args.model.source() + ": " + label + ": float copy of int8 tensor '" + d.name + "'");
    buffers_[b].assign(d.elements + kReadPadding / sizeof(float), 0.0f);
    data[t] = buffers_[b].data();
    return buffers_[b++].data();
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc& d = args.tensor(inputs[i]);
    dequantize_[i].prepare(args.s8(inputs[i]), float_buffer(inputs[i]), d.elements, d.act_scale, d.act_zero_point, args.isa);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const TensorDesc& d = args.tensor(outputs[i]);
    int8_t* q = args.s8(outputs[i]);
    quantize_[i].prepare(float_buffer(outputs[i]), q, d.elements, d.act_scale, d.act_zero_point, args.isa);
  }
  // The wrapped operator sees every tensor as float.
  const std::vector<char> no_int8(args.int8.size(), 0);
  inner_->prepare(PrepareArgs{args.model, args.op, data, args.pool, args.isa, args.budget, no_int8, false, args.scratch});
}

void FloatFallback::run(pthreadpool_t pool) {
  for (auto& d : dequantize_) d.run(pool);
  inner_->run(pool);
  for (auto& q : quantize_) q.run(pool);
}

std::string FloatFallback::kernel() const {
  return inner_->kernel() + (quantize_.empty() ? " (int8 in)" : dequantize_.empty() ? " (int8 out)" : " (int8 in/out)");
}

size_t FloatFallback::scratch_bytes() const {
  size_t total = inner_->scratch_bytes();
  for (const auto& buffer : buffers_) total += buffer.size() * sizeof(float);
  return total;
}

}  // namespace ternrt
