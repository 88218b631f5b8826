#include "converter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <sstream>

#include <sys/stat.h>

#include "json_text.h"
#include "passes/passes.h"
#include "writer/tern_writer.h"

namespace ternrt::convert {
namespace {

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string shape_json(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string summary_json(const Summary3& s) {
  return "{\"min\": " + json_number(s.min) + ", \"median\": " + json_number(s.median) + ", \"max\": " + json_number(s.max) + "}";
}

std::vector<float> metadata_floats(const std::map<std::string, std::string>& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return {};
  return calibrate::parse_float_list(it->second, key);
}

// --static-int8 on the final graph: measured with the calibration data PTQ used (loaded the same
// way, so the same samples), or data-free from the BatchNorm estimates of the imported graph.
void attach_static_int8(Graph& graph, const ConvertOptions& options, const ptq::PtqContext& context,
                        calibrate::StaticRangesReport* report) {
  const ptq::PtqOptions& o = options.ptq;
  char text[96];
  if (o.calibrating()) {
    calibrate::CalibrationSet set;
    try {
      const std::string path = o.idx.empty() ? o.data : o.idx;
      const calibrate::SourceKind kind = o.idx.empty() ? calibrate::detect_source(path) : calibrate::SourceKind::idx_file;
      set = calibrate::load_calibration_set(path, kind, context.source_input_shape, o.samples, o.preprocess,
                                            metadata_floats(options.metadata, "input.mean"),
                                            metadata_floats(options.metadata, "input.std"));
    } catch (const ConvertError&) {
      throw;
    } catch (const std::exception& e) {
      throw ConvertError(std::string("calibration data: ") + e.what());
    }
    if (set.samples.empty()) throw ConvertError("--static-int8: calibration data " + set.source + " has no samples");
    std::string method = calibrate::range_method_name(o.act_range);
    if (o.act_range == calibrate::RangeMethod::percentile) {
      std::snprintf(text, sizeof text, " %g", o.percentile);
      method += text;
    }
    report->description = method + ", " + std::to_string(set.samples.size()) + " calibration samples";
    calibrate::attach_calibrated_ranges(graph, set.samples, o.act_range, o.percentile, o.progress, report);
  } else {
    std::snprintf(text, sizeof text, "batchnorm estimates (k=%g)", o.bn_k);
    report->description = text;
    calibrate::attach_estimated_ranges(graph, context.bn_ranges, report);
  }
  graph.metadata["activations.static"] = report->description;
}

}  // namespace

std::string check_static_int8(const ConvertOptions& options, const std::string& explicit_range_flag) {
  if (!options.static_int8) return "";
  if (!options.ternary.enabled)
    return "--static-int8: --method none writes a float model, and static int8 activations are for ternary layers; "
           "drop one of the two";
  if (!options.ptq.calibrating()) {
    const std::string flag = !explicit_range_flag.empty()                                ? explicit_range_flag
                             : options.ptq.act_range != calibrate::RangeMethod::minmax ? "--act-range"
                                                                                       : "";
    if (!flag.empty())
      return flag + " with --static-int8 needs calibration data (--calibrate or --calibrate-idx); without data the "
                    "static ranges are data-free BatchNorm estimates";
  }
  return "";
}

void convert_graph(Graph& graph, const ConvertOptions& options, ConversionReport* report,
                   const std::function<void(const std::string&)>& progress) {
  if (const std::string e = check_static_int8(options); !e.empty()) throw ConvertError(e);
  // The calibration data is read after every layer is ternarized (minutes on a large model): a
  // wrong path fails before that.
  if (options.ternary.enabled && options.ptq.calibrating()) {
    const std::string& path = options.ptq.idx.empty() ? options.ptq.data : options.ptq.idx;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) throw ConvertError("calibration data: " + path + ": no such calibration file or folder");
  }
  // BatchNorm statistics (data-free ranges) and the source input shape are gone after the passes.
  const ptq::PtqContext ptq_context = ptq::prepare_ptq(graph, options.ptq);
  run_float_passes(graph);
  std::vector<LayerChoice> layers = choose_layers(graph, options.ternary);
  const bool calibrate = options.ternary.enabled && options.ptq.calibrating();
  const Graph float_graph = calibrate ? graph : Graph{};
  std::vector<LayerResult> results = ternarize_layers(graph, layers, options.ternary, progress);
  if (options.ternary.enabled) {
    ptq::run_ptq(graph, float_graph, results, options.ptq, options.metadata, ptq_context, report ? &report->ptq : nullptr);
  }
  if (options.ternary.enabled) {
    graph.metadata["ternary.method"] = quantize::method_name(options.ternary.quant.method);
    graph.metadata["ternary.per_channel"] = options.ternary.quant.per_channel ? "true" : "false";
    graph.metadata["ternary.layers"] = std::to_string(results.size());
  }
  // After PTQ: the ranges are those of the final weights, as the static path will see them.
  calibrate::StaticRangesReport static_local;
  if (options.static_int8) attach_static_int8(graph, options, ptq_context, report ? &report->static_int8 : &static_local);
  if (!report) return;
  report->layers = layers;
  report->ternary = results;
  for (const Tensor& t : graph.tensors) {
    if (!t.is_constant || t.is_int) continue;
    const size_t count = static_cast<size_t>(num_elements(t.shape));
    report->parameters += count;
    report->model_bytes_float += count * sizeof(float);
    if (!t.ternary) report->model_bytes_ternary += count * sizeof(float);
  }
  for (const LayerResult& r : results) {
    report->ternary_parameters += r.parameters;
    report->model_bytes_ternary += r.packed_bytes;
  }
}

void add_metadata_flag(const std::string& key_value, std::map<std::string, std::string>* metadata) {
  const size_t eq = key_value.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConvertError("--metadata: expected KEY=VALUE with a non-empty KEY, got '" + key_value + "'");
  }
  (*metadata)[key_value.substr(0, eq)] = key_value.substr(eq + 1);
}

