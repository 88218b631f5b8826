// Graph passes over the converter IR, one file each. Each pass keeps the graph valid and in
// topological order and leaves removed nodes marked (Graph::compact() drops them).
#pragma once

#include "ir/graph.h"

namespace ternrt::convert {

// Removes Identity/Dropout, Reshapes to the same shape, and nodes whose outputs nobody uses.
void remove_noops(Graph& graph);

// Folds BatchNormalization into the preceding Conv/FC when that producer has only the BN as
// consumer; any other BN becomes a per-channel Mul + Add with constants.
void fold_batchnorm(Graph& graph);

// Exporter patterns: x * HardSigmoid(x) (alpha 1/6, beta 0.5) -> HardSwish; constant Pad
// (zeros, spatial only) before AvgPool/Conv -> the op's own padding (AvgPool only when it counts
// padding: count_include_pad=1, since a zero Pad makes padded zeros count); FC followed by an Add
// of a constant (N) vector (MatMul + Add) -> FC bias.
void fuse_patterns(Graph& graph);

// Fuses a standalone activation into the preceding Conv/FC/Add/Mul/pool when that producer has
// the activation as its only consumer, is not a graph output and has no fused activation yet.
void fuse_activation(Graph& graph);

// NCHW -> NHWC, done once: 4-D activation shapes, conv weights (OC,KH,KW,IC/g), broadcast
// constants, concat/softmax axes, pad order, and FC weight columns after a 4-D flatten.
// Sets graph.nhwc and metadata source_layout=NCHW when a 4-D graph input was converted.
void convert_layout(Graph& graph);

// Runs the whole float pipeline in order, then compacts the graph.
void run_float_passes(Graph& graph);

}  // namespace ternrt::convert
