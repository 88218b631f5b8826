// Post-training quantization with calibration data (ternrt-convert --calibrate, docs/ptq.md):
// runs the float model and the partially ternarized model through ternrt's runtime on the
// calibration samples, layer by layer in topological order, collects the statistics of
// ptq/layer_ptq.h and the activation ranges of calibrate/activation_ranges.h, and rewrites each
// ternary layer's trits, scales, thresholds and bias. Without data it only records data-free
// BatchNorm range estimates.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "calibrate/activation_ranges.h"
#include "calibrate/calibration_data.h"
#include "ir/graph.h"
#include "ptq/layer_ptq.h"
#include "ternary/ternarize_layers.h"

namespace ternrt::ptq {

struct PtqOptions {
  std::string data;                  // --calibrate PATH (.npy, folder of .npy, folder of images)
  std::string idx;                   // --calibrate-idx FILE (IDX images, gzip or raw)
  size_t samples = 512;              // --calib-samples
  calibrate::Preprocess preprocess;  // --preprocess
  calibrate::RangeMethod act_range = calibrate::RangeMethod::minmax;  // --act-range
  double percentile = 99.99;         // --act-percentile
  StepOptions steps;                 // --no-scale-refit, --no-bias-correction
  // --threshold-search (1) / --no-threshold-search (0) / default -1: on for layers whose search
  // statistics cost at most `threshold_search_budget` multiply-adds (rows * K^2 / 2).
  int threshold_search = -1;
  double threshold_search_budget = 1e10;
  // --trit-search (1) / --no-trit-search (0) / default -1: same rule as the threshold search.
  int trit_search = -1;
  // --no-float-refit: float Conv/FC layers after ternary ones get only the mean (bias) correction;
  // by default their weights and bias are refit by ridge least squares (refit_float_channel),
  // the ridge chosen per layer by two-fold cross-validation unless --float-refit-ridge sets it.
  bool float_refit = true;
  double float_refit_ridge = -1;
  double bn_k = 3.0;                 // data-free ranges: beta +- k * |gamma|
  size_t max_rows = 65536;           // calibration rows (output pixels) per layer, spread over samples
  bool progress = true;

  bool calibrating() const { return !data.empty() || !idx.empty(); }
};

struct LayerPtqReport {
  std::string name, input;   // layer and its input tensor
  StepSqnr sqnr;             // output SQNR (dB) after each step
  double rows = 0;           // calibration rows the statistics cover
  calibrate::Range minmax, percentile, mse, selected;  // input ranges from data
  calibrate::Range bn_estimate;                       // data-free (BatchNorm) estimate
  std::string note;          // why a layer was skipped, if it was
};

// A float Conv/FC after ternary layers: its bias absorbs the mean shift of its quantized input.
struct FloatLayerReport {
  std::string name;
  double bias_shift_rms = 0;  // RMS over channels of the bias change
  size_t refit_channels = 0;  // channels whose weights were refit by least squares
  double ridge = INFINITY;    // the refit's ridge (cross-validated); inf: bias correction only
};

struct PtqReport {
  bool calibrated = false;
  std::string source;
  size_t samples = 0;
  PtqOptions options;
  std::vector<LayerPtqReport> layers;        // one per ternary layer, in the order of `results`
  std::vector<FloatLayerReport> float_layers;
  double seconds = 0;
};

// What must be read before the float passes fold BatchNorm away.
struct PtqContext {
  std::map<std::string, calibrate::Range> bn_ranges;
  std::vector<int64_t> source_input_shape;        // the model input in the source layout (NCHW)
};

PtqContext prepare_ptq(const convert::Graph& imported, const PtqOptions& options);

// After ternarize_layers: `graph` has the data-free ternary layers `results`, `float_graph` is the
// same graph before ternarization. `metadata` may hold input.mean / input.std (defaults for IDX).
// Updates the ternary tensors and biases of `graph` and the entries of `results`; fills `report`
// (may be null). Throws convert::ConvertError.
void run_ptq(convert::Graph& graph, const convert::Graph& float_graph, std::vector<convert::LayerResult>& results,
             const PtqOptions& options, const std::map<std::string, std::string>& metadata, const PtqContext& context,
             PtqReport* report);

// The "ptq" object of the JSON report, and lines for the human summary (empty without layers).
std::string report_json(const PtqReport& report);
std::string report_table(const PtqReport& report);

}  // namespace ternrt::ptq
