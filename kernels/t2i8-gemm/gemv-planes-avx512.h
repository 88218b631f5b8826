// The AVX-512 GEMV kernels' weight reads (avx512bw and avx512vnni): one chunk of NV zmm of 2-bit
// planes, with the lines kPrefetch bytes ahead requested first. On the one-stream path (the hardware
// config's choice on AMD cores) the prefetch distance is what keeps the stream at DRAM speed: 8 KiB
// was best of 1-16 KiB on the Zen 5 machine of benchmarks/RESULTS.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "avx512-intrinsics.h"

namespace ternrt::kernels {

constexpr size_t kGemvOneStreamPrefetchBytes = 8192;

// Loads the chunk at w into planes and returns the next chunk.
template <size_t NV, size_t kPrefetch>
__attribute__((always_inline)) inline const uint8_t* load_planes_prefetched(const uint8_t* w, __m512i (&planes)[NV]) {
  for (size_t v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(w) + kPrefetch + 64 * v, _MM_HINT_T0);
  for (size_t v = 0; v < NV; ++v) planes[v] = _mm512_loadu_si512(w + 64 * v);
  return w + 64 * NV;
}

}  // namespace ternrt::kernels
