// ternrt-convert --static-int8: every activation of the converted fixture resnet carries int8
// params that reproduce, with the runtime's own quantization formula, the min/max the runtime
// sees over the calibration data (recomputed here by running the written file); reshape and max
// pool outputs share their input's params; the data-free path follows the BatchNorm estimates; bad flag
// combinations are rejected with messages naming the flags.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "calibrate/activation_ranges.h"
#include "calibrate/static_ranges.h"
#include "converter.h"
#include "nchw.h"
#include "npy.h"
#include "ternrt/kernels/t2i8-gemm.h"
#include "ternrt/ternrt.h"
#include "ternrt_generated.h"

using namespace ternrt::convert;
namespace fb = ternrt::fb;

namespace {

std::string fixture(const std::string& name) { return std::string(TERNRT_BINARY_DIR) + "/fixtures/" + name; }
std::string out_path(const std::string& name) { return std::string(TERNRT_BINARY_DIR) + "/static_ranges_" + name; }

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// The runtime's params for values in [lo, hi]: its dynamic quantizer on those two values.
Int8Params runtime_params(float lo, float hi) {
  const float x[2] = {lo, hi};
  int8_t q[2];
  Int8Params p;
  ternrt::kernels::quantize_f32_s8_dynamic(x, 2, q, &p.scale, &p.zero_point);
  return p;
}

struct FileTensor {
  bool activation = false;
  bool has_quant = false;
  Int8Params params;
};

// name -> the tensor as written (activation = F32 without data), checking the 1.1 contract.
std::map<std::string, FileTensor> file_tensors(const std::vector<uint8_t>& bytes, const fb::Model** model_out) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  const fb::Model* model = fb::GetModel(bytes.data());
  CHECK(model->version()->major() == 1);
  CHECK(model->version()->minor() == 1);
  std::map<std::string, FileTensor> out;
  for (const fb::Tensor* t : *model->graph()->tensors()) {
    FileTensor ft;
    ft.activation = t->type() == fb::TensorType::F32 && t->buffer() == 0;
    if (const fb::Quantization* q = t->quantization()) {
      CAPTURE(t->name()->str());
      CHECK(ft.activation);
      REQUIRE(q->scale());
      REQUIRE(q->zero_point());
      REQUIRE(q->scale()->size() == 1);
      REQUIRE(q->zero_point()->size() == 1);
      CHECK(q->axis() == -1);
      ft.has_quant = true;
      ft.params.scale = q->scale()->Get(0);
      ft.params.zero_point = static_cast<int32_t>(q->zero_point()->Get(0));
      CHECK(std::isfinite(ft.params.scale));
      CHECK(ft.params.scale >= std::numeric_limits<float>::min());
      CHECK(ft.params.zero_point >= -128);
      CHECK(ft.params.zero_point <= 127);
    }
    out[t->name()->str()] = ft;
  }
  *model_out = model;
  return out;
}

std::string metadata(const fb::Model* model, const std::string& key) {
  if (!model->metadata()) return "";
  for (const fb::MetadataEntry* e : *model->metadata())
    if (e->key()->str() == key) return e->value() ? e->value()->str() : "";
  return "";
}

