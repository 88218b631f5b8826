// max_pool_s8 built with baseline flags: plain byte loops (SSE2 on x86-64, NEON on AArch64 where
// the compiler vectorizes them).
#include <algorithm>

#include "pool/max-pool-s8-internal.h"
#include "pool/max-pool-s8-rows.h"

namespace ternrt::kernels {

namespace {

struct ScalarOps : GenericWindows<ScalarOps> {
  static void rows_max(const int8_t* p, size_t row_stride, size_t rows, size_t n, int8_t* y) {
    for (size_t i = 0; i < n; ++i) {
      int8_t best = p[i];
      for (size_t r = 1; r < rows; ++r) best = std::max(best, p[r * row_stride + i]);
      y[i] = best;
    }
  }
  static void max_into(int8_t* acc, const int8_t* x, size_t n) {
    for (size_t i = 0; i < n; ++i) acc[i] = std::max(acc[i], x[i]);
  }
  static void clamp_store(const int8_t* v, size_t n, int8_t lo, int8_t hi, int8_t* y) {
    for (size_t i = 0; i < n; ++i) y[i] = std::min(hi, std::max(lo, v[i]));
  }
  static void window_max(const int8_t* p, size_t count, size_t c, int8_t lo, int8_t hi, int8_t* y) {
    for (size_t i = 0; i < c; ++i) {
      int8_t best = p[i];
      for (size_t j = 1; j < count; ++j) best = std::max(best, p[j * c + i]);
      y[i] = std::min(hi, std::max(lo, best));
    }
  }
};

}  // namespace

TERNRT_DEFINE_MAX_POOL_S8(max_pool_s8__scalar, ScalarOps)

}  // namespace ternrt::kernels
