// Shared pieces of the command-line tools: layout handling between the ONNX (NCHW) view the
// user has and the NHWC tensors inside a .tern model, and small formatting helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npy.h"
#include "ternrt/ternrt.hpp"

namespace ternrt::tools {

// True when the converter recorded that the source model was NCHW (metadata source_layout).
bool source_is_nchw(const ModelHandle& model);

// Turns one sample (or a batch matching the model's batch) of `array` into the model's NHWC input.
// Accepts the ONNX NCHW shape when the model came from NCHW, or the NHWC shape itself.
// `first` selects the first sample of a larger leading dimension (for per-image loops).
// Throws std::runtime_error naming `source` and both shapes otherwise.
std::vector<float> fit_input(const float* data, const std::vector<int64_t>& shape, const TensorInfo& input, bool nchw,
                             const std::string& source);

// NHWC -> NCHW for a rank-4 output when the source model was NCHW (identity otherwise).
std::vector<float> to_source_layout(const std::vector<float>& data, const TensorInfo& info, bool nchw,
                                    std::vector<int64_t>* shape);

std::string shape_string(const std::vector<int32_t>& shape);
std::string shape_string(const std::vector<int64_t>& shape);
std::string human_bytes(double bytes);

// A tool's main(): runs `run` and turns any exception into "NAME: message" on stderr and exit 1.
int tool_main(const char* name, int (*run)(int, char**), int argc, char** argv);

// Strict integer parsing for flags; throws std::runtime_error naming the flag.
long parse_int_flag(const std::string& flag, const std::string& value, long min, long max);

// --activations static|dynamic as interpreter flags (0 or TERNRT_FLAG_DYNAMIC_ACTIVATIONS); throws
// std::runtime_error for anything else.
uint32_t parse_activations_flag(const std::string& value);

}  // namespace ternrt::tools