// Runs the written model (dynamic activations, every tensor preserved) over NCHW samples and
// returns the min/max per tensor name over all of them.
std::map<std::string, std::pair<float, float>> measured_ranges(const std::string& path, const std::vector<float>& samples,
                                                               int c, int h, int w) {
  ternrt_model* model = nullptr;
  REQUIRE_MESSAGE(ternrt_model_load_file(path.c_str(), &model) == TERNRT_OK, ternrt_last_error());
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  options.flags |= TERNRT_FLAG_PRESERVE_ALL_TENSORS | TERNRT_FLAG_DYNAMIC_ACTIVATIONS;
  ternrt_interpreter* interp = nullptr;
  REQUIRE_MESSAGE(ternrt_interpreter_create(model, &options, &interp) == TERNRT_OK, ternrt_last_error());
  std::map<std::string, std::pair<float, float>> ranges;
  const size_t per = static_cast<size_t>(c * h * w);
  std::vector<float> nhwc(per);
  for (size_t s = 0; s < samples.size() / per; ++s) {
    ternrt::test::nchw_to_nhwc(&samples[s * per], c, h, w, nhwc.data());
    REQUIRE(ternrt_interpreter_set_input(interp, 0, nhwc.data(), per * sizeof(float)) == TERNRT_OK);
    REQUIRE(ternrt_interpreter_invoke(interp) == TERNRT_OK);
    for (size_t i = 0; i < ternrt_interpreter_tensor_count(interp); ++i) {
      ternrt_tensor_info info{};
      const void* data = nullptr;
      if (ternrt_interpreter_tensor(interp, i, &info, &data) != TERNRT_OK || info.type != TERNRT_F32) continue;
      const float* v = static_cast<const float*>(data);
      auto it = ranges.emplace(info.name, std::make_pair(INFINITY, -INFINITY)).first;
      for (size_t j = 0; j < info.bytes / sizeof(float); ++j) {
        it->second.first = std::min(it->second.first, v[j]);
        it->second.second = std::max(it->second.second, v[j]);
      }
    }
  }
  ternrt_interpreter_delete(interp);
  ternrt_model_delete(model);
  return ranges;
}

ConvertOptions static_options() {
  ConvertOptions o;
  REQUIRE(ternrt::quantize::parse_method("mquant", &o.ternary.quant.method));
  o.ternary.keep = parse_keep_float("first,last");
  o.ptq.progress = false;
  o.static_int8 = true;
  return o;
}

// Operators whose output shares its input's params: RESHAPE, and MAX_POOL_2D without fused
// activation (its values are some of its input's). Output name -> input name.
std::map<std::string, std::string> shared_param_sources(const fb::Model* model) {
  std::map<std::string, std::string> sources;
  const auto name = [&](int32_t index) {
    return model->graph()->tensors()->Get(static_cast<flatbuffers::uoffset_t>(index))->name()->str();
  };
  for (const fb::Operator* op : *model->graph()->operators()) {
    bool shares = op->opcode() == fb::OpCode::RESHAPE;
    if (op->opcode() == fb::OpCode::MAX_POOL_2D) {
      const fb::Pool2DOptions* o = op->options_as_Pool2DOptions();
      shares = o == nullptr || o->activation() == nullptr || o->activation()->type() == fb::Activation::NONE;
    }
    if (shares) sources[name(op->outputs()->Get(0))] = name(op->inputs()->Get(0));
  }
  return sources;
}

// Those outputs of the written model must carry exactly their input's params; returns how many.
size_t check_shared_params(const fb::Model* model, const std::map<std::string, FileTensor>& tensors) {
  const auto sources = shared_param_sources(model);
  for (const auto& entry : sources) {
    const auto& out = entry.first;   // not a structured binding: CAPTURE takes it into a lambda
    const auto& in = entry.second;
    CAPTURE(out);
    const FileTensor& a = tensors.at(in);
    const FileTensor& b = tensors.at(out);
    CHECK(a.has_quant == b.has_quant);
    CHECK(a.params.scale == b.params.scale);
    CHECK(a.params.zero_point == b.params.zero_point);
  }
  return sources.size();
}

}  // namespace

