#include "memory-planner.h"

#include <algorithm>
#include <numeric>

namespace ternrt {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment, size_t tail_padding) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by first use so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_use < requests[b].first_use;
  });
  auto slot = [&](size_t i) { return (requests[i].bytes + tail_padding + alignment - 1) / alignment * alignment; };
  std::vector<size_t> placed;
  for (size_t i : order) {
    // Collect the placed buffers alive at the same time, by offset, and take the first gap.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed) {
      const bool overlap = requests[j].first_use <= requests[i].last_use && requests[i].first_use <= requests[j].last_use;
      if (overlap) busy.emplace_back(plan.offsets[j], plan.offsets[j] + slot(j));
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& range : busy) {
      if (offset + slot(i) <= range.first) break;
      offset = std::max(offset, range.second);
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + slot(i));
    placed.push_back(i);
  }
  return plan;
}

}  // namespace ternrt