std::string channel_values_flag(const std::string& flag, const std::string& list, bool positive) {
  std::string out;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string item = list.substr(pos, comma - pos);
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v)) {
      throw ConvertError(flag + ": expected comma-separated numbers (one per input channel), got '" + list + "'");
    }
    if (positive && !(v > 0)) throw ConvertError(flag + ": values must be positive, got '" + item + "' in '" + list + "'");
    out += (out.empty() ? "" : ",") + json_number(v);
    pos = comma + 1;
  }
  return out;
}

namespace {

// User metadata must not hide what the converter records, and per-channel values must fit the input.
void apply_user_metadata(Graph& graph, const std::map<std::string, std::string>& metadata, const std::string& input_path) {
  for (const auto& [key, value] : metadata) {
    if (key == "producer" || key == "source_model" || key == "source_layout" || key.rfind("ternary.", 0) == 0 ||
        key == "activations.static") {
      throw ConvertError("--metadata: key '" + key + "' is written by the converter itself");
    }
    if ((key == "input.mean" || key == "input.std") && graph.inputs.size() == 1) {
      const Shape& shape = graph.tensors[graph.inputs[0]].shape;
      const size_t count = static_cast<size_t>(std::count(value.begin(), value.end(), ',')) + 1;
      const int64_t channels = shape.size() == 4 ? shape[1] : 1;
      if (count != 1 && static_cast<int64_t>(count) != channels) {
        throw ConvertError(key + " has " + std::to_string(count) + " values but input '" + graph.tensors[graph.inputs[0]].name +
                           "' of " + input_path + " has shape " + shape_string(shape) + " (" + std::to_string(channels) +
                           " channel(s) in NCHW)");
      }
    }
    graph.metadata[key] = value;
  }
}

}  // namespace

ConversionReport convert_file(const std::string& input_path, const std::string& output_path,
                              const ConvertOptions& options,
                              const std::function<void(const std::string&)>& progress) {
  if (const std::string e = check_static_int8(options); !e.empty()) throw ConvertError(e);  // before reading anything
  Graph graph = import_onnx_file(input_path, options.import);
  graph.metadata["source_model"] = base_name(input_path);
  apply_user_metadata(graph, options.metadata, input_path);
  ConversionReport report;
  convert_graph(graph, options, &report, progress);
  const std::vector<uint8_t> bytes = serialize_model(graph);
  write_file_atomically(output_path, bytes);
  report.file_bytes = bytes.size();
  return report;
}

