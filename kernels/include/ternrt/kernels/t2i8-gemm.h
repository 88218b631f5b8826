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

// Hints for packing (all optional; defaults give the compact 2-bit layout).
struct PackOptions {
  // Rows (M) the layer multiplies per call, when known (a convolution: batch x out_h x out_w).
  size_t rows_hint = 0;
  // Opt-in: with rows_hint >= expand_min_rows, ISAs that have one (AVX2) use a 1-byte-per-weight
  // layout (4x the packed memory of the 2-bit planes) that skips the in-register unpacking: 12%
  // faster on conv-like shapes (Zen 5). The runtime sets it for TERNRT_FLAG_EXPAND_WEIGHTS only.
  bool allow_expanded = false;
  size_t expand_min_rows = 64;
};

// Ternary weights (N output channels x K) repacked once for the kernel chosen for `isa` (or int8
// weights: pack_s8).
class PackedTernaryWeights {
 public:
  virtual ~PackedTernaryWeights() = default;
  // codes: N rows of canonical 2-bit codes (code = t + 1, 4 trits per byte, low bits first,
  // rows padded to whole bytes, i.e. (K + 3) / 4 bytes per row). Codes must already be validated
  // (no 0b11). Returns nullptr only when memory cannot be allocated.
  static std::unique_ptr<PackedTernaryWeights> pack(const uint8_t* codes, size_t n, size_t k, Isa isa);
  static std::unique_ptr<PackedTernaryWeights> pack(const uint8_t* codes, size_t n, size_t k, Isa isa,
                                                    const PackOptions& options);
  // Int8 weights instead of trits (the i8i8 kernels, kernels/NAMING.md): N rows of K values in
  // [-127, 127] (symmetric per-channel quantization; -128 is refused, so that the NEON kernels'
  // int16 pairs cannot overflow). Every entry point below then computes the same formulas with
  // w[n][k] in place of t[n][k] (row_sums() = sum_k w[n][k]), bit-identical on every ISA. Returns
  // nullptr when a weight is -128 or memory cannot be allocated.
  static std::unique_ptr<PackedTernaryWeights> pack_s8(const int8_t* weights, size_t n, size_t k, Isa isa);

  virtual size_t n() const = 0;
  virtual size_t k() const = 0;
  virtual Isa isa() const = 0;
  virtual const char* kernel_name() const = 0;   // e.g. "t2i8_gemm_4x16c4__avx2"
  // What t2i8_gemm_s8 runs for m > 1: the requantizing form of kernel_name() where there is one
  // (e.g. "t2i8_gemm_minmax_fp32_8x32c4__avx512vnni"), else kernel_name().
  virtual const char* kernel_name_s8() const = 0;
  virtual size_t packed_bytes() const = 0;       // memory held by the packed weights
  virtual const int32_t* row_sums() const = 0;   // sum_k t[n][k], N values
};

// Scratch the workspace overloads below need for m rows (the per-row activation sums; 0 when the
// packed kernel does not use them). Callers allocate it once (e.g. when preparing a layer) and pass
// it to every call with at most m rows, so the hot path does not allocate. Any alignment of 4 works.
size_t t2i8_gemm_workspace_bytes(const PackedTernaryWeights& w, size_t m);

// Raw accumulators: c[m][n] = sum_k t[n][k] * a[m][k] (no zero-point term). Strides in elements.
// a rows must be readable for k + 16 bytes (callers pad; kernels never write past their outputs).
// workspace: t2i8_gemm_workspace_bytes(w, m) bytes, not shared with a concurrent call.
void t2i8_gemm_s32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   int32_t* c, size_t c_stride, pthreadpool_t pool, void* workspace);

// Full layer: accumulators with the zero-point correction and the float epilogue above.
// bias may be null (zero). Strides in elements. workspace as for t2i8_gemm_s32.
void t2i8_gemm_f32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                   float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool, void* workspace);

// Full layer with int8 output (static activation quantization): per output channel n,
//   y = fma(float(acc[m][n] - a_zero_point * rowsum[n]), multiplier[n], offset[n])
//   multiplier[n] = channel_scale[n] * a_scale / out_scale,  offset[n] = (bias ? bias[n] : 0) / out_scale + out_zero_point
//   c[m][n] = (int8) round_half_to_even(clamp(y, out_min, out_max))
// Exact float operations, identical on every ISA and thread count (IEEE division, never a
// reciprocal): once per call, multiplier[n] = (channel_scale[n] * a_scale) / out_scale and
// offset[n] = (bias ? bias[n] : 0.0f) / out_scale + float(out_zero_point); per element,
// y = fma(float(acc - a_zero_point * rowsum[n]), multiplier[n], offset[n]) with one rounding, then
// y = (y > out_min ? y : out_min), y = (y < out_max ? y : out_max) (so a NaN y gives out_min), then
// round to nearest, ties to even. Clamping before rounding keeps the conversion in int8 range.
// out_min <= out_max (e.g. ReLU: out_min = out_zero_point). Strides in elements. workspace as for
// t2i8_gemm_s32 (t2i8_gemm_workspace_bytes).
void t2i8_gemm_s8(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                  float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                  float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                  int8_t* c, size_t c_stride, pthreadpool_t pool, void* workspace);

