// Writes small valid ONNX models that seed fuzz_onnx_import (tests/fuzz/corpus-onnx/), covering
// the importer's common paths: Conv/BatchNorm/Relu/MaxPool/Gemm, depthwise + Add + HardSwish +
// GlobalAveragePool + Flatten + Softmax, Concat/Pad/Reshape with shape arithmetic, and
// Shape/Gather/Unsqueeze/Constant folding. Regenerate with:
//   <build>/tests/fuzz/make-onnx-seeds tests/fuzz/corpus-onnx
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "onnx_builder.h"

using namespace ternrt::test;

namespace {

bool save(const std::string& dir, const std::string& name, const OnnxBuilder& b) {
  std::ofstream out(dir + "/" + name + ".onnx", std::ios::binary);
  const std::string bytes = b.serialized();
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::mt19937 rng(7);  // fixed: the seeds are committed
  bool ok = true;
  {
    OnnxBuilder b;
    b.input("x", {1, 3, 8, 8});
    b.init("w", {4, 3, 3, 3}, random_values(108, rng));
    b.init("bias", {4}, random_values(4, rng));
    auto& conv = b.node("Conv", "conv", {"x", "w", "bias"}, {"c"});
    attr_ints(conv, "kernel_shape", {3, 3});
    attr_ints(conv, "pads", {1, 1, 1, 1});
    b.init("scale", {4}, {1, 1, 1, 1});
    b.init("shift", {4}, random_values(4, rng));
    b.init("mean", {4}, random_values(4, rng));
    b.init("var", {4}, {1, 2, 1, 2});
    b.node("BatchNormalization", "bn", {"c", "scale", "shift", "mean", "var"}, {"n"});
    b.node("Relu", "relu", {"n"}, {"r"});
    auto& pool = b.node("MaxPool", "pool", {"r"}, {"p"});
    attr_ints(pool, "kernel_shape", {2, 2});
    attr_ints(pool, "strides", {2, 2});
    b.node("Flatten", "flat", {"p"}, {"f"});
    b.init("fc.w", {5, 64}, random_values(320, rng));
    b.init("fc.b", {5}, random_values(5, rng));
    auto& gemm = b.node("Gemm", "fc", {"f", "fc.w", "fc.b"}, {"y"});
    attr_int(gemm, "transB", 1);
    b.output("y");
    ok &= save(dir, "conv-bn-pool-gemm", b);
  }
  {
    OnnxBuilder b;
    b.input("x", {1, 4, 6, 6});
    b.init("dw", {4, 1, 3, 3}, random_values(36, rng));
    auto& dw = b.node("Conv", "dw", {"x", "dw"}, {"d"});
    attr_ints(dw, "kernel_shape", {3, 3});
    attr_ints(dw, "pads", {1, 1, 1, 1});
    attr_int(dw, "group", 4);
    b.node("Add", "res", {"x", "d"}, {"a"});
    b.node("HardSwish", "hs", {"a"}, {"h"});
    b.node("GlobalAveragePool", "gap", {"h"}, {"g"});
    b.node("Flatten", "flat", {"g"}, {"f"});
    b.init("fc.w", {4, 3}, random_values(12, rng));
    b.node("MatMul", "mm", {"f", "fc.w"}, {"m"});
    b.node("Softmax", "sm", {"m"}, {"y"});
    b.output("y");
    ok &= save(dir, "depthwise-add-gap-softmax", b);
  }
  {
    OnnxBuilder b;
    b.input("x", {1, 2, 4, 4});
    b.init("w", {2, 2, 1, 1}, random_values(4, rng));
    b.node("Conv", "c1", {"x", "w"}, {"c"});
    auto& cat = b.node("Concat", "cat", {"x", "c"}, {"k"});
    attr_int(cat, "axis", 1);
    b.init_ints("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    b.node("Pad", "pad", {"k", "pads"}, {"p"});
    auto& avg = b.node("AveragePool", "avg", {"p"}, {"v"});
    attr_ints(avg, "kernel_shape", {3, 3});
    b.init_ints("shape", {2}, {1, -1});
    b.node("Reshape", "rs", {"v", "shape"}, {"r"});
    b.node("Sigmoid", "sig", {"r"}, {"y"});
    b.output("y");
    ok &= save(dir, "concat-pad-avgpool-reshape", b);
  }
  {
    OnnxBuilder b;
    b.input("x", {1, 3, 4, 4});
    b.node("Shape", "shape", {"x"}, {"s"});
    b.init_ints("zero", {}, {0});
    auto& gather = b.node("Gather", "gather", {"s", "zero"}, {"n"});
    attr_int(gather, "axis", 0);
    b.init_ints("axes", {1}, {0});
    b.node("Unsqueeze", "unsq", {"n", "axes"}, {"nn"});
    b.init_ints("minus1", {1}, {-1});
    auto& cat = b.node("Concat", "cat", {"nn", "minus1"}, {"shape2"});
    attr_int(cat, "axis", 0);
    b.node("Reshape", "rs", {"x", "shape2"}, {"f"});
    b.init("fc.w", {2, 48}, random_values(96, rng));
    auto& gemm = b.node("Gemm", "fc", {"f", "fc.w"}, {"g"});
    attr_int(gemm, "transB", 1);
    auto& clip = b.node("Clip", "clip", {"g"}, {"y"});
    (void)clip;
    b.output("y");
    ok &= save(dir, "shape-gather-reshape-gemm", b);
  }
  if (!ok) {
    std::fprintf(stderr, "make-onnx-seeds: cannot write to %s\n", dir.c_str());
    return 1;
  }
  std::printf("make-onnx-seeds: wrote 4 models to %s\n", dir.c_str());
  return 0;
}
