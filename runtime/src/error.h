// Internal error type. Everything behind the C API reports failures by throwing ternrt::Error;
// the C API catches it at the boundary and turns it into a status + message (api.cc).
#pragma once

#include <stdexcept>
#include <string>

#include "ternrt/ternrt.h"

namespace ternrt {

class Error : public std::runtime_error {
 public:
  Error(ternrt_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  ternrt_status status() const { return status_; }

 private:
  ternrt_status status_;
};

[[noreturn]] inline void fail(ternrt_status status, const std::string& message) { throw Error(status, message); }

// Overflow-checked size arithmetic for everything derived from a model file.
inline bool mul_overflows(size_t a, size_t b, size_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool add_overflows(size_t a, size_t b, size_t* out) { return __builtin_add_overflow(a, b, out); }

}  // namespace ternrt
