#include "ops/common.h"

#include <algorithm>

namespace ternrt {

void op_fail(const Model& model, const OpDesc& op, const std::string& what) {
  fail(TERNRT_INVALID_MODEL, model.source() + ": " + op.label() + ": " + what);
}

void check_arity(const Model& model, const OpDesc& op, size_t required_inputs, size_t max_inputs, size_t outputs) {
  if (op.inputs.size() < required_inputs || op.inputs.size() > max_inputs) {
    op_fail(model, op, "has " + std::to_string(op.inputs.size()) + " inputs, expected " +
                           (required_inputs == max_inputs ? std::to_string(required_inputs)
                                                          : std::to_string(required_inputs) + ".." + std::to_string(max_inputs)));
  }
  for (size_t i = 0; i < required_inputs; ++i) {
    if (op.inputs[i] < 0) op_fail(model, op, "input " + std::to_string(i) + " is required but absent (-1)");
  }
  if (op.outputs.size() != outputs) {
    op_fail(model, op, "has " + std::to_string(op.outputs.size()) + " outputs, expected " + std::to_string(outputs));
  }
}

static const TensorDesc& f32_tensor(const Model& model, const OpDesc& op, int index, const std::string& role) {
  const TensorDesc& t = model.tensors()[index];
  if (t.type != fb::TensorType::F32) {
    op_fail(model, op, role + " " + t.label(index) + " has type " + fb::EnumNameTensorType(t.type) + ", expected F32");
  }
  return t;
}

const TensorDesc& f32_input(const Model& model, const OpDesc& op, size_t i) {
  return f32_tensor(model, op, op.inputs[i], "input " + std::to_string(i));
}

const TensorDesc& f32_output(const Model& model, const OpDesc& op, size_t i) {
  return f32_tensor(model, op, op.outputs[i], "output " + std::to_string(i));
}

void check_output_shape(const Model& model, const OpDesc& op, const std::vector<int32_t>& expected) {
  const TensorDesc& out = model.tensors()[op.outputs[0]];
  if (out.shape != expected) {
    op_fail(model, op, "output " + out.label(op.outputs[0]) + " has shape " + shape_str(out.shape) +
                           ", expected " + shape_str(expected) + " from the inputs and options");
  }
}

void check_rank(const Model& model, const OpDesc& op, const TensorDesc& t, const char* role, size_t rank) {
  if (t.shape.size() != rank) {
    op_fail(model, op, std::string(role) + " '" + t.name + "' has shape " + shape_str(t.shape) + ", expected rank " +
                           std::to_string(rank));
  }
}

void check_activation(const Model& model, const OpDesc& op, const fb::FusedActivation* act) {
  if (act == nullptr) return;
  const auto type = act->type();
  if (type < fb::Activation::MIN || type > fb::Activation::MAX) {
    op_fail(model, op, "unknown activation " + std::to_string(static_cast<int>(type)));
  }
  if (type == fb::Activation::CLIP) {
    if (!(act->clip_min() <= act->clip_max())) {
      op_fail(model, op, "CLIP activation needs clip_min <= clip_max, got [" + std::to_string(act->clip_min()) + ", " +
                             std::to_string(act->clip_max()) + "]");
    }
  }
  if (type == fb::Activation::HARD_SIGMOID && !(std::isfinite(act->alpha()) && std::isfinite(act->beta()))) {
    op_fail(model, op, "HARD_SIGMOID alpha/beta must be finite");
  }
}

Activation activation_of(const fb::FusedActivation* act) {
  Activation a;
  if (act == nullptr) return a;
  switch (act->type()) {
    case fb::Activation::NONE: break;
    case fb::Activation::RELU: a.min = 0; break;
    case fb::Activation::RELU6: a.min = 0; a.max = 6; break;
    case fb::Activation::CLIP: a.min = act->clip_min(); a.max = act->clip_max(); break;
    case fb::Activation::HARD_SWISH:
    case fb::Activation::SIGMOID:
      a.post = act->type();
      break;
    case fb::Activation::HARD_SIGMOID:
      a.post = act->type();
      a.alpha = act->alpha();
      a.beta = act->beta();
      break;
  }
  return a;
}

PostActivation::~PostActivation() {
  if (op_) xnn_delete_operator(op_);
}

void PostActivation::prepare(const Activation& act, float* data, size_t count, const std::string& op_label) {
  kind_ = act.post;
  data_ = data;
  count_ = count;
  alpha_ = act.alpha;
  beta_ = act.beta;
  if (kind_ == fb::Activation::HARD_SWISH) {
    xnn_check(xnn_create_hardswish_nc_f32(1, 1, 1, 0, &op_), op_label, "xnn_create_hardswish_nc_f32");
    xnn_check(xnn_setup_hardswish_nc_f32(op_, count, data, data, nullptr), op_label, "xnn_setup_hardswish_nc_f32");
  } else if (kind_ == fb::Activation::SIGMOID) {
    xnn_check(xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &op_), op_label, "xnn_create_sigmoid_nc_f32");
    xnn_check(xnn_setup_sigmoid_nc_f32(op_, count, data, data, nullptr), op_label, "xnn_setup_sigmoid_nc_f32");
  }
}

