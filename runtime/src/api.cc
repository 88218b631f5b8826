// The C API: argument checks, then the C++ implementation inside a catch-all, so that no
// exception crosses the boundary. The message of a failure is kept per thread.
#include <cstdio>
#include <new>
#include <string>

#include "error.h"
#include "interpreter.h"
#include "model.h"
#include "ternrt/ternrt.h"

struct ternrt_model {
  std::unique_ptr<ternrt::Model> impl;
};

struct ternrt_interpreter {
  std::unique_ptr<ternrt::Interpreter> impl;
  std::vector<std::string> op_names;  // stable storage for ternrt_op_info
};

namespace {

thread_local std::string g_last_error;
// Set when even the message could not be stored (out of memory); ternrt_last_error returns it.
thread_local const char* g_static_error = nullptr;

// Never throws: storing the message may allocate, and nothing may escape the C API.
ternrt_status set_error(ternrt_status status, const char* prefix, const char* message = "") noexcept {
  try {
    g_last_error.assign(prefix).append(message);
    g_static_error = nullptr;
  } catch (...) {
    g_static_error = "out of memory (while storing the error message)";
  }
  return status;
}

ternrt_status set_error(ternrt_status status, const std::string& message) noexcept {
  return set_error(status, message.c_str());
}

template <typename F>
ternrt_status guarded(F&& body) noexcept {
  try {
    body();
    g_last_error.clear();
    g_static_error = nullptr;
    return TERNRT_OK;
  } catch (const ternrt::Error& e) {
    return set_error(e.status(), e.what());
  } catch (const std::bad_alloc&) {
    return set_error(TERNRT_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return set_error(TERNRT_INTERNAL, "internal error: ", e.what());
  } catch (...) {
    return set_error(TERNRT_INTERNAL, "internal error: unknown exception");
  }
}

void fill_info(const ternrt::TensorDesc& d, ternrt_tensor_info* info) {
  info->name = d.name.c_str();
  info->type = static_cast<ternrt_type>(d.type);  // activations are never TERNARY2
  info->rank = static_cast<uint32_t>(d.shape.size());
  info->shape = d.shape.data();
  info->bytes = d.bytes;
}

}  // namespace

extern "C" {

const char* ternrt_version(void) { return TERNRT_VERSION_STRING; }

void ternrt_format_version(uint32_t* major, uint32_t* minor) {
  if (major) *major = TERNRT_FORMAT_VERSION_MAJOR;
  if (minor) *minor = TERNRT_FORMAT_VERSION_MINOR;
}

const char* ternrt_status_name(ternrt_status status) {
  switch (status) {
    case TERNRT_OK: return "OK";
    case TERNRT_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case TERNRT_INVALID_MODEL: return "INVALID_MODEL";
    case TERNRT_UNSUPPORTED: return "UNSUPPORTED";
    case TERNRT_IO_ERROR: return "IO_ERROR";
    case TERNRT_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case TERNRT_INVALID_STATE: return "INVALID_STATE";
    case TERNRT_INTERNAL: return "INTERNAL";
  }
  return "UNKNOWN";
}

const char* ternrt_last_error(void) { return g_static_error ? g_static_error : g_last_error.c_str(); }

ternrt_status ternrt_model_load_file(const char* path, ternrt_model** model) {
  if (model == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "ternrt_model_load_file: model is NULL");
  *model = nullptr;
  if (path == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "ternrt_model_load_file: path is NULL");
  return guarded([&] {
    auto m = std::make_unique<ternrt_model>();
    m->impl = ternrt::Model::load_file(path);
    *model = m.release();
  });
}

ternrt_status ternrt_model_load_memory(const void* data, size_t size, ternrt_model** model) {
  if (model == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "ternrt_model_load_memory: model is NULL");
  *model = nullptr;
  if (data == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "ternrt_model_load_memory: data is NULL");
  return guarded([&] {
    auto m = std::make_unique<ternrt_model>();
    m->impl = ternrt::Model::load_memory(data, size, "<memory>");
    *model = m.release();
  });
}

void ternrt_model_delete(ternrt_model* model) { delete model; }

const char* ternrt_model_metadata(const ternrt_model* model, const char* key) {
  if (model == nullptr || key == nullptr) return nullptr;
  return model->impl->metadata(key);
}

size_t ternrt_model_weight_bytes(const ternrt_model* model) { return model ? model->impl->weight_bytes() : 0; }

void ternrt_interpreter_options_init(ternrt_interpreter_options* options) {
  if (options == nullptr) return;
  options->num_threads = 1;
  options->max_arena_bytes = 0;
  options->isa = nullptr;
  options->flags = 0;
  options->max_memory_bytes = 0;
}

ternrt_status ternrt_interpreter_create(const ternrt_model* model, const ternrt_interpreter_options* options,
                                        ternrt_interpreter** interpreter) {
  if (interpreter == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "ternrt_interpreter_create: interpreter is NULL");
  *interpreter = nullptr;
  if (model == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "ternrt_interpreter_create: model is NULL");
  ternrt_interpreter_options defaults;
  ternrt_interpreter_options_init(&defaults);
  if (options == nullptr) options = &defaults;
  return guarded([&] {
    auto it = std::make_unique<ternrt_interpreter>();
    it->impl = ternrt::Interpreter::create(*model->impl, *options);
    for (const auto& op : model->impl->ops()) it->op_names.push_back(op.name);
    *interpreter = it.release();
  });
}

void ternrt_interpreter_delete(ternrt_interpreter* interpreter) { delete interpreter; }

size_t ternrt_interpreter_input_count(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->model().inputs().size() : 0;
}

size_t ternrt_interpreter_output_count(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->model().outputs().size() : 0;
}

static ternrt_status io_info(const ternrt_interpreter* interpreter, size_t index, ternrt_tensor_info* info, bool input) {
  const char* what = input ? "input" : "output";
  if (interpreter == nullptr || info == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, what, "_info: NULL argument");
  return guarded([&] {
    const auto& model = interpreter->impl->model();
    const auto& list = input ? model.inputs() : model.outputs();
    if (index >= list.size()) {
      ternrt::fail(TERNRT_INVALID_ARGUMENT, std::string(what) + " index " + std::to_string(index) + " out of range (model has " +
                                                std::to_string(list.size()) + ")");
    }
    fill_info(model.tensors()[list[index]], info);
  });
}

ternrt_status ternrt_interpreter_input_info(const ternrt_interpreter* interpreter, size_t index, ternrt_tensor_info* info) {
  return io_info(interpreter, index, info, true);
}

ternrt_status ternrt_interpreter_output_info(const ternrt_interpreter* interpreter, size_t index, ternrt_tensor_info* info) {
  return io_info(interpreter, index, info, false);
}

ternrt_status ternrt_interpreter_set_input(ternrt_interpreter* interpreter, size_t index, const void* data, size_t bytes) {
  if (interpreter == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "set_input: interpreter is NULL");
  return guarded([&] { interpreter->impl->set_input(index, data, bytes); });
}

ternrt_status ternrt_interpreter_invoke(ternrt_interpreter* interpreter) {
  if (interpreter == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "invoke: interpreter is NULL");
  return guarded([&] { interpreter->impl->invoke(); });
}

ternrt_status ternrt_interpreter_get_output(const ternrt_interpreter* interpreter, size_t index, void* data, size_t bytes) {
  if (interpreter == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "get_output: interpreter is NULL");
  return guarded([&] { interpreter->impl->get_output(index, data, bytes); });
}

size_t ternrt_interpreter_tensor_count(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->model().tensors().size() : 0;
}

ternrt_status ternrt_interpreter_tensor(const ternrt_interpreter* interpreter, size_t index, ternrt_tensor_info* info,
                                        const void** data) {
  if (interpreter == nullptr || info == nullptr || data == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "tensor: NULL argument");
  const auto& tensors = interpreter->impl->model().tensors();
  if (index >= tensors.size()) {
    return set_error(TERNRT_INVALID_ARGUMENT, "tensor index " + std::to_string(index) + " out of range (model has " +
                                                  std::to_string(tensors.size()) + " tensors)");
  }
  const ternrt::TensorDesc& d = tensors[index];
  if (d.ternary) return set_error(TERNRT_INVALID_ARGUMENT, d.label(static_cast<int>(index)) + " holds ternary weights, not a dense tensor");
  const int add = interpreter->impl->fused_away_by(index);
  if (add >= 0) {
    return set_error(TERNRT_INVALID_STATE, d.label(static_cast<int>(index)) + " is never computed: the layer that writes it adds the residual of " +
                                               interpreter->impl->model().ops()[static_cast<size_t>(add)].label() +
                                               " itself and writes that ADD's output (static int8 path)");
  }
  if (!interpreter->impl->readable(index) || interpreter->impl->tensor_data(index) == nullptr) {
    return set_error(TERNRT_INVALID_STATE, d.label(static_cast<int>(index)) +
                                               " is an intermediate tensor; create the interpreter with TERNRT_FLAG_PRESERVE_ALL_TENSORS to read it");
  }
  fill_info(d, info);
  if (interpreter->impl->stored_as_int8(index)) {
    info->type = TERNRT_I8;
    info->bytes = d.elements;
  }
  *data = interpreter->impl->tensor_data(index);
  return TERNRT_OK;
}

ternrt_status ternrt_interpreter_tensor_quantization(const ternrt_interpreter* interpreter, size_t index, float* scale,
                                                     int32_t* zero_point) {
  if (interpreter == nullptr || scale == nullptr || zero_point == nullptr) {
    return set_error(TERNRT_INVALID_ARGUMENT, "tensor_quantization: NULL argument");
  }
  return guarded([&] {
    const auto& tensors = interpreter->impl->model().tensors();
    if (index >= tensors.size()) {
      ternrt::fail(TERNRT_INVALID_ARGUMENT, "tensor index " + std::to_string(index) + " out of range (model has " +
                                                std::to_string(tensors.size()) + " tensors)");
    }
    if (!interpreter->impl->stored_as_int8(index)) {
      ternrt::fail(TERNRT_INVALID_ARGUMENT, tensors[index].label(static_cast<int>(index)) + " is not stored as int8 by this interpreter (" +
                                                interpreter->impl->activation_mode() + " activations)");
    }
    *scale = tensors[index].act_scale;
    *zero_point = tensors[index].act_zero_point;
  });
}

const char* ternrt_interpreter_activation_mode(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->activation_mode() : "";
}

size_t ternrt_interpreter_arena_bytes(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->arena_bytes() : 0;
}

size_t ternrt_interpreter_op_count(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->op_count() : 0;
}

ternrt_status ternrt_interpreter_op_info(const ternrt_interpreter* interpreter, size_t index, ternrt_op_info* info) {
  if (interpreter == nullptr || info == nullptr) return set_error(TERNRT_INVALID_ARGUMENT, "op_info: NULL argument");
  if (index >= interpreter->impl->op_count()) return set_error(TERNRT_INVALID_ARGUMENT, "operator index out of range");
  const auto& op = interpreter->impl->model().ops()[index];
  info->name = interpreter->op_names[index].c_str();
  info->type = ternrt::fb::EnumNameOpCode(op.opcode);
  info->kernel = interpreter->impl->op_kernel(index).c_str();
  info->ternary = 0;
  if (op.inputs.size() > 1 && op.inputs[1] >= 0) {
    info->ternary = interpreter->impl->model().tensors()[op.inputs[1]].ternary != nullptr;
  }
  return TERNRT_OK;
}

const char* ternrt_interpreter_isa(const ternrt_interpreter* interpreter) {
  return interpreter ? ternrt::kernels::isa_name(interpreter->impl->isa()) : "";
}

void ternrt_interpreter_set_profiling(ternrt_interpreter* interpreter, int enable) {
  if (interpreter) interpreter->impl->set_profiling(enable != 0);
}

uint64_t ternrt_interpreter_op_time_ns(const ternrt_interpreter* interpreter, size_t index) {
  if (interpreter == nullptr || index >= interpreter->impl->op_count()) return 0;
  return interpreter->impl->op_time_ns(index);
}

uint32_t ternrt_interpreter_op_threads(const ternrt_interpreter* interpreter, size_t index) {
  if (interpreter == nullptr || index >= interpreter->impl->op_count()) return 0;
  return interpreter->impl->op_threads(index);
}

size_t ternrt_interpreter_packed_weight_bytes(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->packed_weight_bytes() : 0;
}

size_t ternrt_interpreter_scratch_bytes(const ternrt_interpreter* interpreter) {
  return interpreter ? interpreter->impl->scratch_bytes() : 0;
}

}  // extern "C"

// The header's version macros and the project version must agree.
static_assert(sizeof(TERNRT_VERSION_STRING) > 1, "TERNRT_VERSION_STRING comes from CMake's PROJECT_VERSION");