TEST_CASE("int8 params from a range follow the runtime's dynamic quantizer bit for bit") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-20.0f, 20.0f);
  std::vector<std::pair<float, float>> ranges = {{0, 0}, {0, 1}, {-1, 0}, {-1, 1}, {-0.5f, 2.0f}, {3, 5}, {-5, -3},
                                                 {-127.5f / 255, 127.5f / 255}, {-1e-3f, 1e3f}, {-1e3f, 1e-3f}};
  for (int i = 0; i < 2000; ++i) {
    const float a = u(rng), b = u(rng);
    ranges.push_back({std::min(a, b), std::max(a, b)});
  }
  // Halfway zero points: lo / scale = -k - 0.5 exactly, where round-half-even matters.
  for (int k = 0; k < 255; ++k) ranges.push_back({-(float(k) + 0.5f), 255.0f - (float(k) + 0.5f)});
  for (const auto& entry : ranges) {
    const auto& lo = entry.first;   // not a structured binding: CAPTURE takes it into a lambda
    const auto& hi = entry.second;
    CAPTURE(lo);
    CAPTURE(hi);
    const Int8Params mine = ternrt::calibrate::int8_params_from_range(lo, hi);
    const Int8Params runtime = runtime_params(lo, hi);
    CHECK(mine.scale == runtime.scale);
    CHECK(mine.zero_point == runtime.zero_point);
    CHECK(mine.zero_point >= -128);
    CHECK(mine.zero_point <= 127);
  }
  // A range too small for a normal scale (the format rejects those) falls back to scale 1.
  const Int8Params tiny = ternrt::calibrate::int8_params_from_range(0, 1e-38f);
  CHECK(tiny.scale == 1.0f);
  CHECK(tiny.zero_point == 0);
}

TEST_CASE("--static-int8 with calibration data: params on every activation reproduce the runtime's min/max") {
  const uint32_t seed = std::random_device{}();
  std::printf("static ranges seed %u\n", seed);
  const std::string onnx = fixture("resnet.onnx");
  REQUIRE_MESSAGE(std::ifstream(onnx).good(), "run the make_onnx_fixtures test first (ctest fixture ternrt_onnx_fixtures)");
  const int c = 3, h = 32, w = 32, n = 12;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> calib(static_cast<size_t>(n * c * h * w));
  for (float& x : calib) x = normal(rng);
  ternrt::tools::write_npy_f32(out_path("calib.npy"), {n, c, h, w}, calib.data());

  ConvertOptions o = static_options();
  o.ptq.data = out_path("calib.npy");
  const ConversionReport report = convert_file(onnx, out_path("minmax.tern"), o);
  REQUIRE(report.ptq.calibrated);
  REQUIRE(report.static_int8.enabled);
  CHECK(report.static_int8.calibrated);

  const std::vector<uint8_t> bytes = read_all(out_path("minmax.tern"));
  const fb::Model* model = nullptr;
  const std::map<std::string, FileTensor> tensors = file_tensors(bytes, &model);
  CHECK(metadata(model, "activations.static") == "minmax, 12 calibration samples");

  // (a) every activation has params, graph input and output included.
  size_t activations = 0;
  for (const auto& entry : tensors) {
    const auto& name = entry.first;   // not a structured binding: CAPTURE takes it into a lambda
    const auto& t = entry.second;
    if (!t.activation) continue;
    ++activations;
    CAPTURE(name);
    CHECK(t.has_quant);
  }
  CHECK(activations == report.static_int8.activation_tensors);
  CHECK(report.static_int8.with_params == activations);
  const std::string input = model->graph()->tensors()->Get(static_cast<flatbuffers::uoffset_t>(model->graph()->inputs()->Get(0)))->name()->str();
  const std::string output = model->graph()->tensors()->Get(static_cast<flatbuffers::uoffset_t>(model->graph()->outputs()->Get(0)))->name()->str();
  CHECK(tensors.at(input).has_quant);
  CHECK(tensors.at(output).has_quant);

  // (b) the params are the runtime's for the min/max over the calibration data of the model as written.
  // (A reshape's or max pool's output: its input's min/max.)
  const auto ranges = measured_ranges(out_path("minmax.tern"), calib, c, h, w);
  const auto shared = shared_param_sources(model);
  size_t compared = 0;
  for (const auto& entry : tensors) {
    const auto& name = entry.first;   // not a structured binding: CAPTURE takes it into a lambda
    const auto& t = entry.second;
    if (!t.activation) continue;
    CAPTURE(name);
    const auto it = ranges.find(shared.count(name) ? shared.at(name) : name);
    REQUIRE(it != ranges.end());
    const Int8Params expected = runtime_params(it->second.first, it->second.second);
    CHECK(t.params.scale == expected.scale);
    CHECK(t.params.zero_point == expected.zero_point);
    ++compared;
  }
  CHECK(compared == activations);

  // (c) the fixture's Flatten (a reshape) and its max pool: their outputs share their inputs' params.
  CHECK(check_shared_params(model, tensors) >= 2);

  // The report lists each tensor with its range and params, in JSON and in the table.
  const std::string json = report_json(report);
  CHECK(json.find("\"static_int8\": {\"calibrated\": true") != std::string::npos);
  CHECK(json.find("\"from\": \"reshape input\"") != std::string::npos);
  CHECK(json.find("\"from\": \"max pool input\"") != std::string::npos);
  CHECK(report_table(report).find("static int8: " + std::to_string(activations) + " of " + std::to_string(activations)) !=
        std::string::npos);

  // A percentile range lies inside the min/max one: never a larger scale.
  o.ptq.act_range = ternrt::calibrate::RangeMethod::percentile;
  o.ptq.percentile = 99.0;
  convert_file(onnx, out_path("percentile.tern"), o);
  const std::vector<uint8_t> pbytes = read_all(out_path("percentile.tern"));
  const fb::Model* pmodel = nullptr;
  const std::map<std::string, FileTensor> ptensors = file_tensors(pbytes, &pmodel);
  CHECK(metadata(pmodel, "activations.static") == "percentile 99, 12 calibration samples");
  size_t smaller = 0;
  for (const auto& entry : ptensors) {
    const auto& name = entry.first;   // not a structured binding: CAPTURE takes it into a lambda
    const auto& t = entry.second;
    if (!t.activation) continue;
    CAPTURE(name);
    REQUIRE(t.has_quant);
    // The percentile model's own weights differ only through PTQ, which both runs share.
    CHECK(t.params.scale <= tensors.at(name).params.scale * (1 + 1e-6f));
    smaller += t.params.scale < tensors.at(name).params.scale;
  }
  CHECK(smaller > 0);
  check_shared_params(pmodel, ptensors);
}

