// Residual ADDs fused into the layer before them (static int8 path). A MobileNetV2 / ResNet block ends
// in y = ADD(conv(x), r): with int8 tensors the conv requantizes its result to int8 and the ADD
// dequantizes it again, adds r and requantizes (XNNPACK's qs8 ADD: slower than its f32 one on the
// machine of benchmarks/RESULTS.md). Fused, the conv's int8 epilogue adds r's real value before its
// single requantization to y (kernels::t2i8_gemm_residual_s8): one pass fewer, one rounding fewer, and
// the conv's own output tensor is never written.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.h"
#include "ops/op.h"

namespace ternrt {

struct ResidualFusion {
  int layer;       // operator index of the layer (its Op::can_fuse_residual())
  int add;         // operator index of the ADD
  int skipped;     // the layer's own output tensor, no longer written or read
  int residual;    // the ADD's other input
  int output;      // the ADD's output, now written by the layer
  float clamp_min, clamp_max;   // the ADD's activation (a clamp)
};

// The ADDs of the model that fuse, at most one per layer. An ADD fuses when it has no activation but a
// clamp, both inputs and its output are int8 tensors of one shape, and one input is the only use of a
// layer's output (not a graph output) whose operator, created with `options`, can_fuse_residual(); the
// other input must be written before that layer runs (so it is ready when the layer adds it). Every
// choice depends on the graph and the tensors' types only, never on the ISA, so every ISA runs the same
// arithmetic.
std::vector<ResidualFusion> find_residual_fusions(const Model& model, const CreateOptions& options);

// What runs in place of a fused ADD: nothing (its kernel() names the layer that does its work).
std::unique_ptr<Op> make_fused_add(const std::string& layer_label);

}  // namespace ternrt
