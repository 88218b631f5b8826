// Per-ISA builds of the max pooling algorithm (max-pool-s8-rows.h); private to kernels/. Each does
// output rows [row_begin, row_end) of batch * out_h.
#pragma once

#include "ternrt/kernels/max-pool-s8.h"

namespace ternrt::kernels {

using MaxPoolS8RowsFn = void (*)(const MaxPoolGeometry& g, const int8_t* x, int8_t lo, int8_t hi, int8_t* y,
                                 size_t row_begin, size_t row_end);

void max_pool_s8__scalar(const MaxPoolGeometry& g, const int8_t* x, int8_t lo, int8_t hi, int8_t* y, size_t row_begin,
                         size_t row_end);
#if defined(__x86_64__) || defined(_M_X64)
void max_pool_s8__avx2(const MaxPoolGeometry& g, const int8_t* x, int8_t lo, int8_t hi, int8_t* y, size_t row_begin,
                       size_t row_end);
void max_pool_s8__avx512(const MaxPoolGeometry& g, const int8_t* x, int8_t lo, int8_t hi, int8_t* y, size_t row_begin,
                         size_t row_end);
#endif

}  // namespace ternrt::kernels