TEST_CASE("--static-int8 without data: params exactly where BatchNorm estimates exist") {
  const std::string onnx = fixture("resnet.onnx");
  REQUIRE(std::ifstream(onnx).good());
  const ConversionReport report = convert_file(onnx, out_path("data_free.tern"), static_options());
  REQUIRE(report.static_int8.enabled);
  CHECK_FALSE(report.static_int8.calibrated);
  // Independently: the estimates of the imported graph, before any pass.
  const Graph imported = import_onnx_file(onnx, ImportOptions{});
  const auto estimates = ternrt::calibrate::batchnorm_range_estimates(imported, 3.0);
  REQUIRE(!estimates.empty());

  const std::vector<uint8_t> bytes = read_all(out_path("data_free.tern"));
  const fb::Model* model = nullptr;
  const std::map<std::string, FileTensor> tensors = file_tensors(bytes, &model);
  CHECK(metadata(model, "activations.static") == "batchnorm estimates (k=3)");
  // Reshape and max pool outputs follow their input instead of their own estimate.
  const std::map<std::string, std::string> reshape_input = shared_param_sources(model);
  size_t with = 0, without = 0;
  for (const auto& entry : tensors) {
    const auto& name = entry.first;   // not a structured binding: CAPTURE takes it into a lambda
    const auto& t = entry.second;
    if (!t.activation) continue;
    CAPTURE(name);
    const auto r = reshape_input.find(name);
    const std::string source = r == reshape_input.end() ? name : r->second;
    const auto it = estimates.find(source);
    CHECK(t.has_quant == (it != estimates.end()));
    if (it == estimates.end()) {
      ++without;
      continue;
    }
    ++with;
    const Int8Params expected = runtime_params(static_cast<float>(it->second.lo), static_cast<float>(it->second.hi));
    CHECK(t.params.scale == expected.scale);
    CHECK(t.params.zero_point == expected.zero_point);
  }
  CHECK(with > 0);
  CHECK(without > 0);  // the graph input has no BatchNorm estimate
  CHECK(report.static_int8.with_params == with);
  CHECK(report.static_int8.activation_tensors == with + without);
  check_shared_params(model, tensors);
}

