// Assigns arena offsets to activation tensors so that tensors whose lifetimes do not overlap
// share memory (greedy by size, the TFLite "simple memory arena" idea).
#pragma once

#include <cstddef>
#include <vector>

namespace ternrt {

struct BufferRequest {
  size_t bytes;
  int first_use;  // index of the first operator that touches it (-1: before the first operator)
  int last_use;   // index of the last operator that touches it
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per request
  size_t arena_bytes = 0;
};

// Every offset is a multiple of `alignment`; each slot gets `tail_padding` extra readable bytes.
MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, size_t alignment, size_t tail_padding);

}  // namespace ternrt
