// Ternary conversion: which layers are ternarized, the report, and the TERNARY2 tensors.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "converter.h"
#include "onnx_builder.h"
#include "passes/passes.h"
#include "quantizer.h"
#include "ternrt_generated.h"
#include "trit-formats.h"
#include "writer/tern_writer.h"

using namespace ternrt::convert;
using ternrt::test::OnnxBuilder;
namespace fb = ternrt::fb;

namespace {

// conv0 (3->8) -> dw (depthwise 8) -> conv2 (8->6) -> flatten -> fc3 (unnamed node) -> fc4
OnnxBuilder five_layers(std::mt19937& rng) {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 6, 6}).output("y");
  b.init("w0", {8, 3, 3, 3}, ternrt::test::random_values(8 * 27, rng));
  b.init("wd", {8, 1, 3, 3}, ternrt::test::random_values(8 * 9, rng));
  b.init("w2", {6, 8, 1, 1}, ternrt::test::random_values(48, rng));
  b.init("w3", {10, 6 * 4 * 4}, ternrt::test::random_values(960, rng));
  b.init("w4", {3, 10}, ternrt::test::random_values(30, rng));
  b.node("Conv", "conv0", {"x", "w0"}, {"a"});
  auto& dw = b.node("Conv", "dw", {"a", "wd"}, {"b"});
  ternrt::test::attr_int(dw, "group", 8);
  ternrt::test::attr_ints(dw, "pads", {1, 1, 1, 1});
  b.node("Conv", "conv2", {"b", "w2"}, {"c"});
  b.node("Flatten", "flat", {"c"}, {"f"});
  auto& fc3 = b.node("Gemm", "", {"f", "w3"}, {"g"});
  ternrt::test::attr_int(fc3, "transB", 1);
  auto& fc4 = b.node("Gemm", "fc4", {"g", "w4"}, {"y"});
  ternrt::test::attr_int(fc4, "transB", 1);
  return b;
}

std::vector<std::string> ternary_names(const std::string& keep, bool enabled = true) {
  std::mt19937 rng(3);
  Graph g = import_onnx_model(five_layers(rng).model(), {});
  run_float_passes(g);
  TernaryConfig config;
  config.enabled = enabled;
  config.keep = parse_keep_float(keep);
  std::vector<std::string> names;
  for (const LayerChoice& c : choose_layers(g, config))
    if (c.ternary) names.push_back(c.name);
  return names;
}

}  // namespace

TEST_CASE("--keep-float decides which layers are ternarized") {
  using V = std::vector<std::string>;
  // default: not first, not last, not depthwise; an unnamed node is named by its weight
  CHECK(ternary_names("first,last") == V{"conv2", "w3"});
  CHECK(ternary_names("none") == V{"conv0", "dw", "conv2", "w3", "fc4"});
  CHECK(ternary_names("first") == V{"conv2", "w3", "fc4"});
  CHECK(ternary_names("conv2,fc4") == V{"conv0", "w3"});
  CHECK(ternary_names("last,w3") == V{"conv0", "conv2"});
  CHECK(ternary_names("none", false).empty());  // --method none
  CHECK_THROWS_WITH_AS(ternary_names("conv9"), doctest::Contains("no Conv/FC layer named 'conv9'"), ConvertError);
  CHECK_THROWS_AS(parse_keep_float("none,first"), ConvertError);
  CHECK_THROWS_AS(parse_keep_float("first,,last"), ConvertError);
}

