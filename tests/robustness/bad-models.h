// The bad-model corpus: one crafted model per case of the 15 bad-input classes of
// docs/robustness.md (research part B5), each with the exact status and a message fragment the
// runtime must answer with. Shared by the corpus generator (make-corpus.cc writes the committed
// files in tests/robustness/corpus/), the corpus tests and the fuzz seeds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ternrt/ternrt.h"

// TERNRT_TEST_ASAN is defined in AddressSanitizer builds (GCC and clang spell the check differently).
#if defined(__SANITIZE_ADDRESS__)
#define TERNRT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TERNRT_TEST_ASAN 1
#endif
#endif

namespace ternrt::robustness {

struct BadModel {
  std::string klass;             // one of bad_model_classes()
  std::string name;              // file stem in the corpus: "<klass>-<what>"
  std::vector<uint8_t> bytes;
  ternrt_status status;          // of load, or of interpreter creation when load succeeds
  std::string fragment;          // must appear in ternrt_last_error() (source name excluded)
  uint64_t max_arena_bytes = 0;  // interpreter option for the resource-limit cases
  bool in_corpus = true;         // false: multi-megabyte cases kept in memory only
};

// The 15 classes, in the order of docs/robustness.md.
const std::vector<std::string>& bad_model_classes();
// Every case (also the valid control models, with status TERNRT_OK and an empty fragment).
std::vector<BadModel> bad_models();

// A small valid model with a ternary 3x3 conv, a float 1x1 conv, an add, a max pool and a
// ternary fully-connected layer stored in base-3 packing: the mutation-sweep and fuzz seed. With
// static_ranges, its activations carry int8 ranges, so interpreters run the static int8 path.
std::vector<uint8_t> sweep_model(bool static_ranges = false);
// Input/output element counts of sweep_model().
constexpr size_t kSweepInputElements = 1 * 4 * 4 * 4;
constexpr size_t kSweepOutputElements = 6;

// Loads `bytes`, and if that works creates an interpreter (with the arena cap) and invokes it on
// a fixed input. Returns the first failure; the message of a failure is ternrt_last_error().
struct Outcome {
  ternrt_status status = TERNRT_OK;
  std::string message;
  bool invoked = false;
};
Outcome load_create_invoke(const uint8_t* data, size_t size, uint64_t max_arena_bytes);

}  // namespace ternrt::robustness
