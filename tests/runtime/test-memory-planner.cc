#include <doctest/doctest.h>

#include "memory-planner.h"

using ternrt::BufferRequest;
using ternrt::plan_memory;

TEST_CASE("buffers with disjoint lifetimes share memory, overlapping ones do not") {
  // a: ops 0-1, b: ops 1-2, c: ops 2-3 -> a and c can share.
  const std::vector<BufferRequest> req = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  const auto plan = plan_memory(req, 64, 64);
  CHECK(plan.offsets[0] == plan.offsets[2]);
  CHECK(plan.offsets[0] != plan.offsets[1]);
  CHECK(plan.arena_bytes == 2 * 1088);  // 1000 + 64 padding, rounded to 64
  for (size_t off : plan.offsets) CHECK(off % 64 == 0);
}

TEST_CASE("no two live buffers overlap on a random chain with skips") {
  std::vector<BufferRequest> req;
  for (int i = 0; i < 40; ++i) req.push_back({static_cast<size_t>(100 + (i * 37) % 500), i, i + 1 + (i % 5 == 0 ? 6 : 0)});
  const auto plan = plan_memory(req, 16, 0);
  size_t total = 0;
  for (size_t i = 0; i < req.size(); ++i) {
    total += (req[i].bytes + 15) / 16 * 16;
    for (size_t j = i + 1; j < req.size(); ++j) {
      const bool live_together = req[i].first_use <= req[j].last_use && req[j].first_use <= req[i].last_use;
      const bool disjoint = plan.offsets[i] + req[i].bytes <= plan.offsets[j] || plan.offsets[j] + req[j].bytes <= plan.offsets[i];
      if (live_together) CHECK(disjoint);
    }
  }
  CHECK(plan.arena_bytes < total / 3);  // reuse must actually happen
}
