// Malformed and hostile ONNX files (research B3/B5, issue 7): the importer and ternrt-convert fail
// with a clear error naming the problem, exit 1 and write no output file.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>

#include "../converter/onnx_builder.h"
#include "converter.h"
#include "writer/tern_writer.h"

using namespace ternrt::test;
using ternrt::convert::ConvertError;

namespace {

// x (1,2,4,4) -> Conv 3x3 pad 1 (w: 3,2,3,3; b: 3) -> Relu -> y
OnnxBuilder valid_model() {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.init("w", {3, 2, 3, 3}, std::vector<float>(54, 0.25f));
  b.init("b", {3}, {0.1f, 0.2f, 0.3f});
  auto& conv = b.node("Conv", "conv1", {"x", "w", "b"}, {"c"});
  attr_ints(conv, "kernel_shape", {3, 3});
  attr_ints(conv, "pads", {1, 1, 1, 1});
  b.node("Relu", "relu1", {"c"}, {"y"});
  b.output("y");
  return b;
}

std::string temp_dir() {
  const std::string dir = std::string(TERNRT_BINARY_DIR) + "/robustness-hostile-onnx";
  mkdir(dir.c_str(), 0755);
  return dir;
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs ternrt-convert on `bytes`; returns its exit code and stderr.
std::pair<int, std::string> convert_cli(const std::string& name, const std::string& bytes, const std::string& output) {
  const std::string dir = temp_dir();
  const std::string in = dir + "/" + name + ".onnx", err = dir + "/" + name + ".stderr";
  write(in, bytes);
  std::remove(output.c_str());
  const std::string cmd = std::string("'") + TERNRT_CONVERT_EXE + "' '" + in + "' -o '" + output + "' --quiet 2> '" + err + "'";
  const int rc = std::system(cmd.c_str());
  std::ifstream e(err);
  const std::string text((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc), text};
}

// The library (import from file) and the CLI both reject `bytes` with `fragment`.
void expect_rejected(const std::string& name, const std::string& bytes, const std::string& fragment) {
  INFO("case " << name);
  const std::string dir = temp_dir();
  const std::string path = dir + "/" + name + "-lib.onnx";
  write(path, bytes);
  std::string message;
  try {  // the whole conversion in memory: import, passes, ternarization, serialization
    ternrt::convert::Graph graph = ternrt::convert::import_onnx_file(path, {});
    ternrt::convert::convert_graph(graph, ternrt::convert::ConvertOptions{}, nullptr);
    ternrt::convert::serialize_model(graph);
    message = "(accepted)";
  } catch (const ConvertError& e) {
    message = e.what();
  }
  CHECK_MESSAGE(message.find(fragment) != std::string::npos, "import: '" << message << "' lacks '" << fragment << "'");

  const std::string output = dir + "/" + name + ".tern";
  // Plain names, not a structured binding: doctest's messages capture them in lambdas (C++17).
  const std::pair<int, std::string> run = convert_cli(name, bytes, output);
  const int rc = run.first;
  const std::string& err = run.second;
  CHECK_MESSAGE(rc == 1, "ternrt-convert exit code " << rc << ", stderr: " << err);
  CHECK_MESSAGE(err.find(fragment) != std::string::npos, "ternrt-convert stderr '" << err << "' lacks '" << fragment << "'");
  CHECK_MESSAGE(!exists(output), "ternrt-convert left an output file");
}

void expect_rejected(const std::string& name, const std::function<void(onnx::ModelProto&)>& corrupt, const std::string& fragment) {
  onnx::ModelProto m = valid_model().model();
  corrupt(m);
  expect_rejected(name, m.SerializeAsString(), fragment);
}

onnx::TensorProto* initializer(onnx::ModelProto& m, const std::string& name) {
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

}  // namespace

TEST_CASE("the valid control model converts") {
  const std::string output = temp_dir() + "/valid.tern";
  const std::pair<int, std::string> run = convert_cli("valid", valid_model().serialized(), output);
  const int rc = run.first;
  const std::string& err = run.second;
  CHECK_MESSAGE(rc == 0, err);
  CHECK(exists(output));
}

TEST_CASE("truncated and garbage protobufs") {
  const std::string good = valid_model().serialized();
  expect_rejected("empty", std::string(), "is not a valid ONNX model");
  expect_rejected("garbage", std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x01", 9), "is not a valid ONNX model (protobuf parsing failed)");
  // Cut inside a length-delimited field: the parser must notice.
  size_t rejected = 0;
  for (size_t n : {good.size() / 4, good.size() / 2, good.size() - 3, good.size() - 1}) {
    const std::string cut = good.substr(0, n);
    const std::string path = temp_dir() + "/cut.onnx";
    write(path, cut);
    try {
      ternrt::convert::import_onnx_file(path, {});
    } catch (const ConvertError& e) {
      ++rejected;
      CHECK(std::string(e.what()).find("cut.onnx") != std::string::npos);
    }
  }
  CHECK(rejected == 4);
  expect_rejected("truncated-half", good.substr(0, good.size() / 2), "is not a valid ONNX model");
}

TEST_CASE("missing initializers, shape mismatches, bad types") {
  expect_rejected("missing-initializer", [](onnx::ModelProto& m) { m.mutable_graph()->mutable_initializer()->RemoveLast(); },
                  "conv1");
  expect_rejected("missing-initializer-name", [](onnx::ModelProto& m) { m.mutable_graph()->mutable_initializer()->RemoveLast(); },
                  "input 'b' is not defined before this node");
  expect_rejected("initializer-data-short", [](onnx::ModelProto& m) { initializer(m, "w")->mutable_raw_data()->resize(50); },
                  "initializer 'w': holds -1 values but its shape (3, 2, 3, 3) needs 54");
  expect_rejected("initializer-data-long", [](onnx::ModelProto& m) { initializer(m, "b")->mutable_raw_data()->append(4, '\0'); },
                  "initializer 'b': holds 4 values but its shape (3,) needs 3");
  expect_rejected("weights-channel-mismatch", [](onnx::ModelProto& m) {
                    auto* dims = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
                    dims->mutable_dim(1)->set_dim_value(5);
                  },
                  "conv1");
  expect_rejected("negative-dim", [](onnx::ModelProto& m) { initializer(m, "b")->set_dims(0, -3); }, "negative dimension");
  expect_rejected("unsupported-type", [](onnx::ModelProto& m) { initializer(m, "b")->set_data_type(onnx::TensorProto_DataType_STRING); },
                  "initializer 'b': element type 8 is not supported");
  expect_rejected("no-opset", [](onnx::ModelProto& m) { m.clear_opset_import(); }, "declares no ai.onnx opset");
  expect_rejected("opset-99", [](onnx::ModelProto& m) { m.mutable_opset_import(0)->set_version(99); }, "ai.onnx opset 99 is not supported");
  expect_rejected("unknown-output", [](onnx::ModelProto& m) { m.mutable_graph()->mutable_output(0)->set_name("nope"); },
                  "graph output 'nope' is not produced by any node");
}

TEST_CASE("external data is refused, including paths that escape the model folder") {
  int index = 0;
  for (const char* location : {"../../../../etc/passwd", "/etc/shadow", "weights.bin", "sub/../../x.bin"}) {
    expect_rejected("external-data-" + std::to_string(index++),
                    [location](onnx::ModelProto& m) {
                      onnx::TensorProto* w = initializer(m, "w");
                      w->clear_raw_data();
                      w->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
                      auto* entry = w->add_external_data();
                      entry->set_key("location");
                      entry->set_value(location);
                    },
                    "initializer 'w': external data files are not supported");
  }
}

TEST_CASE("a Reshape whose shape values overflow int64 is an error (found by fuzz_onnx_import)") {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.init_ints("shape", {4}, {-1, int64_t{1} << 62, 4, 4});
  b.node("Reshape", "rs", {"x", "shape"}, {"y"});
  b.output("y");
  expect_rejected("reshape-overflow", b.serialized(), "rs");
  expect_rejected("reshape-overflow-2", b.serialized(), "has too many elements");
}

TEST_CASE("huge declared dimensions are errors, not overflows or giant allocations") {
  constexpr int64_t big = int64_t{1} << 40;
  expect_rejected("huge-initializer-dims", [](onnx::ModelProto& m) {
                    onnx::TensorProto* w = initializer(m, "w");
                    w->clear_dims();
                    for (int i = 0; i < 4; ++i) w->add_dims(big);
                  },
                  "has more than 2^40 elements");
  expect_rejected("int64-max-dims", [](onnx::ModelProto& m) {
                    onnx::TensorProto* b = initializer(m, "b");
                    b->clear_dims();
                    b->add_dims(std::numeric_limits<int64_t>::max());
                    b->add_dims(2);
                  },
                  "has more than 2^40 elements");
  expect_rejected("huge-input-dims", [](onnx::ModelProto& m) {
                    auto* dims = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
                    dims->mutable_dim(2)->set_dim_value(big);
                    dims->mutable_dim(3)->set_dim_value(big);
                  },
                  "tensor 'x': dimension 1099511627776 does not fit the format's int32 shapes");
}