void PostActivation::run(pthreadpool_t pool) {
  if (kind_ == fb::Activation::HARD_SIGMOID) {
    for (size_t i = 0; i < count_; ++i) data_[i] = std::min(1.0f, std::max(0.0f, alpha_ * data_[i] + beta_));
  } else if (op_ != nullptr) {
    run_xnn(op_, pool, "post activation");
  }
}

void MemoryBudget::reserve(uint64_t bytes, const std::string& what) {
  if (limit_ != 0 && (bytes > limit_ || used_ > limit_ - bytes)) {
    fail(TERNRT_OUT_OF_MEMORY, what + " needs " + std::to_string(bytes) + " more bytes; with the " + std::to_string(used_) +
                                   " already planned that exceeds max_memory_bytes = " + std::to_string(limit_));
  }
  used_ += bytes;
}

void SharedScratch::request(size_t bytes, MemoryBudget& budget, const std::string& what) {
  if (bytes <= size_) return;
  budget.reserve(bytes - size_, what);
  size_ = bytes;
}

void SharedScratch::allocate() {
  storage_.assign((size_ + sizeof(Line) - 1) / sizeof(Line), Line{});
}

const float* float_weights(const TensorDesc& w, std::vector<float>& storage) {
  if (!w.ternary) return reinterpret_cast<const float*>(w.data);
  const TernaryDesc& t = *w.ternary;
  const size_t row = (t.k + 3) / 4;
  storage.resize(t.n * t.k);
  for (size_t n = 0; n < t.n; ++n) {
    for (size_t j = 0; j < t.k; ++j) {
      const int trit = static_cast<int>((t.codes[n * row + j / 4] >> (2 * (j % 4))) & 3) - 1;
      storage[n * t.k + j] = static_cast<float>(trit) * t.channel_scales[n];
    }
  }
  return storage.data();
}

const float* expanded_weights(const PrepareArgs& args, int weights, std::vector<float>& storage) {
  const TensorDesc& w = args.tensor(weights);
  if (w.ternary) {
    args.budget.reserve(static_cast<uint64_t>(w.elements) * sizeof(float),
                        args.model.source() + ": " + args.op.label() + ": ternary weights expanded to float");
  }
  return float_weights(w, storage);
}

const char* xnn_status_str(xnn_status status) {
  switch (status) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

void xnn_check(xnn_status status, const std::string& op_label, const char* call) {
  if (status == xnn_status_success) return;
  ternrt_status s = status == xnn_status_out_of_memory ? TERNRT_OUT_OF_MEMORY
                    : status == xnn_status_unsupported_parameter || status == xnn_status_unsupported_hardware
                        ? TERNRT_UNSUPPORTED
                        : TERNRT_INTERNAL;
  fail(s, op_label + ": " + call + " failed: " + xnn_status_str(status));
}

void run_xnn(xnn_operator_t op, pthreadpool_t pool, const char* label) {
  // Arguments were validated when the operator was set up; a failure here is a bug.
  xnn_status s = xnn_run_operator(op, pool);
  if (s != xnn_status_success) fail(TERNRT_INTERNAL, std::string(label) + ": xnn_run_operator failed: " + xnn_status_str(s));
}

}  // namespace ternrt
