#include "ptq/ptq.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "calibrate/model_runner.h"
#include "json_text.h"
#include "calibrate/progress.h"
#include "quantizer.h"
#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::ptq {
namespace {

using convert::ConvertError;
using convert::Graph;
using convert::Node;
using convert::OpKind;

// Where one ternary layer reads its input and how rows (one per output pixel) are formed.
struct LayerGeometry {
  bool conv = false;
  size_t in_h = 1, in_w = 1, in_c = 0, out_h = 1, out_w = 1;
  size_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1, pad_top = 0, pad_left = 0;
  size_t k = 0;
  size_t positions() const { return out_h * out_w; }
};

LayerGeometry geometry_of(const Graph& graph, const Node& node, size_t k, const std::string& layer) {
  LayerGeometry g;
  g.k = k;
  if (node.kind == OpKind::fully_connected) return g;
  const convert::Shape& in = graph.tensors[node.inputs[0]].shape;
  const convert::Shape& out = graph.tensors[node.outputs[0]].shape;
  if (in.size() != 4 || out.size() != 4 || in[0] != 1)
    throw ConvertError("calibration: layer '" + layer + "': expected NHWC input and output of batch 1, got " +
                       convert::shape_string(in) + " -> " + convert::shape_string(out));
  g.conv = true;
  g.in_h = static_cast<size_t>(in[1]);
  g.in_w = static_cast<size_t>(in[2]);
  g.in_c = static_cast<size_t>(in[3]);
  g.out_h = static_cast<size_t>(out[1]);
  g.out_w = static_cast<size_t>(out[2]);
  g.kernel_h = static_cast<size_t>(node.kernel_h);
  g.kernel_w = static_cast<size_t>(node.kernel_w);
  g.stride_h = static_cast<size_t>(node.stride_h);
  g.stride_w = static_cast<size_t>(node.stride_w);
  g.dilation_h = static_cast<size_t>(node.dilation_h);
  g.dilation_w = static_cast<size_t>(node.dilation_w);
  g.pad_top = static_cast<size_t>(node.pad_top);
  g.pad_left = static_cast<size_t>(node.pad_left);
  if (g.kernel_h * g.kernel_w * g.in_c != k)
    throw ConvertError("calibration: layer '" + layer + "': weights have " + std::to_string(k) + " inputs per channel, the input " +
                       convert::shape_string(in) + " with a " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) +
                       " kernel gives " + std::to_string(g.kernel_h * g.kernel_w * g.in_c));
  return g;
}

// One im2col row for output pixel `pos`, in the (KH, KW, IC) order of the weights; padding is 0
// (the runtime pads with the zero point, which is 0 after dequantization).
void gather_row(const LayerGeometry& g, const float* image, size_t pos, float* row) {
  const size_t oy = pos / g.out_w, ox = pos % g.out_w;
  for (size_t ky = 0; ky < g.kernel_h; ++ky) {
    const ptrdiff_t iy = static_cast<ptrdiff_t>(oy * g.stride_h + ky * g.dilation_h) - static_cast<ptrdiff_t>(g.pad_top);
    for (size_t kx = 0; kx < g.kernel_w; ++kx) {
      const ptrdiff_t ix = static_cast<ptrdiff_t>(ox * g.stride_w + kx * g.dilation_w) - static_cast<ptrdiff_t>(g.pad_left);
      if (iy < 0 || ix < 0 || iy >= static_cast<ptrdiff_t>(g.in_h) || ix >= static_cast<ptrdiff_t>(g.in_w)) {
        std::fill(row, row + g.in_c, 0.0f);
      } else {
        const float* src = image + (static_cast<size_t>(iy) * g.in_w + static_cast<size_t>(ix)) * g.in_c;
        std::copy(src, src + g.in_c, row);
      }
      row += g.in_c;
    }
  }
}

// The input as the ternary kernel sees it: dynamic per-tensor int8, dequantized.
void dequantized_input(const float* x, size_t count, std::vector<int8_t>* q, std::vector<float>* out) {
  q->resize(count);
  out->resize(count);
  float scale = 1;
  int32_t zero_point = 0;
  kernels::quantize_f32_s8_dynamic(x, count, q->data(), &scale, &zero_point);
  for (size_t i = 0; i < count; ++i) (*out)[i] = scale * static_cast<float>(static_cast<int32_t>((*q)[i]) - zero_point);
}

std::vector<float> metadata_floats(const std::map<std::string, std::string>& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end()) return {};
  return calibrate::parse_float_list(it->second, key);
}

