// One model shared by 8 threads, each with its own interpreter, 1000 invokes each (research B6.1):
// outputs bit-identical to a single-threaded run. Run under the tsan preset in CI; the threads also
// create their interpreters at the same moment, so one-time initialization races would show.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "bad-models.h"

using namespace ternrt::robustness;

namespace {

constexpr int kThreads = 8;
constexpr int kInvokes = 1000;
constexpr int kInputs = 16;  // distinct inputs, so a thread reading another's buffers would show

std::vector<float> input(int which) {
  std::vector<float> x(kSweepInputElements);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((static_cast<int>(i) * 7 + which * 13) % 23 - 11) * 0.1f;
  return x;
}

}  // namespace

static void check_concurrent_invokes(const std::vector<uint8_t>& bytes, const std::string& mode) {
  ternrt_model* model = nullptr;
  REQUIRE_MESSAGE(ternrt_model_load_memory(bytes.data(), bytes.size(), &model) == TERNRT_OK, ternrt_last_error());

  // Reference outputs, single-threaded.
  std::vector<std::vector<float>> reference(kInputs, std::vector<float>(kSweepOutputElements));
  {
    ternrt_interpreter* it = nullptr;
    REQUIRE(ternrt_interpreter_create(model, nullptr, &it) == TERNRT_OK);
    CHECK(ternrt_interpreter_activation_mode(it) == mode);
    for (int k = 0; k < kInputs; ++k) {
      const std::vector<float> x = input(k);
      REQUIRE(ternrt_interpreter_set_input(it, 0, x.data(), x.size() * 4) == TERNRT_OK);
      REQUIRE(ternrt_interpreter_invoke(it) == TERNRT_OK);
      REQUIRE(ternrt_interpreter_get_output(it, 0, reference[k].data(), kSweepOutputElements * 4) == TERNRT_OK);
    }
    ternrt_interpreter_delete(it);
  }

  std::atomic<int> ready{0};
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // create all interpreters at once
      ternrt_interpreter* it = nullptr;
      if (ternrt_interpreter_create(model, nullptr, &it) != TERNRT_OK) {
        failures.fetch_add(1);
        return;
      }
      std::vector<float> y(kSweepOutputElements);
      for (int j = 0; j < kInvokes; ++j) {
        const int k = (t + j) % kInputs;
        const std::vector<float> x = input(k);
        if (ternrt_interpreter_set_input(it, 0, x.data(), x.size() * 4) != TERNRT_OK || ternrt_interpreter_invoke(it) != TERNRT_OK ||
            ternrt_interpreter_get_output(it, 0, y.data(), y.size() * 4) != TERNRT_OK) {
          failures.fetch_add(1);
          break;
        }
        if (std::memcmp(y.data(), reference[k].data(), y.size() * 4) != 0) mismatches.fetch_add(1);
      }
      ternrt_interpreter_delete(it);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(mismatches.load() == 0);
  MESSAGE(kThreads << " threads x " << kInvokes << " invokes, " << mismatches.load() << " mismatches");
  ternrt_model_delete(model);
}

TEST_CASE("8 threads with their own interpreters over one model give bit-identical results") {
  SUBCASE("dynamic activations") { check_concurrent_invokes(sweep_model(), "dynamic"); }
  SUBCASE("static int8 activations") { check_concurrent_invokes(sweep_model(true), "static"); }
}

TEST_CASE("error messages are per thread") {
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint8_t> junk(16, static_cast<uint8_t>(t));
      for (int j = 0; j < 200; ++j) {
        ternrt_model* m = nullptr;
        if (ternrt_model_load_memory(junk.data(), static_cast<size_t>(t) + 1, &m) != TERNRT_INVALID_MODEL) wrong.fetch_add(1);
        const std::string expected = "truncated (" + std::to_string(t + 1) + " bytes)";
        if (std::string(ternrt_last_error()).find(expected) == std::string::npos) wrong.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong.load() == 0);
}
