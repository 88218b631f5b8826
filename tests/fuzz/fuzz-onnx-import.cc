// libFuzzer target: an ONNX model from untrusted bytes through the converter front end: protobuf
// parse -> import (shape inference) -> the float passes and ternarization -> .tern serialization in
// memory. Never writes a file. ConvertError is the expected way to reject; anything else that
// escapes (std::bad_alloc from a giant declared shape, std::out_of_range, a crash, a sanitizer
// report) is a finding. docs/robustness.md.
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>

#include "converter.h"
#include "writer/tern_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    ternrt::convert::Graph graph = ternrt::convert::import_onnx_model(model, {});
    ternrt::convert::ConvertOptions options;
    ternrt::convert::convert_graph(graph, options, nullptr);
    const std::vector<uint8_t> bytes = ternrt::convert::serialize_model(graph);
    if (bytes.size() < 8) __builtin_trap();
  } catch (const ternrt::convert::ConvertError&) {
  }
  return 0;
}
