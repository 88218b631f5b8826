// Per-channel int8 sums (channel-sums-s8.h), the reference: int32 additions in pixel order.
#include "pool/channel-sums-s8-internal.h"

namespace ternrt::kernels {

void channel_sums_s8__scalar(size_t rows, size_t cols, size_t channels, const int8_t* x, size_t row_stride,
                             int32_t* sums) {
  channel_sums_s8_from(0, rows, cols, channels, x, row_stride, sums);
}

}  // namespace ternrt::kernels
