// What this CPU supports, read from cpuinfo once (private to kernels/).
#pragma once

namespace ternrt::kernels {

struct HardwareConfig {
  bool cpuinfo_ok = false;   // cpuinfo_initialize succeeded; otherwise only scalar runs
  bool avx2 = false;         // AVX2 + FMA3
  bool avx512bw = false;     // AVX-512 F + BW + VL
  bool avx512vnni = false;   // the above + AVX-512 VNNI
  bool neon = false;
  bool neondot = false;
  // Tuning: the AVX-512 VNNI GEMV reads its weights as one stream with a far prefetch instead of four
  // interleaved ones (AMD cores; TERNRT_GEMV_STREAMS=1 or 4 overrides, for tests and measurements).
  bool gemv_one_stream = false;
};

const HardwareConfig& hardware_config();

}  // namespace ternrt::kernels
