#include "calibrate/model_runner.h"

#include "ternrt/ternrt.h"
#include "writer/tern_writer.h"

namespace ternrt::calibrate {
namespace {

[[noreturn]] void runtime_fail(const std::string& what, const std::string& step) {
  throw convert::ConvertError("calibration: " + what + ": " + step + ": " + ternrt_last_error());
}

}  // namespace

ModelRunner::ModelRunner(const convert::Graph& graph, const std::string& what) : what_(what) {
  if (graph.inputs.size() != 1)
    throw convert::ConvertError("calibration needs a model with exactly one input, this one has " +
                                std::to_string(graph.inputs.size()));
  bytes_ = convert::serialize_model(graph);
  if (ternrt_model_load_memory(bytes_.data(), bytes_.size(), &model_) != TERNRT_OK) runtime_fail(what_, "loading");
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  // Dynamic activations: ranges are measured as the float-between-layers model produces them,
  // even if the graph already carries static int8 ranges.
  options.flags |= TERNRT_FLAG_PRESERVE_ALL_TENSORS | TERNRT_FLAG_DYNAMIC_ACTIVATIONS;
  if (ternrt_interpreter_create(model_, &options, &interpreter_) != TERNRT_OK) {
    ternrt_model_delete(model_);
    model_ = nullptr;
    runtime_fail(what_, "creating the interpreter");
  }
  const size_t count = ternrt_interpreter_tensor_count(interpreter_);
  for (size_t i = 0; i < count; ++i) {
    ternrt_tensor_info info{};
    const void* data = nullptr;
    // Ternary weights refuse (they are no dense tensor): calibration never reads them.
    if (ternrt_interpreter_tensor(interpreter_, i, &info, &data) == TERNRT_OK && info.name) index_.emplace(info.name, i);
  }
  input_shape_ = graph.tensors[graph.inputs[0]].shape;
  transpose_nchw_ = graph.nhwc && input_shape_.size() == 4;
}

ModelRunner::~ModelRunner() {
  ternrt_interpreter_delete(interpreter_);
  ternrt_model_delete(model_);
}

void ModelRunner::run(const std::vector<float>& sample) {
  const float* data = sample.data();
  if (transpose_nchw_) {
    // NCHW sample -> NHWC input (batch 1).
    const size_t h = static_cast<size_t>(input_shape_[1]), w = static_cast<size_t>(input_shape_[2]),
                 c = static_cast<size_t>(input_shape_[3]);
    staging_.resize(h * w * c);
    if (sample.size() != staging_.size())
      throw convert::ConvertError("calibration: sample of " + std::to_string(sample.size()) + " values, the model input has " +
                                  std::to_string(staging_.size()));
    for (size_t ci = 0; ci < c; ++ci)
      for (size_t y = 0; y < h; ++y)
        for (size_t x = 0; x < w; ++x) staging_[(y * w + x) * c + ci] = sample[(ci * h + y) * w + x];
    data = staging_.data();
  }
  if (ternrt_interpreter_set_input(interpreter_, 0, data, sample.size() * sizeof(float)) != TERNRT_OK)
    runtime_fail(what_, "setting the input");
  if (ternrt_interpreter_invoke(interpreter_) != TERNRT_OK) runtime_fail(what_, "running");
}

const float* ModelRunner::tensor(const std::string& name, size_t* count) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw convert::ConvertError("calibration: " + what_ + " has no tensor named '" + name + "'");
  ternrt_tensor_info info;
  const void* data = nullptr;
  if (ternrt_interpreter_tensor(interpreter_, it->second, &info, &data) != TERNRT_OK)
    runtime_fail(what_, "reading tensor '" + name + "'");
  if (info.type != TERNRT_F32)
    throw convert::ConvertError("calibration: " + what_ + ": tensor '" + name + "' is not float32");
  *count = info.bytes / sizeof(float);
  return static_cast<const float*>(data);
}

}  // namespace ternrt::calibrate
