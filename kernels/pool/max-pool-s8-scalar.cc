// max_pool_s8 built with baseline flags: plain byte loops (SSE2 on x86-64, NEON on AArch64 where
// the compiler vectorizes them).
#include "pool/max-pool-s8-internal.h"
#include "pool/max-pool-s8-rows.h"

namespace ternrt::kernels {

namespace {

struct ScalarOps : ByteLoops, GenericWindows<ScalarOps> {};

}  // namespace

TERNRT_DEFINE_MAX_POOL_S8(max_pool_s8__scalar, ScalarOps)

}  // namespace ternrt::kernels
