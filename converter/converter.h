// ternrt-convert as a library: ONNX file -> IR -> float passes -> layer choice + ternarization ->
// .tern file, plus the conversion report (JSON and a human table). docs/converter.md.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "onnx/onnx_importer.h"
#include "ternary/ternarize_layers.h"

namespace ternrt::convert {

struct ConvertOptions {
  ImportOptions import;
  TernaryConfig ternary;
};

struct ConversionReport {
  std::vector<LayerChoice> layers;     // every Conv/FC layer, ternary or not
  std::vector<LayerResult> ternary;    // the ternarized ones
  size_t parameters = 0;               // all float constants of the model (weights, biases, ...)
  size_t ternary_parameters = 0;
  size_t model_bytes_float = 0;        // constant data bytes with every weight float
  size_t model_bytes_ternary = 0;      // constant data bytes as written (packed codes + scales)
  size_t file_bytes = 0;               // size of the written .tern file
};

// Float passes + ternarization on an imported graph (what convert_file does between import and
// write). Fills `report` (may be null).
void convert_graph(Graph& graph, const ConvertOptions& options, ConversionReport* report,
                   const std::function<void(const std::string&)>& progress = {});

// The whole conversion; writes `output_path` atomically. Throws ConvertError.
ConversionReport convert_file(const std::string& input_path, const std::string& output_path,
                              const ConvertOptions& options,
                              const std::function<void(const std::string&)>& progress = {});

// {"layers": [...], "float_layers": [...], "totals": {...}}: docs/converter.md.
std::string report_json(const ConversionReport& report);
// One line per Conv/FC layer, then totals.
std::string report_table(const ConversionReport& report);

}  // namespace ternrt::convert
