// max_pool_s8 (max-pool-s8.h): the ISA's build of the algorithm, output rows over the pool.
#include "ternrt/kernels/max-pool-s8.h"

#include "pool/max-pool-s8-internal.h"

namespace ternrt::kernels {

namespace {

MaxPoolS8RowsFn max_pool_rows(Isa isa) {
  switch (isa_supported(isa) ? isa : Isa::scalar) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return max_pool_s8__avx2;
    case Isa::avx512bw:
    case Isa::avx512vnni: return max_pool_s8__avx512;
#endif
    default: return max_pool_s8__scalar;
  }
}

}  // namespace

void max_pool_s8(Isa isa, const MaxPoolGeometry& g, const int8_t* x, int8_t out_min, int8_t out_max, int8_t* y,
                 pthreadpool_t pool) {
  const MaxPoolS8RowsFn rows = max_pool_rows(isa);
  const size_t total = g.batch * g.out_h;
  if (pool == nullptr || pthreadpool_get_threads_count(pool) <= 1 || total < 2) {
    rows(g, x, out_min, out_max, y, 0, total);
    return;
  }
  pthreadpool_parallelize_1d(
      pool, [&](size_t row) { rows(g, x, out_min, out_max, y, row, row + 1); }, total, 0);
}

}  // namespace ternrt::kernels
