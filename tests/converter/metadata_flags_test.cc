// ternrt-convert --metadata / --input-mean / --input-std: parsing, what lands in the .tern
// metadata, and the errors for reserved keys and a wrong number of channel values.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "converter.h"
#include "onnx_builder.h"
#include "ternrt_generated.h"

using namespace ternrt::convert;
using ternrt::test::OnnxBuilder;
namespace fb = ternrt::fb;

namespace {

// 1x3x4x4 -> conv 3x3 (2 filters) -> flatten -> fc 5: a 3-channel input to count values against.
std::string write_three_channel_model(const std::string& name) {
  std::mt19937 rng(11);
  OnnxBuilder b(13);
  b.input("image", {1, 3, 4, 4}).output("logits");
  b.init("w", {2, 3, 3, 3}, ternrt::test::random_values(2 * 27, rng));
  b.init("fcw", {5, 2 * 2 * 2}, ternrt::test::random_values(5 * 8, rng));
  b.node("Conv", "conv", {"image", "w"}, {"c"});
  b.node("Flatten", "flatten", {"c"}, {"f"});
  auto& fc = b.node("Gemm", "fc", {"f", "fcw"}, {"logits"});
  ternrt::test::attr_int(fc, "transB", 1);
  const std::string path = std::string(TERNRT_BINARY_DIR) + "/" + name;
  std::ofstream(path, std::ios::binary) << b.serialized();
  return path;
}

std::string metadata_of(const std::string& tern_path, const char* key) {
  std::ifstream f(tern_path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  const auto* e = fb::GetModel(bytes.data())->metadata()->LookupByKey(key);
  return e ? e->value()->str() : "<missing>";
}

}  // namespace

TEST_CASE("--metadata KEY=VALUE parsing") {
  std::map<std::string, std::string> md;
  add_metadata_flag("dataset=fashion-mnist", &md);
  add_metadata_flag("note=a=b", &md);  // only the first '=' separates
  add_metadata_flag("empty=", &md);
  CHECK(md.at("dataset") == "fashion-mnist");
  CHECK(md.at("note") == "a=b");
  CHECK(md.at("empty") == "");
  CHECK_THROWS_WITH_AS(add_metadata_flag("novalue", &md), doctest::Contains("KEY=VALUE"), ConvertError);
  CHECK_THROWS_WITH_AS(add_metadata_flag("=x", &md), doctest::Contains("non-empty KEY"), ConvertError);
}

TEST_CASE("--input-mean / --input-std value lists") {
  CHECK(channel_values_flag("--input-mean", "0.2860", false) == "0.286");
  CHECK(channel_values_flag("--input-mean", "0.485,0.456,-0.5", false) == "0.485,0.456,-0.5");
  CHECK(channel_values_flag("--input-std", "0.229,1e-3", true) == "0.229,0.001");
  CHECK_THROWS_WITH_AS(channel_values_flag("--input-mean", "0.1,,0.2", false), doctest::Contains("--input-mean"), ConvertError);
  CHECK_THROWS_WITH_AS(channel_values_flag("--input-mean", "abc", false), doctest::Contains("'abc'"), ConvertError);
  CHECK_THROWS_WITH_AS(channel_values_flag("--input-mean", "", false), doctest::Contains("numbers"), ConvertError);
  CHECK_THROWS_WITH_AS(channel_values_flag("--input-std", "0.3,0", true), doctest::Contains("positive"), ConvertError);
  CHECK_THROWS_WITH_AS(channel_values_flag("--input-std", "nan", true), doctest::Contains("--input-std"), ConvertError);
}

TEST_CASE("user metadata is written to the .tern; reserved keys and channel mismatches are rejected") {
  const std::string in = write_three_channel_model("metadata_flags.onnx");
  const std::string out = std::string(TERNRT_BINARY_DIR) + "/metadata_flags.tern";
  ConvertOptions options;
  options.ternary.enabled = false;
  options.metadata["input.mean"] = channel_values_flag("--input-mean", "0.1,0.2,0.3", false);
  options.metadata["input.std"] = channel_values_flag("--input-std", "0.5", true);  // one value: all channels
  add_metadata_flag("dataset=unit-test", &options.metadata);
  convert_file(in, out, options);
  CHECK(metadata_of(out, "input.mean") == "0.1,0.2,0.3");
  CHECK(metadata_of(out, "input.std") == "0.5");
  CHECK(metadata_of(out, "dataset") == "unit-test");
  CHECK(metadata_of(out, "source_layout") == "NCHW");  // the converter's own keys are still there

  ConvertOptions two_values = options;
  two_values.metadata["input.mean"] = "0.1,0.2";
  CHECK_THROWS_WITH_AS(convert_file(in, out, two_values), doctest::Contains("input.mean has 2 values but input 'image'"), ConvertError);

  for (const char* key : {"source_layout", "producer", "ternary.method"}) {
    ConvertOptions reserved = options;
    reserved.metadata[key] = "x";
    CHECK_THROWS_WITH_AS(convert_file(in, out, reserved), doctest::Contains("written by the converter"), ConvertError);
  }
  std::remove(in.c_str());
  std::remove(out.c_str());
}
