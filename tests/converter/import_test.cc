// ONNX import + float passes: each supported op and exporter pattern, checked on the IR.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "onnx/onnx_importer.h"
#include "onnx_builder.h"
#include "passes/passes.h"

using namespace ternrt::convert;
using ternrt::test::OnnxBuilder;

namespace {

Graph convert_ir(const OnnxBuilder& b, int64_t batch = 1) {
  Graph g = import_onnx_model(b.model(), ImportOptions{batch});
  run_float_passes(g);
  return g;
}

std::string import_error(const OnnxBuilder& b) {
  try {
    convert_ir(b);
  } catch (const ConvertError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Conv + BatchNormalization + Relu: BN folded, Relu fused, NHWC weights") {
  std::mt19937 rng(11);
  MESSAGE("seed 11");
  const int oc = 3, ic = 2, k = 3;
  auto w = ternrt::test::random_values(oc * ic * k * k, rng);
  auto bias = ternrt::test::random_values(oc, rng);
  std::vector<float> gamma{1.5f, 0.5f, 2.0f}, beta{0.1f, -0.2f, 0.3f}, mean{0.05f, -0.1f, 0.2f}, var{0.9f, 1.1f, 0.25f};
  OnnxBuilder b(13);
  b.input("x", {-1, ic, 7, 6}).output("y");
  b.init("w", {oc, ic, k, k}, w).init("b", {oc}, bias);
  b.init("g", {oc}, gamma).init("be", {oc}, beta).init("m", {oc}, mean).init("v", {oc}, var);
  auto& conv = b.node("Conv", "conv1", {"x", "w", "b"}, {"c"});
  ternrt::test::attr_ints(conv, "pads", {1, 0, 2, 1});
  ternrt::test::attr_ints(conv, "strides", {2, 1});
  auto& bn = b.node("BatchNormalization", "bn1", {"c", "g", "be", "m", "v"}, {"n"});
  ternrt::test::attr_float(bn, "epsilon", 1e-3f);
  b.node("Relu", "relu1", {"n"}, {"y"});

  Graph g = convert_ir(b, 4);
  REQUIRE(g.nodes.size() == 1);
  const Node& n = g.nodes[0];
  CHECK(n.kind == OpKind::conv);
  CHECK(n.name == "conv1");
  CHECK(n.activation.type == ActivationType::relu);
  CHECK(n.pad_top == 1);
  CHECK(n.pad_left == 0);
  CHECK(n.pad_bottom == 2);
  CHECK(n.pad_right == 1);
  CHECK(n.stride_h == 2);
  // (7 + 1 + 2 - 3) / 2 + 1 = 4, (6 + 0 + 1 - 3) / 1 + 1 = 5; batch from ImportOptions.
  CHECK(g.tensors[g.inputs[0]].shape == Shape{4, 7, 6, ic});
  CHECK(g.tensors[n.outputs[0]].shape == Shape{4, 4, 5, oc});
  CHECK(g.tensors[n.outputs[0]].name == "y");
  CHECK(g.metadata["source_layout"] == "NCHW");
  const Tensor& fw = g.tensors[n.inputs[1]];
  const Tensor& fb = g.tensors[n.inputs[2]];
  REQUIRE(fw.shape == Shape{oc, k, k, ic});
  for (int o = 0; o < oc; ++o) {
    const double s = gamma[o] / std::sqrt(double(var[o]) + 1e-3);
    CHECK(fb.data[o] == doctest::Approx((bias[o] - mean[o]) * s + beta[o]).epsilon(1e-6));
    for (int c = 0; c < ic; ++c)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw)
          CHECK(fw.data[((o * k + kh) * k + kw) * ic + c] ==
                doctest::Approx(w[((o * ic + c) * k + kh) * k + kw] * s).epsilon(1e-6));
  }
}

TEST_CASE("Gemm alpha/beta/transB and MatMul + Add give FC (N, K) weights with bias") {
  OnnxBuilder b(11);
  b.input("x", {2, 3}).output("y");
  // B is (K, N) = (3, 2) with transB = 0
  b.init("B", {3, 2}, {1, 2, 3, 4, 5, 6}).init("C", {2}, {10, 20});
  auto& gemm = b.node("Gemm", "gemm", {"x", "B", "C"}, {"h"});
  ternrt::test::attr_float(gemm, "alpha", 2.0f);
  ternrt::test::attr_float(gemm, "beta", 0.5f);
  b.init("W", {2, 4}, {1, 0, 0, 1, 0, 1, 1, 0}).init("bias", {4}, {1, 2, 3, 4});
  b.node("MatMul", "mm", {"h", "W"}, {"m"});
  b.node("Add", "add", {"bias", "m"}, {"y"});  // constant first: the importer swaps
  Graph g = convert_ir(b);
  REQUIRE(g.nodes.size() == 2);
  const Node& fc1 = g.nodes[0];
  CHECK(fc1.kind == OpKind::fully_connected);
  CHECK(g.tensors[fc1.inputs[1]].shape == Shape{2, 3});
  CHECK(g.tensors[fc1.inputs[1]].data == std::vector<float>{2, 6, 10, 4, 8, 12});
  CHECK(g.tensors[fc1.inputs[2]].data == std::vector<float>{5, 10});
  const Node& fc2 = g.nodes[1];
  CHECK(fc2.kind == OpKind::fully_connected);
  CHECK(g.tensors[fc2.inputs[1]].shape == Shape{4, 2});
  CHECK(g.tensors[fc2.inputs[1]].data == std::vector<float>{1, 0, 0, 1, 0, 1, 1, 0});
  CHECK(g.tensors[fc2.inputs[2]].data == std::vector<float>{1, 2, 3, 4});
  CHECK(g.tensors[fc2.outputs[0]].name == "y");
}

TEST_CASE("Flatten of a 4-D tensor into FC: weight columns permuted from (c,h,w) to (h,w,c)") {
  const int c = 2, h = 2, w = 3, n = 2, k = c * h * w;
  std::vector<float> weights(n * k);
  for (int i = 0; i < n * k; ++i) weights[i] = float(i);
  OnnxBuilder b(13);
  b.input("x", {1, c, h, w}).output("y");
  b.init("W", {n, k}, weights).init("B", {n}, {0, 0});
  b.node("Flatten", "flat", {"x"}, {"f"});
  auto& gemm = b.node("Gemm", "fc", {"f", "W", "B"}, {"y"});
  ternrt::test::attr_int(gemm, "transB", 1);
  Graph g = convert_ir(b);
  REQUIRE(g.nodes.size() == 2);
  CHECK(g.nodes[0].kind == OpKind::reshape);
  CHECK(g.tensors[g.nodes[0].inputs[0]].shape == Shape{1, h, w, c});
  const Tensor& pw = g.tensors[g.nodes[1].inputs[1]];
  for (int r = 0; r < n; ++r)
    for (int ic = 0; ic < c; ++ic)
      for (int ih = 0; ih < h; ++ih)
        for (int iw = 0; iw < w; ++iw)
          CHECK(pw.data[r * k + (ih * w + iw) * c + ic] == weights[r * k + (ic * h + ih) * w + iw]);
}

TEST_CASE("HardSwish pattern, Clip forms, HardSigmoid, Sigmoid, pools, Concat, Pad, Softmax") {
  SUBCASE("x * HardSigmoid(x) -> HardSwish fused into the conv; Clip(0,6) Constant inputs -> ReLU6") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 4, 4}).output("y");
    b.init("w", {2, 2, 1, 1}, {1, 0, 0, 1});
    b.node("Conv", "conv", {"x", "w"}, {"c"});
    auto& hs = b.node("HardSigmoid", "hsig", {"c"}, {"h"});
    ternrt::test::attr_float(hs, "alpha", 1.0f / 6.0f);
    b.node("Mul", "hswish", {"c", "h"}, {"s"});
    b.init("lo", {}, {0.0f}).init("hi", {}, {6.0f});
    b.node("Conv", "conv2", {"s", "w"}, {"c2"});
    b.node("Clip", "clip", {"c2", "lo", "hi"}, {"y"});
    Graph g = convert_ir(b);
    REQUIRE(g.nodes.size() == 2);
    CHECK(g.nodes[0].activation.type == ActivationType::hard_swish);
    CHECK(g.nodes[1].activation.type == ActivationType::relu6);
    CHECK(g.tensors[g.nodes[1].inputs[2]].data == std::vector<float>{0, 0});  // absent bias -> zeros
  }
  SUBCASE("Clip with attributes below opset 11, standalone HardSigmoid and Sigmoid") {
    OnnxBuilder b(10);
    b.input("x", {1, 5}).output("y");
    auto& clip = b.node("Clip", "clip", {"x"}, {"c"});
    ternrt::test::attr_float(clip, "min", -1.0f);
    ternrt::test::attr_float(clip, "max", 2.0f);
    b.node("HardSigmoid", "hs", {"c"}, {"h"});
    b.node("Sigmoid", "sig", {"h"}, {"y"});
    Graph g = convert_ir(b);
    REQUIRE(g.nodes.size() == 3);
    CHECK(g.nodes[0].activation.type == ActivationType::clip);
    CHECK(g.nodes[0].activation.clip_min == -1.0f);
    CHECK(g.nodes[0].activation.clip_max == 2.0f);
    CHECK(g.nodes[1].activation.type == ActivationType::hard_sigmoid);
    CHECK(g.nodes[1].activation.alpha == doctest::Approx(0.2f));
    CHECK(g.nodes[2].activation.type == ActivationType::sigmoid);
  }
  SUBCASE("Pad (input form) before AveragePool folds into count_include_pad pooling") {
    OnnxBuilder b(11);
    b.input("x", {1, 3, 6, 6}).output("y");
    b.init_ints("pads", {8}, {0, 0, 1, 2, 0, 0, 1, 0});
    b.node("Pad", "pad", {"x", "pads"}, {"p"});
    auto& pool = b.node("AveragePool", "avg", {"p"}, {"y"});
    ternrt::test::attr_ints(pool, "kernel_shape", {3, 3});
    ternrt::test::attr_ints(pool, "strides", {2, 2});
    Graph g = convert_ir(b);
    REQUIRE(g.nodes.size() == 1);
    const Node& n = g.nodes[0];
    CHECK(n.kind == OpKind::avg_pool);
    CHECK(n.count_include_pad);
    CHECK(n.pad_top == 1);
    CHECK(n.pad_left == 2);
    CHECK(n.pad_bottom == 1);
    CHECK(n.pad_right == 0);
    CHECK(g.tensors[n.outputs[0]].shape == Shape{1, 3, 3, 3});  // (6+2-3)/2+1 = 3, (6+2-3)/2+1 = 3
  }
  SUBCASE("Pad attribute form (opset 10) before MaxPool stays a PAD with NHWC paddings") {
    OnnxBuilder b(10);
    b.input("x", {1, 3, 5, 5}).output("y");
    auto& pad = b.node("Pad", "pad", {"x"}, {"p"});
    ternrt::test::attr_ints(pad, "pads", {0, 0, 1, 2, 0, 0, 3, 4});
    auto& pool = b.node("MaxPool", "max", {"p"}, {"y"});
    ternrt::test::attr_ints(pool, "kernel_shape", {2, 2});
    ternrt::test::attr_ints(pool, "strides", {2, 2});
    ternrt::test::attr_int(pool, "ceil_mode", 1);
    Graph g = convert_ir(b);
    REQUIRE(g.nodes.size() == 2);
    CHECK(g.nodes[0].paddings == std::vector<int64_t>{0, 0, 1, 3, 2, 4, 0, 0});
    CHECK(g.tensors[g.nodes[0].outputs[0]].shape == Shape{1, 9, 11, 3});
    // ceil_mode: ceil((9-2)/2)+1 = 5, ceil((11-2)/2)+1 = 6, via extra trailing padding
    CHECK(g.tensors[g.nodes[1].outputs[0]].shape == Shape{1, 5, 6, 3});
    CHECK(g.nodes[1].pad_bottom == 1);
    CHECK(g.nodes[1].pad_right == 1);
  }
  SUBCASE("Concat on channels -> last axis; GlobalAveragePool; Reshape with 0 and -1; Softmax; Identity/Dropout removed") {
    OnnxBuilder b(13);
    b.input("x", {2, 3, 4, 4}).output("y");
    b.node("Identity", "id", {"x"}, {"i"});
    b.node("Concat", "cat", {"i", "x"}, {"c"}).add_attribute()->CopyFrom([] {
      onnx::AttributeProto a;
      a.set_name("axis");
      a.set_type(onnx::AttributeProto_AttributeType_INT);
      a.set_i(1);
      return a;
    }());
    b.node("GlobalAveragePool", "gap", {"c"}, {"g"});
    b.init_ints("shape", {2}, {0, -1});
    b.node("Reshape", "reshape", {"g", "shape"}, {"r"});
    b.node("Dropout", "drop", {"r"}, {"d"});
    b.node("Softmax", "softmax", {"d"}, {"y"});
    Graph g = convert_ir(b);
    REQUIRE(g.nodes.size() == 4);
    CHECK(g.nodes[0].kind == OpKind::concat);
    CHECK(g.nodes[0].axis == 3);
    CHECK(g.tensors[g.nodes[0].outputs[0]].shape == Shape{2, 4, 4, 6});
    CHECK(g.tensors[g.nodes[1].outputs[0]].shape == Shape{2, 1, 1, 6});
    CHECK(g.tensors[g.nodes[2].outputs[0]].shape == Shape{2, 6});
    CHECK(g.nodes[3].kind == OpKind::softmax);
    CHECK(g.tensors[g.outputs[0]].name == "y");
  }
  SUBCASE("squeeze-excite Mul broadcast (N,C,1,1) x (N,C,H,W): full-shaped input first") {
    OnnxBuilder b(13);
    b.input("x", {1, 4, 3, 3}).output("y");
    b.node("GlobalAveragePool", "gap", {"x"}, {"g"});
    b.node("Sigmoid", "sig", {"g"}, {"s"});
    b.node("Mul", "scale", {"s", "x"}, {"y"});
    Graph g = convert_ir(b);
    REQUIRE(g.nodes.size() == 3);
    CHECK(g.tensors[g.nodes[2].inputs[0]].shape == Shape{1, 3, 3, 4});
    CHECK(g.tensors[g.nodes[2].inputs[1]].shape == Shape{1, 1, 1, 4});
  }
}

