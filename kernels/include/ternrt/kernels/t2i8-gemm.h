// Ternary-weight x int8-activation GEMM: the public face of kernels/ used by the runtime.
// The micro-kernels, their packing and per-ISA tables live behind this header (kernels/NAMING.md).
//
// Arithmetic (../shared/ARCHITECTURE.md section 4). For output channel n with trits t[n][k] in
// {-1,0,+1} and int8 activations a[m][k] with scale s_a and zero point z_a:
//   acc[m][n] = sum_k t[n][k] * a[m][k]  -  z_a * sum_k t[n][k]                (int32, exact)
//   c[m][n]   = clamp((float)acc[m][n] * (channel_scale[n] * s_a) + bias[n], out_min, out_max)
// The integer part is bit-identical on every ISA and thread count; the float epilogue uses the
// order of operations written above (no FMA contraction), so it is bit-identical too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <pthreadpool.h>

namespace ternrt::kernels {

enum class Isa : int { scalar = 0, avx2, avx512bw, avx512vnni, neon, neondot };

const char* isa_name(Isa isa);                 // "scalar", "avx2", "avx512", "avx512vnni", "neon", "neondot"
bool parse_isa(const char* name, Isa* isa);    // inverse of isa_name; false for unknown names
bool isa_supported(Isa isa);                   // compiled in and supported by this CPU (cpuinfo, read once)
// The best supported ISA, or the one named by the TERNRT_ISA environment variable when it is set
// and supported. *error (if not null) receives a message when TERNRT_ISA names an unknown or
// unsupported ISA; the best ISA is returned then.
Isa default_isa(const char** error = nullptr);

// Ternary weights (N output channels x K) repacked once for the kernel chosen for `isa`.
class PackedTernaryWeights {
 public:
  virtual ~PackedTernaryWeights() = default;
  // codes: N rows of canonical 2-bit codes (code = t + 1, 4 trits per byte, low bits first,
  // rows padded to whole bytes, i.e. (K + 3) / 4 bytes per row). Codes must already be validated
  // (no 0b11). Returns nullptr only when memory cannot be allocated.
  static std::unique_ptr<PackedTernaryWeights> pack(const uint8_t* codes, size_t n, size_t k, Isa isa);

  virtual size_t n() const = 0;
  virtual size_t k() const = 0;
  virtual Isa isa() const = 0;
  virtual const char* kernel_name() const = 0;   // e.g. "t2i8_gemm_4x16c4__avx2"
  virtual size_t packed_bytes() const = 0;       // memory held by the packed weights
  virtual const int32_t* row_sums() const = 0;   // sum_k t[n][k], N values
};

// Raw accumulators: c[m][n] = sum_k t[n][k] * a[m][k] (no zero-point term). Strides in elements.
// a rows must be readable for k + 16 bytes (callers pad; kernels never write past their outputs).
void t2i8_gemm_s32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   int32_t* c, size_t c_stride, pthreadpool_t pool);

// Full layer: accumulators with the zero-point correction and the float epilogue above.
// bias may be null (zero). Strides in elements.
void t2i8_gemm_f32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                   float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool);

// Dynamic per-tensor quantization of float activations to int8 (asymmetric, min/max of x with 0
// included): scale = (max - min) / 255, zero_point in [-128, 127], q = clamp(round(x / scale) + zp).
// All-zero input gives scale 1, zero point 0. Non-finite input is the caller's problem (runtime checks).
void quantize_f32_s8_dynamic(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);

}  // namespace ternrt::kernels
