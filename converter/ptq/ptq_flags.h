// ternrt-convert's calibration flags (docs/ptq.md), parsed here so the tool's main stays small.
#pragma once

#include <string>

#include "ptq/ptq.h"

namespace ternrt::ptq {

// Usage lines for the flags below.
extern const char kPtqUsage[];

// If argv[*i] is a calibration flag, consumes it (and its value, advancing *i) into `options`
// and returns true; a bad or missing value sets *error naming the flag. Returns false otherwise.
bool parse_ptq_flag(int argc, char** argv, int* i, PtqOptions* options, std::string* error);

// Checks combinations after all flags are read (e.g. --calibrate and --calibrate-idx together);
// returns an error message or "".
std::string check_ptq_options(const PtqOptions& options);

}  // namespace ternrt::ptq