TEST_CASE("report values agree with error_stats; written TERNARY2 tensors unpack to the trits") {
  for (int packing : {0, 1}) {
    for (bool per_channel : {true, false}) {
      CAPTURE(packing);
      CAPTURE(per_channel);
      std::mt19937 rng(7);
      MESSAGE("seed 7");
      OnnxBuilder b = five_layers(rng);
      Graph g = import_onnx_model(b.model(), {});
      ConvertOptions options;
      options.ternary.quant.method = ternrt::quantize::Method::tquant;
      options.ternary.quant.per_channel = per_channel;
      options.ternary.packing = packing;
      ConversionReport report;
      convert_graph(g, options, &report);
      REQUIRE(report.ternary.size() == 2);

      // Independent recomputation from the float weights kept in the IR.
      for (const LayerResult& r : report.ternary) {
        const Node& node = g.nodes[r.layer.node];
        const Tensor& w = g.tensors[node.inputs[1]];
        REQUIRE(w.ternary);
        const size_t n = size_t(w.shape[0]), k = w.data.size() / n;
        auto q = ternrt::quantize::ternarize(w.data.data(), n, k, options.ternary.quant, w.name);
        auto stats = ternrt::quantize::error_stats(w.data.data(), n, k, q);
        CHECK(r.stats.mse == doctest::Approx(stats.mse));
        CHECK(r.stats.max_error == doctest::Approx(stats.max_error));
        CHECK(r.stats.sqnr_db == doctest::Approx(stats.sqnr_db));
        CHECK(r.stats.zero_fraction == doctest::Approx(stats.zero_fraction));
        CHECK(r.threshold.max == doctest::Approx(*std::max_element(q.thresholds.begin(), q.thresholds.end())));
        CHECK(r.level.min == doctest::Approx(*std::min_element(q.levels.begin(), q.levels.end())));
        CHECK(w.ternary->trits == q.trits);
        CHECK(r.method == "tquant");
        CHECK(r.parameters == n * k);
      }

      const std::vector<uint8_t> bytes = serialize_model(g);
      flatbuffers::Verifier verifier(bytes.data(), bytes.size());
      REQUIRE(fb::VerifyModelBuffer(verifier));
      const fb::Model* model = fb::GetModel(bytes.data());
      int ternary_tensors = 0;
      for (const fb::Operator* op : *model->graph()->operators()) {
        if (op->opcode() != fb::OpCode::CONV_2D && op->opcode() != fb::OpCode::FULLY_CONNECTED) continue;
        const fb::Tensor* t = model->graph()->tensors()->Get(op->inputs()->Get(1));
        if (t->type() != fb::TensorType::TERNARY2) {
          CHECK(t->ternary() == nullptr);
          continue;
        }
        ++ternary_tensors;
        const fb::TernaryWeights* tw = t->ternary();
        REQUIRE(tw != nullptr);
        CHECK(t->buffer() == 0);
        std::vector<int> logical(tw->logical_shape()->begin(), tw->logical_shape()->end());
        CHECK(logical == std::vector<int>(t->shape()->begin(), t->shape()->end()));
        const size_t n = size_t(logical[0]);
        size_t k = 1;
        for (size_t d = 1; d < logical.size(); ++d) k *= size_t(logical[d]);
        CHECK(tw->scales()->size() == (per_channel ? n : 1));
        CHECK(tw->thresholds()->size() == tw->scales()->size());
        CHECK(tw->levels()->size() == tw->scales()->size());
        CHECK(tw->method() == fb::TernaryMethod::TQUANT);
        CHECK(tw->per_channel() == per_channel);
        const auto format = packing ? ternrt::trits::Format::base3_5per_byte : ternrt::trits::Format::canonical_2bit;
        CHECK(tw->packing() == (packing ? fb::TritPacking::BASE3_5PER_BYTE : fb::TritPacking::CANONICAL_2BIT));
        const auto* data = model->buffers()->Get(tw->buffer())->data();
        size_t expected_bytes = 0;
        REQUIRE(ternrt::trits::packed_bytes(format, n, k, &expected_bytes));
        REQUIRE(data->size() == expected_bytes);
        std::vector<int8_t> unpacked(n * k);
        REQUIRE(ternrt::trits::unpack(format, data->data(), n, k, unpacked.data()));
        // the IR tensor with the same name holds the trits the quantizer produced
        bool matched = false;
        for (const Tensor& ir : g.tensors)
          if (ir.name == t->name()->str() && ir.ternary) matched = ir.ternary->trits == unpacked;
        CHECK(matched);
      }
      CHECK(ternary_tensors == 2);
    }
  }
}

TEST_CASE("a missing calibration file fails before any layer is ternarized") {
  std::mt19937 rng(11);
  OnnxBuilder b = five_layers(rng);
  for (bool idx : {false, true}) {
    Graph g = import_onnx_model(b.model(), {});
    ConvertOptions options;
    (idx ? options.ptq.idx : options.ptq.data) = "/nonexistent/calib.npy";
    std::vector<std::string> progress;
    CHECK_THROWS_WITH_AS(convert_graph(g, options, nullptr, [&](const std::string& line) { progress.push_back(line); }),
                         doctest::Contains("calibration data: /nonexistent/calib.npy: no such calibration file"),
                         ConvertError);
    CHECK(progress.empty());   // no "ternarizing [i/n]" line was reached
  }
}

TEST_CASE("report JSON has the layer fields and totals; table has one line per layer") {
  std::mt19937 rng(9);
  MESSAGE("seed 9");
  OnnxBuilder b = five_layers(rng);
  Graph g = import_onnx_model(b.model(), {});
  ConvertOptions options;  // mquant, per channel, 2-bit
  ConversionReport report;
  convert_graph(g, options, &report);
  const std::string json = report_json(report);
  for (const char* key : {"\"layers\"", "\"name\": \"conv2\"", "\"name\": \"w3\"", "\"op\": \"Conv2D\"",
                          "\"op\": \"FullyConnected\"", "\"shape\": [6, 1, 1, 8]", "\"shape\": [10, 96]",
                          "\"method\": \"mquant\"", "\"threshold\": {\"min\": ", "\"median\": ", "\"level\": {",
                          "\"zero_fraction\": ", "\"mse\": ", "\"max_error\": ", "\"sqnr_db\": ", "\"totals\"",
                          "\"parameters\": ", "\"model_bytes_float\": ", "\"model_bytes_ternary\": ",
                          "\"compression_ratio\": ", "\"reason\": \"depthwise\"", "\"reason\": \"first\""})
    CHECK_MESSAGE(json.find(key) != std::string::npos, key);
  // totals: 2-bit codes + one float scale per row replace the float weights of conv2 and w3
  const size_t float_weights = 8 * 27 + 8 * 9 + 48 + 960 + 30;
  const size_t biases = 8 + 8 + 6 + 10 + 3;
  CHECK(report.parameters == float_weights + biases);
  CHECK(report.ternary_parameters == 48 + 960);
  CHECK(report.model_bytes_float == 4 * (float_weights + biases));
  CHECK(report.model_bytes_ternary == 4 * (float_weights + biases - 48 - 960) + (6 * 2 + 6 * 4) + (10 * 24 + 10 * 4));
  const std::string table = report_table(report);
  CHECK(std::count(table.begin(), table.end(), '\n') == 1 + 5 + 1);
}