std::string layer_label(size_t i, size_t total, const std::string& name) {
  return "calibrating " + std::to_string(i + 1) + "/" + std::to_string(total) + " " + name;
}

// Makes tensor `index` private to `node_input` of `node` (a shared bias or weight is copied).
int private_tensor(Graph& graph, int node_index, size_t input) {
  const int t = graph.nodes[node_index].inputs[input];
  if (graph.consumers(t).size() <= 1) return t;
  convert::Tensor copy = graph.tensors[t];
  copy.name += "." + (graph.nodes[node_index].name.empty() ? std::to_string(node_index) : graph.nodes[node_index].name);
  const int c = graph.add_tensor(std::move(copy));
  graph.nodes[node_index].inputs[input] = c;
  return c;
}

}  // namespace

PtqContext prepare_ptq(const Graph& imported, const PtqOptions& options) {
  PtqContext context;
  context.bn_ranges = calibrate::batchnorm_range_estimates(imported, options.bn_k);
  if (imported.inputs.size() == 1) context.source_input_shape = imported.tensors[imported.inputs[0]].shape;
  return context;
}

void run_ptq(Graph& graph, const Graph& float_graph, std::vector<convert::LayerResult>& results, const PtqOptions& options,
             const std::map<std::string, std::string>& metadata, const PtqContext& context, PtqReport* report) {
  const auto started = std::chrono::steady_clock::now();
  PtqReport local;
  PtqReport& rep = report ? *report : local;
  rep.options = options;
  rep.layers.clear();
  for (const convert::LayerResult& r : results) {
    LayerPtqReport lr;
    lr.name = r.layer.name;
    lr.input = graph.tensors[graph.nodes[r.layer.node].inputs[0]].name;
    const auto it = context.bn_ranges.find(lr.input);
    if (it != context.bn_ranges.end()) lr.bn_estimate = it->second;
    rep.layers.push_back(lr);
  }
  if (!options.calibrating() || results.empty()) return;

  // Calibration samples in the source layout.
  calibrate::CalibrationSet set;
  try {
    const std::string path = options.idx.empty() ? options.data : options.idx;
    const calibrate::SourceKind kind = options.idx.empty() ? calibrate::detect_source(path) : calibrate::SourceKind::idx_file;
    set = calibrate::load_calibration_set(path, kind, context.source_input_shape, options.samples, options.preprocess,
                                          metadata_floats(metadata, "input.mean"), metadata_floats(metadata, "input.std"));
  } catch (const ConvertError&) {
    throw;
  } catch (const std::exception& e) {
    throw ConvertError(std::string("calibration data: ") + e.what());
  }
  rep.calibrated = true;
  rep.source = set.source;
  rep.samples = set.samples.size();

  calibrate::ModelRunner float_model(float_graph, "float model");
  calibrate::ProgressBar bar(options.progress);
  const size_t samples = set.samples.size();
  std::vector<int8_t> q_scratch;
  std::vector<float> xq_full;
  // Float Conv/FC layers downstream of ternary ones (kept first/last, depthwise) see a shifted
  // input; with bias correction on, their bias absorbs E[W (x - x_quantized)] too.
  int done_node = results.front().layer.node;
  auto correct_float_layers = [&](int before_node) {
    for (int ni = done_node + 1; ni < before_node; ++ni) {
      const Node& node = graph.nodes[ni];
      if (node.removed || (node.kind != OpKind::conv && node.kind != OpKind::fully_connected)) continue;
      if (graph.tensors[node.inputs[1]].ternary || !options.steps.bias_correction) continue;
      const Node& fnode = float_graph.nodes[ni];
      const convert::Tensor& fw = float_graph.tensors[fnode.inputs[1]];
      const size_t n = static_cast<size_t>(fw.shape[0]);
      const size_t kw = fw.data.size() / n;  // weights per output channel
      const std::string name = node.name.empty() ? fw.name : node.name;
      const std::string input = graph.tensors[node.inputs[0]].name;
      LayerGeometry g;
      size_t k_full = kw;
      if (node.kind == OpKind::conv) {
        const convert::Shape& in = graph.tensors[node.inputs[0]].shape;
        k_full = static_cast<size_t>(node.kernel_h * node.kernel_w) * static_cast<size_t>(in.size() == 4 ? in[3] : 0);
        g = geometry_of(graph, node, k_full, name);
      }
      calibrate::ModelRunner quantized_model(graph, "model before float layer '" + name + "'");
      const size_t groups = static_cast<size_t>(std::max(1, node.groups));
      const size_t in_c = g.conv ? g.in_c : k_full;
      const size_t icg = in_c / groups, per_group = n / groups;
      const size_t taps = k_full / in_c;  // KH*KW (1 for FC)
      std::vector<float> bias(n, 0.0f);
      if (fnode.inputs.size() > 2 && fnode.inputs[2] >= 0) bias = float_graph.tensors[fnode.inputs[2]].data;
      const std::vector<float> float_bias = bias;
      std::vector<float> weights = fw.data;
      const bool refit = options.float_refit;
      // Refit: per group, statistics of the group's inputs (taps x icg) with the float weights;
      // the rows are the ternary layers' spread of output pixels. Else: the mean input shift.
      // Two folds (even / odd samples) choose the ridge by cross-validation.
      std::vector<LayerStats> fold_stats[2];
      if (refit)
        for (auto& f : fold_stats)
          for (size_t gi = 0; gi < groups; ++gi) f.emplace_back(per_group, kw, true);
      const std::vector<int8_t> no_trits(per_group * kw, 0);
      const size_t positions = g.conv ? g.positions() : 1;
      const size_t quota = std::max<size_t>(1, options.max_rows / samples);
      const size_t stride = positions > quota ? positions / quota : 1;
      std::vector<double> diff(k_full, 0.0);
      double rows = 0;
      std::vector<float> xr(k_full), qr(k_full), xs, qs, xg, qg;
      bar.start((refit ? "refitting float layer " : "correcting float layer ") + name, samples);
      for (size_t si = 0; si < samples; ++si) {
        float_model.run(set.samples[si]);
        quantized_model.run(set.samples[si]);
        size_t xc = 0, qc = 0;
        const float* x = float_model.tensor(input, &xc);
        const float* xq = quantized_model.tensor(input, &qc);
        if (xc != qc || (g.conv ? xc != g.in_h * g.in_w * g.in_c : xc % k_full != 0))
          throw ConvertError("calibration: float layer '" + name + "': input '" + input + "' has " + std::to_string(xc) +
                             " values in the float model and " + std::to_string(qc) + " in the quantized one");
        if (refit) {
          // Full im2col rows of the chosen pixels, then each group's slice of them.
          size_t r = 0;
          xs.clear();
          qs.clear();
          if (g.conv) {
            for (size_t pos = si % stride; pos < positions && r < quota; pos += stride, ++r) {
              gather_row(g, x, pos, xr.data());
              gather_row(g, xq, pos, qr.data());
              xs.insert(xs.end(), xr.begin(), xr.end());
              qs.insert(qs.end(), qr.begin(), qr.end());
            }
          } else {
            r = xc / k_full;
            xs.assign(x, x + xc);
            qs.assign(xq, xq + xc);
          }
          xg.resize(r * kw);
          qg.resize(r * kw);
          for (size_t gi = 0; gi < groups; ++gi) {
            for (size_t row = 0; row < r; ++row)
              for (size_t tap = 0; tap < taps; ++tap) {
                const size_t src = row * k_full + tap * in_c + gi * icg, dst = row * kw + tap * icg;
                std::copy(&xs[src], &xs[src] + icg, &xg[dst]);
                std::copy(&qs[src], &qs[src] + icg, &qg[dst]);
              }
            fold_stats[si % 2][gi].add_rows(xg.data(), qg.data(), r, &fw.data[gi * per_group * kw], no_trits.data());
          }
        } else if (g.conv) {
          for (size_t pos = 0; pos < g.positions(); ++pos) {
            gather_row(g, x, pos, xr.data());
            gather_row(g, xq, pos, qr.data());
            for (size_t i = 0; i < k_full; ++i) diff[i] += double(xr[i]) - qr[i];
          }
          rows += double(g.positions());
        } else {
          for (size_t i = 0; i < xc; ++i) diff[i % k_full] += double(x[i]) - xq[i];
          rows += double(xc / k_full);
        }
        bar.update(si + 1);
      }
      double rms = 0, ridge = INFINITY;
      size_t refit_channels = 0;
      std::vector<LayerStats>& group_stats = fold_stats[0];
      if (refit) {
        ridge = options.float_refit_ridge >= 0
                    ? options.float_refit_ridge
                    : choose_float_ridge(fold_stats[0], fold_stats[1], per_group, fw.data.data(), float_bias);
        for (size_t gi = 0; gi < groups; ++gi) group_stats[gi].merge(fold_stats[1][gi]);
      }
      std::unique_ptr<FloatRefit> system;   // of group `system_group`: one factorization per group
      size_t system_group = groups;
      for (size_t ch = 0; ch < n; ++ch) {
        const size_t gi = ch / per_group;
        if (refit) {
          float c = bias[ch];
          if (std::isfinite(ridge) && system_group != gi) {
            system = std::make_unique<FloatRefit>(group_stats[gi], ridge);
            system_group = gi;
          }
          if (std::isfinite(ridge) && system->solve(ch % per_group, &fw.data[ch * kw], float_bias[ch], &weights[ch * kw], &c)) {
            bias[ch] = c;
            ++refit_channels;
          } else {
            // The mean shift alone, from the same statistics.
            const LayerStats& st = group_stats[gi];
            double shift = 0;
            for (size_t j = 0; j < kw; ++j) shift += double(fw.data[ch * kw + j]) * st.m()[j];
            bias[ch] = static_cast<float>(float_bias[ch] + (st.sy(ch % per_group) - shift) / st.rows());
          }
        } else {
          // Channel ch of group gi reads input channels [gi*icg, (gi+1)*icg) of each patch position.
          double shift = 0;
          for (size_t j = 0; j < kw; ++j) {
            const size_t tap = j / icg, c = j % icg;  // weights (KH, KW, IC/g) per output channel
            shift += double(fw.data[ch * kw + j]) * diff[tap * in_c + gi * icg + c] / rows;
          }
          bias[ch] = static_cast<float>(bias[ch] + shift);
        }
        const double shift = double(bias[ch]) - float_bias[ch];
        rms += shift * shift;
      }
      if (refit_channels) graph.tensors[private_tensor(graph, ni, 1)].data = weights;
      Node& mut = graph.nodes[ni];
      if (mut.inputs.size() < 3 || mut.inputs[2] < 0) {
        if (mut.inputs.size() < 3) mut.inputs.resize(3, -1);
        mut.inputs[2] = graph.add_constant(name + ".bias", {static_cast<int64_t>(n)}, bias);
      } else {
        graph.tensors[private_tensor(graph, ni, 2)].data = bias;
      }
      rep.float_layers.push_back({name, std::sqrt(rms / double(n)), refit_channels, ridge});
      char note[128];
      std::snprintf(note, sizeof note, "bias shift RMS %.3g, %zu/%zu channels refit (ridge %g)",
                    rep.float_layers.back().bias_shift_rms, refit_channels, n, ridge);
      bar.finish(note);
    }
  };
  for (size_t li = 0; li < results.size(); ++li) {
    convert::LayerResult& result = results[li];
    LayerPtqReport& lr = rep.layers[li];
    const int node_index = result.layer.node;
    correct_float_layers(node_index);
    done_node = node_index;
    const Node& fnode = float_graph.nodes[node_index];
    const convert::Tensor& fw = float_graph.tensors[fnode.inputs[1]];
    const size_t n = static_cast<size_t>(fw.shape[0]);
    const size_t k = fw.data.size() / n;
    if (graph.nodes[node_index].groups != 1) {
      lr.note = "grouped convolution: not calibrated";
      continue;
    }
    const LayerGeometry g = geometry_of(graph, graph.nodes[node_index], k, lr.name);
    std::vector<float> float_bias(n, 0.0f);
    if (fnode.inputs.size() > 2 && fnode.inputs[2] >= 0) float_bias = float_graph.tensors[fnode.inputs[2]].data;
    if (float_bias.size() != n)
      throw ConvertError("calibration: layer '" + lr.name + "': bias has " + std::to_string(float_bias.size()) +
                         " values, expected " + std::to_string(n));

    // The model as it is now: the layers before this one already calibrated.
    calibrate::ModelRunner quantized_model(graph, "model with " + std::to_string(li) + " calibrated ternary layer(s)");
    convert::TernaryData& td = *graph.tensors[graph.nodes[node_index].inputs[1]].ternary;
    const size_t positions = g.positions();
    const size_t quota = std::max<size_t>(1, options.max_rows / samples);
    const size_t stride = positions > quota ? positions / quota : 1;
    StepOptions steps = options.steps;
    const double search_cost = double(samples) * double(std::min(quota, positions)) * double(k) * double(k) / 2;
    const bool cheap = search_cost <= options.threshold_search_budget;
    steps.threshold_search = options.threshold_search == 1 || (options.threshold_search < 0 && cheap);
    steps.trit_search = options.trit_search == 1 || (options.trit_search < 0 && cheap);
    if (!cheap && (options.threshold_search < 0 || options.trit_search < 0))
      lr.note = "threshold/trit search skipped: K = " + std::to_string(k) +
                " makes it costly (--threshold-search / --trit-search force it)";
    LayerStats stats(n, k, steps.threshold_search || steps.trit_search);
    calibrate::RangeCollector ranges;
    std::vector<float> x_rows, xq_rows;
    bar.start(layer_label(li, results.size(), lr.name), samples);
    for (size_t si = 0; si < samples; ++si) {
      float_model.run(set.samples[si]);
      quantized_model.run(set.samples[si]);
      size_t x_count = 0, xq_count = 0;
      const float* x = float_model.tensor(lr.input, &x_count);
      const float* xq_raw = quantized_model.tensor(lr.input, &xq_count);
      if (x_count != xq_count || (g.conv ? x_count != g.in_h * g.in_w * g.in_c : x_count % k != 0))
        throw ConvertError("calibration: layer '" + lr.name + "': input '" + lr.input + "' has " + std::to_string(x_count) +
                           " values, expected " + std::to_string(g.conv ? g.in_h * g.in_w * g.in_c : k) + " per sample");
      ranges.add(xq_raw, xq_count);
      dequantized_input(xq_raw, xq_count, &q_scratch, &xq_full);
      if (g.conv) {
        // A spread of output pixels per sample, shifted per sample so all of them get covered.
        x_rows.clear();
        xq_rows.clear();
        size_t rows = 0;
        for (size_t pos = si % stride; pos < positions && rows < quota; pos += stride, ++rows) {
          x_rows.resize((rows + 1) * k);
          xq_rows.resize((rows + 1) * k);
          gather_row(g, x, pos, &x_rows[rows * k]);
          gather_row(g, xq_full.data(), pos, &xq_rows[rows * k]);
        }
        stats.add_rows(x_rows.data(), xq_rows.data(), rows, fw.data.data(), td.trits.data());
      } else {
        stats.add_rows(x, xq_full.data(), x_count / k, fw.data.data(), td.trits.data());
      }
      bar.update(si + 1);
    }

    TernaryLayer layer;
    layer.trits = td.trits;
    layer.scales = td.scales;
    layer.thresholds = td.thresholds;
    layer.bias = float_bias;
    lr.sqnr = optimize_layer(stats, fw.data.data(), float_bias, &layer, steps);
    lr.rows = stats.rows();
    lr.minmax = ranges.minmax();
    lr.percentile = ranges.percentile(options.percentile);
    lr.mse = ranges.mse_optimal();
    lr.selected = ranges.compute(options.act_range, options.percentile);

    // Write back: codes, scales (= levels after a refit), thresholds, and the corrected bias.
    td.trits = layer.trits;
    td.scales = layer.scales;
    td.thresholds = layer.thresholds;
    td.levels = layer.scales;
    Node& node = graph.nodes[node_index];
    if (node.inputs.size() < 3 || node.inputs[2] < 0) {
      if (node.inputs.size() < 3) node.inputs.resize(3, -1);
      node.inputs[2] = graph.add_constant(lr.name + ".bias", {static_cast<int64_t>(n)}, layer.bias);
    } else {
      graph.tensors[private_tensor(graph, node_index, 2)].data = layer.bias;
    }
    quantize::Result q;
    q.trits = layer.trits;
    q.scales = layer.scales;
    q.thresholds = layer.thresholds;
    q.levels = layer.scales;
    result.stats = quantize::error_stats(fw.data.data(), n, k, q);
    result.threshold = convert::summarize(q.thresholds);
    result.level = convert::summarize(q.levels);
    char note[96];
    std::snprintf(note, sizeof note, "SQNR %.2f -> %.2f dB", lr.sqnr.data_free,
                  std::isfinite(lr.sqnr.trits)     ? lr.sqnr.trits
                  : std::isfinite(lr.sqnr.threshold) ? lr.sqnr.threshold
                  : std::isfinite(lr.sqnr.bias)    ? lr.sqnr.bias
                  : std::isfinite(lr.sqnr.refit)   ? lr.sqnr.refit
                                                   : lr.sqnr.data_free);
    bar.finish(note);
  }
  correct_float_layers(static_cast<int>(graph.nodes.size()));
  graph.metadata["ternary.calibration"] = std::to_string(samples) + " samples";
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

namespace {

std::string num(double v) { return convert::json_number(v, "%.6g"); }

std::string range_json(const calibrate::Range& r) {
  if (!r.known()) return "null";
  return "[" + num(r.lo) + ", " + num(r.hi) + "]";
}

}  // namespace

std::string report_json(const PtqReport& report) {
  std::ostringstream out;
  const PtqOptions& o = report.options;
  out << "{\"calibrated\": " << (report.calibrated ? "true" : "false") << ", \"source\": " << convert::json_string(report.source)
      << ", \"samples\": " << report.samples << ", \"act_range\": " << convert::json_string(calibrate::range_method_name(o.act_range))
      << ", \"percentile\": " << num(o.percentile) << ", \"bn_k\": " << num(o.bn_k)
      << ", \"scale_refit\": " << (o.steps.scale_refit ? "true" : "false")
      << ", \"bias_correction\": " << (o.steps.bias_correction ? "true" : "false")
      << ", \"threshold_search\": " << (o.threshold_search == 1 ? "true" : o.threshold_search == 0 ? "false" : "\"auto\"")
      << ", \"trit_search\": " << (o.trit_search == 1 ? "true" : o.trit_search == 0 ? "false" : "\"auto\"") << ", \"seconds\": " << num(report.seconds)
      << ",\n    \"layers\": [";
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const LayerPtqReport& l = report.layers[i];
    out << (i ? "," : "") << "\n      {\"name\": " << convert::json_string(l.name) << ", \"input\": " << convert::json_string(l.input)
        << ", \"rows\": " << num(l.rows) << ", \"sqnr_db\": {\"data_free\": " << num(l.sqnr.data_free)
        << ", \"scale_refit\": " << num(l.sqnr.refit) << ", \"bias_correction\": " << num(l.sqnr.bias)
        << ", \"threshold_search\": " << num(l.sqnr.threshold) << ", \"trit_search\": " << num(l.sqnr.trits) << "},\n       \"input_range\": {\"selected\": "
        << range_json(l.selected) << ", \"minmax\": " << range_json(l.minmax) << ", \"percentile\": " << range_json(l.percentile)
        << ", \"mse\": " << range_json(l.mse) << ", \"batchnorm_estimate\": " << range_json(l.bn_estimate) << "}";
    if (!l.note.empty()) out << ", \"note\": " << convert::json_string(l.note);
    out << "}";
  }
  out << "\n    ],\n    \"float_layers\": [";
  for (size_t i = 0; i < report.float_layers.size(); ++i)
    out << (i ? ", " : "") << "{\"name\": " << convert::json_string(report.float_layers[i].name)
        << ", \"bias_shift_rms\": " << num(report.float_layers[i].bias_shift_rms)
        << ", \"refit_channels\": " << report.float_layers[i].refit_channels
        << ", \"ridge\": " << num(report.float_layers[i].ridge) << "}";
  out << "]}";
  return out.str();
}