// The same with a fused HardSwish before the requantization (a layer with a HARD_SWISH activation and
// an int8 output): per output channel n, with the real pre-activation value
// v = acc * channel_scale[n] * a_scale + bias[n], c = round(hardswish(v) / out_scale) + out_zero_point
// clamped to [out_min, out_max], computed as (exact float operations, identical on every ISA and
// thread count): once per call multiplier[n] = (channel_scale[n] * a_scale) / out_scale,
// offset[n] = (bias ? bias[n] : 0.0f) / out_scale, slope = out_scale / 6; per element
// u = fma(float(acc - a_zero_point * rowsum[n]), multiplier[n], offset[n]), g = fma(u, slope, 0.5)
// clamped to [0, 1] (a NaN to 0), y = fma(u, g, float(out_zero_point)), then the clamp and rounding
// of t2i8_gemm_s8. Runs the requantizing form of the kernel where it has one (in its HardSwish form,
// RequantS8Terms::hardswish), like t2i8_gemm_s8.
void t2i8_gemm_hardswish_s8(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                            float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                            float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max, int8_t* c,
                            size_t c_stride, pthreadpool_t pool, void* workspace);

// The same with a residual added before the requantization (a layer followed by an ADD of another
// int8 tensor of the output's shape, which the runtime fuses into the layer): per element, with r the
// residual's int8 value at the same row and channel (rows `stride` bytes apart),
//   y = fma(float(acc - a_zero_point * rowsum[n]), multiplier[n], offset[n])        (as t2i8_gemm_s8)
//   y = fma(float(r - residual.zero_point), residual_multiplier, y)
// with residual_multiplier = residual.scale / out_scale (IEEE division, once per call), then the clamp
// and rounding of t2i8_gemm_s8: round((v + r_real) / out_scale) + out_zero_point for the layer's real
// value v and the residual's real value r_real, one rounding instead of two. Same bits on every ISA and
// thread count; runs the requantizing form of the kernel where it has one (RequantS8Terms::residual).
// The residual may not overlap c.
struct ResidualS8 {
  const int8_t* data;
  size_t stride;
  float scale;
  int32_t zero_point;
};
void t2i8_gemm_residual_s8(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                           float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                           float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                           const ResidualS8& residual, int8_t* c, size_t c_stride, pthreadpool_t pool,
                           void* workspace);

// The same without a workspace argument: they use a buffer of the calling thread that grows when a
// call needs more (so the first call of a size allocates; convenience for tests and one-off
// callers; the runtime uses the overloads above).
void t2i8_gemm_s32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   int32_t* c, size_t c_stride, pthreadpool_t pool);
void t2i8_gemm_f32(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                   float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                   float out_min, float out_max, float* c, size_t c_stride, pthreadpool_t pool);
void t2i8_gemm_s8(const PackedTernaryWeights& w, size_t m, const int8_t* a, size_t a_stride,
                  float a_scale, int32_t a_zero_point, const float* channel_scale, const float* bias,
                  float out_scale, int32_t out_zero_point, int8_t out_min, int8_t out_max,
                  int8_t* c, size_t c_stride, pthreadpool_t pool);

// Dynamic per-tensor quantization of float activations to int8 (asymmetric, min/max of x with 0
// included): scale = (max - min) / 255, zero_point in [-128, 127], q = clamp(round(x / scale) + zp).
// All-zero input gives scale 1, zero point 0. Non-finite input is the caller's problem (runtime checks).
void quantize_f32_s8_dynamic(const float* x, size_t count, int8_t* q, float* scale, int32_t* zero_point);

// Static quantization with given parameters (the static int8 path's ranges): q = clamp(round(x /
// scale) + zero_point, -128, 127), the same rounding as above; and its inverse x = float(q -
// zero_point) * scale. Bit-identical on every ISA (a NaN gives -128); isa must be supported (falls
// back to scalar).
void quantize_f32_s8_static(Isa isa, const float* x, size_t count, float scale, int32_t zero_point, int8_t* q);
void dequantize_s8_f32(Isa isa, const int8_t* q, size_t count, float scale, int32_t zero_point, float* x);

// The last step of an average pool on int8 (the static path): window sums of int8 values to int8
// means, y[i] = quantize_f32_s8_static(min(hi, max(lo, float(sums[i] - zero_sum) * x_scale * inv)),
// y_scale, y_zero_point) for i < count, with zero_sum = the window's pixel count * the input's zero
// point and inv = 1 / the divisor. Bit-identical on every ISA (falls back to scalar).
void quantize_window_means_s8(Isa isa, const int32_t* sums, size_t count, int32_t zero_sum, float x_scale, float inv,
                              float lo, float hi, float y_scale, int32_t y_zero_point, int8_t* y);

// quantize_f32_s8_static of an image of rows x cols pixels of c < 4 float channels into 4-byte
// pixels (a first layer's image for kernels that step 4 channels at a time): q row r at
// q + r * q_row_stride, pixel p at 4 * p, the channels' bytes then the zero point in the other
// ones, every byte XORed with 0x80 when flipped (ImageEncoding::flipped_u8, t2i8-conv.h).
// scratch: cols * c + 64 bytes, used by the ISAs without a one-pass implementation. The same bytes
// on every ISA.
void quantize_f32_s8_pixels4(Isa isa, const float* x, size_t rows, size_t cols, size_t c, float scale,
                             int32_t zero_point, bool flipped, int8_t* q, size_t q_row_stride, int8_t* scratch);

}  // namespace ternrt::kernels
