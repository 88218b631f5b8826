#include "hardware-config.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include <cpuinfo.h>

#include "ternrt/kernels/t2i8-gemm.h"

namespace ternrt::kernels {

const HardwareConfig& hardware_config() {
  static HardwareConfig config;
  static std::once_flag once;
  std::call_once(once, [] {
    config.cpuinfo_ok = cpuinfo_initialize();
    if (!config.cpuinfo_ok) return;
#if defined(__x86_64__) || defined(_M_X64)
    config.avx2 = cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3();   // the int8 epilogue fuses
    config.avx512bw = config.avx2 && cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() &&
                      cpuinfo_has_x86_avx512vl();
    config.avx512vnni = config.avx512bw && cpuinfo_has_x86_avx512vnni();
    const cpuinfo_core* core = cpuinfo_get_core(0);
    config.gemv_one_stream = core != nullptr && core->vendor == cpuinfo_vendor_amd;
    if (const char* streams = std::getenv("TERNRT_GEMV_STREAMS")) {
      if (std::strcmp(streams, "1") == 0) config.gemv_one_stream = true;
      if (std::strcmp(streams, "4") == 0) config.gemv_one_stream = false;
    }
#elif defined(__aarch64__)
    config.neon = cpuinfo_has_arm_neon();
    config.neondot = config.neon && cpuinfo_has_arm_neon_dot();
#endif
  });
  return config;
}

namespace {
constexpr const char* kIsaNames[] = {"scalar", "avx2", "avx512", "avx512vnni", "neon", "neondot"};
constexpr Isa kBestFirst[] = {Isa::avx512vnni, Isa::avx512bw, Isa::avx2, Isa::neondot, Isa::neon, Isa::scalar};
}  // namespace

const char* isa_name(Isa isa) {
  const int index = static_cast<int>(isa);
  if (index < 0 || index >= static_cast<int>(sizeof(kIsaNames) / sizeof(kIsaNames[0]))) return "unknown";
  return kIsaNames[index];
}

bool parse_isa(const char* name, Isa* isa) {
  if (name == nullptr) return false;
  for (size_t i = 0; i < sizeof(kIsaNames) / sizeof(kIsaNames[0]); ++i) {
    if (std::strcmp(name, kIsaNames[i]) == 0) {
      *isa = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

bool isa_supported(Isa isa) {
  const HardwareConfig& hw = hardware_config();
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return hw.avx2;
    case Isa::avx512bw: return hw.avx512bw;
    case Isa::avx512vnni: return hw.avx512vnni;
    case Isa::neon: return hw.neon;
    case Isa::neondot: return hw.neondot;
  }
  return false;
}

Isa default_isa(const char** error) {
  Isa best = Isa::scalar;
  for (Isa isa : kBestFirst) {
    if (isa_supported(isa)) {
      best = isa;
      break;
    }
  }
  // Read on every call (cheap) so tests and tools can set TERNRT_ISA after start-up.
  const char* forced = std::getenv("TERNRT_ISA");
  if (forced == nullptr || forced[0] == '\0') return best;
  Isa isa;
  if (!parse_isa(forced, &isa)) {
    if (error) *error = "TERNRT_ISA names an unknown ISA (expected scalar, avx2, avx512, avx512vnni, neon or neondot)";
    return best;
  }
  if (!isa_supported(isa)) {
    if (error) *error = "TERNRT_ISA names an ISA this build or CPU does not support";
    return best;
  }
  return isa;
}

}  // namespace ternrt::kernels
