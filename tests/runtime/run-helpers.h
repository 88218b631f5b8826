// Load-and-run helpers over the public C API for runtime tests.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ternrt/ternrt.h"

namespace ternrt::test {

// Sets (value != nullptr) or unsets an environment variable for one scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) saved_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_.c_str(), saved_.c_str(), 1);
    else unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_, saved_;
  bool had_ = false;
};

struct LoadResult {
  ternrt_status status;
  std::string message;
};

// Loads from memory and creates an interpreter; returns the first failure.
inline LoadResult try_load(const std::vector<uint8_t>& bytes) {
  ternrt_model* m = nullptr;
  ternrt_status s = ternrt_model_load_memory(bytes.data(), bytes.size(), &m);
  if (s != TERNRT_OK) return {s, ternrt_last_error()};
  ternrt_interpreter* it = nullptr;
  s = ternrt_interpreter_create(m, nullptr, &it);
  LoadResult r{s, s == TERNRT_OK ? "" : ternrt_last_error()};
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
  return r;
}

// Runs a one-input, one-output model and returns output 0.
inline std::vector<float> run_model(const std::vector<uint8_t>& bytes, const std::vector<float>& input, unsigned threads = 1,
                                    const char* isa = nullptr) {
  ternrt_model* m = nullptr;
  REQUIRE_MESSAGE(ternrt_model_load_memory(bytes.data(), bytes.size(), &m) == TERNRT_OK, ternrt_last_error());
  ternrt_interpreter_options o;
  ternrt_interpreter_options_init(&o);
  o.num_threads = threads;
  o.isa = isa;
  ternrt_interpreter* it = nullptr;
  REQUIRE_MESSAGE(ternrt_interpreter_create(m, &o, &it) == TERNRT_OK, ternrt_last_error());
  REQUIRE_MESSAGE(ternrt_interpreter_set_input(it, 0, input.data(), input.size() * 4) == TERNRT_OK, ternrt_last_error());
  REQUIRE_MESSAGE(ternrt_interpreter_invoke(it) == TERNRT_OK, ternrt_last_error());
  ternrt_tensor_info info;
  REQUIRE(ternrt_interpreter_output_info(it, 0, &info) == TERNRT_OK);
  std::vector<float> out(info.bytes / 4);
  REQUIRE(ternrt_interpreter_get_output(it, 0, out.data(), info.bytes) == TERNRT_OK);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(m);
  return out;
}

inline unsigned test_seed() {
  static const unsigned seed = [] {
    const char* env = std::getenv("TERNRT_TEST_SEED");
    const unsigned s = env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : std::random_device{}();
    std::fprintf(stderr, "random seed %u (set TERNRT_TEST_SEED to repeat)\n", s);
    return s;
  }();
  return seed;
}

inline std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

inline std::vector<int8_t> random_trits(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> d(-1, 1);
  std::vector<int8_t> t(n);
  for (auto& v : t) v = static_cast<int8_t>(d(rng));
  return t;
}

}  // namespace ternrt::test
