// libFuzzer target: a .tern model from untrusted bytes through the whole runtime path, as the
// TFLite Micro OSS-Fuzz harness does: load (verify) -> create an interpreter with a fixed arena
// cap -> set inputs -> invoke -> read outputs. Any crash, sanitizer report, leak or uncaught
// exception is a finding; clean error statuses are the expected outcome. docs/robustness.md.
#include <cstddef>
#include <cstdint>

#include "bad-models.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (4u << 20)) return 0;  // real models are larger, but the fuzzer's inputs stay small
  constexpr uint64_t kArenaCap = 4u << 20;
  const ternrt::robustness::Outcome r = ternrt::robustness::load_create_invoke(data, size, kArenaCap);
  // A rejection must say why (the C API contract); a silent failure is a bug.
  if (r.status != TERNRT_OK && r.message.empty()) __builtin_trap();
  return 0;
}
