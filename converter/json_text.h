// The small pieces of JSON the converter's reports are written with (report_json, the PTQ and
// static-range sections).
#pragma once

#include <string>

namespace ternrt::convert {

// A JSON number with printf `format`; NaN/Inf (e.g. the SQNR of an exact representation) are null.
std::string json_number(double v, const char* format = "%.9g");
// A quoted JSON string: quotes and backslashes escaped, control characters as \u00XX.
std::string json_string(const std::string& s);

}  // namespace ternrt::convert
