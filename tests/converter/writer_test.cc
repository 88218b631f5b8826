// Writing .tern files: re-read with the generated FlatBuffers verifier and check the fields.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "converter.h"
#include "onnx_builder.h"
#include "ternrt_generated.h"
#include "writer/tern_writer.h"

using namespace ternrt::convert;
using ternrt::test::OnnxBuilder;
namespace fb = ternrt::fb;

namespace {

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

OnnxBuilder small_cnn(std::mt19937& rng) {
  OnnxBuilder b(13);
  b.input("image", {-1, 3, 8, 8}).output("probs");
  b.init("w1", {5, 3, 3, 3}, ternrt::test::random_values(5 * 3 * 9, rng)).init("b1", {5}, ternrt::test::random_values(5, rng));
  b.init("w2", {6, 5, 1, 1}, ternrt::test::random_values(30, rng));
  b.init("fcw", {4, 6 * 4 * 4}, ternrt::test::random_values(4 * 96, rng)).init("fcb", {4}, {1, 2, 3, 4});
  auto& c1 = b.node("Conv", "conv1", {"image", "w1", "b1"}, {"c1"});
  ternrt::test::attr_ints(c1, "pads", {1, 1, 1, 1});
  ternrt::test::attr_ints(c1, "strides", {2, 2});
  b.node("Relu", "relu1", {"c1"}, {"r1"});
  b.node("Conv", "conv2", {"r1", "w2"}, {"c2"});
  b.node("HardSwish", "hs", {"c2"}, {"h2"});
  b.node("Flatten", "flatten", {"h2"}, {"f"});
  auto& fc = b.node("Gemm", "fc", {"f", "fcw", "fcb"}, {"logits"});
  ternrt::test::attr_int(fc, "transB", 1);
  b.node("Softmax", "softmax", {"logits"}, {"probs"});
  return b;
}

std::string write_onnx(const OnnxBuilder& b, const std::string& name) {
  const std::string path = std::string(TERNRT_BINARY_DIR) + "/" + name;
  std::ofstream(path, std::ios::binary) << b.serialized();
  return path;
}

}  // namespace

TEST_CASE("float model: verifier accepts it; identifier, version, buffers, operators, metadata") {
  std::mt19937 rng(5);
  MESSAGE("seed 5");
  const std::string in = write_onnx(small_cnn(rng), "writer_small_cnn.onnx");
  const std::string out = std::string(TERNRT_BINARY_DIR) + "/writer_small_cnn.tern";
  ConvertOptions options;
  options.ternary.enabled = false;
  ConversionReport report = convert_file(in, out, options);
  const std::vector<uint8_t> bytes = read_all(out);
  REQUIRE(bytes.size() == report.file_bytes);
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  CHECK(fb::ModelBufferHasIdentifier(bytes.data()));
  const fb::Model* model = fb::GetModel(bytes.data());
  CHECK(model->version()->major() == 1);
  CHECK(model->version()->minor() == 1);
  CHECK(model->producer()->str().rfind("ternrt-convert ", 0) == 0);
  REQUIRE(model->buffers()->size() >= 1);
  CHECK((model->buffers()->Get(0)->data() == nullptr || model->buffers()->Get(0)->data()->size() == 0));
  for (size_t i = 1; i < model->buffers()->size(); ++i) {
    const auto* data = model->buffers()->Get(i)->data();
    REQUIRE(data != nullptr);
    CHECK((data->data() - bytes.data()) % 64 == 0);  // offset in the file: aligned when mmapped
  }
  const fb::Graph* g = model->graph();
  REQUIRE(g->operators()->size() == 5);  // conv1(relu), conv2(hswish), reshape, fc, softmax
  const fb::OpCode expected[] = {fb::OpCode::CONV_2D, fb::OpCode::CONV_2D, fb::OpCode::RESHAPE,
                                 fb::OpCode::FULLY_CONNECTED, fb::OpCode::SOFTMAX};
  for (int i = 0; i < 5; ++i) CHECK(g->operators()->Get(i)->opcode() == expected[i]);
  const fb::Operator* conv1 = g->operators()->Get(0);
  CHECK(conv1->name()->str() == "conv1");
  const auto* o = conv1->options_as_Conv2DOptions();
  REQUIRE(o != nullptr);
  CHECK(o->stride_h() == 2);
  CHECK(o->pad_top() == 1);
  CHECK(o->pad_right() == 1);
  CHECK(o->activation()->type() == fb::Activation::RELU);
  CHECK(g->operators()->Get(1)->options_as_Conv2DOptions()->activation()->type() == fb::Activation::HARD_SWISH);
  // every index valid; weights/bias shapes and buffer sizes match
  for (const fb::Operator* op : *g->operators()) {
    for (int t : *op->inputs()) CHECK((t >= 0 && t < int(g->tensors()->size())));
    for (int t : *op->outputs()) CHECK((t >= 0 && t < int(g->tensors()->size())));
  }
  const fb::Tensor* w1 = g->tensors()->Get(conv1->inputs()->Get(1));
  CHECK(std::vector<int>(w1->shape()->begin(), w1->shape()->end()) == std::vector<int>{5, 3, 3, 3});
  CHECK(model->buffers()->Get(w1->buffer())->data()->size() == 5 * 27 * 4);
  const fb::Tensor* b2 = g->tensors()->Get(g->operators()->Get(1)->inputs()->Get(2));
  CHECK(std::vector<int>(b2->shape()->begin(), b2->shape()->end()) == std::vector<int>{6});
  const fb::Tensor* input = g->tensors()->Get(g->inputs()->Get(0));
  CHECK(input->name()->str() == "image");
  CHECK(std::vector<int>(input->shape()->begin(), input->shape()->end()) == std::vector<int>{1, 8, 8, 3});
  CHECK(g->tensors()->Get(g->outputs()->Get(0))->name()->str() == "probs");
  auto meta = [&](const char* key) {
    const auto* e = model->metadata()->LookupByKey(key);
    return e ? e->value()->str() : std::string("<missing>");
  };
  CHECK(meta("source_layout") == "NCHW");
  CHECK(meta("source_model") == "writer_small_cnn.onnx");
  CHECK(meta("onnx.opset") == "13");
  CHECK(meta("producer") == model->producer()->str());
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_CASE("a failed conversion writes no output file and leaves an existing one alone") {
  OnnxBuilder b(13);
  b.input("x", {1, 4}).output("y");
  b.node("TopK", "topk", {"x"}, {"y"});
  const std::string in = write_onnx(b, "writer_bad.onnx");
  const std::string out = std::string(TERNRT_BINARY_DIR) + "/writer_bad.tern";
  std::remove(out.c_str());
  ConvertOptions options;
  CHECK_THROWS_AS(convert_file(in, out, options), ConvertError);
  CHECK(!std::ifstream(out).good());
  std::ofstream(out) << "old";
  CHECK_THROWS_AS(convert_file(in, out, options), ConvertError);
  CHECK(read_all(out) == std::vector<uint8_t>{'o', 'l', 'd'});
  std::remove(in.c_str());
  std::remove(out.c_str());
}
