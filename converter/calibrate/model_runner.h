// Runs a converter graph through ternrt's own runtime (serialized to memory, loaded with
// TERNRT_FLAG_PRESERVE_ALL_TENSORS) so calibration can read any intermediate tensor by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

struct ternrt_model;
struct ternrt_interpreter;

namespace ternrt::calibrate {

class ModelRunner {
 public:
  // `what` names the model in messages ("float model", "model with 3 ternary layers").
  // Throws convert::ConvertError with the runtime's message when the model does not load.
  ModelRunner(const convert::Graph& graph, const std::string& what);
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  // Runs one sample given in the source layout (NCHW samples are transposed to the model's NHWC).
  void run(const std::vector<float>& sample);
  // Float contents of tensor `name` after the last run; throws ConvertError for an unknown name.
  const float* tensor(const std::string& name, size_t* count) const;

 private:
  std::string what_;
  std::vector<uint8_t> bytes_;  // the serialized model; must outlive model_
  ternrt_model* model_ = nullptr;
  ternrt_interpreter* interpreter_ = nullptr;
  std::map<std::string, size_t> index_;
  std::vector<int64_t> input_shape_;  // as the runtime sees it (NHWC for converted image models)
  bool transpose_nchw_ = false;
  std::vector<float> staging_;
};

}  // namespace ternrt::calibrate
