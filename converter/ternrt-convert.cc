// ternrt-convert: ONNX model -> .tern model (float or ternary weights). docs/converter.md.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "converter.h"
#include "ptq/ptq_flags.h"
#include "writer/tern_writer.h"

namespace {

const char kUsage[] =
    "usage: ternrt-convert in.onnx -o out.tern [options]\n"
    "  --batch N                 value for a dynamic batch dimension (default 1)\n"
    "  --method M                tquant | mquant | twn | rtn | l2opt | none (default mquant; none = float model)\n"
    "  --per-tensor              one scale per tensor instead of per output channel\n"
    "  --keep-float SPEC         layers kept float: first,last (default) | none | comma list of\n"
    "                            first, last and layer names; depthwise convs stay float unless 'none'\n"
    "  --mquant-level L          centroid (default) | 2t\n"
    "  --mquant-quantiles Q      empirical (default) | gaussian\n"
    "  --pack P                  2 (2-bit canonical, default) | 1.6 (5 trits per byte)\n"
    "  --report FILE             per-layer quantization report as JSON\n"
    "  --metadata KEY=VALUE      store KEY=VALUE in the model's metadata (repeatable)\n"
    "  --input-mean M[,M...]     input normalization mean per channel (metadata input.mean, used by ternrt-eval)\n"
    "  --input-std S[,S...]      input normalization std per channel (metadata input.std)\n"
    "  --static-int8             store a static int8 scale/zero point on every activation tensor\n"
    "                            (format 1.1): measured on the final model over the calibration data\n"
    "                            with --act-range, or without data from BatchNorm statistics (coarse)\n"
    "  --quiet                   no summary table on stdout, no progress on stderr\n"
    "  --version, --help\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ternrt-convert: %s\n%s%s", message.c_str(), kUsage, ternrt::ptq::kPtqUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ternrt::convert;
  std::string input, output, report_path, method = "mquant", keep = "first,last";
  ConvertOptions options;
  bool quiet = false;
  std::string range_flag;  // --act-range / --act-percentile as given, for check_static_int8
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)flag;
      return argv[++i];
    };
    auto needs = [&](const char* v) { return v ? 0 : usage_error(arg + " needs a value"); };
    std::string ptq_error;
    if ((arg == "--act-range" || arg == "--act-percentile") && range_flag.empty()) range_flag = arg;
    if (ternrt::ptq::parse_ptq_flag(argc, argv, &i, &options.ptq, &ptq_error)) {
      if (!ptq_error.empty()) return usage_error(ptq_error);
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::fputs(ternrt::ptq::kPtqUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("%s\n", producer_string().c_str());
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      const char* v = value("-o");
      if (!v) return needs(v);
      output = v;
    } else if (arg == "--batch") {
      const char* v = value("--batch");
      if (!v) return needs(v);
      char* end = nullptr;
      long long b = std::strtoll(v, &end, 10);
      if (*end || b < 1 || b > (1 << 20)) return usage_error(std::string("--batch: expected a positive integer, got '") + v + "'");
      options.import.batch = b;
    } else if (arg == "--method") {
      const char* v = value("--method");
      if (!v) return needs(v);
      method = v;
    } else if (arg == "--per-tensor") {
      options.ternary.quant.per_channel = false;
    } else if (arg == "--keep-float") {
      const char* v = value("--keep-float");
      if (!v) return needs(v);
      keep = v;
    } else if (arg == "--mquant-level") {
      const char* v = value("--mquant-level");
      if (!v) return needs(v);
      if (!std::strcmp(v, "centroid")) options.ternary.quant.mquant_level = ternrt::quantize::MQuantLevel::centroid;
      else if (!std::strcmp(v, "2t")) options.ternary.quant.mquant_level = ternrt::quantize::MQuantLevel::two_t;
      else return usage_error(std::string("--mquant-level: expected centroid or 2t, got '") + v + "'");
    } else if (arg == "--mquant-quantiles") {
      const char* v = value("--mquant-quantiles");
      if (!v) return needs(v);
      if (!std::strcmp(v, "empirical")) options.ternary.quant.mquant_quantiles = ternrt::quantize::QuantileSource::empirical;
      else if (!std::strcmp(v, "gaussian")) options.ternary.quant.mquant_quantiles = ternrt::quantize::QuantileSource::gaussian;
      else return usage_error(std::string("--mquant-quantiles: expected empirical or gaussian, got '") + v + "'");
    } else if (arg == "--pack") {
      const char* v = value("--pack");
      if (!v) return needs(v);
      if (!std::strcmp(v, "2")) options.ternary.packing = 0;
      else if (!std::strcmp(v, "1.6")) options.ternary.packing = 1;
      else return usage_error(std::string("--pack: expected 2 or 1.6, got '") + v + "'");
    } else if (arg == "--report") {
      const char* v = value("--report");
      if (!v) return needs(v);
      report_path = v;
    } else if (arg == "--metadata" || arg == "--input-mean" || arg == "--input-std") {
      const char* v = value(arg.c_str());
      if (!v) return needs(v);
      try {
        if (arg == "--metadata") add_metadata_flag(v, &options.metadata);
        else options.metadata[arg == "--input-mean" ? "input.mean" : "input.std"] = channel_values_flag(arg, v, arg == "--input-std");
      } catch (const ConvertError& e) {
        return usage_error(e.what());
      }
    } else if (arg == "--static-int8") {
      options.static_int8 = true;
    } else if (arg == "--quiet" || arg == "-q") {
      quiet = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'");
    } else if (input.empty()) {
      input = arg;
    } else {
      return usage_error("more than one input file ('" + input + "', '" + arg + "')");
    }
  }
  if (input.empty()) return usage_error("no input model");
  if (output.empty()) return usage_error("no output file (-o out.tern)");
  if (const std::string e = ternrt::ptq::check_ptq_options(options.ptq); !e.empty()) return usage_error(e);
  if (method == "none") {
    options.ternary.enabled = false;
  } else if (!ternrt::quantize::parse_method(method, &options.ternary.quant.method)) {
    return usage_error("--method: expected tquant, mquant, twn, rtn, l2opt or none, got '" + method + "'");
  }
  if (const std::string e = check_static_int8(options, range_flag); !e.empty()) return usage_error(e);

  try {
    options.ternary.keep = parse_keep_float(keep);
    options.ptq.progress = !quiet;
    auto progress = [&](const std::string& line) {
      if (!quiet) std::fprintf(stderr, "ternrt-convert: ternarizing %s\n", line.c_str());
    };
    ConversionReport report = convert_file(input, output, options, progress);
    if (!report_path.empty()) {
      // The model is already written; a report failure is still an error (exit 1).
      std::vector<uint8_t> json;
      const std::string text = report_json(report);
      write_file_atomically(report_path, std::vector<uint8_t>(text.begin(), text.end()));
    }
    if (!quiet) std::fputs(report_table(report).c_str(), stdout);
    const auto& st = report.static_int8;
    if (st.enabled && !st.calibrated) {
      // A warning, not progress: printed even with --quiet.
      std::fprintf(stderr,
                   "ternrt-convert: --static-int8 without calibration data: %zu of %zu activation tensors got data-free "
                   "ranges (%s); the others stay float in the static path\n"
                   "ternrt-convert: warning: data-free ranges are coarse%s; give --calibrate or --calibrate-idx for "
                   "measured ones\n",
                   st.with_params, st.activation_tensors, st.description.c_str(),
                   st.with_params ? "" : " (and this model has no BatchNorm to estimate from)");
    }
    if (!quiet) std::printf("wrote %s (%zu bytes)\n", output.c_str(), report.file_bytes);
  } catch (const ConvertError& e) {
    std::fprintf(stderr, "ternrt-convert: %s: %s\n", input.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ternrt-convert: %s: internal error: %s\n", input.c_str(), e.what());
    return 1;
  }
  return 0;
}