std::string report_json(const ConversionReport& report) {
  std::ostringstream out;
  out << "{\n  \"layers\": [";
  for (size_t i = 0; i < report.ternary.size(); ++i) {
    const LayerResult& r = report.ternary[i];
    out << (i ? "," : "") << "\n    {\"name\": " << json_string(r.layer.name) << ", \"op\": " << json_string(r.layer.op)
        << ", \"shape\": " << shape_json(r.layer.shape) << ", \"method\": " << json_string(r.method)
        << ", \"per_channel\": " << (r.per_channel ? "true" : "false")
        << ",\n     \"threshold\": " << summary_json(r.threshold) << ", \"level\": " << summary_json(r.level)
        << ",\n     \"zero_fraction\": " << json_number(r.stats.zero_fraction) << ", \"mse\": " << json_number(r.stats.mse)
        << ", \"max_error\": " << json_number(r.stats.max_error) << ", \"sqnr_db\": " << json_number(r.stats.sqnr_db)
        << ", \"parameters\": " << r.parameters << ", \"bytes\": " << r.packed_bytes << "}";
  }
  out << "\n  ],\n  \"float_layers\": [";
  bool first = true;
  for (const LayerChoice& c : report.layers) {
    if (c.ternary) continue;
    out << (first ? "" : ",") << "\n    {\"name\": " << json_string(c.name) << ", \"op\": " << json_string(c.op)
        << ", \"shape\": " << shape_json(c.shape) << ", \"reason\": " << json_string(c.reason) << "}";
    first = false;
  }
  const double ratio = report.model_bytes_ternary ? double(report.model_bytes_float) / double(report.model_bytes_ternary) : 0;
  out << "\n  ],\n  \"totals\": {\"layers\": " << report.layers.size() << ", \"ternary_layers\": " << report.ternary.size()
      << ", \"parameters\": " << report.parameters << ", \"ternary_parameters\": " << report.ternary_parameters
      << ", \"model_bytes_float\": " << report.model_bytes_float
      << ", \"model_bytes_ternary\": " << report.model_bytes_ternary << ", \"compression_ratio\": " << json_number(ratio)
      << ", \"file_bytes\": " << report.file_bytes << "},\n  \"ptq\": " << ptq::report_json(report.ptq)
      << ",\n  \"static_int8\": " << calibrate::static_ranges_json(report.static_int8) << "\n}\n";
  return out.str();
}

std::string report_table(const ConversionReport& report) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %-15s %-20s %-7s %6s %8s\n", "layer", "op", "shape", "method", "zeros",
                "SQNR dB");
  out << line;
  size_t next = 0;
  for (const LayerChoice& c : report.layers) {
    std::string shape = shape_string(c.shape);
    if (c.ternary && next < report.ternary.size()) {
      const LayerResult& r = report.ternary[next++];
      std::snprintf(line, sizeof line, "%-28s %-15s %-20s %-7s %5.1f%% %8.2f\n", c.name.c_str(), c.op.c_str(), shape.c_str(),
                    r.method.c_str(), 100.0 * r.stats.zero_fraction, r.stats.sqnr_db);
    } else {
      std::snprintf(line, sizeof line, "%-28s %-15s %-20s %-7s %6s %8s  (%s)\n", c.name.c_str(), c.op.c_str(), shape.c_str(),
                    "float", "-", "-", c.reason.c_str());
    }
    out << line;
  }
  const double ratio = report.model_bytes_ternary ? double(report.model_bytes_float) / double(report.model_bytes_ternary) : 0;
  std::snprintf(line, sizeof line,
                "parameters: %zu (%zu ternary in %zu of %zu layers); weights: %zu bytes float -> %zu bytes (%.2fx)\n",
                report.parameters, report.ternary_parameters, report.ternary.size(), report.layers.size(),
                report.model_bytes_float, report.model_bytes_ternary, ratio);
  out << line;
  out << ptq::report_table(report.ptq);
  out << calibrate::static_ranges_table(report.static_int8);
  return out.str();
}

}  // namespace ternrt::convert