TEST_CASE("--static-int8 flag combinations it cannot honour are errors naming the flags") {
  ConvertOptions o = static_options();
  CHECK(check_static_int8(o) == "");
  CHECK(check_static_int8(o, "") == "");
  // Explicit range flags need data to measure on.
  CHECK(check_static_int8(o, "--act-range").rfind("--act-range with --static-int8 needs calibration data (--calibrate or "
                                                  "--calibrate-idx)",
                                                  0) == 0);
  CHECK(check_static_int8(o, "--act-percentile").rfind("--act-percentile with --static-int8 needs calibration data", 0) == 0);
  o.ptq.act_range = ternrt::calibrate::RangeMethod::mse;
  CHECK(check_static_int8(o).rfind("--act-range with --static-int8 needs calibration data", 0) == 0);
  o.ptq.data = "calib.npy";
  CHECK(check_static_int8(o, "--act-range") == "");
  o.ternary.enabled = false;
  CHECK(check_static_int8(o).rfind("--static-int8: --method none writes a float model", 0) == 0);
  // The library refuses too, before reading any file.
  CHECK_THROWS_WITH_AS(convert_file("no_such.onnx", out_path("x.tern"), o), doctest::Contains("--static-int8: --method none"),
                       ConvertError);
  // Without --static-int8 nothing is checked.
  o.static_int8 = false;
  CHECK(check_static_int8(o, "--act-range") == "");
  // The converter's own metadata key is reserved.
  const std::string onnx = fixture("resnet.onnx");
  REQUIRE(std::ifstream(onnx).good());
  ConvertOptions m = static_options();
  m.metadata["activations.static"] = "mine";
  CHECK_THROWS_WITH_AS(convert_file(onnx, out_path("x.tern"), m), doctest::Contains("'activations.static' is written by the converter"),
                       ConvertError);
}

TEST_CASE("--static-int8: a concat's inputs carry its output's params (calibrated and data-free)") {
  const std::string onnx = fixture("mobilenet.onnx");
  REQUIRE_MESSAGE(std::ifstream(onnx).good(), "run the make_onnx_fixtures test first (ctest fixture ternrt_onnx_fixtures)");
  const int c = 3, h = 32, w = 32, n = 6;
  std::mt19937 rng(21);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> calib(static_cast<size_t>(n * c * h * w));
  for (float& x : calib) x = normal(rng);
  ternrt::tools::write_npy_f32(out_path("concat_calib.npy"), {n, c, h, w}, calib.data());
  for (bool calibrated : {true, false}) {
    INFO("calibrated: " << calibrated);
    ConvertOptions o = static_options();
    if (calibrated) o.ptq.data = out_path("concat_calib.npy");
    const std::string path = out_path(calibrated ? "concat_minmax.tern" : "concat_data_free.tern");
    const ConversionReport report = convert_file(onnx, path, o);
    const std::vector<uint8_t> bytes = read_all(path);
    const fb::Model* model = nullptr;
    const std::map<std::string, FileTensor> tensors = file_tensors(bytes, &model);
    const auto name = [&](int32_t index) {
      return model->graph()->tensors()->Get(static_cast<flatbuffers::uoffset_t>(index))->name()->str();
    };
    size_t concats = 0;
    for (const fb::Operator* op : *model->graph()->operators()) {
      if (op->opcode() != fb::OpCode::CONCAT) continue;
      ++concats;
      const std::string out = name(op->outputs()->Get(0));
      CAPTURE(out);
      const FileTensor& y = tensors.at(out);
      REQUIRE(y.has_quant);
      for (int32_t input : *op->inputs()) {
        const std::string in = name(input);
        CAPTURE(in);
        const FileTensor& x = tensors.at(in);
        CHECK(x.has_quant);
        CHECK(x.params.scale == y.params.scale);
        CHECK(x.params.zero_point == y.params.zero_point);
      }
      if (calibrated) {   // the output's own min/max, which covers every input's values
        const auto ranges = measured_ranges(path, calib, c, h, w);
        const auto& range = ranges.at(out);
        const Int8Params expected = runtime_params(range.first, range.second);
        CHECK(y.params.scale == expected.scale);
        CHECK(y.params.zero_point == expected.zero_point);
      }
    }
    CHECK(concats == 1);
    CHECK(report_json(report).find("\"from\": \"concat output\"") != std::string::npos);
  }
}

