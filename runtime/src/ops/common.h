// Helpers shared by the operator files: argument checks with precise messages, fused
// activations, and XNNPACK operator ownership.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <xnnpack.h>

#include "error.h"
#include "model.h"
#include "ops/op.h"

namespace ternrt {

[[noreturn]] void op_fail(const Model& model, const OpDesc& op, const std::string& what);

// Checks input/output counts (optional inputs may be -1 beyond `required_inputs`).
void check_arity(const Model& model, const OpDesc& op, size_t required_inputs, size_t max_inputs,
                 size_t outputs);
// The i-th input/output as an F32 activation-or-constant tensor; fails with a message otherwise.
const TensorDesc& f32_input(const Model& model, const OpDesc& op, size_t i);
const TensorDesc& f32_output(const Model& model, const OpDesc& op, size_t i);
void check_output_shape(const Model& model, const OpDesc& op, const std::vector<int32_t>& expected);
void check_rank(const Model& model, const OpDesc& op, const TensorDesc& t, const char* role, size_t rank);

// Options table of the expected type or a failure naming the operator.
template <typename T>
const T& options_or_fail(const Model& model, const OpDesc& op, const T* options, const char* type_name) {
  if (options == nullptr) op_fail(model, op, std::string("missing or wrong options table, expected ") + type_name);
  return *options;
}

// A fused activation as XNNPACK's output clamp plus an optional post-op XNNPACK cannot fuse.
struct Activation {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  fb::Activation post = fb::Activation::NONE;  // HARD_SWISH, SIGMOID, HARD_SIGMOID or NONE
  float alpha = 0.2f, beta = 0.5f;
};
void check_activation(const Model& model, const OpDesc& op, const fb::FusedActivation* act);
Activation activation_of(const fb::FusedActivation* act);

// Applies the post-op of an activation in place (HardSwish/Sigmoid via XNNPACK, HardSigmoid by hand).
class PostActivation {
 public:
  PostActivation() = default;
  ~PostActivation();
  PostActivation(const PostActivation&) = delete;
  PostActivation& operator=(const PostActivation&) = delete;
  void prepare(const Activation& act, float* data, size_t count, const std::string& op_label);
  void run(pthreadpool_t pool);
  bool active() const { return kind_ != fb::Activation::NONE; }

 private:
  fb::Activation kind_ = fb::Activation::NONE;
  xnn_operator_t op_ = nullptr;
  float* data_ = nullptr;
  size_t count_ = 0;
  float alpha_ = 0, beta_ = 0;
};

// Float weights of a layer: the constant's data, or ternary weights expanded to scale * trit
// (TERNRT_FLAG_TERNARY_AS_FLOAT) into `storage`.
const float* float_weights(const TensorDesc& w, std::vector<float>& storage);
// float_weights for the weights of the operator being prepared, counted against the memory budget.
const float* expanded_weights(const PrepareArgs& args, int weights, std::vector<float>& storage);

// Owns one XNNPACK operator.
class XnnOp {
 public:
  XnnOp() = default;
  ~XnnOp() { reset(); }
  XnnOp(const XnnOp&) = delete;
  XnnOp& operator=(const XnnOp&) = delete;
  xnn_operator_t* out() { reset(); return &op_; }
  xnn_operator_t get() const { return op_; }
  void reset() { if (op_) xnn_delete_operator(op_); op_ = nullptr; }

 private:
  xnn_operator_t op_ = nullptr;
};

// Throws Error naming the operator when an XNNPACK call fails.
void xnn_check(xnn_status status, const std::string& op_label, const char* call);
const char* xnn_status_str(xnn_status status);
void run_xnn(xnn_operator_t op, pthreadpool_t pool, const char* label);

}  // namespace ternrt