std::string report_table(const PtqReport& report) {
  if (report.layers.empty() || !report.calibrated) return "";
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "calibration: %zu samples from %s (%.1f s); layer output SQNR dB after each step\n",
                report.samples, report.source.c_str(), report.seconds);
  out << line;
  std::snprintf(line, sizeof line, "%-28s %9s %9s %9s %9s %9s  %-22s\n", "layer", "data-free", "+refit", "+bias", "+thresh", "+trits",
                (std::string("input range (") + calibrate::range_method_name(report.options.act_range) + ")").c_str());
  out << line;
  auto cell = [](double v) {
    char b[16];
    if (std::isfinite(v)) std::snprintf(b, sizeof b, "%9.2f", v);
    else std::snprintf(b, sizeof b, "%9s", "-");
    return std::string(b);
  };
  for (const LayerPtqReport& l : report.layers) {
    char range[64] = "-";
    if (l.selected.known()) std::snprintf(range, sizeof range, "[%.3g, %.3g]", l.selected.lo, l.selected.hi);
    std::snprintf(line, sizeof line, "%-28s %s %s %s %s %s  %-22s%s%s\n", l.name.c_str(), cell(l.sqnr.data_free).c_str(),
                  cell(l.sqnr.refit).c_str(), cell(l.sqnr.bias).c_str(), cell(l.sqnr.threshold).c_str(),
                  cell(l.sqnr.trits).c_str(), range,
                  l.note.empty() ? "" : "  ", l.note.c_str());
    out << line;
  }
  return out.str();
}

}  // namespace ternrt::ptq
