// Converter IR (NHWC, after the passes) -> .tern FlatBuffer (schema/ternrt.fbs, format 1.1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace ternrt::convert {

// "ternrt-convert <version>"
std::string producer_string();

// Serializes the graph. Throws ConvertError for anything the format cannot express.
// Metadata: graph.metadata plus "producer".
std::vector<uint8_t> serialize_model(const Graph& graph);

// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
// failure never leaves a partial output file.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace ternrt::convert
