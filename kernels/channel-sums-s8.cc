// channel_sums_s8_for (channel-sums-s8.h): one table of the per-ISA implementations and their names.
#include "ternrt/kernels/channel-sums-s8.h"

#include "pool/channel-sums-s8-internal.h"

namespace ternrt::kernels {

namespace {

struct Implementation {
  ChannelSumsS8Fn fn;
  const char* name;
};

Implementation implementation_for(Isa isa) {
  switch (isa_supported(isa) ? isa : Isa::scalar) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx2: return {channel_sums_s8__avx2, "channel_sums_s8__avx2"};
    case Isa::avx512bw:
    case Isa::avx512vnni: return {channel_sums_s8__avx512, "channel_sums_s8__avx512"};
#endif
#if defined(__aarch64__)
    case Isa::neon:
    case Isa::neondot: return {channel_sums_s8__neon, "channel_sums_s8__neon"};
#endif
    default: return {channel_sums_s8__scalar, "channel_sums_s8__scalar"};
  }
}

}  // namespace

ChannelSumsS8Fn channel_sums_s8_for(Isa isa) { return implementation_for(isa).fn; }
const char* channel_sums_s8_name(Isa isa) { return implementation_for(isa).name; }

}  // namespace ternrt::kernels
