// Thin C++ wrapper over the C API (ternrt.h): RAII handles, exceptions instead of statuses.
// Header-only, so it adds no ABI beyond the C API.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ternrt/ternrt.h"

namespace ternrt {

class Exception : public std::runtime_error {
 public:
  Exception(ternrt_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  ternrt_status status() const { return status_; }

 private:
  ternrt_status status_;
};

inline void check(ternrt_status status) {
  if (status != TERNRT_OK) throw Exception(status, std::string(ternrt_status_name(status)) + ": " + ternrt_last_error());
}

class ModelHandle {
 public:
  static ModelHandle load_file(const std::string& path) {
    ternrt_model* m = nullptr;
    check(ternrt_model_load_file(path.c_str(), &m));
    return ModelHandle(m);
  }
  // The buffer must outlive the model (no copy is made).
  static ModelHandle load_memory(const void* data, size_t size) {
    ternrt_model* m = nullptr;
    check(ternrt_model_load_memory(data, size, &m));
    return ModelHandle(m);
  }
  const ternrt_model* get() const { return model_.get(); }
  std::string metadata(const std::string& key, const std::string& fallback = "") const {
    const char* v = ternrt_model_metadata(model_.get(), key.c_str());
    return v ? v : fallback;
  }
  size_t weight_bytes() const { return ternrt_model_weight_bytes(model_.get()); }

 private:
  explicit ModelHandle(ternrt_model* m) : model_(m, &ternrt_model_delete) {}
  std::shared_ptr<ternrt_model> model_;
};

struct TensorInfo {
  std::string name;
  ternrt_type type;
  std::vector<int32_t> shape;
  size_t bytes;
  size_t elements() const { return bytes / 4; }
};

class InterpreterHandle {
 public:
  explicit InterpreterHandle(const ModelHandle& model, unsigned threads = 1, const char* isa = nullptr,
                             uint64_t max_arena_bytes = 0, uint32_t flags = 0)
      : model_(model), interp_(nullptr, &ternrt_interpreter_delete) {
    ternrt_interpreter_options o;
    ternrt_interpreter_options_init(&o);
    o.num_threads = threads;
    o.isa = isa;
    o.max_arena_bytes = max_arena_bytes;
    o.flags = flags;
    ternrt_interpreter* it = nullptr;
    check(ternrt_interpreter_create(model.get(), &o, &it));
    interp_.reset(it);
  }
  ternrt_interpreter* get() const { return interp_.get(); }
  size_t input_count() const { return ternrt_interpreter_input_count(get()); }
  size_t output_count() const { return ternrt_interpreter_output_count(get()); }
  TensorInfo input_info(size_t i) const { return info(i, true); }
  TensorInfo output_info(size_t i) const { return info(i, false); }
  void set_input(size_t i, const std::vector<float>& data) {
    check(ternrt_interpreter_set_input(get(), i, data.data(), data.size() * sizeof(float)));
  }
  void invoke() { check(ternrt_interpreter_invoke(get())); }
  std::vector<float> output(size_t i) const {
    std::vector<float> out(output_info(i).bytes / sizeof(float));
    check(ternrt_interpreter_get_output(get(), i, out.data(), out.size() * sizeof(float)));
    return out;
  }
  size_t arena_bytes() const { return ternrt_interpreter_arena_bytes(get()); }
  std::string isa() const { return ternrt_interpreter_isa(get()); }
  std::string activation_mode() const { return ternrt_interpreter_activation_mode(get()); }

 private:
  TensorInfo info(size_t i, bool input) const {
    ternrt_tensor_info t;
    check(input ? ternrt_interpreter_input_info(get(), i, &t) : ternrt_interpreter_output_info(get(), i, &t));
    return TensorInfo{t.name, t.type, std::vector<int32_t>(t.shape, t.shape + t.rank), t.bytes};
  }
  ModelHandle model_;  // keeps the model alive at least as long as the interpreter
  std::unique_ptr<ternrt_interpreter, void (*)(ternrt_interpreter*)> interp_;
};

}  // namespace ternrt
