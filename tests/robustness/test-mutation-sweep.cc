// Deterministic mutation sweep (the ONNX Runtime "flip every byte" idea, research B6.4): the small
// valid sweep model (ternary conv, float conv, add, max pool, base-3 ternary FC) with every byte
// XORed with 0xFF, 0x80 and 0x01 and set to 0x00, and truncated at every length. Each variant is
// loaded and, when accepted, run with an arena cap. Nothing may crash or trip ASan/UBSan, and every
// rejection must be a clean status with a message. Run under the asan preset in CI.
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <map>

#include "bad-models.h"

using namespace ternrt::robustness;

namespace {

constexpr uint64_t kArenaCap = 1u << 20;

struct Tally {
  size_t variants = 0, accepted = 0;
  std::map<std::string, size_t> by_status;
};

// Copies into an exactly-sized heap block so that ASan sees any read past the end.
void try_variant(const std::vector<uint8_t>& bytes, Tally& tally, const std::string& what) {
  const Outcome r = load_create_invoke(bytes.data(), bytes.size(), kArenaCap);
  ++tally.variants;
  tally.by_status[ternrt_status_name(r.status)]++;
  if (r.status == TERNRT_OK) {
    ++tally.accepted;
    return;
  }
  if (r.status != TERNRT_INVALID_MODEL && r.status != TERNRT_UNSUPPORTED && r.status != TERNRT_OUT_OF_MEMORY) {
    FAIL_CHECK(what << ": unexpected status " << ternrt_status_name(r.status) << ": " << r.message);
  }
  if (r.message.size() < 10) FAIL_CHECK(what << ": rejection without a useful message: '" << r.message << "'");
}

}  // namespace

TEST_CASE("mutation sweep: every byte with 4 patterns, every truncation") {
  const std::vector<uint8_t> model = sweep_model();
  REQUIRE(load_create_invoke(model.data(), model.size(), kArenaCap).status == TERNRT_OK);
  const auto start = std::chrono::steady_clock::now();

  struct Pattern {
    const char* name;
    bool set;
    uint8_t value;
  };
  const Pattern patterns[] = {{"xor 0xff", false, 0xff}, {"xor 0x80", false, 0x80}, {"xor 0x01", false, 0x01}, {"set 0x00", true, 0x00}};
  Tally tally;
  for (const Pattern& p : patterns) {
    for (size_t i = 0; i < model.size(); ++i) {
      std::vector<uint8_t> v = model;
      v[i] = p.set ? p.value : static_cast<uint8_t>(v[i] ^ p.value);
      if (v[i] == model[i]) continue;
      try_variant(v, tally, std::string(p.name) + " at byte " + std::to_string(i));
    }
  }
  Tally truncated;
  for (size_t n = 0; n < model.size(); ++n) {
    const std::vector<uint8_t> v(model.begin(), model.begin() + n);
    const Outcome r = load_create_invoke(v.data(), v.size(), kArenaCap);
    ++truncated.variants;
    if (r.status == TERNRT_OK) {
      // Only alignment padding at the very end (FlatBuffers aligns the first-built object, here
      // to 64 bytes) may be cut without losing anything the model refers to; it then ran above.
      ++truncated.accepted;
      if (n + 64 < model.size()) FAIL_CHECK("truncated to " << n << " of " << model.size() << " bytes and still accepted");
      continue;
    }
    if (r.status != TERNRT_INVALID_MODEL || r.message.find("bytes") == std::string::npos) {
      FAIL_CHECK("truncated to " << n << " bytes: " << ternrt_status_name(r.status) << ": " << r.message);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string statuses;
  for (const auto& kv : tally.by_status) statuses += " " + kv.first + "=" + std::to_string(kv.second);
  MESSAGE("model " << model.size() << " bytes; " << tally.variants << " byte mutations (" << tally.accepted
                   << " accepted and run;" << statuses << "), " << truncated.variants << " truncations (" << truncated.accepted
                   << " accepted: trailing padding); " << seconds << " s");
  CHECK(tally.accepted > 0);                   // float data and names can change without breaking the model
  CHECK(tally.accepted < tally.variants / 2);  // but most of the structure is checked
}