TEST_CASE("static ranges: concats of concats share one range; a tensor feeding two concats or a graph input keeps its own") {
  // x (graph input) -> activations a, b, d, s, d2, t, u, v, w; c = concat(a, b); e = concat(c, d);
  // f = concat(w, x); g = concat(s, d2); k1 = concat(t, u); k2 = concat(t, v).
  Graph graph;
  const auto tensor = [&](const std::string& name) {
    Tensor t;
    t.name = name;
    t.shape = {1, 2, 2, 4};
    return graph.add_tensor(t);
  };
  const int x = tensor("x"), a = tensor("a"), b = tensor("b"), d = tensor("d"), s = tensor("s"), d2 = tensor("d2");
  const int c = tensor("c"), e = tensor("e"), f = tensor("f"), g = tensor("g");
  const int t = tensor("t"), u = tensor("u"), v = tensor("v"), k1 = tensor("k1"), k2 = tensor("k2"), w = tensor("w");
  graph.inputs = {x};
  const auto node = [&](OpKind kind, std::vector<int> in, int out) {
    Node n;
    n.kind = kind;
    n.inputs = std::move(in);
    n.outputs = {out};
    graph.nodes.push_back(n);
  };
  for (int p : {a, b, d, s, d2, t, u, v, w}) node(OpKind::activation, {x}, p);
  node(OpKind::concat, {a, b}, c);
  node(OpKind::concat, {c, d}, e);
  node(OpKind::concat, {w, x}, f);    // x is a graph input: f stays float, w keeps its range
  node(OpKind::concat, {s, d2}, g);
  node(OpKind::concat, {t, u}, k1);   // t feeds k1 and k2: the later one (k2) takes it, k1 stays float
  node(OpKind::concat, {t, v}, k2);
  graph.outputs = {e, f, g, k1, k2};
  std::map<std::string, ternrt::calibrate::Range> estimates;
  const char* names[] = {"x", "a", "b", "d", "s", "d2", "c", "e", "f", "g", "t", "u", "v", "k1", "k2", "w"};
  for (int i = 0; i < 16; ++i) estimates[names[i]] = ternrt::calibrate::Range{-1.0 - i, 1.0 + 2 * i};
  estimates.erase("e");   // data-free: e's range is the union of its inputs' (c's and d's)
  ternrt::calibrate::StaticRangesReport report;
  ternrt::calibrate::attach_estimated_ranges(graph, estimates, &report);
  const auto params = [&](int t) {
    REQUIRE(graph.tensors[size_t(t)].int8.has_value());
    return *graph.tensors[size_t(t)].int8;
  };
  const auto same = [&](int t, int u) {
    return params(t).scale == params(u).scale && params(t).zero_point == params(u).zero_point;
  };
  const Int8Params union_cd = ternrt::calibrate::int8_params_from_range(-1.0f - 6, 1.0f + 2 * 6);   // c covers d
  CHECK(params(e).scale == union_cd.scale);
  CHECK(params(e).zero_point == union_cd.zero_point);
  for (int p : {a, b, c, d}) {
    CAPTURE(p);
    CHECK(same(p, e));
  }
  // f: x is a graph input, so nothing is shared there; g takes s and d2.
  CHECK_FALSE(same(x, f));
  CHECK_FALSE(same(w, f));
  CHECK(same(s, g));
  CHECK(same(d2, g));
  const Int8Params own_g = ternrt::calibrate::int8_params_from_range(-1.0f - 9, 1.0f + 2 * 9);
  CHECK(params(g).scale == own_g.scale);
  CHECK(same(t, k2));
  CHECK(same(v, k2));
  CHECK_FALSE(same(u, k1));
  CHECK_FALSE(same(t, k1));
  size_t from_concat = 0;
  for (const auto& entry : report.tensors) from_concat += entry.from == "concat output";
  CHECK(from_concat == 8);   // a, b, c, d, s, d2, t, v
}
