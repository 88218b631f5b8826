// ternrt-convert as a library: ONNX file -> IR -> float passes -> layer choice + ternarization ->
// .tern file, plus the conversion report (JSON and a human table). docs/converter.md.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "calibrate/static_ranges.h"
#include "ir/graph.h"
#include "onnx/onnx_importer.h"
#include "ptq/ptq.h"
#include "ternary/ternarize_layers.h"

namespace ternrt::convert {

struct ConvertOptions {
  ImportOptions import;
  TernaryConfig ternary;
  // Extra model metadata (--metadata, --input-mean/--input-std). Keys the converter writes itself
  // (producer, source_model, source_layout, ternary.*) are rejected by convert_file.
  std::map<std::string, std::string> metadata;
  // Post-training quantization with calibration data (--calibrate ...): docs/ptq.md.
  ptq::PtqOptions ptq;
  // --static-int8: int8 params on every activation tensor (docs/ptq.md), measured on the final
  // model with the ptq calibration data and --act-range, or data-free from BatchNorm statistics.
  bool static_int8 = false;
};

// Flag combinations --static-int8 cannot honour, as a message naming the flags ("" if fine).
// `explicit_range_flag`: "--act-range" / "--act-percentile" when given on the command line.
std::string check_static_int8(const ConvertOptions& options, const std::string& explicit_range_flag = "");

// "KEY=VALUE" (--metadata) into `metadata`; throws ConvertError naming the flag on a bad form.
void add_metadata_flag(const std::string& key_value, std::map<std::string, std::string>* metadata);
// "M[,M...]" (--input-mean / --input-std) checked and rewritten as comma-separated floats ("%.9g").
// Throws ConvertError naming `flag`; with `positive`, every value must be > 0 (a std).
std::string channel_values_flag(const std::string& flag, const std::string& list, bool positive);

struct ConversionReport {
  std::vector<LayerChoice> layers;     // every Conv/FC layer, ternary or not
  std::vector<LayerResult> ternary;    // the ternarized ones
  size_t parameters = 0;               // all float constants of the model (weights, biases, ...)
  size_t ternary_parameters = 0;
  size_t model_bytes_float = 0;        // constant data bytes with every weight float
  size_t model_bytes_ternary = 0;      // constant data bytes as written (packed codes + scales)
  size_t file_bytes = 0;               // size of the written .tern file
  ptq::PtqReport ptq;                  // calibration: per-layer SQNR per step, input ranges
  calibrate::StaticRangesReport static_int8;  // --static-int8: range and params per activation
};

// Float passes + ternarization on an imported graph (what convert_file does between import and
// write). Fills `report` (may be null).
void convert_graph(Graph& graph, const ConvertOptions& options, ConversionReport* report,
                   const std::function<void(const std::string&)>& progress = {});

// The whole conversion; writes `output_path` atomically. Throws ConvertError.
ConversionReport convert_file(const std::string& input_path, const std::string& output_path,
                              const ConvertOptions& options,
                              const std::function<void(const std::string&)>& progress = {});

// {"layers": [...], "float_layers": [...], "totals": {...}, "ptq": {...}, "static_int8": {...}}:
// docs/converter.md.
std::string report_json(const ConversionReport& report);
// One line per Conv/FC layer, then totals.
std::string report_table(const ConversionReport& report);

}  // namespace ternrt::convert
