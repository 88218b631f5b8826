// What t2i8-gemm.cc shares with the other full-layer entry points of kernels/ (t2i8-conv.cc): the
// packed weights' internals and the per-channel epilogue terms. Private to kernels/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ternrt/kernels/t2i8-gemm-ukernels.h"
#include "ternrt/kernels/t2i8-gemm.h"
#include "t2i8-gemm/t2i8-epilogue-s8.h"

namespace ternrt::kernels {

// Float epilogue of one tile of accumulators (t2i8-gemm.h): per channel j,
//   c[r][j] = clamp(float(acc[r][j] - correction[j]) * multiplier[j] + offset[j], out_min, out_max)
// with clamp = (y < out_min ? out_min : y) then (out_max < y ? out_max : y). Every implementation
// performs exactly these IEEE operations (no FMA), so all give the same bits.
using EpilogueFn = void (*)(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                            const float* multiplier, const float* offset, float out_min, float out_max, float* c,
                            size_t c_stride);
using ActivationSumsFn = void (*)(size_t m, size_t k, const int8_t* a, size_t a_stride, int32_t* sums);

class PackedWeightsImpl final : public PackedTernaryWeights {
 public:
  PackedWeightsImpl(size_t n, size_t k, Isa isa, const T2I8GemmUkernel* gemm, const T2I8GemmUkernel* gemv);

  size_t n() const override { return n_; }
  size_t k() const override { return k_; }
  Isa isa() const override { return isa_; }
  const char* kernel_name() const override { return gemm_->name; }
  const char* kernel_name_s8() const override { return gemm_minmax_ ? gemm_minmax_->name : gemm_->name; }
  size_t packed_bytes() const override { return data_.size() + row_sums_.size() * sizeof(int32_t); }
  const int32_t* row_sums() const override { return row_sums_.data(); }

  size_t n_, k_;
  Isa isa_;
  const T2I8GemmUkernel* gemm_;
  const T2I8GemmUkernel* gemv_;
  EpilogueFn epilogue_;
  EpilogueS8Fn epilogue_s8_;
  const MinmaxFormUkernel* gemm_minmax_;   // gemm_'s requantizing form, nullptr if none
  ActivationSumsFn activation_sums_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> row_sums_;
};

inline const PackedWeightsImpl& impl(const PackedTernaryWeights& w) { return static_cast<const PackedWeightsImpl&>(w); }

// The int8 epilogue and its HardSwish form (t2i8-gemm/t2i8-epilogue-s8.h) for an ISA this build has
// (scalar otherwise).
EpilogueS8Fn epilogue_s8_for(Isa isa);
EpilogueHswishS8Fn epilogue_hswish_s8_for(Isa isa);

// The HardSwish epilogue for an ISA with a layer's constants bound: called like an EpilogueS8Fn by
// the tile drivers (t2i8_gemm_hardswish_s8, T2I8Conv::run_hardswish_s8).
struct HswishEpilogue {
  HswishEpilogue(Isa isa, float out_scale, int32_t out_zero_point)
      : fn(epilogue_hswish_s8_for(isa)), slope(out_scale / 6.0f), zero_point(float(out_zero_point)) {}
  void operator()(size_t mt, size_t nt, const int32_t* acc, size_t acc_stride, const int32_t* correction,
                  const float* multiplier, const float* offset, int8_t out_min, int8_t out_max, int8_t* c,
                  size_t c_stride) const {
    fn(mt, nt, acc, acc_stride, correction, multiplier, offset, slope, zero_point, out_min, out_max, c, c_stride);
  }
  EpilogueHswishS8Fn fn;
  float slope, zero_point;
};

// correction[n] = a_zero_point * sum_k t[n][k]: the zero-point term both epilogues subtract.
void zero_point_correction(const PackedWeightsImpl& w, int32_t a_zero_point, int32_t* correction);

// Per-channel multiplier and offset of the float and int8 epilogues (t2i8-gemm.h, order of
// operations included: every entry point must produce the same bits).
void epilogue_terms_f32(size_t n, float a_scale, const float* channel_scale, const float* bias, float* multiplier,
                        float* offset);
void epilogue_terms_s8(size_t n, float a_scale, const float* channel_scale, const float* bias, float out_scale,
                       int32_t out_zero_point, float* multiplier, float* offset);
// The HardSwish form's: the same without the output zero point in the offset.
void epilogue_terms_hswish_s8(size_t n, float a_scale, const float* channel_scale, const float* bias,
                              float out_scale, float* multiplier, float* offset);

}  // namespace ternrt::kernels
