// Load/create/destroy cycles (research B6.2): 10,000 cycles of the sweep model from memory (every
// tenth from a file) and of rejected corpus models. Under the asan preset LeakSanitizer checks for
// leaks; without ASan the resident set must stay flat (ASan's quarantine makes RSS meaningless).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "bad-models.h"

#ifdef TERNRT_TEST_ASAN
#include <sanitizer/lsan_interface.h>
#endif

using namespace ternrt::robustness;

namespace {

size_t resident_kib() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

int cycles() {
  const char* env = std::getenv("TERNRT_LEAK_CYCLES");  // to shorten local runs; CI uses the default
  return env ? std::atoi(env) : 10000;
}

}  // namespace

TEST_CASE("10,000 load/create/invoke/destroy cycles leak nothing and keep memory flat") {
  const std::vector<uint8_t> good = sweep_model();
  std::vector<BadModel> rejected;
  for (auto& m : bad_models()) {
    if (m.status != TERNRT_OK && m.in_corpus) rejected.push_back(std::move(m));
  }
  const std::string path = std::string(TERNRT_BINARY_DIR) + "/robustness-leak-model.tern";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(good.data()), static_cast<std::streamsize>(good.size()));
  }
  const int n = cycles();
  const auto start = std::chrono::steady_clock::now();
  size_t rss_after_warmup = 0;
  for (int i = 0; i < n; ++i) {
    if (i == n / 10) rss_after_warmup = resident_kib();
    ternrt_model* model = nullptr;
    const ternrt_status s = i % 10 == 0 ? ternrt_model_load_file(path.c_str(), &model)
                                        : ternrt_model_load_memory(good.data(), good.size(), &model);
    if (s != TERNRT_OK) FAIL("cycle " << i << ": " << ternrt_last_error());
    ternrt_interpreter* it = nullptr;
    if (ternrt_interpreter_create(model, nullptr, &it) != TERNRT_OK) FAIL("cycle " << i << ": " << ternrt_last_error());
    if (i % 4 == 0) {  // invoke a quarter of the time: kernels must not keep per-call allocations either
      std::vector<float> x(kSweepInputElements, 0.5f), y(kSweepOutputElements);
      if (ternrt_interpreter_set_input(it, 0, x.data(), x.size() * 4) != TERNRT_OK || ternrt_interpreter_invoke(it) != TERNRT_OK ||
          ternrt_interpreter_get_output(it, 0, y.data(), y.size() * 4) != TERNRT_OK) {
        FAIL("cycle " << i << ": " << ternrt_last_error());
      }
    }
    ternrt_interpreter_delete(it);
    ternrt_model_delete(model);
    // A rejected model per cycle (load failures, creation failures such as the arena cap).
    const BadModel& bad = rejected[static_cast<size_t>(i) % rejected.size()];
    const Outcome r = load_create_invoke(bad.bytes.data(), bad.bytes.size(), bad.max_arena_bytes);
    if (r.status != bad.status) FAIL("cycle " << i << ": " << bad.name << ": " << r.message);
  }
  const size_t rss_end = resident_kib();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE(n << " cycles (+" << n << " rejected models) in " << seconds << " s; RSS " << rss_after_warmup << " KiB after "
            << n / 10 << " cycles, " << rss_end << " KiB at the end");
  std::remove(path.c_str());
#ifdef TERNRT_TEST_ASAN
  CHECK_MESSAGE(__lsan_do_recoverable_leak_check() == 0, "LeakSanitizer found leaks (report above)");
#else
  CHECK(rss_end <= rss_after_warmup + 1024);  // flat: under 1 MiB of growth over 90% of the cycles
#endif
}