TEST_CASE("errors name the node, op type and opset") {
  SUBCASE("unsupported op") {
    OnnxBuilder b(13);
    b.input("x", {1, 4}).output("y");
    b.node("LSTM", "rnn7", {"x"}, {"y"});
    const std::string e = import_error(b);
    CHECK(e.find("node 'rnn7' (LSTM, opset 13)") != std::string::npos);
    CHECK(e.find("not supported") != std::string::npos);
  }
  SUBCASE("dynamic non-batch dimension") {
    OnnxBuilder b(13);
    b.input("img", {1, 3, -1, 8}).output("y");
    b.node("Relu", "r", {"img"}, {"y"});
    const std::string e = import_error(b);
    CHECK(e.find("graph input 'img': dimension 2 is dynamic") != std::string::npos);
  }
  SUBCASE("unsupported attribute value") {
    OnnxBuilder b(12);
    b.input("x", {1, 3, 8, 8}).output("y");
    auto& pool = b.node("MaxPool", "pool3", {"x"}, {"y"});
    ternrt::test::attr_ints(pool, "kernel_shape", {2, 2});
    ternrt::test::attr_ints(pool, "dilations", {2, 2});
    CHECK(import_error(b).find("node 'pool3' (MaxPool, opset 12): dilations other than 1") != std::string::npos);
  }
  SUBCASE("non-constant weights") {
    OnnxBuilder b(13);
    b.input("x", {1, 3, 8, 8}).input("w", {2, 3, 1, 1}).output("y");
    b.node("Conv", "conv", {"x", "w"}, {"y"});
    CHECK(import_error(b).find("node 'conv' (Conv, opset 13): weights 'w' must be a constant") != std::string::npos);
  }
  SUBCASE("unsupported opset") {
    OnnxBuilder b(19);
    b.input("x", {1, 4}).output("y");
    b.node("Relu", "r", {"x"}, {"y"});
    CHECK(import_error(b).find("opset 19 is not supported") != std::string::npos);
  }
  SUBCASE("reshape of an NCHW tensor that is not a flatten into FC") {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 3, 4}).output("y");
    b.init_ints("shape", {2}, {6, 4});
    b.node("Reshape", "rs", {"x", "shape"}, {"y"});
    CHECK(import_error(b).find("node 'rs' (Reshape, opset 13): reshape (1, 2, 3, 4) -> (6, 4)") != std::string::npos);
  }
  SUBCASE("missing and unparsable files") {
    CHECK_THROWS_WITH_AS(import_onnx_file("/nonexistent/model.onnx", {}),
                         doctest::Contains("cannot open '/nonexistent/model.onnx'"), ConvertError);
    const std::string path = std::string(TERNRT_BINARY_DIR) + "/converter_garbage.onnx";
    std::ofstream(path) << "this is not a protobuf \xff\xff\xff";
    CHECK_THROWS_WITH_AS(import_onnx_file(path, {}), doctest::Contains("is not a valid ONNX model"), ConvertError);
    std::remove(path.c_str());
  }
}
