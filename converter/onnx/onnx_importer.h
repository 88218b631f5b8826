// ONNX -> converter IR. Reads ai.onnx opsets 7-17 (tested 11-17), infers every tensor's static
// shape (NCHW, ONNX semantics) and maps each node to one IR node. Exporter patterns (HardSwish as
// x * HardSigmoid(x), Pad folded into pooling/conv, MatMul + Add) are left to the passes.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace onnx {
class ModelProto;
}

namespace ternrt::convert {

struct ImportOptions {
  // Value for a dynamic (symbolic or unknown) batch dimension of graph inputs. Any other
  // dynamic dimension is an error.
  int64_t batch = 1;
};

// Throws ConvertError for unreadable files, unsupported ops/attributes and dynamic shapes.
Graph import_onnx_file(const std::string& path, const ImportOptions& options);
Graph import_onnx_model(const onnx::ModelProto& model, const ImportOptions& options);

constexpr int kMinOpset = 7;
constexpr int kMaxOpset = 17;

}  // namespace ternrt::convert
